//! A reference implementation of cosign's formats for tests, built on the real `openssl` CLI.
//! The `cosign` CLI itself cannot be installed here (it ships only as a prebuilt download, not in
//! Debian, PyPI or npm; see /work/shared/README.md), so signatures are made the way cosign makes
//! them, from its documented formats:
//! - `cosign sign --key`: the simple-signing payload `{"critical":{"identity":{"docker-reference"},
//!   "image":{"docker-manifest-digest"},"type":"cosign container image signature"},"optional"}`
//!   is pushed as a layer (media type `application/vnd.dev.cosign.simplesigning.v1+json`) of an
//!   OCI manifest tagged `sha256-<hex>.sig`; the layer annotation
//!   `dev.cosignproject.cosign/signature` is base64 of ECDSA-P256-SHA256 (ASN.1 DER) or Ed25519
//!   over the payload bytes.
//! - `cosign attest --key`: a DSSE envelope (payloadType `application/vnd.in-toto+json`, signature
//!   over PAE) around an in-toto Statement, as a layer of media type
//!   `application/vnd.dsse.envelope.v1+json` with a `predicateType` annotation, tagged
//!   `sha256-<hex>.att`.
//!
//! Every signature made here is checked by `openssl` itself before use (see `sign`), so the
//! reference is tested by the tool, not by the code under test. Nothing here uses the verify crate.
#![allow(dead_code)]

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyKind {
    P256,
    Ed25519,
}

pub struct Keypair {
    pub kind: KeyKind,
    pub private: PathBuf,
    pub public: PathBuf,
    dir: PathBuf,
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn openssl(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI runs (apt-get install openssl)");
    out
}

fn openssl_ok(args: &[&str]) -> Vec<u8> {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

impl Keypair {
    pub fn generate(dir: &Path, name: &str, kind: KeyKind) -> Keypair {
        let private = dir.join(format!("{name}.key"));
        let public = dir.join(format!("{name}.pub"));
        match kind {
            KeyKind::P256 => openssl_ok(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                path(&private),
            ]),
            KeyKind::Ed25519 => {
                openssl_ok(&["genpkey", "-algorithm", "ed25519", "-out", path(&private)])
            }
        };
        openssl_ok(&[
            "pkey",
            "-in",
            path(&private),
            "-pubout",
            "-out",
            path(&public),
        ]);
        Keypair {
            kind,
            private,
            public,
            dir: dir.to_path_buf(),
        }
    }

    /// `sha256:` of the public key's DER SubjectPublicKeyInfo, as openssl encodes it.
    pub fn fingerprint(&self) -> String {
        let der = openssl_ok(&[
            "pkey",
            "-pubin",
            "-in",
            path(&self.public),
            "-outform",
            "DER",
        ]);
        sha256(&der)
    }

    /// Signs like cosign: ECDSA P-256 over SHA-256 (DER), or pure Ed25519. Checked by openssl.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let n = Sha256::digest(message);
        let msg = self.dir.join(format!("msg-{}", hex::encode(&n[..8])));
        let sig = self.dir.join(format!("sig-{}", hex::encode(&n[..8])));
        std::fs::write(&msg, message).unwrap();
        match self.kind {
            KeyKind::P256 => openssl_ok(&[
                "dgst",
                "-sha256",
                "-sign",
                path(&self.private),
                "-out",
                path(&sig),
                path(&msg),
            ]),
            KeyKind::Ed25519 => openssl_ok(&[
                "pkeyutl",
                "-sign",
                "-inkey",
                path(&self.private),
                "-rawin",
                "-in",
                path(&msg),
                "-out",
                path(&sig),
            ]),
        };
        let signature = std::fs::read(&sig).unwrap();
        assert!(
            self.openssl_verifies(message, &signature),
            "openssl accepts its own signature"
        );
        signature
    }

    pub fn openssl_verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let n = Sha256::digest([message, signature].concat());
        let msg = self.dir.join(format!("vmsg-{}", hex::encode(&n[..8])));
        let sig = self.dir.join(format!("vsig-{}", hex::encode(&n[..8])));
        std::fs::write(&msg, message).unwrap();
        std::fs::write(&sig, signature).unwrap();
        let out = match self.kind {
            KeyKind::P256 => openssl(&[
                "dgst",
                "-sha256",
                "-verify",
                path(&self.public),
                "-signature",
                path(&sig),
                path(&msg),
            ]),
            KeyKind::Ed25519 => openssl(&[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                path(&self.public),
                "-rawin",
                "-in",
                path(&msg),
                "-sigfile",
                path(&sig),
            ]),
        };
        out.status.success()
    }

    /// An ECDSA signature in the raw `r||s` form (32 + 32 bytes), from openssl's own ASN.1 dump.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        assert_eq!(self.kind, KeyKind::P256);
        let der = self.sign(message);
        let file = self.dir.join("raw.der");
        std::fs::write(&file, &der).unwrap();
        let dump = String::from_utf8(openssl_ok(&[
            "asn1parse",
            "-inform",
            "DER",
            "-in",
            path(&file),
        ]))
        .unwrap();
        let mut raw = Vec::new();
        for line in dump.lines().filter(|l| l.contains("INTEGER")) {
            let hex_value = line.rsplit(':').next().unwrap().trim();
            let hex_value = if hex_value.len() % 2 == 1 {
                format!("0{hex_value}")
            } else {
                hex_value.to_string()
            };
            let bytes = hex::decode(hex_value).unwrap();
            let bytes = &bytes[bytes.len().saturating_sub(32)..];
            raw.extend(std::iter::repeat_n(0u8, 32 - bytes.len()));
            raw.extend_from_slice(bytes);
        }
        assert_eq!(raw.len(), 64, "r and s from {dump}");
        raw
    }
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// cosign's simple-signing payload, compact JSON as cosign writes it.
pub fn simple_signing_payload(docker_reference: &str, digest: &str, optional: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": optional
    }))
    .unwrap()
}

/// DSSE v1 pre-authentication encoding, written from the DSSE protocol document.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

pub fn in_toto_statement(subject_digest: &str, predicate_type: &str, predicate: Value) -> Vec<u8> {
    let hex = subject_digest.strip_prefix("sha256:").unwrap();
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": "index.docker.io/library/app", "digest": {"sha256": hex}}],
        "predicate": predicate
    }))
    .unwrap()
}

pub fn dsse_envelope(statement: &[u8], key: &Keypair) -> Vec<u8> {
    let payload_type = "application/vnd.in-toto+json";
    let signature = key.sign(&pae(payload_type, statement));
    serde_json::to_vec(&json!({
        "payloadType": payload_type,
        "payload": base64(statement),
        "signatures": [{"keyid": "", "sig": base64(&signature)}]
    }))
    .unwrap()
}

/// One layer of a signature or attestation manifest.
pub struct Layer {
    pub media_type: &'static str,
    pub blob: Vec<u8>,
    pub annotations: Value,
}

pub fn signature_layer(payload: Vec<u8>, signature: &[u8]) -> Layer {
    Layer {
        media_type: "application/vnd.dev.cosign.simplesigning.v1+json",
        blob: payload,
        annotations: json!({"dev.cosignproject.cosign/signature": base64(signature)}),
    }
}

pub fn attestation_layer(envelope: Vec<u8>, predicate_type: &str) -> Layer {
    Layer {
        media_type: "application/vnd.dsse.envelope.v1+json",
        blob: envelope,
        annotations: json!({"predicateType": predicate_type}),
    }
}

/// An OCI manifest as cosign pushes it; blobs to upload first (config and layers) and the
/// manifest bytes. `subject` (digest, size, media type) makes it an OCI 1.1 referrer.
pub struct ArtifactManifest {
    pub blobs: Vec<Vec<u8>>,
    pub manifest: Vec<u8>,
}

pub fn artifact_manifest(
    layers: &[Layer],
    artifact_type: Option<&str>,
    subject: Option<(&str, u64, &str)>,
) -> ArtifactManifest {
    let config = b"{}".to_vec();
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": config.len(), "digest": sha256(&config)},
        "layers": layers.iter().map(|l| json!({
            "mediaType": l.media_type, "size": l.blob.len(), "digest": sha256(&l.blob), "annotations": l.annotations
        })).collect::<Vec<_>>()
    });
    if let Some(kind) = artifact_type {
        manifest["artifactType"] = json!(kind);
    }
    if let Some((digest, size, media_type)) = subject {
        manifest["subject"] = json!({"mediaType": media_type, "digest": digest, "size": size});
    }
    let mut blobs = vec![config];
    blobs.extend(layers.iter().map(|l| l.blob.clone()));
    ArtifactManifest {
        blobs,
        manifest: serde_json::to_vec(&manifest).unwrap(),
    }
}

pub fn slsa_v02_predicate() -> Value {
    json!({
        "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0"},
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "invocation": {"configSource": {"uri": "git+https://github.com/example/app@refs/heads/main",
                                        "digest": {"sha1": "4c2f3b1a9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"},
                                        "entryPoint": ".github/workflows/release.yml"}},
        "materials": [
            {"uri": "git+https://github.com/example/app@refs/heads/main", "digest": {"sha1": "4c2f3b1a9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"}},
            {"uri": "pkg:docker/debian@12", "digest": {"sha256": "b5c4d3e2f1a0b9c8d7e6f5a4c2f3b1a9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4"}}
        ]
    })
}

pub fn slsa_v1_predicate() -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/tags/v1.4.0", "repository": "https://github.com/example/app", "path": ".github/workflows/release.yml"}},
            "resolvedDependencies": [{"uri": "git+https://github.com/example/app@refs/tags/v1.4.0", "digest": {"gitCommit": "9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4c2f3b1a"}}]
        },
        "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}, "metadata": {"invocationId": "1"}}
    })
}

pub fn sign_decode(signature: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap()
}

/// A cosign 3 image signature: a sigstore bundle (v0.3) whose DSSE envelope holds an in-toto
/// statement of type `https://sigstore.dev/cosign/sign/v1` about the image digest.
pub fn sigstore_bundle(statement: &[u8], key: &Keypair) -> Vec<u8> {
    let envelope: Value = serde_json::from_slice(&dsse_envelope(statement, key)).unwrap();
    serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": key.fingerprint()}, "tlogEntries": []},
        "dsseEnvelope": envelope
    }))
    .unwrap()
}

pub fn cosign3_sign_statement(digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": digest.strip_prefix("sha256:").unwrap()}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {}
    }))
    .unwrap()
}

pub fn bundle_layer(bundle: Vec<u8>) -> Layer {
    Layer {
        media_type: "application/vnd.dev.sigstore.bundle.v0.3+json",
        blob: bundle,
        annotations: json!({}),
    }
}
