//! `bulkhead rescan` end to end: stored inventories (of images and SBOMs) re-matched after a
//! database import find exactly what fresh scans find; concurrent scans and rescans share the
//! one database file.

mod common;
#[path = "sbom/support.rs"]
mod support;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use support::*;

#[test]
fn rescan_reports_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let image = debian_image(dir.path());
    let image = image.to_str().unwrap();
    // The same packages as Debian 11, scanned as an image and then as its SBOM: one artifact
    // (the SBOM names the image's digest), stored by the later scan. Rescan matches the
    // packages the two inventories share once.
    let other = debian_release_image(dir.path(), "11");
    let other = other.to_str().unwrap();
    // First scans against a database without Debian data: nothing found, inventories stored.
    let cache = fresh_cache(dir.path(), &["Alpine-secdb-2020"]);
    let sbom = dir.path().join("other.cdx.json");
    let sbom = sbom.to_str().unwrap();
    run(
        &["image", "-q", "--format", "cyclonedx", "-o", sbom, other],
        &cache,
    );
    run(&["sbom", "-q", sbom], &cache);
    let before = json_of(&["image", "-q", "--format", "json", image], &cache);
    assert!(findings(&before).is_empty());
    let quiet = json_of(&["rescan", "-q", "--format", "json"], &cache);
    assert_eq!(quiet["summary"]["artifacts"], 2);
    assert_eq!(quiet["summary"]["new_vulnerabilities"], 0);
    // The Debian advisories arrive: the rescan finds exactly what fresh scans find.
    let feed = shared().join("data/osv/Debian-DSA-DLA.jsonl.zst");
    run(&["db", "import", feed.to_str().unwrap()], &cache);
    let out = bulkhead(
        &["rescan", "-q", "--format", "json", "--exit-code", "5"],
        &cache,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    let rescan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new_for = |digest: &Value, kind: &str| -> BTreeSet<(String, String, String)> {
        let artifacts = rescan["artifacts"].as_array().unwrap();
        let artifact = artifacts
            .iter()
            .find(|a| &a["digest"] == digest && a["type"] == kind)
            .unwrap_or_else(|| panic!("{digest} {kind} not in {artifacts:?}"));
        findings(&serde_json::json!({"vulnerabilities": artifact["new_vulnerabilities"]}))
    };
    let fresh = json_of(&["image", "-q", "--format", "json", image], &cache);
    let new = new_for(&before["artifact"]["digest"], "oci-layout");
    assert!(!new.is_empty());
    assert_eq!(new, findings(&fresh));
    let fresh_other = json_of(&["image", "-q", "--format", "json", other], &cache);
    assert_ne!(
        findings(&fresh_other),
        findings(&fresh),
        "releases 10 and 11 differ"
    );
    let digest = &fresh_other["artifact"]["digest"];
    assert_eq!(new_for(digest, "sbom"), findings(&fresh_other));
    // Nothing new the second time; the table says so.
    let table = String::from_utf8(run(&["rescan", "-q", "--exit-code", "5"], &cache)).unwrap();
    assert!(
        table.contains("rescanned 2 stored inventories")
            && table.contains(" 0 new vulnerabilities"),
        "{table}"
    );
}

#[test]
fn concurrent_scans_and_rescans_share_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let image = debian_image(dir.path());
    let cache = fresh_cache(dir.path(), &["Debian-DSA-DLA"]);
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
            if i % 2 == 0 {
                c.args(["image", "-q", "--format", "json"]).arg(&image);
            } else {
                c.args(["rescan", "-q", "--format", "json"]);
            }
            c.env("BULKHEAD_CACHE_DIR", &cache)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rescan = json_of(&["rescan", "-q", "--format", "json"], &cache);
    assert_eq!(rescan["summary"]["artifacts"], 1);
    assert_eq!(rescan["summary"]["new_vulnerabilities"], 0);
}
