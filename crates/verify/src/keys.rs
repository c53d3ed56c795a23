//! Public keys as cosign writes them: PEM `PUBLIC KEY` (SubjectPublicKeyInfo), ECDSA P-256 or
//! Ed25519. A key is named by its fingerprint, `sha256:` of the SPKI DER, so reports can say
//! which key signed without printing the key.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ED25519: &str = "1.3.101.112";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// Key files are small; anything larger is not a public key.
const MAX_KEY_FILE: u64 = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a public key: {1}")]
    Invalid(String, String),
    #[error("{0}: unsupported key type {1} (cosign keys are ECDSA P-256 or Ed25519)")]
    Unsupported(String, &'static str),
}

#[derive(Clone)]
enum Algorithm {
    P256(Box<p256::ecdsa::VerifyingKey>),
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
}

/// A public key that can verify signatures.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: Algorithm,
    fingerprint: String,
    /// Where it came from (a file path, or a policy's key name).
    pub name: String,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({} {} {})",
            self.kind(),
            self.fingerprint,
            self.name
        )
    }
}

/// Why a signature was not accepted by a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The signature bytes are not a signature for this key type.
    Malformed(String),
    /// Well-formed but does not verify over these bytes with this key.
    Mismatch,
}

impl PublicKey {
    pub fn from_file(path: &Path) -> Result<PublicKey, KeyError> {
        use std::io::Read;
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| KeyError::Io(name.clone(), e))?;
        let mut pem = Vec::new();
        file.take(MAX_KEY_FILE)
            .read_to_end(&mut pem)
            .map_err(|e| KeyError::Io(name.clone(), e))?;
        PublicKey::from_pem(&name, &pem)
    }

    /// Parses a PEM `PUBLIC KEY` block (the first one in the text).
    pub fn from_pem(name: &str, pem: &[u8]) -> Result<PublicKey, KeyError> {
        let invalid = |why: &str| KeyError::Invalid(name.to_string(), why.to_string());
        let text = std::str::from_utf8(pem).map_err(|_| invalid("not UTF-8 text"))?;
        let mut lines = text.lines().map(str::trim);
        let begin = lines
            .find(|l| l.starts_with("-----BEGIN "))
            .ok_or_else(|| invalid("no PEM block (-----BEGIN PUBLIC KEY-----)"))?;
        let label = begin
            .trim_start_matches("-----BEGIN ")
            .trim_end_matches('-');
        if label != "PUBLIC KEY" {
            return Err(invalid(&format!(
                "PEM block is {label:?}, expected \"PUBLIC KEY\""
            )));
        }
        let mut body = String::new();
        let mut ended = false;
        for line in lines {
            if line.starts_with("-----END ") {
                ended = true;
                break;
            }
            body.push_str(line);
        }
        if !ended {
            return Err(invalid("PEM block has no END line"));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| invalid(&format!("PEM body is not base64: {e}")))?;
        PublicKey::from_spki_der(name, &der)
    }

    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(name: &str, der: &[u8]) -> Result<PublicKey, KeyError> {
        let invalid = |why: String| KeyError::Invalid(name.to_string(), why);
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der)
            .map_err(|e| invalid(format!("bad SubjectPublicKeyInfo: {e}")))?;
        let (oid, param) = spki
            .algorithm
            .oids()
            .map_err(|e| invalid(format!("bad algorithm identifier: {e}")))?;
        let algorithm = match (oid.to_string().as_str(), param.map(|p| p.to_string())) {
            (OID_EC_PUBLIC_KEY, Some(curve)) if curve == OID_P256 => {
                use p256::pkcs8::DecodePublicKey;
                let key = p256::ecdsa::VerifyingKey::from_public_key_der(der)
                    .map_err(|e| invalid(format!("bad P-256 key: {e}")))?;
                Algorithm::P256(Box::new(key))
            }
            (OID_EC_PUBLIC_KEY, _) => {
                return Err(KeyError::Unsupported(
                    name.into(),
                    "ECDSA on a curve other than P-256",
                ))
            }
            (OID_ED25519, _) => {
                use ed25519_dalek::pkcs8::DecodePublicKey;
                let key = ed25519_dalek::VerifyingKey::from_public_key_der(der)
                    .map_err(|e| invalid(format!("bad Ed25519 key: {e}")))?;
                Algorithm::Ed25519(Box::new(key))
            }
            (OID_RSA, _) => return Err(KeyError::Unsupported(name.into(), "RSA")),
            (other, _) => return Err(invalid(format!("unknown key algorithm {other}"))),
        };
        Ok(PublicKey {
            algorithm,
            fingerprint: format!("sha256:{}", hex::encode(Sha256::digest(der))),
            name: name.to_string(),
        })
    }

    /// `sha256:<hex>` of the DER SubjectPublicKeyInfo.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn kind(&self) -> &'static str {
        match self.algorithm {
            Algorithm::P256(_) => "ecdsa-p256",
            Algorithm::Ed25519(_) => "ed25519",
        }
    }

    /// Verifies `signature` over `message`. ECDSA is over SHA-256 of the message and accepts
    /// DER or raw `r||s`; Ed25519 is pure Ed25519 (strict: no malleable or small-order forms).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        match &self.algorithm {
            Algorithm::P256(key) => {
                use p256::ecdsa::signature::Verifier;
                let sig = if signature.len() == 64 {
                    p256::ecdsa::Signature::from_slice(signature)
                } else {
                    p256::ecdsa::Signature::from_der(signature)
                }
                .map_err(|_| {
                    SignatureError::Malformed(format!(
                        "{} bytes are not an ECDSA P-256 signature (DER or r||s)",
                        signature.len()
                    ))
                })?;
                key.verify(message, &sig)
                    .map_err(|_| SignatureError::Mismatch)
            }
            Algorithm::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    SignatureError::Malformed(format!(
                        "{} bytes are not an Ed25519 signature (64 bytes)",
                        signature.len()
                    ))
                })?;
                key.verify_strict(message, &sig)
                    .map_err(|_| SignatureError::Mismatch)
            }
        }
    }
}

/// Whether the bytes have the shape of some signature we support (64 raw bytes, or an ECDSA
/// DER pair), so a failure with a key of the other type is a key mismatch, not garbage.
pub fn is_signature_shaped(bytes: &[u8]) -> bool {
    bytes.len() == 64 || p256::ecdsa::Signature::from_der(bytes).is_ok()
}

/// Decodes a base64 signature as cosign stores it (standard alphabet, padding optional).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let text = text.trim();
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}
