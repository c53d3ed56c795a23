//! Linux capabilities added to or kept by containers.

use inventory::Severity::{Critical, High, Low, Medium};

use super::rule;
use super::workload::Workload;
use super::Out;
use crate::rule::Rule;
use crate::yaml::Node;

const NSA_POD: &str = "NSA/CISA Kubernetes Hardening Guide: Pod security";

pub const ADMIN_CAPS: Rule = rule(
    "BH-K8S-014",
    Critical,
    "Container adds SYS_ADMIN, SYS_MODULE or ALL",
    "SYS_ADMIN (mount, namespaces, BPF…), SYS_MODULE (kernel modules) and ALL are each enough to escape to the node.",
    "Remove the capability from `capabilities.add`; find the narrow capability or host-side change the workload needs.",
    &["PSS baseline: Capabilities", "CIS Kubernetes Benchmark 5.2.9", NSA_POD],
);
pub const DANGEROUS_CAPS: Rule = rule(
    "BH-K8S-015",
    High,
    "Container adds a capability outside the baseline set",
    "Capabilities such as NET_ADMIN, NET_RAW, SYS_PTRACE, DAC_READ_SEARCH or BPF widen the kernel attack surface and allow sniffing, spoofing or reading other processes.",
    "Add only capabilities from the PSS baseline set, and only those the process needs.",
    &["PSS baseline: Capabilities", "CIS Kubernetes Benchmark 5.2.8", "CIS Kubernetes Benchmark 5.2.9", NSA_POD],
);
pub const NOT_DROP_ALL: Rule = rule(
    "BH-K8S-016",
    Medium,
    "Capabilities not dropped",
    "The runtime's default set (NET_RAW, CHOWN, SETUID, …) stays available unless dropped; NET_RAW alone allows ARP and DNS spoofing inside the cluster network.",
    "Set `capabilities.drop: [ALL]` and add back only NET_BIND_SERVICE if needed.",
    &["PSS restricted: Capabilities", "CIS Kubernetes Benchmark 5.2.10", NSA_POD],
);
pub const RESTRICTED_ADD: Rule = rule(
    "BH-K8S-017",
    Low,
    "Container adds a capability other than NET_BIND_SERVICE",
    "The restricted profile allows adding back only NET_BIND_SERVICE after dropping ALL.",
    "Remove the capability from `capabilities.add`.",
    &[
        "PSS restricted: Capabilities",
        "CIS Kubernetes Benchmark 5.2.9",
    ],
);

/// Capabilities PSS baseline allows adding.
const BASELINE: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
const ADMIN: &[&str] = &["SYS_ADMIN", "SYS_MODULE", "ALL"];

/// `CAP_SYS_ADMIN` and `sys_admin` both mean SYS_ADMIN to the runtime.
pub(crate) fn normalise(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map(str::to_string)
        .unwrap_or(upper)
}

/// How much an added capability gives away (shared with the compose rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapabilityRisk {
    /// SYS_ADMIN, SYS_MODULE, ALL: enough to escape.
    Escape,
    /// Outside the PSS baseline set.
    Dangerous,
    /// In the baseline set, but not NET_BIND_SERVICE.
    Baseline,
    /// NET_BIND_SERVICE: allowed everywhere.
    Harmless,
}

pub(crate) fn risk(normalised: &str) -> CapabilityRisk {
    if ADMIN.contains(&normalised) {
        CapabilityRisk::Escape
    } else if !BASELINE.contains(&normalised) {
        CapabilityRisk::Dangerous
    } else if normalised != "NET_BIND_SERVICE" {
        CapabilityRisk::Baseline
    } else {
        CapabilityRisk::Harmless
    }
}

pub(crate) fn check(w: &Workload, out: &mut Out) {
    for c in &w.containers {
        let capabilities = c.node.path(&["securityContext", "capabilities"]);
        let added = capabilities
            .and_then(|caps| caps.get("add"))
            .map(Node::items)
            .unwrap_or_default();
        for cap in added {
            let name = normalise(cap.as_str().unwrap_or_default());
            let rule = match risk(&name) {
                CapabilityRisk::Escape => &ADMIN_CAPS,
                CapabilityRisk::Dangerous => &DANGEROUS_CAPS,
                CapabilityRisk::Baseline => &RESTRICTED_ADD,
                CapabilityRisk::Harmless => continue,
            };
            w.report(
                out,
                rule,
                cap.pos,
                Some(c),
                format!("container {:?} adds {name}", c.name),
            );
        }
        let dropped = capabilities.and_then(|caps| caps.entry("drop"));
        let drops_all = dropped.is_some_and(|d| {
            d.value
                .items()
                .iter()
                .any(|cap| cap.as_str().is_some_and(|s| normalise(s) == "ALL"))
        });
        if !drops_all {
            let at = dropped.map_or(c.pos(), |d| d.key_pos);
            w.report(
                out,
                &NOT_DROP_ALL,
                at,
                Some(c),
                format!("container {:?} does not drop ALL capabilities", c.name),
            );
        }
    }
}
