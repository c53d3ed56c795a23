//! Volume types: hostPath (ranked by what the mount gives an attacker: the node when it is a
//! socket or a writable system directory, its secrets when such a directory is read-only, less
//! for the rest), gitRepo, and the restricted profile's allowed list.

use inventory::Severity::{Critical, High, Low, Medium};

use super::rule;
use super::workload::Workload;
use super::Out;
use crate::rule::Rule;
use crate::yaml::Node;

const NSA_POD: &str = "NSA/CISA Kubernetes Hardening Guide: Pod security";

pub const HOST_PATH_CRITICAL: Rule = rule(
    "BH-K8S-023",
    Critical,
    "hostPath mounts a runtime socket or a writable system directory",
    "Mounting the container runtime socket, `/`, or `/etc`, `/proc`, `/sys`, `/dev`, `/root`, `/usr`, the system binaries or the kubelet's and runtimes' directories writable gives the pod control of the node: it can start privileged containers, rewrite host files or the programs the node runs as root.",
    "Remove the hostPath volume; use the Kubernetes API, a CSI driver or a dedicated agent instead.",
    &["PSS baseline: HostPath Volumes", "CIS Kubernetes Benchmark 5.2.12", NSA_POD],
);
pub const HOST_PATH_SECRETS: Rule = rule(
    "BH-K8S-065",
    High,
    "hostPath mounts a sensitive host directory read-only",
    "Even read-only, `/etc`, `/root`, `/proc`, `/var/lib/kubelet`, etcd's, the runtimes' or the logs' directories hand the pod the node's credentials, every pod's secrets and the other containers' files and environment.",
    "Remove the hostPath volume; mount only what the pod needs (a CA bundle, the time zone) or use a Secret, a ConfigMap or a CSI driver.",
    &["PSS baseline: HostPath Volumes", "CIS Kubernetes Benchmark 5.2.12", NSA_POD],
);
pub const HOST_PATH: Rule = rule(
    "BH-K8S-024",
    Medium,
    "hostPath volume",
    "A hostPath volume reaches the node's filesystem; writable mounts let a pod plant files the node or other pods use.",
    "Replace hostPath with emptyDir, a PersistentVolumeClaim or a ConfigMap; if unavoidable, mount it readOnly.",
    &["PSS baseline: HostPath Volumes", "CIS Kubernetes Benchmark 5.2.12", NSA_POD],
);
pub const VOLUME_TYPES: Rule = rule(
    "BH-K8S-025",
    Low,
    "Volume type not allowed by the restricted profile",
    "Only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes are allowed in the restricted profile; other in-tree types bypass storage policy.",
    "Use a PersistentVolumeClaim or CSI volume instead.",
    &["PSS restricted: Volume Types"],
);
pub const GIT_REPO: Rule = rule(
    "BH-K8S-026",
    High,
    "gitRepo volume",
    "The deprecated gitRepo volume runs git on the node as root; crafted repositories have executed code on the node (CVE-2018-11235, CVE-2024-10220).",
    "Clone in an init container into an emptyDir instead.",
    &["CVE-2024-10220", "PSS restricted: Volume Types"],
);

const RESTRICTED_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Host paths whose mount hands over the node. Prefix matches: `/etc/kubernetes` is under `/etc`.
const CRITICAL_DIRS: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/root",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/etcd",
    "/var/run",
    "/run",
    "/var/log",
];

/// Where the node keeps the programs and libraries it runs as root: writable, they are the node.
const SYSTEM_BINARIES: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64"];

/// Read-only, these give nothing away: CA bundles, the time zone, the machine's identity.
const HARMLESS_READ_ONLY: &[&str] = &[
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/etc/machine-id",
    "/etc/os-release",
];

fn under(path: &str, dirs: &[&str]) -> bool {
    dirs.iter().any(|dir| {
        path == *dir
            || path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// What a host path mount gives whoever runs in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostPathRisk {
    /// The node: a socket, `/`, or a system directory mounted writable.
    Node,
    /// The node's secrets and other workloads' data: a sensitive directory read-only.
    Secrets,
    /// Something of the node, not the node itself.
    Other,
}

pub(crate) fn host_path_risk(path: &str, read_only: bool) -> HostPathRisk {
    let path = path.trim_end_matches('/');
    // "/" itself, or any socket (docker, containerd, CRI-O, the kubelet's pod-resources):
    // read-only does not stop a client from talking to a socket.
    if path.is_empty() || path.ends_with(".sock") {
        return HostPathRisk::Node;
    }
    if read_only && under(path, HARMLESS_READ_ONLY) {
        return HostPathRisk::Other;
    }
    match (
        under(path, CRITICAL_DIRS),
        under(path, SYSTEM_BINARIES),
        read_only,
    ) {
        (true, _, true) => HostPathRisk::Secrets,
        (true, _, false) | (false, true, false) => HostPathRisk::Node,
        _ => HostPathRisk::Other,
    }
}

/// Whether every container that mounts the volume mounts it read-only (unmounted: not).
fn mounted_read_only(w: &Workload, volume: &str) -> bool {
    let mounts: Vec<&Node> = w
        .containers
        .iter()
        .flat_map(|c| {
            c.node
                .get("volumeMounts")
                .map(Node::items)
                .unwrap_or_default()
        })
        .filter(|m| m.get("name").and_then(Node::as_str) == Some(volume))
        .collect();
    !mounts.is_empty()
        && mounts
            .iter()
            .all(|m| m.get("readOnly").and_then(Node::as_bool) == Some(true))
}

pub(crate) fn check(w: &Workload, out: &mut Out) {
    for volume in w.spec.get("volumes").map(Node::items).unwrap_or_default() {
        let name = volume
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        for source in volume.entries().iter().filter(|e| e.key != "name") {
            match source.key.as_str() {
                "hostPath" => {
                    let path = source
                        .value
                        .get("path")
                        .and_then(Node::as_str)
                        .unwrap_or_default();
                    let at = source
                        .value
                        .entry("path")
                        .map_or(source.key_pos, |e| e.key_pos);
                    let read_only = mounted_read_only(w, name);
                    let rule = match host_path_risk(path, read_only) {
                        HostPathRisk::Node => &HOST_PATH_CRITICAL,
                        HostPathRisk::Secrets => &HOST_PATH_SECRETS,
                        HostPathRisk::Other => &HOST_PATH,
                    };
                    let mode = if read_only { "read-only" } else { "writable" };
                    w.report(
                        out,
                        rule,
                        at,
                        None,
                        format!("volume {name:?} mounts host path {path:?} ({mode})"),
                    );
                }
                "gitRepo" => w.report(
                    out,
                    &GIT_REPO,
                    source.key_pos,
                    None,
                    format!("volume {name:?} is a gitRepo volume"),
                ),
                kind if !RESTRICTED_TYPES.contains(&kind) => w.report(
                    out,
                    &VOLUME_TYPES,
                    source.key_pos,
                    None,
                    format!("volume {name:?} is of type {kind}"),
                ),
                _ => {}
            }
        }
    }
}
