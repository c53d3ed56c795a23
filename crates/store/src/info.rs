//! `Store::info`: what the database holds, for `bulkhead db info`.

use crate::error::{Error, Result};
use crate::schema::{self, get_u64};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInfo {
    pub path: std::path::PathBuf,
    pub schema_version: u32,
    /// When the database was first built (RFC 3339, UTC).
    pub built_at: String,
    /// When the last import finished (RFC 3339, UTC).
    pub updated_at: String,
    /// The whole file: the layer cache and stored inventories too.
    pub size_bytes: u64,
    /// All stored advisories, withdrawn included.
    pub advisories: u64,
    pub feeds: Vec<FeedInfo>,
    pub ecosystems: Vec<EcosystemInfo>,
}

/// A feed: the input file name without extensions (`Debian-DSA-DLA`), or the ecosystem of an
/// osv.dev `all.zip`. A record counts for the feed it was last added or replaced from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    pub name: String,
    pub records: u64,
    pub withdrawn: u64,
    /// The newest `modified` among its records, as written in the record.
    pub newest_modified: Option<String>,
    /// The path or URL last imported for it.
    pub source: String,
    pub imported_at: String,
}

/// An exact ecosystem (`Debian:11`), over non-withdrawn advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemInfo {
    pub name: String,
    pub advisories: u64,
    /// Distinct affected package names (normalised).
    pub packages: u64,
}

impl Store {
    pub fn info(&self) -> Result<DbInfo> {
        let sql = |e| Error::sql(&self.path)(e);
        let guard = self.lock();
        let conn = &guard.conn;
        let meta = |k: &str| {
            schema::meta(conn, k)
                .map(Option::unwrap_or_default)
                .map_err(sql)
        };
        let (built_at, updated_at) = (meta("created_at")?, meta("updated_at")?);
        let advisories = conn
            .query_row("SELECT COUNT(*) FROM advisories", [], |r| get_u64(r, 0))
            .map_err(sql)?;

        // Every import writes its feeds' rows, so `feeds` lists them all, also those whose records
        // all came in newer from another feed. SQLite takes the bare `modified` from the row
        // holding MAX(modified_key).
        let mut stmt = conn
            .prepare(
                "SELECT f.name, g.n, g.w, g.modified, f.source, f.imported_at
                 FROM feeds f LEFT JOIN (
                     SELECT feed, COUNT(*) AS n, SUM(withdrawn) AS w, MAX(modified_key), modified
                     FROM advisories GROUP BY feed
                 ) g ON g.feed = f.name
                 ORDER BY f.name",
            )
            .map_err(sql)?;
        let feeds = stmt
            .query_map([], |r| {
                let modified: String = r.get::<_, Option<String>>(3)?.unwrap_or_default();
                Ok(FeedInfo {
                    name: r.get(0)?,
                    records: get_u64(r, 1)?,
                    withdrawn: get_u64(r, 2)?,
                    newest_modified: (!modified.is_empty()).then_some(modified),
                    source: r.get(4)?,
                    imported_at: r.get(5)?,
                })
            })
            .map_err(sql)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql)?;

        let mut stmt = conn
            .prepare(
                "SELECT f.ecosystem, COUNT(DISTINCT f.adv), COUNT(DISTINCT f.name_key) FROM affected f
                 JOIN advisories a ON a.rowid = f.adv WHERE a.withdrawn = 0
                 GROUP BY f.ecosystem ORDER BY f.ecosystem",
            )
            .map_err(sql)?;
        let ecosystems = stmt
            .query_map([], |r| {
                Ok(EcosystemInfo {
                    name: r.get(0)?,
                    advisories: get_u64(r, 1)?,
                    packages: get_u64(r, 2)?,
                })
            })
            .map_err(sql)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql)?;

        let size_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        Ok(DbInfo {
            path: self.path.clone(),
            schema_version: schema::SCHEMA_VERSION,
            built_at,
            updated_at,
            size_bytes,
            advisories,
            feeds,
            ecosystems,
        })
    }
}
