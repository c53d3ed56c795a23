//! The import is atomic: a failure leaves the previous database intact and queryable, readers
//! work during an import, temp files are cleaned up, and concurrent importers are refused.
//! (Imports alongside scan-side writes, layouts and migrations: `single_file.rs`.)

mod common;

use common::*;
use std::path::Path;
use store::{Error, Store};

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn no_database_tells_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoDatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("bulkhead db import PATH") && msg.contains("bulkhead db update"),
        "{msg}"
    );
}

#[test]
fn failed_import_keeps_previous_database() {
    let dir = tempfile::tempdir().unwrap();
    let crates = feed("crates.io.jsonl.zst");
    let n_crates = records(&crates).len() as u64;
    store::import(dir.path(), std::slice::from_ref(&crates), &mut |_| {}).unwrap();

    // A malformed file between two good ones: line 3 is cut short.
    let inputs = tempfile::tempdir().unwrap();
    let bad = inputs.path().join("bad.jsonl");
    let line = |id: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"npm","name":"x"}}}}]}}"#
        )
    };
    std::fs::write(
        &bad,
        format!(
            "{}\n{}\n{{\"id\":\"TEST-3\",\"affected\":[\n",
            line("TEST-1"),
            line("TEST-2")
        ),
    )
    .unwrap();
    let err = store::import(
        dir.path(),
        &[feed("Go.jsonl.zst"), bad.clone(), feed("PyPI.jsonl.zst")],
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("bad.jsonl:3") && msg.contains("previous database is unchanged"),
        "{msg}"
    );

    let db = Store::open(dir.path()).unwrap();
    let info = db.info().unwrap();
    assert_eq!(info.advisories, n_crates);
    assert_eq!(info.feeds.len(), 1);
    assert_eq!(db.advisories_for("crates.io", "smallvec").unwrap().len(), 5);
    assert!(db
        .advisories_for("Go", "golang.org/x/net")
        .unwrap()
        .is_empty());
    assert!(db.advisories_for("npm", "x").unwrap().is_empty());
    // The WAL sidecars go with the last connection.
    drop(db);
    assert_eq!(dir_names(dir.path()), ["bulkhead.db", "bulkhead.db.lock"]);
}

#[test]
fn readers_work_during_and_after_an_import() {
    let dir = tempfile::tempdir().unwrap();
    store::import(dir.path(), &[feed("crates.io.jsonl.zst")], &mut |_| {}).unwrap();
    let old = Store::open(dir.path()).unwrap();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (path, stop) = (dir.path().to_owned(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let db = Store::open(&path).unwrap();
                    assert_eq!(db.advisories_for("crates.io", "smallvec").unwrap().len(), 5);
                    n += 1;
                }
                n
            })
        })
        .collect();
    store::import(dir.path(), &[feed("Debian-DSA-DLA.jsonl.zst")], &mut |_| {}).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    // The old handle keeps its snapshot; a new one sees both feeds.
    assert!(old
        .advisories_for("Debian:11", "openssl")
        .unwrap()
        .is_empty());
    assert_eq!(
        old.advisories_for("crates.io", "smallvec").unwrap().len(),
        5
    );
    let new = Store::open(dir.path()).unwrap();
    assert_eq!(new.advisories_for("Debian:11", "openssl").unwrap().len(), 5);
    assert_eq!(
        new.advisories_for("crates.io", "smallvec").unwrap().len(),
        5
    );
}

#[test]
fn stale_temp_files_are_removed_and_concurrent_imports_refused() {
    let dir = tempfile::tempdir().unwrap();
    for stale in [
        "bulkhead.db.tmp-99999",
        "bulkhead.db.tmp-99999-journal",
        "bulkhead-download-99999-0.zip",
    ] {
        std::fs::write(dir.path().join(stale), b"left by a crash").unwrap();
    }
    store::import(
        dir.path(),
        &[feed("npm-nodejs-security-wg.jsonl.zst")],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(dir_names(dir.path()), ["bulkhead.db", "bulkhead.db.lock"]);

    // Another importer holds the lock.
    let lock = rusqlite::Connection::open(dir.path().join("bulkhead.db.lock")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = store::import(dir.path(), &[feed("crates.io.jsonl.zst")], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Busy { .. }), "{err:?}");
    lock.execute_batch("ROLLBACK").unwrap();
    store::import(dir.path(), &[feed("crates.io.jsonl.zst")], &mut |_| {}).unwrap();
}

#[test]
fn unknown_advisory_schema_is_dropped_then_rebuilt() {
    // An advisory-only file of an older bulkhead whose version is not 1 (none was released):
    // its tables cannot be read, so the upgrade drops them and the next import rebuilds them.
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("bulkhead.db")).unwrap();
    conn.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '0');")
        .unwrap();
    drop(conn);
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NoDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("bulkhead db import"), "{err}");

    store::import(
        dir.path(),
        &[feed("npm-nodejs-security-wg.jsonl.zst")],
        &mut |_| {},
    )
    .unwrap();
    let db = Store::open(dir.path()).unwrap();
    assert_eq!(db.info().unwrap().advisories, 467);
    drop(db);

    // Not a database at all: refused, and left for the user to move away (it may have held
    // inventories), not overwritten by an import.
    let garbage = vec![b'x'; 4096];
    std::fs::write(dir.path().join("bulkhead.db"), &garbage).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("move it away"), "{err}");
    let err = store::import(dir.path(), &[feed("crates.io.jsonl.zst")], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_eq!(
        std::fs::read(dir.path().join("bulkhead.db")).unwrap(),
        garbage
    );
}
