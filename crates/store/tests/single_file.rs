//! One file for advisories, the layer cache and stored inventories: scan-side writes during an
//! import, the file size over repeated imports, layout versions, and the move from the separate
//! files older bulkheads wrote.

mod common;

use common::*;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use store::{ArtifactKey, Error, InventoryStore, LayerCache, Store};

fn artifact(key: &str) -> ArtifactKey {
    ArtifactKey {
        key: key.into(),
        name: format!("name of {key}"),
        kind: "oci-layout".into(),
        digest: Some(key.into()),
    }
}

/// A layer-cache put and an inventory save, each on its own fresh handles (as a scan has).
fn scan_side_write(dir: &Path, key: &str) {
    let cache = LayerCache::open(dir).unwrap();
    cache.put(key, "analyzers@1", key.as_bytes()).unwrap();
    let mut inventories = InventoryStore::open(dir).unwrap();
    let packages = serde_json::json!({ "packages": [key] });
    inventories
        .save(&artifact(key), &packages, &[], "now")
        .unwrap();
}

/// Imports one shared feed (a path under ../shared/data/osv) into `dir`.
fn import(dir: &Path, name: &str) {
    store::import(dir, &[osv_dir().join(name)], &mut |_| {}).unwrap();
}

/// (advisories, Debian:11 openssl advisories) as one `Store` sees them.
fn seen(db: &Store) -> (u64, usize) {
    let total = db.info().unwrap().advisories;
    (
        total,
        db.advisories_for("Debian:11", "openssl").unwrap().len(),
    )
}

#[test]
fn scan_writes_during_an_import_and_readers_see_old_or_new() {
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), "crates.io.jsonl.zst");
    let added = [
        feed("Debian-DSA-DLA.jsonl.zst"),
        feed("Go.jsonl.zst"),
        feed("PyPI.jsonl.zst"),
    ];
    let old_state = (records(&feed("crates.io.jsonl.zst")).len() as u64, 0);
    let new_total = old_state.0 + added.iter().map(|f| records(f).len() as u64).sum::<u64>();
    let new_state = (new_total, 5);
    let before = Store::open(dir.path()).unwrap();
    assert_eq!(seen(&before), old_state);

    // Readers and scans in other threads for as long as the import runs.
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (dir, done) = (dir.path().to_owned(), done.clone());
            std::thread::spawn(move || {
                let mut states = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let state = seen(&Store::open(&dir).unwrap());
                    assert!(state == old_state || state == new_state, "{state:?}");
                    states.push(state);
                }
                states
            })
        })
        .collect();
    let scans = std::thread::spawn({
        let (dir, done) = (dir.path().to_owned(), done.clone());
        move || {
            let mut n = 0;
            while !done.load(Ordering::Relaxed) {
                scan_side_write(&dir, &format!("sha256:loop-{n}"));
                n += 1;
            }
            n
        }
    });

    // Within the import's transaction (after its first input went in): a scan's writes start
    // and wait for the commit, a new reader still sees only the old advisories.
    let mut waiting = Vec::new();
    let mut inside = 0;
    store::import(dir.path(), &added, &mut |message| {
        if !message.starts_with("importing ") {
            return;
        }
        inside += 1;
        if inside >= 2 {
            assert_eq!(seen(&Store::open(dir.path()).unwrap()), old_state);
            let dir = dir.path().to_owned();
            let key = format!("sha256:during-{inside}");
            waiting.push(std::thread::spawn(move || scan_side_write(&dir, &key)));
        }
    })
    .unwrap();
    for w in waiting {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let looped = scans.join().unwrap();
    for r in readers {
        assert!(!r.join().unwrap().is_empty());
    }

    // The handle opened before keeps its snapshot; a new one sees everything.
    assert_eq!(seen(&before), old_state);
    drop(before);
    assert_eq!(seen(&Store::open(dir.path()).unwrap()), new_state);
    let inventories = InventoryStore::open(dir.path()).unwrap();
    assert_eq!(inventories.count().unwrap(), looped + 2);
    let cache = LayerCache::open(dir.path()).unwrap();
    for key in ["sha256:during-2", "sha256:during-3"] {
        assert_eq!(
            cache.get(key, "analyzers@1").unwrap().as_deref(),
            Some(key.as_bytes())
        );
    }
}

/// `feed` with every record's `modified` set to day `round` of 2030, so an import replaces all.
fn bumped(feed: &Path, out: &Path, round: u32) -> PathBuf {
    let dir = out.join(format!("round-{round}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("crates.io.jsonl");
    let lines: Vec<String> = records(feed)
        .into_iter()
        .map(|mut r| {
            r["modified"] = format!("2030-01-{round:02}T00:00:00Z").into();
            r.to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn repeated_imports_do_not_grow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let crates = feed("crates.io.jsonl.zst");
    let n = records(&crates).len() as u64;
    let db = dir.path().join(store::DB_FILE_NAME);
    let size = || std::fs::metadata(&db).unwrap().len();
    store::import(dir.path(), std::slice::from_ref(&crates), &mut |_| {}).unwrap();
    scan_side_write(dir.path(), "sha256:kept");
    let mut sizes = vec![size()];
    for round in 1..=4 {
        let s = store::import(
            dir.path(),
            &[bumped(&crates, inputs.path(), round)],
            &mut |_| {},
        )
        .unwrap();
        assert_eq!((s.replaced, s.total_advisories), (n, n));
        sizes.push(size());
    }
    // Every round replaces every record: the pages they leave are reused or handed back, so
    // the file settles instead of growing by a database's worth per import.
    println!("file size after each import: {sizes:?}");
    let settled = sizes[1];
    assert!(
        sizes[2..].iter().all(|&s| s <= settled + settled / 10),
        "{sizes:?}"
    );
    assert!(
        !dir.path().join("bulkhead.db-wal").exists(),
        "checkpointed on close"
    );
    let conn = Connection::open(&db).unwrap();
    let (free, pages, vacuum): (i64, i64, i64) = conn
        .query_row(
            "SELECT * FROM pragma_freelist_count, pragma_page_count, pragma_auto_vacuum",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(vacuum, 2, "incremental auto-vacuum");
    assert!(free * 4 <= pages, "{free} free of {pages} pages");
    drop(conn);
    let db = Store::open(dir.path()).unwrap();
    assert_eq!(db.info().unwrap().advisories, n);
    assert_eq!(db.advisories_for("crates.io", "smallvec").unwrap().len(), 5);
    assert_eq!(
        InventoryStore::open(dir.path()).unwrap().count().unwrap(),
        1
    );
}

#[test]
fn scan_side_rows_alone_are_no_advisory_database() {
    let dir = tempfile::tempdir().unwrap();
    scan_side_write(dir.path(), "sha256:first");
    assert!(dir.path().join(store::DB_FILE_NAME).is_file());
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("bulkhead db import"), "{err}");

    // A failed first import leaves it so.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": \"X-1\", \"modified\": \"yesterday\"}\n").unwrap();
    let err = store::import(dir.path(), &[bad], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err:?}");
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoDatabase { .. }), "{err:?}");

    import(dir.path(), "crates.io.jsonl.zst");
    let db = Store::open(dir.path()).unwrap();
    assert_eq!(db.advisories_for("crates.io", "smallvec").unwrap().len(), 5);
    let info = db.info().unwrap();
    assert_eq!(info.schema_version, store::SCHEMA_VERSION);
    assert_eq!(
        InventoryStore::open(dir.path()).unwrap().count().unwrap(),
        1
    );
    // How old the advisories are is the import's time, not the file's (scans write it too).
    let imported = db.updated_at().unwrap();
    assert_eq!(imported, info.updated_at);
    let age = store::time::to_system_time(&imported)
        .unwrap()
        .elapsed()
        .unwrap_or_default();
    assert!(age.as_secs() < 600, "{imported}");
    drop(db);
    scan_side_write(dir.path(), "sha256:later");
    assert_eq!(
        Store::open(dir.path()).unwrap().updated_at().unwrap(),
        imported
    );
}

#[test]
fn newer_layout_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), "npm-nodejs-security-wg.jsonl.zst");
    scan_side_write(dir.path(), "sha256:kept");
    let set_version = |v: u32| {
        let conn = Connection::open(dir.path().join(store::DB_FILE_NAME)).unwrap();
        conn.pragma_update(None, "user_version", v).unwrap();
    };
    set_version(99);
    let newer = |e: &Error| {
        matches!(e, Error::Schema { .. }) && e.to_string().contains("layout version 99")
    };
    let err = Store::open(dir.path()).unwrap_err();
    assert!(newer(&err), "{err}");
    assert!(newer(&InventoryStore::open(dir.path()).err().unwrap()));
    let err = LayerCache::open(dir.path()).err().unwrap();
    assert!(err.to_string().contains("layout version 99"), "{err}");
    // An import must not replace a file holding a newer bulkhead's inventories.
    let err = store::import(dir.path(), &[feed("crates.io.jsonl.zst")], &mut |_| {}).unwrap_err();
    assert!(newer(&err), "{err}");

    set_version(store::SCHEMA_VERSION);
    let db = Store::open(dir.path()).unwrap();
    assert_eq!(db.info().unwrap().advisories, 467);
    assert_eq!(
        InventoryStore::open(dir.path()).unwrap().count().unwrap(),
        1
    );
}

/// Writes `name` with its old layout, as the bulkhead before the single file did (DDL copied from
/// that version, not from the store's code).
fn old_side_file(dir: &Path, name: &str, ddl: &str, version: u32) -> Connection {
    let conn = Connection::open(dir.join(name)).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(ddl).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    conn
}

fn zstd_json(value: &serde_json::Value) -> Vec<u8> {
    zstd::bulk::compress(value.to_string().as_bytes(), 3).unwrap()
}

#[test]
fn older_cache_dir_is_moved_into_the_single_file() {
    let dir = tempfile::tempdir().unwrap();
    // The advisory-only bulkhead.db: the same advisory tables, no user_version, rollback journal,
    // no auto-vacuum.
    import(dir.path(), "npm-nodejs-security-wg.jsonl.zst");
    let conn = Connection::open(dir.path().join("bulkhead.db")).unwrap();
    conn.execute_batch(
        "DROP TABLE layers; DROP TABLE inventories; PRAGMA user_version = 0;
         PRAGMA journal_mode = DELETE; PRAGMA auto_vacuum = NONE; VACUUM;",
    )
    .unwrap();
    drop(conn);

    let inventories = old_side_file(
        dir.path(),
        "inventories.db",
        "CREATE TABLE inventories (key TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
             digest TEXT, revision INTEGER NOT NULL, scanned_at TEXT NOT NULL, body BLOB NOT NULL,
             matched_at TEXT, findings BLOB) WITHOUT ROWID;",
        1,
    );
    let inventory = serde_json::json!({"packages": [{"name": "bash", "version": "5.2"}]});
    let rows = [
        ("sha256:aa", 3, Some(vec!["CVE-1 bash 5.2"])),
        ("rootfs:/srv/root", 1, None),
    ];
    for (key, revision, findings) in &rows {
        let findings = findings.as_ref().map(|f| zstd_json(&serde_json::json!(f)));
        inventories
            .execute(
                "INSERT INTO inventories VALUES (?1, 'old name', 'rootfs', NULL, ?2, 't0', ?3, 't1', ?4)",
                rusqlite::params![key, revision, zstd_json(&inventory), findings],
            )
            .unwrap();
    }
    let layers = old_side_file(
        dir.path(),
        "layers.db",
        "CREATE TABLE layers (diff_id TEXT NOT NULL, analyzers TEXT NOT NULL, result BLOB NOT NULL,
             stored_at INTEGER NOT NULL, PRIMARY KEY (diff_id, analyzers)) WITHOUT ROWID;",
        0,
    );
    layers
        .execute(
            "INSERT INTO layers VALUES ('sha256:l1', 'a@1', ?1, 0)",
            [zstd::bulk::compress(b"old", 3).unwrap()],
        )
        .unwrap();
    // Left open (as a crashed scan would), so their WALs hold the rows.
    std::mem::forget((inventories, layers));
    assert!(dir.path().join("inventories.db-wal").exists());

    let moved = InventoryStore::open(dir.path()).unwrap();
    let all = moved.all().unwrap();
    assert_eq!(all.len(), 2);
    let by_key = |k: &str| all.iter().find(|s| s.artifact.key == k).unwrap();
    let aa = by_key("sha256:aa");
    assert_eq!((aa.revision, aa.artifact.name.as_str()), (3, "old name"));
    assert_eq!(aa.inventory::<serde_json::Value>().unwrap(), inventory);
    assert_eq!(aa.findings().unwrap(), ["CVE-1 bash 5.2"]);
    assert!(by_key("rootfs:/srv/root").findings().unwrap().is_empty());
    // Only a cache: dropped.
    let cache = LayerCache::open(dir.path()).unwrap();
    assert_eq!(cache.get("sha256:l1", "a@1").unwrap(), None);
    for old in [
        "inventories.db",
        "inventories.db-wal",
        "layers.db",
        "layers.db-wal",
    ] {
        assert!(!dir.path().join(old).exists(), "{old} left behind");
    }
    // The advisories stayed where they were.
    let db = Store::open(dir.path()).unwrap();
    let info = db.info().unwrap();
    assert_eq!(
        (info.advisories, info.schema_version),
        (467, store::SCHEMA_VERSION)
    );
    // Opening again moves nothing twice.
    drop((moved, db));
    assert_eq!(
        InventoryStore::open(dir.path()).unwrap().count().unwrap(),
        2
    );
}

#[test]
fn unreadable_old_inventories_stop_the_move_and_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("inventories.db");
    std::fs::write(&old, vec![b'x'; 4096]).unwrap();
    let err = InventoryStore::open(dir.path()).err().unwrap();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    assert!(err.to_string().contains("move the old file away"), "{err}");
    assert!(old.exists());
}

#[test]
fn case_sensitive_nuget_keys_of_layout_2_are_rekeyed() {
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), "malicious/malicious-nuget.jsonl.zst");
    let lowercase = |dir: &Path| -> i64 {
        let conn = Connection::open(dir.join("bulkhead.db")).unwrap();
        conn.query_row(
            "SELECT count(*) FROM affected WHERE ecosystem = 'NuGet' AND name_key = lower(name_key)",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let all = lowercase(dir.path());
    // Layout 2 kept NuGet names as the feed spelt them: put capitals back and say so.
    let conn = Connection::open(dir.path().join("bulkhead.db")).unwrap();
    conn.execute_batch(
        "UPDATE affected SET name_key = upper(name_key) WHERE ecosystem = 'NuGet';
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    assert!(lowercase(dir.path()) < all / 2); // the few left have no letters
    let db = Store::open(dir.path()).unwrap();
    assert_eq!(db.info().unwrap().schema_version, store::SCHEMA_VERSION);
    drop(db);
    assert_eq!(lowercase(dir.path()), all);
}
