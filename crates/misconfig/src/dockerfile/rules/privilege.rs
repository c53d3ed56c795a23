//! Privilege during the build and in the files it leaves behind.

use super::{CIS_4_8, NSA_CISA};
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{High, Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-011",
            Medium,
            "RUN uses sudo",
            "RUN already runs as the current USER; sudo in an image means sudo is installed and configured, which lets a compromised process escalate to root at run time.",
            "Run the step before switching USER (or switch back with `USER root` for it) and remove sudo from the image.",
            &[NSA_CISA],
        ),
        run: sudo,
    },
    Check {
        rule: rule(
            "BH-DF-012",
            Medium,
            "Files are made world-writable",
            "World-writable files and directories (chmod 777, o+w) let any process or user in the container replace binaries, scripts or configuration that others execute or trust.",
            "Give ownership to the user that needs it (`COPY --chown=app`, `chown`) and use 755/644 or tighter.",
            &[NSA_CISA],
        ),
        run: world_writable,
    },
    Check {
        rule: rule(
            "BH-DF-013",
            Medium,
            "A setuid or setgid bit is set",
            "setuid/setgid executables run with their owner's privileges; each one is a path for an unprivileged process in the container to become root.",
            "Do not add setuid/setgid bits; grant the specific capability the program needs at run time instead.",
            &[CIS_4_8],
        ),
        run: setuid,
    },
    Check {
        rule: rule(
            "BH-DF-014",
            High,
            "RUN asks for insecure privileges (--security=insecure, docker --privileged)",
            "`RUN --security=insecure` runs the step with all capabilities and no seccomp/AppArmor, and a nested `docker run --privileged` gets the builder host's devices: a malicious dependency fetched by the build owns the build machine.",
            "Remove the option; do the privileged work outside the image build.",
            &["https://docs.docker.com/reference/dockerfile/#run---security", NSA_CISA],
        ),
        run: insecure_run,
    },
    Check {
        rule: rule(
            "BH-DF-015",
            Low,
            "RUN uses the host's network (--network=host)",
            "A build step on the host network reaches services bound to the build host's localhost (cloud metadata, registries, databases) that the build should not see.",
            "Drop `--network=host`; use the default network, or `--network=none` for steps that need no network.",
            &["https://docs.docker.com/reference/dockerfile/#run---network"],
        ),
        run: host_network,
    },
    Check {
        rule: rule(
            "BH-DF-016",
            High,
            "The Docker socket is used or exposed",
            "Access to /var/run/docker.sock is root on the host: whoever can talk to the daemon can start a privileged container mounting /.",
            "Do not mount or declare the Docker socket; use a rootless builder or a scoped API proxy.",
            &["CIS Docker Benchmark v1.6 5.32: Ensure that the Docker socket is not mounted inside any containers", NSA_CISA],
        ),
        run: docker_socket,
    },
];

fn sudo(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if commands
            .iter()
            .any(|c| c.words.first().is_some_and(|w| w == "sudo"))
        {
            ctx.report(rule, run, "sudo in RUN");
        }
    }
}

/// An octal mode's digits, e.g. `0777` → 0o777.
fn octal(mode: &str) -> Option<u32> {
    (mode.len() >= 3 && mode.len() <= 5 && mode.chars().all(|c| c.is_ascii_digit() && c < '8'))
        .then(|| u32::from_str_radix(mode, 8).ok())
        .flatten()
}

/// Modes (octal or symbolic) of `chmod` commands.
fn chmod_modes(commands: &[crate::dockerfile::shell::Command]) -> Vec<&str> {
    commands
        .iter()
        .filter(|c| c.name() == Some("chmod"))
        .filter_map(|c| {
            c.args_from_program()
                .iter()
                .skip(1)
                .find(|w| !w.starts_with('-'))
        })
        .map(String::as_str)
        .collect()
}

fn world_writable_mode(mode: &str) -> bool {
    match octal(mode) {
        // The sticky bit (1777, as /tmp) keeps others from replacing files.
        Some(bits) => bits & 0o002 != 0 && bits & 0o1000 == 0,
        None => mode.split(',').any(|clause| {
            let (who, perms) = clause.split_once(['+', '=']).unwrap_or(("", ""));
            (who.contains('o') || who.contains('a')) && perms.contains('w')
        }),
    }
}

fn world_writable(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if let Some(mode) = chmod_modes(commands)
            .into_iter()
            .find(|m| world_writable_mode(m))
        {
            ctx.report_shipped(
                rule,
                run,
                format!("chmod {mode} makes files writable by everyone"),
            );
        }
    }
    for copy in ctx.each("COPY").chain(ctx.each("ADD")) {
        if let Some(mode) = copy.flag("chmod").filter(|m| world_writable_mode(m)) {
            ctx.report_shipped(
                rule,
                copy,
                format!("--chmod={mode} makes files writable by everyone"),
            );
        }
    }
}

fn setuid_mode(mode: &str) -> bool {
    match octal(mode) {
        Some(bits) => bits & 0o6000 != 0,
        None => mode.split(',').any(|clause| {
            clause
                .split_once(['+', '='])
                .is_some_and(|(_, p)| p.contains('s'))
        }),
    }
}

fn setuid(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if let Some(mode) = chmod_modes(commands).into_iter().find(|m| setuid_mode(m)) {
            ctx.report_shipped(rule, run, format!("chmod {mode} sets a setuid/setgid bit"));
        }
    }
    for copy in ctx.each("COPY").chain(ctx.each("ADD")) {
        if let Some(mode) = copy.flag("chmod").filter(|m| setuid_mode(m)) {
            ctx.report_shipped(
                rule,
                copy,
                format!("--chmod={mode} sets a setuid/setgid bit"),
            );
        }
    }
}

fn insecure_run(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if run.flag("security") == Some("insecure") {
            ctx.report(rule, run, "RUN --security=insecure");
        } else if commands
            .iter()
            .any(|c| matches!(c.name(), Some("docker" | "podman")) && c.has("--privileged"))
        {
            ctx.report(
                rule,
                run,
                "a privileged container is started during the build",
            );
        }
    }
}

fn host_network(ctx: &Context, rule: &Rule) {
    for (run, _) in &ctx.runs {
        if run.flag("network") == Some("host") {
            ctx.report(rule, run, "RUN --network=host");
        }
    }
}

fn docker_socket(ctx: &Context, rule: &Rule) {
    const SOCKET: &str = "docker.sock";
    for (run, _) in &ctx.runs {
        let mounted = run.flags.iter().any(|(name, value)| {
            name == "mount" && value.as_deref().is_some_and(|v| v.contains(SOCKET))
        });
        if mounted || run.script().contains(SOCKET) {
            ctx.report(rule, run, "the build step reaches the Docker socket");
        }
    }
    for volume in ctx.each("VOLUME") {
        if volume.args.contains(SOCKET) {
            ctx.report(rule, volume, "VOLUME declares the Docker socket");
        }
    }
}
