//! What the image says it listens on.

use super::NSA_CISA;
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{High, Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-033",
            Medium,
            "Port 22 (SSH) is exposed",
            "An SSH port in a container image means a login service meant to be reachable from outside: more credentials and another daemon to attack.",
            "Remove `EXPOSE 22` and the SSH server; use `docker exec`/`kubectl exec`.",
            &["CIS Docker Benchmark v1.6 5.7: Ensure sshd is not run within containers", NSA_CISA],
        ),
        run: ssh_port,
    },
    Check {
        rule: rule(
            "BH-DF-034",
            High,
            "A Docker daemon port (2375/2376) is exposed",
            "The Docker API on 2375 (plain) or 2376 gives full control of a daemon: whoever reaches it runs privileged containers.",
            "Do not expose the daemon; reach it over its Unix socket with authorization, or not at all.",
            &["CIS Docker Benchmark v1.6 2.6: Ensure TLS authentication for Docker daemon is configured"],
        ),
        run: daemon_port,
    },
    Check {
        rule: rule(
            "BH-DF-035",
            Low,
            "EXPOSE names a port outside 1-65535",
            "An impossible port is a typo that hides which port the service really uses, so firewalls and policies get written for the wrong one.",
            "Fix the port number.",
            &["https://docs.docker.com/reference/dockerfile/#expose"],
        ),
        run: bad_port,
    },
];

/// The ports of an EXPOSE (`80`, `53/udp`, `8000-8010`); a range yields its two ends.
fn ports(args: &str) -> Vec<(String, Option<u64>, Option<u64>)> {
    args.split_whitespace()
        .map(|spec| {
            let number = spec.split('/').next().unwrap_or(spec);
            let (low, high) = number.split_once('-').unwrap_or((number, number));
            (spec.to_string(), low.parse().ok(), high.parse().ok())
        })
        .collect()
}

fn exposes(ctx: &Context, rule: &Rule, wanted: &[u64], what: &str) {
    for expose in ctx.each("EXPOSE") {
        for (spec, low, high) in ports(&expose.args) {
            if let (Some(low), Some(high)) = (low, high) {
                if wanted.iter().any(|p| (low..=high).contains(p)) {
                    ctx.report(rule, expose, format!("EXPOSE {spec}: {what}"));
                }
            }
        }
    }
}

fn ssh_port(ctx: &Context, rule: &Rule) {
    exposes(ctx, rule, &[22], "SSH");
}

fn daemon_port(ctx: &Context, rule: &Rule) {
    exposes(ctx, rule, &[2375, 2376], "the Docker daemon API");
}

fn bad_port(ctx: &Context, rule: &Rule) {
    for expose in ctx.each("EXPOSE") {
        for (spec, low, high) in ports(&expose.args) {
            if spec.contains('$') {
                continue;
            }
            let valid = |p: Option<u64>| p.is_some_and(|p| (1..=65535).contains(&p));
            if !valid(low) || !valid(high) {
                ctx.report(rule, expose, format!("EXPOSE {spec} is not a valid port"));
            }
        }
    }
}
