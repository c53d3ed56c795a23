//! The one database file, `<cache_dir>/bulkhead.db`: advisories, the layer cache and stored
//! inventories. It is updated in place by everyone: WAL journal (readers never block the writer
//! and keep their snapshot until they end their transaction), a busy timeout for writers, and a
//! layout version in `PRAGMA user_version`, upgraded by [`MIGRATIONS`] in order.

use crate::error::{Error, Result};
use crate::legacy;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file inside the cache dir.
pub const DB_FILE_NAME: &str = "bulkhead.db";

/// Each entry upgrades the file from version `index` to `index + 1`. Version 1 is also the
/// layout of the advisory-only `bulkhead.db` written before the single file, whose version lived
/// in `meta.schema_version` (see `legacy.rs`). That key stays `1`: the advisory tables and their
/// encoding are unchanged, so an older bulkhead still reads them (and its import copies the
/// whole file, other tables included) instead of rebuilding the file over stored inventories.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE feeds (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    records_last_import INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE advisories (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    feed TEXT NOT NULL,
    modified TEXT NOT NULL,      -- as written in the record ('' if absent)
    modified_key TEXT NOT NULL,  -- UTC, fixed width: compares chronologically as text
    withdrawn INTEGER NOT NULL,
    dict INTEGER NOT NULL,       -- dictionaries.id, 0 for none
    body BLOB NOT NULL           -- zstd(original JSON), see body.rs
);
CREATE TABLE dictionaries (id INTEGER PRIMARY KEY, dict BLOB NOT NULL);
-- The lookup index: one row per (package, advisory); the primary key is the index.
CREATE TABLE affected (
    ecosystem TEXT NOT NULL,
    name_key TEXT NOT NULL,
    adv INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name_key, adv)
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
",
    "
-- The per-layer analysis cache: opaque zstd-compressed results keyed by the layer's diff_id
-- and the analyzers (names, versions, limits) that produced them.
CREATE TABLE layers (
    diff_id   TEXT NOT NULL,
    analyzers TEXT NOT NULL,
    result    BLOB NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (diff_id, analyzers)
) WITHOUT ROWID;
CREATE TABLE inventories (
    key TEXT PRIMARY KEY,          -- image digest, `rootfs:<absolute path>`, `sbom:<digest|path>`
    name TEXT NOT NULL,            -- as the user named the artifact
    kind TEXT NOT NULL,            -- oci-layout, docker-archive, rootfs, sbom, ...
    digest TEXT,
    revision INTEGER NOT NULL,     -- bumped by every scan: a rescan only updates what it read
    scanned_at TEXT NOT NULL,
    body BLOB NOT NULL,            -- zstd(JSON inventory)
    matched_at TEXT,               -- last scan or rescan that matched it
    findings BLOB                  -- zstd(JSON sorted array of finding ids) at matched_at
) WITHOUT ROWID;
",
    "
-- NuGet and Packagist names became case-insensitive keys (see `name_key`).
UPDATE OR REPLACE affected SET name_key = lower(name_key) WHERE ecosystem IN ('NuGet', 'Packagist');
",
    "
-- Which advisories name an id (CVE, GHSA…) as alias, upstream or related: severity for
-- distro records that carry none comes from the other records about the same CVE.
-- Filled from the stored advisories by `aliases::backfill`.
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT NOT NULL,
    adv INTEGER NOT NULL,
    PRIMARY KEY (alias, adv)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_adv ON aliases (adv);
",
];

/// The layout that added the alias index (filled from the stored advisories on upgrade).
const ALIASES_VERSION: u32 = 4;

/// The layout this bulkhead writes; a file with a newer one is refused.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The layout that added the layer cache and inventories (moved in from their old files).
pub(crate) const SINGLE_FILE_VERSION: u32 = 2;

/// How long a write waits for another (an import holds the lock for its whole run).
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Opens the database in `cache_dir` read-write, upgrading an older layout first. `create`:
/// make the dir and file if missing; otherwise a missing file is [`Error::NoDatabase`].
pub(crate) fn open(cache_dir: &Path, create: bool) -> Result<(PathBuf, Connection)> {
    let path = cache_dir.join(DB_FILE_NAME);
    if create {
        std::fs::create_dir_all(cache_dir).map_err(Error::io(cache_dir))?;
    } else if !path.is_file() {
        return Err(Error::NoDatabase { path });
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(&path, flags).map_err(Error::sql(&path))?;
    // "file is not a database" is worth its own advice; anything else (busy, I/O) is not.
    let fail = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        },
        _ => Error::sql(&path)(e),
    };
    conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(fail)?;
    // auto_vacuum can only be chosen before the first table (setting it later needs a write
    // lock, which an import may hold): imports can then hand pages freed by replaced records
    // back to the file system.
    if pages == 0 {
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
            .map_err(fail)?;
    }
    // None of these needs a lock on a file already in WAL mode.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA journal_size_limit = 16777216;",
    )
    .map_err(fail)?;
    let found = user_version(&conn).map_err(fail)?;
    if found > SCHEMA_VERSION {
        return Err(newer(&path, found));
    }
    if found < SCHEMA_VERSION {
        migrate(&mut conn, &path, cache_dir)?;
    }
    Ok((path, conn))
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn newer(path: &Path, found: u32) -> Error {
    Error::Schema {
        path: path.to_owned(),
        found: found.to_string(),
        expected: SCHEMA_VERSION,
    }
}

/// Brings the file up to [`SCHEMA_VERSION`] in one write transaction (so concurrent openers
/// wait, then find it done), moving in what the older separate files held.
fn migrate(conn: &mut Connection, path: &Path, cache_dir: &Path) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Error::sql(path))?;
    let mut found = user_version(&tx).map_err(Error::sql(path))?;
    if found > SCHEMA_VERSION {
        return Err(newer(path, found));
    }
    if found == 0 {
        found = legacy::advisory_layout(&tx).map_err(Error::sql(path))?;
    }
    let moved = found < SINGLE_FILE_VERSION;
    for (from, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(step).map_err(Error::sql(path))?;
        if from as u32 + 1 == SINGLE_FILE_VERSION {
            legacy::copy_inventories(&tx, cache_dir, path)?;
        }
        if from as u32 + 1 == ALIASES_VERSION {
            crate::aliases::backfill(&tx, path)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(Error::sql(path))?;
    tx.commit().map_err(Error::sql(path))?;
    if moved {
        legacy::remove_old_files(cache_dir);
    }
    Ok(())
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )?;
    Ok(())
}

pub(crate) fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// A count column (SQLite integers are signed).
pub(crate) fn get_u64(row: &rusqlite::Row, i: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
}

/// The key a package name is indexed under: PyPI names per PEP 503 (lowercase, runs of `-_.`
/// become `-`); NuGet and Composer ids ignore ASCII case (`Newtonsoft.Json` is
/// `newtonsoft.json`); every other ecosystem compares names exactly.
pub fn name_key(ecosystem: &str, name: &str) -> String {
    match ecosystem {
        "PyPI" => {}
        "NuGet" | "Packagist" => return name.to_ascii_lowercase(),
        _ => return name.to_owned(),
    }
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn pep503() {
        assert_eq!(name_key("PyPI", "Foo.Bar__baz-_-Qux"), "foo-bar-baz-qux");
        assert_eq!(name_key("PyPI", "requests"), "requests");
        assert_eq!(name_key("npm", "Foo_Bar"), "Foo_Bar");
        assert_eq!(name_key("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(
            name_key("Packagist", "Symfony/HTTP-Kernel"),
            "symfony/http-kernel"
        );
        assert_eq!(name_key("Debian:11", "libc6"), "libc6");
    }
}
