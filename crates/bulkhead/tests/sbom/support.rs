//! What the SBOM and rescan tests share: a Debian image with real dpkg databases, a fresh
//! cache with chosen real feeds, running bulkhead and reading its findings.

#![allow(dead_code)]

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const SYFT_DEB: &str = "anchore+syft/syft/pkg/cataloger/debian/testdata";
/// A real Ubuntu 18.04 dpkg database (357 packages), presented as Debian 10 so that the real
/// Debian advisories find plenty in it, as crates/bulkhead/tests/image_scan.rs does.
pub const OLD_STATUS: &str = "quay+claircore/dpkg/testdata/texlive.status";

/// Debian 10 in two layers: a base status file, then a distroless-style status.d entry.
pub fn debian_image(dir: &Path) -> PathBuf {
    debian_release_image(dir, "10")
}

pub fn debian_release_image(dir: &Path, release: &str) -> PathBuf {
    let layers = vec![
        layer(
            "ADD rootfs.tar /",
            vec![
                os_release("debian", release),
                file("var/lib/dpkg/status", fixture(OLD_STATUS)),
            ],
        ),
        layer(
            "COPY status.d /var/lib/dpkg/status.d",
            vec![file(
                "var/lib/dpkg/status.d/doc-examples",
                fixture(&format!("{SYFT_DEB}/var/lib/dpkg/status.d/doc-examples")),
            )],
        ),
    ];
    let built = build(&layers, "amd64");
    let layout = dir.join(format!("layout-{release}"));
    oci_layout(&layout, &[("latest", &built)]);
    layout
}

pub fn run(args: &[&str], cache: &Path) -> Vec<u8> {
    let out = bulkhead(args, cache);
    assert!(
        out.status.success(),
        "bulkhead {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn json_of(args: &[&str], cache: &Path) -> Value {
    serde_json::from_slice(&run(args, cache)).expect("JSON output")
}

/// (id, package, installed version) of a JSON report's findings.
pub fn findings(report: &Value) -> BTreeSet<(String, String, String)> {
    report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            (s("id"), s("package"), s("installed_version"))
        })
        .collect()
}

/// A fresh cache dir with the real Debian advisories (so stored inventories are per test).
pub fn fresh_cache(dir: &Path, feeds: &[&str]) -> PathBuf {
    let cache = dir.join("cache");
    let paths: Vec<String> = feeds
        .iter()
        .map(|f| {
            shared()
                .join(format!("data/osv/{f}.jsonl.zst"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["db", "import"];
    args.extend(paths.iter().map(String::as_str));
    run(&args, &cache);
    cache
}
