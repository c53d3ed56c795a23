//! Debian and Ubuntu packages: apt-get.

use super::{invocation, mentions, package_args, CIS_4_3, CIS_4_7};
use crate::dockerfile::{rule, Check, Context, Instruction};
use crate::rule::Rule;
use inventory::Severity::Low;

const HADOLINT: &str = "https://github.com/hadolint/hadolint/wiki";

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-021",
            Low,
            "apt-get install without -y",
            "Without -y apt-get waits for a confirmation the build cannot give; builds fail or hang, which pushes people to unreviewed workarounds.",
            "Use `apt-get install -y --no-install-recommends …`.",
            &[HADOLINT],
        ),
        run: no_yes,
    },
    Check {
        rule: rule(
            "BH-DF-022",
            Low,
            "apt-get install without --no-install-recommends",
            "Recommended packages are installed too, adding software (and vulnerabilities, and attack surface) nothing asked for.",
            "Add `--no-install-recommends` and list what you need explicitly.",
            &[CIS_4_3],
        ),
        run: recommends,
    },
    Check {
        rule: rule(
            "BH-DF-023",
            Low,
            "apt lists are left in the image",
            "/var/lib/apt/lists left in a layer bloats the image and freezes a stale package index into it; later installs from it can pick outdated, vulnerable versions.",
            "End the same RUN with `rm -rf /var/lib/apt/lists/*` (or use a cache mount for /var/lib/apt).",
            &[CIS_4_7, "https://docs.docker.com/build/building/best-practices/#apt-get"],
        ),
        run: lists_left,
    },
    Check {
        rule: rule(
            "BH-DF-024",
            Low,
            "apt-get install without pinned versions",
            "Unpinned packages change from build to build, so a rebuild can silently pull a different (or compromised) version that was never reviewed.",
            "Pin versions: `apt-get install -y curl=7.88.1-10+deb12u5`.",
            &[super::CIS_4_11, HADOLINT],
        ),
        run: unpinned,
    },
    Check {
        rule: rule(
            "BH-DF-025",
            Low,
            "apt-get upgrade in the Dockerfile",
            "Upgrading inside the image makes its content depend on the build day and hides that the base image is outdated; rebuild on a fresh base instead.",
            "Use an up-to-date base image tag and install only the packages you need.",
            &[CIS_4_7],
        ),
        run: upgrade,
    },
    Check {
        rule: rule(
            "BH-DF-038",
            Low,
            "The package index is updated in a RUN of its own",
            "A layer with only `apt-get update` (or `apk update`) is cached; later installs reuse its stale index and install outdated packages, missing security fixes.",
            "Update and install in the same RUN: `apt-get update && apt-get install -y … && rm -rf /var/lib/apt/lists/*`.",
            &[CIS_4_7],
        ),
        run: update_alone,
    },
];

/// Each `apt-get install` with its RUN and its words.
fn installs<'c>(ctx: &'c Context) -> Vec<(&'c Instruction, &'c [String])> {
    let mut out = Vec::new();
    for (run, commands) in &ctx.runs {
        for cmd in commands {
            if let Some((_, "install", _)) = invocation(cmd, &["apt-get", "apt"]) {
                out.push((*run, cmd.args_from_program()));
            }
        }
    }
    out
}

fn no_yes(ctx: &Context, rule: &Rule) {
    for (run, args) in installs(ctx) {
        let yes = args.iter().any(|w| {
            matches!(
                w.as_str(),
                "--yes" | "--assume-yes" | "-qq" | "-q=2" | "--quiet=2"
            ) || (w.starts_with('-') && !w.starts_with("--") && w.contains('y'))
        });
        if !yes {
            ctx.report(rule, run, "apt-get install waits for a confirmation");
        }
    }
}

fn recommends(ctx: &Context, rule: &Rule) {
    for (run, args) in installs(ctx) {
        let off = args.iter().any(|w| {
            w == "--no-install-recommends"
                || w.contains("Install-Recommends=false")
                || w.contains("Install-Recommends=0")
        });
        if !off {
            ctx.report_shipped(rule, run, "recommended packages are installed too");
        }
    }
}

fn lists_left(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        let uses_apt = commands.iter().any(|c| {
            matches!(
                invocation(c, &["apt-get", "apt"]),
                Some((_, "install" | "update", _))
            )
        });
        let cached = run
            .flags
            .iter()
            .any(|(n, v)| n == "mount" && v.as_deref().is_some_and(|v| v.contains("/var/lib/apt")));
        // `apt-get dist-clean` (apt 2.7, Debian 13) removes the lists too.
        let cleaned = mentions(commands, "/var/lib/apt/lists")
            || commands
                .iter()
                .any(|c| matches!(invocation(c, &["apt-get"]), Some((_, "dist-clean", _))));
        if uses_apt && !cached && !cleaned {
            ctx.report_shipped(rule, run, "the apt package lists stay in this layer");
        }
    }
}

fn unpinned(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        for cmd in commands {
            let Some((_, "install", rest)) = invocation(cmd, &["apt-get", "apt"]) else {
                continue;
            };
            let loose: Vec<&str> = package_args(rest)
                .into_iter()
                .filter(|p| !p.contains('=') && !p.ends_with(".deb") && !p.starts_with('$'))
                .collect();
            if !loose.is_empty() {
                ctx.report(rule, run, format!("unpinned: {}", loose.join(", ")));
            }
        }
    }
}

fn upgrade(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if commands.iter().any(|c| {
            matches!(
                invocation(c, &["apt-get", "apt", "aptitude"]),
                Some((_, "upgrade" | "dist-upgrade" | "full-upgrade", _))
            )
        }) {
            ctx.report(rule, run, "the image is upgraded in place");
        }
    }
}

fn update_alone(ctx: &Context, rule: &Rule) {
    const MANAGERS: &[&str] = &["apt-get", "apt", "apk", "yum", "dnf"];
    for (run, commands) in &ctx.runs {
        let verbs: Vec<&str> = commands
            .iter()
            .filter_map(|c| invocation(c, MANAGERS).map(|(_, sub, _)| sub))
            .collect();
        let updates = verbs.iter().any(|v| matches!(*v, "update" | "makecache"));
        let installs = verbs.iter().any(|v| {
            matches!(
                *v,
                "install" | "add" | "upgrade" | "dist-upgrade" | "full-upgrade"
            )
        });
        if updates && !installs {
            ctx.report(
                rule,
                run,
                "the index update is cached apart from any install",
            );
        }
    }
}
