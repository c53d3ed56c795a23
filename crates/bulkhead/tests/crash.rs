//! Several processes on one cache, and processes killed (SIGKILL) at arbitrary points of an
//! advisory import or of a scan writing the layer cache: the reports are the same as one at
//! a time, and the database is always usable afterwards.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A report without what differs between runs (the time it was made).
fn stable(mut report: Value) -> Value {
    report["created_at"] = Value::Null;
    report
}

fn images(root: &Path) -> Vec<PathBuf> {
    let status_a = "Package: bash\nStatus: install ok installed\nVersion: 5.0-4\n\nPackage: zsh\nStatus: install ok installed\nVersion: 5.7.1-1\n\n";
    let status_b = "Package: zsh\nStatus: install ok installed\nVersion: 5.7.1-1\n\n";
    [("a", status_a), ("b", status_b)]
        .iter()
        .map(|(name, status)| {
            let built = build(
                &[
                    layer(
                        "base",
                        vec![
                            os_release("debian", "10"),
                            file("var/lib/dpkg/status", *status),
                        ],
                    ),
                    layer(
                        "app",
                        vec![file(
                            "srv/app.env",
                            "GITHUB_TOKEN=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\n",
                        )],
                    ),
                ],
                "amd64",
            );
            let path = root.join(name);
            oci_layout(&path, &[("latest", &built)]);
            path
        })
        .collect()
}

fn scan_args(image: &Path) -> Vec<String> {
    ["image", "--format", "json", "-q", image.to_str().unwrap()]
        .map(str::to_string)
        .to_vec()
}

#[test]
fn concurrent_scans_on_one_cache_report_as_sequential_ones() {
    let root = dir("crash-concurrent");
    let images = images(&root);
    let cache = imported_cache("crash-concurrent", &["Debian-DSA-DLA.jsonl.zst"]);
    let sequential: Vec<Value> = images
        .iter()
        .map(|image| {
            let args = scan_args(image);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            stable(ok_json(bulkhead(&args, &cache)))
        })
        .collect();
    // Six at once, three per image, on a cache whose layer entries the first run wrote and on
    // a fresh one where they race to write them.
    for fresh in [false, true] {
        let cache = if fresh {
            imported_cache("crash-concurrent-fresh", &["Debian-DSA-DLA.jsonl.zst"])
        } else {
            cache.clone()
        };
        let children: Vec<_> = (0..6)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_bulkhead"))
                    .args(scan_args(&images[i % 2]))
                    .env("BULKHEAD_CACHE_DIR", &cache)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (i, child) in children.into_iter().enumerate() {
            let report = stable(ok_json(child.wait_with_output().unwrap()));
            assert_eq!(
                report,
                sequential[i % 2],
                "process {i} (fresh cache: {fresh})"
            );
        }
    }
}

/// A deterministic spread of delays (a linear congruential sequence), in milliseconds.
fn delays(count: usize, max_ms: u64) -> Vec<u64> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 33) % max_ms
        })
        .collect()
}

fn kill_after(args: &[&str], cache: &Path, delay_ms: u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .env("BULKHEAD_CACHE_DIR", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(delay_ms));
    let _ = child.kill(); // SIGKILL; it may have finished already
    let _ = child.wait();
}

#[test]
fn a_killed_import_leaves_a_usable_database() {
    let cache = dir("crash-import");
    let osv = shared().join("data/osv");
    let first = osv.join("Debian-DSA-DLA.jsonl.zst").display().to_string();
    let second = osv.join("PyPI.jsonl.zst").display().to_string();
    // A database to protect, then imports killed at 20 points of their run.
    let out = bulkhead(&["db", "import", &first], &cache);
    assert!(out.status.success());
    for delay in delays(20, 1500) {
        kill_after(&["db", "import", &second, &first], &cache, delay);
        let info = bulkhead(&["db", "info"], &cache);
        assert!(
            info.status.success(),
            "after a kill at {delay} ms: {}",
            String::from_utf8_lossy(&info.stderr)
        );
        let text = String::from_utf8_lossy(&info.stdout);
        // Whole or not at all: the Debian feed is always there.
        assert!(
            text.contains("Debian-DSA-DLA"),
            "after a kill at {delay} ms: {text}"
        );
    }
    let out = bulkhead(&["db", "import", &second], &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_killed_scan_leaves_a_usable_layer_cache() {
    let root = dir("crash-scan");
    let cache = imported_cache("crash-scan", &["Debian-DSA-DLA.jsonl.zst"]);
    for (i, delay) in delays(20, 400).into_iter().enumerate() {
        // A new top layer each time, so the killed scan is the one writing its cache entry.
        let built = build(
            &[
                layer(
                    "base",
                    vec![
                        os_release("debian", "10"),
                        file(
                            "var/lib/dpkg/status",
                            "Package: bash\nStatus: install ok installed\nVersion: 5.0-4\n\n",
                        ),
                    ],
                ),
                layer(
                    "app",
                    vec![file(
                        "srv/app.env",
                        format!("RUN={i}\nGITHUB_TOKEN=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\n"),
                    )],
                ),
            ],
            "amd64",
        );
        let image = root.join(format!("image-{i}"));
        oci_layout(&image, &[("latest", &built)]);
        let args = scan_args(&image);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kill_after(&args, &cache, delay);
        let cached = stable(ok_json(bulkhead(&args, &cache)));
        let fresh = stable(ok_json(bulkhead(
            &[&args[..], &["--no-layer-cache"]].concat(),
            &cache,
        )));
        assert_eq!(cached, fresh, "after a kill at {delay} ms");
    }
}

/// The real Debian feed as an osv.dev `all.zip`: one pretty-printed JSON file per record.
fn debian_all_zip() -> Vec<u8> {
    use std::io::Write;
    let feed = std::fs::read(shared().join("data/osv/Debian-DSA-DLA.jsonl.zst")).unwrap();
    let text = zstd::decode_all(&feed[..]).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        zip.start_file(format!("{i}.json"), opts).unwrap();
        zip.write_all(line).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_killed_update_leaves_a_usable_database() {
    let cache = dir("crash-update");
    let url = serve_forever(debian_all_zip());
    let alpine = shared().join("data/osv/Alpine-secdb-2020.jsonl.zst");
    let out = bulkhead(&["db", "import", alpine.to_str().unwrap()], &cache);
    assert!(out.status.success());
    let update = ["db", "update", "--ecosystems", "Debian", "--url", &url];
    for delay in delays(20, 2000) {
        kill_after(&update, &cache, delay);
        let info = bulkhead(&["db", "info"], &cache);
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.status.success(),
            "after a kill at {delay} ms: {}",
            String::from_utf8_lossy(&info.stderr)
        );
        // Whole or not at all: the old feed, or the old one and the whole new one.
        assert!(
            text.contains("Alpine-secdb-2020"),
            "after a kill at {delay} ms: {text}"
        );
    }
    let out = bulkhead(&update, &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = String::from_utf8_lossy(&bulkhead(&["db", "info"], &cache).stdout).into_owned();
    assert!(info.contains("Debian"), "{info}");
    // No download left behind by the killed runs.
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("bulkhead-download-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
