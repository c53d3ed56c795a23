//! `bulkhead server`: tenants submit scans over a REST API (a registry reference, which the
//! server pulls, or an SBOM); worker threads claim them from a queue in the store and run
//! each as its own `bulkhead image|sbom` process, so a scan's memory and a crash stay with
//! that scan; the report is the CLI's JSON report. Any thread serves any request.
//!
//! The store is the embedded SQLite file (one node) or PostgreSQL, shared by N stateless
//! replicas: any replica serves any request and claims any job (store.rs).
//!
//! A finished scan with findings notifies the tenant's webhooks (signed, retried); so does a
//! new advisory update that adds findings to a stored inventory (rematch.rs).
//!
//! Not yet (issue 13): advisories, inventories and matching in PostgreSQL (each replica
//! matches with the advisory database in its cache), client mode, TLS.
//!
//! Harbor can use the server as its scanner (harbor.rs).

mod api;
mod harbor;
pub mod postgres;
mod rematch;
pub mod sqlite;
pub mod store;
pub mod webhooks;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// HTTP threads: requests are short (the scans run in the workers).
const HTTP_THREADS: usize = 4;

pub struct Config {
    /// `HOST:PORT`; port 0 picks a free one (printed at start).
    pub listen: String,
    /// The cache with the advisory database; the embedded store `server.db` is kept beside it.
    pub cache_dir: PathBuf,
    /// A PostgreSQL URL: the store shared by replicas (none: the embedded store).
    pub database: Option<String>,
    /// How long a claimed job stays a worker's without a renewal (renewed every third of it
    /// while the scan runs): the time a dead replica's job waits for another.
    pub lease: Duration,
    /// How often the cache's advisory database is checked for a new update to re-match the
    /// stored inventories against.
    pub rematch_every: Duration,
    pub workers: usize,
    /// Registries reached over plain HTTP or without TLS verification (`--insecure`).
    pub insecure_registries: Vec<String>,
    pub scan_timeout: Duration,
    /// The bulkhead binary each scan runs as (this one).
    pub exe: PathBuf,
}

impl Config {
    /// A connection to the store, for one thread.
    pub fn store(&self) -> Result<Box<dyn store::Store>, String> {
        store::open(self.database.as_deref(), &self.cache_dir)
    }
}

/// Serves until `stop` is set (SIGTERM): the HTTP threads stop accepting, the workers stop
/// their scans and put the jobs back in the queue (for this replica's next start or another
/// replica).
pub fn serve(config: Config, stop: Arc<AtomicBool>) -> Result<(), String> {
    // The schema is brought up to date, and a bad URL reported, before anything is served.
    config.store()?;
    let server = tiny_http::Server::http(&config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    eprintln!(
        "bulkhead server listening on http://{}",
        server.server_addr()
    );
    let server = Arc::new(server);
    let config = Arc::new(config);
    let mut threads = Vec::new();
    for _ in 0..config.workers.max(1) {
        let (config, stop) = (config.clone(), stop.clone());
        threads.push(std::thread::spawn(move || worker::run(&config, &stop)));
    }
    {
        let (config, stop) = (config.clone(), stop.clone());
        threads.push(std::thread::spawn(move || rematch::run(&config, &stop)));
    }
    for _ in 0..HTTP_THREADS {
        let (config, stop, server) = (config.clone(), stop.clone(), server.clone());
        threads.push(std::thread::spawn(move || {
            let mut store = match config.store() {
                Ok(store) => store,
                Err(e) => return eprintln!("error: {e}"),
            };
            while !stop.load(Ordering::Relaxed) {
                match server.recv_timeout(Duration::from_millis(200)) {
                    Ok(Some(request)) => api::handle(store.as_mut(), &config, request),
                    Ok(None) => {}
                    Err(e) => return eprintln!("error: {e}"),
                }
            }
        }));
    }
    for thread in threads {
        let _ = thread.join();
    }
    eprintln!("bulkhead server stopped");
    Ok(())
}
