//! Shapes found in real-world files (official images, install manifests, compose files) that
//! a reviewer would not accept a finding for (issue 15). Each file is written here in real
//! syntax; the expected findings come from the tools' documented behaviour.

use misconfig::k8s::{check_all, Options};

fn dockerfile_ids(text: &str) -> Vec<String> {
    misconfig::dockerfile::check("Dockerfile", text, true)
        .unwrap()
        .into_iter()
        .map(|f| f.rule_id.to_string())
        .collect()
}

#[test]
fn apt_get_dist_clean_removes_the_lists() {
    // python:3.13 on Debian 13 ends its RUNs with `apt-get dist-clean`.
    let cleaned = "FROM debian:13\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && apt-get dist-clean\nUSER 1000\n";
    assert!(!dockerfile_ids(cleaned).contains(&"BH-DF-023".to_string()));
    let kept = "FROM debian:13\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates\nUSER 1000\n";
    assert!(dockerfile_ids(kept).contains(&"BH-DF-023".to_string()));
}

#[test]
fn pipefail_is_not_asked_of_powershell() {
    let windows = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\", \"$ErrorActionPreference = 'Stop';\"]\nRUN Get-ChildItem C:\\ | Out-File C:\\list.txt\nUSER ContainerUser\n";
    assert!(!dockerfile_ids(windows).contains(&"BH-DF-039".to_string()));
    let posix = "FROM alpine:3.20\nRUN wget -qO- https://example.com/x | tar -xz\nUSER 1000\n";
    assert!(dockerfile_ids(posix).contains(&"BH-DF-039".to_string()));
}

fn k8s_ids(text: &str) -> Vec<String> {
    let files = [("deploy.yaml".to_string(), text.to_string())];
    let (findings, errors) = check_all(&files, &Options::default());
    assert!(errors.is_empty(), "{errors:?}");
    findings
        .into_iter()
        .map(|f| f.rule_id.to_string())
        .collect()
}

#[test]
fn limits_alone_are_the_requests() {
    let pod = |resources: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      resources:\n{resources}")
    };
    // Kubernetes copies limits into missing requests.
    let limits = k8s_ids(&pod(
        "        limits:\n          cpu: 500m\n          memory: 256Mi\n",
    ));
    for request in ["BH-K8S-029", "BH-K8S-030"] {
        assert!(
            !limits.contains(&request.to_string()),
            "{request}: {limits:?}"
        );
    }
    let neither = k8s_ids(&pod("        {}\n"));
    for request in ["BH-K8S-029", "BH-K8S-030"] {
        assert!(
            neither.contains(&request.to_string()),
            "{request}: {neither:?}"
        );
    }
}

#[test]
fn a_service_built_here_has_nothing_to_pin() {
    let ids = |text: &str| -> Vec<String> {
        misconfig::compose::check("compose.yaml", text)
            .unwrap()
            .into_iter()
            .map(|f| f.rule_id.to_string())
            .collect()
    };
    let built = ids("services:\n  app:\n    build: .\n    image: myapp\n");
    assert!(
        !built.iter().any(|i| i == "BH-DC-019" || i == "BH-DC-020"),
        "{built:?}"
    );
    let pulled = ids("services:\n  app:\n    image: myapp\n");
    assert!(pulled.iter().any(|i| i == "BH-DC-019"), "{pulled:?}");
}

#[test]
fn utf16_and_bom_manifests_are_decoded() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";
    let mut le = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xfe, 0xff];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend(text.as_bytes());
    for bytes in [le, be, bom] {
        assert_eq!(misconfig::scan::decode(bytes).unwrap(), text);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("pod.yaml"), utf16).unwrap();
    let outcome = misconfig::scan::scan_path(dir.path(), &Default::default());
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert!(outcome.findings.iter().any(|f| f.rule_id == "BH-K8S-001"));
}

#[test]
fn container_level_messages_name_their_container() {
    let files = [(
        "deploy.yaml".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n    - name: sidecar\n      image: envoy:1.31\n".to_string(),
    )];
    let (findings, _) = check_all(&files, &Options::default());
    // Privilege escalation, run as root, writable root filesystem, seccomp: one per container.
    for rule in ["BH-K8S-002", "BH-K8S-003", "BH-K8S-006", "BH-K8S-008"] {
        let messages: Vec<&str> = findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .map(|f| f.message.as_str())
            .collect();
        for name in ["\"app\"", "\"sidecar\""] {
            assert!(
                messages.iter().any(|m| m.contains(name)),
                "{rule}: {messages:?}"
            );
        }
    }
}

#[test]
fn a_default_is_called_a_default() {
    let pod = |policy: &str| {
        let files = [(
            "pod.yaml".to_string(),
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n{policy}"),
        )];
        let (findings, _) = check_all(&files, &Options::default());
        findings
            .into_iter()
            .find(|f| f.rule_id == "BH-K8S-038")
            .map(|f| f.message)
    };
    let absent = pod("").expect("the default policy of a tagged image");
    assert!(
        absent.contains("not set") && absent.contains("default"),
        "{absent}"
    );
    let explicit = pod("      imagePullPolicy: IfNotPresent\n").unwrap();
    assert_eq!(explicit, "imagePullPolicy is IfNotPresent");
}
