//! Licences of Debian packages from their real `usr/share/doc/<package>/copyright` files (this
//! machine's, Debian 12), in the JSON report and the CycloneDX and SPDX SBOMs. Expected names
//! are the files' `License:` lines as `grep '^License:'` shows them (split at ` and `).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn debian_licences_from_copyright_files() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("licenses");
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy("/var/lib/dpkg/status", root.join("var/lib/dpkg/status")).unwrap();
    std::fs::copy("/etc/os-release", root.join("etc/os-release")).unwrap();
    for package in ["coreutils", "zlib1g", "tar"] {
        let doc = root.join("usr/share/doc").join(package);
        std::fs::create_dir_all(&doc).unwrap();
        std::fs::copy(
            format!("/usr/share/doc/{package}/copyright"),
            doc.join("copyright"),
        )
        .unwrap_or_else(|e| panic!("{package}'s copyright file: {e}"));
    }
    let cache = imported_cache("licenses", &["malicious/malicious-go.jsonl.zst"]);
    let report: Value = ok_json(bulkhead(
        &[
            "rootfs",
            "--scanners",
            "vuln",
            "--format",
            "json",
            "-q",
            root.to_str().unwrap(),
        ],
        &cache,
    ));
    let licences = |name: &str| -> BTreeSet<String> {
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in the inventory"))["licenses"]
            .as_array()
            .map(|l| l.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        licences("coreutils"),
        set(&[
            "GPL-3+",
            "BSD-4-clause-UC",
            "ISC",
            "FSFULLR",
            "GFDL-NIV-1.3"
        ])
    );
    assert_eq!(licences("zlib1g"), set(&["Zlib"]));
    assert_eq!(
        licences("tar"),
        set(&["GPL-2+", "GPL-3+", "GPL-3+ with Bison exception", "LGPL-3+"])
    );
    // A package whose copyright file is not in the tree has none.
    assert!(licences("bash").is_empty());

    for (format, needle) in [("cyclonedx", "Zlib"), ("spdx-json", "Zlib")] {
        let out = bulkhead(
            &[
                "rootfs",
                "--scanners",
                "vuln",
                "--format",
                format,
                "-q",
                root.to_str().unwrap(),
            ],
            &cache,
        );
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(needle), "{format} has no licence {needle}");
    }
}
