//! Which base images the stages start from.

use super::CIS_4_2;
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-003",
            Medium,
            "Base image uses the latest tag or no tag",
            "`latest` moves: every build may pull a different image, so a compromised or broken upstream push reaches you silently and builds cannot be reproduced or audited.",
            "Name an explicit version tag, e.g. `FROM debian:12.5-slim`, and preferably its digest.",
            &[CIS_4_2, "https://docs.docker.com/reference/dockerfile/#from"],
        ),
        run: latest,
    },
    Check {
        rule: rule(
            "BH-DF-004",
            Low,
            "Base image is not pinned by digest",
            "A tag is a mutable pointer a registry owner (or an attacker holding their credentials) can move; only a digest names exactly the bytes you reviewed and scanned.",
            "Pin the base: `FROM debian:12.5-slim@sha256:<digest>`, and let a bot (Renovate, Dependabot) update it.",
            &[CIS_4_2, "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions"],
        ),
        run: no_digest,
    },
];

/// External bases: not `scratch`, not an earlier stage, not an unresolved variable.
fn external_bases<'a>(ctx: &Context<'a>) -> Vec<(usize, &'a str)> {
    ctx.df
        .stages
        .iter()
        .enumerate()
        .filter(|(index, stage)| {
            !stage.image.is_empty()
                && !stage.image.eq_ignore_ascii_case("scratch")
                && ctx.df.stage_named(&stage.image, *index).is_none()
        })
        .map(|(_, stage)| (stage.from, stage.image.as_str()))
        .collect()
}

/// The tag of `repo[:tag][@digest]`; the port of a registry host is not a tag.
fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, tag)| tag)
}

fn latest(ctx: &Context, rule: &Rule) {
    for (from, image) in external_bases(ctx) {
        if image.contains('@') {
            continue;
        }
        let message = match tag(image) {
            None => format!("{image} has no tag, so it means latest"),
            Some("latest") => format!("{image} uses the latest tag"),
            Some(_) => continue,
        };
        let at = &ctx.df.instructions[from];
        ctx.report(rule, at, message);
    }
}

fn no_digest(ctx: &Context, rule: &Rule) {
    for (from, image) in external_bases(ctx) {
        if !image.contains("@sha256:") {
            let at = &ctx.df.instructions[from];
            let message = format!("{image} is not pinned by a sha256 digest");
            ctx.report(rule, at, message);
        }
    }
}
