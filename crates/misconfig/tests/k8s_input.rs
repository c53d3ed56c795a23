//! Input handling of the Kubernetes checks: multi-document YAML, `List`, JSON, malformed YAML
//! (errors with positions), hostile input (alias bombs, deep nesting, size), profiles and the
//! sandboxed-runtime mitigation. Expected positions are found by searching the text.

use std::path::Path;

use inventory::Severity;
use misconfig::k8s::{check_all, looks_like_manifest, profile_of, Options, Profile};
use misconfig::yaml::{self, Limits};
use misconfig::Finding;

fn input(name: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/k8s-input")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("corpus file");
    (name.to_string(), text)
}

/// 1-based line and column of the `nth` occurrence of `needle`.
fn position_of(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    (line, column)
}

fn find<'f>(findings: &'f [Finding], rule: &str, resource: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.rule_id == rule && f.resource.as_deref() == Some(resource))
        .unwrap_or_else(|| panic!("{rule} on {resource} missing from {findings:#?}"))
}

fn at(finding: &Finding) -> (usize, usize) {
    (finding.line, finding.column)
}

#[test]
fn multi_document_yaml_and_list_items_are_all_checked() {
    let (name, text) = input("multi.yaml");
    let (findings, errors) = check_all(&[(name.clone(), text.clone())], &Options::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        at(find(&findings, "BH-K8S-019", "Pod/debug")),
        position_of(&text, "hostPID", 0)
    );
    let privileged = find(&findings, "BH-K8S-001", "CronJob/backup (container dump)");
    assert_eq!(at(privileged), position_of(&text, "privileged: true", 0));
    assert_eq!(privileged.snippet.as_deref(), Some("privileged: true"));
    assert_eq!(
        at(find(&findings, "BH-K8S-018", "DaemonSet/agent")),
        position_of(&text, "hostNetwork", 0)
    );
    let admin = find(
        &findings,
        "BH-K8S-014",
        "DaemonSet/agent (init container setup)",
    );
    assert_eq!(at(admin), position_of(&text, "SYS_ADMIN", 0));
    assert_eq!(
        at(find(
            &findings,
            "BH-K8S-021",
            "StatefulSet/db (container db)"
        )),
        position_of(&text, "hostPort", 0)
    );
    assert!(findings.iter().all(|f| f.file == name));
    // The List itself is not an object of its own.
    assert!(findings.iter().all(|f| !f
        .resource
        .as_deref()
        .unwrap_or_default()
        .starts_with("List/")));
}

#[test]
fn json_manifests_keep_positions() {
    let (name, text) = input("pod.json");
    let (findings, errors) = check_all(&[(name, text.clone())], &Options::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        at(find(
            &findings,
            "BH-K8S-001",
            "Pod/json-pod (container app)"
        )),
        position_of(&text, "\"privileged\"", 0)
    );
    assert_eq!(
        at(find(
            &findings,
            "BH-K8S-004",
            "Pod/json-pod (container app)"
        )),
        position_of(&text, "\"runAsUser\"", 0)
    );
    assert_eq!(
        at(find(&findings, "BH-K8S-020", "Pod/json-pod")),
        position_of(&text, "\"hostIPC\"", 0)
    );
}

#[test]
fn malformed_yaml_is_an_error_with_its_position_and_other_files_still_count() {
    let broken = input("malformed.yaml");
    let indent = input("bad-indent.yaml");
    let good = input("pod.json");
    let (findings, errors) =
        check_all(&[broken.clone(), indent.clone(), good], &Options::default());
    assert_eq!(errors.len(), 2, "{errors:?}");
    let quote_line = position_of(&broken.1, "\"nginx", 0).0;
    assert_eq!(errors[0].file, "malformed.yaml");
    assert!(errors[0].line >= quote_line, "{:?}", errors[0]);
    assert!(errors[0].column >= 1 && errors[0].message.starts_with("invalid YAML"));
    assert_eq!(errors[1].file, "bad-indent.yaml");
    assert_eq!(
        errors[1].line,
        position_of(&indent.1, " spec", 0).0,
        "{:?}",
        errors[1]
    );
    let shown = errors[1].to_string();
    assert!(
        shown.starts_with(&format!("bad-indent.yaml:{}:", errors[1].line)),
        "{shown}"
    );
    assert!(findings.iter().any(|f| f.file == "pod.json"));
}

#[test]
fn alias_bombs_deep_nesting_and_oversized_input_are_refused() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    let error = yaml::parse("bomb.yaml", &bomb, &Limits::default()).expect_err("10^10 nodes");
    assert!(error.message.contains("limit"), "{error}");
    assert_eq!(error.file, "bomb.yaml");

    // Flow nesting stops in the parser, block nesting in the tree builder.
    let deep = "[".repeat(100_000);
    let error = yaml::parse("deep.yaml", &deep, &Limits::default()).expect_err("too deep");
    assert_eq!(error.line, 1, "{error}");
    let block: String = (0..300)
        .map(|depth| format!("{}k{depth}:\n", " ".repeat(depth)))
        .collect();
    let error = yaml::parse("block.yaml", &block, &Limits::default()).expect_err("too deep");
    assert!(error.message.contains("nesting"), "{error}");

    let limits = Limits {
        max_bytes: 64,
        ..Limits::default()
    };
    let error = yaml::parse("big.yaml", &"a: b\n".repeat(20), &limits).expect_err("too big");
    assert!(error.message.contains("byte limit"), "{error}");

    // Small, legitimate aliases still work, and merge keys apply with explicit keys winning.
    let text = "base: &base\n  privileged: true\n  user: root\nsvc:\n  <<: *base\n  user: app\n";
    let docs = yaml::parse("merge.yaml", text, &Limits::default()).expect("valid");
    let svc = docs[0].get("svc").expect("svc");
    assert_eq!(svc.get("privileged").and_then(|n| n.as_bool()), Some(true));
    assert_eq!(svc.get("user").and_then(|n| n.as_str()), Some("app"));
}

#[test]
fn baseline_profile_drops_restricted_rules_only() {
    let files = [input("multi.yaml"), input("pod.json")];
    let (restricted, _) = check_all(
        &files,
        &Options {
            profile: Profile::Restricted,
        },
    );
    let (baseline, _) = check_all(
        &files,
        &Options {
            profile: Profile::Baseline,
        },
    );
    assert!(baseline
        .iter()
        .all(|f| profile_of(&f.rule_id) == Profile::Baseline));
    let expected: Vec<&Finding> = restricted
        .iter()
        .filter(|f| profile_of(&f.rule_id) == Profile::Baseline)
        .collect();
    assert_eq!(baseline.iter().collect::<Vec<_>>(), expected);
    assert!(restricted.len() > baseline.len());
    assert!(baseline.iter().any(|f| f.rule_id == "BH-K8S-001"));
    assert_eq!(Options::default().profile, Profile::Restricted);
}

#[test]
fn sandboxed_runtime_lowers_kernel_escape_findings_only() {
    let (name, text) = input("sandboxed.yaml");
    let (findings, _) = check_all(&[(name, text)], &Options::default());
    let sandboxed = find(&findings, "BH-K8S-001", "Pod/sandboxed (container app)");
    assert_eq!(sandboxed.severity, Severity::High);
    assert!(sandboxed.message.contains("mitigated") && sandboxed.message.contains("gvisor"));
    let host_network = find(&findings, "BH-K8S-018", "Pod/sandboxed");
    assert_eq!(host_network.severity, Severity::High);
    assert!(!host_network.message.contains("mitigated"));
    let plain = find(&findings, "BH-K8S-001", "Pod/plain (container app)");
    assert_eq!(plain.severity, Severity::Critical);
}

#[test]
fn manifest_detection() {
    assert!(looks_like_manifest(&input("multi.yaml").1));
    assert!(looks_like_manifest(&input("pod.json").1));
    assert!(!looks_like_manifest(
        "services:\n  web:\n    image: nginx\n"
    ));
    assert!(!looks_like_manifest("name: ci\non: push\njobs: {}\n"));
}

#[test]
fn every_truncation_of_real_input_parses_or_errors_without_panicking() {
    let compose_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/compose/BH-DC-018/bad.yaml");
    let compose = std::fs::read_to_string(compose_path).expect("corpus file");
    for (name, text) in [
        input("multi.yaml"),
        input("pod.json"),
        input("sandboxed.yaml"),
    ] {
        for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let (_, errors) = check_all(
                &[(name.clone(), text[..end].to_string())],
                &Options::default(),
            );
            assert!(
                errors.iter().all(|e| e.line >= 1 && e.file == name),
                "{errors:?}"
            );
        }
    }
    for end in (0..=compose.len()).filter(|i| compose.is_char_boundary(*i)) {
        if let Err(error) = misconfig::compose::check("compose.yaml", &compose[..end]) {
            assert!(error.line >= 1, "{error}");
        }
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"café-ünïcode\"},\n \"spec\": {\"containers\": [{\"name\": \"añb\", \"image\": \"é:1\", \"securityContext\": {\"privileged\": true}}]}}\n";
    let (findings, errors) = check_all(&[("pod.json".into(), text.into())], &Options::default());
    assert!(errors.is_empty(), "{errors:?}");
    let privileged = find(&findings, "BH-K8S-001", "Pod/café-ünïcode (container añb)");
    assert_eq!(at(privileged), position_of(text, "\"privileged\"", 0));
}
