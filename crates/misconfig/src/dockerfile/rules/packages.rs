//! Other package managers (apk, yum/dnf, pip) and what any of them installs.

use super::{invocation, mentions, package_args, CIS_4_11, CIS_4_3, CIS_4_7};
use crate::dockerfile::shell::Command;
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{High, Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-026",
            Low,
            "apk add without --no-cache",
            "The apk index and downloaded packages stay in the layer: a bigger image with a stale index that later installs may trust.",
            "Use `apk add --no-cache …`.",
            &[CIS_4_7],
        ),
        run: apk_cache,
    },
    Check {
        rule: rule(
            "BH-DF-027",
            Low,
            "apk add without pinned versions",
            "Unpinned packages change from build to build; a rebuild can pull a version nobody reviewed.",
            "Pin versions: `apk add --no-cache curl=8.5.0-r0` (or `~8.5`).",
            &[CIS_4_11],
        ),
        run: apk_unpinned,
    },
    Check {
        rule: rule(
            "BH-DF-028",
            Low,
            "yum/dnf install without cleaning the cache",
            "The package cache and metadata stay in the layer, adding size and stale repository data.",
            "End the same RUN with `yum clean all` / `dnf clean all` (and `rm -rf /var/cache/yum`).",
            &[CIS_4_7],
        ),
        run: yum_clean,
    },
    Check {
        rule: rule(
            "BH-DF-029",
            Low,
            "yum/dnf install without pinned versions",
            "Unpinned packages change from build to build; a rebuild can pull a version nobody reviewed.",
            "Pin versions: `dnf install -y httpd-2.4.57`.",
            &[CIS_4_11],
        ),
        run: yum_unpinned,
    },
    Check {
        rule: rule(
            "BH-DF-030",
            Low,
            "pip install keeps its cache",
            "pip's download cache stays in the layer (often tens of MB), with wheels nobody audits.",
            "Use `pip install --no-cache-dir …` or set `ENV PIP_NO_CACHE_DIR=1`.",
            &[CIS_4_7],
        ),
        run: pip_cache,
    },
    Check {
        rule: rule(
            "BH-DF-031",
            High,
            "Package signature or repository verification is disabled",
            "--allow-unauthenticated, --allow-untrusted, --nogpgcheck, --trusted-host make the package manager install whatever a mirror or a network attacker serves.",
            "Remove the option and import the repository's signing key instead.",
            &[CIS_4_11],
        ),
        run: unsigned,
    },
    Check {
        rule: rule(
            "BH-DF-032",
            Medium,
            "An SSH server is installed",
            "An SSH daemon in a container is an extra remote login surface with its own keys and passwords to leak; containers are entered with `docker exec`/`kubectl exec`.",
            "Do not install openssh-server/dropbear; use exec for debugging.",
            &[CIS_4_3, "CIS Docker Benchmark v1.6 5.7: Ensure sshd is not run within containers"],
        ),
        run: ssh_server,
    },
];

const YUM: &[&str] = &["yum", "dnf", "microdnf", "tdnf"];
const PIP: &[&str] = &["pip", "pip3"];

fn each_install<'c>(
    ctx: &'c Context,
    managers: &[&str],
    verb: &str,
) -> Vec<(
    &'c crate::dockerfile::Instruction,
    &'c Command,
    &'c [Command],
)> {
    let mut out = Vec::new();
    for (run, commands) in &ctx.runs {
        for cmd in commands {
            if invocation(cmd, managers).is_some_and(|(_, sub, _)| sub == verb) {
                out.push((*run, cmd, commands.as_slice()));
            }
        }
    }
    out
}

fn apk_cache(ctx: &Context, rule: &Rule) {
    for (run, cmd, commands) in each_install(ctx, &["apk"], "add") {
        let cached = run.flags.iter().any(|(n, v)| {
            n == "mount" && v.as_deref().is_some_and(|v| v.contains("/var/cache/apk"))
        });
        if !cmd.has("--no-cache") && !cached && !mentions(commands, "/var/cache/apk") {
            ctx.report_shipped(rule, run, "apk keeps its cache in the layer");
        }
    }
}

fn apk_unpinned(ctx: &Context, rule: &Rule) {
    for (run, cmd, _) in each_install(ctx, &["apk"], "add") {
        let Some((_, _, rest)) = invocation(cmd, &["apk"]) else {
            continue;
        };
        let loose: Vec<&str> = package_args(rest)
            .into_iter()
            .filter(|p| {
                !p.contains(['=', '<', '>', '~']) && !p.ends_with(".apk") && !p.starts_with('$')
            })
            .collect();
        if !loose.is_empty() {
            ctx.report(rule, run, format!("unpinned: {}", loose.join(", ")));
        }
    }
}

fn yum_clean(ctx: &Context, rule: &Rule) {
    for (run, _, commands) in each_install(ctx, YUM, "install") {
        let cleaned = commands.iter().any(|c| {
            invocation(c, YUM)
                .is_some_and(|(_, sub, rest)| sub == "clean" && rest.iter().any(|w| w == "all"))
        }) || mentions(commands, "/var/cache/yum")
            || mentions(commands, "/var/cache/dnf");
        if !cleaned {
            ctx.report_shipped(rule, run, "the yum/dnf cache stays in the layer");
        }
    }
}

/// `name-1.2.3` (or `name-1.2.3-4.el9`): a dash followed by a digit.
fn rpm_pinned(spec: &str) -> bool {
    spec.ends_with(".rpm")
        || spec.starts_with('$')
        || spec.contains(['=', '<', '>'])
        || spec
            .match_indices('-')
            .any(|(at, _)| spec[at + 1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn yum_unpinned(ctx: &Context, rule: &Rule) {
    for (run, cmd, _) in each_install(ctx, YUM, "install") {
        let Some((_, _, rest)) = invocation(cmd, YUM) else {
            continue;
        };
        let loose: Vec<&str> = package_args(rest)
            .into_iter()
            .filter(|p| !rpm_pinned(p))
            .collect();
        if !loose.is_empty() {
            ctx.report(rule, run, format!("unpinned: {}", loose.join(", ")));
        }
    }
}

fn pip_cache(ctx: &Context, rule: &Rule) {
    let env_off = ctx.each("ENV").any(|e| e.args.contains("PIP_NO_CACHE_DIR"));
    for (run, cmd, _) in each_install(ctx, PIP, "install") {
        let cached = run
            .flags
            .iter()
            .any(|(n, v)| n == "mount" && v.as_deref().is_some_and(|v| v.contains("type=cache")));
        if !env_off && !cached && !cmd.has("--no-cache-dir") {
            ctx.report_shipped(rule, run, "pip keeps its download cache in the layer");
        }
    }
}

fn unsigned(ctx: &Context, rule: &Rule) {
    const OPTIONS: &[&str] = &[
        "--allow-unauthenticated",
        "--allow-insecure-repositories",
        "--force-yes",
        "--allow-untrusted",
        "--nogpgcheck",
        "--no-gpg-checks",
        "--trusted-host",
        "--nosignature",
        "--nodigest",
    ];
    for (run, commands) in &ctx.runs {
        let found = commands.iter().flat_map(|c| &c.words).find(|w| {
            OPTIONS.iter().any(|o| w.starts_with(o))
                || w.contains("AllowUnauthenticated=true")
                || w.contains("AllowInsecureRepositories=true")
                || w.contains("[trusted=yes]")
                || w.contains("gpgcheck=0")
        });
        if let Some(option) = found {
            ctx.report(
                rule,
                run,
                format!("{option} turns off package verification"),
            );
        }
    }
}

fn ssh_server(ctx: &Context, rule: &Rule) {
    const SERVERS: &[&str] = &["openssh-server", "dropbear", "openssh"];
    for (run, commands) in &ctx.runs {
        let installed = commands.iter().find_map(|c| {
            let (_, sub, rest) = invocation(
                c,
                &["apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper"],
            )?;
            if !matches!(sub, "install" | "add") {
                return None;
            }
            package_args(rest).into_iter().find(|p| {
                let name = p.split(['=', '<', '>', '~']).next().unwrap_or(p);
                SERVERS.contains(&name)
            })
        });
        if let Some(package) = installed {
            ctx.report_shipped(rule, run, format!("{package} is installed"));
        }
    }
}
