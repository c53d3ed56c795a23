//! The alias index: which stored advisories name a CVE (or GHSA, or any id) in `aliases`,
//! `upstream` or `related`. Distro advisories rarely rate their own severity (Debian DSA/DLA,
//! Alpine); other records about the same CVE often do (AlmaLinux's "Important", a CVSS vector).

use crate::body::Decoders;
use crate::error::{Error, Result};
use crate::osv::Advisory;
use crate::store::Store;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::Path;

/// The ids an advisory is indexed under: its aliases, upstream and related ids.
pub(crate) fn alias_keys(adv: &Advisory) -> BTreeSet<&str> {
    adv.aliases
        .iter()
        .chain(&adv.upstream)
        .chain(&adv.related)
        .map(|a| a.trim())
        .filter(|a| !a.is_empty() && a.len() <= 128 && *a != adv.id)
        .collect()
}

pub(crate) fn insert(conn: &Connection, db: &Path, adv: &Advisory, rowid: i64) -> Result<()> {
    let mut ins = conn
        .prepare_cached("INSERT OR IGNORE INTO aliases (alias, adv) VALUES (?1, ?2)")
        .map_err(Error::sql(db))?;
    for alias in alias_keys(adv) {
        ins.execute((alias, rowid)).map_err(Error::sql(db))?;
    }
    Ok(())
}

pub(crate) fn remove(conn: &Connection, db: &Path, rowid: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM aliases WHERE adv = ?1")
        .and_then(|mut s| s.execute([rowid]))
        .map_err(Error::sql(db))?;
    Ok(())
}

/// Fills the index from the stored advisories (the upgrade to the layout that added it).
pub(crate) fn backfill(conn: &Connection, db: &Path) -> Result<()> {
    let mut decoders = Decoders::default();
    let mut stmt = conn
        .prepare("SELECT rowid, dict, body FROM advisories")
        .map_err(Error::sql(db))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, Vec<u8>>(2)?))
        })
        .map_err(Error::sql(db))?;
    for row in rows {
        let (rowid, dict, body) = row.map_err(Error::sql(db))?;
        let adv = decoders
            .decode(conn, dict, &body)
            .map_err(|message| Error::Corrupt {
                path: db.to_path_buf(),
                message,
            })?;
        insert(conn, db, &adv, rowid)?;
    }
    Ok(())
}

impl Store {
    /// [`Store::advisories_naming`], decoded once per handle and shared: matching many
    /// inventories (rescan) asks about the same CVEs again and again.
    pub fn advisories_naming_shared(&self, id: &str) -> Result<std::sync::Arc<Vec<Advisory>>> {
        let memo = || self.alias_memo.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = memo().get(id) {
            return Ok(found.clone());
        }
        let found = std::sync::Arc::new(self.advisories_naming(id)?);
        memo().insert(id.to_string(), found.clone());
        Ok(found)
    }

    /// Every non-withdrawn advisory whose id is `id` or that names `id` as an alias, upstream
    /// or related id, ordered by id.
    pub fn advisories_naming(&self, id: &str) -> Result<Vec<Advisory>> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let mut stmt = inner
            .conn
            .prepare_cached(
                "SELECT a.dict, a.body FROM advisories a WHERE a.id = ?1 AND a.withdrawn = 0
                 UNION ALL
                 SELECT a.dict, a.body FROM aliases x JOIN advisories a ON a.rowid = x.adv
                 WHERE x.alias = ?1 AND a.withdrawn = 0",
            )
            .map_err(Error::sql(&self.path))?;
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(Error::sql(&self.path))?
            .collect::<rusqlite::Result<_>>()
            .map_err(Error::sql(&self.path))?;
        drop(stmt);
        let mut out = Vec::with_capacity(rows.len());
        for (dict, body) in rows {
            let adv = inner
                .decoders
                .decode(&inner.conn, dict, &body)
                .map_err(|message| Error::Corrupt {
                    path: self.path.clone(),
                    message,
                })?;
            out.push(adv);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}
