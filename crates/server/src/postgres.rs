//! The PostgreSQL store, shared by N stateless replicas. PostgreSQL distributes the work:
//! a claim takes the oldest free job with `FOR UPDATE SKIP LOCKED` (replicas never wait on
//! each other's claims, never take the same job), and times come from the database's clock,
//! so leases do not depend on the replicas' clocks agreeing.
//!
//! The schema is versioned: each replica applies the migrations it lacks at start, in one
//! transaction under an advisory lock, so replicas starting together apply each once.

use crate::store::{
    new_token, random_hex, token_hash, Claimed, Counts, Delivery, Image, ImageFacts, Request, Scan,
    Store, Webhook, MAX_ATTEMPTS,
};
use postgres::{Client, NoTls};

/// Migrations in order; a replica applies those above the stored version. Never edit one
/// that has shipped: add the next.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    report TEXT,
    error TEXT,
    created DOUBLE PRECISION NOT NULL,
    started DOUBLE PRECISION,
    finished DOUBLE PRECISION,
    lease_until DOUBLE PRECISION,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX scans_queue ON scans (status, created);
CREATE INDEX scans_tenant ON scans (tenant, created);
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    min_severity TEXT NOT NULL,
    secret TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL
);
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    webhook TEXT NOT NULL REFERENCES webhooks (id),
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at DOUBLE PRECISION NOT NULL,
    error TEXT
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
",
    "
ALTER TABLE scans ADD COLUMN digest TEXT;
CREATE INDEX scans_digest ON scans (digest);
",
    "
ALTER TABLE scans ADD COLUMN secret TEXT;
",
    "
ALTER TABLE scans ADD COLUMN name TEXT;
ALTER TABLE scans ADD COLUMN summary TEXT;
CREATE INDEX scans_images ON scans (tenant, digest, finished) WHERE status = 'done';
",
    "
CREATE UNIQUE INDEX scans_pending_pinned ON scans (tenant, kind, request)
    WHERE kind IN ('reference', 'pull') AND status IN ('queued', 'running')
      AND strpos(request, '@sha256:') > 0;
",
];

/// The advisory lock migrations run under ("bulk" in ASCII).
const MIGRATION_LOCK: i64 = 0x6275_6c6b;

/// The database's clock, in seconds since the epoch.
const NOW: &str = "EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION";

pub struct Postgres {
    client: Client,
}

fn text(e: postgres::Error) -> String {
    // The server's own message (e.g. "relation … does not exist") says more than the kind.
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL: {}", db.message()),
        None => format!("PostgreSQL: {e}"),
    }
}

impl Postgres {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str) -> Result<Postgres, String> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| format!("cannot connect to the database {}: {e}", redact(url)))?;
        migrate(&mut client)?;
        Ok(Postgres { client })
    }

    /// The schema version in the database (the number of migrations applied).
    pub fn schema_version(&mut self) -> Result<i64, String> {
        let row = self
            .client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM bulkhead_migrations",
                &[],
            )
            .map_err(text)?;
        Ok(row.get(0))
    }
}

/// `postgres://user:password@host/db` without the password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn migrate(client: &mut Client) -> Result<(), String> {
    let mut tx = client.transaction().map_err(text)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(text)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS bulkhead_migrations (
             version BIGINT PRIMARY KEY,
             applied TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(text)?;
    let done: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM bulkhead_migrations",
            &[],
        )
        .map_err(text)?
        .get(0);
    if done > MIGRATIONS.len() as i64 {
        return Err(format!(
            "the database's schema is version {done}, newer than this bulkhead's {}: upgrade bulkhead",
            MIGRATIONS.len()
        ));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        let version = index as i64 + 1;
        tx.batch_execute(migration)
            .map_err(|e| format!("schema migration {version}: {}", text(e)))?;
        tx.execute(
            "INSERT INTO bulkhead_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(text)?;
    }
    tx.commit().map_err(text)
}

fn insert_deliveries(
    tx: &mut postgres::Transaction<'_>,
    deliveries: &[(String, String)],
) -> Result<(), String> {
    for (webhook, body) in deliveries {
        tx.execute(
            &format!(
                "INSERT INTO deliveries (id, webhook, body, status, next_at)
                 VALUES ($1, $2, $3, 'pending', {NOW})"
            ),
            &[&random_hex()?, webhook, body],
        )
        .map_err(text)?;
    }
    Ok(())
}

impl Store for Postgres {
    fn create_token(&mut self, tenant: &str) -> Result<String, String> {
        let token = new_token()?;
        self.client
            .execute(
                &format!("INSERT INTO tokens (hash, tenant, created) VALUES ($1, $2, {NOW})"),
                &[&token_hash(&token), &tenant],
            )
            .map_err(text)?;
        Ok(token)
    }

    fn revoke_token(&mut self, token: &str) -> Result<bool, String> {
        let changed = self
            .client
            .execute(
                "UPDATE tokens SET revoked = TRUE WHERE hash = $1 AND NOT revoked",
                &[&token_hash(token)],
            )
            .map_err(text)?;
        Ok(changed > 0)
    }

    fn tenant(&mut self, token: &str) -> Result<Option<String>, String> {
        let row = self
            .client
            .query_opt(
                "SELECT tenant FROM tokens WHERE hash = $1 AND NOT revoked",
                &[&token_hash(token)],
            )
            .map_err(text)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn submit(&mut self, tenant: &str, request: &Request) -> Result<String, String> {
        let (kind, body, secret) = request.parts();
        // Two replicas taking the same pinned reference at once: the unique index lets one
        // insert; the other finds that job (retried once, should it end in between).
        for _ in 0..2 {
            let id = random_hex()?;
            let inserted = self
                .client
                .query_opt(
                    &format!(
                        "INSERT INTO scans (id, tenant, kind, request, secret, status, created)
                         VALUES ($1, $2, $3, $4, $5, 'queued', {NOW})
                         ON CONFLICT (tenant, kind, request)
                             WHERE kind IN ('reference', 'pull')
                               AND status IN ('queued', 'running')
                               AND strpos(request, '@sha256:') > 0
                         DO NOTHING RETURNING id"
                    ),
                    &[&id, &tenant, &kind, &body, &secret],
                )
                .map_err(text)?;
            if inserted.is_some() {
                return Ok(id);
            }
            let pending = self
                .client
                .query_opt(
                    "SELECT id FROM scans WHERE tenant = $1 AND kind = $2 AND request = $3
                         AND status IN ('queued', 'running') LIMIT 1",
                    &[&tenant, &kind, &body],
                )
                .map_err(text)?;
            if let Some(row) = pending {
                return Ok(row.get(0));
            }
        }
        Err("the scan could not be queued (a pending duplicate kept ending); try again".into())
    }

    fn get(&mut self, tenant: &str, id: &str) -> Result<Option<Scan>, String> {
        let row = self
            .client
            .query_opt(
                "SELECT id, status, report, error FROM scans WHERE id = $1 AND tenant = $2",
                &[&id, &tenant],
            )
            .map_err(text)?;
        Ok(row.map(|row| Scan {
            id: row.get(0),
            status: row.get(1),
            report: row.get(2),
            error: row.get(3),
        }))
    }

    fn claim(&mut self, lease_seconds: f64) -> Result<Option<Claimed>, String> {
        let mut tx = self.client.transaction().map_err(text)?;
        tx.execute(
            &format!(
                "UPDATE scans SET status = 'failed', finished = {NOW}, secret = NULL,
                     error = 'the scan stopped its worker ' || attempts || ' times'
                 WHERE status = 'running' AND lease_until < {NOW} AND attempts >= $1"
            ),
            &[&MAX_ATTEMPTS],
        )
        .map_err(text)?;
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE scans SET status = 'running', started = {NOW},
                         lease_until = {NOW} + $1, attempts = attempts + 1
                     WHERE id = (
                         SELECT id FROM scans
                         WHERE status = 'queued' OR (status = 'running' AND lease_until < {NOW})
                         ORDER BY created LIMIT 1
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id, kind, request, tenant, attempts, secret"
                ),
                &[&lease_seconds],
            )
            .map_err(text)?;
        tx.commit().map_err(text)?;
        Ok(row.map(|row| Claimed {
            id: row.get(0),
            request: Request::from_parts(row.get(1), row.get(2), row.get(5)),
            tenant: row.get(3),
            attempt: row.get(4),
        }))
    }

    fn renew(&mut self, job: &Claimed, lease_seconds: f64) -> Result<bool, String> {
        let changed = self
            .client
            .execute(
                &format!(
                    "UPDATE scans SET lease_until = {NOW} + $3
                     WHERE id = $1 AND attempts = $2 AND status = 'running'"
                ),
                &[&job.id, &job.attempt, &lease_seconds],
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
        let mut tx = self.client.transaction().map_err(text)?;
        let changed = tx
            .execute(
                &format!(
                    "UPDATE scans SET status = $3, report = $4, error = $5, finished = {NOW},
                         digest = $6, name = $7, summary = $8, lease_until = NULL, secret = NULL
                     WHERE id = $1 AND attempts = $2 AND status = 'running'"
                ),
                &[
                    &job.id,
                    &job.attempt,
                    &status,
                    &report,
                    &error,
                    &image.map(|i| &i.digest),
                    &image.map(|i| &i.name),
                    &image.map(|i| &i.summary),
                ],
            )
            .map_err(text)?;
        if changed == 0 {
            return Ok(false);
        }
        insert_deliveries(&mut tx, deliveries)?;
        tx.commit().map_err(text)?;
        Ok(true)
    }

    fn images(&mut self, tenant: &str) -> Result<Vec<Image>, String> {
        let rows = self
            .client
            .query(
                "SELECT * FROM (
                     SELECT DISTINCT ON (digest) digest, COALESCE(name, '') AS name, id,
                            finished, COALESCE(summary, '{}')
                     FROM scans
                     WHERE tenant = $1 AND status = 'done' AND digest IS NOT NULL
                     ORDER BY digest, finished DESC) latest
                 ORDER BY name, digest",
                &[&tenant],
            )
            .map_err(text)?;
        Ok(rows
            .iter()
            .map(|row| Image {
                digest: row.get(0),
                name: row.get(1),
                scan_id: row.get(2),
                finished: row.get(3),
                summary: row.get(4),
            })
            .collect())
    }

    fn tenants_of(&mut self, digest: &str) -> Result<Vec<String>, String> {
        let rows = self
            .client
            .query(
                "SELECT DISTINCT tenant FROM scans WHERE digest = $1 AND status = 'done'
                 ORDER BY tenant",
                &[&digest],
            )
            .map_err(text)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn add_deliveries(&mut self, deliveries: &[(String, String)]) -> Result<(), String> {
        let mut tx = self.client.transaction().map_err(text)?;
        insert_deliveries(&mut tx, deliveries)?;
        tx.commit().map_err(text)
    }

    fn release(&mut self, job: &Claimed) -> Result<(), String> {
        self.client
            .execute(
                "UPDATE scans SET status = 'queued', lease_until = NULL,
                     attempts = GREATEST(attempts - 1, 0)
                 WHERE id = $1 AND attempts = $2 AND status = 'running'",
                &[&job.id, &job.attempt],
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
        self.client
            .execute(
                &format!(
                    "INSERT INTO webhooks (id, tenant, url, min_severity, secret, created)
                     VALUES ($1, $2, $3, $4, $5, {NOW})"
                ),
                &[&id, &tenant, &url, &min_severity, &secret],
            )
            .map_err(text)?;
        Ok((id, secret))
    }

    fn webhooks(&mut self, tenant: &str) -> Result<Vec<Webhook>, String> {
        let rows = self
            .client
            .query(
                "SELECT id, min_severity FROM webhooks WHERE tenant = $1 ORDER BY created",
                &[&tenant],
            )
            .map_err(text)?;
        Ok(rows
            .iter()
            .map(|row| Webhook {
                id: row.get(0),
                min_severity: row.get(1),
            })
            .collect())
    }

    fn due_deliveries(&mut self) -> Result<Vec<Delivery>, String> {
        let rows = self
            .client
            .query(
                &format!(
                    "WITH due AS (
                         UPDATE deliveries SET next_at = {NOW} + 60
                         WHERE id IN (
                             SELECT id FROM deliveries
                             WHERE status = 'pending' AND next_at <= {NOW}
                             ORDER BY next_at LIMIT 16
                             FOR UPDATE SKIP LOCKED)
                         RETURNING id, webhook, body, attempts)
                     SELECT due.id, w.url, w.secret, due.body, due.attempts
                     FROM due JOIN webhooks w ON w.id = due.webhook"
                ),
                &[],
            )
            .map_err(text)?;
        Ok(rows
            .iter()
            .map(|row| Delivery {
                id: row.get(0),
                url: row.get(1),
                secret: row.get(2),
                body: row.get(3),
                attempts: row.get(4),
            })
            .collect())
    }

    fn delivery_result(
        &mut self,
        id: &str,
        ok: bool,
        error: &str,
        retry_in: f64,
        max: i64,
    ) -> Result<(), String> {
        self.client
            .execute(
                &format!(
                    "UPDATE deliveries SET attempts = attempts + 1, error = $2,
                         next_at = {NOW} + $3,
                         status = CASE WHEN $4 THEN 'delivered'
                                       WHEN attempts + 1 >= $5 THEN 'failed'
                                       ELSE 'pending' END
                     WHERE id = $1"
                ),
                &[&id, &error, &retry_in, &ok, &max],
            )
            .map_err(text)?;
        Ok(())
    }

    fn counts(&mut self) -> Result<Counts, String> {
        let mut counts = Counts::default();
        for row in self
            .client
            .query(
                "SELECT status, COUNT(*) FROM scans GROUP BY status ORDER BY status",
                &[],
            )
            .map_err(text)?
        {
            counts.by_status.push((row.get(0), row.get(1)));
        }
        let row = self
            .client
            .query_one(
                "SELECT COALESCE(SUM(finished - started), 0)::DOUBLE PRECISION, COUNT(*)
                 FROM scans WHERE finished IS NOT NULL AND started IS NOT NULL",
                &[],
            )
            .map_err(text)?;
        (counts.seconds, counts.finished) = (row.get(0), row.get(1));
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_password_in_the_url_is_not_shown() {
        assert_eq!(
            redact("postgres://bulkhead:s3cret@db:5432/bulkhead"),
            "postgres://bulkhead:***@db:5432/bulkhead"
        );
        assert_eq!(redact("postgres://db/bulkhead"), "postgres://db/bulkhead");
    }
}
