//! Who the container runs as.

use super::{BEST_PRACTICES, CIS_4_1, NSA_CISA};
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{High, Low};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-001",
            High,
            "The final stage sets no USER: the container runs as root",
            "Without USER the process runs as UID 0. A compromise of the application is then root inside the container, one kernel or runtime bug away from root on the host, and it can rewrite any file of the image.",
            "Create an unprivileged user and switch to it at the end of the final stage: `RUN useradd -r -u 10001 app` then `USER 10001`.",
            &[CIS_4_1, NSA_CISA, BEST_PRACTICES],
        ),
        run: no_user,
    },
    Check {
        rule: rule(
            "BH-DF-002",
            High,
            "The last USER of the final stage is root",
            "Switching to root for a step is fine, but the last USER decides who the container runs as; leaving it at root gives the application full control of the container.",
            "End the final stage with `USER <non-root name or UID>`.",
            &[CIS_4_1, NSA_CISA],
        ),
        run: user_root,
    },
    Check {
        rule: rule(
            "BH-DF-040",
            Low,
            "The final USER is a name, not a numeric UID",
            "Kubernetes `runAsNonRoot` can only verify a numeric UID; with a user name the kubelet refuses the pod or, without that setting, cannot tell whether the name maps to root inside the image.",
            "Use the numeric UID (and GID): `USER 10001:10001`.",
            &[CIS_4_1, "Kubernetes Pod Security Standards (restricted): Running as Non-root"],
        ),
        run: user_by_name,
    },
];

fn last_user<'a>(ctx: &Context<'a>) -> Option<&'a crate::dockerfile::Instruction> {
    ctx.final_instructions()
        .into_iter()
        .find(|i| i.keyword == "USER")
}

fn no_user(ctx: &Context, rule: &Rule) {
    if last_user(ctx).is_some() {
        return;
    }
    let Some(from) = ctx.final_from() else { return };
    // Bases built to run unprivileged (distroless `:nonroot`, `-rootless`) set USER themselves.
    let base = ctx.df.stages.last().map_or("", |s| s.image.as_str());
    if base.contains("nonroot") || base.contains("rootless") {
        return;
    }
    ctx.report(rule, from, "no USER instruction in the final stage");
}

fn user_root(ctx: &Context, rule: &Rule) {
    let Some(user) = last_user(ctx) else { return };
    let name = user.args.split(':').next().unwrap_or("").trim();
    if name == "root" || name == "0" {
        ctx.report(
            rule,
            user,
            format!("USER {name} is the last USER of the final stage"),
        );
    }
}

fn user_by_name(ctx: &Context, rule: &Rule) {
    let Some(user) = last_user(ctx) else { return };
    let name = user.args.split(':').next().unwrap_or("").trim();
    let numeric = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit());
    // root is BH-DF-002's; variables are resolved only at build time.
    if !numeric && name != "root" && !name.contains('$') {
        ctx.report(rule, user, format!("USER {name} is not numeric"));
    }
}
