//! `--timeout` bounds the whole scan: a hostile registry written here on 127.0.0.1 answers
//! every request slowly, a byte at a time, which a per-read timeout never catches.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// Serves HTTP on 127.0.0.1: headers at once, then a 1 MiB body one byte every 200 ms. Stops
/// by itself after `life`.
fn dripping_registry(life: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let end = Instant::now() + life;
        while Instant::now() < end {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = conn.read(&mut request);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nDocker-Content-Digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\r\nContent-Length: 1048576\r\n\r\n";
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..100 {
                    std::thread::sleep(Duration::from_millis(200));
                    if conn.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_slow_registry_cannot_hold_the_scan_past_its_timeout() {
    let cache = tempfile::tempdir().unwrap();
    let port = dripping_registry(Duration::from_secs(30));
    let reference = format!("127.0.0.1:{port}/slow/app:1");
    let started = Instant::now();
    let out = bulkhead(
        &[
            "image",
            "--insecure",
            "--scanners",
            "secret",
            "--timeout",
            "3s",
            &reference,
        ],
        cache.path(),
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--timeout"), "{stderr}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn timeouts_are_durations() {
    let cache = tempfile::tempdir().unwrap();
    let out = bulkhead(&["image", "--timeout", "soon", "x.tar"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

#[test]
fn a_stream_of_thousands_of_documents_is_checked_in_linear_time() {
    // 8,000 Pods in one file, 18 findings each: every finding's snippet and inline-suppression
    // lookup used to scan the file from the top (minutes); a hang guard, not a benchmark.
    let dir = tempfile::tempdir().unwrap();
    let doc = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n---\n";
    let path = dir.path().join("many.yaml");
    std::fs::write(&path, doc.repeat(8000)).unwrap();
    let started = Instant::now();
    let out = bulkhead(
        &["config", "--format", "json", path.to_str().unwrap()],
        dir.path(),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["misconfigurations"].as_array().unwrap();
    assert!(findings.len() >= 8000 * 10, "{}", findings.len());
    assert_eq!(findings.last().unwrap()["line"], 8000 * 9 - 1);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
