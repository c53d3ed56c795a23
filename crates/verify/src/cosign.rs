//! cosign signatures: a layer whose blob is the simple-signing JSON payload and whose annotation
//! `dev.cosignproject.cosign/signature` holds the base64 signature over that blob. The payload
//! names the signed manifest digest; a signature only counts for the image whose digest it names.

use crate::keys::{decode_base64, is_signature_shaped, PublicKey, SignatureError};
use crate::{sha256_digest, Failure};
use serde::{Deserialize, Serialize};

pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// `artifactType` of cosign signature manifests pushed as OCI 1.1 referrers.
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SIGNATURE_TYPE: &str = "cosign container image signature";

/// The outcome of checking one signature layer.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCheck {
    /// Where it was found: `tag <sha256-…>.sig` or `referrer <digest>`.
    pub source: String,
    pub layer_digest: String,
    pub verified: bool,
    /// Fingerprint (`sha256:` of the SPKI DER) of the key that verified it.
    pub key_fingerprint: Option<String>,
    /// The key's file or policy name.
    pub key: Option<String>,
    /// The manifest digest the payload claims to sign.
    pub digest: Option<String>,
    /// `critical.identity.docker-reference` of the payload.
    pub docker_reference: Option<String>,
    /// The payload's `optional` claims (annotations given to `cosign sign -a`).
    pub claims: Option<serde_json::Value>,
    pub failure: Option<Failure>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct SimpleSigning {
    critical: Critical,
    #[serde(default)]
    optional: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: SignedImage,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct SignedImage {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// One signature layer as read from a signature manifest, with its blob.
pub struct SignatureLayer<'a> {
    pub source: &'a str,
    pub layer_digest: &'a str,
    /// The base64 signature annotation, if present.
    pub signature: Option<&'a str>,
    /// Whether the layer carries a Fulcio certificate (keyless signing).
    pub has_certificate: bool,
    pub payload: &'a [u8],
}

/// Checks one signature layer for the image `image_digest` against `keys`.
pub fn check_signature(
    layer: &SignatureLayer,
    image_digest: &str,
    keys: &[PublicKey],
) -> SignatureCheck {
    let mut check = SignatureCheck {
        source: layer.source.to_string(),
        layer_digest: layer.layer_digest.to_string(),
        verified: false,
        key_fingerprint: None,
        key: None,
        digest: None,
        docker_reference: None,
        claims: None,
        failure: None,
        error: None,
    };
    let fail = |mut check: SignatureCheck, failure: Failure, error: String| {
        check.failure = Some(failure);
        check.error = Some(error);
        check
    };
    let actual = sha256_digest(layer.payload);
    if actual != layer.layer_digest {
        return fail(
            check,
            Failure::PayloadTampered,
            format!(
                "payload blob hashes to {actual}, not to its layer digest {}: it was altered",
                layer.layer_digest
            ),
        );
    }
    // Parsed before the signature check only to report what it claims; trusted only after.
    match serde_json::from_slice::<SimpleSigning>(layer.payload) {
        Ok(payload) => {
            check.digest = Some(payload.critical.image.docker_manifest_digest.clone());
            check.docker_reference = Some(payload.critical.identity.docker_reference.clone());
            check.claims = payload.optional.filter(|v| !v.is_null());
            if payload.critical.kind != SIGNATURE_TYPE {
                let kind = payload.critical.kind;
                return fail(
                    check,
                    Failure::Malformed,
                    format!("payload type is {kind:?}, expected {SIGNATURE_TYPE:?}"),
                );
            }
        }
        Err(e) => {
            return fail(
                check,
                Failure::Malformed,
                format!("payload is not a cosign simple-signing document: {e}"),
            )
        }
    }
    let Some(encoded) = layer.signature else {
        let why = if layer.has_certificate {
            "keyless signature (certificate, no key signature annotation) is not supported"
        } else {
            "layer has no dev.cosignproject.cosign/signature annotation"
        };
        return fail(check, Failure::Malformed, why.to_string());
    };
    let Some(signature) = decode_base64(encoded) else {
        return fail(
            check,
            Failure::Malformed,
            "signature annotation is not base64".into(),
        );
    };
    match verify_with_any(keys, layer.payload, &signature) {
        Ok(key) => {
            check.key_fingerprint = Some(key.fingerprint().to_string());
            check.key = Some(key.name.clone());
        }
        Err((failure, error)) => return fail(check, failure, error),
    }
    let signed = check.digest.clone().unwrap_or_default();
    if signed != image_digest {
        return fail(
            check,
            Failure::DigestMismatch,
            format!("signature is for {signed}, not for this image's digest {image_digest}"),
        );
    }
    check.verified = true;
    check
}

/// The first key that verifies `signature` over `message`, or why none did.
pub(crate) fn verify_with_any<'k>(
    keys: &'k [PublicKey],
    message: &[u8],
    signature: &[u8],
) -> Result<&'k PublicKey, (Failure, String)> {
    if keys.is_empty() {
        return Err((
            Failure::NoKey,
            "no public key given to verify with".to_string(),
        ));
    }
    let mut malformed = Vec::new();
    for key in keys {
        match key.verify(message, signature) {
            Ok(()) => return Ok(key),
            Err(SignatureError::Malformed(why)) => malformed.push(why),
            Err(SignatureError::Mismatch) => {}
        }
    }
    if malformed.len() == keys.len() && !is_signature_shaped(signature) {
        return Err((Failure::Malformed, malformed.join("; ")));
    }
    let names: Vec<String> = keys
        .iter()
        .map(|k| format!("{} ({})", k.fingerprint(), k.name))
        .collect();
    Err((
        Failure::SignatureMismatch,
        format!(
            "signature does not verify with {} {}",
            if keys.len() == 1 {
                "key"
            } else {
                "any of the keys"
            },
            names.join(", ")
        ),
    ))
}
