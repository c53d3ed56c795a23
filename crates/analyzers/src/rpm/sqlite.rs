//! `rpmdb.sqlite` (rpm 4.16+): table `Packages (hnum INTEGER PRIMARY KEY, blob BLOB)`.
//! The database is opened from memory; it never touches the disk.

use rusqlite::{Connection, OpenFlags, MAIN_DB};
use std::io::Read;

/// More rows than any real system has; a bound on work for crafted files.
fn max_rows() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::RpmRows)
}

pub fn is_sqlite(data: &[u8]) -> bool {
    data.starts_with(b"SQLite format 3\0")
}

fn err(e: rusqlite::Error) -> String {
    format!("rpm sqlite: {e}")
}

/// The header blobs, in table order (by `hnum`).
pub fn blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if data.len() < 100 || !is_sqlite(data) {
        return Err("not an SQLite database (bad magic or too short)".into());
    }
    check_size(data)?;
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    // rpm writes in WAL mode (header bytes 18/19 = 2); the in-memory VFS cannot open WAL
    // databases, so present the legacy journal mode instead. Only committed pages are in
    // the main file anyway.
    let reader = data[..18].chain(&[1u8, 1][..]).chain(&data[20..]);
    conn.deserialize_read_exact(MAIN_DB, reader, data.len(), true)
        .map_err(err)?;
    // Crafted schemas must not run code or views under our query.
    conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;")
        .map_err(err)?;
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(err(e)),
        })?;
    if kind.as_deref() != Some("table") {
        return Err("rpm sqlite: no Packages table".into());
    }
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        if out.len() == max_rows() {
            return Err(format!(
                "rpm sqlite: more than {} packages ({})",
                max_rows(),
                inventory::limits::hint(inventory::limits::Limit::RpmRows)
            ));
        }
        let blob: Vec<u8> = row.get(0).map_err(err)?;
        out.push(blob);
    }
    Ok(out)
}

/// SQLite reads a cut-off file without complaint as long as the pages it needs are there;
/// the header's page count (when valid) tells us the file lost its tail.
fn check_size(data: &[u8]) -> Result<(), String> {
    let be32 = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let page_size = match u16::from_be_bytes([data[16], data[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let pages = be32(28) as usize;
    // The count is only trusted when the change counter matches "version-valid-for".
    if pages != 0 && be32(24) == be32(92) && page_size.saturating_mul(pages) > data.len() {
        return Err(format!(
            "rpm sqlite truncated: header says {pages} pages of {page_size} bytes, file has {} bytes",
            data.len()
        ));
    }
    Ok(())
}
