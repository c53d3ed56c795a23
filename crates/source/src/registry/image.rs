//! A registry image as a [`crate::Image`] plus a [`BlobStore`] that streams its layers.

use super::{parse_json, Client, Error, Fetched, Reference, RegistryOptions};
use crate::oci::{choose_platform, layer_descs};
use crate::spec::{ImageConfig, Index, Manifest};
use crate::{BlobStore, Image, Result, SelectOptions, SourceError};
use std::io::Read;

/// Indexes may nest (rarely); more than this is hostile.
fn max_index_depth() -> u8 {
    u8::try_from(inventory::limits::get(inventory::limits::Limit::IndexDepth)).unwrap_or(u8::MAX)
}

/// Serves the layers of one repository straight from the registry.
pub struct RegistryBlobs {
    client: Client,
}

impl RegistryBlobs {
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Resolves `reference` (tag or digest, through image indexes by platform) to one image;
/// `name` is what the user typed, for the report.
pub fn open(
    name: &str,
    reference: &Reference,
    options: &RegistryOptions,
) -> Result<(Image, RegistryBlobs)> {
    let client = Client::new(reference, options)?;
    let select = SelectOptions {
        platform: options.platform.clone(),
        max_document_size: options.max_document_size,
        ..SelectOptions::default()
    };
    let mut fetched = client.manifest(reference.tag_or_digest())?;
    let mut index_digest = None;
    for depth in 0.. {
        if !is_index(&fetched)? {
            break;
        }
        let what = format!("image index {}@{}", reference.name(), fetched.digest);
        if depth >= max_index_depth() {
            return Err(Error::Invalid {
                what,
                message: format!(
                    "indexes nested more than {} deep ({})",
                    max_index_depth(),
                    inventory::limits::hint(inventory::limits::Limit::IndexDepth)
                ),
            }
            .into());
        }
        let index: Index = parse_json(&fetched.bytes, &what)?;
        let chosen = choose_platform(&index.manifests, &select, &what)?;
        index_digest.get_or_insert(fetched.digest.clone());
        fetched = client.manifest(&chosen.digest)?;
        crate::digest::verify_size(&what, chosen.size, &fetched.bytes)?;
    }
    let what = format!("manifest {}@{}", reference.name(), fetched.digest);
    if fetched.media_type.contains("distribution.manifest.v1") {
        return Err(Error::Invalid {
            what,
            message: "Docker schema 1 manifests are obsolete and not supported; push the image again with a current tool".into(),
        }
        .into());
    }
    let manifest: Manifest = parse_json(&fetched.bytes, &what)?;
    let config_what = format!("config {}@{}", reference.name(), manifest.config.digest);
    let config_bytes = client.blob(&manifest.config.digest, options.max_document_size)?;
    crate::digest::verify_size(&config_what, manifest.config.size, &config_bytes)?;
    let config: ImageConfig = parse_json(&config_bytes, &config_what)?;
    let layers = layer_descs(&manifest, &config, &config_what)?;
    let repo_tags = reference
        .tag
        .iter()
        .map(|tag| format!("{}:{tag}", reference.name()))
        .collect();
    let image = Image {
        name: name.to_string(),
        kind: "registry",
        digest: fetched.digest,
        config_digest: manifest.config.digest.clone(),
        config,
        layers,
        repo_tags,
        index_digest,
    };
    Ok((image, RegistryBlobs { client }))
}

/// An index or manifest list, by media type, or by shape when the type is missing.
fn is_index(fetched: &Fetched) -> Result<bool> {
    if fetched.media_type == super::OCI_INDEX || fetched.media_type == super::DOCKER_LIST {
        return Ok(true);
    }
    if !fetched.media_type.is_empty() {
        return Ok(false);
    }
    let doc: serde_json::Value =
        parse_json(&fetched.bytes, &format!("manifest {}", fetched.digest))?;
    Ok(doc.get("manifests").is_some())
}

/// Layer keys are `blobs/sha256/<hex>` (as in OCI layouts); back to a digest.
fn digest_of(blob: &str) -> Result<String> {
    blob.strip_prefix("blobs/sha256/")
        .map(|hex| format!("sha256:{hex}"))
        .filter(|d| super::is_sha256_digest(d))
        .ok_or_else(|| SourceError::Invalid {
            path: blob.to_string(),
            what: "blob key",
            message: "expected blobs/sha256/<hex>".into(),
        })
}

impl BlobStore for RegistryBlobs {
    /// Streams the blob; the artifact stage hashes and counts it as it reads and stops on a
    /// digest or size mismatch.
    fn rehash_on_cache_hit(&self) -> bool {
        false
    }

    fn open(&self, blob: &str) -> Result<Box<dyn Read + Send>> {
        let (_, resp) = self.client.open_blob(&digest_of(blob)?)?;
        Ok(Box::new(resp.into_body().into_reader()))
    }

    fn describe(&self, blob: &str) -> String {
        match digest_of(blob) {
            Ok(digest) => self.client.blob_url(&digest),
            Err(_) => blob.to_string(),
        }
    }
}
