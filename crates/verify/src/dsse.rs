//! DSSE envelopes (github.com/secure-systems-lab/dsse, v1): the signature is over the
//! pre-authentication encoding PAE(payloadType, payload), never over the JSON envelope.

use crate::keys::{decode_base64, PublicKey};
use crate::Failure;
use serde::Deserialize;

pub const ENVELOPE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload_type: String,
    payload: String,
    #[serde(default)]
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
struct RawSignature {
    #[serde(default)]
    sig: String,
}

/// A parsed envelope: the payload decoded, the signatures still to be checked.
#[derive(Debug)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Vec<u8>>,
}

/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(
        format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

pub fn parse(bytes: &[u8]) -> Result<Envelope, String> {
    let raw: RawEnvelope =
        serde_json::from_slice(bytes).map_err(|e| format!("not a DSSE envelope: {e}"))?;
    let payload = decode_base64(&raw.payload)
        .or_else(|| decode_base64_url(&raw.payload))
        .ok_or("DSSE payload is not base64")?;
    let signatures = raw
        .signatures
        .iter()
        .map(|s| decode_base64(&s.sig).or_else(|| decode_base64_url(&s.sig)))
        .collect::<Option<Vec<_>>>()
        .ok_or("a DSSE signature is not base64")?;
    if signatures.is_empty() {
        return Err("DSSE envelope has no signatures".into());
    }
    Ok(Envelope {
        payload_type: raw.payload_type,
        payload,
        signatures,
    })
}

/// The key that verifies any of the envelope's signatures, or why none does.
pub fn verify<'k>(
    envelope: &Envelope,
    keys: &'k [PublicKey],
) -> Result<&'k PublicKey, (Failure, String)> {
    let message = pae(&envelope.payload_type, &envelope.payload);
    let mut last = None;
    for signature in &envelope.signatures {
        match crate::cosign::verify_with_any(keys, &message, signature) {
            Ok(key) => return Ok(key),
            Err(why) => last = Some(why),
        }
    }
    Err(last.unwrap_or((Failure::Malformed, "DSSE envelope has no signatures".into())))
}

/// DSSE allows the URL-safe alphabet too.
fn decode_base64_url(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    URL_SAFE
        .decode(text.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // The DSSE protocol document's worked example.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn lengths_count_bytes_not_characters() {
        let encoded = pae("t", "é".as_bytes());
        assert_eq!(encoded, b"DSSEv1 1 t 2 \xc3\xa9".to_vec());
    }

    #[test]
    fn rejects_envelopes_without_signatures_or_base64() {
        assert!(parse(br#"{"payloadType":"x","payload":"aGk=","signatures":[]}"#).is_err());
        assert!(
            parse(br#"{"payloadType":"x","payload":"***","signatures":[{"sig":"aGk="}]}"#).is_err()
        );
        let env = parse(
            br#"{"payloadType":"x","payload":"aGk","signatures":[{"keyid":"","sig":"aGk="}]}"#,
        )
        .unwrap();
        assert_eq!(env.payload, b"hi");
    }
}
