//! Image references: mutable tags, missing digests, pull policy.

use inventory::Severity::{Low, Medium};

use super::rule;
use super::workload::Workload;
use super::Out;
use crate::rule::Rule;

pub const LATEST_TAG: Rule = rule(
    "BH-K8S-036",
    Medium,
    "Image uses :latest or no tag",
    "A moving tag means the code that runs changes without a manifest change: a pushed or poisoned image is picked up on the next pull.",
    "Pin a version tag, better a digest (`image@sha256:…`).",
    &["NSA/CISA Kubernetes Hardening Guide: Image scanning", "kube-score: container-image-tag"],
);
pub const NO_DIGEST: Rule = rule(
    "BH-K8S-037",
    Low,
    "Image not pinned by digest",
    "Tags can be moved to other content; only a digest guarantees the image that was reviewed and scanned is the one that runs.",
    "Reference the image as `name@sha256:<digest>`.",
    &["NSA/CISA Kubernetes Hardening Guide: Image scanning"],
);
pub const PULL_POLICY: Rule = rule(
    "BH-K8S-038",
    Low,
    "Image may be served from the node cache",
    "With IfNotPresent or Never, a pod can start from an image another workload pulled to the node, bypassing registry credentials and updates.",
    "Set `imagePullPolicy: Always` (or pin by digest).",
    &["kube-score: container-image-pull-policy"],
);

/// What an image reference pins: (has a tag other than latest, has a digest).
pub(crate) fn image_pins(image: &str) -> (Option<&str>, bool) {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, tag)| tag), digest)
}

pub(crate) fn check(w: &Workload, out: &mut Out) {
    for c in &w.containers {
        let Some(entry) = c.node.entry("image") else {
            continue;
        };
        let image = entry.value.as_str().unwrap_or_default();
        let (tag, digest) = image_pins(image);
        let mutable = matches!(tag, None | Some("latest"));
        if mutable && !digest {
            w.report(
                out,
                &LATEST_TAG,
                entry.key_pos,
                Some(c),
                format!("image {image:?} has no fixed tag"),
            );
        }
        if !digest {
            w.report(
                out,
                &NO_DIGEST,
                entry.key_pos,
                Some(c),
                format!("image {image:?} is not pinned by digest"),
            );
            // Kubernetes defaults to Always for :latest and untagged images.
            let policy = c.node.entry("imagePullPolicy");
            let effective = policy.and_then(|p| p.value.as_str()).unwrap_or(if mutable {
                "Always"
            } else {
                "IfNotPresent"
            });
            if effective != "Always" {
                let at = policy.map_or(entry.key_pos, |p| p.key_pos);
                let message = if policy.is_some() {
                    format!("imagePullPolicy is {effective}")
                } else {
                    format!(
                        "imagePullPolicy is not set: {effective} is the default for a tagged image"
                    )
                };
                w.report(out, &PULL_POLICY, at, Some(c), message);
            }
        }
    }
}
