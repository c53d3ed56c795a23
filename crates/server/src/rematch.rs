//! Re-matching when the advisory data changes: every scan stores its inventory in the cache
//! (as the CLI does for `bulkhead rescan`); when the cache's advisory database has a new
//! update (`bulkhead db update` or `db import` run beside the server, by cron or by hand),
//! the stored inventories are matched again — `bulkhead rescan`, as its own process — and
//! the findings that are new notify the webhooks of every tenant that scanned that image.
//!
//! The update last re-matched is kept in the cache (`server-matched-update`), written only
//! after the deliveries are stored: a crash in between re-matches again (at least once).

use crate::store::Store;
use crate::Config;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const MARKER: &str = "server-matched-update";

pub fn run(config: &Config, stop: &AtomicBool) {
    let mut store = match config.store() {
        Ok(store) => store,
        Err(e) => return eprintln!("error: {e}"),
    };
    let mut checked: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        if checked.is_some_and(|at| at.elapsed() < config.rematch_every) {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        checked = Some(Instant::now());
        // No database yet (readyz says so) or one being replaced: try at the next check.
        let Ok(update) = store::Store::open(&config.cache_dir).and_then(|db| db.update_id()) else {
            continue;
        };
        let marker = config.cache_dir.join(MARKER);
        let last = std::fs::read_to_string(&marker).unwrap_or_default();
        if last.trim() == update {
            continue;
        }
        match rematch(config, store.as_mut()) {
            Ok((images, deliveries)) => {
                eprintln!(
                    "advisory update {update}: re-matched, {images} images with new findings, {deliveries} webhook deliveries"
                );
                if let Err(e) = std::fs::write(&marker, &update) {
                    eprintln!("error: {}: {e}", marker.display());
                }
            }
            Err(e) => eprintln!("error: re-matching after advisory update {update}: {e}"),
        }
    }
}

/// Runs `bulkhead rescan` and stores a delivery per webhook for each image with new findings;
/// returns (images with new findings, deliveries).
fn rematch(config: &Config, store: &mut dyn Store) -> Result<(usize, usize), String> {
    let dir = config.cache_dir.join("server-jobs").join("rematch");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = rescan(config, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    let mut images = 0;
    let mut deliveries = Vec::new();
    for artifact in report["artifacts"].as_array().map_or(&[][..], |a| a) {
        let new = artifact["new_vulnerabilities"]
            .as_array()
            .map_or(&[][..], |v| v);
        let Some(digest) = artifact["digest"].as_str() else {
            continue;
        };
        if new.is_empty() {
            continue;
        }
        images += 1;
        let image = json!({ "digest": digest, "name": artifact["name"] });
        for tenant in store.tenants_of(digest)? {
            let hooks = store.webhooks(&tenant)?;
            deliveries.extend(crate::webhooks::deliveries(&hooks, &image, new));
        }
    }
    store.add_deliveries(&deliveries)?;
    Ok((images, deliveries.len()))
}

fn rescan(config: &Config, dir: &Path) -> Result<Value, String> {
    let out = dir.join("rescan.json");
    let errors = dir.join("stderr");
    let stderr = std::fs::File::create(&errors).map_err(|e| e.to_string())?;
    let status = crate::worker::bulkhead(config, dir)
        .args(["rescan", "--quiet", "--format", "json", "-o"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", config.exe.display()))?;
    if !status.success() {
        let text = std::fs::read_to_string(&errors).unwrap_or_default();
        return Err(format!("bulkhead rescan: {status}: {}", text.trim()));
    }
    let text = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("the rescan report: {e}"))
}
