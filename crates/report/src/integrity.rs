//! Supply-chain integrity of the scanned image: which digests it has, whether the reference
//! pins one, and whether it is the image the user recorded (`--expect-digest`).

use detectors::severity::Severity;
use serde::Serialize;

/// The tag was resolved to a different digest than the one recorded.
pub const DIGEST_MISMATCH: &str = "digest-mismatch";
/// The image was named by a mutable tag, not by digest.
pub const UNPINNED_REFERENCE: &str = "unpinned-reference";

#[derive(Debug, Clone, Serialize)]
pub struct Integrity {
    /// The reference as resolved, e.g. `registry.example/team/app:1.4`.
    pub reference: String,
    /// True when the reference names a digest, so it cannot be moved to another image.
    pub pinned: bool,
    pub manifest_digest: String,
    /// The image index / manifest list the manifest was picked from (multi-platform tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    pub config_digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_digest: Option<String>,
    pub findings: Vec<IntegrityFinding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntegrityFinding {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// What is known about a resolved image.
pub struct Resolved<'a> {
    pub reference: String,
    /// A registry reference named by tag (local files are not tags that can move).
    pub by_tag: bool,
    pub manifest_digest: &'a str,
    pub index_digest: Option<&'a str>,
    pub config_digest: &'a str,
}

impl Integrity {
    pub fn assess(image: Resolved, expected_digest: Option<&str>) -> Integrity {
        let mut findings = Vec::new();
        if image.by_tag {
            findings.push(IntegrityFinding {
                id: UNPINNED_REFERENCE,
                severity: Severity::Low,
                message: format!(
                    "{} is named by tag; a tag can be moved to another image. Pin it as …@{}",
                    image.reference,
                    image.index_digest.unwrap_or(image.manifest_digest)
                ),
            });
        }
        if let Some(expected) = expected_digest {
            // A multi-platform tag points at the index; accept either recorded form.
            let matches = expected == image.manifest_digest || Some(expected) == image.index_digest;
            if !matches {
                findings.push(IntegrityFinding {
                    id: DIGEST_MISMATCH,
                    severity: Severity::Critical,
                    message: format!(
                        "{} resolves to {} but {expected} was expected: the image changed since it was recorded (re-tagged, re-pushed or replaced)",
                        image.reference,
                        image.index_digest.unwrap_or(image.manifest_digest)
                    ),
                });
            }
        }
        Integrity {
            reference: image.reference,
            pinned: !image.by_tag,
            manifest_digest: image.manifest_digest.to_string(),
            index_digest: image.index_digest.map(str::to_string),
            config_digest: image.config_digest.to_string(),
            expected_digest: expected_digest.map(str::to_string),
            findings,
        }
    }

    /// Findings that fail a CI run under `--exit-code`: the image is not the recorded one.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.id == DIGEST_MISMATCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const I: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn resolved(by_tag: bool, index: Option<&'static str>) -> Resolved<'static> {
        Resolved {
            reference: "reg.example/app:1".into(),
            by_tag,
            manifest_digest: A,
            index_digest: index,
            config_digest: B,
        }
    }

    #[test]
    fn tag_without_expectation_is_only_unpinned() {
        let i = Integrity::assess(resolved(true, None), None);
        let ids: Vec<_> = i.findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, [UNPINNED_REFERENCE]);
        assert!(!i.pinned && !i.fails());
    }

    #[test]
    fn expected_digest_matches_manifest_or_index() {
        assert!(!Integrity::assess(resolved(false, None), Some(A)).fails());
        assert!(!Integrity::assess(resolved(true, Some(I)), Some(I)).fails());
        assert!(!Integrity::assess(resolved(true, Some(I)), Some(A)).fails());
        let moved = Integrity::assess(resolved(true, None), Some(B));
        assert!(moved.fails());
        let finding = moved
            .findings
            .iter()
            .find(|f| f.id == DIGEST_MISMATCH)
            .unwrap();
        assert!(finding.message.contains(A) && finding.message.contains(B));
        assert_eq!(finding.severity, Severity::Critical);
    }
}
