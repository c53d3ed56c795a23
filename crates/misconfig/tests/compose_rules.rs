//! Every compose rule against its insecure/hardened pair in `corpus/compose/<ID>/`: it fires on
//! `bad.yaml` exactly at the lines marked `# expect: <ID>` and never on `good.yaml`; plus
//! detection and error handling.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use misconfig::compose::{check, looks_like_compose, RULES};
use misconfig::Finding;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/compose")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (every rule needs a bad/good pair)", path.display()))
}

fn findings(path: &Path) -> Vec<Finding> {
    check(&path.display().to_string(), &read(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// Line of each `# expect: ID` marker and the column of its first token after indentation and
/// sequence dashes.
fn expected_positions(text: &str, rule: &str) -> BTreeSet<(usize, usize)> {
    let marker = format!("# expect: {rule}");
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(&marker))
        .map(|(index, line)| {
            let mut rest = line.trim_start_matches(' ');
            while let Some(after) = rest.strip_prefix("- ") {
                rest = after.trim_start_matches(' ');
            }
            (index + 1, line.len() - rest.len() + 1)
        })
        .collect()
}

#[test]
fn every_rule_fires_on_its_bad_case_at_the_marked_positions() {
    let mut failures = Vec::new();
    for rule in RULES {
        let path = corpus().join(rule.id).join("bad.yaml");
        let text = read(&path);
        let expected = expected_positions(&text, rule.id);
        assert!(!expected.is_empty(), "{}: no marker", rule.id);
        let found: Vec<Finding> = findings(&path)
            .into_iter()
            .filter(|f| f.rule_id == rule.id)
            .collect();
        let positions: BTreeSet<(usize, usize)> =
            found.iter().map(|f| (f.line, f.column)).collect();
        if positions != expected {
            failures.push(format!(
                "{}: expected {expected:?}, found {positions:?}",
                rule.id
            ));
        }
        for finding in &found {
            let line = text.lines().nth(finding.line - 1).unwrap_or_default();
            assert_eq!(finding.snippet.as_deref(), Some(line.trim()), "{}", rule.id);
            assert_eq!(finding.severity, rule.severity);
            assert!(
                finding
                    .resource
                    .as_deref()
                    .is_some_and(|r| r.starts_with("service \"")),
                "{:?}",
                finding.resource
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_rule_fires_on_its_good_case() {
    let mut failures = Vec::new();
    for rule in RULES {
        let path = corpus().join(rule.id).join("good.yaml");
        let fired: Vec<String> = findings(&path)
            .into_iter()
            .filter(|f| f.rule_id == rule.id)
            .map(|f| format!("{}:{} {}", f.line, f.column, f.message))
            .collect();
        if !fired.is_empty() {
            failures.push(format!("{}: {fired:?}", rule.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_hardened_service_is_clean() {
    let found = findings(&corpus().join("hardened.yaml"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn catalogue_ids_are_sequential_and_documented() {
    assert!(RULES.len() >= 20, "{} rules", RULES.len());
    for (index, rule) in RULES.iter().enumerate() {
        assert_eq!(rule.id, format!("BH-DC-{:03}", index + 1));
        assert_eq!(rule.family, misconfig::Family::Compose);
        assert!(
            rule.why.len() > 30 && !rule.fix.is_empty() && !rule.references.is_empty(),
            "{}",
            rule.id
        );
    }
    let dirs = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(dirs, RULES.len(), "one corpus pair per rule, no orphans");
}

#[test]
fn malformed_compose_is_an_error_with_position() {
    let text = "services:\n  web:\n    image: nginx\n   ports: [\"80:80\"]\n";
    let error = check("docker-compose.yml", text).expect_err("bad indentation");
    assert_eq!(error.file, "docker-compose.yml");
    assert_eq!(error.line, 4, "{error}");
}

#[test]
fn compose_detection() {
    let hardened = read(&corpus().join("hardened.yaml"));
    assert!(looks_like_compose(
        "deploy/docker-compose.prod.yml",
        "x: 1\n"
    ));
    assert!(looks_like_compose("compose.yaml", ""));
    assert!(looks_like_compose("stack.yml", &hardened));
    assert!(!looks_like_compose("values.yaml", "replicaCount: 1\n"));
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nservices:\n  - a\n";
    assert!(!looks_like_compose("app.yaml", manifest));
}
