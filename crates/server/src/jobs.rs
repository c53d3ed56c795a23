//! The server's state in the embedded store (`server.db` beside the advisory database):
//! tenants' tokens (stored as SHA-256 hashes, never in clear), and scan jobs — a queue that
//! worker threads claim under a lease, so a job whose worker died is claimed again once its
//! lease runs out.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    created REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS scans (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    report TEXT,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scans_queue ON scans(status, created);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    min_severity TEXT NOT NULL,
    secret TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    webhook TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_at);
";

/// A tenant's webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub min_severity: String,
}

/// A delivery that is due.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub body: String,
    pub attempts: i64,
}

/// A job stops being retried after this many claims (a scan that kills its worker).
const MAX_ATTEMPTS: i64 = 3;

pub struct Jobs {
    db: Connection,
}

/// What a tenant asked to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A registry reference, pulled by the server.
    Reference(String),
    /// A CycloneDX or SPDX JSON document.
    Sbom(String),
}

/// A job as its tenant sees it.
#[derive(Debug, Clone)]
pub struct Scan {
    pub id: String,
    pub status: String,
    pub report: Option<String>,
    pub error: Option<String>,
}

/// A claimed job, for a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub tenant: String,
    pub request: Request,
}

/// Counts for `/metrics`.
#[derive(Debug, Default)]
pub struct Counts {
    pub by_status: Vec<(String, i64)>,
    /// Seconds spent on finished jobs, and how many.
    pub seconds: f64,
    pub finished: i64,
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The stored form of a token: its SHA-256.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 16 random bytes from the kernel, as hex.
fn random_hex() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex::encode(bytes))
}

impl Jobs {
    pub fn open(cache_dir: &Path) -> Result<Jobs, String> {
        std::fs::create_dir_all(cache_dir).map_err(|e| format!("{}: {e}", cache_dir.display()))?;
        let path = cache_dir.join("server.db");
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|_| db.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| db.execute_batch(SCHEMA))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Jobs { db })
    }

    /// A new token for `tenant`: returned once, stored hashed.
    pub fn create_token(&self, tenant: &str) -> Result<String, String> {
        let token = format!("bh_{}", random_hex().map_err(|e| e.to_string())?);
        self.db
            .execute(
                "INSERT INTO tokens (hash, tenant, created) VALUES (?1, ?2, ?3)",
                params![token_hash(&token), tenant, now()],
            )
            .map_err(|e| e.to_string())?;
        Ok(token)
    }

    /// Revokes a token; false when no live token matches.
    pub fn revoke_token(&self, token: &str) -> Result<bool, String> {
        let changed = self
            .db
            .execute(
                "UPDATE tokens SET revoked = 1 WHERE hash = ?1 AND revoked = 0",
                params![token_hash(token)],
            )
            .map_err(|e| e.to_string())?;
        Ok(changed > 0)
    }

    /// The tenant a bearer token belongs to.
    pub fn tenant(&self, token: &str) -> Result<Option<String>, String> {
        self.db
            .query_row(
                "SELECT tenant FROM tokens WHERE hash = ?1 AND revoked = 0",
                params![token_hash(token)],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| e.to_string())
    }

    pub fn submit(&self, tenant: &str, request: &Request) -> Result<String, String> {
        let id = random_hex().map_err(|e| e.to_string())?;
        let (kind, text) = match request {
            Request::Reference(r) => ("reference", r),
            Request::Sbom(s) => ("sbom", s),
        };
        self.db
            .execute(
                "INSERT INTO scans (id, tenant, kind, request, status, created)
                 VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
                params![id, tenant, kind, text, now()],
            )
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// A tenant's scan; another tenant's id is `None`, exactly like an unknown one.
    pub fn get(&self, tenant: &str, id: &str) -> Result<Option<Scan>, String> {
        self.db
            .query_row(
                "SELECT id, status, report, error FROM scans WHERE id = ?1 AND tenant = ?2",
                params![id, tenant],
                |row| {
                    Ok(Scan {
                        id: row.get(0)?,
                        status: row.get(1)?,
                        report: row.get(2)?,
                        error: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| e.to_string())
    }

    /// Claims the oldest queued job, or a running one whose lease ran out (its worker died).
    pub fn claim(&mut self, lease_seconds: f64) -> Result<Option<Claimed>, String> {
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        let now = now();
        // Jobs that used up their attempts fail instead of killing worker after worker.
        tx.execute(
            "UPDATE scans SET status = 'failed', finished = ?1,
                 error = 'the scan stopped its worker ' || attempts || ' times'
             WHERE status = 'running' AND lease_until < ?1 AND attempts >= ?2",
            params![now, MAX_ATTEMPTS],
        )
        .map_err(|e| e.to_string())?;
        let found: Option<(String, String, String, String)> = tx
            .query_row(
                "SELECT id, kind, request, tenant FROM scans
                 WHERE status = 'queued' OR (status = 'running' AND lease_until < ?1)
                 ORDER BY created LIMIT 1",
                params![now],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        let Some((id, kind, text, tenant)) = found else {
            tx.commit().map_err(|e| e.to_string())?;
            return Ok(None);
        };
        tx.execute(
            "UPDATE scans SET status = 'running', started = ?2, lease_until = ?3,
                 attempts = attempts + 1 WHERE id = ?1",
            params![id, now, now + lease_seconds],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        let request = if kind == "sbom" {
            Request::Sbom(text)
        } else {
            Request::Reference(text)
        };
        Ok(Some(Claimed {
            id,
            tenant,
            request,
        }))
    }

    pub fn finish(&self, id: &str, result: Result<String, String>) -> Result<(), String> {
        let (status, report, error) = match result {
            Ok(report) => ("done", Some(report), None),
            Err(error) => ("failed", None, Some(error)),
        };
        self.db
            .execute(
                "UPDATE scans SET status = ?2, report = ?3, error = ?4, finished = ?5,
                     lease_until = NULL WHERE id = ?1",
                params![id, status, report, error, now()],
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Puts a running job back in the queue (a graceful stop interrupted it).
    pub fn release(&self, id: &str) -> Result<(), String> {
        self.db
            .execute(
                "UPDATE scans SET status = 'queued', lease_until = NULL,
                     attempts = MAX(attempts - 1, 0) WHERE id = ?1 AND status = 'running'",
                params![id],
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Registers a webhook; returns its id and the secret its deliveries are signed with.
    pub fn add_webhook(
        &self,
        tenant: &str,
        url: &str,
        min_severity: &str,
    ) -> Result<(String, String), String> {
        let id = random_hex().map_err(|e| e.to_string())?;
        let secret = random_hex().map_err(|e| e.to_string())?;
        self.db
            .execute(
                "INSERT INTO webhooks (id, tenant, url, min_severity, secret, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, tenant, url, min_severity, secret, now()],
            )
            .map_err(|e| e.to_string())?;
        Ok((id, secret))
    }

    pub fn webhooks(&self, tenant: &str) -> Result<Vec<Webhook>, String> {
        let mut stmt = self
            .db
            .prepare("SELECT id, min_severity FROM webhooks WHERE tenant = ?1 ORDER BY created")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map(params![tenant], |row| {
                Ok(Webhook {
                    id: row.get(0)?,
                    min_severity: row.get(1)?,
                })
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }

    pub fn add_delivery(&self, webhook: &str, body: &str) -> Result<(), String> {
        let id = random_hex().map_err(|e| e.to_string())?;
        self.db
            .execute(
                "INSERT INTO deliveries (id, webhook, body, status, next_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4)",
                params![id, webhook, body, now()],
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Claims the pending deliveries whose time has come, oldest first (a few at a time): they
    /// are not due again for a minute, so two workers do not send the same one at once.
    pub fn due_deliveries(&self, now: f64) -> Result<Vec<Delivery>, String> {
        let tx = self.db.unchecked_transaction().map_err(|e| e.to_string())?;
        let mut stmt = tx
            .prepare(
                "SELECT d.id, w.url, w.secret, d.body, d.attempts FROM deliveries d
                 JOIN webhooks w ON w.id = d.webhook
                 WHERE d.status = 'pending' AND d.next_at <= ?1 ORDER BY d.next_at LIMIT 16",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map(params![now], |row| {
                Ok(Delivery {
                    id: row.get(0)?,
                    url: row.get(1)?,
                    secret: row.get(2)?,
                    body: row.get(3)?,
                    attempts: row.get(4)?,
                })
            })
            .map_err(|e| e.to_string())?;
        let due: Vec<Delivery> = rows.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
        drop(stmt);
        for d in &due {
            tx.execute(
                "UPDATE deliveries SET next_at = ?2 WHERE id = ?1",
                params![d.id, now + 60.0],
            )
            .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        Ok(due)
    }

    /// Records an attempt: delivered, retried at `retry`, or given up after `max` attempts.
    pub fn delivery_result(
        &self,
        id: &str,
        ok: bool,
        error: &str,
        retry: f64,
        max: i64,
    ) -> Result<(), String> {
        self.db
            .execute(
                "UPDATE deliveries SET attempts = attempts + 1, error = ?2, next_at = ?3,
                     status = CASE WHEN ?4 THEN 'delivered'
                                   WHEN attempts + 1 >= ?5 THEN 'failed'
                                   ELSE 'pending' END
                 WHERE id = ?1",
                params![id, error, retry, ok, max],
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    pub fn counts(&self) -> Result<Counts, String> {
        let mut counts = Counts::default();
        let mut stmt = self
            .db
            .prepare("SELECT status, COUNT(*) FROM scans GROUP BY status ORDER BY status")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| e.to_string())?;
        for row in rows {
            counts.by_status.push(row.map_err(|e| e.to_string())?);
        }
        (counts.seconds, counts.finished) = self
            .db
            .query_row(
                "SELECT COALESCE(SUM(finished - started), 0), COUNT(*) FROM scans
                 WHERE finished IS NOT NULL AND started IS NOT NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|e| e.to_string())?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_and_jobs_are_claimed_once_under_a_lease() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = Jobs::open(dir.path()).unwrap();
        let token = jobs.create_token("team-a").unwrap();
        assert_eq!(jobs.tenant(&token).unwrap().as_deref(), Some("team-a"));
        let stored: String = jobs
            .db
            .query_row("SELECT hash FROM tokens", [], |r| r.get(0))
            .unwrap();
        assert!(!stored.contains(&token[3..]));

        let id = jobs
            .submit("team-a", &Request::Reference("r.example/app:1".into()))
            .unwrap();
        assert!(jobs.get("team-b", &id).unwrap().is_none());
        let claimed = jobs.claim(60.0).unwrap().unwrap();
        assert_eq!(claimed.id, id);
        assert!(jobs.claim(60.0).unwrap().is_none(), "claimed twice");
        // A lease that ran out: the job is claimed again.
        jobs.db
            .execute("UPDATE scans SET lease_until = 0", [])
            .unwrap();
        assert_eq!(jobs.claim(60.0).unwrap().unwrap().id, id);
        jobs.finish(&id, Ok("{}".into())).unwrap();
        let scan = jobs.get("team-a", &id).unwrap().unwrap();
        assert_eq!(scan.status, "done");
        assert!(jobs.revoke_token(&token).unwrap());
        assert!(jobs.tenant(&token).unwrap().is_none());
    }
}
