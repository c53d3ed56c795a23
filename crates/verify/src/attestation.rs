//! in-toto attestations attached by `cosign attest`: a layer whose blob is a DSSE envelope around
//! an in-toto Statement. The statement's subject must name the image's digest; the predicate is
//! summarised (SLSA provenance) or kept (SBOMs, to be scanned instead of the image).

use crate::keys::PublicKey;
use crate::{dsse, sha256_digest, Failure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// cosign's `--type` short names for predicate types.
pub fn predicate_type_alias(name: &str) -> &str {
    match name {
        "slsaprovenance" | "slsaprovenance02" => SLSA_PROVENANCE_V02,
        "slsaprovenance1" => SLSA_PROVENANCE_V1,
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    fn of(predicate_type: &str) -> Option<SbomFormat> {
        if predicate_type.starts_with("https://cyclonedx.org/bom") {
            Some(SbomFormat::CycloneDx)
        } else if predicate_type.starts_with("https://spdx.dev/Document") {
            Some(SbomFormat::Spdx)
        } else {
            None
        }
    }
}

/// What SLSA provenance says about the build.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Provenance {
    pub builder_id: Option<String>,
    pub build_type: Option<String>,
    /// The source repository: v0.2 `invocation.configSource.uri`, v1
    /// `externalParameters.workflow.repository` / `source`, else the first git dependency.
    pub source_repo: Option<String>,
    /// v0.2 `materials`, v1 `resolvedDependencies`.
    pub materials: Vec<Material>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Material {
    pub uri: String,
    /// `algorithm:value` pairs, e.g. `sha1:…`, `gitCommit:…`.
    pub digest: Vec<String>,
}

/// The outcome of checking one attestation layer.
#[derive(Debug, Clone, Serialize)]
pub struct AttestationCheck {
    pub source: String,
    pub layer_digest: String,
    pub predicate_type: Option<String>,
    pub verified: bool,
    pub key_fingerprint: Option<String>,
    pub key: Option<String>,
    pub provenance: Option<Provenance>,
    /// Set when the predicate is an SBOM (its document is kept for scanning).
    pub sbom: Option<SbomFormat>,
    pub failure: Option<Failure>,
    pub error: Option<String>,
    /// The SBOM document (the predicate) when `sbom` is set.
    #[serde(skip)]
    pub sbom_document: Option<Vec<u8>>,
    /// The statement's sha256 subjects, once its signature verified.
    #[serde(skip)]
    pub subjects: Vec<String>,
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type", default)]
    kind: String,
    #[serde(default)]
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default)]
    predicate: Value,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

impl AttestationCheck {
    /// A layer found at `source` that nothing has been verified about yet.
    pub(crate) fn unchecked(source: &str, layer_digest: &str) -> AttestationCheck {
        AttestationCheck {
            source: source.to_string(),
            layer_digest: layer_digest.to_string(),
            predicate_type: None,
            verified: false,
            key_fingerprint: None,
            key: None,
            provenance: None,
            sbom: None,
            failure: None,
            error: None,
            sbom_document: None,
            subjects: Vec::new(),
        }
    }
}

/// Checks one attestation layer (its blob is a DSSE envelope) for the image `image_digest`.
pub fn check_attestation(
    source: &str,
    layer_digest: &str,
    envelope: &[u8],
    image_digest: &str,
    keys: &[PublicKey],
) -> AttestationCheck {
    let check = AttestationCheck::unchecked(source, layer_digest);
    let fail = |mut check: AttestationCheck, failure: Failure, error: String| {
        check.failure = Some(failure);
        check.error = Some(error);
        check
    };
    let actual = sha256_digest(envelope);
    if actual != layer_digest {
        let why = format!(
            "envelope blob hashes to {actual}, not to its layer digest {layer_digest}: it was altered"
        );
        return fail(check, Failure::PayloadTampered, why);
    }
    check_envelope(check, envelope, image_digest, keys)
}

/// Checks a DSSE envelope's signature, statement and subject; `check` names where it came from.
pub(crate) fn check_envelope(
    mut check: AttestationCheck,
    envelope: &[u8],
    image_digest: &str,
    keys: &[PublicKey],
) -> AttestationCheck {
    let fail = |mut check: AttestationCheck, failure: Failure, error: String| {
        check.failure = Some(failure);
        check.error = Some(error);
        check
    };
    let envelope = match dsse::parse(envelope) {
        Ok(envelope) => envelope,
        Err(why) => return fail(check, Failure::Malformed, why),
    };
    if envelope.payload_type != dsse::IN_TOTO_PAYLOAD_TYPE {
        let why = format!(
            "DSSE payload type is {:?}, expected {:?}",
            envelope.payload_type,
            dsse::IN_TOTO_PAYLOAD_TYPE
        );
        return fail(check, Failure::Malformed, why);
    }
    let statement: Statement = match serde_json::from_slice(&envelope.payload) {
        Ok(statement) => statement,
        Err(e) => {
            return fail(
                check,
                Failure::Malformed,
                format!("not an in-toto statement: {e}"),
            )
        }
    };
    if !statement.kind.starts_with("https://in-toto.io/Statement/") {
        let why = format!(
            "statement _type is {:?}, not an in-toto Statement",
            statement.kind
        );
        return fail(check, Failure::Malformed, why);
    }
    check.predicate_type = Some(statement.predicate_type.clone());
    check.provenance = provenance(&statement.predicate_type, &statement.predicate);
    check.sbom = SbomFormat::of(&statement.predicate_type);
    match dsse::verify(&envelope, keys) {
        Ok(key) => {
            check.key_fingerprint = Some(key.fingerprint().to_string());
            check.key = Some(key.name.clone());
        }
        Err((failure, why)) => return fail(check, failure, why),
    }
    let wanted = image_digest.strip_prefix("sha256:").unwrap_or(image_digest);
    let subjects: Vec<&str> = statement
        .subject
        .iter()
        .filter_map(|s| s.digest.get("sha256").map(String::as_str))
        .collect();
    check.subjects = subjects.iter().map(|h| format!("sha256:{h}")).collect();
    if !subjects.iter().any(|hex| hex.eq_ignore_ascii_case(wanted)) {
        let names: Vec<String> = subjects.iter().map(|h| format!("sha256:{h}")).collect();
        let why = format!(
            "statement subject is [{}], not this image's digest {image_digest}",
            names.join(", ")
        );
        return fail(check, Failure::DigestMismatch, why);
    }
    if check.sbom.is_some() {
        check.sbom_document = Some(sbom_document(statement.predicate));
    }
    check.verified = true;
    check
}

/// The SBOM document of a predicate: the predicate itself, or for cosign's wrapped non-JSON
/// predicates (`{"Data": "...", "Timestamp": ...}`) the wrapped text.
fn sbom_document(predicate: Value) -> Vec<u8> {
    if let Some(Value::String(data)) = predicate.get("Data") {
        return data.clone().into_bytes();
    }
    serde_json::to_vec(&predicate).unwrap_or_default()
}

fn provenance(predicate_type: &str, predicate: &Value) -> Option<Provenance> {
    let text = |v: &Value, path: &[&str]| -> Option<String> {
        let mut at = v;
        for key in path {
            at = at.get(key)?;
        }
        at.as_str().map(str::to_string)
    };
    match predicate_type {
        SLSA_PROVENANCE_V02 => {
            let materials = materials(predicate.get("materials"));
            Some(Provenance {
                builder_id: text(predicate, &["builder", "id"]),
                build_type: text(predicate, &["buildType"]),
                source_repo: text(predicate, &["invocation", "configSource", "uri"])
                    .or_else(|| materials.first().map(|m| m.uri.clone())),
                materials,
            })
        }
        SLSA_PROVENANCE_V1 => {
            let definition = predicate.get("buildDefinition").unwrap_or(&Value::Null);
            let params = definition.get("externalParameters").unwrap_or(&Value::Null);
            let materials = materials(definition.get("resolvedDependencies"));
            let source_repo = text(params, &["workflow", "repository"])
                .or_else(|| text(params, &["source"]))
                .or_else(|| text(params, &["source", "uri"]))
                .or_else(|| {
                    let git = materials.iter().find(|m| m.uri.starts_with("git+"));
                    git.map(|m| m.uri.clone())
                });
            Some(Provenance {
                builder_id: text(predicate, &["runDetails", "builder", "id"]),
                build_type: text(definition, &["buildType"]),
                source_repo,
                materials,
            })
        }
        _ => None,
    }
}

/// SLSA resource descriptors (`uri` + `digest` map); entries without a uri are skipped.
fn materials(list: Option<&Value>) -> Vec<Material> {
    let Some(Value::Array(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let uri = item.get("uri")?.as_str()?.to_string();
            let digest = match item.get("digest") {
                Some(Value::Object(map)) => map
                    .iter()
                    .filter_map(|(alg, v)| Some(format!("{alg}:{}", v.as_str()?)))
                    .collect(),
                _ => Vec::new(),
            };
            Some(Material { uri, digest })
        })
        .collect()
}
