//! Escape paths: the container settings that hand over the host by themselves, and the
//! runtime or kernel vulnerabilities that become reachable only with certain settings. Each
//! path lists its conditions with the evidence for each, and what breaks it.

use crate::containers::Container;
use crate::{Context, HostInfo};
use inventory::Severity;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct EscapePath {
    pub id: &'static str,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub cves: Vec<String>,
    pub conditions: Vec<Condition>,
    pub summary: String,
    pub remediation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    /// `container-setting`, `host-setting`, `kernel-vulnerability`, `runtime-vulnerability`.
    pub kind: &'static str,
    pub evidence: String,
}

const SOCKETS: &[&str] = &["docker.sock", "containerd.sock", "crio.sock", "podman.sock"];
/// Host paths whose writable mount is the host.
const HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/dev",
];

fn setting(evidence: String) -> Condition {
    Condition {
        kind: "container-setting",
        evidence,
    }
}

/// `/etc/` → `/etc`, `/` stays `/`.
fn host_path(source: &str) -> &str {
    match source.trim_end_matches('/') {
        "" => "/",
        path => path,
    }
}

fn label(c: &Container) -> String {
    if c.name.is_empty() {
        c.id.chars().take(12).collect()
    } else {
        c.name.clone()
    }
}

/// Paths that need no vulnerability: a setting that is an escape by itself.
pub fn from_settings(_ctx: &Context, containers: &[Container]) -> Vec<EscapePath> {
    let mut out = Vec::new();
    for c in containers {
        let name = label(c);
        let at = |what: &str| format!("{what} ({})", c.file);
        if c.privileged {
            out.push(EscapePath {
                id: "privileged",
                severity: Severity::Critical,
                container: Some(name.clone()),
                cves: Vec::new(),
                conditions: vec![setting(at("Privileged: true"))],
                summary: format!("{name} is privileged: every capability and device of the host, no seccomp or AppArmor; mounting the host's disk is one command"),
                remediation: "Run it unprivileged, adding only the capabilities it needs.".into(),
            });
        }
        for m in &c.mounts {
            if SOCKETS.iter().any(|s| m.source.ends_with(s)) {
                out.push(EscapePath {
                    id: "runtime-socket",
                    severity: Severity::Critical,
                    container: Some(name.clone()),
                    cves: Vec::new(),
                    conditions: vec![setting(at(&format!("mount {} -> {}", m.source, m.destination)))],
                    summary: format!("{name} mounts the runtime socket {}: it can start a privileged container on the host", m.source),
                    remediation: "Remove the socket mount; give the container a narrower API (a socket proxy with an allow-list).".into(),
                });
            } else if !m.read_only && HOST_PATHS.contains(&host_path(&m.source)) {
                out.push(EscapePath {
                    id: "host-path-writable",
                    severity: Severity::Critical,
                    container: Some(name.clone()),
                    cves: Vec::new(),
                    conditions: vec![setting(at(&format!(
                        "writable mount {} -> {}",
                        m.source, m.destination
                    )))],
                    summary: format!("{name} can write the host's {}", m.source),
                    remediation:
                        "Mount it read-only, or mount only the subdirectory the container needs."
                            .into(),
                });
            }
        }
        let ptrace = c
            .capabilities
            .add
            .iter()
            .any(|cap| cap == "SYS_PTRACE" || cap == "ALL");
        if c.namespaces.pid == "host" && (ptrace || c.privileged) {
            out.push(EscapePath {
                id: "host-pid-ptrace",
                severity: Severity::High,
                container: Some(name.clone()),
                cves: Vec::new(),
                conditions: vec![
                    setting(at("PidMode: host")),
                    setting(at("CAP_SYS_PTRACE")),
                ],
                summary: format!("{name} sees the host's processes and may trace them: it can inject code into a root process"),
                remediation: "Drop the host PID namespace or CAP_SYS_PTRACE.".into(),
            });
        }
    }
    out
}

/// A component's vulnerability and the container settings that make it an escape.
struct Reachable {
    cve: &'static str,
    component: &'static str,
    severity: Severity,
    summary: &'static str,
    remediation: &'static str,
    /// The conditions a container (and the host) add, or `None` when it is not reachable.
    conditions: fn(&HostInfo, &Container) -> Option<Vec<Condition>>,
}

const REACHABLE: &[Reachable] = &[
    Reachable {
        cve: "CVE-2022-0492",
        component: "kernel",
        severity: Severity::Critical,
        summary: "cgroup v1 release_agent: a container with CAP_SYS_ADMIN (or no seccomp filter) and no AppArmor or SELinux profile runs a program as root on the host",
        remediation: "Upgrade the kernel; or boot with cgroup v2, drop CAP_SYS_ADMIN and keep the runtime's AppArmor/SELinux and seccomp profiles.",
        conditions: cgroup_release_agent,
    },
    Reachable {
        cve: "CVE-2019-5736",
        component: "runc",
        severity: Severity::Critical,
        summary: "runc overwrite through /proc/self/exe: a container running as root without user namespaces replaces the host's runc binary",
        remediation: "Upgrade runc; or run the container as a non-root user or with user namespace remapping.",
        conditions: root_without_userns,
    },
    Reachable {
        cve: "CVE-2024-21626",
        component: "runc",
        severity: Severity::High,
        summary: "runc leaks a host directory descriptor (\"Leaky Vessels\"): a container started from a crafted image or exec'd with a crafted working directory reaches the host's filesystem",
        remediation: "Upgrade runc (1.1.12 or the distribution's fix); or run untrusted images under a sandboxed runtime (gVisor, Kata).",
        conditions: on_runc,
    },
    Reachable {
        cve: "CVE-2022-0185",
        component: "kernel",
        severity: Severity::High,
        summary: "fsconfig heap overflow: a container that can create a user namespace gains CAP_SYS_ADMIN in it and corrupts kernel memory",
        remediation: "Upgrade the kernel; or block unprivileged user namespaces on the host (kernel.unprivileged_userns_clone=0) and keep the runtime's seccomp profile.",
        conditions: user_namespaces,
    },
    Reachable {
        cve: "CVE-2021-22555",
        component: "kernel",
        severity: Severity::High,
        summary: "netfilter heap out-of-bounds write: a container that can create a user namespace gains CAP_NET_ADMIN in it and escalates to root on the host",
        remediation: "Upgrade the kernel; or block unprivileged user namespaces on the host and keep the runtime's seccomp profile.",
        conditions: user_namespaces,
    },
    Reachable {
        cve: "CVE-2020-15257",
        component: "containerd",
        severity: Severity::High,
        summary: "containerd-shim's abstract socket: a container in the host network namespace controls the shims of every container",
        remediation: "Upgrade containerd; or do not share the host network namespace.",
        conditions: host_network,
    },
];

fn cgroup_release_agent(host: &HostInfo, c: &Container) -> Option<Vec<Condition>> {
    let cgroup = host.cgroup.as_ref().filter(|f| f.value == "v1")?;
    let sys_admin = c
        .capabilities
        .add
        .iter()
        .any(|cap| cap == "SYS_ADMIN" || cap == "ALL");
    let unfiltered = c.seccomp == "unconfined";
    if !(sys_admin || unfiltered) || c.privileged {
        return None; // privileged is an escape path of its own
    }
    let host_lsm = host.lsm.as_ref().map(|f| f.value.as_str());
    let unconfined = c.apparmor == "unconfined" || host_lsm == Some("none");
    if !unconfined {
        return None;
    }
    let at = |what: String| setting(format!("{what} ({})", c.file));
    let mut conditions = vec![Condition {
        kind: "host-setting",
        evidence: format!("cgroup v1 ({})", cgroup.evidence),
    }];
    if sys_admin {
        conditions.push(at("CapAdd: SYS_ADMIN".into()));
    }
    if unfiltered {
        conditions.push(at("seccomp=unconfined".into()));
    }
    conditions.push(if c.apparmor == "unconfined" {
        at("apparmor=unconfined".into())
    } else {
        Condition {
            kind: "host-setting",
            evidence: "no AppArmor or SELinux enforcing".into(),
        }
    });
    Some(conditions)
}

fn root_without_userns(_: &HostInfo, c: &Container) -> Option<Vec<Condition>> {
    let root = matches!(c.user.as_str(), "" | "0" | "root") || c.user.starts_with("0:");
    (root && c.namespaces.user == "host").then(|| {
        let user = if c.user.is_empty() {
            "root (no User)"
        } else {
            &c.user
        };
        vec![setting(format!(
            "runs as {user} without user namespace remapping ({})",
            c.file
        ))]
    })
}

/// Sandboxed runtimes put their own kernel between the container and the host's runc/kernel.
fn sandboxed(c: &Container) -> bool {
    ["runsc", "kata", "gvisor"]
        .iter()
        .any(|r| c.runtime.contains(r))
}

fn on_runc(_: &HostInfo, c: &Container) -> Option<Vec<Condition>> {
    (!sandboxed(c) && !c.privileged).then(|| {
        vec![setting(format!(
            "runs under {} ({})",
            if c.runtime.is_empty() {
                "runc"
            } else {
                &c.runtime
            },
            c.file
        ))]
    })
}

/// The host lets unprivileged users create user namespaces, and the container may call
/// unshare(CLONE_NEWUSER): the runtimes' default seccomp profiles refuse it without
/// CAP_SYS_ADMIN.
fn user_namespaces(host: &HostInfo, c: &Container) -> Option<Vec<Condition>> {
    let userns = host
        .unprivileged_userns
        .as_ref()
        .filter(|f| f.value == "allowed")?;
    let sys_admin = c
        .capabilities
        .add
        .iter()
        .any(|cap| cap == "SYS_ADMIN" || cap == "ALL");
    if sandboxed(c) || c.privileged || !(sys_admin || c.seccomp == "unconfined") {
        return None;
    }
    let why = if c.seccomp == "unconfined" {
        "seccomp=unconfined"
    } else {
        "CapAdd: SYS_ADMIN"
    };
    Some(vec![
        Condition {
            kind: "host-setting",
            evidence: format!("unprivileged user namespaces allowed ({})", userns.evidence),
        },
        setting(format!("{why} ({})", c.file)),
    ])
}

fn host_network(_: &HostInfo, c: &Container) -> Option<Vec<Condition>> {
    (c.namespaces.network == "host")
        .then(|| vec![setting(format!("NetworkMode: host ({})", c.file))])
}

/// Paths through a vulnerability: each (component, advisory ids and aliases) the matcher
/// found, joined with the containers whose settings make it reachable.
pub fn from_vulnerabilities(
    host: &HostInfo,
    containers: &[Container],
    vulnerable: &[(String, Vec<String>)],
) -> Vec<EscapePath> {
    let mut out = Vec::new();
    let authz = host.docker_authorization.as_ref();
    let dockerd = vulnerable.iter().find(|(component, ids)| {
        component == "dockerd" && ids.iter().any(|id| id == "CVE-2024-41110")
    });
    if let (Some(authz), Some((_, ids))) = (authz, dockerd) {
        out.push(EscapePath {
            id: "CVE-2024-41110",
            severity: Severity::Critical,
            container: None,
            cves: vec!["CVE-2024-41110".into()],
            conditions: vec![
                Condition {
                    kind: "runtime-vulnerability",
                    evidence: format!("dockerd is affected by CVE-2024-41110 ({})", ids[0]),
                },
                Condition {
                    kind: "host-setting",
                    evidence: format!("authorization plugins {} ({})", authz.value, authz.evidence),
                },
            ],
            summary: "dockerd forwards a request with an empty body to its authorization plugins, which allow what they would deny: whoever reaches the API bypasses them".into(),
            remediation: "Upgrade dockerd (25.0.6, 26.1.5, 27.1.1 or the distribution's fix); until then restrict who reaches the API.".into(),
        });
    }
    for rule in REACHABLE {
        let Some((component, ids)) = vulnerable.iter().find(|(component, ids)| {
            component == rule.component && ids.iter().any(|id| id == rule.cve)
        }) else {
            continue;
        };
        let advisory = ids.first().cloned().unwrap_or_default();
        for c in containers {
            let Some(mut conditions) = (rule.conditions)(host, c) else {
                continue;
            };
            conditions.insert(
                0,
                Condition {
                    kind: if component == "kernel" {
                        "kernel-vulnerability"
                    } else {
                        "runtime-vulnerability"
                    },
                    evidence: format!("{component} is affected by {} ({advisory})", rule.cve),
                },
            );
            out.push(EscapePath {
                id: rule.cve,
                severity: rule.severity,
                container: Some(label(c)),
                cves: vec![rule.cve.to_string()],
                conditions,
                summary: format!("{}: {}", label(c), rule.summary),
                remediation: rule.remediation.to_string(),
            });
        }
    }
    out
}

/// What a host report (`bulkhead host --format json`) says about the node a configuration
/// will run on: its vulnerable components and the facts the escape conditions need.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    /// (component, advisory id and aliases)
    pub vulnerable: Vec<(String, Vec<String>)>,
    pub cgroup: Option<String>,
    pub lsm: Option<String>,
    /// The host report's file, for evidence.
    pub source: String,
}

impl NodeFacts {
    /// Reads the parts of a host report the correlation needs.
    pub fn from_report(report: &serde_json::Value, source: &str) -> Result<NodeFacts, String> {
        let vulnerabilities = report["vulnerabilities"]
            .as_array()
            .ok_or("not a bulkhead host report (no vulnerabilities[])")?;
        let vulnerable = vulnerabilities
            .iter()
            .map(|v| {
                let mut ids = vec![v["id"].as_str().unwrap_or_default().to_string()];
                ids.extend(
                    v["aliases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str().map(String::from)),
                );
                (v["component"].as_str().unwrap_or_default().to_string(), ids)
            })
            .collect();
        let fact = |key: &str| report["host"][key]["value"].as_str().map(String::from);
        Ok(NodeFacts {
            vulnerable,
            cgroup: fact("cgroup"),
            lsm: fact("lsm"),
            source: source.to_string(),
        })
    }
}

/// A configuration finding the correlation looks at: which workload, where, which rule.
pub struct ConfigFinding<'a> {
    pub resource: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub rule_id: &'a str,
    pub title: &'a str,
}

/// (CVE, component, severity, summary, remediation, groups of rule IDs: one of each group must
/// hold for the workload)
type ConfigPath = (
    &'static str,
    &'static str,
    Severity,
    &'static str,
    &'static str,
    &'static [&'static [&'static str]],
);

const PRIVILEGED: [&str; 2] = ["BH-K8S-001", "BH-DC-001"];

const CONFIG_PATHS: &[ConfigPath] = &[
    (
        "CVE-2019-5736",
        "runc",
        Severity::Critical,
        "runs as root on a node whose runc can be overwritten through /proc/self/exe",
        "Upgrade runc on the node, or run the workload as a non-root user.",
        &[&["BH-K8S-003", "BH-K8S-001", "BH-DC-001"]],
    ),
    (
        "CVE-2020-15257",
        "containerd",
        Severity::High,
        "shares the host network of a node whose containerd-shim socket is reachable from it",
        "Upgrade containerd on the node, or drop hostNetwork.",
        &[&["BH-K8S-018", "BH-DC-002"]],
    ),
    (
        "CVE-2022-0492",
        "kernel",
        Severity::Critical,
        "has CAP_SYS_ADMIN or no seccomp filter on a cgroup v1 node whose kernel lets it write release_agent",
        "Upgrade the node's kernel or boot it with cgroup v2; drop SYS_ADMIN, keep seccomp and AppArmor.",
        &[&["BH-K8S-014", "BH-DC-008", "BH-K8S-007", "BH-K8S-008", "BH-K8S-001", "BH-DC-001"]],
    ),
    (
        "CVE-2022-0811",
        "cri-o",
        Severity::Critical,
        "sets a kernel parameter CRI-O passes unchecked (kernel.core_pattern) on a node with that CRI-O",
        "Upgrade CRI-O on the node, or remove the unsafe sysctl.",
        &[&["BH-K8S-011"]],
    ),
];

/// Escape paths a configuration would open on the node `facts` describe: a workload whose
/// settings make one of the node's runtime or kernel vulnerabilities reachable.
pub fn from_config(facts: &NodeFacts, findings: &[ConfigFinding]) -> Vec<EscapePath> {
    // Findings by workload: `Deployment/web (container app)` belongs to `Deployment/web`.
    let mut workloads: std::collections::BTreeMap<&str, Vec<&ConfigFinding>> = Default::default();
    for f in findings {
        let workload = f.resource.split(" (").next().unwrap_or(f.resource);
        if !workload.is_empty() {
            workloads.entry(workload).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (cve, component, severity, summary, remediation, groups) in CONFIG_PATHS {
        let Some((_, ids)) = facts
            .vulnerable
            .iter()
            .find(|(c, ids)| c == component && ids.iter().any(|id| id == cve))
        else {
            continue;
        };
        for (workload, found) in &workloads {
            let mut conditions = vec![Condition {
                kind: if *component == "kernel" {
                    "kernel-vulnerability"
                } else {
                    "runtime-vulnerability"
                },
                evidence: format!(
                    "{component} on the node is affected by {cve} ({}, {})",
                    ids[0], facts.source
                ),
            }];
            let held = groups.iter().all(|group| {
                let hits: Vec<&&ConfigFinding> = found
                    .iter()
                    .filter(|f| group.contains(&f.rule_id))
                    .collect();
                for f in &hits {
                    conditions.push(setting(format!(
                        "{}: {} ({}:{})",
                        f.rule_id, f.title, f.file, f.line
                    )));
                }
                !hits.is_empty()
            });
            if !held {
                continue;
            }
            if *cve == "CVE-2022-0492" {
                if facts.cgroup.as_deref() != Some("v1") {
                    continue;
                }
                conditions.push(Condition {
                    kind: "host-setting",
                    evidence: format!("the node uses cgroup v1 ({})", facts.source),
                });
                let privileged = found.iter().any(|f| PRIVILEGED.contains(&f.rule_id));
                let apparmor_off = found.iter().find(|f| f.rule_id == "BH-K8S-009");
                match (apparmor_off, facts.lsm.as_deref(), privileged) {
                    (Some(f), _, _) => conditions.push(setting(format!(
                        "{}: {} ({}:{})",
                        f.rule_id, f.title, f.file, f.line
                    ))),
                    (None, Some("none"), _) => conditions.push(Condition {
                        kind: "host-setting",
                        evidence: format!(
                            "no AppArmor or SELinux enforcing on the node ({})",
                            facts.source
                        ),
                    }),
                    (None, _, true) => {}
                    _ => continue,
                }
            }
            out.push(EscapePath {
                id: cve,
                severity: *severity,
                container: Some(workload.to_string()),
                cves: vec![cve.to_string()],
                conditions,
                summary: format!("{workload} {summary}"),
                remediation: remediation.to_string(),
            });
        }
    }
    out
}
