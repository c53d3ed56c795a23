//! SBOMs out and in, end to end with the real binary (`bulkhead rescan`: tests/rescan.rs).
//!
//! - CycloneDX 1.6 and SPDX 2.3 output of a real image (built in code from the real dpkg
//!   databases in ../shared/data/fixtures/pkgdb) is checked by the real validators that
//!   `.ci/setup-sbom.sh` installs: the official CycloneDX JSON schemas shipped in PyPI
//!   `cyclonedx-python-lib` (strict JSON validator) and `pyspdxtools -i` from PyPI `spdx-tools`.
//! - Round trip: image → CycloneDX/SPDX → `bulkhead sbom` gives the image's findings.
//! - Real syft 1.18.1 and trivy 0.76.0 SBOMs (tests/fixtures/sbom/, see its README) are read and
//!   their packages compared with what the documents list, parsed here independently.

mod common;
#[path = "sbom/support.rs"]
mod support;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn venv() -> PathBuf {
    std::env::var_os("BULKHEAD_SBOM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/bulkhead-sbom"))
}

fn validator(tool: &str) -> PathBuf {
    let path = venv().join("bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: run .ci/setup-sbom.sh (installs cyclonedx-python-lib and spdx-tools)",
        path.display()
    );
    path
}

const CYCLONEDX_CHECK: &str = "
import sys
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.schema import SchemaVersion
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read(), all_errors=True)
if errors:
    for e in errors: print(e)
    sys.exit(1)
";

fn validate_cyclonedx(path: &Path) {
    let out = Command::new(validator("python"))
        .args(["-c", CYCLONEDX_CHECK])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "CycloneDX 1.6 schema validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn validate_spdx(path: &Path) {
    let out = Command::new(validator("pyspdxtools"))
        .arg("-i")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyspdxtools validation failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn purls(report: &Value) -> BTreeSet<String> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cyclonedx_and_spdx_are_valid_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let image = debian_image(dir.path());
    let image = image.to_str().unwrap();
    let cache = fresh_cache(dir.path(), &["Debian-DSA-DLA"]);
    let report = json_of(&["image", "-q", "--format", "json", image], &cache);
    let vulns = findings(&report);
    assert!(
        vulns.len() > 10,
        "the image should have findings: {}",
        vulns.len()
    );

    let cdx_path = dir.path().join("image.cdx.json");
    let cdx = cdx_path.to_str().unwrap();
    run(
        &["image", "-q", "--format", "cyclonedx", "-o", cdx, image],
        &cache,
    );
    validate_cyclonedx(&cdx_path);
    let bom: Value = serde_json::from_slice(&std::fs::read(&cdx_path).unwrap()).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    let subject = &bom["metadata"]["component"];
    assert_eq!(subject["type"], "container");
    let digest = report["artifact"]["digest"].as_str().unwrap();
    assert_eq!(
        subject["hashes"][0]["content"],
        digest.trim_start_matches("sha256:")
    );
    let components = bom["components"].as_array().unwrap();
    let os: Vec<_> = components
        .iter()
        .filter(|c| c["type"] == "operating-system")
        .collect();
    assert_eq!(os.len(), 1);
    assert_eq!(
        (os[0]["name"].as_str(), os[0]["version"].as_str()),
        (Some("debian"), Some("10"))
    );
    let cdx_purls: BTreeSet<String> = components
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    assert_eq!(cdx_purls, purls(&report));
    // Every package says which layer brought it.
    let diff_ids: BTreeSet<&str> = report["artifact"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap())
        .collect();
    for c in components.iter().filter(|c| c["type"] == "library") {
        let layer = c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "bulkhead:layer:diff_id")
            .unwrap_or_else(|| panic!("no layer property on {c}"));
        assert!(diff_ids.contains(layer["value"].as_str().unwrap()));
    }
    // OS → packages, image → OS.
    let deps = bom["dependencies"].as_array().unwrap();
    let os_ref = os[0]["bom-ref"].as_str().unwrap();
    let os_deps = deps.iter().find(|d| d["ref"] == os_ref).unwrap();
    assert_eq!(
        os_deps["dependsOn"].as_array().unwrap().len(),
        components.len() - 1
    );
    // The vulnerabilities are the report's, each pointing at an existing component.
    let refs: BTreeSet<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let cdx_vulns: BTreeSet<(String, String, String)> = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let target = v["affects"][0]["ref"].as_str().unwrap();
            assert!(refs.contains(target), "dangling ref {target}");
            let c = components.iter().find(|c| c["bom-ref"] == target).unwrap();
            assert!(v["ratings"][0]["severity"].is_string());
            (
                v["id"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(cdx_vulns, vulns);

    let spdx_path = dir.path().join("image.spdx.json");
    let spdx = spdx_path.to_str().unwrap();
    run(
        &["image", "-q", "--format", "spdx-json", "-o", spdx, image],
        &cache,
    );
    validate_spdx(&spdx_path);
    let doc: Value = serde_json::from_slice(&std::fs::read(&spdx_path).unwrap()).unwrap();
    let packages = doc["packages"].as_array().unwrap();
    let spdx_purls: BTreeSet<String> = packages
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceType"] == "purl")
        .map(|r| r["referenceLocator"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(spdx_purls, purls(&report));
    let relationships = doc["relationships"].as_array().unwrap();
    let kinds = |kind: &str| {
        relationships
            .iter()
            .filter(|r| r["relationshipType"] == kind)
            .count()
    };
    assert_eq!(kinds("DESCRIBES"), 1);
    // artifact CONTAINS os, os CONTAINS every package
    assert_eq!(kinds("CONTAINS"), packages.len() - 1);
    // A second document gets another namespace.
    run(
        &["image", "-q", "--format", "spdx-json", "-o", spdx, image],
        &cache,
    );
    let again: Value = serde_json::from_slice(&std::fs::read(&spdx_path).unwrap()).unwrap();
    assert_ne!(doc["documentNamespace"], again["documentNamespace"]);
}

#[test]
fn sbom_round_trip_gives_the_image_findings() {
    let dir = tempfile::tempdir().unwrap();
    let image = debian_image(dir.path());
    let image = image.to_str().unwrap();
    let cache = fresh_cache(dir.path(), &["Debian-DSA-DLA"]);
    let report = json_of(&["image", "-q", "--format", "json", image], &cache);
    for format in ["cyclonedx", "spdx-json"] {
        let path = dir.path().join(format!("sbom.{format}.json"));
        let p = path.to_str().unwrap();
        run(&["image", "-q", "--format", format, "-o", p, image], &cache);
        let from_sbom = json_of(&["sbom", "-q", "--format", "json", p], &cache);
        assert_eq!(from_sbom["artifact"]["type"], "sbom");
        assert_eq!(
            from_sbom["artifact"]["digest"], report["artifact"]["digest"],
            "{format}"
        );
        assert_eq!(from_sbom["os"]["family"], "debian");
        assert_eq!(purls(&from_sbom), purls(&report), "{format}");
        assert_eq!(findings(&from_sbom), findings(&report), "{format}");
        assert_eq!(
            from_sbom["packages"][0]["layer"]["digest"],
            report["packages"][0]["layer"]["digest"]
        );
    }
}

/// Real syft and trivy SBOMs of the Debian 12 minbase image (fixtures/sbom/README.md), copied
/// to `dir` (and decompressed: syft's SPDX lists every file and is kept as .zst).
fn peer_fixture(name: &str, dir: &Path) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sbom")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let (name, bytes) = match name.strip_suffix(".zst") {
        Some(plain) => (plain, zstd::decode_all(bytes.as_slice()).unwrap()),
        None => (name, bytes),
    };
    let out = dir.join(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

/// (name, version) of the deb packages a peer SBOM lists, read here straight from its JSON.
fn listed_debs(doc: &Value) -> BTreeSet<(String, String)> {
    let purls: Vec<&str> = if doc["bomFormat"] == "CycloneDX" {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .collect()
    } else {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
            .filter(|r| r["referenceType"] == "purl")
            .filter_map(|r| r["referenceLocator"].as_str())
            .collect()
    };
    purls
        .iter()
        .filter_map(|p| p.strip_prefix("pkg:deb/debian/"))
        .map(|p| {
            let (p, query) = p.split_once('?').unwrap_or((p, ""));
            let (name, version) = p.rsplit_once('@').unwrap();
            let mut version = unescape(version);
            // trivy keeps a deb epoch in a qualifier
            if let Some(epoch) = query.split('&').find_map(|q| q.strip_prefix("epoch=")) {
                version = format!("{epoch}:{version}");
            }
            (unescape(name), version)
        })
        .collect()
}

/// Percent-decoding, written here for the expectation.
fn unescape(text: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                .iter()
                .map(|&c| c as char)
                .collect();
            out.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn syft_and_trivy_sboms_are_read() {
    let cache = cache_with_os_feeds();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "syft.cdx.json",
        "syft.spdx.json.zst",
        "trivy.cdx.json",
        "trivy.spdx.json",
    ] {
        let path = peer_fixture(name, dir.path());
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let expected = listed_debs(&doc);
        assert!(expected.len() > 50, "{name}: {}", expected.len());
        let report = json_of(
            &["sbom", "-q", "--format", "json", path.to_str().unwrap()],
            cache,
        );
        assert_eq!(report["os"]["family"], "debian", "{name}");
        assert_eq!(
            report["os"]["version"].as_str().unwrap().split('.').next(),
            Some("12"),
            "{name}"
        );
        let got: BTreeSet<(String, String)> = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["version"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(got, expected, "{name}");
        // Source packages come through (purl `upstream=` for syft, properties for trivy):
        // libc6 is built from glibc.
        let libc = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "libc6")
            .unwrap();
        assert_eq!(libc["source_name"], "glibc", "{name}");
    }
}

#[test]
fn hostile_sboms_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with_os_feeds();
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}1{}}}"#,
        r#"[{"components":"#.repeat(100_000),
        "}]".repeat(100_000)
    );
    let nested_components = {
        let mut c = String::from(r#"{"type":"library","name":"x","purl":"pkg:deb/debian/x@1"}"#);
        for _ in 0..50 {
            c = format!(r#"{{"type":"library","name":"n","components":[{c}]}}"#);
        }
        format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{c}]}}"#)
    };
    let cases: &[(&str, String, Option<&str>)] = &[
        ("deep.json", deep, Some("recursion limit")),
        ("notsbom.json", r#"{"hello": 1}"#.into(), Some("neither CycloneDX")),
        ("old.cdx.json", r#"{"bomFormat":"CycloneDX","specVersion":"1.1"}"#.into(), Some("CycloneDX 1.1 is not supported")),
        ("truncated.cdx.json", r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"#.into(), Some("EOF")),
        ("nested.cdx.json", nested_components, None),
        (
            "badpurls.cdx.json",
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
                {"type":"library","name":"a","purl":"pkg:deb/debian/a%zz@1"},
                {"type":"library","name":"b","purl":"not a purl"},
                {"type":"library","name":"c"},
                {"type":"library","name":"d","purl":"pkg:github/x/d@1"},
                {"type":"library","name":"bash","purl":"pkg:deb/debian/bash@5.2.15-2%2Bb2?distro=debian-12"}]}"#.into(),
            None,
        ),
    ];
    for (name, body, error) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = bulkhead(&["sbom", "--format", "json", path.to_str().unwrap()], cache);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match error {
            Some(expected) => {
                assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
                assert!(
                    stderr.contains(expected) && stderr.contains(name),
                    "{name}: {stderr}"
                );
            }
            None => assert!(out.status.success(), "{name}: {stderr}"),
        }
    }
    // The nested package is found; bad purls are warnings naming the component.
    let report = json_of(
        &[
            "sbom",
            "-q",
            "--format",
            "json",
            dir.path().join("nested.cdx.json").to_str().unwrap(),
        ],
        cache,
    );
    assert_eq!(report["packages"][0]["name"], "x");
    let report = json_of(
        &[
            "sbom",
            "-q",
            "--format",
            "json",
            dir.path().join("badpurls.cdx.json").to_str().unwrap(),
        ],
        cache,
    );
    assert_eq!(report["packages"].as_array().unwrap().len(), 1);
    assert_eq!(report["os"]["version"], "12");
    let warnings = report["warnings"].to_string();
    for expected in [
        "component \\\"a\\\"",
        "component \\\"b\\\"",
        "1 packages have no purl",
        "purl type \\\"github\\\"",
    ] {
        assert!(warnings.contains(expected), "{expected} not in {warnings}");
    }
    // Too big: refused before parsing.
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(source_max() + 1).unwrap();
    let out = bulkhead(&["sbom", big.to_str().unwrap()], cache);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 256MiB"));
}

fn source_max() -> u64 {
    256 << 20
}

/// Runs a peer tool from the setup venv, offline.
fn peer(tool: &str, args: &[&str], home: &Path) {
    let out = Command::new(validator(tool))
        .args(args)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn syft_and_trivy_sboms_of_an_image_give_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    // Two layers, the second replacing the dpkg database. (Not `debian_image`: in that image
    // syft 1.18.1 leaves out the status.d entries that the second layer adds, although a
    // directory scan of the same files lists them; see docs/sbom.md.)
    let layers = vec![
        layer(
            "ADD rootfs.tar /",
            vec![
                os_release("debian", "10"),
                // trivy detects Debian by this file
                file("etc/debian_version", "10.13\n"),
                file(
                    "var/lib/dpkg/status",
                    fixture(&format!("{SYFT_DEB}/image-dpkg/var/lib/dpkg/status")),
                ),
            ],
        ),
        layer(
            "RUN apt-get install ...",
            vec![file("var/lib/dpkg/status", fixture(OLD_STATUS))],
        ),
    ];
    let image = dir.path().join("peer-layout");
    oci_layout(&image, &[("latest", &build(&layers, "amd64"))]);
    let cache = fresh_cache(dir.path(), &["Debian-DSA-DLA"]);
    let report = json_of(
        &["image", "-q", "--format", "json", image.to_str().unwrap()],
        &cache,
    );
    assert!(findings(&report).len() > 10);
    let oci = format!("oci-dir:{}", image.display());
    let made = |name: &str| dir.path().join(name).display().to_string();
    let syft_out = [
        format!("cyclonedx-json={}", made("syft.cdx.json")),
        format!("spdx-json={}", made("syft.spdx.json")),
    ];
    peer(
        "syft",
        &["scan", "-q", &oci, "-o", &syft_out[0], "-o", &syft_out[1]],
        dir.path(),
    );
    for (format, name) in [
        ("cyclonedx", "trivy.cdx.json"),
        ("spdx-json", "trivy.spdx.json"),
    ] {
        let common = [
            "image",
            "--skip-check-update",
            "--skip-version-check",
            "--skip-db-update",
        ];
        let mut args = common.to_vec();
        let input = image.display().to_string();
        let out = made(name);
        args.extend([
            "--offline-scan",
            "-q",
            "--input",
            &input,
            "--format",
            format,
            "-o",
            &out,
        ]);
        peer("trivy", &args, dir.path());
    }
    for name in [
        "syft.cdx.json",
        "syft.spdx.json",
        "trivy.cdx.json",
        "trivy.spdx.json",
    ] {
        let from_sbom = json_of(&["sbom", "-q", "--format", "json", &made(name)], &cache);
        let listed = |r: &Value| -> BTreeSet<(String, String)> {
            r["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().into(),
                        p["version"].as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        let (theirs, ours) = (listed(&from_sbom), listed(&report));
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        assert!(
            only_theirs.is_empty() && only_ours.is_empty(),
            "{name}: only in the SBOM {only_theirs:?}, only in the image scan {only_ours:?}"
        );
        let (theirs, ours) = (findings(&from_sbom), findings(&report));
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        assert!(
            only_theirs.is_empty() && only_ours.is_empty(),
            "{name}: findings only from the SBOM {only_theirs:?}, only from the image {only_ours:?}"
        );
    }
}
