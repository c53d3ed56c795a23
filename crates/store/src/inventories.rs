//! Stored inventories: what each scan found (OS, packages with their layers), kept so that
//! `bulkhead rescan` can re-match them against newer advisories without reading images again.
//!
//! Table `inventories` of `<cache_dir>/bulkhead.db` (layout in `schema.rs`). Every write is one
//! short `BEGIN IMMEDIATE` transaction that waits for other writers (busy timeout), so any number
//! of bulkhead processes may scan and rescan at once, also while an import runs.
//!
//! Bodies (the inventory, the finding ids) are JSON compressed with zstd: a 500-package
//! inventory is about 10 KiB.

use crate::error::{Error, Result};
use crate::schema::{self, DB_FILE_NAME};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Longest an inventory body may decompress to (a hostile or corrupt row cannot exhaust memory).
fn max_body_bytes() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::StoredInventory)
}

/// What identifies the artifact an inventory was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactKey {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub digest: Option<String>,
}

/// One stored inventory, body still compressed: decode it with [`StoredInventory::inventory`].
#[derive(Debug, Clone)]
pub struct StoredInventory {
    pub artifact: ArtifactKey,
    pub revision: i64,
    pub scanned_at: String,
    pub matched_at: Option<String>,
    body: Vec<u8>,
    findings: Option<Vec<u8>>,
}

impl StoredInventory {
    pub fn inventory<T: DeserializeOwned>(&self) -> Result<T> {
        decode(&self.body, &self.artifact.key)
    }

    /// The finding ids recorded at the last match (empty if never matched).
    pub fn findings(&self) -> Result<Vec<String>> {
        match &self.findings {
            Some(bytes) => decode(bytes, &self.artifact.key),
            None => Ok(Vec::new()),
        }
    }
}

/// A read-write handle on the inventories in `<cache_dir>/bulkhead.db`, created on first use.
pub struct InventoryStore {
    path: PathBuf,
    conn: Connection,
}

impl InventoryStore {
    pub fn open(cache_dir: &Path) -> Result<InventoryStore> {
        let (path, conn) = schema::open(cache_dir, true)?;
        Ok(InventoryStore { path, conn })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores (or replaces) the inventory of `artifact` with the findings just matched.
    pub fn save<T: Serialize>(
        &mut self,
        artifact: &ArtifactKey,
        inventory: &T,
        findings: &[String],
        now: &str,
    ) -> Result<()> {
        let body = encode(inventory, &self.path)?;
        let findings = encode(&findings, &self.path)?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sql(&path))?;
        tx.execute(
            "INSERT INTO inventories
                 (key, name, kind, digest, revision, scanned_at, body, matched_at, findings)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?5, ?7)
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                 digest = excluded.digest, revision = revision + 1,
                 scanned_at = excluded.scanned_at, body = excluded.body,
                 matched_at = excluded.matched_at, findings = excluded.findings",
            rusqlite::params![
                artifact.key,
                artifact.name,
                artifact.kind,
                artifact.digest,
                now,
                body,
                findings
            ],
        )
        .map_err(Error::sql(&path))?;
        tx.commit().map_err(Error::sql(&path))
    }

    /// Every stored inventory, ordered by key.
    pub fn all(&self) -> Result<Vec<StoredInventory>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, name, kind, digest, revision, scanned_at, matched_at, body, findings
                 FROM inventories ORDER BY key",
            )
            .map_err(Error::sql(&self.path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredInventory {
                    artifact: ArtifactKey {
                        key: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                        digest: r.get(3)?,
                    },
                    revision: r.get(4)?,
                    scanned_at: r.get(5)?,
                    matched_at: r.get(6)?,
                    body: r.get(7)?,
                    findings: r.get(8)?,
                })
            })
            .map_err(Error::sql(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(Error::sql(&self.path))
    }

    /// Records the findings of a rescan, each for the revision it matched: a row that a scan
    /// replaced meanwhile keeps the scan's newer findings. Returns how many rows were updated.
    pub fn record_matches(
        &mut self,
        matched: &[(String, i64, Vec<String>)],
        now: &str,
    ) -> Result<usize> {
        let path = self.path.clone();
        let encoded = matched
            .iter()
            .map(|(key, revision, findings)| Ok((key, revision, encode(findings, &path)?)))
            .collect::<Result<Vec<_>>>()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sql(&path))?;
        let mut updated = 0;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE inventories SET matched_at = ?1, findings = ?2
                     WHERE key = ?3 AND revision = ?4",
                )
                .map_err(Error::sql(&path))?;
            for (key, revision, findings) in &encoded {
                updated += stmt
                    .execute(rusqlite::params![now, findings, key, revision])
                    .map_err(Error::sql(&path))?;
            }
        }
        tx.commit().map_err(Error::sql(&path))?;
        Ok(updated)
    }

    /// The number of stored inventories.
    pub fn count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM inventories", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|n| n.unwrap_or(0).max(0) as u64)
            .map_err(Error::sql(&self.path))
    }
}

/// JSON streamed into zstd: the uncompressed text of a large inventory is never held whole.
fn encode<T: Serialize + ?Sized>(value: &T, path: &Path) -> Result<Vec<u8>> {
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).map_err(Error::io(path))?;
    serde_json::to_writer(std::io::BufWriter::new(&mut encoder), value).map_err(|e| {
        Error::Corrupt {
            path: path.to_owned(),
            message: e.to_string(),
        }
    })?;
    encoder.finish().map_err(Error::io(path))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], key: &str) -> Result<T> {
    let corrupt = |message: String| Error::Corrupt {
        path: PathBuf::from(DB_FILE_NAME),
        message: format!("stored inventory {key}: {message}"),
    };
    let json =
        zstd::bulk::decompress(bytes, max_body_bytes()).map_err(|e| corrupt(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> ArtifactKey {
        ArtifactKey {
            key: k.into(),
            name: format!("name of {k}"),
            kind: "oci-layout".into(),
            digest: Some(k.into()),
        }
    }

    #[test]
    fn save_list_rescan_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = InventoryStore::open(dir.path()).unwrap();
        let inv = serde_json::json!({"packages": [{"name": "bash", "version": "5.2"}]});
        store
            .save(&key("sha256:aa"), &inv, &["CVE-1 bash 5.2".into()], "t1")
            .unwrap();
        store.save(&key("sha256:bb"), &inv, &[], "t1").unwrap();
        let all = store.all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].artifact, key("sha256:aa"));
        assert_eq!(all[0].inventory::<serde_json::Value>().unwrap(), inv);
        assert_eq!(all[0].findings().unwrap(), ["CVE-1 bash 5.2"]);
        // A scan between reading and recording wins over the stale rescan.
        store
            .save(&key("sha256:bb"), &inv, &["new".into()], "t2")
            .unwrap();
        let stale = vec![
            (
                "sha256:aa".to_string(),
                all[0].revision,
                vec!["x".to_string()],
            ),
            (
                "sha256:bb".to_string(),
                all[1].revision,
                vec!["stale".to_string()],
            ),
        ];
        assert_eq!(store.record_matches(&stale, "t3").unwrap(), 1);
        drop(store);
        let store = InventoryStore::open(dir.path()).unwrap();
        let all = store.all().unwrap();
        assert_eq!(all[0].findings().unwrap(), ["x"]);
        assert_eq!(all[1].findings().unwrap(), ["new"]);
        assert_eq!(all[1].revision, 2);
        assert_eq!(store.count().unwrap(), 2);
    }

    #[test]
    fn newer_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(InventoryStore::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = InventoryStore::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("99"), "{err}");
    }

    #[test]
    fn concurrent_writers_do_not_fail() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let dir = dir.path().to_owned();
                std::thread::spawn(move || {
                    let mut store = InventoryStore::open(&dir).unwrap();
                    for i in 0..25 {
                        let k = key(&format!("sha256:{t}-{i}"));
                        store.save(&k, &vec![i; 100], &[], "now").unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            InventoryStore::open(dir.path()).unwrap().count().unwrap(),
            100
        );
    }
}
