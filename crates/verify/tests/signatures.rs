//! Verification over bytes: signatures and attestations made by the openssl-based reference
//! implementation of cosign's formats (tests/support/reference.rs), checked by the verify crate.

#[path = "support/reference.rs"]
mod reference;

use reference::{KeyKind, Keypair};
use serde_json::json;
use verify::attestation::check_attestation;
use verify::cosign::{check_signature, SignatureLayer};
use verify::{Failure, PublicKey, SbomFormat};

const IMAGE: &str = "sha256:112e9ec710324ff05729e4b270dc0505c7d9e2d1dd892551796d95417e1e09ec";
const OTHER: &str = "sha256:df376c2fc1bffa148346e35eb1224c1a71ef1e8b82aba28af7292d480b9c0c5b";

fn key(pair: &Keypair) -> PublicKey {
    PublicKey::from_file(&pair.public).expect("openssl's public key parses")
}

fn check(
    payload: &[u8],
    layer_digest: &str,
    signature: Option<&str>,
    keys: &[PublicKey],
) -> verify::SignatureCheck {
    let layer = SignatureLayer {
        source: "test",
        layer_digest,
        signature,
        has_certificate: false,
        payload,
    };
    check_signature(&layer, IMAGE, keys)
}

fn signed(pair: &Keypair, digest: &str) -> (Vec<u8>, String) {
    let payload =
        reference::simple_signing_payload("127.0.0.1:5000/app", digest, json!({"build": "42"}));
    let signature = reference::base64(&pair.sign(&payload));
    (payload, signature)
}

#[test]
fn p256_signature_verifies_and_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let (payload, signature) = signed(&pair, IMAGE);
    let result = check(
        &payload,
        &reference::sha256(&payload),
        Some(&signature),
        &[key(&pair)],
    );
    assert!(result.verified, "{result:?}");
    assert_eq!(
        result.key_fingerprint.as_deref(),
        Some(pair.fingerprint().as_str())
    );
    assert_eq!(result.digest.as_deref(), Some(IMAGE));
    assert_eq!(
        result.docker_reference.as_deref(),
        Some("127.0.0.1:5000/app")
    );
    assert_eq!(result.claims, Some(json!({"build": "42"})));
    assert_eq!(result.failure, None);
}

#[test]
fn raw_r_s_ecdsa_signature_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let payload = reference::simple_signing_payload("r/app", IMAGE, serde_json::Value::Null);
    let raw = pair.sign_raw(&payload);
    let result = check(
        &payload,
        &reference::sha256(&payload),
        Some(&reference::base64(&raw)),
        &[key(&pair)],
    );
    assert!(result.verified, "{result:?}");
    assert_eq!(result.claims, None);
}

#[test]
fn ed25519_signature_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "ed", KeyKind::Ed25519);
    let (payload, signature) = signed(&pair, IMAGE);
    let public = key(&pair);
    assert_eq!(public.kind(), "ed25519");
    let result = check(
        &payload,
        &reference::sha256(&payload),
        Some(&signature),
        &[public],
    );
    assert!(result.verified, "{result:?}");
    assert_eq!(
        result.key_fingerprint.as_deref(),
        Some(pair.fingerprint().as_str())
    );
}

#[test]
fn wrong_key_is_rejected_and_the_right_one_among_several_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let signer = Keypair::generate(dir.path(), "signer", KeyKind::P256);
    let other = Keypair::generate(dir.path(), "other", KeyKind::P256);
    let ed = Keypair::generate(dir.path(), "ed", KeyKind::Ed25519);
    let (payload, signature) = signed(&signer, IMAGE);
    let digest = reference::sha256(&payload);
    let wrong = check(
        &payload,
        &digest,
        Some(&signature),
        &[key(&other), key(&ed)],
    );
    assert!(!wrong.verified);
    assert_eq!(wrong.failure, Some(Failure::SignatureMismatch));
    assert!(
        wrong
            .error
            .as_deref()
            .unwrap()
            .contains(&other.fingerprint()),
        "{wrong:?}"
    );
    let found = check(
        &payload,
        &digest,
        Some(&signature),
        &[key(&other), key(&signer)],
    );
    assert_eq!(
        found.key_fingerprint.as_deref(),
        Some(signer.fingerprint().as_str())
    );
}

#[test]
fn signature_for_another_digest_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let (payload, signature) = signed(&pair, OTHER);
    let result = check(
        &payload,
        &reference::sha256(&payload),
        Some(&signature),
        &[key(&pair)],
    );
    assert!(!result.verified);
    assert_eq!(result.failure, Some(Failure::DigestMismatch));
    let error = result.error.unwrap();
    assert!(error.contains(OTHER) && error.contains(IMAGE), "{error}");
}

#[test]
fn tampered_payload_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let (payload, signature) = signed(&pair, OTHER);
    // Re-pointed at this image after signing: the signature no longer covers it.
    let altered = String::from_utf8(payload.clone())
        .unwrap()
        .replace(OTHER, IMAGE)
        .into_bytes();
    let result = check(
        &altered,
        &reference::sha256(&altered),
        Some(&signature),
        &[key(&pair)],
    );
    assert_eq!(
        result.failure,
        Some(Failure::SignatureMismatch),
        "{result:?}"
    );
    // Altered but still listed under the original layer digest: caught before any crypto.
    let result = check(
        &altered,
        &reference::sha256(&payload),
        Some(&signature),
        &[key(&pair)],
    );
    assert_eq!(result.failure, Some(Failure::PayloadTampered), "{result:?}");
    assert!(!pair.openssl_verifies(&altered, &reference::sign_decode(&signature)));
}

#[test]
fn malformed_signatures_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let (payload, signature) = signed(&pair, IMAGE);
    let digest = reference::sha256(&payload);
    let keys = [key(&pair)];
    let cases = [
        (
            check(&payload, &digest, None, &keys),
            "no dev.cosignproject.cosign/signature",
        ),
        (check(&payload, &digest, Some("%%%"), &keys), "not base64"),
        (
            check(&payload, &digest, Some("AAEC"), &keys),
            "not an ECDSA P-256 signature",
        ),
        (
            check(b"{}", &reference::sha256(b"{}"), Some(&signature), &keys),
            "not a cosign simple-signing",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(result.failure, Some(Failure::Malformed), "{result:?}");
        assert!(
            result.error.as_deref().unwrap().contains(expected),
            "{result:?}"
        );
    }
    let wrong_type = String::from_utf8(payload).unwrap().replace(
        "cosign container image signature",
        "atomic container signature",
    );
    let result = check(
        wrong_type.as_bytes(),
        &reference::sha256(wrong_type.as_bytes()),
        Some(&signature),
        &keys,
    );
    assert!(result.error.unwrap().contains("atomic container signature"));
    let none = check(b"{}", &reference::sha256(b"{}"), Some(&signature), &[]);
    assert!(!none.verified);
}

#[test]
fn key_files_other_than_p256_and_ed25519_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = |args: &[&str]| {
        assert!(std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success())
    };
    out(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "rsa.key",
    ]);
    out(&["pkey", "-in", "rsa.key", "-pubout", "-out", "rsa.pub"]);
    out(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        "p384.key",
    ]);
    out(&["pkey", "-in", "p384.key", "-pubout", "-out", "p384.pub"]);
    let rsa = PublicKey::from_file(&dir.path().join("rsa.pub"))
        .unwrap_err()
        .to_string();
    assert!(rsa.contains("RSA"), "{rsa}");
    let p384 = PublicKey::from_file(&dir.path().join("p384.pub"))
        .unwrap_err()
        .to_string();
    assert!(p384.contains("other than P-256"), "{p384}");
    let private = PublicKey::from_file(&dir.path().join("p384.key"))
        .unwrap_err()
        .to_string();
    assert!(private.contains("PRIVATE KEY"), "{private}");
    let garbage = PublicKey::from_pem(
        "g",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap_err();
    assert!(
        garbage.to_string().contains("SubjectPublicKeyInfo"),
        "{garbage}"
    );
    assert!(PublicKey::from_pem("g", &[0xff, 0xfe]).is_err());
}

fn attestation(
    pair: &Keypair,
    subject: &str,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> (Vec<u8>, String) {
    let statement = reference::in_toto_statement(subject, predicate_type, predicate);
    let envelope = reference::dsse_envelope(&statement, pair);
    let digest = reference::sha256(&envelope);
    (envelope, digest)
}

#[test]
fn slsa_v02_provenance_verifies_and_is_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let (envelope, digest) = attestation(
        &pair,
        IMAGE,
        "https://slsa.dev/provenance/v0.2",
        reference::slsa_v02_predicate(),
    );
    let result = check_attestation("test", &digest, &envelope, IMAGE, &[key(&pair)]);
    assert!(result.verified, "{result:?}");
    let provenance = result.provenance.unwrap();
    let expected = reference::slsa_v02_predicate();
    assert_eq!(
        provenance.builder_id.as_deref(),
        expected["builder"]["id"].as_str()
    );
    assert_eq!(
        provenance.source_repo.as_deref(),
        expected["invocation"]["configSource"]["uri"].as_str()
    );
    assert_eq!(provenance.materials.len(), 2);
    assert_eq!(provenance.materials[1].uri, "pkg:docker/debian@12");
    assert_eq!(
        provenance.materials[0].digest,
        vec!["sha1:4c2f3b1a9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a".to_string()]
    );
}

#[test]
fn slsa_v1_provenance_with_ed25519() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "ed", KeyKind::Ed25519);
    let (envelope, digest) = attestation(
        &pair,
        IMAGE,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let result = check_attestation("test", &digest, &envelope, IMAGE, &[key(&pair)]);
    assert!(result.verified, "{result:?}");
    let provenance = result.provenance.unwrap();
    assert_eq!(
        provenance.builder_id.as_deref(),
        Some("https://github.com/actions/runner/github-hosted")
    );
    assert_eq!(
        provenance.source_repo.as_deref(),
        Some("https://github.com/example/app")
    );
    assert_eq!(
        provenance.materials[0].digest,
        vec!["gitCommit:9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4c2f3b1a".to_string()]
    );
}

#[test]
fn attestations_for_another_image_or_by_another_key_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let other = Keypair::generate(dir.path(), "other", KeyKind::P256);
    let (envelope, digest) = attestation(
        &pair,
        OTHER,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let result = check_attestation("test", &digest, &envelope, IMAGE, &[key(&pair)]);
    assert_eq!(result.failure, Some(Failure::DigestMismatch), "{result:?}");
    let (envelope, digest) = attestation(
        &pair,
        IMAGE,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let result = check_attestation("test", &digest, &envelope, IMAGE, &[key(&other)]);
    assert_eq!(
        result.failure,
        Some(Failure::SignatureMismatch),
        "{result:?}"
    );
    // The envelope's payload swapped for another statement: PAE no longer matches.
    let forged = reference::in_toto_statement(
        IMAGE,
        "https://slsa.dev/provenance/v1",
        json!({"runDetails": {"builder": {"id": "evil"}}}),
    );
    let mut value: serde_json::Value = serde_json::from_slice(&envelope).unwrap();
    value["payload"] = json!(reference::base64(&forged));
    let tampered = serde_json::to_vec(&value).unwrap();
    let result = check_attestation(
        "test",
        &reference::sha256(&tampered),
        &tampered,
        IMAGE,
        &[key(&pair)],
    );
    assert_eq!(
        result.failure,
        Some(Failure::SignatureMismatch),
        "{result:?}"
    );
}

#[test]
fn attached_sbom_is_returned_for_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "openssl", "version": "3.0.11", "purl": "pkg:deb/debian/openssl@3.0.11"}]});
    let (envelope, digest) = attestation(&pair, IMAGE, "https://cyclonedx.org/bom", bom.clone());
    let result = check_attestation("test", &digest, &envelope, IMAGE, &[key(&pair)]);
    assert!(result.verified, "{result:?}");
    assert_eq!(result.sbom, Some(SbomFormat::CycloneDx));
    let found = verify::Verification {
        reference: "r".into(),
        digest: IMAGE.into(),
        signatures: vec![],
        attestations: vec![result],
        notes: vec![],
    };
    let (format, document) = found.attached_sbom().unwrap();
    assert_eq!(format, SbomFormat::CycloneDx);
    let parsed: serde_json::Value = serde_json::from_slice(document).unwrap();
    assert_eq!(parsed, bom);
    assert_eq!(found.attestations_of("cyclonedx").count(), 1);
}

#[test]
fn cosign3_bundles_are_signatures_or_attestations_by_predicate_type() {
    use verify::bundle::{check_bundle, Checked};
    let dir = tempfile::tempdir().unwrap();
    let pair = Keypair::generate(dir.path(), "p256", KeyKind::P256);
    let other = Keypair::generate(dir.path(), "other", KeyKind::P256);
    let bundle = reference::sigstore_bundle(&reference::cosign3_sign_statement(IMAGE), &pair);
    let digest = reference::sha256(&bundle);
    let Checked::Signature(signature) = check_bundle("t", &digest, &bundle, IMAGE, &[key(&pair)])
    else {
        panic!("a sign/v1 statement is a signature");
    };
    assert!(signature.verified, "{signature:?}");
    assert_eq!(
        signature.key_fingerprint.as_deref(),
        Some(pair.fingerprint().as_str())
    );
    let Checked::Signature(wrong) = check_bundle("t", &digest, &bundle, IMAGE, &[key(&other)])
    else {
        panic!("still a signature");
    };
    assert_eq!(wrong.failure, Some(Failure::SignatureMismatch));
    let for_other = reference::sigstore_bundle(&reference::cosign3_sign_statement(OTHER), &pair);
    let Checked::Signature(mismatch) = check_bundle(
        "t",
        &reference::sha256(&for_other),
        &for_other,
        IMAGE,
        &[key(&pair)],
    ) else {
        panic!("still a signature");
    };
    assert_eq!(mismatch.failure, Some(Failure::DigestMismatch));
    assert_eq!(mismatch.digest.as_deref(), Some(OTHER));
    let statement = reference::in_toto_statement(
        IMAGE,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let provenance = reference::sigstore_bundle(&statement, &pair);
    let Checked::Attestation(att) = check_bundle(
        "t",
        &reference::sha256(&provenance),
        &provenance,
        IMAGE,
        &[key(&pair)],
    ) else {
        panic!("provenance is an attestation");
    };
    assert!(att.verified, "{att:?}");
    assert_eq!(
        att.provenance.unwrap().source_repo.as_deref(),
        Some("https://github.com/example/app")
    );
}
