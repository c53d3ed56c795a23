//! The server's state behind one trait, so the API and the workers do not care where it
//! lives: the embedded SQLite file beside the advisory database (one node), or PostgreSQL
//! (N stateless replicas sharing it). Tenants' tokens are stored as SHA-256 hashes, never in
//! clear; scan jobs are a queue claimed under a lease that the worker renews while it scans,
//! so a job whose worker (or whole replica) died is claimed again once its lease runs out.

use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// A job stops being retried after this many claims (a scan that kills its worker).
pub const MAX_ATTEMPTS: i64 = 3;

/// What a tenant asked to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A registry reference, pulled by the server.
    Reference(String),
    /// A CycloneDX or SPDX JSON document.
    Sbom(String),
    /// A registry reference with the credentials to pull it (`user:password`; Harbor's robot
    /// account): stored apart and forgotten when the job ends.
    Pull {
        reference: String,
        credentials: Option<String>,
    },
}

impl Request {
    /// Kind, stored text, and the secret kept apart (credentials).
    pub(crate) fn parts(&self) -> (&'static str, &str, Option<&str>) {
        match self {
            Request::Reference(r) => ("reference", r, None),
            Request::Sbom(s) => ("sbom", s, None),
            Request::Pull {
                reference,
                credentials,
            } => ("pull", reference, credentials.as_deref()),
        }
    }

    /// A registry reference pinned by digest: the same image whenever it is pulled.
    pub(crate) fn pinned(&self) -> bool {
        match self {
            Request::Reference(r) | Request::Pull { reference: r, .. } => r.contains("@sha256:"),
            Request::Sbom(_) => false,
        }
    }

    pub(crate) fn from_parts(kind: &str, text: String, secret: Option<String>) -> Request {
        match kind {
            "sbom" => Request::Sbom(text),
            "pull" => Request::Pull {
                reference: text,
                credentials: secret,
            },
            _ => Request::Reference(text),
        }
    }
}

/// A job as its tenant sees it.
#[derive(Debug, Clone)]
pub struct Scan {
    pub id: String,
    pub status: String,
    pub report: Option<String>,
    pub error: Option<String>,
}

/// A claimed job, for a worker. `attempt` fences it: once the lease ran out and another
/// worker claimed the job, this worker's renewals and result are refused.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub tenant: String,
    pub request: Request,
    pub attempt: i64,
}

/// What a finished scan says about the image, kept beside its report so that listing images
/// reads no report.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub digest: String,
    pub name: String,
    /// The report's `summary` object, as JSON.
    pub summary: String,
}

/// A tenant's image: its latest finished scan.
#[derive(Debug, Clone)]
pub struct Image {
    pub digest: String,
    pub name: String,
    pub scan_id: String,
    /// Seconds since the epoch.
    pub finished: f64,
    pub summary: String,
}

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

/// Counts for `/metrics`.
#[derive(Debug, Default)]
pub struct Counts {
    pub by_status: Vec<(String, i64)>,
    /// Seconds spent on finished jobs, and how many.
    pub seconds: f64,
    pub finished: i64,
}

/// Everything the server keeps. Each thread opens its own (one connection each).
pub trait Store: Send {
    /// A new token for `tenant`: returned once, stored hashed.
    fn create_token(&mut self, tenant: &str) -> Result<String, String>;
    /// Revokes a token; false when no live token matches.
    fn revoke_token(&mut self, token: &str) -> Result<bool, String>;
    /// The tenant a bearer token belongs to.
    fn tenant(&mut self, token: &str) -> Result<Option<String>, String>;
    /// Queues a scan; returns its id. A digest-pinned reference already queued or running for
    /// the tenant is not queued twice: that job's id is returned (Harbor asks again and again).
    fn submit(&mut self, tenant: &str, request: &Request) -> Result<String, String>;
    /// A tenant's scan; another tenant's id is `None`, exactly like an unknown one.
    fn get(&mut self, tenant: &str, id: &str) -> Result<Option<Scan>, String>;
    /// Claims the oldest queued job, or a running one whose lease ran out; jobs that used
    /// up their attempts fail instead of killing worker after worker.
    fn claim(&mut self, lease_seconds: f64) -> Result<Option<Claimed>, String>;
    /// Extends the lease of a job still held; false when it was lost.
    fn renew(&mut self, job: &Claimed, lease_seconds: f64) -> Result<bool, String>;
    /// Stores the result (with what it says about the image) and, in the same transaction,
    /// the webhook deliveries it causes (webhook id, body): a crash loses neither. False (and
    /// nothing stored) when the lease was lost to another worker, which owns the job now.
    fn finish(
        &mut self,
        job: &Claimed,
        result: Result<String, String>,
        image: Option<&ImageFacts>,
        deliveries: &[(String, String)],
    ) -> Result<bool, String>;
    /// The tenant's images, each with its latest finished scan, by name.
    fn images(&mut self, tenant: &str) -> Result<Vec<Image>, String>;
    /// The tenants that scanned the image with this digest.
    fn tenants_of(&mut self, digest: &str) -> Result<Vec<String>, String>;
    /// Stores deliveries (webhook id, body) in one transaction.
    fn add_deliveries(&mut self, deliveries: &[(String, String)]) -> Result<(), String>;
    /// Puts a running job back in the queue (a graceful stop interrupted it).
    fn release(&mut self, job: &Claimed) -> Result<(), String>;
    /// Registers a webhook; returns its id and the secret its deliveries are signed with.
    fn add_webhook(
        &mut self,
        tenant: &str,
        url: &str,
        min_severity: &str,
    ) -> Result<(String, String), String>;
    fn webhooks(&mut self, tenant: &str) -> Result<Vec<Webhook>, String>;
    /// Claims the pending deliveries whose time has come, oldest first (a few at a time):
    /// they are not due again for a minute, so two workers do not send the same one at once.
    fn due_deliveries(&mut self) -> Result<Vec<Delivery>, String>;
    /// Records an attempt: delivered, retried `retry_in` seconds from now, or given up after
    /// `max` attempts.
    fn delivery_result(
        &mut self,
        id: &str,
        ok: bool,
        error: &str,
        retry_in: f64,
        max: i64,
    ) -> Result<(), String>;
    fn counts(&mut self) -> Result<Counts, String>;
}

/// The store a `--database` URL names (PostgreSQL), or the embedded one in the cache.
pub fn open(database: Option<&str>, cache_dir: &Path) -> Result<Box<dyn Store>, String> {
    match database {
        Some(url) => Ok(Box::new(crate::postgres::Postgres::connect(url)?)),
        None => Ok(Box::new(crate::sqlite::Embedded::open(cache_dir)?)),
    }
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The stored form of a token: its SHA-256.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 16 random bytes from the kernel, as hex.
pub(crate) fn random_hex() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(hex::encode(bytes))
}

/// A new token, `bh_` and 32 hex digits.
pub(crate) fn new_token() -> Result<String, String> {
    Ok(format!("bh_{}", random_hex()?))
}
