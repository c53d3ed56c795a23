//! `bulkhead verify` against a real registry (docker-registry on 127.0.0.1): images pushed by
//! skopeo, cosign-format signatures and attestations made by the openssl-based reference
//! implementation (crates/verify/tests/support/reference.rs; why not cosign itself: see there)
//! and pushed with curl, exactly where cosign puts them (`sha256-<hex>.sig` / `.att` tags, or
//! OCI 1.1 referrers through the `sha256-<hex>` index tag on registries without the API).

mod common;
#[path = "verify/push.rs"]
mod push;
#[path = "../../verify/tests/support/reference.rs"]
mod reference;
#[path = "verify/setup.rs"]
mod setup;

use reference::KeyKind;
use serde_json::{json, Value};
use setup::{setup, sig_tag, Setup, REPO};
use std::path::Path;
use std::process::Output;

fn verify(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut all = vec!["verify", "--insecure"];
    all.extend_from_slice(args);
    common::bulkhead(&all, cache.path())
}

fn json_verify(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = verify(&all);
    let code = out.status.code().unwrap_or(-1);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "exit {code}, not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, value)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn valid_p256_signature_verifies_and_table_names_the_key() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    s.sign(&key, &s.digest, &s.digest);
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["passed"], true);
    assert_eq!(out["digest"], s.digest.as_str());
    let signature = &out["signatures"][0];
    assert_eq!(signature["verified"], true, "{out:#}");
    assert_eq!(signature["key_fingerprint"], key.fingerprint().as_str());
    assert_eq!(signature["digest"], s.digest.as_str());
    assert_eq!(signature["claims"], json!({"pipeline": "release-42"}));
    assert_eq!(
        signature["docker_reference"],
        format!("{}/{REPO}", s.host()).as_str()
    );
    assert_eq!(signature["error"], Value::Null);

    let table = verify(&["--key", path(&key.public), &s.by_digest()]);
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&key.fingerprint()) && text.contains("✓ VERIFIED"),
        "{text}"
    );
}

#[test]
fn wrong_key_is_rejected_with_exit_1() {
    let s = setup();
    let signer = s.key("signer", KeyKind::P256);
    let other = s.key("other", KeyKind::P256);
    s.sign(&signer, &s.digest, &s.digest);
    let (code, out) = json_verify(&["--key", path(&other.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["passed"], false);
    assert_eq!(out["signatures"][0]["verified"], false);
    assert_eq!(out["signatures"][0]["failure"], "signature-mismatch");
    let error = out["signatures"][0]["error"].as_str().unwrap();
    assert!(error.contains(&other.fingerprint()), "{error}");
}

#[test]
fn a_signature_for_another_digest_is_rejected() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    // A genuine signature of image 2, copied to image 1's signature tag.
    s.sign(&key, &s.other_digest, &s.digest);
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    let signature = &out["signatures"][0];
    assert_eq!(signature["failure"], "digest-mismatch", "{out:#}");
    assert_eq!(signature["digest"], s.other_digest.as_str());
    let reason = out["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains(&s.other_digest) && reason.contains(&s.digest),
        "{reason}"
    );
}

#[test]
fn a_payload_tampered_in_registry_storage_is_rejected() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let layer = s.sign(&key, &s.other_digest, &s.digest);
    // Re-point the stored payload at image 1 without re-signing (same length: other digest).
    let stored = s.registry.blob_path(&layer);
    let text = std::fs::read_to_string(&stored).unwrap();
    assert!(text.contains(&s.other_digest));
    std::fs::write(&stored, text.replace(&s.other_digest, &s.digest)).unwrap();
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(
        out["signatures"][0]["failure"], "payload-tampered",
        "{out:#}"
    );
    assert!(out["signatures"][0]["error"]
        .as_str()
        .unwrap()
        .contains(&layer));
}

#[test]
fn a_tampered_payload_pushed_as_a_new_blob_fails_the_signature() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let payload = reference::simple_signing_payload("x/app", &s.other_digest, Value::Null);
    let signature = key.sign(&payload);
    let forged = String::from_utf8(payload)
        .unwrap()
        .replace(&s.other_digest, &s.digest)
        .into_bytes();
    let artifact = reference::artifact_manifest(
        &[reference::signature_layer(forged, &signature)],
        None,
        None,
    );
    push::push_artifact(&s.host(), REPO, &sig_tag(&s.digest, "sig"), &artifact);
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(
        out["signatures"][0]["failure"], "signature-mismatch",
        "{out:#}"
    );
}

#[test]
fn no_signature_is_a_clear_failure() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let out = verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("no signatures found for {}", s.digest)),
        "{text}"
    );
    assert!(text.contains("NOT VERIFIED"), "{text}");
}

#[test]
fn ed25519_signature_found_through_oci_referrers() {
    let s = setup();
    let key = s.key("ed", KeyKind::Ed25519);
    let payload =
        reference::simple_signing_payload(&format!("{}/{REPO}", s.host()), &s.digest, Value::Null);
    let signature = key.sign(&payload);
    let artifact_digest = s.attach_as_referrer(
        reference::signature_layer(payload, &signature),
        "application/vnd.dev.cosign.artifact.sig.v1+json",
    );
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_digest()]);
    assert_eq!(code, 0, "{out:#}");
    let found = &out["signatures"][0];
    assert_eq!(
        found["source"],
        format!("referrer {artifact_digest}").as_str()
    );
    assert_eq!(found["key_fingerprint"], key.fingerprint().as_str());
}

#[test]
fn slsa_provenance_attestation_is_verified_and_shown() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    s.sign(&key, &s.digest, &s.digest);
    s.attest(
        &key,
        "https://slsa.dev/provenance/v0.2",
        reference::slsa_v02_predicate(),
    );
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 0, "{out:#}");
    let attestation = &out["attestations"][0];
    let expected = reference::slsa_v02_predicate();
    assert_eq!(attestation["verified"], true, "{out:#}");
    assert_eq!(
        attestation["predicate_type"],
        "https://slsa.dev/provenance/v0.2"
    );
    assert_eq!(attestation["key_fingerprint"], key.fingerprint().as_str());
    assert_eq!(
        attestation["provenance"]["builder_id"],
        expected["builder"]["id"]
    );
    assert_eq!(
        attestation["provenance"]["source_repo"],
        expected["invocation"]["configSource"]["uri"]
    );
    assert_eq!(
        attestation["provenance"]["materials"][1]["uri"],
        expected["materials"][1]["uri"]
    );

    let table = verify(&["--key", path(&key.public), &s.by_tag()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(expected["builder"]["id"].as_str().unwrap()),
        "{text}"
    );
    assert!(text.contains("pkg:docker/debian@12"), "{text}");
}

fn write_policy(s: &Setup, text: &str) -> std::path::PathBuf {
    let file = s.dir.path().join("policy.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn policy_registry_not_allowed_fails_without_contacting_it() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    s.sign(&key, &s.digest, &s.digest);
    let policy = write_policy(&s, "keys: {release: release.pub}\nallowedRegistries: [registry.example.com/team]\nexitCode: 3\n");
    let before = s.registry.log().matches("/manifests/").count();
    let (code, out) = json_verify(&["--policy", path(&policy), &s.by_digest()]);
    assert_eq!(code, 3, "{out:#}");
    assert_eq!(out["policy"]["violations"][0]["rule"], "allowed-registries");
    assert!(out["reasons"][0]
        .as_str()
        .unwrap()
        .contains("not in an allowed registry"));
    assert_eq!(
        s.registry.log().matches("/manifests/").count(),
        before,
        "registry was contacted"
    );
    let allowed = write_policy(
        &s,
        "keys: {release: release.pub}\nallowedRegistries: [\"127.0.0.1:*/team\"]\n",
    );
    let (code, out) = json_verify(&["--policy", path(&allowed), &s.by_digest()]);
    assert_eq!(code, 0, "{out:#}");
}

#[test]
fn policy_requires_a_digest_reference() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    s.sign(&key, &s.digest, &s.digest);
    let policy = write_policy(&s, "keys: {release: release.pub}\nrequireDigest: true\n");
    let (code, out) = json_verify(&["--policy", path(&policy), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["policy"]["violations"][0]["rule"], "require-digest");
    assert_eq!(
        out["signatures"][0]["verified"], true,
        "the signature itself is fine"
    );
    let (code, _) = json_verify(&["--policy", path(&policy), &s.by_digest()]);
    assert_eq!(code, 0);
}

#[test]
fn policy_missing_attestation_fails_with_the_type() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    s.sign(&key, &s.digest, &s.digest);
    let policy = write_policy(
        &s,
        "keys: {release: release.pub}\nattestations: [https://slsa.dev/provenance/v1]\n",
    );
    let (code, out) = json_verify(&["--policy", path(&policy), &s.by_digest()]);
    assert_eq!(code, 1, "{out:#}");
    let violation = &out["policy"]["violations"][0];
    assert_eq!(violation["rule"], "attestations");
    assert!(violation["message"]
        .as_str()
        .unwrap()
        .contains("https://slsa.dev/provenance/v1"));
    s.attest(
        &key,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let (code, out) = json_verify(&["--policy", path(&policy), &s.by_digest()]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["attestations"][0]["provenance"]["source_repo"],
        "https://github.com/example/app"
    );
}

#[test]
fn errors_exit_2() {
    let s = setup();
    let not_a_key = s.dir.path().join("not-a-key.pub");
    std::fs::write(&not_a_key, "hello").unwrap();
    let out = verify(&["--key", path(&not_a_key), &s.by_tag()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-key.pub"));
    let key = s.key("release", KeyKind::P256);
    let missing = format!("{}/{REPO}:nope", s.host());
    let out = verify(&["--key", path(&key.public), &missing]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&[&s.by_tag()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "neither --key nor --policy is a usage error"
    );
}

#[test]
fn hostile_signature_and_attestation_layers_are_findings_not_crashes() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let garbage = reference::Layer {
        media_type: "application/vnd.dev.cosign.simplesigning.v1+json",
        blob: b"\xff\xfe not json".to_vec(),
        annotations: json!({"dev.cosignproject.cosign/signature": "A".repeat(10_000)}),
    };
    let deep = reference::Layer {
        media_type: "application/vnd.dsse.envelope.v1+json",
        blob: format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        annotations: json!({}),
    };
    let signatures = reference::artifact_manifest(&[garbage], None, None);
    push::push_artifact(&s.host(), REPO, &sig_tag(&s.digest, "sig"), &signatures);
    let attestations = reference::artifact_manifest(&[deep], None, None);
    push::push_artifact(&s.host(), REPO, &sig_tag(&s.digest, "att"), &attestations);
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["signatures"][0]["failure"], "malformed");
    assert_eq!(out["attestations"][0]["failure"], "malformed");
    assert!(out["attestations"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not a DSSE envelope"));
}

#[test]
fn attestation_found_through_oci_referrers_next_to_a_signature() {
    let s = setup();
    let key = s.key("release", KeyKind::Ed25519);
    let payload = reference::simple_signing_payload("x/app", &s.digest, Value::Null);
    let signature = key.sign(&payload);
    s.attach_as_referrer(
        reference::signature_layer(payload, &signature),
        "application/vnd.dev.cosign.artifact.sig.v1+json",
    );
    let statement = reference::in_toto_statement(
        &s.digest,
        "https://slsa.dev/provenance/v1",
        reference::slsa_v1_predicate(),
    );
    let envelope = reference::dsse_envelope(&statement, &key);
    let att = s.attach_as_referrer(
        reference::attestation_layer(envelope, "https://slsa.dev/provenance/v1"),
        "application/vnd.dsse.envelope.v1+json",
    );
    let policy = write_policy(
        &s,
        "keys: {release: release.pub}\nattestations: [slsaprovenance1]\n",
    );
    let (code, out) = json_verify(&["--policy", path(&policy), &s.by_digest()]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["signatures"][0]["verified"], true);
    assert_eq!(
        out["attestations"][0]["source"],
        format!("referrer {att}").as_str()
    );
    assert_eq!(
        out["attestations"][0]["provenance"]["builder_id"],
        "https://github.com/actions/runner/github-hosted"
    );
}

#[test]
fn cosign3_bundle_signature_found_through_referrers() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let bundle = reference::sigstore_bundle(&reference::cosign3_sign_statement(&s.digest), &key);
    let artifact = s.attach_as_referrer(
        reference::bundle_layer(bundle),
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    );
    let (code, out) = json_verify(&["--key", path(&key.public), &s.by_tag()]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        out["signatures"][0]["source"],
        format!("referrer {artifact}").as_str()
    );
    assert_eq!(out["signatures"][0]["digest"], s.digest.as_str());
    let other = s.key("other", KeyKind::Ed25519);
    let (code, out) = json_verify(&["--key", path(&other.public), &s.by_tag()]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["signatures"][0]["failure"], "signature-mismatch");
}

#[test]
fn attached_sbom_is_fetched_from_the_registry_for_scanning() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
                     "components": [{"type": "library", "name": "zlib", "version": "1.2.13",
                                     "purl": "pkg:deb/debian/zlib@1.2.13"}]});
    s.attest(&key, "https://cyclonedx.org/bom", bom.clone());
    let reference = source::registry::Reference::parse(&s.by_tag()).unwrap();
    let options = source::registry::RegistryOptions {
        insecure: true,
        ..Default::default()
    };
    let keys = [verify::PublicKey::from_file(&key.public).unwrap()];
    let (format, document) = verify::attached_sbom(&reference, &options, &keys)
        .unwrap()
        .expect("an SBOM attestation");
    assert_eq!(format, verify::SbomFormat::CycloneDx);
    assert_eq!(serde_json::from_slice::<Value>(&document).unwrap(), bom);
    // Not signed by this key: no SBOM is handed out.
    let other = s.key("other", KeyKind::Ed25519);
    let keys = [verify::PublicKey::from_file(&other.public).unwrap()];
    assert!(verify::attached_sbom(&reference, &options, &keys)
        .unwrap()
        .is_none());
}

#[test]
fn bulkhead_sbom_scans_only_an_attached_sbom_signed_by_the_key() {
    let s = setup();
    let key = s.key("release", KeyKind::P256);
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
                     "components": [{"type": "library", "name": "zlib", "version": "1.2.13",
                                     "purl": "pkg:deb/debian/zlib@1.2.13"}]});
    s.attest(&key, "https://cyclonedx.org/bom", bom);
    let reference = s.by_tag();
    let scan = |public: &Path| {
        common::bulkhead(
            &[
                "sbom",
                "--insecure",
                "--quiet",
                "--format",
                "json",
                "--key",
                path(public),
                &reference,
            ],
            common::cache_with_os_feeds(),
        )
    };
    let out = scan(&key.public);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["artifact"]["type"], "sbom");
    let packages: Vec<(&str, &str)> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(packages, [("zlib", "1.2.13")]);

    // Signed by someone else: never scanned in place of the image.
    let other = s.key("other", KeyKind::Ed25519);
    let out = scan(&other.public);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no SBOM attestation signed"), "{stderr}");
}
