//! Who may drive the daemon, and whether the kernel audit system watches the runtime's files
//! (CIS Docker Benchmark 1.6, section 1.1): rules from `/etc/audit/audit.rules` and
//! `/etc/audit/rules.d/*.rules`.

use super::{Check, Finding};
use crate::settings::Source;
use crate::Context;
use inventory::Severity::*;

const fn audit(id: &'static str, title: &'static str, cis: &'static [&'static str]) -> Check {
    Check {
        id,
        severity: Low,
        title,
        why: "Without an audit rule, changes to the container runtime's binaries, configuration and state leave no trace for an investigation.",
        fix: "Add a watch rule, e.g. `-w PATH -k docker` in /etc/audit/rules.d/docker.rules, and reload auditd.",
        benchmark: cis,
    }
}

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-030",
        severity: Medium,
        title: "Users in the docker group",
        why: "Membership in the docker group is root on the host without a password: the socket starts privileged containers.",
        fix: "Remove users who do not administer the host from the docker group; use rootless Docker or sudo with audit for the others.",
        benchmark: &["CIS Docker 1.1.2"],
    },
    audit("BH-HOST-031", "dockerd is not audited", &["CIS Docker 1.1.3"]),
    audit("BH-HOST-032", "/run/containerd is not audited", &["CIS Docker 1.1.4"]),
    audit("BH-HOST-033", "/var/lib/docker is not audited", &["CIS Docker 1.1.5"]),
    audit("BH-HOST-034", "/etc/docker is not audited", &["CIS Docker 1.1.6"]),
    audit("BH-HOST-035", "docker.service is not audited", &["CIS Docker 1.1.7"]),
    audit("BH-HOST-036", "containerd.sock is not audited", &["CIS Docker 1.1.8"]),
    audit("BH-HOST-037", "docker.socket is not audited", &["CIS Docker 1.1.9"]),
    audit("BH-HOST-038", "/etc/default/docker is not audited", &["CIS Docker 1.1.10"]),
    audit("BH-HOST-039", "/etc/docker/daemon.json is not audited", &["CIS Docker 1.1.11"]),
    audit("BH-HOST-070", "/etc/containerd/config.toml is not audited", &["CIS Docker 1.1.12"]),
    audit("BH-HOST-071", "/etc/sysconfig/docker is not audited", &["CIS Docker 1.1.13"]),
    audit("BH-HOST-072", "containerd is not audited", &["CIS Docker 1.1.14"]),
    audit("BH-HOST-073", "containerd-shim-runc-v2 is not audited", &["CIS Docker 1.1.15"]),
    audit("BH-HOST-074", "runc is not audited", &["CIS Docker 1.1.16"]),
];

/// (check, the paths it watches — any one audited passes, the first existing one is named)
const WATCHED: &[(&str, &[&str])] = &[
    ("BH-HOST-031", &["/usr/bin/dockerd", "/usr/sbin/dockerd"]),
    ("BH-HOST-032", &["/run/containerd"]),
    ("BH-HOST-033", &["/var/lib/docker"]),
    ("BH-HOST-034", &["/etc/docker"]),
    (
        "BH-HOST-035",
        &[
            "/lib/systemd/system/docker.service",
            "/usr/lib/systemd/system/docker.service",
            "/etc/systemd/system/docker.service",
        ],
    ),
    ("BH-HOST-036", &["/run/containerd/containerd.sock"]),
    (
        "BH-HOST-037",
        &[
            "/lib/systemd/system/docker.socket",
            "/usr/lib/systemd/system/docker.socket",
            "/etc/systemd/system/docker.socket",
        ],
    ),
    ("BH-HOST-038", &["/etc/default/docker"]),
    ("BH-HOST-039", &["/etc/docker/daemon.json"]),
    ("BH-HOST-070", &["/etc/containerd/config.toml"]),
    ("BH-HOST-071", &["/etc/sysconfig/docker"]),
    (
        "BH-HOST-072",
        &["/usr/bin/containerd", "/usr/local/bin/containerd"],
    ),
    (
        "BH-HOST-073",
        &[
            "/usr/bin/containerd-shim-runc-v2",
            "/usr/local/bin/containerd-shim-runc-v2",
        ],
    ),
    (
        "BH-HOST-074",
        &[
            "/usr/bin/runc",
            "/usr/sbin/runc",
            "/usr/local/bin/runc",
            "/usr/local/sbin/runc",
        ],
    ),
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("an audit check id")
}

/// The paths audit rules watch: `-w PATH …` and `-F path=PATH` / `-F dir=PATH`.
fn watched(ctx: &Context) -> Vec<String> {
    let mut files = vec!["/etc/audit/audit.rules".to_string()];
    files.extend(
        ctx.root
            .list("/etc/audit/rules.d")
            .into_iter()
            .filter(|n| n.ends_with(".rules"))
            .map(|n| format!("/etc/audit/rules.d/{n}")),
    );
    let mut out = Vec::new();
    for file in files {
        let Some(text) = ctx.root.read(&file) else {
            continue;
        };
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let words: Vec<&str> = line.split_whitespace().collect();
            for pair in words.windows(2) {
                match pair {
                    ["-w", path] => out.push(path.trim_end_matches('/').to_string()),
                    ["-F", field] => {
                        if let Some(path) = field
                            .strip_prefix("path=")
                            .or_else(|| field.strip_prefix("dir="))
                        {
                            out.push(path.trim_end_matches('/').to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    if ctx.docker.is_none() {
        return;
    }
    if let Some(text) = ctx.root.read("/etc/group") {
        for (i, line) in text.lines().enumerate() {
            let mut fields = line.split(':');
            if fields.next() != Some("docker") {
                continue;
            }
            let members = fields.nth(2).unwrap_or_default().trim();
            if !members.is_empty() {
                let source = Source::file("/etc/group", Some(i + 1));
                let message =
                    format!("the docker group holds {members}: each is root on this host");
                out.push(Finding::at(
                    check("BH-HOST-030"),
                    "docker group",
                    members,
                    &source,
                    message,
                ));
            }
        }
    }
    let rules = watched(ctx);
    let audited = |path: &str| rules.iter().any(|r| r == path);
    for (id, paths) in WATCHED {
        let present: Vec<&&str> = paths.iter().filter(|p| ctx.root.exists(p)).collect();
        let Some(first) = present.first() else {
            continue;
        };
        if !present.iter().any(|p| audited(p)) {
            let source = Source::file("/etc/audit/rules.d", None);
            let message = format!("no audit rule watches {first}");
            out.push(Finding::at(
                check(id),
                "audit rule",
                first,
                &source,
                message,
            ));
        }
    }
}
