//! Ignore files (`.bulkheadignore`, `.trivyignore`) and VEX documents (OpenVEX, CycloneDX) on a
//! real image scanned against the real PyPI feed, and `--format openvex` checked against the
//! official OpenVEX 0.2 JSON schema. Expected IDs come from the feed (read with jq when the
//! test was written): Django 3.2.0 is affected by PYSEC-2021-109 (CVE-2021-35042, fixed 3.2.5),
//! PYSEC-2021-7 (CVE-2021-31542), PYSEC-2021-8, PYSEC-2021-98 and PYSEC-2021-99.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const AWS_KEY: &str = "AKIAQYLPMN5HHHFPZAM2";

struct Fixture {
    dir: PathBuf,
    image: PathBuf,
    cache: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("suppress");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let built = build(
            &[layer(
                "pip install Django==3.2.0; COPY config.env",
                vec![
                    os_release("debian", "12"),
                    file(
                        "usr/lib/python3/dist-packages/Django-3.2.0.dist-info/METADATA",
                        "Metadata-Version: 2.1\nName: Django\nVersion: 3.2.0\n",
                    ),
                    file(
                        "srv/app/config.env",
                        format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n"),
                    ),
                ],
            )],
            "amd64",
        );
        let image = dir.join("image");
        oci_layout(&image, &[("latest", &built)]);
        let cache = imported_cache("suppress", &["PyPI.jsonl.zst"]);
        Fixture { dir, image, cache }
    })
}

/// Runs bulkhead in its own working directory holding `files` (name, content).
fn scan_in(name: &str, files: &[(&str, &str)], args: &[&str]) -> Output {
    let fx = fixture();
    let cwd = fx.dir.join(name);
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).unwrap();
    for (file, content) in files {
        std::fs::write(cwd.join(file), content).unwrap();
    }
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["image", "--quiet"])
        .args(args)
        .arg(&fx.image)
        .current_dir(&cwd)
        .env("BULKHEAD_CACHE_DIR", &fx.cache)
        .env("BULKHEAD_TIMEOUT", "120s")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn json_in(name: &str, files: &[(&str, &str)], extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = scan_in(name, files, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(report: &Value, section: &str, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = report[section]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v[key].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn django_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["package"] == "Django")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn unsuppressed_scan_has_the_findings_the_tests_hide() {
    let report = json_in("plain", &[], &[]);
    let django = django_ids(&report);
    for id in [
        "PYSEC-2021-109",
        "PYSEC-2021-7",
        "PYSEC-2021-8",
        "PYSEC-2021-98",
    ] {
        assert!(django.contains(&id.to_string()), "{id} in {django:?}");
    }
    assert_eq!(ids(&report, "secrets", "rule_id"), ["aws-access-key-id"]);
    assert!(report.get("suppressed").is_none());
    // The package's file is named on each finding.
    let v = &report["vulnerabilities"][0];
    assert_eq!(
        v["location"],
        "usr/lib/python3/dist-packages/Django-3.2.0.dist-info/METADATA"
    );
}

#[test]
fn trivyignore_by_cve_alias_with_and_without_expiry() {
    let trivyignore = "# accepted risk\nCVE-2021-35042\nCVE-2021-31542 exp:2099-12-31\nCVE-2021-32052 exp:2020-01-01\n";
    let report = json_in("trivyignore", &[(".trivyignore", trivyignore)], &[]);
    let django = django_ids(&report);
    assert!(!django.contains(&"PYSEC-2021-109".to_string()));
    assert!(!django.contains(&"PYSEC-2021-7".to_string()));
    // Expired: reported again, and said so.
    assert!(django.contains(&"PYSEC-2021-8".to_string()));
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("expired on 2020-01-01"), "{warnings}");
    let suppressed = report["suppressed"].as_array().unwrap();
    let by: Vec<(&str, &str)> = suppressed
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        by,
        [
            ("PYSEC-2021-109", ".trivyignore:2"),
            ("PYSEC-2021-7", ".trivyignore:3")
        ]
    );
    assert_eq!(report["summary"]["suppressed"], 2);
}

#[test]
fn bulkheadignore_by_purl_and_by_path() {
    let ignore = "PYSEC-2021-98 pkg:pypi/django\nPYSEC-2021-99 pkg:pypi/flask\nPYSEC-2021-8 pkg:pypi/django@9.9\naws-access-key-id srv/app/**\n";
    let report = json_in("bulkheadignore", &[(".bulkheadignore", ignore)], &[]);
    let django = django_ids(&report);
    assert!(!django.contains(&"PYSEC-2021-98".to_string()));
    // Another package, another version: not this finding.
    assert!(django.contains(&"PYSEC-2021-99".to_string()));
    assert!(django.contains(&"PYSEC-2021-8".to_string()));
    assert!(report["secrets"].as_array().unwrap().is_empty());
    let kinds: Vec<&str> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["vulnerability", "secret"]);
    // A path that does not match keeps the secret; --ignorefile names the file explicitly.
    let report = json_in(
        "explicit",
        &[("mine.ignore", "aws-access-key-id etc/**\n")],
        &["--ignorefile", "mine.ignore"],
    );
    assert_eq!(ids(&report, "secrets", "rule_id"), ["aws-access-key-id"]);
}

#[test]
fn show_suppressed_lists_the_line_in_the_table() {
    let out = scan_in(
        "table",
        &[(".trivyignore", "CVE-2021-35042\n")],
        &["--show-suppressed"],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("suppressed"), "{table}");
    assert!(table.contains(".trivyignore:1"), "{table}");
    let out = scan_in("table-hidden", &[(".trivyignore", "CVE-2021-35042\n")], &[]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("--show-suppressed lists them"), "{table}");
    assert!(!table.contains("PYSEC-2021-109"), "{table}");
}

#[test]
fn openvex_not_affected_suppresses_and_under_investigation_annotates() {
    let vex = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/1",
      "author": "app team",
      "timestamp": "2026-12-01T00:00:00Z",
      "version": 1,
      "statements": [
        {"vulnerability": {"name": "CVE-2021-35042"},
         "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:pypi/django"}]}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
        {"vulnerability": {"name": "PYSEC-2021-98"},
         "products": [{"@id": "pkg:pypi/django@3.2.0"}],
         "status": "under_investigation"},
        {"vulnerability": {"name": "PYSEC-2021-99"},
         "products": [{"@id": "pkg:pypi/django@3.1.0"}],
         "status": "not_affected", "justification": "component_not_present"}
      ]
    }"#;
    let report = json_in(
        "openvex",
        &[("app.vex.json", vex)],
        &["--vex", "app.vex.json"],
    );
    let django = django_ids(&report);
    assert!(!django.contains(&"PYSEC-2021-109".to_string()));
    // Another version: the statement does not apply.
    assert!(django.contains(&"PYSEC-2021-99".to_string()));
    let noted = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "PYSEC-2021-98")
        .unwrap();
    assert_eq!(noted["vex"]["status"], "under_investigation");
    let s = &report["suppressed"][0];
    assert_eq!(s["status"], "not_affected");
    assert_eq!(s["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(s["by"], "app.vex.json#statement 1");
}

#[test]
fn cyclonedx_vex_by_purl_and_version_range() {
    let vex = r#"{
      "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
      "components": [{"type": "library", "name": "django", "bom-ref": "dj", "purl": "pkg:pypi/django"}],
      "vulnerabilities": [
        {"id": "CVE-2021-31542", "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
         "affects": [{"ref": "dj", "versions": [{"range": "vers:pypi/>=3.0|<3.3"}]}]},
        {"id": "PYSEC-2021-8", "analysis": {"state": "resolved"},
         "affects": [{"ref": "pkg:pypi/django", "versions": [{"range": "vers:pypi/>=4.0|<5"}]}]}
      ]
    }"#;
    let report = json_in("cdx", &[("vex.cdx.json", vex)], &["--vex", "vex.cdx.json"]);
    let django = django_ids(&report);
    assert!(!django.contains(&"PYSEC-2021-7".to_string()));
    // 3.2.0 is outside >=4.0|<5: still reported.
    assert!(django.contains(&"PYSEC-2021-8".to_string()));
    assert_eq!(
        report["suppressed"][0]["justification"],
        "code_not_reachable"
    );
}

#[test]
fn openvex_output_validates_against_the_official_schema() {
    let out = scan_in(
        "openvex-out",
        &[],
        &["--format", "openvex", "-o", "out.vex.json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = fixture().dir.join("openvex-out/out.vex.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let statements = doc["statements"].as_array().unwrap();
    let affected = statements
        .iter()
        .find(|s| s["vulnerability"]["name"] == "PYSEC-2021-109")
        .unwrap();
    assert_eq!(affected["status"], "affected");
    assert_eq!(
        affected["products"][0]["subcomponents"][0]["@id"],
        "pkg:pypi/django@3.2.0"
    );
    assert!(affected["action_statement"]
        .as_str()
        .unwrap()
        .contains("3.2.5"));
    // PYSEC-2009-4 was fixed in 1.1.1: Django 3.2.0 has the fix.
    let fixed = statements
        .iter()
        .find(|s| s["vulnerability"]["name"] == "PYSEC-2009-4")
        .expect("a fixed statement for an advisory whose fix is installed");
    assert_eq!(fixed["status"], "fixed");
    let schema = shared().join("data/specs/openvex/openvex_json_schema.json");
    let check = "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1]))); print('valid')";
    let out = Command::new("python3")
        .args(["-c", check])
        .arg(&schema)
        .arg(&path)
        .output()
        .expect(
            "python3 with jsonschema: run `bash scripts/test.sh` (.ci/setup-config.sh installs it)",
        );
    assert!(
        out.status.success(),
        "OpenVEX output does not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Fed back as input, it keeps every finding (all `affected`) and notes each.
    let report = json_in("openvex-roundtrip", &[], &["--vex", path.to_str().unwrap()]);
    assert!(report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["vex"]["status"] == "affected"));
}

#[test]
fn a_missing_database_is_said_before_anything_is_read() {
    let fx = fixture();
    let empty = fx.dir.join("empty-cache");
    let _ = std::fs::remove_dir_all(&empty);
    let started = std::time::Instant::now();
    // A target that does not exist: the database check comes first.
    let out = bulkhead(&["image", "/nonexistent/image.tar"], &empty);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no advisories imported"), "{stderr}");
    assert!(stderr.contains("bulkhead db import"), "{stderr}");
    assert!(
        !empty.join("bulkhead.db").exists(),
        "no empty database is left behind"
    );
    assert!(started.elapsed().as_secs() < 10);
    // Without the vulnerability scanner no database is needed.
    let out = bulkhead(
        &[
            "image",
            "--scanners",
            "secret",
            "--format",
            "json",
            fx.image.to_str().unwrap(),
        ],
        &empty,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn data_gaps_appear_in_every_format() {
    // Only the PyPI feed is imported, its newest record from 2024: stale, and no Debian 12 data.
    let gap = "stale advisory data";
    let table = scan_in("gaps-table", &[], &[]);
    assert!(String::from_utf8_lossy(&table.stdout).contains(gap));
    // -q hides progress, never a data gap: a report written elsewhere leaves it on stderr.
    let out = scan_in("gaps-stderr", &[], &["--format", "json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(gap));
    let json = json_in("gaps-json", &[], &[]);
    assert!(json["warnings"].to_string().contains(gap));
    let out = scan_in("gaps-sarif", &[], &["--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains(gap), "{notes}");
    let out = scan_in("gaps-cdx", &[], &["--format", "cyclonedx"]);
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let properties = bom["metadata"]["component"]["properties"].to_string();
    assert!(
        properties.contains("bulkhead:warning") && properties.contains(gap),
        "{properties}"
    );
}
