//! `bulkhead config`, `bulkhead rules`, SARIF output checked by real validators, Rego
//! policies, and image-config findings from a real image.

mod common;

use common::sarif::validate_sarif;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const UBUNTU1804_STATUS: &str = "quay+claircore/dpkg/testdata/texlive.status";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn no_cache() -> PathBuf {
    std::env::temp_dir().join("bulkhead-config-test-no-cache")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs `bulkhead config --format json -o FILE args…` and returns (exit code, report, stderr).
fn config_json(args: &[&str]) -> (i32, Value, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let out_file = out_dir.path().join("report.json");
    let mut all = vec![
        "config",
        "--format",
        "json",
        "-o",
        out_file.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = bulkhead(&all, &no_cache());
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let report = std::fs::read(&out_file)
        .map(|b| serde_json::from_slice(&b).expect("JSON report"))
        .unwrap_or(Value::Null);
    (code, report, stderr)
}

/// (rule_id, file, line, column) of every misconfiguration.
fn located(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["misconfigurations"]
        .as_array()
        .expect("misconfigurations array")
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["file"].as_str().unwrap().to_string(),
                m["line"].as_u64().unwrap(),
                m["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

const DOCKERFILE: &str = "\
# syntax=docker/dockerfile:1
FROM ubuntu:latest
RUN apt-get update && \\
    apt-get install -y curl
ENV API_TOKEN=abc123
EXPOSE 22
COPY . /app
";

#[test]
fn a_directory_gives_located_findings_in_json() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/Dockerfile", DOCKERFILE);
    write(dir.path(), "README.md", "FROM not-a-dockerfile\n");
    write(
        dir.path(),
        "node_modules/x/Dockerfile",
        "FROM evil\nRUN sudo x\n",
    );
    let (code, report, stderr) = config_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let found = located(&report);
    let at = |id: &str| {
        found
            .iter()
            .filter(|f| f.0 == id)
            .map(|f| (f.1.as_str(), f.2, f.3))
            .collect::<Vec<_>>()
    };
    // Positions written independently from the text above.
    assert_eq!(at("BH-DF-003"), vec![("app/Dockerfile", 2, 1)]);
    assert_eq!(at("BH-DF-001"), vec![("app/Dockerfile", 2, 1)]);
    assert_eq!(at("BH-DF-023"), vec![("app/Dockerfile", 3, 1)]);
    assert_eq!(at("BH-DF-017"), vec![("app/Dockerfile", 5, 1)]);
    assert_eq!(at("BH-DF-033"), vec![("app/Dockerfile", 6, 1)]);
    assert_eq!(at("BH-DF-037"), vec![("app/Dockerfile", 7, 1)]);
    assert!(at("BH-DF-011").is_empty(), "node_modules must be skipped");
    let first = &report["misconfigurations"][0];
    for key in [
        "rule_id", "severity", "title", "message", "file", "line", "column",
    ] {
        assert!(!first[key].is_null(), "{key} missing in {first}");
    }
    assert_eq!(
        report["summary"]["misconfigurations"].as_u64(),
        Some(found.len() as u64)
    );
    assert_eq!(report["artifact"]["type"], "config");
}

#[test]
fn suppressions_inline_and_ignore_file_with_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let text = DOCKERFILE
        .replace("EXPOSE 22", "# bulkhead:ignore=BH-DF-033\nEXPOSE 22")
        .replace(
            "ENV API_TOKEN=abc123",
            "ENV API_TOKEN=abc123 # bulkhead:ignore=BH-DF-017",
        );
    write(dir.path(), "Dockerfile", &text);
    write(
        dir.path(),
        ".bulkheadignore",
        "# accepted until the base moves\nBH-DF-003 Dockerfile exp:2999-01-01\nBH-DF-001 other/**\nBH-DF-023 exp:2001-01-01\n",
    );
    let (code, report, stderr) = config_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let ids: Vec<String> = located(&report).into_iter().map(|f| f.0).collect();
    for gone in ["BH-DF-033", "BH-DF-017", "BH-DF-003"] {
        assert!(
            !ids.contains(&gone.to_string()),
            "{gone} should be suppressed: {ids:?}"
        );
    }
    // The path glob does not match and the expired entry no longer suppresses.
    for kept in ["BH-DF-001", "BH-DF-023", "BH-DF-037"] {
        assert!(ids.contains(&kept.to_string()), "{kept} missing: {ids:?}");
    }
    assert!(stderr.contains("expired on 2001-01-01"), "{stderr}");
}

#[test]
fn stdin_malformed_files_and_exit_codes() {
    // Rendered manifests on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["config", "--format", "json", "--quiet", "-"])
        .env("BULKHEAD_CACHE_DIR", no_cache())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: nginx\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = located(&report);
    assert!(
        found
            .iter()
            .any(|f| f.1 == "-" && f.0.starts_with("BH-K8S-")),
        "{found:?}"
    );

    // A malformed Dockerfile is a warning with its position; --exit-code makes CI fail on it.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\nRUNN echo\n");
    let (code, report, stderr) = config_json(&["--exit-code", "3", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("Dockerfile:2:1: cannot parse: unknown instruction"),
        "{stderr}"
    );
    // The position in separate fields (the text above keeps file:line:column).
    assert_eq!(report["warnings"][0]["file"], "Dockerfile");
    assert_eq!(report["warnings"][0]["line"], 2);
    assert_eq!(report["warnings"][0]["column"], 1);
    // Without --exit-code the report is still written and the run succeeds.
    let (code, _, _) = config_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    // --severity filters.
    write(dir.path(), "Dockerfile", DOCKERFILE);
    let (code, report, _) = config_json(&[
        "--severity",
        "HIGH,CRITICAL",
        "--exit-code",
        "4",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 4);
    assert!(report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["severity"] == "HIGH" || m["severity"] == "CRITICAL"));
}

#[test]
fn rules_lists_every_family_and_explains_one() {
    let out = bulkhead(&["rules"], &no_cache());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for family in [
        "Dockerfile (",
        "Image config (",
        "Kubernetes (",
        "Compose (",
        "Host checks, `bulkhead host` (",
    ] {
        assert!(text.contains(family), "{family} missing");
    }
    let out = bulkhead(&["rules", "bh-df-007"], &no_cache());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("BH-DF-007 — "), "{text}");
    assert!(
        text.contains("Why it matters")
            && text.contains("How to fix")
            && text.contains("References")
    );
    let out = bulkhead(&["rules", "bh-host-001"], &no_cache());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("BH-HOST-001 — "), "{text}");
    assert!(text.contains("CIS Docker 2.6"), "{text}");
    let out = bulkhead(&["rules", "BH-NOPE-1"], &no_cache());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rego_policies_fire_and_broken_ones_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM registry.acme.example/base:1 AS build\nFROM docker.io/library/alpine:3.20\nCOPY --from=build /x /x\n");
    write(dir.path(), "deploy/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n");
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  db:\n    image: postgres\n",
    );
    let policies = repo().join("policies/examples");
    let (code, report, stderr) = config_json(&[
        "--policy",
        policies.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let found = located(&report);
    let policy = |id: &str| {
        found
            .iter()
            .filter(|f| f.0 == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        policy("ACME-DF-001"),
        vec![("ACME-DF-001".into(), "Dockerfile".into(), 2, 1)]
    );
    // deny (no team label) and warn (no namespace), at the document.
    assert_eq!(policy("ACME-K8S-001").len(), 2, "{found:?}");
    assert_eq!(policy("ACME-K8S-001")[0].1, "deploy/web.yaml");
    assert_eq!(policy("ACME-DC-001").len(), 1, "{found:?}");
    let warn: std::collections::BTreeSet<&str> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["rule_id"] == "ACME-K8S-001")
        .map(|m| m["severity"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        warn,
        ["LOW", "MEDIUM"].into(),
        "deny takes the policy's severity, warn is LOW"
    );

    let broken = dir.path().join("broken.rego");
    std::fs::write(
        &broken,
        "package broken\n\ndeny contains msg if {\n  msg := \n}\n",
    )
    .unwrap();
    let (code, _, stderr) = config_json(&[
        "--policy",
        broken.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("broken.rego"), "{stderr}");
    assert!(
        stderr.contains(":5:") || stderr.contains(":4:"),
        "error should name the line: {stderr}"
    );
}

#[test]
fn sarif_for_misconfigurations_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = repo().join("crates/misconfig/tests/corpus");
    let sarif = dir.path().join("config.sarif");
    let out = bulkhead(
        &[
            "config",
            "--quiet",
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
            corpus.to_str().unwrap(),
        ],
        &no_cache(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 100, "{} results", results.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    validate_sarif(&sarif);
}

/// A real image built to fail: runs as root, a setuid binary, a world-writable file, an apt
/// cache, SSH exposed… and its vulnerabilities; the SARIF of both kinds must validate.
#[test]
fn image_config_findings_and_sarif_with_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        "ADD rootfs.tar /",
        vec![
            // An older package database presented as Debian 10: it has known vulnerabilities.
            os_release("debian", "10"),
            file("var/lib/dpkg/status", fixture(UBUNTU1804_STATUS)),
            Node::Mode("usr/bin/passwd".into(), b"\x7fELF".to_vec(), 0o4755),
            Node::Mode("usr/bin/removed-later".into(), b"\x7fELF".to_vec(), 0o4755),
        ],
    );
    let app = layer(
        "/bin/sh -c apt-get update && apt-get install -y curl",
        vec![
            file(
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                "Origin: Debian\n",
            ),
            file(
                "var/cache/apt/archives/curl_7.88.1-10_amd64.deb",
                "!<arch>\n",
            ),
            Node::Mode("srv/shared.conf".into(), b"x=1\n".to_vec(), 0o666),
            Node::Whiteout("usr/bin/removed-later".into()),
            // An AWS key ID in the documented format (AKIA + 16 base32 characters), made up.
            file("srv/app.env", format!("AWS_ACCESS_KEY_ID={FAKE_AWS_KEY}\n")),
        ],
    );
    let built = build(&[base, app], "amd64");
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[("latest", &built)]);
    let report = scan_json(&layout, &[]);
    let found: Vec<(String, String)> = report["misconfigurations"]
        .as_array()
        .expect("misconfigurations")
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                m["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |id: &str, needle: &str| found.iter().any(|(i, m)| i == id && m.contains(needle));
    assert!(has("BH-IMG-001", "root"), "{found:?}");
    assert!(has("BH-IMG-005", "/usr/bin/passwd is setuid"), "{found:?}");
    assert!(
        !found.iter().any(|(_, m)| m.contains("removed-later")),
        "deleted files must not count: {found:?}"
    );
    assert!(has("BH-IMG-006", "/srv/shared.conf"), "{found:?}");
    assert!(has("BH-IMG-007", "apt package lists"), "{found:?}");
    assert!(has("BH-IMG-007", "apt package archives"), "{found:?}");
    assert!(
        !found.iter().any(|(i, _)| i == "BH-IMG-008"),
        "Debian with dpkg is not distroless: {found:?}"
    );
    assert!(!report["vulnerabilities"].as_array().unwrap().is_empty());

    let sarif = dir.path().join("image.sarif");
    let out = bulkhead(
        &[
            "image",
            "--quiet",
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
            layout.to_str().unwrap(),
        ],
        cache_with_os_feeds(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let ids: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(
        ids.iter().any(|i| i.starts_with("BH-IMG-")) && ids.iter().any(|i| !i.starts_with("BH-")),
        "{ids:?}"
    );
    assert!(ids.contains(&"aws-access-key-id"), "{ids:?}");
    let text = std::fs::read_to_string(&sarif).unwrap();
    assert!(!text.contains(FAKE_AWS_KEY), "SARIF must mask secrets");
    validate_sarif(&sarif);
}

const FAKE_AWS_KEY: &str = "AKIAQ7R2M4XW5ZT6PB3L";

#[test]
fn a_literal_credential_is_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n    - name: api\n      image: registry.example.com/api:1.2\n      env:\n        - name: STRIPE_KEY\n          value: \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"\n",
    );
    let (_, report, stderr) = config_json(&[dir.path().to_str().unwrap()]);
    // The literal-value rule keeps the finding and names the secret rule; the secret is tied.
    let literal: Vec<&Value> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "BH-K8S-028")
        .collect();
    assert_eq!(literal.len(), 1, "{stderr}");
    assert_eq!(literal[0]["line"], 11);
    assert!(literal[0]["message"]
        .as_str()
        .unwrap()
        .contains("stripe-secret-key"));
    assert_eq!(report["secrets"], serde_json::json!([]));
    assert_eq!(report["suppressed"][0]["id"], "stripe-secret-key");
    assert_eq!(
        report["suppressed"][0]["by"],
        "BH-K8S-028 at deploy.yaml:11"
    );

    // `bulkhead fs` runs the configuration checks and the secret scan over the same file:
    // one finding there too.
    let fs = ok_json(bulkhead(
        &[
            "fs",
            "--scanners",
            "secret,config",
            "--format",
            "json",
            dir.path().to_str().unwrap(),
        ],
        &dir.path().join("cache"),
    ));
    assert_eq!(fs["secrets"], serde_json::json!([]), "{fs}");
    let tied: Vec<&Value> = fs["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "BH-K8S-028" && f["line"] == 11)
        .collect();
    assert_eq!(tied.len(), 1, "{fs}");
    assert!(fs["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "stripe-secret-key" && s["justification"] == "same_finding"));
}
