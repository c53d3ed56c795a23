//! Bind mounts of host sockets and system directories; writable root filesystems.

use inventory::Severity::{Critical, High, Low};

use super::{rule, Out, Service};
use crate::k8s::volumes::{host_path_risk, HostPathRisk};
use crate::rule::Rule;
use crate::yaml::{Node, Pos};

pub const RUNTIME_SOCKET: Rule = rule(
    "BH-DC-006",
    Critical,
    "Container runtime socket mounted",
    "Whoever talks to the Docker (or containerd, CRI-O, Podman) socket can start a privileged container with the host's root filesystem: it is root on the host.",
    "Remove the socket mount; if a tool needs the API, put an authorising proxy in front of it.",
    &["CIS Docker Benchmark 5.32"],
);
pub const SENSITIVE_BIND: Rule = rule(
    "BH-DC-007",
    High,
    "Sensitive host directory mounted",
    "Mounting `/`, `/etc`, `/proc`, `/sys`, `/dev`, `/root`, `/boot` or Docker's data directory exposes host credentials, and writable (or a writable `/usr`, `/bin`, `/lib`) lets the container change the host. Read-only CA bundles and the time zone (`/etc/localtime:/etc/localtime:ro`) are not flagged.",
    "Mount only the application's own directories, read-only where possible.",
    &["CIS Docker Benchmark 5.5"],
);
pub const READ_ONLY: Rule = rule(
    "BH-DC-022",
    Low,
    "Root filesystem is writable",
    "A writable root filesystem lets an attacker change the container's binaries and keep tools around.",
    "Set `read_only: true` and mount tmpfs or volumes where the service writes.",
    &["CIS Docker Benchmark 5.12"],
);

/// A bind mount's host path and whether it is read-only, from the short (`/host:/ctr:ro`) or
/// long (`type: bind`, `read_only: true`) syntax; named volumes (no leading `/`, `.` or `~`)
/// have none.
fn host_path(volume: &Node) -> Option<(&str, Pos, bool)> {
    if let Some(spec) = volume.as_str() {
        let mut parts = spec.split(':');
        let source = parts.next()?;
        let is_path = source.starts_with('/')
            || source.starts_with('.')
            || source.starts_with('~')
            || source.starts_with("\\\\");
        let read_only = parts
            .nth(1)
            .is_some_and(|options| options.split(',').any(|o| o == "ro"));
        return is_path.then_some((source, volume.pos, read_only));
    }
    let source = volume.entry("source")?;
    let is_bind = volume.get("type").and_then(Node::as_str) == Some("bind");
    let read_only = volume.get("read_only").and_then(Node::as_bool) == Some(true);
    is_bind
        .then(|| Some((source.value.as_str()?, source.key_pos, read_only)))
        .flatten()
}

fn is_socket(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.ends_with(".sock") || path.contains("docker_engine") || path.ends_with("/docker.sock")
}

pub(crate) fn check(s: &Service, out: &mut Out) {
    for volume in s.node.get("volumes").map(Node::items).unwrap_or_default() {
        let Some((path, at, read_only)) = host_path(volume) else {
            continue;
        };
        if is_socket(path) {
            out.report(
                &RUNTIME_SOCKET,
                s,
                at,
                format!("mounts host socket {path:?}"),
            );
        } else if host_path_risk(path, read_only) != HostPathRisk::Other {
            let mode = if read_only { "read-only" } else { "writable" };
            out.report(
                &SENSITIVE_BIND,
                s,
                at,
                format!("mounts host path {path:?} ({mode})"),
            );
        }
    }
    match s.node.entry("read_only") {
        Some(e) if e.value.as_bool() == Some(true) => {}
        Some(e) => out.report(&READ_ONLY, s, e.key_pos, "read_only is false".into()),
        None => out.report(&READ_ONLY, s, s.pos, "read_only is not set".into()),
    }
}
