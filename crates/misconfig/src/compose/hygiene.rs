//! Secrets in the file, image pinning and resource limits.

use inventory::Severity::{High, Low, Medium};

use super::{rule, Out, Service};
use crate::k8s::images::image_pins;
use crate::rule::Rule;
use crate::secret_values::{is_literal_secret, secret_name, url_with_credentials};
use crate::yaml::{Node, Pos};

pub const SECRET_LITERAL: Rule = rule(
    "BH-DC-018",
    High,
    "Plaintext secret in environment or build args",
    "Passwords and tokens written into the compose file are readable by everyone with the repository, and by anyone who can `docker inspect` the container or image.",
    "Use compose `secrets:` (mounted files), an env_file kept out of version control, or `${VAR}` interpolation.",
    &["CIS Docker Benchmark 4.10"],
);
pub const LATEST_TAG: Rule = rule(
    "BH-DC-019",
    Medium,
    "Image uses :latest or no tag",
    "A moving tag changes the code that runs without a change to the file; a poisoned push is picked up on the next pull.",
    "Pin a version tag, better a digest.",
    &["CIS Docker Benchmark 5.27"],
);
pub const NO_DIGEST: Rule = rule(
    "BH-DC-020",
    Low,
    "Image not pinned by digest",
    "Tags can be moved; only a digest guarantees the reviewed image is the one that runs.",
    "Reference the image as `name@sha256:<digest>`.",
    &["CIS Docker Benchmark 4.2"],
);
pub const MEMORY_LIMIT: Rule = rule(
    "BH-DC-023",
    Low,
    "No memory limit",
    "A service without a memory limit can exhaust the host's memory and get other containers OOM-killed.",
    "Set `mem_limit` or `deploy.resources.limits.memory`.",
    &["CIS Docker Benchmark 5.10"],
);
pub const PIDS_LIMIT: Rule = rule(
    "BH-DC-024",
    Low,
    "No PIDs limit",
    "Without a PIDs limit a fork bomb in the container exhausts the host's process table.",
    "Set `pids_limit` or `deploy.resources.limits.pids`.",
    &["CIS Docker Benchmark 5.29"],
);

/// `environment`/`args` as (name, value, position) in both map and `KEY=value` list forms.
fn variables(node: Option<&Node>) -> Vec<(&str, &str, Pos)> {
    let Some(node) = node else { return Vec::new() };
    let from_map = node.entries().iter().map(|e| {
        (
            e.key.as_str(),
            e.value.as_str().unwrap_or_default(),
            e.key_pos,
        )
    });
    let from_list = node.items().iter().filter_map(|item| {
        let (name, value) = item.as_str()?.split_once('=')?;
        Some((name.trim(), value, item.pos))
    });
    from_map.chain(from_list).collect()
}

fn limit(s: &Service, key: &str, resource: &str) -> bool {
    s.node.get(key).is_some()
        || s.node
            .path(&["deploy", "resources", "limits", resource])
            .is_some()
}

pub(crate) fn check(s: &Service, out: &mut Out) {
    let build_args = s.node.get("build").and_then(|b| b.get("args"));
    for (source, vars) in [
        ("environment", variables(s.node.get("environment"))),
        ("build arg", variables(build_args)),
    ] {
        for (name, value, at) in vars {
            if (secret_name(name) && is_literal_secret(value)) || url_with_credentials(value) {
                out.report(
                    &SECRET_LITERAL,
                    s,
                    at,
                    format!("{source} {name:?} holds a literal value"),
                );
            }
        }
    }
    // With `build:`, compose builds the image here and `image:` only names the result: there is
    // nothing to pull, so nothing to pin.
    let built = s.node.get("build").is_some();
    if let Some(e) = s.node.entry("image").filter(|_| !built) {
        let image = e.value.as_str().unwrap_or_default();
        let (tag, digest) = image_pins(image);
        if !digest {
            if matches!(tag, None | Some("latest")) {
                out.report(
                    &LATEST_TAG,
                    s,
                    e.key_pos,
                    format!("image {image:?} has no fixed tag"),
                );
            }
            out.report(
                &NO_DIGEST,
                s,
                e.key_pos,
                format!("image {image:?} is not pinned by digest"),
            );
        }
    }
    if !limit(s, "mem_limit", "memory") {
        out.report(&MEMORY_LIMIT, s, s.pos, "no memory limit".into());
    }
    if !limit(s, "pids_limit", "pids") {
        out.report(&PIDS_LIMIT, s, s.pos, "no PIDs limit".into());
    }
}
