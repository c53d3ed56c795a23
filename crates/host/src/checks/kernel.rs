//! Kernel and security-module state: sysctls (the running values from `/proc/sys` on a live
//! host, else what `/etc/sysctl.conf` and `/etc/sysctl.d/*.conf` set), the cgroup version and
//! whether AppArmor or SELinux is enforcing.

use super::{Check, Finding};
use crate::settings::Source;
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-060",
        severity: Medium,
        title: "Unprivileged users may create user namespaces",
        why: "User namespaces expose kernel code (netfilter, filesystems) to unprivileged processes: CVE-2022-0185, CVE-2021-22555 and CVE-2023-32233 escapes start there.",
        fix: "Set kernel.unprivileged_userns_clone=0 (Debian, Ubuntu) or user.max_user_namespaces=0 where containers do not need them.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-061",
        severity: Medium,
        title: "Unprivileged users may load BPF programs",
        why: "Unprivileged eBPF has been the entry point of several kernel privilege escalations.",
        fix: "Set kernel.unprivileged_bpf_disabled=1 (or 2).",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-062",
        severity: Low,
        title: "Any process may ptrace any other of the same user",
        why: "A compromised process reads the memory and secrets of its siblings.",
        fix: "Set kernel.yama.ptrace_scope=1 (or higher).",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-063",
        severity: Low,
        title: "Kernel addresses are shown to unprivileged users",
        why: "Kernel pointers in /proc defeat KASLR, which kernel exploits then no longer need to guess.",
        fix: "Set kernel.kptr_restrict=1 (or 2).",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-064",
        severity: Low,
        title: "Unprivileged users may read the kernel log",
        why: "dmesg leaks kernel addresses and hardware details useful to an exploit.",
        fix: "Set kernel.dmesg_restrict=1.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-065",
        severity: Medium,
        title: "The host uses cgroup v1",
        why: "cgroup v1's release_agent is the mechanism of CVE-2022-0492; v2 has no release_agent and delegates safely.",
        fix: "Boot with the unified hierarchy (systemd.unified_cgroup_hierarchy=1, the default on current distributions).",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-066",
        severity: Medium,
        title: "Neither AppArmor nor SELinux is enforcing",
        why: "Without a security module, container profiles (docker-default, container_t) are not applied: the last layer that stops several escapes is missing.",
        fix: "Enable AppArmor (Debian, Ubuntu, SUSE) or SELinux in enforcing mode (RHEL family).",
        benchmark: &["CIS Docker 5.1", "CIS Docker 5.2"],
    },
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a kernel check id")
}

/// (check, sysctl, the values that fail)
const SYSCTLS: &[(&str, &str, &[&str])] = &[
    ("BH-HOST-060", "kernel.unprivileged_userns_clone", &["1"]),
    ("BH-HOST-061", "kernel.unprivileged_bpf_disabled", &["0"]),
    ("BH-HOST-062", "kernel.yama.ptrace_scope", &["0"]),
    ("BH-HOST-063", "kernel.kptr_restrict", &["0"]),
    ("BH-HOST-064", "kernel.dmesg_restrict", &["0"]),
];

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    for (id, name, failing) in SYSCTLS {
        if let Some((value, source)) = ctx.sysctl(name) {
            if failing.contains(&value.as_str()) {
                let message = format!("{name} is {value}");
                out.push(Finding::at(check(id), name, &value, &source, message));
            }
        }
    }
    if ctx.root.live {
        if ctx.cgroup_v1() {
            let source = Source::file("/sys/fs/cgroup", None);
            let message = "/sys/fs/cgroup is a cgroup v1 hierarchy".to_string();
            out.push(Finding::at(
                check("BH-HOST-065"),
                "cgroup",
                "v1",
                &source,
                message,
            ));
        }
        if ctx.lsm().is_none() {
            let source = Source::file("/sys/kernel/security/lsm", None);
            let message = "no AppArmor or SELinux is enforcing".to_string();
            out.push(Finding::at(
                check("BH-HOST-066"),
                "lsm",
                "none",
                &source,
                message,
            ));
        }
    }
}
