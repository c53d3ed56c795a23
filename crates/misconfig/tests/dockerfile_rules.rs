//! Every Dockerfile rule of the catalogue has an insecure and a hardened case in
//! `corpus/dockerfile/<ID>/{bad,good}/Dockerfile`: it must fire on the first and stay quiet on
//! the second. A rule added without its pair fails here.

use misconfig::dockerfile;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dockerfile")
}

/// Runs the checks the way `bulkhead config` does for a Dockerfile in `dir`.
fn rule_ids(dir: &Path) -> Vec<String> {
    let path = dir.join("Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let findings = dockerfile::check("Dockerfile", &text, dir.join(".dockerignore").exists())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    findings.into_iter().map(|f| f.rule_id).collect()
}

#[test]
fn every_rule_fires_on_its_bad_case_and_not_on_its_good_case() {
    let rules: Vec<_> = dockerfile::rules().collect();
    assert!(rules.len() >= 30, "only {} Dockerfile rules", rules.len());
    let mut failures = Vec::new();
    for rule in &rules {
        let dir = corpus().join(rule.id);
        if !dir.join("bad/Dockerfile").exists() || !dir.join("good/Dockerfile").exists() {
            failures.push(format!(
                "{}: no bad/good pair in {}",
                rule.id,
                dir.display()
            ));
            continue;
        }
        let bad = rule_ids(&dir.join("bad"));
        if !bad.iter().any(|id| id == rule.id) {
            failures.push(format!(
                "{}: does not fire on its bad case (found {bad:?})",
                rule.id
            ));
        }
        let good = rule_ids(&dir.join("good"));
        if good.iter().any(|id| id == rule.id) {
            failures.push(format!("{}: fires on its good case", rule.id));
        }
    }
    // And no pair is left for a rule that no longer exists.
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("BH-DF-") && !rules.iter().any(|r| r.id == name) {
            failures.push(format!("{name}: corpus pair without a rule"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn catalogue_entries_are_complete_and_unique() {
    let mut ids = std::collections::BTreeSet::new();
    for rule in misconfig::all_rules() {
        assert!(ids.insert(rule.id), "duplicate ID {}", rule.id);
        assert!(
            !rule.title.is_empty() && !rule.why.is_empty() && !rule.fix.is_empty(),
            "{}",
            rule.id
        );
        assert!(!rule.references.is_empty(), "{} has no references", rule.id);
    }
    assert_eq!(
        misconfig::lookup("bh-df-001").map(|r| r.id),
        Some("BH-DF-001")
    );
}

#[test]
fn findings_point_at_the_instruction() {
    let text = "# syntax=docker/dockerfile:1\nFROM alpine:3.20\n\n  RUN apk add \\\n      curl\n";
    let findings = dockerfile::check("Dockerfile", text, true).unwrap();
    let apk = findings
        .iter()
        .find(|f| f.rule_id == "BH-DF-026")
        .expect("apk cache finding");
    assert_eq!((apk.line, apk.column), (4, 3));
    assert_eq!(apk.snippet.as_deref(), Some("RUN apk add \\"));
    assert_eq!(apk.resource.as_deref(), Some("stage 0"));
}
