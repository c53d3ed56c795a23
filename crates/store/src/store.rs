//! Reading the database: `Store` and the advisory lookup.

use crate::body::Decoders;
use crate::error::{Error, Result};
use crate::osv::Advisory;
use crate::schema::{self, get_u64, name_key};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Advisories already decoded, per (ecosystem, name key): matching many inventories (rescan)
/// looks the same names up again and again.
type Memo = Mutex<MemoMap>;
type MemoMap = HashMap<(String, String), Arc<Vec<Advisory>>>;

/// A read-only handle on the advisories in `<cache_dir>/bulkhead.db`. It reads one snapshot for
/// its whole life (a read transaction opened with it and never ended), so an import that commits
/// meanwhile is not seen, neither in part nor whole: open a new `Store` to see the new data.
/// Keep it no longer than a scan or rescan needs, since the WAL cannot be checkpointed past a
/// snapshot still being read. `Sync`: lookups from several threads are serialised on one connection.
pub struct Store {
    pub(crate) path: PathBuf,
    inner: Mutex<Inner>,
    memo: Memo,
    /// [`Store::advisories_naming_shared`]'s answers, per id.
    pub(crate) alias_memo: Mutex<HashMap<String, Arc<Vec<Advisory>>>>,
    ecosystems: OnceLock<Vec<(String, u64)>>,
}

pub(crate) struct Inner {
    pub conn: Connection,
    pub(crate) decoders: Decoders,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the advisory database in `cache_dir`: [`Error::NoDatabase`] if nothing was imported
    /// yet (the file may exist, holding only the layer cache or inventories), [`Error::Schema`]
    /// if it was written by a newer bulkhead.
    pub fn open(cache_dir: &Path) -> Result<Store> {
        let (path, conn) = schema::open(cache_dir, false)?;
        // The snapshot starts at the first read, in the same transaction.
        conn.execute_batch("BEGIN").map_err(Error::sql(&path))?;
        // Every import sets `updated_at`, in the transaction that adds its records.
        if schema::meta(&conn, "updated_at")
            .map_err(Error::sql(&path))?
            .is_none()
        {
            return Err(Error::NoDatabase { path });
        }
        Ok(Store {
            path,
            inner: Mutex::new(Inner {
                conn,
                decoders: Decoders::default(),
            }),
            memo: Memo::default(),
            alias_memo: Mutex::default(),
            ecosystems: OnceLock::new(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the last import (in this handle's snapshot) committed, RFC 3339 UTC. Not the file's
    /// mtime: scans write the layer cache and inventories to the same file.
    pub fn updated_at(&self) -> Result<String> {
        schema::meta(&self.lock().conn, "updated_at")
            .map(Option::unwrap_or_default)
            .map_err(Error::sql(&self.path))
    }

    /// Which update this is: imports counted, with the time of the last (`"3 2026-…Z"`); two
    /// updates never share it, even within one second.
    pub fn update_id(&self) -> Result<String> {
        let conn = &self.lock().conn;
        let generation = schema::meta(conn, "generation").map_err(Error::sql(&self.path))?;
        let at = schema::meta(conn, "updated_at").map_err(Error::sql(&self.path))?;
        Ok(format!(
            "{} {}",
            generation.unwrap_or_else(|| "0".into()),
            at.unwrap_or_default()
        ))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock cannot leave a read-only connection inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every non-withdrawn advisory with an `affected[]` package in exactly `ecosystem`
    /// (e.g. `Debian:11`, `Alpine:v3.11`, `PyPI`) named `name` (PyPI names compared per PEP 503,
    /// others exactly), ordered by id. The whole advisory is returned, all `affected[]` entries included.
    pub fn advisories_for(&self, ecosystem: &str, name: &str) -> Result<Vec<Advisory>> {
        let mut guard = self.lock();
        let Inner { conn, decoders } = &mut *guard;
        let mut stmt = conn
            .prepare_cached(
                "SELECT a.dict, a.body FROM affected f JOIN advisories a ON a.rowid = f.adv
                 WHERE f.ecosystem = ?1 AND f.name_key = ?2 AND a.withdrawn = 0 ORDER BY a.id",
            )
            .map_err(Error::sql(&self.path))?;
        let rows = stmt
            .query_map((ecosystem, name_key(ecosystem, name)), |r| {
                Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(Error::sql(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (dict, body) = row.map_err(Error::sql(&self.path))?;
            let adv = decoders.decode(conn, dict, &body);
            out.push(adv.map_err(|message| Error::Corrupt {
                path: self.path.clone(),
                message,
            })?);
        }
        Ok(out)
    }

    fn memo(&self) -> MutexGuard<'_, MemoMap> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Store::advisories_for`], decoded once per handle and shared: a `Store` reads one
    /// snapshot, so the answer cannot go stale while the handle lives.
    pub fn advisories_shared(&self, ecosystem: &str, name: &str) -> Result<Arc<Vec<Advisory>>> {
        let key = (ecosystem.to_owned(), name_key(ecosystem, name));
        if let Some(found) = self.memo().get(&key) {
            return Ok(found.clone());
        }
        let found = Arc::new(self.advisories_for(ecosystem, name)?);
        self.memo().insert(key, found.clone());
        Ok(found)
    }

    /// The ecosystems present, each with its number of non-withdrawn advisories, sorted by name.
    pub fn ecosystems(&self) -> Result<Vec<(String, u64)>> {
        if let Some(known) = self.ecosystems.get() {
            return Ok(known.clone());
        }
        let found = self.count_ecosystems()?;
        Ok(self.ecosystems.get_or_init(|| found).clone())
    }

    fn count_ecosystems(&self) -> Result<Vec<(String, u64)>> {
        let guard = self.lock();
        let mut stmt = guard
            .conn
            .prepare_cached(
                "SELECT f.ecosystem, COUNT(DISTINCT f.adv) FROM affected f
                 JOIN advisories a ON a.rowid = f.adv WHERE a.withdrawn = 0
                 GROUP BY f.ecosystem ORDER BY f.ecosystem",
            )
            .map_err(Error::sql(&self.path))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, get_u64(r, 1)?)))
            .map_err(Error::sql(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(Error::sql(&self.path))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Store>();
    }
}
