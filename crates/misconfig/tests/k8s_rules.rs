//! Every Kubernetes rule against its insecure/hardened pair in `corpus/k8s/<ID>/`: it fires on
//! `bad.yaml` exactly at the lines marked `# expect: <ID>` (line and column computed here from
//! the text), and never on `good.yaml`. A rule without a pair fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use misconfig::k8s::{check_all, Options, Profile, RULES};
use misconfig::Finding;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/k8s")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (every rule needs a bad/good pair)", path.display()))
}

fn check(path: &Path) -> Vec<Finding> {
    let text = read(path);
    let (findings, errors) = check_all(&[(path.display().to_string(), text)], &Options::default());
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    findings
}

/// Positions of `# expect: ID` markers: the marked line, and the column of its first token
/// after indentation and sequence dashes.
pub fn expected_positions(text: &str, rule: &str) -> BTreeSet<(usize, usize)> {
    let marker = format!("# expect: {rule}");
    let mut positions = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.contains(&marker) {
            let mut rest = line;
            loop {
                let trimmed = rest.trim_start_matches(' ');
                match trimmed.strip_prefix("- ") {
                    Some(after) => rest = after,
                    None => {
                        rest = trimmed;
                        break;
                    }
                }
            }
            positions.insert((index + 1, line.len() - rest.len() + 1));
        }
    }
    positions
}

#[test]
fn every_rule_fires_on_its_bad_case_at_the_marked_positions() {
    let mut failures = Vec::new();
    for rule in RULES {
        let path = corpus().join(rule.id).join("bad.yaml");
        let text = read(&path);
        let expected = expected_positions(&text, rule.id);
        assert!(
            !expected.is_empty(),
            "{}: no `# expect: {}` marker",
            path.display(),
            rule.id
        );
        let found: Vec<Finding> = check(&path)
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
            assert_eq!(
                finding.snippet.as_deref(),
                Some(line.trim()),
                "{}: snippet",
                rule.id
            );
            assert_eq!(
                finding.severity, rule.severity,
                "{}: no sandbox here",
                rule.id
            );
            assert!(
                finding.resource.as_deref().is_some_and(|r| r.contains('/')),
                "{}: resource {:?}",
                rule.id,
                finding.resource
            );
            assert!(!finding.message.is_empty() && finding.title == rule.title);
            assert_eq!(finding.file, path.display().to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_rule_fires_on_its_good_case() {
    let mut failures = Vec::new();
    for rule in RULES {
        let path = corpus().join(rule.id).join("good.yaml");
        let fired: Vec<String> = check(&path)
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
fn the_hardened_deployment_is_clean_under_both_profiles() {
    let path = corpus().join("hardened.yaml");
    for profile in [Profile::Restricted, Profile::Baseline] {
        let (findings, errors) = check_all(
            &[(path.display().to_string(), read(&path))],
            &Options { profile },
        );
        assert!(errors.is_empty());
        assert!(findings.is_empty(), "{profile:?}: {findings:#?}");
    }
}

#[test]
fn catalogue_ids_are_sequential_and_documented() {
    assert!(RULES.len() >= 60, "{} rules", RULES.len());
    for (index, rule) in RULES.iter().enumerate() {
        assert_eq!(rule.id, format!("BH-K8S-{:03}", index + 1));
        assert_eq!(rule.family, misconfig::Family::Kubernetes);
        assert!(
            !rule.title.is_empty() && rule.why.len() > 30 && !rule.fix.is_empty(),
            "{}",
            rule.id
        );
        assert!(!rule.references.is_empty(), "{}: no references", rule.id);
    }
    let dirs = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(dirs, RULES.len(), "one corpus pair per rule, no orphans");
}
