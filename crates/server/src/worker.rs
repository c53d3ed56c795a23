//! A worker: claims a job, runs it as a `bulkhead image` or `bulkhead sbom` process with the
//! server's cache, stores the report or the error. A graceful stop kills the process and puts
//! the job back in the queue.

use crate::jobs::{Claimed, Jobs, Request};
use crate::Config;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The last bytes of a failed scan's error output kept for its tenant.
const MAX_ERROR: usize = 4096;

enum Outcome {
    Done(String),
    Failed(String),
    Stopped,
}

pub fn run(config: &Config, stop: &AtomicBool) {
    let mut jobs = match Jobs::open(&config.cache_dir) {
        Ok(jobs) => jobs,
        Err(e) => return eprintln!("error: {e}"),
    };
    // The scan's own --timeout ends it first: a lease outliving it means the worker died.
    let lease = config.scan_timeout.as_secs_f64() + 60.0;
    while !stop.load(Ordering::Relaxed) {
        let job = match jobs.claim(lease) {
            Ok(Some(job)) => job,
            Ok(None) => {
                // Between scans: the webhook deliveries that are due.
                match crate::webhooks::deliver_due(&jobs) {
                    Ok(0) => std::thread::sleep(Duration::from_millis(250)),
                    Ok(_) => {}
                    Err(e) => eprintln!("error: delivering webhooks: {e}"),
                }
                continue;
            }
            Err(e) => {
                eprintln!("error: claiming a scan: {e}");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let stored = match scan(config, &job, stop) {
            // The job is done whatever its notification: a webhook problem does not rerun it.
            Outcome::Done(report) => jobs.finish(&job.id, Ok(report.clone())).and_then(|()| {
                crate::webhooks::queue(&jobs, &job.tenant, &report)
                    .map_err(|e| format!("queueing its webhooks: {e}"))
            }),
            Outcome::Failed(error) => jobs.finish(&job.id, Err(error)),
            Outcome::Stopped => jobs.release(&job.id),
        };
        if let Err(e) = stored {
            eprintln!("error: storing scan {}: {e}", job.id);
        }
    }
}

fn scan(config: &Config, job: &Claimed, stop: &AtomicBool) -> Outcome {
    // Each job in its own empty directory: relative paths name nothing on the server.
    let dir = config.cache_dir.join("server-jobs").join(&job.id);
    let outcome = match std::fs::create_dir_all(&dir) {
        Ok(()) => run_scan(config, job, &dir, stop),
        Err(e) => Outcome::Failed(format!("cannot create {}: {e}", dir.display())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn run_scan(config: &Config, job: &Claimed, dir: &Path, stop: &AtomicBool) -> Outcome {
    let report = dir.join("report.json");
    let errors = dir.join("stderr");
    let timeout = format!("{}s", config.scan_timeout.as_secs().max(1));
    let mut command = Command::new(&config.exe);
    command
        .current_dir(dir)
        .env("BULKHEAD_CACHE_DIR", &config.cache_dir)
        .env("NO_COLOR", "1");
    match &job.request {
        Request::Reference(reference) => {
            command.args([
                "image",
                "--quiet",
                "--format",
                "json",
                "--timeout",
                &timeout,
            ]);
            let host = reference.split('/').next().unwrap_or_default();
            if config.insecure_registries.iter().any(|r| r == host) {
                command.arg("--insecure");
            }
            command.arg("-o").arg(&report).arg("--").arg(reference);
        }
        Request::Sbom(document) => {
            let input = dir.join("sbom.json");
            if let Err(e) = std::fs::write(&input, document) {
                return Outcome::Failed(format!("cannot write the SBOM: {e}"));
            }
            command.args(["sbom", "--quiet", "--format", "json", "--timeout", &timeout]);
            command.arg("-o").arg(&report).arg("--").arg(&input);
        }
    }
    let stderr = match std::fs::File::create(&errors) {
        Ok(file) => file,
        Err(e) => return Outcome::Failed(format!("cannot create {}: {e}", errors.display())),
    };
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(format!("cannot run {}: {e}", config.exe.display())),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if stop.load(Ordering::Relaxed) => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::Stopped;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Outcome::Failed(format!("waiting for the scan: {e}")),
        }
    };
    if status.success() {
        return match std::fs::read_to_string(&report) {
            Ok(text) => Outcome::Done(text),
            Err(e) => Outcome::Failed(format!("the scan wrote no report: {e}")),
        };
    }
    let text = std::fs::read(&errors).unwrap_or_default();
    let tail = &text[text.len().saturating_sub(MAX_ERROR)..];
    let message = String::from_utf8_lossy(tail).trim().to_string();
    Outcome::Failed(if message.is_empty() {
        format!("the scan ended with {status}")
    } else {
        message
    })
}
