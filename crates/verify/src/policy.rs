//! The verify policy: what an image must have before it may run. YAML, documented in
//! docs/verify.md. Rules on the reference (allowed registries, digest pinning) are decided
//! before anything is fetched, so a disallowed registry is never contacted.

use crate::attestation::predicate_type_alias;
use crate::keys::{KeyError, PublicKey};
use crate::{glob, Verification};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Policy files are short; refuse anything that is not.
const MAX_POLICY_FILE: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: {1}")]
    Invalid(String, String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyFile {
    #[serde(default)]
    keys: BTreeMap<String, String>,
    #[serde(default)]
    signatures: Option<SignatureRule>,
    #[serde(default)]
    allowed_registries: Vec<String>,
    #[serde(default)]
    require_digest: bool,
    #[serde(default)]
    attestations: Vec<String>,
    #[serde(default)]
    exit_code: Option<u8>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum SignatureRule {
    AnyOf(Vec<String>),
    AllOf(Vec<String>),
}

/// A loaded policy: keys read, names resolved.
#[derive(Debug)]
pub struct Policy {
    pub path: String,
    /// Named keys; each key's `name` is its policy name.
    pub keys: Vec<PublicKey>,
    signatures: Option<SignatureRule>,
    allowed_registries: Vec<String>,
    pub require_digest: bool,
    /// Required predicate types, cosign short names expanded.
    pub attestations: Vec<String>,
    /// Exit code when the policy is not met (default 1).
    pub exit_code: u8,
}

/// One unmet rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Violation {
    /// `allowed-registries`, `require-digest`, `signatures` or `attestations`.
    pub rule: &'static str,
    pub message: String,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        use std::io::Read;
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| PolicyError::Io(name.clone(), e))?;
        let mut text = String::new();
        file.take(MAX_POLICY_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|e| PolicyError::Io(name.clone(), e))?;
        if text.len() as u64 > MAX_POLICY_FILE {
            return Err(PolicyError::Invalid(name, "larger than 1 MiB".into()));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Policy::parse(&name, &text, base)
    }

    /// Parses policy text; key paths are relative to `base`.
    pub fn parse(name: &str, text: &str, base: &Path) -> Result<Policy, PolicyError> {
        let invalid = |why: String| PolicyError::Invalid(name.to_string(), why);
        let file: PolicyFile = serde_saphyr::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut keys = Vec::new();
        for (key_name, key_path) in &file.keys {
            let mut key = PublicKey::from_file(&base.join(key_path))?;
            key.name = key_name.clone();
            keys.push(key);
        }
        if let Some(SignatureRule::AnyOf(names) | SignatureRule::AllOf(names)) = &file.signatures {
            if names.is_empty() {
                return Err(invalid("signatures: the key list is empty".into()));
            }
            if let Some(unknown) = names.iter().find(|n| !file.keys.contains_key(*n)) {
                return Err(invalid(format!(
                    "signatures: key {unknown:?} is not defined under keys"
                )));
            }
        }
        if file.exit_code == Some(0) || file.exit_code == Some(2) {
            return Err(invalid(
                "exitCode may not be 0 or 2 (2 means an error)".into(),
            ));
        }
        // Without a signatures rule, defined keys mean "signed by any of them".
        let signatures = file.signatures.or_else(|| {
            (!file.keys.is_empty())
                .then(|| SignatureRule::AnyOf(file.keys.keys().cloned().collect()))
        });
        Ok(Policy {
            path: name.to_string(),
            keys,
            signatures,
            allowed_registries: file.allowed_registries,
            require_digest: file.require_digest,
            attestations: file
                .attestations
                .iter()
                .map(|t| predicate_type_alias(t).to_string())
                .collect(),
            exit_code: file.exit_code.unwrap_or(1),
        })
    }

    /// Rules decided by the reference alone. `name` is `registry/repository`.
    pub fn check_reference(&self, name: &str, by_digest: bool) -> Vec<Violation> {
        let mut violations = Vec::new();
        if !self.allowed_registries.is_empty()
            && !self
                .allowed_registries
                .iter()
                .any(|p| glob::matches_prefix(p, name))
        {
            violations.push(Violation {
                rule: "allowed-registries",
                message: format!(
                    "{name} is not in an allowed registry ({})",
                    self.allowed_registries.join(", ")
                ),
            });
        }
        if self.require_digest && !by_digest {
            violations.push(Violation {
                rule: "require-digest",
                message: "the reference is by tag; the policy requires a digest (name@sha256:…)"
                    .into(),
            });
        }
        violations
    }

    /// Rules decided by what was found attached to the image.
    pub fn check_verification(&self, found: &Verification) -> Vec<Violation> {
        let mut violations = Vec::new();
        let fingerprint = |name: &str| {
            self.keys
                .iter()
                .find(|k| k.name == name)
                .map(|k| k.fingerprint().to_string())
        };
        let signed = |name: &String| fingerprint(name).is_some_and(|f| found.signed_by(&f));
        let why = || {
            found
                .signature_failure()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        };
        match &self.signatures {
            Some(SignatureRule::AnyOf(names)) if !names.iter().any(signed) => {
                violations.push(Violation {
                    rule: "signatures",
                    message: format!(
                        "no valid signature by any of the keys {}{}",
                        names.join(", "),
                        why()
                    ),
                })
            }
            Some(SignatureRule::AllOf(names)) => {
                let missing: Vec<&str> = names
                    .iter()
                    .filter(|n| !signed(n))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    violations.push(Violation {
                        rule: "signatures",
                        message: format!(
                            "no valid signature by the key(s) {}{}",
                            missing.join(", "),
                            why()
                        ),
                    });
                }
            }
            _ => {}
        }
        for wanted in &self.attestations {
            // Signed by a policy key (by any given key when the policy names none).
            let trusted = |a: &&crate::AttestationCheck| {
                self.keys.is_empty()
                    || self
                        .keys
                        .iter()
                        .any(|k| a.key_fingerprint.as_deref() == Some(k.fingerprint()))
            };
            if found.attestations_of(wanted).find(trusted).is_none() {
                let present: Vec<String> = found
                    .attestations
                    .iter()
                    .map(|a| {
                        let kind = a.predicate_type.as_deref().unwrap_or("unknown type");
                        match &a.error {
                            Some(error) => format!("{kind} (rejected: {error})"),
                            None => kind.to_string(),
                        }
                    })
                    .collect();
                violations.push(Violation {
                    rule: "attestations",
                    message: format!(
                        "no verified attestation of type {wanted}; found: {}",
                        if present.is_empty() {
                            "none".to_string()
                        } else {
                            present.join("; ")
                        }
                    ),
                });
            }
        }
        violations
    }
}
