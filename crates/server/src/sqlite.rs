//! The embedded store: `server.db` (SQLite, WAL) beside the advisory database, for a single
//! node. Each thread opens its own connection; a claim is an IMMEDIATE transaction, so two
//! workers never take the same job.

use crate::store::{
    new_token, now, random_hex, token_hash, Claimed, Counts, Delivery, Image, ImageFacts, Request,
    Scan, Store, Webhook, MAX_ATTEMPTS,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

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

pub struct Embedded {
    db: Connection,
}

fn text(e: rusqlite::Error) -> String {
    e.to_string()
}

fn insert_deliveries(tx: &Connection, deliveries: &[(String, String)]) -> Result<(), String> {
    for (webhook, body) in deliveries {
        tx.execute(
            "INSERT INTO deliveries (id, webhook, body, status, next_at)
             VALUES (?1, ?2, ?3, 'pending', ?4)",
            params![random_hex()?, webhook, body, now()],
        )
        .map_err(text)?;
    }
    Ok(())
}

/// Columns added since the first release, for stores made before them: the image digest a
/// scan named, and a pull's credentials (kept until the job ends).
fn add_columns(db: &Connection) -> rusqlite::Result<()> {
    for (column, extra) in [
        (
            "digest",
            "CREATE INDEX IF NOT EXISTS scans_digest ON scans(digest);",
        ),
        ("secret", ""),
        ("name", ""),
        ("summary", ""),
    ] {
        let has: i64 = db.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('scans') WHERE name = ?1",
            params![column],
            |row| row.get(0),
        )?;
        if has == 0 {
            db.execute_batch(&format!(
                "ALTER TABLE scans ADD COLUMN {column} TEXT; {extra}"
            ))?;
        }
    }
    Ok(())
}

impl Embedded {
    pub fn open(cache_dir: &Path) -> Result<Embedded, String> {
        std::fs::create_dir_all(cache_dir).map_err(|e| format!("{}: {e}", cache_dir.display()))?;
        let path = cache_dir.join("server.db");
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|_| db.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| db.execute_batch(SCHEMA))
            .and_then(|_| add_columns(&db))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Embedded { db })
    }
}

impl Store for Embedded {
    fn create_token(&mut self, tenant: &str) -> Result<String, String> {
        let token = new_token()?;
        self.db
            .execute(
                "INSERT INTO tokens (hash, tenant, created) VALUES (?1, ?2, ?3)",
                params![token_hash(&token), tenant, now()],
            )
            .map_err(text)?;
        Ok(token)
    }

    fn revoke_token(&mut self, token: &str) -> Result<bool, String> {
        let changed = self
            .db
            .execute(
                "UPDATE tokens SET revoked = 1 WHERE hash = ?1 AND revoked = 0",
                params![token_hash(token)],
            )
            .map_err(text)?;
        Ok(changed > 0)
    }

    fn tenant(&mut self, token: &str) -> Result<Option<String>, String> {
        self.db
            .query_row(
                "SELECT tenant FROM tokens WHERE hash = ?1 AND revoked = 0",
                params![token_hash(token)],
                |row| row.get(0),
            )
            .optional()
            .map_err(text)
    }

    fn submit(&mut self, tenant: &str, request: &Request) -> Result<String, String> {
        let (kind, body, secret) = request.parts();
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(text)?;
        if request.pinned() {
            let pending: Option<String> = tx
                .query_row(
                    "SELECT id FROM scans WHERE tenant = ?1 AND kind = ?2 AND request = ?3
                         AND status IN ('queued', 'running') LIMIT 1",
                    params![tenant, kind, body],
                    |row| row.get(0),
                )
                .optional()
                .map_err(text)?;
            if let Some(id) = pending {
                return Ok(id);
            }
        }
        let id = random_hex()?;
        tx.execute(
            "INSERT INTO scans (id, tenant, kind, request, secret, status, created)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
            params![id, tenant, kind, body, secret, now()],
        )
        .map_err(text)?;
        tx.commit().map_err(text)?;
        Ok(id)
    }

    fn get(&mut self, tenant: &str, id: &str) -> Result<Option<Scan>, String> {
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
            .map_err(text)
    }

    fn claim(&mut self, lease_seconds: f64) -> Result<Option<Claimed>, String> {
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(text)?;
        let now = now();
        tx.execute(
            "UPDATE scans SET status = 'failed', finished = ?1, secret = NULL,
                 error = 'the scan stopped its worker ' || attempts || ' times'
             WHERE status = 'running' AND lease_until < ?1 AND attempts >= ?2",
            params![now, MAX_ATTEMPTS],
        )
        .map_err(text)?;
        type Row = (String, String, String, String, i64, Option<String>);
        let found: Option<Row> = tx
            .query_row(
                "SELECT id, kind, request, tenant, attempts + 1, secret FROM scans
                 WHERE status = 'queued' OR (status = 'running' AND lease_until < ?1)
                 ORDER BY created LIMIT 1",
                params![now],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                },
            )
            .optional()
            .map_err(text)?;
        let Some((id, kind, body, tenant, attempt, secret)) = found else {
            tx.commit().map_err(text)?;
            return Ok(None);
        };
        tx.execute(
            "UPDATE scans SET status = 'running', started = ?2, lease_until = ?3,
                 attempts = ?4 WHERE id = ?1",
            params![id, now, now + lease_seconds, attempt],
        )
        .map_err(text)?;
        tx.commit().map_err(text)?;
        Ok(Some(Claimed {
            id,
            tenant,
            request: Request::from_parts(&kind, body, secret),
            attempt,
        }))
    }

    fn renew(&mut self, job: &Claimed, lease_seconds: f64) -> Result<bool, String> {
        let changed = self
            .db
            .execute(
                "UPDATE scans SET lease_until = ?3
                 WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
                params![job.id, job.attempt, now() + lease_seconds],
            )
            .map_err(text)?;
        Ok(changed > 0)
    }

    fn finish(
        &mut self,
        job: &Claimed,
        result: Result<String, String>,
        image: Option<&ImageFacts>,
        deliveries: &[(String, String)],
    ) -> Result<bool, String> {
        let (status, report, error) = match result {
            Ok(report) => ("done", Some(report), None),
            Err(error) => ("failed", None, Some(error)),
        };
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(text)?;
        let changed = tx
            .execute(
                "UPDATE scans SET status = ?3, report = ?4, error = ?5, finished = ?6,
                     digest = ?7, name = ?8, summary = ?9, lease_until = NULL, secret = NULL
                 WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
                params![
                    job.id,
                    job.attempt,
                    status,
                    report,
                    error,
                    now(),
                    image.map(|i| &i.digest),
                    image.map(|i| &i.name),
                    image.map(|i| &i.summary),
                ],
            )
            .map_err(text)?;
        if changed == 0 {
            return Ok(false);
        }
        insert_deliveries(&tx, deliveries)?;
        tx.commit().map_err(text)?;
        Ok(true)
    }

    fn images(&mut self, tenant: &str) -> Result<Vec<Image>, String> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT digest, COALESCE(name, ''), id, finished, COALESCE(summary, '{}')
                 FROM scans s
                 WHERE tenant = ?1 AND status = 'done' AND digest IS NOT NULL
                   AND finished = (SELECT MAX(finished) FROM scans t WHERE t.tenant = s.tenant
                                   AND t.digest = s.digest AND t.status = 'done')
                 ORDER BY 2, 1",
            )
            .map_err(text)?;
        let rows = stmt
            .query_map(params![tenant], |row| {
                Ok(Image {
                    digest: row.get(0)?,
                    name: row.get(1)?,
                    scan_id: row.get(2)?,
                    finished: row.get(3)?,
                    summary: row.get(4)?,
                })
            })
            .map_err(text)?;
        rows.collect::<Result<_, _>>().map_err(text)
    }

    fn tenants_of(&mut self, digest: &str) -> Result<Vec<String>, String> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT DISTINCT tenant FROM scans WHERE digest = ?1 AND status = 'done'
                 ORDER BY tenant",
            )
            .map_err(text)?;
        let rows = stmt
            .query_map(params![digest], |row| row.get(0))
            .map_err(text)?;
        rows.collect::<Result<_, _>>().map_err(text)
    }

    fn add_deliveries(&mut self, deliveries: &[(String, String)]) -> Result<(), String> {
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(text)?;
        insert_deliveries(&tx, deliveries)?;
        tx.commit().map_err(text)
    }

    fn release(&mut self, job: &Claimed) -> Result<(), String> {
        self.db
            .execute(
                "UPDATE scans SET status = 'queued', lease_until = NULL,
                     attempts = MAX(attempts - 1, 0)
                 WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
                params![job.id, job.attempt],
            )
            .map_err(text)?;
        Ok(())
    }

    fn add_webhook(
        &mut self,
        tenant: &str,
        url: &str,
        min_severity: &str,
    ) -> Result<(String, String), String> {
        let (id, secret) = (random_hex()?, random_hex()?);
        self.db
            .execute(
                "INSERT INTO webhooks (id, tenant, url, min_severity, secret, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, tenant, url, min_severity, secret, now()],
            )
            .map_err(text)?;
        Ok((id, secret))
    }

    fn webhooks(&mut self, tenant: &str) -> Result<Vec<Webhook>, String> {
        let mut stmt = self
            .db
            .prepare("SELECT id, min_severity FROM webhooks WHERE tenant = ?1 ORDER BY created")
            .map_err(text)?;
        let rows = stmt
            .query_map(params![tenant], |row| {
                Ok(Webhook {
                    id: row.get(0)?,
                    min_severity: row.get(1)?,
                })
            })
            .map_err(text)?;
        rows.collect::<Result<_, _>>().map_err(text)
    }

    fn due_deliveries(&mut self) -> Result<Vec<Delivery>, String> {
        let now = now();
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(text)?;
        let due: Vec<Delivery> = {
            let mut stmt = tx
                .prepare(
                    "SELECT d.id, w.url, w.secret, d.body, d.attempts FROM deliveries d
                     JOIN webhooks w ON w.id = d.webhook
                     WHERE d.status = 'pending' AND d.next_at <= ?1 ORDER BY d.next_at LIMIT 16",
                )
                .map_err(text)?;
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
                .map_err(text)?;
            rows.collect::<Result<_, _>>().map_err(text)?
        };
        for d in &due {
            tx.execute(
                "UPDATE deliveries SET next_at = ?2 WHERE id = ?1",
                params![d.id, now + 60.0],
            )
            .map_err(text)?;
        }
        tx.commit().map_err(text)?;
        Ok(due)
    }

    fn delivery_result(
        &mut self,
        id: &str,
        ok: bool,
        error: &str,
        retry_in: f64,
        max: i64,
    ) -> Result<(), String> {
        self.db
            .execute(
                "UPDATE deliveries SET attempts = attempts + 1, error = ?2, next_at = ?3,
                     status = CASE WHEN ?4 THEN 'delivered'
                                   WHEN attempts + 1 >= ?5 THEN 'failed'
                                   ELSE 'pending' END
                 WHERE id = ?1",
                params![id, error, now() + retry_in, ok, max],
            )
            .map_err(text)?;
        Ok(())
    }

    fn counts(&mut self) -> Result<Counts, String> {
        let mut counts = Counts::default();
        let mut stmt = self
            .db
            .prepare("SELECT status, COUNT(*) FROM scans GROUP BY status ORDER BY status")
            .map_err(text)?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(text)?;
        for row in rows {
            counts.by_status.push(row.map_err(text)?);
        }
        (counts.seconds, counts.finished) = self
            .db
            .query_row(
                "SELECT COALESCE(SUM(finished - started), 0), COUNT(*) FROM scans
                 WHERE finished IS NOT NULL AND started IS NOT NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(text)?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_and_jobs_are_claimed_once_under_a_lease() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = Embedded::open(dir.path()).unwrap();
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
        let again = jobs.claim(60.0).unwrap().unwrap();
        assert_eq!(again.id, id);
        // The first worker lost its lease: its renewal and result are refused.
        assert!(!jobs.renew(&claimed, 60.0).unwrap());
        assert!(!jobs.finish(&claimed, Ok("{}".into()), None, &[]).unwrap());
        assert!(jobs.renew(&again, 60.0).unwrap());
        assert!(jobs
            .finish(
                &again,
                Ok("{}".into()),
                Some(&ImageFacts {
                    digest: "sha256:1".into(),
                    name: "r.example/app:1".into(),
                    summary: "{}".into(),
                }),
                &[],
            )
            .unwrap());
        assert_eq!(jobs.tenants_of("sha256:1").unwrap(), ["team-a"]);
        // A reference pinned by digest is queued once while pending (per tenant); a tag is not.
        let pinned = Request::Reference(format!("r.example/app@sha256:{}", "a".repeat(64)));
        let first = jobs.submit("team-a", &pinned).unwrap();
        assert_eq!(jobs.submit("team-a", &pinned).unwrap(), first);
        assert_ne!(jobs.submit("team-b", &pinned).unwrap(), first);
        let tagged = Request::Reference("r.example/app:1".into());
        assert_ne!(
            jobs.submit("team-a", &tagged).unwrap(),
            jobs.submit("team-a", &tagged).unwrap()
        );
        let images = jobs.images("team-a").unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].scan_id, id);
        assert!(jobs.images("team-b").unwrap().is_empty());
        let scan = jobs.get("team-a", &id).unwrap().unwrap();
        assert_eq!(scan.status, "done");
        assert!(jobs.revoke_token(&token).unwrap());
        assert!(jobs.tenant(&token).unwrap().is_none());
    }
}
