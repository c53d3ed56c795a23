//! Escape paths: the container settings that hand over the host by themselves, and the
//! runtime or kernel vulnerabilities that become reachable only with certain settings. Each
//! path lists its conditions with the evidence for each, and what breaks it.

use crate::containers::Container;
use crate::Context;
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
