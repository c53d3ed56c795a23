//! Shapes found in real-world files (official images, install manifests, compose files) that
//! a reviewer would not accept a finding for (issue 15). Each file is written here in real
//! syntax; the expected findings come from the tools' documented behaviour.

use misconfig::k8s::{check_all, Options};

/// (line, rule id) of every finding.
fn dockerfile_lines(text: &str) -> Vec<(usize, String)> {
    misconfig::dockerfile::check("Dockerfile", text, true)
        .unwrap()
        .into_iter()
        .map(|f| (f.line, f.rule_id.to_string()))
        .collect()
}

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
    // A truncated UTF-16 file is skipped with a warning that names it in its own field.
    let mut odd = vec![0xff, 0xfe];
    odd.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    odd.push(b'x');
    std::fs::write(dir.path().join("broken.yaml"), odd).unwrap();
    let outcome = misconfig::scan::scan_path(dir.path(), &Default::default());
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    let (file, message) = &outcome.warnings[0];
    assert_eq!(file, "broken.yaml");
    assert!(message.contains("not valid UTF-16"), "{message}");
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

/// A pod mounting one host path at /host, read-only or not: the hostPath rule that fires.
fn host_path_rule(path: &str, read_only: bool) -> Vec<String> {
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\nspec:\n  containers:\n    - name: agent\n      image: agent:1\n      volumeMounts:\n        - name: host\n          mountPath: /host\n          readOnly: {read_only}\n  volumes:\n    - name: host\n      hostPath:\n        path: {path}\n"
    );
    let mut ids: Vec<String> = k8s_ids(&text)
        .into_iter()
        .filter(|id| ["BH-K8S-023", "BH-K8S-024", "BH-K8S-065"].contains(&id.as_str()))
        .collect();
    ids.sort();
    ids
}

#[test]
fn host_mounts_are_ranked_by_what_they_give_an_attacker() {
    // The node: a socket (read-only does not stop a client), `/`, system directories writable.
    for (path, read_only) in [
        ("/var/run/docker.sock", true),
        ("/", true),
        ("/etc", false),
        ("/usr", false),
        ("/var/lib/kubelet", false),
    ] {
        assert_eq!(
            host_path_rule(path, read_only),
            ["BH-K8S-023"],
            "{path} ro={read_only}"
        );
    }
    // Its secrets: sensitive directories read-only.
    for path in [
        "/etc",
        "/root",
        "/proc",
        "/var/lib/kubelet/pods",
        "/var/log",
    ] {
        assert_eq!(host_path_rule(path, true), ["BH-K8S-065"], "{path}");
    }
    // The rest: a CA bundle or the time zone read-only, /usr read-only, an app's directory.
    for (path, read_only) in [
        ("/etc/ssl/certs", true),
        ("/etc/localtime", true),
        ("/usr", true),
        ("/srv/data", false),
    ] {
        assert_eq!(
            host_path_rule(path, read_only),
            ["BH-K8S-024"],
            "{path} ro={read_only}"
        );
    }
    // A CA bundle mounted writable is /etc mounted writable.
    assert_eq!(host_path_rule("/etc/ssl/certs", false), ["BH-K8S-023"]);

    let compose = |volumes: &str| -> Vec<String> {
        let text = format!(
            "services:\n  app:\n    image: app:1\n    read_only: true\n    volumes:\n{volumes}"
        );
        misconfig::compose::check("compose.yaml", &text)
            .unwrap()
            .into_iter()
            .filter(|f| f.rule_id.starts_with("BH-DC-00"))
            .map(|f| format!("{} {}", f.rule_id, f.message))
            .collect()
    };
    // The time zone and CA bundles read-only, as most compose files mount them: nothing.
    assert!(compose(
        "      - /etc/localtime:/etc/localtime:ro\n      - /etc/ssl/certs:/etc/ssl/certs:ro\n"
    )
    .is_empty());
    assert_eq!(
        compose("      - /etc:/host/etc:ro\n"),
        ["BH-DC-007 mounts host path \"/etc\" (read-only)"]
    );
    assert_eq!(
        compose("      - type: bind\n        source: /usr\n        target: /usr\n"),
        ["BH-DC-007 mounts host path \"/usr\" (writable)"]
    );
    assert_eq!(
        compose("      - type: bind\n        source: /usr\n        target: /usr\n        read_only: true\n"),
        Vec::<String>::new()
    );
}

#[test]
fn the_same_missing_low_setting_is_one_finding_per_file() {
    let text = "services:\n  web:\n    image: web:1\n  worker:\n    image: worker:1\n  cache:\n    image: redis:7\n    read_only: false\n";
    let findings = misconfig::compose::check("compose.yaml", text).unwrap();
    let of = |id: &str| -> Vec<&misconfig::Finding> {
        findings.iter().filter(|f| f.rule_id == id).collect()
    };
    // No memory limit anywhere: one finding, at the first service, naming all three.
    let memory = of("BH-DC-023");
    assert_eq!(memory.len(), 1, "{memory:?}");
    assert_eq!((memory[0].line, memory[0].column), (2, 3));
    assert_eq!(
        memory[0].resource.as_deref(),
        Some("services \"web\", \"worker\", \"cache\"")
    );
    assert!(
        memory[0].message.starts_with("3 services: "),
        "{}",
        memory[0].message
    );
    // A writable root filesystem: two services lack read_only (one finding), one sets it
    // false (its own finding, at the value).
    let writable = of("BH-DC-022");
    assert_eq!(writable.len(), 2, "{writable:?}");
    assert!(writable
        .iter()
        .any(|f| f.line == 8 && f.message == "read_only is false"));
    assert!(writable
        .iter()
        .any(|f| f.line == 2 && f.resource.as_deref() == Some("services \"web\", \"worker\"")));
    // A single service: nothing to group.
    let one_service =
        misconfig::compose::check("compose.yaml", "services:\n  web:\n    image: web:1\n").unwrap();
    assert!(one_service.iter().all(|f| !f.message.contains("services:")));
}

#[test]
fn a_workload_is_judged_by_the_service_account_in_its_own_file() {
    // Path order puts the other chart's copy first; the Deployment's own file disables the token.
    let other = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n";
    let own = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\nautomountServiceAccountToken: false\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: web\n          image: web:1\n";
    let files = [
        ("a-other/sa.yaml".to_string(), other.to_string()),
        ("b-web/all.yaml".to_string(), own.to_string()),
    ];
    let (findings, errors) = check_all(&files, &Options::default());
    assert!(errors.is_empty());
    let ids: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.file.as_str()))
        .collect();
    assert!(!ids.iter().any(|(id, _)| *id == "BH-K8S-039"), "{ids:?}");
    // The conflicting copy is reported, at the later definition, naming the other.
    let conflict: Vec<&misconfig::Finding> = findings
        .iter()
        .filter(|f| f.rule_id == "BH-K8S-066")
        .collect();
    assert_eq!(conflict.len(), 1, "{conflict:?}");
    assert_eq!(conflict[0].file, "b-web/all.yaml");
    assert_eq!(
        conflict[0].message,
        "ServiceAccount/web is also defined at a-other/sa.yaml:2 with different content"
    );
}

#[test]
fn a_quoted_scalar_continued_less_indented_parses_as_kubectl_reads_it() {
    // Continuation lines indented less than the key: libyaml and go-yaml accept it.
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    description: \"a long text\n  continued less indented\n and even less\"\ndata:\n  k: v\n";
    let documents = misconfig::yaml::parse("cm.yaml", text, &Default::default()).unwrap();
    let value = documents[0]
        .path(&["metadata", "annotations", "description"])
        .and_then(|n| n.as_str());
    // PyYAML's reading of the same text.
    assert_eq!(
        value,
        Some("a long text continued less indented and even less")
    );
    assert_eq!(
        documents[0].path(&["data", "k"]).and_then(|n| n.as_str()),
        Some("v")
    );
    // Truly broken YAML is still an error with its position.
    let broken = "a: \"never closed\nb: 1\n";
    assert!(misconfig::yaml::parse("x.yaml", broken, &Default::default()).is_err());
}

#[test]
fn commands_inside_shell_control_flow_are_checked() {
    let dockerfile = "FROM debian:12\n\
RUN if [ -n \"$X\" ]; then curl -fsSL https://x.example/i.sh | sh; fi\n\
RUN for u in a b; do curl -k https://x.example/$u; done\n\
RUN while false; do wget --no-check-certificate https://x.example/y; done\n\
RUN { sudo true; }\n\
RUN sh -c 'apt-get update && apt-get install -y curl'\n\
USER 1000\n";
    let found = dockerfile_lines(dockerfile);
    for expected in [
        (2, "BH-DF-007"), // a downloaded script piped into a shell, in an `if` body
        (3, "BH-DF-008"), // curl -k in a `for` loop
        (4, "BH-DF-008"), // wget --no-check-certificate in a `while` loop
        (5, "BH-DF-011"), // sudo in a `{ …; }` group
        (6, "BH-DF-022"), // apt-get install without --no-install-recommends in `sh -c '…'`
    ] {
        assert!(
            found.contains(&(expected.0, expected.1.to_string())),
            "{expected:?} not in {found:?}"
        );
    }
}

#[test]
fn what_ships_is_judged_on_the_stages_that_reach_the_final_image() {
    let dockerfile = "FROM debian:12 AS build\n\
RUN apt-get update && apt-get install -y openssh-server gcc\n\
RUN pip install build\n\
FROM debian:12 AS rootfs\n\
RUN apt-get update && apt-get install -y --no-install-recommends curl\n\
FROM scratch\n\
COPY --from=build /src/app /app\n\
COPY --from=rootfs / /\n\
USER 1000\n";
    let found = dockerfile_lines(dockerfile);
    let at = |line: usize, id: &str| found.contains(&(line, id.to_string()));
    // The build stage is discarded but for /src/app: its SSH server, recommended packages,
    // apt lists and pip cache do not ship.
    for id in ["BH-DF-032", "BH-DF-022", "BH-DF-023"] {
        assert!(!at(2, id), "{id} on a discarded stage: {found:?}");
    }
    assert!(!at(3, "BH-DF-030"), "{found:?}");
    // Reproducibility is still judged there: unpinned packages.
    assert!(at(2, "BH-DF-024"), "{found:?}");
    // The whole root of `rootfs` is copied: its apt lists ship.
    assert!(at(5, "BH-DF-023"), "{found:?}");
}
