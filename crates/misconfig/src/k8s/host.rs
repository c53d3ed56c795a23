//! Host namespaces and host ports.

use inventory::Severity::{High, Low, Medium};

use super::rule;
use super::workload::Workload;
use super::Out;
use crate::rule::Rule;
use crate::yaml::Node;

const NSA_POD: &str = "NSA/CISA Kubernetes Hardening Guide: Pod security";

pub const HOST_NETWORK: Rule = rule(
    "BH-K8S-018",
    High,
    "Pod uses the host network",
    "`hostNetwork` gives the pod the node's network stack: it can bind node ports, reach services on localhost (kubelet, etcd) and sniff node traffic, bypassing NetworkPolicies.",
    "Remove `hostNetwork: true`; expose the workload through a Service.",
    &["PSS baseline: Host Namespaces", "CIS Kubernetes Benchmark 5.2.5", NSA_POD],
);
pub const HOST_PID: Rule = rule(
    "BH-K8S-019",
    High,
    "Pod shares the host PID namespace",
    "`hostPID` shows every process of the node; with ptrace or /proc access the pod can read their memory and environment or signal them.",
    "Remove `hostPID: true`.",
    &["PSS baseline: Host Namespaces", "CIS Kubernetes Benchmark 5.2.3", NSA_POD],
);
pub const HOST_IPC: Rule = rule(
    "BH-K8S-020",
    High,
    "Pod shares the host IPC namespace",
    "`hostIPC` exposes the node's shared memory and message queues to the pod.",
    "Remove `hostIPC: true`.",
    &[
        "PSS baseline: Host Namespaces",
        "CIS Kubernetes Benchmark 5.2.4",
        NSA_POD,
    ],
);
pub const HOST_PORTS: Rule = rule(
    "BH-K8S-021",
    Medium,
    "Container binds a host port",
    "A `hostPort` opens the port on the node's interfaces, outside Service and NetworkPolicy control, and pins the pod to nodes where it is free.",
    "Remove `hostPort`; use a Service (ClusterIP, or LoadBalancer with source ranges).",
    &["PSS baseline: Host Ports", "CIS Kubernetes Benchmark 5.2.13", NSA_POD],
);
pub const SHARE_PROCESS_NAMESPACE: Rule = rule(
    "BH-K8S-022",
    Low,
    "Containers share one process namespace",
    "With `shareProcessNamespace`, each container sees the others' processes and can read their environment and files through /proc.",
    "Remove `shareProcessNamespace: true` unless a sidecar needs it.",
    &[NSA_POD],
);

pub(crate) fn check(w: &Workload, out: &mut Out) {
    for (key, rule) in [
        ("hostNetwork", &HOST_NETWORK),
        ("hostPID", &HOST_PID),
        ("hostIPC", &HOST_IPC),
        ("shareProcessNamespace", &SHARE_PROCESS_NAMESPACE),
    ] {
        if let Some(e) = w
            .spec
            .entry(key)
            .filter(|e| e.value.as_bool() == Some(true))
        {
            w.report(out, rule, e.key_pos, None, format!("{key} is true"));
        }
    }
    for c in &w.containers {
        for port in c.node.get("ports").map(Node::items).unwrap_or_default() {
            if let Some(e) = port
                .entry("hostPort")
                .filter(|e| e.value.as_i64().is_some_and(|p| p != 0))
            {
                let message = format!(
                    "container {:?} binds host port {}",
                    c.name,
                    e.value.as_str().unwrap_or_default()
                );
                w.report(out, &HOST_PORTS, e.key_pos, Some(c), message);
            }
        }
    }
}
