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
    Check {
        rule: rule(
            "BH-DF-039",
            Low,
            "A RUN pipeline can fail silently (no pipefail)",
            "`/bin/sh -c` reports only the last command of a pipe: a failed or truncated download in `curl … | tar x` or `wget -O- … | sh` lets the build succeed with a broken or partial result.",
            "Use `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN, or start the script with `set -o pipefail`.",
            &["https://docs.docker.com/build/building/best-practices/#using-pipes"],
        ),
        run: no_pipefail,
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

fn no_pipefail(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if run.json.is_some() || !commands.iter().any(|c| c.piped) {
            continue;
        }
        let script = run.script();
        // The stage's last SHELL before this RUN decides the shell; pipefail is a POSIX
        // shell's option: PowerShell and cmd have no such thing.
        let shell = ctx
            .df
            .stage_instructions(run.stage.unwrap_or(0))
            .filter(|i| i.keyword == "SHELL" && i.line < run.line)
            .last();
        let shell_pipefail = shell.is_some_and(|shell| shell.args.contains("pipefail"));
        let posix = shell.is_none_or(|shell| {
            let args = shell.args.to_ascii_lowercase();
            !["powershell", "pwsh", "cmd"]
                .iter()
                .any(|s| args.contains(s))
        });
        if posix && !shell_pipefail && !script.contains("pipefail") {
            ctx.report(
                rule,
                run,
                "a pipe without pipefail hides failures of its first commands",
            );
        }
    }
}
