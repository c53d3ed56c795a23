//! The database layout. The file is only ever written as a fresh copy that is renamed into place
//! (see `import`), so readers never see a half-written database and the file never needs a journal.

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// Bump when the tables, the body encoding or the name normalisation change.
pub const SCHEMA_VERSION: u32 = 1;

/// The database file inside the cache dir.
pub const DB_FILE_NAME: &str = "bulkhead.db";

const CREATE: &str = "
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
";

/// Creates the tables in an empty database and stamps the schema version and build time.
pub(crate) fn create(conn: &Connection, now: &str) -> rusqlite::Result<()> {
    conn.execute_batch(CREATE)?;
    set_meta(conn, "schema_version", &SCHEMA_VERSION.to_string())?;
    set_meta(conn, "created_at", now)?;
    set_meta(conn, "updated_at", now)
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

/// Opens an existing database read-only and checks its schema version.
pub(crate) fn open_checked(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NoDatabase {
            path: path.to_owned(),
        });
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(Error::sql(path))?;
    let corrupt = |e: rusqlite::Error| Error::Corrupt {
        path: path.to_owned(),
        message: e.to_string(),
    };
    // Readers may overlap a rename by an import; they then keep reading the old file, which is fine.
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(corrupt)?;
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )
        .map_err(corrupt)?;
    let found = if has_meta {
        meta(&conn, "schema_version").map_err(corrupt)?
    } else {
        None
    };
    match found {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(conn),
        other => Err(Error::Schema {
            path: path.to_owned(),
            found: other.unwrap_or_else(|| "none".into()),
            expected: SCHEMA_VERSION,
        }),
    }
}

/// The key a package name is indexed under: PyPI names per PEP 503 (lowercase, runs of `-_.`
/// become `-`); every other ecosystem compares names exactly.
pub fn name_key(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_owned();
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
        assert_eq!(name_key("Debian:11", "libc6"), "libc6");
    }
}
