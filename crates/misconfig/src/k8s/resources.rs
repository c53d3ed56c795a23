//! Resource requests and limits, and health probes.

use inventory::Severity::{Low, Medium};

use super::rule;
use super::workload::{Container, ContainerKind, Workload};
use super::Out;
use crate::rule::Rule;

const NSA_RESOURCES: &str = "NSA/CISA Kubernetes Hardening Guide: Resource policies";

pub const CPU_REQUEST: Rule = rule(
    "BH-K8S-029",
    Low,
    "No CPU request",
    "Without a request the scheduler cannot reserve CPU, so a noisy or compromised neighbour starves the pod.",
    "Set `resources.requests.cpu`.",
    &[NSA_RESOURCES],
);
pub const MEMORY_REQUEST: Rule = rule(
    "BH-K8S-030",
    Low,
    "No memory request",
    "Without a request the pod is first to be evicted and the node can be overcommitted.",
    "Set `resources.requests.memory`.",
    &[NSA_RESOURCES],
);
pub const CPU_LIMIT: Rule = rule(
    "BH-K8S-031",
    Low,
    "No CPU limit",
    "A container without a CPU limit can take every core of the node (cryptominers do).",
    "Set `resources.limits.cpu`, or a LimitRange in the namespace.",
    &[NSA_RESOURCES],
);
pub const MEMORY_LIMIT: Rule = rule(
    "BH-K8S-032",
    Medium,
    "No memory limit",
    "A container without a memory limit can exhaust the node's memory and trigger the OOM killer on other pods.",
    "Set `resources.limits.memory`.",
    &[NSA_RESOURCES],
);
pub const EPHEMERAL_STORAGE_LIMIT: Rule = rule(
    "BH-K8S-033",
    Low,
    "No ephemeral-storage limit",
    "Logs and writes to the container layer or emptyDir can fill the node's disk and evict everything on it.",
    "Set `resources.limits.ephemeral-storage`.",
    &[NSA_RESOURCES],
);
pub const LIVENESS_PROBE: Rule = rule(
    "BH-K8S-034",
    Low,
    "No liveness probe",
    "A hung process is never restarted, so an attack that wedges it denies service until someone notices.",
    "Add a `livenessProbe`.",
    &["kube-score: container-probes"],
);
pub const READINESS_PROBE: Rule = rule(
    "BH-K8S-035",
    Low,
    "No readiness probe",
    "Traffic reaches the container before it is ready or after it fails.",
    "Add a `readinessProbe`.",
    &["kube-score: container-probes"],
);

pub(crate) fn check(w: &Workload, out: &mut Out) {
    let runs_to_completion = matches!(w.object.kind, "Job" | "CronJob");
    for c in w
        .containers
        .iter()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        for (section, resource, rule) in [
            ("requests", "cpu", &CPU_REQUEST),
            ("requests", "memory", &MEMORY_REQUEST),
            ("limits", "cpu", &CPU_LIMIT),
            ("limits", "memory", &MEMORY_LIMIT),
            ("limits", "ephemeral-storage", &EPHEMERAL_STORAGE_LIMIT),
        ] {
            let set = |section: &str| c.node.path(&["resources", section, resource]).is_some();
            // Kubernetes defaults a missing request to the limit when a limit is set.
            let defaulted = section == "requests" && set("limits");
            if !set(section) && !defaulted {
                let message = format!("container {:?} sets no {section}.{resource}", c.name);
                w.report(out, rule, resources_pos(c), Some(c), message);
            }
        }
        if c.kind == ContainerKind::Regular && !runs_to_completion {
            for (key, rule) in [
                ("livenessProbe", &LIVENESS_PROBE),
                ("readinessProbe", &READINESS_PROBE),
            ] {
                if c.node.get(key).is_none() {
                    w.report(
                        out,
                        rule,
                        c.pos(),
                        Some(c),
                        format!("container {:?} has no {key}", c.name),
                    );
                }
            }
        }
    }
}

fn resources_pos(c: &Container) -> crate::yaml::Pos {
    c.node.entry("resources").map_or(c.pos(), |e| e.key_pos)
}
