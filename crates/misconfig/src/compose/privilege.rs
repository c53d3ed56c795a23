//! Privilege: privileged mode, host namespaces, capabilities, security options, devices, user.

use inventory::Severity::{Critical, High, Low, Medium};

use super::{rule, string_items, Out, Service};
use crate::k8s::capabilities::{normalise, risk, CapabilityRisk};
use crate::rule::Rule;

pub const PRIVILEGED: Rule = rule(
    "BH-DC-001",
    Critical,
    "Privileged service",
    "A privileged container has every capability and every host device; it can mount the host disk and take over the Docker host.",
    "Remove `privileged: true`; add only the capabilities or devices the service needs.",
    &["CIS Docker Benchmark 5.4"],
);
pub const NETWORK_HOST: Rule = rule(
    "BH-DC-002",
    High,
    "Service uses the host network",
    "`network_mode: host` shares the host's network stack: the service can bind any host port and reach services listening on localhost.",
    "Use a bridge network and publish only the ports needed.",
    &["CIS Docker Benchmark 5.9"],
);
pub const PID_HOST: Rule = rule(
    "BH-DC-003",
    High,
    "Service shares the host PID namespace",
    "`pid: host` shows every host process to the container, which can signal them or read their /proc entries.",
    "Remove `pid: host`.",
    &["CIS Docker Benchmark 5.15"],
);
pub const IPC_HOST: Rule = rule(
    "BH-DC-004",
    High,
    "Service shares the host IPC namespace",
    "`ipc: host` exposes the host's shared memory segments and message queues.",
    "Remove `ipc: host`.",
    &["CIS Docker Benchmark 5.16"],
);
pub const USERNS_HOST: Rule = rule(
    "BH-DC-005",
    Medium,
    "User namespace remapping disabled",
    "`userns_mode: host` turns off the daemon's user-namespace remapping for this service: root in the container is root on the host.",
    "Remove `userns_mode: host`.",
    &["CIS Docker Benchmark 5.31"],
);
pub const ADMIN_CAPS: Rule = rule(
    "BH-DC-008",
    Critical,
    "Service adds SYS_ADMIN, SYS_MODULE or ALL",
    "Each of these capabilities is enough to escape the container.",
    "Remove the capability from `cap_add`.",
    &["CIS Docker Benchmark 5.3"],
);
pub const DANGEROUS_CAPS: Rule = rule(
    "BH-DC-009",
    High,
    "Service adds a dangerous capability",
    "Capabilities outside Docker's default set (NET_ADMIN, SYS_PTRACE, DAC_READ_SEARCH, BPF…) widen the kernel attack surface and allow reading other processes or reconfiguring the network.",
    "Remove the capability from `cap_add`.",
    &["CIS Docker Benchmark 5.3"],
);
pub const NOT_DROP_ALL: Rule = rule(
    "BH-DC-010",
    Low,
    "Capabilities not dropped",
    "Docker's default set (NET_RAW, CHOWN, SETUID, …) stays available unless dropped; NET_RAW allows spoofing on the bridge network.",
    "Set `cap_drop: [ALL]` and add back only what the service needs.",
    &["CIS Docker Benchmark 5.3"],
);
pub const SECCOMP_UNCONFINED: Rule = rule(
    "BH-DC-011",
    High,
    "Seccomp disabled",
    "`seccomp:unconfined` removes Docker's syscall filter, exposing syscalls behind past container escapes.",
    "Remove the option (Docker's default profile applies) or use a custom profile.",
    &["CIS Docker Benchmark 5.21"],
);
pub const APPARMOR_UNCONFINED: Rule = rule(
    "BH-DC-012",
    High,
    "AppArmor disabled",
    "`apparmor:unconfined` removes the profile that blocks mounts and writes to /proc and /sys.",
    "Remove the option (docker-default applies) or name a custom profile.",
    &["CIS Docker Benchmark 5.1"],
);
pub const SELINUX_DISABLED: Rule = rule(
    "BH-DC-013",
    Medium,
    "SELinux labelling disabled",
    "`label:disable` runs the container without SELinux separation on hosts that enforce it.",
    "Remove the option.",
    &["CIS Docker Benchmark 5.2"],
);
pub const NO_NEW_PRIVILEGES: Rule = rule(
    "BH-DC-014",
    Low,
    "no-new-privileges not set",
    "Without no-new-privileges, setuid binaries in the image can raise a process's privileges.",
    "Add `security_opt: [\"no-new-privileges:true\"]`.",
    &["CIS Docker Benchmark 5.25"],
);
pub const DEVICES: Rule = rule(
    "BH-DC-015",
    High,
    "Host device mapped into the service",
    "A host device node (disks, /dev/mem, GPUs…) gives direct access to hardware and often to the host's data.",
    "Remove the device mapping, or map it read-only (`:r`) if it is needed.",
    &["CIS Docker Benchmark 5.17"],
);
pub const USER_ROOT: Rule = rule(
    "BH-DC-021",
    Medium,
    "Service runs as root",
    "`user: root` (or UID 0) runs the process as root; a breakout starts with root rights.",
    "Set `user` to a non-root UID:GID.",
    &["CIS Docker Benchmark 4.1"],
);
pub const HOST_CGROUP: Rule = rule(
    "BH-DC-025",
    Medium,
    "Service uses a custom or host cgroup",
    "`cgroup: host` and `cgroup_parent` place the container outside Docker's cgroup tree, escaping its resource controls and exposing the host's cgroup hierarchy.",
    "Remove `cgroup: host` and `cgroup_parent`.",
    &["CIS Docker Benchmark 5.24"],
);
pub const UTS_HOST: Rule = rule(
    "BH-DC-026",
    Medium,
    "Service shares the host UTS namespace",
    "`uts: host` lets the container change the host's hostname.",
    "Remove `uts: host`.",
    &["CIS Docker Benchmark 5.20"],
);

pub(crate) fn check(s: &Service, out: &mut Out) {
    if let Some(e) = s
        .node
        .entry("privileged")
        .filter(|e| e.value.as_bool() == Some(true))
    {
        out.report(
            &PRIVILEGED,
            s,
            e.key_pos,
            format!("service {:?} is privileged", s.name),
        );
    }
    for (key, rule) in [
        ("network_mode", &NETWORK_HOST),
        ("pid", &PID_HOST),
        ("ipc", &IPC_HOST),
        ("userns_mode", &USERNS_HOST),
        ("uts", &UTS_HOST),
        ("cgroup", &HOST_CGROUP),
    ] {
        if let Some(e) = s
            .node
            .entry(key)
            .filter(|e| e.value.as_str() == Some("host"))
        {
            out.report(rule, s, e.key_pos, format!("{key} is host"));
        }
    }
    if let Some(e) = s.node.entry("cgroup_parent") {
        out.report(&HOST_CGROUP, s, e.key_pos, "cgroup_parent is set".into());
    }
    for (cap, at) in string_items(s.node.get("cap_add")) {
        let name = normalise(cap);
        let rule = match risk(&name) {
            CapabilityRisk::Escape => &ADMIN_CAPS,
            CapabilityRisk::Dangerous if name != "NET_RAW" && name != "MKNOD" => &DANGEROUS_CAPS,
            _ => continue, // in Docker's default set anyway
        };
        out.report(rule, s, at, format!("adds capability {name}"));
    }
    let drop = s.node.entry("cap_drop");
    if !string_items(drop.map(|d| &d.value))
        .iter()
        .any(|(cap, _)| normalise(cap) == "ALL")
    {
        out.report(
            &NOT_DROP_ALL,
            s,
            drop.map_or(s.pos, |d| d.key_pos),
            "cap_drop does not include ALL".into(),
        );
    }
    let options = s.node.entry("security_opt");
    let mut no_new_privileges = false;
    for (option, at) in string_items(options.map(|o| &o.value)) {
        let normalised = option.replace('=', ":").to_ascii_lowercase();
        let normalised = normalised.trim();
        match normalised {
            "seccomp:unconfined" => out.report(
                &SECCOMP_UNCONFINED,
                s,
                at,
                format!("security_opt {option:?}"),
            ),
            "apparmor:unconfined" => out.report(
                &APPARMOR_UNCONFINED,
                s,
                at,
                format!("security_opt {option:?}"),
            ),
            "label:disable" | "label:disabled" => {
                out.report(&SELINUX_DISABLED, s, at, format!("security_opt {option:?}"))
            }
            "no-new-privileges" | "no-new-privileges:true" => no_new_privileges = true,
            _ => {}
        }
    }
    if !no_new_privileges {
        let at = options.map_or(s.pos, |o| o.key_pos);
        out.report(
            &NO_NEW_PRIVILEGES,
            s,
            at,
            "security_opt lacks no-new-privileges:true".into(),
        );
    }
    for (device, at) in string_items(s.node.get("devices")) {
        out.report(&DEVICES, s, at, format!("maps device {device:?}"));
    }
    if let Some(e) = s.node.entry("user") {
        let user = e.value.as_str().unwrap_or_default();
        let name = user.split(':').next().unwrap_or_default().trim();
        if name == "root" || name == "0" {
            out.report(&USER_ROOT, s, e.key_pos, format!("user is {user:?}"));
        }
    }
}
