//! Cache dirs written before the single file: an advisory-only `bulkhead.db` (layout 1, its
//! version in `meta.schema_version`), `inventories.db` (stored inventories, `user_version` 1)
//! and `layers.db` (the layer cache). Moving to the single file keeps the advisories where they
//! are, copies the inventories in within the migration's transaction, and deletes both old files
//! once it has committed. The layer cache is only a cache: it is dropped, not copied.

use crate::error::{Error, Result};
use crate::schema;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

const OLD_INVENTORIES: &str = "inventories.db";
const OLD_LAYERS: &str = "layers.db";

/// The layout of a file whose `user_version` is 0: 1 for an older bulkhead's advisory database
/// (kept as it is), 0 for a new file. Advisory tables of any other version (none was released)
/// are dropped; the next import fills the new ones.
pub(crate) fn advisory_layout(tx: &Connection) -> rusqlite::Result<u32> {
    let has_meta: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(0);
    }
    if schema::meta(tx, "schema_version")?.as_deref() == Some("1") {
        return Ok(1);
    }
    tx.execute_batch(
        "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS feeds; DROP TABLE IF EXISTS advisories;
         DROP TABLE IF EXISTS dictionaries; DROP TABLE IF EXISTS affected;",
    )?;
    Ok(0)
}

/// Copies every row of `<cache_dir>/inventories.db`, if there is one, into `tx`'s new
/// `inventories` table. Failing to read it fails the migration (rather than losing the rows).
pub(crate) fn copy_inventories(tx: &Connection, cache_dir: &Path, db: &Path) -> Result<()> {
    let old = cache_dir.join(OLD_INVENTORIES);
    if !old.is_file() {
        return Ok(());
    }
    let fail = |message: String| Error::Migration {
        from: old.clone(),
        to: db.to_owned(),
        message,
    };
    // Read-write: an old WAL must be readable (and recovered) like any other.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let src = Connection::open_with_flags(&old, flags).map_err(|e| fail(e.to_string()))?;
    src.busy_timeout(Duration::from_secs(10))
        .map_err(|e| fail(e.to_string()))?;
    let version: u32 = src
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| fail(e.to_string()))?;
    match version {
        0 => return Ok(()), // created, never written
        1 => {}
        v => return Err(fail(format!("unknown layout version {v}"))),
    }
    let columns = "key, name, kind, digest, revision, scanned_at, body, matched_at, findings";
    let mut rows = src
        .prepare(&format!("SELECT {columns} FROM inventories"))
        .map_err(|e| fail(e.to_string()))?;
    let mut insert = tx
        .prepare(&format!(
            "INSERT INTO inventories ({columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))
        .map_err(Error::sql(db))?;
    let mut rows = rows.query([]).map_err(|e| fail(e.to_string()))?;
    while let Some(row) = rows.next().map_err(|e| fail(e.to_string()))? {
        let values = (0..9)
            .map(|i| row.get::<_, rusqlite::types::Value>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| fail(e.to_string()))?;
        insert
            .execute(rusqlite::params_from_iter(values))
            .map_err(Error::sql(db))?;
    }
    Ok(())
}

/// Deletes the old files and their SQLite sidecars; whatever cannot be deleted is left alone.
pub(crate) fn remove_old_files(cache_dir: &Path) {
    for name in [OLD_INVENTORIES, OLD_LAYERS] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(cache_dir.join(format!("{name}{suffix}")));
        }
    }
}
