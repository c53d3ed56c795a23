//! Supply-chain checks on an image in a registry: cosign signatures (key-based: ECDSA P-256 and
//! Ed25519), in-toto attestations in DSSE envelopes (SLSA provenance, SBOMs), and a policy file
//! that says what a deployable image must have. Verification itself is pure (bytes in, findings
//! out); [`discover`] finds the signature and attestation artifacts through an [`ArtifactStore`].

pub mod attestation;
pub mod bundle;
pub mod cosign;
mod discover;
pub mod dsse;
mod glob;
pub mod keys;
pub mod policy;
mod remote;
mod store;

pub use attestation::{AttestationCheck, Provenance, SbomFormat};
pub use cosign::SignatureCheck;
pub use discover::{verify_image, Limits};
pub use keys::{KeyError, PublicKey};
pub use policy::{Policy, PolicyError, Violation};
pub use remote::{attached_sbom, verify_reference};
pub use store::{ArtifactStore, FetchError, Fetched, Referrer};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why a signature or attestation was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// Does not verify with the given key(s): wrong key, or payload changed after signing.
    SignatureMismatch,
    /// Verifies, but signs another image's digest.
    DigestMismatch,
    /// The payload blob does not hash to the digest its manifest records.
    PayloadTampered,
    /// Not a cosign signature / DSSE envelope / in-toto statement.
    Malformed,
    /// No key was given to verify with.
    NoKey,
    /// The blob could not be fetched.
    Unreadable,
}

/// Everything found about one image.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The reference as the user gave it.
    pub reference: String,
    /// The manifest digest the reference resolved to: what signatures must name.
    pub digest: String,
    pub signatures: Vec<SignatureCheck>,
    pub attestations: Vec<AttestationCheck>,
    /// What could not be looked at (unsupported referrer types, lookups that failed).
    pub notes: Vec<String>,
}

impl Verification {
    /// Whether some signature for this digest verifies with the key of this fingerprint.
    pub fn signed_by(&self, fingerprint: &str) -> bool {
        self.signatures
            .iter()
            .any(|s| s.verified && s.key_fingerprint.as_deref() == Some(fingerprint))
    }

    /// Whether any signature verified.
    pub fn verified(&self) -> bool {
        self.signatures.iter().any(|s| s.verified)
    }

    /// Why no signature verified, in one line (`None` when one did).
    pub fn signature_failure(&self) -> Option<String> {
        if self.verified() {
            return None;
        }
        if self.signatures.is_empty() {
            return Some(format!(
                "no signatures found for {} (looked for tag {} and OCI referrers)",
                self.digest,
                tag_for(&self.digest, "sig")
            ));
        }
        let reasons: Vec<&str> = self
            .signatures
            .iter()
            .filter_map(|s| s.error.as_deref())
            .collect();
        Some(format!(
            "no valid signature among {}: {}",
            self.signatures.len(),
            reasons.join("; ")
        ))
    }

    /// Verified attestations of a predicate type (cosign short names accepted).
    pub fn attestations_of<'a>(
        &'a self,
        predicate_type: &'a str,
    ) -> impl Iterator<Item = &'a AttestationCheck> + 'a {
        let wanted = attestation::predicate_type_alias(predicate_type);
        self.attestations
            .iter()
            .filter(move |a| a.verified && a.predicate_type.as_deref() == Some(wanted))
    }

    /// The first verified SBOM attestation's document, to be scanned instead of the image.
    pub fn attached_sbom(&self) -> Option<(SbomFormat, &[u8])> {
        self.attestations
            .iter()
            .filter(|a| a.verified)
            .find_map(|a| Some((a.sbom?, a.sbom_document.as_deref()?)))
    }
}

/// cosign's tag for artifacts attached to a digest: `sha256:abc` → `sha256-abc.<suffix>`.
pub fn tag_for(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replacen(':', "-", 1))
}

pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
