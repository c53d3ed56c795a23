//! Ownership and modes of the files that control the runtimes and the kubelet (CIS Docker 1.6
//! section 3, CIS Kubernetes 1.12 section 4.1). Modes are compared as bit masks: a file passes
//! "0644 or stricter" when it sets no bit outside 0644, so 0606 fails (world-writable) where a
//! decimal compare (606 < 644) would pass it.

use super::{Check, Finding};
use crate::root::Mode;
use crate::settings::Source;
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-020",
        severity: Medium,
        title: "A Docker or containerd systemd unit is writable by others or not owned by root",
        why: "Whoever can edit the unit chooses the daemon's flags at the next start, e.g. a TCP socket without TLS.",
        fix: "chown root:root the unit and chmod 644 (or stricter).",
        benchmark: &["CIS Docker 3.1", "CIS Docker 3.3"],
    },
    Check {
        id: "BH-HOST-021",
        severity: Medium,
        title: "/etc/docker is writable by others or not owned by root",
        why: "It holds daemon.json and the TLS certificates the daemon trusts.",
        fix: "chown root:root /etc/docker and chmod 755 (or stricter).",
        benchmark: &["CIS Docker 3.5"],
    },
    Check {
        id: "BH-HOST-022",
        severity: High,
        title: "The Docker socket is open beyond root and the docker group",
        why: "Access to docker.sock is root on the host.",
        fix: "chown root:docker /var/run/docker.sock and chmod 660 (or stricter).",
        benchmark: &["CIS Docker 3.15", "CIS Docker 3.16"],
    },
    Check {
        id: "BH-HOST-023",
        severity: Medium,
        title: "daemon.json or /etc/default/docker is writable by others or not owned by root",
        why: "Whoever can edit them configures the daemon at its next start.",
        fix: "chown root:root and chmod 644 (or stricter).",
        benchmark: &["CIS Docker 3.17", "CIS Docker 3.19"],
    },
    Check {
        id: "BH-HOST-024",
        severity: High,
        title: "The containerd socket is open beyond root",
        why: "Access to containerd.sock starts any container with any privilege.",
        fix: "chown root:root /run/containerd/containerd.sock and chmod 660 (or stricter).",
        benchmark: &["CIS Docker 3.23", "CIS Docker 3.24"],
    },
    Check {
        id: "BH-HOST-025",
        severity: High,
        title: "The Docker daemon's TLS key or certificates are readable or writable by others",
        why: "The server key lets anyone impersonate the daemon; writable CA certificates let anyone add a client.",
        fix: "chown root:root; chmod 400 the key and 444 the certificates.",
        benchmark: &["CIS Docker 3.7", "CIS Docker 3.9", "CIS Docker 3.11", "CIS Docker 3.13"],
    },
    Check {
        id: "BH-HOST-026",
        severity: Medium,
        title: "A kubelet unit, kubeconfig or config file is readable or writable by others",
        why: "The kubeconfig holds the node's credentials; the unit and config decide how the kubelet authenticates callers.",
        fix: "chown root:root and chmod 600 (or stricter).",
        benchmark: &["CIS Kubernetes 4.1.1", "CIS Kubernetes 4.1.5", "CIS Kubernetes 4.1.9"],
    },
];

fn check(id: &str) -> &'static Check {
    CHECKS.iter().find(|c| c.id == id).expect("a file check id")
}

/// Fails when the file sets a bit outside `allowed` or belongs to another owner; `group` is
/// a gid the file may also belong to (the docker group).
fn judge(
    ctx: &Context,
    out: &mut Vec<Finding>,
    id: &str,
    path: &str,
    allowed: u32,
    group: Option<u32>,
) {
    let Some(mode) = ctx.root.mode(path) else {
        return;
    };
    let extra = mode.bits & !allowed;
    let owner_ok = mode.uid == 0 && (mode.gid == 0 || Some(mode.gid) == group);
    if extra == 0 && owner_ok {
        return;
    }
    let value = describe(mode);
    let message = if extra != 0 {
        format!(
            "{path} is {:04o}: {:04o} or stricter expected",
            mode.bits, allowed
        )
    } else {
        format!("{path} is owned by {}:{}, not root", mode.uid, mode.gid)
    };
    let source = Source::file(path, None);
    out.push(Finding::at(check(id), "mode", &value, &source, message));
}

fn describe(mode: Mode) -> String {
    format!("{:04o} {}:{}", mode.bits, mode.uid, mode.gid)
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    let docker_gid = ctx.group_id("docker");
    if ctx.docker.is_some() {
        for unit in ["docker.service", "docker.socket"] {
            for dir in [
                "/etc/systemd/system",
                "/lib/systemd/system",
                "/usr/lib/systemd/system",
            ] {
                judge(
                    ctx,
                    out,
                    "BH-HOST-020",
                    &format!("{dir}/{unit}"),
                    0o644,
                    None,
                );
            }
        }
        judge(ctx, out, "BH-HOST-021", "/etc/docker", 0o755, None);
        for socket in ["/var/run/docker.sock", "/run/docker.sock"] {
            if ctx.root.mode(socket).is_some() {
                judge(ctx, out, "BH-HOST-022", socket, 0o660, docker_gid);
                break;
            }
        }
        judge(
            ctx,
            out,
            "BH-HOST-023",
            "/etc/docker/daemon.json",
            0o644,
            None,
        );
        judge(ctx, out, "BH-HOST-023", "/etc/default/docker", 0o644, None);
        if let Some(docker) = &ctx.docker {
            for (setting, allowed) in [("tlscacert", 0o444), ("tlscert", 0o444), ("tlskey", 0o400)]
            {
                let path = docker.value(setting);
                if path.starts_with('/') {
                    judge(ctx, out, "BH-HOST-025", path, allowed, None);
                }
            }
        }
    }
    judge(
        ctx,
        out,
        "BH-HOST-024",
        "/run/containerd/containerd.sock",
        0o660,
        None,
    );
    for dir in [
        "/etc/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
    ] {
        judge(
            ctx,
            out,
            "BH-HOST-020",
            &format!("{dir}/containerd.service"),
            0o644,
            None,
        );
    }
    if let Some(kubelet) = &ctx.kubelet {
        let mut files: Vec<String> = kubelet.unit_files.clone();
        files.extend(kubelet.config_file.clone());
        let kubeconfig = kubelet.settings.value("kubeconfig");
        if kubeconfig.starts_with('/') {
            files.push(kubeconfig.to_string());
        }
        for file in files {
            judge(ctx, out, "BH-HOST-026", &file, 0o600, None);
        }
    }
}
