//! `bulkhead server` end to end: the real binary serving on 127.0.0.1, a real registry
//! (Debian's `docker-registry`) holding an image pushed by real `skopeo`, requests made with
//! plain HTTP/1.1 over a socket. The expected report is `bulkhead image` on the same image.

mod common;

use common::registry::Registry;
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

    /// SIGTERM: the server stops and exits 0.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Server {
    /// A failed test leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let mut rest = String::new();
            let _ = self.child.stderr.take().unwrap().read_to_string(&mut rest);
            eprintln!("server stderr:\n{rest}");
        }
    }
}

fn token(cache: &Path, tenant: &str) -> String {
    let out = bulkhead(&["server", "token", "create", "--tenant", tenant], cache);
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
    let layout = dir.path().join("oci");
    oci_layout(&layout, &[("1", &image)]);
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
    let id = accepted["id"].as_str().unwrap().to_string();
    // Another tenant cannot tell the scan exists.
    let (code, _) = server.json("GET", &format!("/api/v1/scans/{id}"), &bob, "");
    assert_eq!(code, 404);
    let scan = server.wait(&alice, &id);
    assert_eq!(scan["status"], "done", "{scan}");

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
    let sbom = bulkhead(
        &[
            "image",
            "--quiet",
            "--insecure",
            "--format",
            "cyclonedx",
            &reference,
        ],
        &cache,
    );
    assert!(sbom.status.success());
    let document: Value = serde_json::from_slice(&sbom.stdout).unwrap();
    let body = serde_json::json!({ "sbom": document }).to_string();
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
fn a_failed_scan_says_why_and_the_postgres_store_is_not_yet_built() {
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

    let out = bulkhead(&["server", "--database", "postgres://db/bulkhead"], &cache);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not built yet"));
}
