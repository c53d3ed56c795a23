//! A worker: claims a job, runs it as a `bulkhead image` or `bulkhead sbom` process with the
//! server's cache, renews the job's lease while it runs, stores the report or the error. A
//! graceful stop kills the process and puts the job back in the queue; a worker that lost its
//! lease (its store was unreachable for longer than the lease) stops the scan and stores
//! nothing — another worker owns the job.

use crate::store::{Claimed, ImageFacts, Request, Store};
use crate::Config;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The last bytes of a failed scan's error output kept for its tenant.
const MAX_ERROR: usize = 4096;

enum Outcome {
    Done(String),
    Failed(String),
    Stopped,
    Lost,
}

pub fn run(config: &Config, stop: &AtomicBool) {
    let mut store = match config.store() {
        Ok(store) => store,
        Err(e) => return eprintln!("error: {e}"),
    };
    let lease = config.lease.as_secs_f64();
    while !stop.load(Ordering::Relaxed) {
        let job = match store.claim(lease) {
            Ok(Some(job)) => job,
            Ok(None) => {
                // Between scans: the webhook deliveries that are due.
                match crate::webhooks::deliver_due(store.as_mut()) {
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
        let started = Instant::now();
        let outcome = scan(config, &job, stop, store.as_mut());
        let what = match &outcome {
            Outcome::Done(_) => "done",
            Outcome::Failed(_) => "failed",
            Outcome::Stopped => "put back in the queue (stopping)",
            Outcome::Lost => "given up (its lease went to another worker)",
        };
        eprintln!(
            "scan {} {what} in {:.1} s (attempt {})",
            job.id,
            started.elapsed().as_secs_f64(),
            job.attempt
        );
        let stored = match outcome {
            Outcome::Done(report) => {
                let parsed: Value = serde_json::from_str(&report).unwrap_or_default();
                let image = json!({
                    "digest": parsed["artifact"]["digest"],
                    "name": parsed["artifact"]["name"],
                });
                let findings = parsed["vulnerabilities"].as_array().map_or(&[][..], |v| v);
                // The job is done whatever its notification: a webhook problem does not
                // rerun it (it is reported, and the scan stored without deliveries).
                let deliveries = match store.webhooks(&job.tenant) {
                    Ok(hooks) => crate::webhooks::deliveries(&hooks, &image, findings),
                    Err(e) => {
                        eprintln!("error: the webhooks of scan {}: {e}", job.id);
                        Vec::new()
                    }
                };
                let facts = parsed["artifact"]["digest"]
                    .as_str()
                    .map(|digest| ImageFacts {
                        digest: digest.to_string(),
                        name: parsed["artifact"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        summary: parsed["summary"].to_string(),
                    });
                store
                    .finish(&job, Ok(report), facts.as_ref(), &deliveries)
                    .map(|_| ())
            }
            Outcome::Failed(error) => store.finish(&job, Err(error), None, &[]).map(|_| ()),
            Outcome::Stopped => store.release(&job),
            Outcome::Lost => Ok(()),
        };
        if let Err(e) = stored {
            eprintln!("error: storing scan {}: {e}", job.id);
        }
    }
}

fn scan(config: &Config, job: &Claimed, stop: &AtomicBool, store: &mut dyn Store) -> Outcome {
    // Each job in its own empty directory (per attempt: a stale worker of the same job on
    // this node does not share it): relative paths name nothing on the server.
    let dir = config
        .cache_dir
        .join("server-jobs")
        .join(format!("{}.{}", job.id, job.attempt));
    let outcome = match std::fs::create_dir_all(&dir) {
        Ok(()) => run_scan(config, job, &dir, stop, store),
        Err(e) => Outcome::Failed(format!("cannot create {}: {e}", dir.display())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn run_scan(
    config: &Config,
    job: &Claimed,
    dir: &Path,
    stop: &AtomicBool,
    store: &mut dyn Store,
) -> Outcome {
    let report = dir.join("report.json");
    let errors = dir.join("stderr");
    let timeout = format!("{}s", config.scan_timeout.as_secs().max(1));
    let mut command = bulkhead(config, dir);
    match &job.request {
        Request::Reference(reference) => {
            image_args(&mut command, config, reference, &timeout, &report);
        }
        Request::Pull {
            reference,
            credentials,
        } => {
            if let Some((user, password)) = credentials.as_deref().and_then(|c| c.split_once(':')) {
                command
                    .env("BULKHEAD_USERNAME", user)
                    .env("BULKHEAD_PASSWORD", password);
            }
            image_args(&mut command, config, reference, &timeout, &report);
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
    let renew_every = config.lease / 3;
    let mut renewed = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if stop.load(Ordering::Relaxed) => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::Stopped;
            }
            Ok(None) if renewed.elapsed() >= renew_every => {
                renewed = Instant::now();
                // A store that cannot be reached is tried again at the next renewal; the
                // lease is lost only when another worker took the job.
                match store.renew(job, config.lease.as_secs_f64()) {
                    Ok(false) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Outcome::Lost;
                    }
                    Ok(true) => {}
                    Err(e) => eprintln!("error: renewing the lease of scan {}: {e}", job.id),
                }
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

/// A `bulkhead` process in `dir` with the server's cache, that dies with its worker thread: a
/// replica killed mid-scan leaves no orphan behind.
pub(crate) fn bulkhead(config: &Config, dir: &Path) -> Command {
    let mut command = Command::new(&config.exe);
    command
        .current_dir(dir)
        .env("BULKHEAD_CACHE_DIR", &config.cache_dir)
        .env("NO_COLOR", "1");
    // SAFETY: prctl is async-signal-safe and touches nothing of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// `bulkhead image` of a registry reference, over plain HTTP for the registries named so.
fn image_args(
    command: &mut Command,
    config: &Config,
    reference: &str,
    timeout: &str,
    report: &Path,
) {
    command.args(["image", "--quiet", "--format", "json", "--timeout", timeout]);
    let host = reference.split('/').next().unwrap_or_default();
    if config.insecure_registries.iter().any(|r| r == host) {
        command.arg("--insecure");
    }
    command.arg("-o").arg(report).arg("--").arg(reference);
}
