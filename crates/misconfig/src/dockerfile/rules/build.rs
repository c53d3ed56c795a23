//! The build as a whole: health checking and what the build context sends in.

use super::{BEST_PRACTICES, CIS_4_6};
use crate::dockerfile::rules::fetch::sources;
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-036",
            Low,
            "The final image has no HEALTHCHECK",
            "Without a health check the engine only knows the process is alive, not that it works; a hung or hijacked service keeps receiving traffic.",
            "Add `HEALTHCHECK CMD <probe>` (or `HEALTHCHECK NONE` to say on purpose that the orchestrator probes it).",
            &[CIS_4_6],
        ),
        run: no_healthcheck,
    },
    Check {
        rule: rule(
            "BH-DF-037",
            Medium,
            "The whole build context is copied without a .dockerignore",
            "`COPY . .` with no .dockerignore sends everything next to the Dockerfile into the image: .git history, .env files, keys, local credentials.",
            "Add a .dockerignore (start from `*` and allow what the image needs) or copy named paths only.",
            &["https://docs.docker.com/build/concepts/context/#dockerignore-files", BEST_PRACTICES],
        ),
        run: copy_everything,
    },
];

fn no_healthcheck(ctx: &Context, rule: &Rule) {
    if ctx
        .final_instructions()
        .iter()
        .any(|i| i.keyword == "HEALTHCHECK")
    {
        return;
    }
    if let Some(from) = ctx.final_from() {
        ctx.report(rule, from, "no HEALTHCHECK in the final stage");
    }
}

fn copy_everything(ctx: &Context, rule: &Rule) {
    if ctx.dockerignore {
        return;
    }
    for copy in ctx.each("COPY").chain(ctx.each("ADD")) {
        if copy.flag("from").is_some() {
            continue;
        }
        if sources(copy)
            .iter()
            .any(|s| matches!(s.as_str(), "." | "./" | "*" | "./*"))
        {
            ctx.report(
                rule,
                copy,
                "the whole build context is copied and no .dockerignore filters it",
            );
        }
    }
}
