//! dockerd's daemon settings (CIS Docker Benchmark 1.6, section 2).

use super::{is_true, Check, Finding};
use crate::settings::Settings;
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-001",
        severity: Critical,
        title: "Docker daemon API on TCP without TLS client verification",
        why: "Anyone who reaches the port runs containers as root on this host: a plaintext daemon API is remote root.",
        fix: "Listen on the Unix socket only, or set tlsverify with tlscacert, tlscert and tlskey.",
        benchmark: &["CIS Docker 2.6"],
    },
    Check {
        id: "BH-HOST-002",
        severity: Medium,
        title: "Containers on the default bridge can talk to each other",
        why: "With icc on, every container on docker0 reaches every other one's ports: one compromised container probes the rest.",
        fix: "Set \"icc\": false in daemon.json and link the containers that need each other on user-defined networks.",
        benchmark: &["CIS Docker 2.2"],
    },
    Check {
        id: "BH-HOST-003",
        severity: Medium,
        title: "User namespace remapping is off",
        why: "Root in a container is root on the host: a container escape lands as uid 0.",
        fix: "Set \"userns-remap\": \"default\" (or a dedicated user) in daemon.json.",
        benchmark: &["CIS Docker 2.10"],
    },
    Check {
        id: "BH-HOST-004",
        severity: Medium,
        title: "Containers may gain new privileges by default",
        why: "setuid binaries inside a container can raise privileges unless no-new-privileges is set.",
        fix: "Set \"no-new-privileges\": true in daemon.json.",
        benchmark: &["CIS Docker 2.18"],
    },
    Check {
        id: "BH-HOST-005",
        severity: Low,
        title: "Live restore is off",
        why: "Restarting or upgrading dockerd stops every container; patching the daemon gets postponed.",
        fix: "Set \"live-restore\": true in daemon.json.",
        benchmark: &["CIS Docker 2.15"],
    },
    Check {
        id: "BH-HOST-006",
        severity: Low,
        title: "The userland proxy is on",
        why: "docker-proxy processes forward published ports in user space, a larger attack surface than hairpin NAT.",
        fix: "Set \"userland-proxy\": false in daemon.json.",
        benchmark: &["CIS Docker 2.16"],
    },
    Check {
        id: "BH-HOST-007",
        severity: High,
        title: "Insecure registries are configured",
        why: "Images from these registries are pulled over plaintext HTTP or unverified TLS: anyone on the path can swap them.",
        fix: "Remove insecure-registries and give the registry a certificate the host trusts.",
        benchmark: &["CIS Docker 2.5"],
    },
    Check {
        id: "BH-HOST-008",
        severity: Low,
        title: "No authorization plugin guards the Docker API",
        why: "Every user of the socket may do everything, including starting privileged containers.",
        fix: "Configure an authorization plugin (authorization-plugins) that restricts API calls.",
        benchmark: &["CIS Docker 2.11"],
    },
    Check {
        id: "BH-HOST-009",
        severity: Low,
        title: "Container logs stay on this host",
        why: "Local json-file or local logs are lost with the host and are not available to incident response.",
        fix: "Set log-driver to a remote driver (syslog, journald forwarded, fluentd, …).",
        benchmark: &["CIS Docker 2.12"],
    },
    Check {
        id: "BH-HOST-010",
        severity: Low,
        title: "Experimental features are enabled",
        why: "Experimental daemon features are not meant for production and change without notice.",
        fix: "Remove \"experimental\": true.",
        benchmark: &["CIS Docker 2.17"],
    },
    Check {
        id: "BH-HOST-011",
        severity: Low,
        title: "The daemon log level hides security events",
        why: "Below info, the daemon does not record the API calls an investigation needs; debug logs leak request bodies.",
        fix: "Set \"log-level\": \"info\".",
        benchmark: &["CIS Docker 2.3"],
    },
    Check {
        id: "BH-HOST-012",
        severity: Medium,
        title: "Docker may not manage iptables",
        why: "Without iptables rules, published ports and inter-container traffic are not filtered as configured.",
        fix: "Remove \"iptables\": false.",
        benchmark: &["CIS Docker 2.4"],
    },
    Check {
        id: "BH-HOST-013",
        severity: High,
        title: "The default seccomp profile is disabled",
        why: "Every container runs with all system calls open, including those behind past kernel escapes.",
        fix: "Remove seccomp-profile=unconfined, or point it at a profile at least as strict as Docker's default.",
        benchmark: &["CIS Docker 2.17"],
    },
    Check {
        id: "BH-HOST-014",
        severity: High,
        title: "A registry mirror is reached over plain HTTP",
        why: "Every image pulled through the mirror can be replaced by anyone on the network path.",
        fix: "Use an https:// mirror whose certificate the host trusts.",
        benchmark: &["CIS Docker 2.5"],
    },
    Check {
        id: "BH-HOST-015",
        severity: Medium,
        title: "The aufs storage driver is used",
        why: "aufs is unmaintained, out of the mainline kernel, and has had kernel crashes and escapes.",
        fix: "Use overlay2.",
        benchmark: &["CIS Docker 2.6 (1.6: 2.7)"],
    },
    Check {
        id: "BH-HOST-016",
        severity: Medium,
        title: "SELinux support is off on an SELinux distribution",
        why: "Containers are not labelled container_t: the SELinux policy that confines them on RHEL-family hosts does not apply.",
        fix: "Set \"selinux-enabled\": true in daemon.json.",
        benchmark: &["CIS Docker 2.14", "CIS Docker 5.2"],
    },
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a docker check id")
}

pub fn run(ctx: &Context, out: &mut Vec<super::Finding>) {
    if let Some(s) = &ctx.docker {
        daemon(ctx, s, None, out);
    }
    for (home, s) in &ctx.rootless_docker {
        daemon(ctx, s, Some(home), out);
    }
}

/// The checks of one daemon's settings; a rootless daemon (`home`) already runs in a user
/// namespace, so userns-remap does not apply to it.
fn daemon(ctx: &Context, s: &Settings, home: Option<&str>, out: &mut Vec<super::Finding>) {
    let first = out.len();
    if let Some(hosts) = s.get("hosts") {
        let tls = is_true(s.value("tlsverify"));
        for host in &hosts.values {
            if host.starts_with("tcp://") && !tls {
                let message = format!("dockerd listens on {host} and does not verify TLS clients");
                out.push(Finding::at(
                    check("BH-HOST-001"),
                    "hosts",
                    host,
                    &hosts.source,
                    message,
                ));
            }
        }
    }
    if s.get("authorization-plugins")
        .is_none_or(|p| p.values.is_empty())
    {
        let source = crate::settings::Source::default_value();
        let message = "no authorization plugin is configured".to_string();
        out.push(Finding::at(
            check("BH-HOST-008"),
            "authorization-plugins",
            "",
            &source,
            message,
        ));
    }
    let mut when = |id: &str, name: &str, failed: bool, message: &str| {
        if let (true, Some(setting)) = (failed, s.get(name)) {
            out.push(Finding::setting(
                check(id),
                name,
                setting,
                message.to_string(),
            ));
        }
    };
    when(
        "BH-HOST-002",
        "icc",
        is_true(s.value("icc")),
        "icc is true: containers on the default bridge reach each other",
    );
    when(
        "BH-HOST-003",
        "userns-remap",
        home.is_none() && s.value("userns-remap").is_empty(),
        "userns-remap is not set",
    );
    when(
        "BH-HOST-004",
        "no-new-privileges",
        !is_true(s.value("no-new-privileges")),
        "no-new-privileges is false",
    );
    when(
        "BH-HOST-005",
        "live-restore",
        !is_true(s.value("live-restore")),
        "live-restore is false",
    );
    when(
        "BH-HOST-006",
        "userland-proxy",
        is_true(s.value("userland-proxy")),
        "userland-proxy is true",
    );
    let insecure = s
        .get("insecure-registries")
        .is_some_and(|r| !r.values.is_empty());
    when(
        "BH-HOST-007",
        "insecure-registries",
        insecure,
        "registries are trusted without TLS verification",
    );
    let local_logs = matches!(s.value("log-driver"), "json-file" | "local" | "none");
    when(
        "BH-HOST-009",
        "log-driver",
        local_logs,
        "container logs are kept only on this host",
    );
    when(
        "BH-HOST-010",
        "experimental",
        is_true(s.value("experimental")),
        "experimental is true",
    );
    let level = s.value("log-level");
    let quiet = matches!(level, "warn" | "error" | "fatal" | "debug");
    when("BH-HOST-011", "log-level", quiet, "log-level is not info");
    when(
        "BH-HOST-012",
        "iptables",
        s.value("iptables") == "false",
        "iptables is false",
    );
    let unconfined = s.value("seccomp-profile") == "unconfined";
    when(
        "BH-HOST-013",
        "seccomp-profile",
        unconfined,
        "seccomp-profile is unconfined",
    );
    let plain = s
        .get("registry-mirrors")
        .is_some_and(|m| m.values.iter().any(|v| v.starts_with("http://")));
    when(
        "BH-HOST-014",
        "registry-mirrors",
        plain,
        "a registry mirror is an http:// URL",
    );
    let aufs = s.value("storage-driver") == "aufs";
    when(
        "BH-HOST-015",
        "storage-driver",
        aufs,
        "storage-driver is aufs",
    );
    let selinux_os = ctx.os_family().is_some_and(|f| {
        matches!(
            f,
            "rhel" | "centos" | "fedora" | "almalinux" | "rocky" | "ol"
        )
    });
    let selinux_off = selinux_os && s.value("selinux-enabled") != "true";
    when(
        "BH-HOST-016",
        "selinux-enabled",
        selinux_off,
        "selinux-enabled is false",
    );
    if let Some(home) = home {
        for finding in &mut out[first..] {
            finding.message = format!("rootless dockerd of {home}: {}", finding.message);
        }
    }
}
