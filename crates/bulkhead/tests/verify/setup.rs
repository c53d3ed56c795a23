//! The registry every `bulkhead verify` test starts from, and how signatures are pushed to it.

use crate::common::{self, registry::Registry};
use crate::push;
use crate::reference::{self, KeyKind, Keypair};
use serde_json::{json, Value};

pub const REPO: &str = "team/app";

/// A registry holding two different images, `team/app:1` and `team/app:2`.
pub struct Setup {
    pub registry: Registry,
    pub dir: tempfile::TempDir,
    pub digest: String,
    pub other_digest: String,
    /// What the referrers fallback index lists so far.
    pub referrers_index: std::cell::RefCell<Vec<Value>>,
}

pub fn setup() -> Setup {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    for (tag, content) in [("1", "one"), ("2", "two")] {
        let built = common::build(
            &[common::layer(
                "COPY hello",
                vec![common::file("etc/hello", content)],
            )],
            "amd64",
        );
        common::oci_layout(&dir.path().join(format!("layout-{tag}")), &[(tag, &built)]);
    }
    let digest = registry.push(
        &dir.path().join("layout-1"),
        "1",
        &format!("{REPO}:1"),
        false,
    );
    let other_digest = registry.push(
        &dir.path().join("layout-2"),
        "2",
        &format!("{REPO}:2"),
        false,
    );
    assert_ne!(digest, other_digest);
    Setup {
        registry,
        dir,
        digest,
        other_digest,
        referrers_index: Default::default(),
    }
}

impl Setup {
    pub fn host(&self) -> String {
        self.registry.host()
    }

    pub fn key(&self, name: &str, kind: KeyKind) -> Keypair {
        Keypair::generate(self.dir.path(), name, kind)
    }

    /// A cosign signature by `key` over a payload naming `signed_digest`, pushed to the
    /// `.sig` tag of `attach_to`. Returns the payload's layer digest.
    pub fn sign(&self, key: &Keypair, signed_digest: &str, attach_to: &str) -> String {
        let payload = reference::simple_signing_payload(
            &format!("{}/{REPO}", self.host()),
            signed_digest,
            json!({"pipeline": "release-42"}),
        );
        let signature = key.sign(&payload);
        let layer_digest = reference::sha256(&payload);
        let artifact = reference::artifact_manifest(
            &[reference::signature_layer(payload, &signature)],
            None,
            None,
        );
        push::push_artifact(&self.host(), REPO, &sig_tag(attach_to, "sig"), &artifact);
        layer_digest
    }

    pub fn attest(&self, key: &Keypair, predicate_type: &str, predicate: Value) {
        let statement = reference::in_toto_statement(&self.digest, predicate_type, predicate);
        let envelope = reference::dsse_envelope(&statement, key);
        let artifact = reference::artifact_manifest(
            &[reference::attestation_layer(envelope, predicate_type)],
            None,
            None,
        );
        push::push_artifact(&self.host(), REPO, &sig_tag(&self.digest, "att"), &artifact);
    }

    /// Pushes `layer` in a manifest whose `subject` is image 1 and lists it in the OCI 1.1
    /// fallback index tag `sha256-<hex>` (distribution 2.8 has no referrers API); returns the
    /// artifact manifest's digest.
    pub fn attach_as_referrer(&self, layer: reference::Layer, artifact_type: &str) -> String {
        let image_manifest = std::fs::read(
            self.dir
                .path()
                .join("layout-1/blobs/sha256")
                .join(&self.digest[7..]),
        )
        .unwrap();
        let artifact = reference::artifact_manifest(
            &[layer],
            Some(artifact_type),
            Some((
                &self.digest,
                image_manifest.len() as u64,
                "application/vnd.oci.image.manifest.v1+json",
            )),
        );
        let artifact_digest = reference::sha256(&artifact.manifest);
        push::push_artifact(&self.host(), REPO, &artifact_digest, &artifact);
        let fallback_tag = self.digest.replace(':', "-");
        let mut manifests = self.referrers_index.borrow_mut();
        manifests.push(json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": artifact_digest, "size": artifact.manifest.len(), "artifactType": artifact_type}));
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": *manifests
        }))
        .unwrap();
        push::put_manifest(
            &self.host(),
            REPO,
            &fallback_tag,
            &index,
            "application/vnd.oci.image.index.v1+json",
        );
        artifact_digest
    }

    pub fn by_tag(&self) -> String {
        format!("{}/{REPO}:1", self.host())
    }

    pub fn by_digest(&self) -> String {
        format!("{}/{REPO}@{}", self.host(), self.digest)
    }
}

pub fn sig_tag(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replace(':', "-"))
}
