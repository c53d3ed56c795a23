//! Finding what is attached to an image: cosign's `sha256-<hex>.sig` / `.att` tags and OCI 1.1
//! referrers, each manifest's layers checked as signatures or attestations.

use crate::attestation::check_attestation;
use crate::cosign::{self, check_signature, SignatureLayer};
use crate::store::{ArtifactStore, FetchError};
use crate::{
    bundle, dsse, tag_for, AttestationCheck, Failure, PublicKey, SignatureCheck, Verification,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// Bounds on what a hostile registry can make us fetch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest signature payload (cosign's are well under 1 KiB).
    pub max_payload: u64,
    /// Largest attestation envelope (an SBOM can be large).
    pub max_envelope: u64,
    /// Most layers read from one signature or attestation manifest.
    pub max_layers: usize,
    /// Most referrers followed.
    pub max_referrers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: 1 << 20,
            max_envelope: 64 << 20,
            max_layers: 256,
            max_referrers: 128,
        }
    }
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default, rename = "artifactType")]
    artifact_type: Option<String>,
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

enum Kind {
    Signatures,
    Attestations,
    Bundles,
}

/// Looks up everything attached to `image_digest` and checks it against `keys`. Errors are for
/// lookups that failed outright; a missing signature is a finding, not an error.
pub fn verify_image(
    store: &dyn ArtifactStore,
    reference: &str,
    image_digest: &str,
    keys: &[PublicKey],
    limits: Limits,
) -> Result<Verification, FetchError> {
    let mut found = Verification {
        reference: reference.to_string(),
        digest: image_digest.to_string(),
        signatures: Vec::new(),
        attestations: Vec::new(),
        notes: Vec::new(),
    };
    let mut seen = HashSet::new();
    for (suffix, kind) in [("sig", Kind::Signatures), ("att", Kind::Attestations)] {
        let tag = tag_for(image_digest, suffix);
        if let Some(fetched) = store.manifest(&tag)? {
            seen.insert(fetched.digest.clone());
            let source = format!("tag {tag}");
            read_manifest(
                store,
                &source,
                &fetched.bytes,
                Some(&kind),
                image_digest,
                keys,
                limits,
                &mut found,
            );
        }
    }
    match store.referrers(image_digest) {
        Ok(referrers) => {
            if referrers.len() > limits.max_referrers {
                found.notes.push(format!(
                    "{} referrers; only the first {} were read",
                    referrers.len(),
                    limits.max_referrers
                ));
            }
            for referrer in referrers.into_iter().take(limits.max_referrers) {
                if !seen.insert(referrer.digest.clone()) {
                    continue;
                }
                let kind = match referrer.artifact_type.as_deref() {
                    Some(cosign::SIGNATURE_ARTIFACT_TYPE) => Some(Kind::Signatures),
                    Some(dsse::ENVELOPE_MEDIA_TYPE) => Some(Kind::Attestations),
                    Some(t) if t.starts_with(bundle::BUNDLE_ARTIFACT_TYPE_PREFIX) => {
                        Some(Kind::Bundles)
                    }
                    // cosign 2 attestations pushed as referrers carry no artifactType of their own
                    // choosing everywhere: decide by layer media type below.
                    _ => None,
                };
                let Some(fetched) = store.manifest(&referrer.digest)? else {
                    found.notes.push(format!(
                        "referrer {} is listed but missing",
                        referrer.digest
                    ));
                    continue;
                };
                let source = format!("referrer {}", referrer.digest);
                read_manifest(
                    store,
                    &source,
                    &fetched.bytes,
                    kind.as_ref(),
                    image_digest,
                    keys,
                    limits,
                    &mut found,
                );
            }
        }
        Err(error) => found
            .notes
            .push(format!("referrers lookup failed: {error}")),
    }
    Ok(found)
}

#[allow(clippy::too_many_arguments)]
fn read_manifest(
    store: &dyn ArtifactStore,
    source: &str,
    bytes: &[u8],
    kind: Option<&Kind>,
    image_digest: &str,
    keys: &[PublicKey],
    limits: Limits,
    found: &mut Verification,
) {
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(manifest) => manifest,
        Err(e) => {
            found
                .notes
                .push(format!("{source}: not an image manifest: {e}"));
            return;
        }
    };
    if manifest.layers.len() > limits.max_layers {
        found.notes.push(format!(
            "{source}: {} layers; only the first {} were read",
            manifest.layers.len(),
            limits.max_layers
        ));
    }
    for layer in manifest.layers.iter().take(limits.max_layers) {
        if matches!(kind, Some(Kind::Bundles)) {
            match store.blob(&layer.digest, limits.max_envelope) {
                Ok(blob) => {
                    match bundle::check_bundle(source, &layer.digest, &blob, image_digest, keys) {
                        bundle::Checked::Signature(check) => found.signatures.push(check),
                        bundle::Checked::Attestation(check) => found.attestations.push(check),
                    }
                }
                Err(error) => found
                    .signatures
                    .push(signature_failed(source, &layer.digest, error)),
            }
            continue;
        }
        let is_signature = match kind {
            Some(Kind::Signatures) => true,
            Some(Kind::Attestations | Kind::Bundles) => false,
            None => layer.media_type == cosign::SIMPLE_SIGNING_MEDIA_TYPE,
        };
        let is_attestation = matches!(kind, Some(Kind::Attestations))
            || (kind.is_none() && layer.media_type == dsse::ENVELOPE_MEDIA_TYPE);
        if is_signature {
            found.signatures.push(signature_layer(
                store,
                source,
                layer,
                image_digest,
                keys,
                limits,
            ));
        } else if is_attestation {
            let check = match store.blob(&layer.digest, limits.max_envelope) {
                Ok(blob) => check_attestation(source, &layer.digest, &blob, image_digest, keys),
                Err(error) => attestation_failed(source, &layer.digest, error),
            };
            found.attestations.push(check);
        } else {
            let what = manifest
                .artifact_type
                .as_deref()
                .unwrap_or(&layer.media_type);
            found.notes.push(format!(
                "{source}: layer of type {what} is not a cosign signature or attestation"
            ));
        }
    }
}

fn signature_layer(
    store: &dyn ArtifactStore,
    source: &str,
    layer: &Layer,
    image_digest: &str,
    keys: &[PublicKey],
    limits: Limits,
) -> SignatureCheck {
    match store.blob(&layer.digest, limits.max_payload) {
        Ok(payload) => check_signature(
            &SignatureLayer {
                source,
                layer_digest: &layer.digest,
                signature: layer
                    .annotations
                    .get(cosign::SIGNATURE_ANNOTATION)
                    .map(String::as_str),
                has_certificate: layer
                    .annotations
                    .contains_key(cosign::CERTIFICATE_ANNOTATION),
                payload: &payload,
            },
            image_digest,
            keys,
        ),
        Err(error) => signature_failed(source, &layer.digest, error),
    }
}

fn signature_failed(source: &str, layer_digest: &str, error: FetchError) -> SignatureCheck {
    let (failure, error) = fetch_failure(error);
    SignatureCheck {
        source: source.to_string(),
        layer_digest: layer_digest.to_string(),
        verified: false,
        key_fingerprint: None,
        key: None,
        digest: None,
        docker_reference: None,
        claims: None,
        failure: Some(failure),
        error: Some(error),
    }
}

fn attestation_failed(source: &str, layer_digest: &str, error: FetchError) -> AttestationCheck {
    let (failure, error) = fetch_failure(error);
    AttestationCheck {
        failure: Some(failure),
        error: Some(error),
        ..AttestationCheck::unchecked(source, layer_digest)
    }
}

fn fetch_failure(error: FetchError) -> (Failure, String) {
    match error {
        FetchError::Tampered(why) => (Failure::PayloadTampered, why),
        FetchError::Other(why) => (
            Failure::Unreadable,
            format!("could not read the blob: {why}"),
        ),
    }
}
