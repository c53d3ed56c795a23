//! Policy files: parsing, key resolution and each rule's verdict over a [`Verification`] built
//! from signatures made by the openssl-based reference implementation.

#[path = "support/reference.rs"]
mod reference;

use reference::{KeyKind, Keypair};
use serde_json::json;
use std::path::Path;
use verify::attestation::check_attestation;
use verify::cosign::{check_signature, SignatureLayer};
use verify::{Policy, PublicKey, Verification};

const IMAGE: &str = "sha256:112e9ec710324ff05729e4b270dc0505c7d9e2d1dd892551796d95417e1e09ec";

fn signature(pair: &Keypair, keys: &[PublicKey]) -> verify::SignatureCheck {
    let payload = reference::simple_signing_payload("r/app", IMAGE, serde_json::Value::Null);
    let signature = reference::base64(&pair.sign(&payload));
    let digest = reference::sha256(&payload);
    let layer = SignatureLayer {
        source: "t",
        layer_digest: &digest,
        signature: Some(&signature),
        has_certificate: false,
        payload: &payload,
    };
    check_signature(&layer, IMAGE, keys)
}

fn found(
    signatures: Vec<verify::SignatureCheck>,
    attestations: Vec<verify::AttestationCheck>,
) -> Verification {
    Verification {
        reference: "r/app".into(),
        digest: IMAGE.into(),
        signatures,
        attestations,
        notes: vec![],
    }
}

fn policy(dir: &Path, text: &str) -> Policy {
    std::fs::write(dir.join("policy.yaml"), text).unwrap();
    Policy::load(&dir.join("policy.yaml")).unwrap()
}

#[test]
fn the_example_policy_parses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    let keys = dir.path().join("keys");
    Keypair::generate(&keys, "release", KeyKind::P256);
    Keypair::generate(&keys, "security-team", KeyKind::Ed25519);
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/verify-policy.example.yaml");
    std::fs::copy(example, dir.path().join("policy.yaml")).unwrap();
    let policy = Policy::load(&dir.path().join("policy.yaml")).unwrap();
    assert_eq!(policy.keys.len(), 2);
    assert_eq!(policy.exit_code, 3);
    assert!(policy.require_digest);
    assert_eq!(
        policy.attestations,
        [
            "https://slsa.dev/provenance/v1",
            "https://cyclonedx.org/bom"
        ]
    );
    assert!(policy
        .check_reference("registry.example.com/team/app", true)
        .is_empty());
    assert!(policy
        .check_reference("eu.registry.example.com/prod/a/b", true)
        .is_empty());
    let violations = policy.check_reference("registry.example.com/teamx/app", false);
    let rules: Vec<&str> = violations.iter().map(|v| v.rule).collect();
    assert_eq!(rules, ["allowed-registries", "require-digest"]);
}

#[test]
fn any_of_and_all_of() {
    let dir = tempfile::tempdir().unwrap();
    let a = Keypair::generate(dir.path(), "a", KeyKind::P256);
    Keypair::generate(dir.path(), "b", KeyKind::Ed25519);
    let any = policy(
        dir.path(),
        "keys: {a: a.pub, b: b.pub}\nsignatures: {anyOf: [a, b]}\n",
    );
    let signed_by_a = found(vec![signature(&a, &any.keys)], vec![]);
    assert!(any.check_verification(&signed_by_a).is_empty());
    let all = policy(
        dir.path(),
        "keys: {a: a.pub, b: b.pub}\nsignatures: {allOf: [a, b]}\n",
    );
    let violations = all.check_verification(&found(vec![signature(&a, &all.keys)], vec![]));
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, "signatures");
    assert!(violations[0].message.contains("key(s) b"), "{violations:?}");
    let unsigned = all.check_verification(&found(vec![], vec![]));
    assert!(
        unsigned[0].message.contains("no signatures found"),
        "{unsigned:?}"
    );
    // Keys without a rule: any of them.
    let implicit = policy(dir.path(), "keys: {b: b.pub}\n");
    let violations =
        implicit.check_verification(&found(vec![signature(&a, &implicit.keys)], vec![]));
    assert!(
        violations[0].message.contains("signature does not verify"),
        "{violations:?}"
    );
}

#[test]
fn required_attestation_types() {
    let dir = tempfile::tempdir().unwrap();
    let a = Keypair::generate(dir.path(), "a", KeyKind::P256);
    let p = policy(
        dir.path(),
        "keys: {a: a.pub}\nattestations: [slsaprovenance1]\n",
    );
    let statement = reference::in_toto_statement(
        IMAGE,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let envelope = reference::dsse_envelope(&statement, &a);
    let provenance = check_attestation(
        "t",
        &reference::sha256(&envelope),
        &envelope,
        IMAGE,
        &p.keys,
    );
    let sig = signature(&a, &p.keys);
    assert!(p
        .check_verification(&found(vec![sig.clone()], vec![provenance]))
        .is_empty());
    let sbom = reference::in_toto_statement(
        IMAGE,
        "https://spdx.dev/Document",
        json!({"spdxVersion": "SPDX-2.3"}),
    );
    let envelope = reference::dsse_envelope(&sbom, &a);
    let only_sbom = check_attestation(
        "t",
        &reference::sha256(&envelope),
        &envelope,
        IMAGE,
        &p.keys,
    );
    let violations = p.check_verification(&found(vec![sig], vec![only_sbom]));
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, "attestations");
    assert!(violations[0]
        .message
        .contains("https://slsa.dev/provenance/v1"));
    assert!(
        violations[0].message.contains("https://spdx.dev/Document"),
        "{violations:?}"
    );
}

#[test]
fn bad_policies_are_errors_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    Keypair::generate(dir.path(), "a", KeyKind::P256);
    let cases = [
        (
            "keys: {a: a.pub}\nsignatures: {anyOf: [b]}\n",
            "key \"b\" is not defined",
        ),
        ("keys: {a: a.pub}\nsignatures: {anyOf: []}\n", "empty"),
        (
            "requireDigest: true\nallowedRegistry: [x]\n",
            "allowedRegistry",
        ),
        ("exitCode: 2\n", "exitCode"),
        ("keys: {a: missing.pub}\n", "missing.pub"),
        ("keys: [", ""),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join("p.yaml"), text).unwrap();
        let error = Policy::load(&dir.path().join("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
}

#[test]
fn required_attestations_must_be_signed_by_a_policy_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = Keypair::generate(dir.path(), "a", KeyKind::P256);
    let outsider = Keypair::generate(dir.path(), "outsider", KeyKind::Ed25519);
    let p = policy(
        dir.path(),
        "keys: {a: a.pub}\nattestations: [slsaprovenance1]\n",
    );
    let statement = reference::in_toto_statement(
        IMAGE,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let envelope = reference::dsse_envelope(&statement, &outsider);
    // Verified with a key given on the command line, which the policy does not name.
    let extra = PublicKey::from_file(&outsider.public).unwrap();
    let mut keys = p.keys.clone();
    keys.push(extra);
    let att = check_attestation("t", &reference::sha256(&envelope), &envelope, IMAGE, &keys);
    assert!(att.verified);
    let sig = signature(&a, &p.keys);
    let violations = p.check_verification(&found(vec![sig], vec![att]));
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].rule, "attestations");
}
