//! Volume types: hostPath (critical for runtime sockets and system directories), gitRepo, and
//! the restricted profile's allowed list.

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
    "hostPath mounts a runtime socket or system directory",
    "Mounting the container runtime socket, `/`, `/etc`, `/proc`, `/sys`, `/dev`, `/root` or the kubelet's directory gives the pod control of the node: it can start privileged containers, read every secret or rewrite host files.",
    "Remove the hostPath volume; use the Kubernetes API, a CSI driver or a dedicated agent instead.",
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

pub(crate) fn is_critical_host_path(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    if path.is_empty() || path.ends_with(".sock") {
        return true; // "/" itself, or any socket: docker, containerd, cri-o, kubelet's pod-resources
    }
    CRITICAL_DIRS.iter().any(|dir| {
        path == *dir
            || path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    })
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
                    let rule = if is_critical_host_path(path) {
                        &HOST_PATH_CRITICAL
                    } else {
                        &HOST_PATH
                    };
                    w.report(
                        out,
                        rule,
                        at,
                        None,
                        format!("volume {name:?} mounts host path {path:?}"),
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
