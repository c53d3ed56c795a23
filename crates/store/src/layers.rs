//! The per-layer analysis cache, table `layers` of `<cache_dir>/bulkhead.db`. Keyed by a layer's
//! diff_id and the analyzers (names, versions, limits) that produced the result; values are
//! opaque bytes (the caller's serialized result), stored zstd-compressed. Several scans may share
//! it at once, and an import may run meanwhile: each put is one short upsert that waits for other
//! writers (busy timeout, see `schema.rs`); gets never wait (WAL).

use crate::schema;
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A cached value larger than this after decompression is treated as corrupt.
fn max_value_bytes() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::CacheValue)
}

#[derive(Debug, thiserror::Error)]
#[error("layer cache {}: {message}", path.display())]
pub struct LayerCacheError {
    pub path: PathBuf,
    pub message: String,
}

pub struct LayerCache {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl LayerCache {
    /// Opens (creating it if needed) the cache in `cache_dir`.
    pub fn open(cache_dir: &Path) -> Result<LayerCache, LayerCacheError> {
        let (path, conn) = schema::open(cache_dir, true).map_err(|e| LayerCacheError {
            path: cache_dir.join(schema::DB_FILE_NAME),
            message: e.to_string(),
        })?;
        Ok(LayerCache {
            path,
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, message: impl std::fmt::Display) -> LayerCacheError {
        LayerCacheError {
            path: self.path.clone(),
            message: message.to_string(),
        }
    }

    /// The stored result for this layer and analyzer set, if any.
    pub fn get(&self, diff_id: &str, analyzers: &str) -> Result<Option<Vec<u8>>, LayerCacheError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let compressed: Option<Vec<u8>> = conn
            .prepare_cached("SELECT result FROM layers WHERE diff_id = ?1 AND analyzers = ?2")
            .and_then(|mut stmt| {
                stmt.query_row((diff_id, analyzers), |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.fail(e))?;
        drop(conn);
        let Some(compressed) = compressed else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let decoder = zstd::Decoder::new(compressed.as_slice()).map_err(|e| self.fail(e))?;
        std::io::Read::read_to_end(
            &mut std::io::Read::take(decoder, max_value_bytes() as u64 + 1),
            &mut out,
        )
        .map_err(|e| self.fail(format!("corrupt entry for {diff_id}: {e}")))?;
        if out.len() > max_value_bytes() {
            return Err(self.fail(format!("entry for {diff_id} is implausibly large")));
        }
        Ok(Some(out))
    }

    /// Stores (or replaces) the result for this layer and analyzer set.
    pub fn put(&self, diff_id: &str, analyzers: &str, value: &[u8]) -> Result<(), LayerCacheError> {
        let compressed = zstd::encode_all(value, 3).map_err(|e| self.fail(e))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.prepare_cached(
            "INSERT INTO layers (diff_id, analyzers, result, stored_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (diff_id, analyzers) DO UPDATE SET result = excluded.result, stored_at = excluded.stored_at",
        )
        .and_then(|mut stmt| stmt.execute((diff_id, analyzers, compressed, now)))
        .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_upsert_and_concurrent_writers() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::open(dir.path()).unwrap();
        assert_eq!(cache.get("sha256:a", "dpkg@1").unwrap(), None);
        cache.put("sha256:a", "dpkg@1", b"first").unwrap();
        cache.put("sha256:a", "dpkg@1", b"second").unwrap();
        assert_eq!(
            cache.get("sha256:a", "dpkg@1").unwrap().as_deref(),
            Some(&b"second"[..])
        );
        assert_eq!(cache.get("sha256:a", "dpkg@2").unwrap(), None);

        // Separate connections (as separate processes would have) writing at once.
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let dir = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let cache = LayerCache::open(&dir).unwrap();
                    for i in 0..50 {
                        let key = format!("sha256:{}", i % 10);
                        cache.put(&key, "k", format!("{t}-{i}").as_bytes()).unwrap();
                        assert!(cache.get(&key, "k").unwrap().is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for i in 0..10 {
            assert!(cache.get(&format!("sha256:{i}"), "k").unwrap().is_some());
        }
    }
}
