//! Security-context rules: the Pod Security Standards controls other than capabilities, host
//! namespaces and volumes (which have their own files).

use inventory::Severity::{Critical, High, Low, Medium};

use super::rule;
use super::workload::{Container, Workload};
use super::Out;
use crate::rule::Rule;
use crate::yaml::{Entry, Node};

const NSA_POD: &str = "NSA/CISA Kubernetes Hardening Guide: Pod security";

pub const PRIVILEGED: Rule = rule(
    "BH-K8S-001",
    Critical,
    "Privileged container",
    "A privileged container has every capability and all host devices: it can mount the host disk, load kernel modules and take over the node.",
    "Remove `privileged: true`; grant only the specific capabilities the process needs.",
    &["PSS baseline: Privileged Containers", "CIS Kubernetes Benchmark 5.2.2", NSA_POD],
);
pub const PRIVILEGE_ESCALATION: Rule = rule(
    "BH-K8S-002",
    Medium,
    "Privilege escalation not disabled",
    "Without `allowPrivilegeEscalation: false`, setuid binaries and file capabilities let a process gain more privileges than its parent (no_new_privs is off).",
    "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    &["PSS restricted: Privilege Escalation", "CIS Kubernetes Benchmark 5.2.6", NSA_POD],
);
pub const RUN_AS_NON_ROOT: Rule = rule(
    "BH-K8S-003",
    Medium,
    "Container may run as root",
    "Unless `runAsNonRoot: true` is set, the kubelet starts an image whose user is root as root; a breakout then starts as root on the node.",
    "Set `securityContext.runAsNonRoot: true` on the pod or every container, and build images with a non-root USER.",
    &["PSS restricted: Running as Non-root", "CIS Kubernetes Benchmark 5.2.7", NSA_POD],
);
pub const RUN_AS_USER_ROOT: Rule = rule(
    "BH-K8S-004",
    High,
    "Container runs as UID 0",
    "`runAsUser: 0` runs the process as root, overriding the image's user.",
    "Set `runAsUser` to a non-zero UID (10000 or above avoids clashes with host users).",
    &[
        "PSS restricted: Running as Non-root user",
        "CIS Kubernetes Benchmark 5.2.7",
        NSA_POD,
    ],
);
pub const RUN_AS_GROUP_ROOT: Rule = rule(
    "BH-K8S-005",
    Medium,
    "Container runs with GID 0",
    "Group 0 (`runAsGroup`, `fsGroup`) grants access to files that root's group owns inside the container and on mounted volumes.",
    "Set `runAsGroup` and `fsGroup` to a non-zero GID.",
    &["CIS Kubernetes Benchmark 5.7.3", NSA_POD],
);
pub const READ_ONLY_ROOT_FS: Rule = rule(
    "BH-K8S-006",
    Low,
    "Root filesystem is writable",
    "A writable root filesystem lets an attacker drop tools and modify binaries the container runs.",
    "Set `securityContext.readOnlyRootFilesystem: true`; mount emptyDir volumes where the process must write.",
    &["NSA/CISA Kubernetes Hardening Guide: Immutable container file systems", "CIS Kubernetes Benchmark 5.7.3"],
);
pub const SECCOMP_UNCONFINED: Rule = rule(
    "BH-K8S-007",
    High,
    "Seccomp explicitly disabled",
    "`Unconfined` removes the syscall filter: every kernel syscall, including those behind past container escapes, is reachable.",
    "Set `seccompProfile.type: RuntimeDefault` (or a Localhost profile).",
    &["PSS baseline: Seccomp", "CIS Kubernetes Benchmark 5.7.2", NSA_POD],
);
pub const SECCOMP_MISSING: Rule = rule(
    "BH-K8S-008",
    Medium,
    "No seccomp profile",
    "Kubernetes runs containers Unconfined unless a profile is set: the whole kernel syscall surface is exposed.",
    "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.",
    &["PSS restricted: Seccomp", "CIS Kubernetes Benchmark 5.7.2", NSA_POD],
);
pub const APPARMOR_UNCONFINED: Rule = rule(
    "BH-K8S-009",
    High,
    "AppArmor disabled",
    "An unconfined AppArmor profile removes the mandatory access control that blocks mounts and writes to /proc and /sys.",
    "Use `appArmorProfile.type: RuntimeDefault` (or the `runtime/default` annotation) instead of Unconfined.",
    &["PSS baseline: AppArmor", NSA_POD],
);
pub const PROC_MOUNT: Rule = rule(
    "BH-K8S-010",
    High,
    "Unmasked /proc",
    "`procMount: Unmasked` exposes /proc paths the runtime normally masks (kcore, sysrq-trigger…), which help escapes.",
    "Remove `procMount` or set it to `Default`.",
    &["PSS baseline: /proc Mount Type", NSA_POD],
);
pub const UNSAFE_SYSCTLS: Rule = rule(
    "BH-K8S-011",
    High,
    "Unsafe sysctl",
    "Sysctls outside the namespaced safe set change kernel settings for the whole node and can break isolation.",
    "Use only the safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, …) or set node-level settings by other means.",
    &["PSS baseline: Sysctls", NSA_POD],
);
pub const SELINUX: Rule = rule(
    "BH-K8S-012",
    Medium,
    "Custom SELinux options",
    "Setting an SELinux user, role or a type other than the container types can give the container an unconfined or host label.",
    "Remove `seLinuxOptions.user`/`role`; use only `container_t`, `container_init_t`, `container_kvm_t` or `container_engine_t` types.",
    &["PSS baseline: SELinux", NSA_POD],
);
pub const HOST_PROCESS: Rule = rule(
    "BH-K8S-013",
    Critical,
    "Windows HostProcess container",
    "A HostProcess container runs directly on the Windows node with host access.",
    "Remove `windowsOptions.hostProcess: true`.",
    &[
        "PSS baseline: HostProcess",
        "CIS Kubernetes Benchmark 5.2.11",
    ],
);
pub const LOW_UID: Rule = rule(
    "BH-K8S-062",
    Low,
    "UID not set to 10000 or above",
    "Low UIDs can coincide with real users on the node, so a breakout acts as that user; without `runAsUser` the image decides, often 0 or 1000.",
    "Set `runAsUser` to 10000 or above on the pod or container.",
    &[
        "kube-score: container-security-context-user-group-id",
        NSA_POD,
    ],
);
pub const LOW_GID: Rule = rule(
    "BH-K8S-063",
    Low,
    "GID below 10000",
    "Low GIDs can coincide with real groups on the node and on shared volumes.",
    "Set `runAsGroup` to 10000 or above.",
    &[
        "kube-score: container-security-context-user-group-id",
        NSA_POD,
    ],
);

const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(crate) fn check(w: &Workload, out: &mut Out) {
    for c in &w.containers {
        check_container(w, c, out);
    }
    // Settings the pod and each container may both carry.
    each_setting(w, "runAsUser", out, |w, entry, c, out| {
        match entry.value.as_i64() {
            Some(0) => w.report(
                out,
                &RUN_AS_USER_ROOT,
                entry.key_pos,
                c,
                "runAsUser is 0 (root)".into(),
            ),
            Some(uid @ 1..=9999) => w.report(
                out,
                &LOW_UID,
                entry.key_pos,
                c,
                format!("runAsUser is {uid}"),
            ),
            _ => {}
        }
    });
    each_setting(w, "runAsGroup", out, |w, entry, c, out| {
        match entry.value.as_i64() {
            Some(0) => w.report(
                out,
                &RUN_AS_GROUP_ROOT,
                entry.key_pos,
                c,
                "runAsGroup is 0 (root)".into(),
            ),
            Some(gid @ 1..=9999) => w.report(
                out,
                &LOW_GID,
                entry.key_pos,
                c,
                format!("runAsGroup is {gid}"),
            ),
            _ => {}
        }
    });
    if let Some(entry) = w
        .pod_security_context("fsGroup")
        .filter(|e| e.value.as_i64() == Some(0))
    {
        w.report(
            out,
            &RUN_AS_GROUP_ROOT,
            entry.key_pos,
            None,
            "fsGroup is 0 (root)".into(),
        );
    }
    for (setting, rule) in [
        ("seccompProfile", &SECCOMP_UNCONFINED),
        ("appArmorProfile", &APPARMOR_UNCONFINED),
    ] {
        each_setting(w, setting, out, |w, entry, c, out| {
            if let Some(t) = entry
                .value
                .entry("type")
                .filter(|t| is(&t.value, "Unconfined"))
            {
                let message = format!("{setting} type is Unconfined");
                w.report(out, rule, t.key_pos, c, message);
            }
        });
    }
    each_setting(w, "seLinuxOptions", out, |w, entry, c, out| {
        for option in entry.value.entries() {
            let value = option.value.as_str().unwrap_or_default();
            let custom = match option.key.as_str() {
                "type" => !value.is_empty() && !SELINUX_TYPES.contains(&value),
                "user" | "role" => !value.is_empty(),
                _ => false,
            };
            if custom {
                let message = format!("seLinuxOptions.{} is {value:?}", option.key);
                w.report(out, &SELINUX, option.key_pos, c, message);
            }
        }
    });
    each_setting(w, "windowsOptions", out, |w, entry, c, out| {
        if let Some(h) = entry
            .value
            .entry("hostProcess")
            .filter(|h| h.value.as_bool() == Some(true))
        {
            w.report(
                out,
                &HOST_PROCESS,
                h.key_pos,
                c,
                "windowsOptions.hostProcess is true".into(),
            );
        }
    });
    for sysctl in w
        .pod_security_context("sysctls")
        .map(|e| e.value.items())
        .unwrap_or_default()
    {
        let name = sysctl
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default();
        if !SAFE_SYSCTLS.contains(&name) {
            let at = sysctl.entry("name").map_or(sysctl.pos, |e| e.key_pos);
            w.report(
                out,
                &UNSAFE_SYSCTLS,
                at,
                None,
                format!("sysctl {name:?} is not in the safe set"),
            );
        }
    }
    check_annotations(w, out);
}

fn check_container(w: &Workload, c: &Container, out: &mut Out) {
    if w.effective(c, "runAsUser").is_none() {
        let message = format!(
            "container {:?} sets no runAsUser: the image decides the UID",
            c.name
        );
        w.report(out, &LOW_UID, c.pos(), Some(c), message);
    }
    if let Some(e) = c
        .security_context("privileged")
        .filter(|e| e.value.as_bool() == Some(true))
    {
        w.report(
            out,
            &PRIVILEGED,
            e.key_pos,
            Some(c),
            format!("container {:?} is privileged", c.name),
        );
    }
    match c.security_context("allowPrivilegeEscalation") {
        Some(e) if e.value.as_bool() == Some(false) => {}
        Some(e) => w.report(
            out,
            &PRIVILEGE_ESCALATION,
            e.key_pos,
            Some(c),
            format!("container {:?}: allowPrivilegeEscalation is true", c.name),
        ),
        None => w.report(
            out,
            &PRIVILEGE_ESCALATION,
            c.pos(),
            Some(c),
            format!(
                "container {:?}: allowPrivilegeEscalation is not set to false",
                c.name
            ),
        ),
    }
    match w.effective(c, "runAsNonRoot") {
        Some(e) if e.value.as_bool() == Some(true) => {}
        Some(e) => w.report(
            out,
            &RUN_AS_NON_ROOT,
            e.key_pos,
            Some(c),
            format!("container {:?}: runAsNonRoot is false", c.name),
        ),
        None => w.report(
            out,
            &RUN_AS_NON_ROOT,
            c.pos(),
            Some(c),
            format!("container {:?}: runAsNonRoot is not set", c.name),
        ),
    }
    match c.security_context("readOnlyRootFilesystem") {
        Some(e) if e.value.as_bool() == Some(true) => {}
        Some(e) => w.report(
            out,
            &READ_ONLY_ROOT_FS,
            e.key_pos,
            Some(c),
            format!("container {:?}: readOnlyRootFilesystem is false", c.name),
        ),
        None => w.report(
            out,
            &READ_ONLY_ROOT_FS,
            c.pos(),
            Some(c),
            format!("container {:?}: readOnlyRootFilesystem is not set", c.name),
        ),
    }
    if let Some(e) = c
        .security_context("procMount")
        .filter(|e| !is(&e.value, "Default"))
    {
        let message = format!("procMount is {:?}", e.value.as_str().unwrap_or_default());
        w.report(out, &PROC_MOUNT, e.key_pos, Some(c), message);
    }
    if !has_seccomp(w, c) {
        w.report(
            out,
            &SECCOMP_MISSING,
            c.pos(),
            Some(c),
            format!(
                "container {:?}: no RuntimeDefault or Localhost seccomp profile",
                c.name
            ),
        );
    }
}

/// Whether `c` gets a RuntimeDefault/Localhost profile (field or legacy annotation); an
/// explicit Unconfined is BH-K8S-007's finding, so it counts as "has one" here.
fn has_seccomp(w: &Workload, c: &Container) -> bool {
    if let Some(e) = w.effective(c, "seccompProfile") {
        return e.value.get("type").and_then(Node::as_str).is_some();
    }
    let container_key = format!("container.seccomp.security.alpha.kubernetes.io/{}", c.name);
    let annotation = w
        .annotation(&container_key)
        .or_else(|| w.annotation("seccomp.security.alpha.kubernetes.io/pod"));
    annotation.and_then(|a| a.value.as_str()).is_some()
}

fn check_annotations(w: &Workload, out: &mut Out) {
    let annotations = w
        .metadata
        .and_then(|m| m.get("annotations"))
        .map(Node::entries)
        .unwrap_or_default();
    for a in annotations {
        let value = a.value.as_str().unwrap_or_default();
        let unconfined = value.eq_ignore_ascii_case("unconfined");
        if unconfined
            && a.key
                .starts_with("container.apparmor.security.beta.kubernetes.io/")
        {
            w.report(
                out,
                &APPARMOR_UNCONFINED,
                a.key_pos,
                None,
                format!("annotation {} is unconfined", a.key),
            );
        }
        let seccomp = a.key == "seccomp.security.alpha.kubernetes.io/pod"
            || a.key
                .starts_with("container.seccomp.security.alpha.kubernetes.io/");
        if unconfined && seccomp {
            w.report(
                out,
                &SECCOMP_UNCONFINED,
                a.key_pos,
                None,
                format!("annotation {} is unconfined", a.key),
            );
        }
    }
}

/// Visits `key` in the pod's securityContext, then in each container's own.
fn each_setting(
    w: &Workload,
    key: &str,
    out: &mut Out,
    mut visit: impl FnMut(&Workload, &Entry, Option<&Container>, &mut Out),
) {
    if let Some(entry) = w.pod_security_context(key) {
        visit(w, entry, None, out);
    }
    for c in &w.containers {
        if let Some(entry) = c.security_context(key) {
            visit(w, entry, Some(c), out);
        }
    }
}

fn is(node: &Node, expected: &str) -> bool {
    node.as_str()
        .is_some_and(|v| v.eq_ignore_ascii_case(expected))
}
