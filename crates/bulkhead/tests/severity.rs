//! Severity for OS findings whose distro advisory rates none, taken from another record about
//! the same CVE. From the real feeds (read with jq when written): DSA-5305-1 fixes libksba
//! 1.5.0-3+deb11u2 on Debian 11 for CVE-2022-47629 and carries no severity; AlmaLinux rates
//! that CVE "Important" (ALSA-2023:0625), which is HIGH. DLA-3249-1 (mbedtls) names CVEs no
//! other record rates: it stays UNKNOWN.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

const STATUS: &str = "Package: libksba8
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: libksba
Version: 1.5.0-3+deb11u1
Description: X.509 and CMS support library

";

#[test]
fn debian_findings_take_the_rating_of_the_same_cve_elsewhere() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("alias-severity");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let built = build(
        &[layer(
            "debootstrap",
            vec![
                os_release("debian", "11"),
                file("var/lib/dpkg/status", STATUS),
            ],
        )],
        "amd64",
    );
    let image = dir.join("image");
    oci_layout(&image, &[("latest", &built)]);
    let cache = imported_cache(
        "alias-severity",
        &["Debian-DSA-DLA.jsonl.zst", "AlmaLinux.jsonl.zst"],
    );
    let scan = |extra: &[&str]| -> Value {
        let mut args = vec!["image", "--format", "json", "-q"];
        args.extend_from_slice(extra);
        let target = image.display().to_string();
        args.push(&target);
        let out = bulkhead(&args, &cache);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let report = scan(&[]);
    let dsa = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "DSA-5305-1")
        .expect("DSA-5305-1 matches libksba 1.5.0-3+deb11u1");
    assert_eq!(dsa["severity"], "HIGH");
    assert_eq!(dsa["fixed_version"], "1.5.0-3+deb11u2");
    let source = dsa["severity_source"].as_str().unwrap();
    assert!(source.starts_with("alias:ALSA-2023:062"), "{source}");
    // HIGH findings survive the filter that used to hide every Debian finding.
    let high = scan(&["--severity", "HIGH,CRITICAL"]);
    assert!(high["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == "DSA-5305-1"));
    // SARIF carries where the rating came from.
    let out = bulkhead(
        &["image", "--format", "sarif", "-q", image.to_str().unwrap()],
        &cache,
    );
    let sarif = String::from_utf8_lossy(&out.stdout);
    assert!(
        sarif.contains("alias:ALSA-2023:062"),
        "SARIF has no severity source"
    );
}
