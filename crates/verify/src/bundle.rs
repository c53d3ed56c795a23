//! Sigstore bundles (`application/vnd.dev.sigstore.bundle.v0.3+json`), what cosign 3 pushes by
//! default as OCI 1.1 referrers. With a key, a bundle's `dsseEnvelope` is checked like any
//! attestation; one whose predicate type is `https://sigstore.dev/cosign/sign/v1` is an image
//! signature (its statement's subject is the signed digest). Transparency-log entries and
//! certificates (keyless) are not checked.

use crate::attestation::{check_envelope, AttestationCheck};
use crate::{sha256_digest, Failure, PublicKey, SignatureCheck};
use serde::Deserialize;
use serde_json::Value;

pub const BUNDLE_ARTIFACT_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The predicate type of a cosign 3 image signature.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    #[serde(default)]
    verification_material: Value,
    #[serde(default)]
    dsse_envelope: Option<Value>,
    #[serde(default)]
    message_signature: Option<Value>,
}

/// What a bundle turned out to be.
pub enum Checked {
    Signature(SignatureCheck),
    Attestation(AttestationCheck),
}

/// Checks one bundle layer for the image `image_digest`.
pub fn check_bundle(
    source: &str,
    layer_digest: &str,
    blob: &[u8],
    image_digest: &str,
    keys: &[PublicKey],
) -> Checked {
    let mut check = AttestationCheck::unchecked(source, layer_digest);
    let actual = sha256_digest(blob);
    let problem = if actual != layer_digest {
        Some((
            Failure::PayloadTampered,
            format!("bundle blob hashes to {actual}, not to its layer digest {layer_digest}"),
        ))
    } else {
        match serde_json::from_slice::<Bundle>(blob) {
            Err(e) => Some((Failure::Malformed, format!("not a sigstore bundle: {e}"))),
            Ok(bundle) => match bundle.dsse_envelope {
                Some(envelope) => {
                    let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
                    check = check_envelope(check, &bytes, image_digest, keys);
                    if check.failure == Some(Failure::SignatureMismatch)
                        && is_keyless(&bundle.verification_material)
                    {
                        check.error = Some(format!(
                            "keyless bundle (certificate): not supported; {}",
                            check.error.take().unwrap_or_default()
                        ));
                    }
                    None
                }
                None if bundle.message_signature.is_some() => Some((
                    Failure::Malformed,
                    "bundle holds a messageSignature (cosign sign-blob), not an image signature"
                        .into(),
                )),
                None => Some((Failure::Malformed, "bundle has no dsseEnvelope".into())),
            },
        }
    };
    if let Some((failure, error)) = problem {
        check.failure = Some(failure);
        check.error = Some(error);
        return Checked::Signature(as_signature(check, image_digest));
    }
    if check.predicate_type.as_deref() == Some(SIGN_PREDICATE) {
        Checked::Signature(as_signature(check, image_digest))
    } else {
        Checked::Attestation(check)
    }
}

fn is_keyless(material: &Value) -> bool {
    material.get("certificate").is_some() || material.get("x509CertificateChain").is_some()
}

/// A cosign 3 signature statement reported as a signature: it signs its subject digest.
fn as_signature(check: AttestationCheck, image_digest: &str) -> SignatureCheck {
    let digest = if check.subjects.iter().any(|s| s == image_digest) {
        Some(image_digest.to_string())
    } else {
        check.subjects.first().cloned()
    };
    SignatureCheck {
        source: check.source,
        layer_digest: check.layer_digest,
        verified: check.verified,
        key_fingerprint: check.key_fingerprint,
        key: check.key,
        digest,
        docker_reference: None,
        claims: None,
        failure: check.failure,
        error: check.error,
    }
}
