//! `bulkhead server` end to end: the real binary serving on 127.0.0.1, a real registry
//! (Debian's `docker-registry`) holding an image pushed by real `skopeo`, requests made with
//! plain HTTP/1.1 over a socket. The expected report is `bulkhead image` on the same image.

mod common;

use common::postgres::Postgres;
use common::registry::Registry;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Real dpkg databases (claircore's and syft's test data) with packages Debian 10 has
/// advisories for.
const POSTGRES_STATUS: &str = "quay+claircore/dpkg/testdata/postgresql.status";
const DOC_EXAMPLES: &str =
    "anchore+syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/doc-examples";

/// A running server and the port it chose.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(cache: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
            .args([
                "server",
                "--listen",
                "127.0.0.1:0",
                "--scan-timeout",
                "120s",
            ])
            .args(extra)
            .env("BULKHEAD_CACHE_DIR", cache)
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bulkhead server");
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server { child, port }
    }

    /// One request; returns the status code and the body.
    fn call(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let code = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_string();
        (code, body)
    }

    fn json(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
        let (code, body) = self.call(method, path, Some(token), body);
        (code, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Polls a scan until it is done or failed.
    fn wait(&self, token: &str, id: &str) -> Value {
        let start = Instant::now();
        loop {
            let (code, scan) = self.json("GET", &format!("/api/v1/scans/{id}"), token, "");
            assert_eq!(code, 200, "{scan}");
            if scan["status"] == "done" || scan["status"] == "failed" {
                return scan;
            }
            assert!(start.elapsed() < Duration::from_secs(120), "{scan}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM: the server stops and exits 0. Returns the rest of its log.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        let mut rest = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        rest
    }
}

impl Drop for Server {
    /// A failed test leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            if let Some(mut stderr) = self.child.stderr.take() {
                let mut rest = String::new();
                let _ = stderr.read_to_string(&mut rest);
                eprintln!("server stderr:\n{rest}");
            }
        }
    }
}

fn token(cache: &Path, tenant: &str) -> String {
    token_in(cache, tenant, &[])
}

/// A token made with extra arguments (`--database URL`).
fn token_in(cache: &Path, tenant: &str, extra: &[&str]) -> String {
    let mut args = vec!["server", "token", "create", "--tenant", tenant];
    args.extend(extra);
    let out = bulkhead(&args, cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A request's headers (lower-case names) and body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// A webhook receiver on 127.0.0.1: the first request's headers (lower-case names) and body,
/// answered 200.
fn receiver() -> (String, std::sync::mpsc::Receiver<Received>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(": ") {
                headers.push((name.to_ascii_lowercase(), value.to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = reader.into_inner();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        send.send((headers, body)).unwrap();
    });
    (url, receive)
}

/// HMAC-SHA256 by Python's standard library: an implementation independent of ours.
fn python_hmac(key: &str, body: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            key,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The report without what differs from run to run.
fn stable(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("created_at");
    report
}

#[test]
fn scans_by_reference_and_sbom_per_tenant_like_the_cli() {
    let cache = imported_cache("server", &["Debian-DSA-DLA.jsonl.zst"]);
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let layout = debian10_layout(dir.path());
    let reference = registry.reference("team/app:1");
    registry.push(&layout, "1", "team/app:1", false);

    let alice = token(&cache, "alice");
    let bob = token(&cache, "bob");
    let server = Server::start(&cache, &["--insecure-registry", &registry.host()]);
    assert_eq!(server.call("GET", "/healthz", None, "").0, 200);
    assert_eq!(server.call("GET", "/readyz", None, "").0, 200);

    // Without a token, and with a path on the server instead of a reference.
    let submit = format!(r#"{{"reference": "{reference}"}}"#);
    assert_eq!(server.call("POST", "/api/v1/scans", None, &submit).0, 401);
    let (code, _) = server.json("POST", "/api/v1/scans", &alice, r#"{"reference": "/etc"}"#);
    assert_eq!(code, 400);

    let (hook_url, delivered) = receiver();
    // This image's findings are UNKNOWN (no rating in the 2023 Debian data): the webhook takes all.
    let hook = format!(r#"{{"url": "{hook_url}", "min_severity": "UNKNOWN"}}"#);
    let (code, webhook) = server.json("POST", "/api/v1/webhooks", &alice, &hook);
    assert_eq!(code, 201, "{webhook}");
    let secret = webhook["secret"].as_str().unwrap().to_string();

    let (code, accepted) = server.json("POST", "/api/v1/scans", &alice, &submit);
    assert_eq!(code, 202, "{accepted}");
    ours_valid("Accepted", &accepted);
    let id = accepted["id"].as_str().unwrap().to_string();
    // Another tenant cannot tell the scan exists.
    let (code, _) = server.json("GET", &format!("/api/v1/scans/{id}"), &bob, "");
    assert_eq!(code, 404);
    let scan = server.wait(&alice, &id);
    assert_eq!(scan["status"], "done", "{scan}");
    ours_valid("Scan", &scan);

    let cli = bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--format",
            "json",
            &reference,
        ],
        &cache,
    );
    let cli = ok_json(cli);
    assert!(!cli["vulnerabilities"].as_array().unwrap().is_empty());
    assert_eq!(stable(scan["report"].clone()), stable(cli.clone()));

    // The tenant's images: this one, with its latest scan's summary; none for another tenant.
    let (code, listed) = server.json("GET", "/api/v1/images", &alice, "");
    assert_eq!(code, 200);
    ours_valid("Images", &listed);
    let images = listed["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{listed}");
    assert_eq!(images[0]["digest"], cli["artifact"]["digest"]);
    assert_eq!(images[0]["name"], cli["artifact"]["name"]);
    assert_eq!(images[0]["scan"]["id"], id.as_str());
    assert_eq!(images[0]["summary"], cli["summary"]);
    let digest = cli["artifact"]["digest"].as_str().unwrap();
    let (code, latest) = server.json("GET", &format!("/api/v1/images/{digest}"), &alice, "");
    assert_eq!(code, 200);
    assert_eq!(stable(latest["report"].clone()), stable(cli.clone()));
    let (_, theirs) = server.json("GET", "/api/v1/images", &bob, "");
    assert_eq!(theirs["images"], Value::Array(Vec::new()));
    let (code, missing) = server.json("GET", &format!("/api/v1/images/{digest}"), &bob, "");
    assert_eq!(code, 404);
    ours_valid("Error", &missing);

    // The webhook: the image's findings, signed with the webhook's secret.
    let (headers, body) = delivered.recv_timeout(Duration::from_secs(60)).unwrap();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let expected = format!("sha256={}", python_hmac(&secret, &body));
    assert_eq!(header("x-bulkhead-signature"), expected);
    assert!(!header("x-bulkhead-delivery").is_empty());
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "new_findings");
    assert_eq!(event["image"]["digest"], cli["artifact"]["digest"]);
    assert_eq!(event["findings"], cli["vulnerabilities"]);

    // An SBOM of the same image, as the CLI makes it, scanned by the server.
    let body = sbom_request(&reference, &cache);
    let (code, accepted) = server.json("POST", "/api/v1/scans", &bob, &body);
    assert_eq!(code, 202);
    let scan = server.wait(&bob, accepted["id"].as_str().unwrap());
    assert_eq!(scan["status"], "done", "{scan}");
    let ids = |r: &Value| -> Vec<Value> {
        let mut ids: Vec<Value> = r["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].clone())
            .collect();
        ids.sort_by_key(|v| v.to_string());
        ids
    };
    assert_eq!(ids(&scan["report"]), ids(&cli));

    let (code, metrics) = server.call("GET", "/metrics", None, "");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("bulkhead_scans{status=\"done\"} 2"),
        "{metrics}"
    );
    server.stop();
}

#[test]
fn a_failed_scan_says_why_and_an_unreachable_database_is_a_clear_error() {
    let cache = imported_cache("server-fail", &["Debian-DSA-DLA.jsonl.zst"]);
    let alice = token(&cache, "alice");
    let server = Server::start(&cache, &[]);
    // Nothing listens on port 9 of loopback: the pull fails and the error is kept.
    let body = r#"{"reference": "127.0.0.1:9/nothing:1"}"#;
    let (code, accepted) = server.json("POST", "/api/v1/scans", &alice, body);
    assert_eq!(code, 202);
    let scan = server.wait(&alice, accepted["id"].as_str().unwrap());
    assert_eq!(scan["status"], "failed");
    assert!(
        scan["error"].as_str().unwrap().contains("127.0.0.1:9"),
        "{scan}"
    );
    server.stop();

    // Nothing listens on port 9: the server does not start, and the password is not shown.
    let url = "postgres://bulkhead:s3cret@127.0.0.1:9/bulkhead";
    let out = bulkhead(&["server", "--database", url], &cache);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "cannot connect to the database postgres://bulkhead:***@127.0.0.1:9/bulkhead"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// The test image, Debian 10 with the dpkg databases above, as an OCI layout in `dir` (tag 1).
fn debian10_layout(dir: &Path) -> std::path::PathBuf {
    let image = build(
        &[layer(
            "ADD rootfs.tar /",
            vec![
                os_release("debian", "10"),
                file("var/lib/dpkg/status", fixture(POSTGRES_STATUS)),
                file("var/lib/dpkg/status.d/doc-examples", fixture(DOC_EXAMPLES)),
            ],
        )],
        "amd64",
    );
    let layout = dir.join("oci");
    oci_layout(&layout, &[("1", &image)]);
    layout
}

/// `{"sbom": …}` with the CLI's CycloneDX SBOM of `reference`.
fn sbom_request(reference: &str, cache: &Path) -> String {
    let sbom = bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--format",
            "cyclonedx",
            reference,
        ],
        cache,
    );
    assert!(sbom.status.success());
    let document: Value = serde_json::from_slice(&sbom.stdout).unwrap();
    serde_json::json!({ "sbom": document }).to_string()
}

/// The test image pushed to `registry` as `name` (`REPO:TAG`); its reference by digest.
fn push_image(registry: &Registry, name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let digest = registry.push(&debian10_layout(dir.path()), "1", name, false);
    let repository = name.split(':').next().unwrap();
    format!("{}@{digest}", registry.reference(repository))
}

/// Scan ids a replica's log says it finished, with the attempt.
fn finished(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("scan ")?;
            let (id, rest) = rest.split_once(' ')?;
            let attempt = rest.strip_prefix("done in ")?.split("(attempt ").nth(1)?;
            Some((id.to_string(), attempt.trim_end_matches(')').to_string()))
        })
        .collect()
}

#[test]
fn two_replicas_on_postgres_share_the_queue_and_run_each_scan_once() {
    let pg = Postgres::start();
    let url = pg.url();
    // Stateless replicas: each has its own cache (advisories); the store is PostgreSQL.
    let cache_a = imported_cache("replica-a", &["Debian-DSA-DLA.jsonl.zst"]);
    let cache_b = imported_cache("replica-b", &["Debian-DSA-DLA.jsonl.zst"]);
    let alice = token_in(&cache_a, "alice", &["--database", &url]);
    let bob = token_in(&cache_b, "bob", &["--database", &url]);
    let registry = Registry::start();
    let reference = push_image(&registry, "team/app:1");
    let body = sbom_request(&reference, &cache_a);

    // Started together: both apply the schema, once.
    let args = ["--database", &url, "--workers", "2"];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&cache_a, &args));
        let b = s.spawn(|| Server::start(&cache_b, &args));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(
        pg.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM bulkhead_migrations"),
        "1,2,3,4,5"
    );

    let mut ids = Vec::new();
    for n in 0..50 {
        let replica = if n % 2 == 0 { &a } else { &b };
        let (code, accepted) = replica.json("POST", "/api/v1/scans", &alice, &body);
        assert_eq!(code, 202, "{accepted}");
        ids.push(accepted["id"].as_str().unwrap().to_string());
    }
    for (n, id) in ids.iter().enumerate() {
        // Any replica answers for any scan.
        let replica = if n % 3 == 0 { &b } else { &a };
        let scan = replica.wait(&alice, id);
        assert_eq!(scan["status"], "done", "{scan}");
        // The other tenant cannot tell it exists, on either replica.
        assert_eq!(
            a.json("GET", &format!("/api/v1/scans/{id}"), &bob, "").0,
            404
        );
    }
    assert_eq!(
        pg.query("SELECT count(*) FROM scans WHERE status = 'done' AND attempts = 1"),
        "50"
    );
    // One SBOM scanned 50 times is one image, listed with its latest scan on either replica.
    let (code, listed) = b.json("GET", "/api/v1/images", &alice, "");
    assert_eq!(code, 200);
    assert_eq!(listed["images"].as_array().unwrap().len(), 1, "{listed}");
    let (_, theirs) = a.json("GET", "/api/v1/images", &bob, "");
    assert_eq!(theirs["images"], Value::Array(Vec::new()));
    let (log_a, log_b) = (a.stop(), b.stop());
    let (ran_a, ran_b) = (finished(&log_a), finished(&log_b));
    assert!(
        !ran_a.is_empty() && !ran_b.is_empty(),
        "A:\n{log_a}\nB:\n{log_b}"
    );
    let mut all: Vec<&String> = ran_a.iter().chain(&ran_b).map(|(id, _)| id).collect();
    assert_eq!(all.len(), 50, "a scan ran twice or not at all");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 50);
    println!(
        "replica A ran {}, replica B ran {}",
        ran_a.len(),
        ran_b.len()
    );
}

/// A TCP proxy in front of `target` that holds every connection until `open` is set; counts
/// the connections it accepted.
fn gated_proxy(target: u16) -> (u16, Arc<AtomicBool>, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (open, seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (gate, count) = (open.clone(), seen.clone());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let gate = gate.clone();
            std::thread::spawn(move || {
                while !gate.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)) else {
                    return;
                };
                let (mut c_read, mut u_write) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut u_write);
                    let _ = u_write.shutdown(std::net::Shutdown::Write);
                });
                let (mut u_read, mut c_write) = (upstream, client);
                let _ = std::io::copy(&mut u_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (port, open, seen)
}

#[test]
fn a_replica_killed_mid_scan_loses_its_job_to_another() {
    let pg = Postgres::start();
    let url = pg.url();
    let cache_a = imported_cache("killed-a", &["Debian-DSA-DLA.jsonl.zst"]);
    let cache_b = imported_cache("killed-b", &["Debian-DSA-DLA.jsonl.zst"]);
    let alice = token_in(&cache_a, "alice", &["--database", &url]);
    let registry = Registry::start();
    let pinned = push_image(&registry, "team/app:1");
    let (port, open, seen) = gated_proxy(registry.port);
    let host = format!("127.0.0.1:{port}");
    let digest = pinned.rsplit('@').next().unwrap();
    let reference = format!("{host}/team/app@{digest}");
    let args = [
        "--database",
        &url,
        "--lease",
        "3s",
        "--insecure-registry",
        &host,
    ];

    let a = Server::start(&cache_a, &args);
    let submit = format!(r#"{{"reference": "{reference}"}}"#);
    let (code, accepted) = a.json("POST", "/api/v1/scans", &alice, &submit);
    assert_eq!(code, 202);
    let id = accepted["id"].as_str().unwrap().to_string();
    // A's scan is pulling (held by the proxy): kill A outright.
    let start = Instant::now();
    while seen.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "A never pulled");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        pg.query(&format!(
            "SELECT status, attempts FROM scans WHERE id = '{id}'"
        )),
        "running|1"
    );
    // The same image by digest, asked again while it is being scanned: the same job.
    let (code, again) = a.json("POST", "/api/v1/scans", &alice, &submit);
    assert_eq!(code, 202);
    assert_eq!(again["id"], id.as_str());
    drop(a);
    std::thread::sleep(Duration::from_millis(500));
    // Its scan process died with it.
    let orphans = Command::new("pgrep")
        .args(["-f", &reference])
        .output()
        .unwrap();
    assert!(
        orphans.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&orphans.stdout)
    );

    open.store(true, Ordering::SeqCst);
    let b = Server::start(&cache_b, &args);
    let scan = b.wait(&alice, &id);
    assert_eq!(scan["status"], "done", "{scan}");
    assert_eq!(
        pg.query(&format!("SELECT attempts FROM scans WHERE id = '{id}'")),
        "2"
    );
    let cli = ok_json(bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--format",
            "json",
            &reference,
        ],
        &cache_b,
    ));
    assert_eq!(stable(scan["report"].clone()), stable(cli));
    let log = b.stop();
    assert_eq!(finished(&log), vec![(id, "2".to_string())], "{log}");
}

#[test]
fn an_advisory_update_rematches_stored_images_and_notifies_their_tenants() {
    // Advisories of another distribution only: the Debian 10 image has no findings yet.
    let cache = imported_cache("server-rematch", &["Alpine-secdb-2020.jsonl.zst"]);
    let registry = Registry::start();
    let reference = push_image(&registry, "team/app:1");
    let alice = token(&cache, "alice");
    let bob = token(&cache, "bob");
    let server = Server::start(
        &cache,
        &[
            "--insecure-registry",
            &registry.host(),
            "--rematch-every",
            "1s",
        ],
    );
    let (alice_url, alice_hook) = receiver();
    let (bob_url, bob_hook) = receiver();
    let (code, webhook) = server.json(
        "POST",
        "/api/v1/webhooks",
        &alice,
        &format!(r#"{{"url": "{alice_url}", "min_severity": "UNKNOWN"}}"#),
    );
    assert_eq!(code, 201);
    let secret = webhook["secret"].as_str().unwrap().to_string();
    // Bob never scanned the image: the update is none of his business.
    let hook = format!(r#"{{"url": "{bob_url}", "min_severity": "UNKNOWN"}}"#);
    assert_eq!(server.json("POST", "/api/v1/webhooks", &bob, &hook).0, 201);

    let submit = format!(r#"{{"reference": "{reference}"}}"#);
    let (_, accepted) = server.json("POST", "/api/v1/scans", &alice, &submit);
    let scan = server.wait(&alice, accepted["id"].as_str().unwrap());
    assert_eq!(scan["status"], "done", "{scan}");
    assert_eq!(scan["report"]["vulnerabilities"], Value::Array(Vec::new()));

    // The update: Debian's advisories, imported beside the running server.
    let import = bulkhead(
        &[
            "db",
            "import",
            &shared()
                .join("data/osv/Debian-DSA-DLA.jsonl.zst")
                .display()
                .to_string(),
        ],
        &cache,
    );
    assert!(import.status.success());
    let (headers, body) = alice_hook.recv_timeout(Duration::from_secs(60)).unwrap();
    // The CLI on the same cache now (before, its own match would leave nothing new).
    let expected = ok_json(bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--format",
            "json",
            &reference,
        ],
        &cache,
    ));
    let expected_ids: Vec<&Value> = expected["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["id"])
        .collect();
    assert!(!expected_ids.is_empty());

    let signature = headers
        .iter()
        .find(|(n, _)| n == "x-bulkhead-signature")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(signature, format!("sha256={}", python_hmac(&secret, &body)));
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "new_findings");
    assert_eq!(event["image"]["digest"], expected["artifact"]["digest"]);
    let mut got: Vec<&Value> = event["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["id"])
        .collect();
    let mut want = expected_ids.clone();
    got.sort_by_key(|v| v.to_string());
    want.sort_by_key(|v| v.to_string());
    got.dedup();
    want.dedup();
    assert_eq!(got, want);
    assert!(bob_hook.recv_timeout(Duration::from_secs(3)).is_err());
    let log = server.stop();
    assert!(
        log.contains("re-matched, 1 images with new findings, 1 webhook deliveries"),
        "{log}"
    );
}

#[test]
fn the_deployment_manifests_pass_our_own_configuration_checks() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes");
    let dir = tempfile::tempdir().unwrap();
    let report = ok_json(bulkhead(
        &["config", "--format", "json", deploy.to_str().unwrap()],
        &dir.path().join("cache"),
    ));
    let serious: Vec<&Value> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "HIGH" || f["severity"] == "CRITICAL")
        .collect();
    assert!(serious.is_empty(), "{serious:?}");
    // What the deployment is made of, read from the files themselves.
    let text = std::fs::read_to_string(deploy.join("bulkhead-server.yaml")).unwrap();
    for kind in [
        "kind: Deployment",
        "kind: Service",
        "kind: PodDisruptionBudget",
        "kind: NetworkPolicy",
    ] {
        assert!(text.contains(kind), "{kind}");
    }
    assert!(text.contains("replicas: 2"));
    assert!(text.contains("secretKeyRef:\n                  name: bulkhead-database"));
}

/// Whether `instance` is valid against a schema of Harbor's Scanner Adapter API v1.2 (the
/// OpenAPI file from goharbor/pluggable-scanner-spec).
fn harbor_valid(schema: &str, instance: &Value) -> Result<(), String> {
    let spec = shared()
        .join("data/specs/harbor-scanner-adapter/api/spec/scanner-adapter-openapi-v1.2.yaml");
    openapi_valid(&spec, schema, instance)
}

/// Whether an answer of ours is valid against our OpenAPI document (docs/openapi/server.yaml).
fn ours_valid(schema: &str, instance: &Value) {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi/server.yaml");
    if let Err(e) = openapi_valid(&spec, schema, instance) {
        panic!("{schema}: {e}\n{instance}");
    }
}

/// Whether `instance` is valid against `schema` of an OpenAPI file's components, checked by
/// Python's jsonschema (an implementation independent of ours).
fn openapi_valid(spec: &Path, schema: &str, instance: &Value) -> Result<(), String> {
    let script = r##"
import json, sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
schema = {"$ref": "#/components/schemas/" + sys.argv[2], "components": spec["components"]}
jsonschema.validate(json.load(sys.stdin), schema)
"##;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(spec)
        .arg(schema)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(instance.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// One request with extra headers; status, headers (lower-case names) and body.
fn call_with(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let code = head[9..12].parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    (code, headers, body.to_string())
}

#[test]
fn harbor_uses_the_server_as_its_scanner() {
    let cache = imported_cache("server-harbor", &["Debian-DSA-DLA.jsonl.zst"]);
    let registry = Registry::start_with_htpasswd("robot$scan", "s3cret-robot");
    let dir = tempfile::tempdir().unwrap();
    let digest = registry.push(&debian10_layout(dir.path()), "1", "team/app:1", false);
    let harbor = token(&cache, "harbor");
    let other = token(&cache, "other");
    let server = Server::start(&cache, &["--insecure-registry", &registry.host()]);
    let bearer = format!("Bearer {harbor}");
    let auth = [("Authorization", bearer.as_str())];

    let (code, headers, body) = call_with(&server, "GET", "/harbor/api/v1/metadata", &auth, "");
    assert_eq!(code, 200, "{body}");
    assert!(headers.contains(&(
        "content-type".into(),
        "application/vnd.scanner.adapter.metadata+json; version=1.0".into()
    )));
    let metadata: Value = serde_json::from_str(&body).unwrap();
    harbor_valid("ScannerAdapterMetadata", &metadata).unwrap();
    assert_eq!(metadata["scanner"]["name"], "Bulkhead");

    // What Harbor sends: its registry, the artifact by digest, a robot account's credentials.
    let basic = format!("Basic {}", base64_encode(b"robot$scan:s3cret-robot"));
    let request = serde_json::json!({
        "registry": {"url": format!("http://{}", registry.host()), "authorization": basic},
        "artifact": {"repository": "team/app", "digest": digest, "tag": "1",
                     "mime_type": "application/vnd.oci.image.manifest.v1+json"},
    });
    let content = [
        auth[0],
        (
            "Content-Type",
            "application/vnd.scanner.adapter.scan.request+json; version=1.1",
        ),
    ];
    let (code, headers, body) = call_with(
        &server,
        "POST",
        "/harbor/api/v1/scan",
        &content,
        &request.to_string(),
    );
    assert_eq!(code, 202, "{body}");
    assert!(headers.iter().any(|(n, v)| n == "content-type"
        && v == "application/vnd.scanner.adapter.scan.response+json; version=1.0"));
    let accepted: Value = serde_json::from_str(&body).unwrap();
    harbor_valid("ScanResponse", &accepted).unwrap();
    let id = accepted["id"].as_str().unwrap();
    let report_path = format!("/harbor/api/v1/scan/{id}/report");

    // Polled as Harbor does: 302 with Refresh-After until the report is there.
    let accept = [
        auth[0],
        (
            "Accept",
            "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
        ),
    ];
    let start = Instant::now();
    let report = loop {
        let (code, headers, body) = call_with(&server, "GET", &report_path, &accept, "");
        match code {
            200 => break serde_json::from_str::<Value>(&body).unwrap(),
            302 => assert!(headers
                .iter()
                .any(|(n, v)| n == "refresh-after" && v == "5")),
            _ => panic!("{code} {body}"),
        }
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(200));
    };
    harbor_valid("HarborVulnerabilityReport", &report).unwrap();
    assert_eq!(report["artifact"]["digest"], digest.as_str());
    assert_eq!(report["artifact"]["repository"], "team/app");

    // The same findings as the CLI pulling the same digest with the same credentials.
    let cli = ok_json(bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--username",
            "robot$scan",
            "--password",
            "s3cret-robot",
            "--format",
            "json",
            &format!("{}@{digest}", registry.reference("team/app")),
        ],
        &cache,
    ));
    let ids = |list: &Value, id: &str, package: &str, version: &str| -> BTreeSet<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|v| format!("{} {} {}", v[id], v[package], v[version]))
            .collect()
    };
    let expected = ids(
        &cli["vulnerabilities"],
        "id",
        "package",
        "installed_version",
    );
    assert!(!expected.is_empty());
    assert_eq!(
        ids(&report["vulnerabilities"], "id", "package", "version"),
        expected
    );
    // Severities on Harbor's scale.
    let harbor_severity = |ours: &str| match ours {
        "LOW" => "Low",
        "MEDIUM" => "Medium",
        "HIGH" => "High",
        "CRITICAL" => "Critical",
        _ => "Unknown",
    };
    let first = &cli["vulnerabilities"][0];
    let same = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == first["id"] && v["package"] == first["package"])
        .unwrap();
    assert_eq!(
        same["severity"],
        harbor_severity(first["severity"].as_str().unwrap())
    );

    // Another tenant cannot see it; the credentials are gone once the job ended.
    let other_auth = format!("Bearer {other}");
    let (code, _, _) = call_with(
        &server,
        "GET",
        &report_path,
        &[("Authorization", &other_auth)],
        "",
    );
    assert_eq!(code, 404);
    let secrets = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM scans WHERE secret IS NOT NULL').fetchone()[0])",
        ])
        .arg(cache.join("server.db"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&secrets.stdout).trim(), "0");

    // Refused requests, in Harbor's error shape.
    let mut bad = request.clone();
    bad["artifact"]["digest"] = Value::from("latest");
    let (code, _, body) = call_with(
        &server,
        "POST",
        "/harbor/api/v1/scan",
        &content,
        &bad.to_string(),
    );
    assert_eq!(code, 422);
    harbor_valid("ErrorResponse", &serde_json::from_str(&body).unwrap()).unwrap();
    // Wrong credentials: the scan fails and the report says why (500).
    let mut wrong = request.clone();
    wrong["registry"]["authorization"] =
        Value::from(format!("Basic {}", base64_encode(b"robot$scan:nope")));
    let (code, _, body) = call_with(
        &server,
        "POST",
        "/harbor/api/v1/scan",
        &content,
        &wrong.to_string(),
    );
    assert_eq!(code, 202, "{body}");
    let failed: Value = serde_json::from_str(&body).unwrap();
    let failed_path = format!(
        "/harbor/api/v1/scan/{}/report",
        failed["id"].as_str().unwrap()
    );
    let start = Instant::now();
    loop {
        let (code, _, body) = call_with(&server, "GET", &failed_path, &accept, "");
        if code == 500 {
            let error: Value = serde_json::from_str(&body).unwrap();
            harbor_valid("ErrorResponse", &error).unwrap();
            assert!(!error["error"]["message"].as_str().unwrap().is_empty());
            break;
        }
        assert_eq!(code, 302, "{body}");
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(200));
    }
    server.stop();
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
