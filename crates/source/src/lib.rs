//! Where artifacts come from. A source resolves a reference to an [`Image`] (manifest, config,
//! layer descriptors, all digest-checked) and serves its blobs through a [`BlobStore`]; the
//! artifact stage streams the layers. Registry pulls implement the same two pieces.

mod archive;
mod digest;
mod docker;
mod oci;
pub mod registry;
pub mod sbom;
mod spec;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use digest::{sha256_digest, verify_digest, DigestReader};
pub use spec::{Descriptor, History, ImageConfig, Index, Manifest, Platform};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid {what}: {message}")]
    Invalid {
        path: String,
        what: &'static str,
        message: String,
    },
    #[error("{what} {expected}: digest mismatch, content hashes to {actual} (the blob is corrupt or was tampered with)")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Registry(#[from] registry::Error),
    #[error("no image for platform {wanted} in {path}; available: {available}. Pick one with --platform")]
    Platform {
        path: String,
        wanted: String,
        available: String,
    },
}

pub type Result<T> = std::result::Result<T, SourceError>;

pub(crate) fn io_err(path: impl Into<String>) -> impl FnOnce(std::io::Error) -> SourceError {
    let path = path.into();
    move |source| SourceError::Io { path, source }
}

/// A layer as the manifest and config describe it.
#[derive(Debug, Clone)]
pub struct LayerDesc {
    /// Digest of the blob as stored (compressed), when the manifest records it.
    pub digest: Option<String>,
    pub media_type: String,
    pub size: Option<u64>,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: String,
    /// The `created_by` of the history entry that made this layer.
    pub created_by: Option<String>,
    /// Key to open the blob in the [`BlobStore`].
    pub blob: String,
}

/// A resolved image: everything but the layer contents, already digest-checked.
#[derive(Debug, Clone)]
pub struct Image {
    /// What the user named, e.g. `./app.tar` or `registry/app:1`.
    pub name: String,
    /// `oci-layout`, `oci-archive`, `docker-archive`, `registry`.
    pub kind: &'static str,
    /// Digest of the image manifest (for docker archives without one: of the config).
    pub digest: String,
    pub config_digest: String,
    pub config: ImageConfig,
    pub layers: Vec<LayerDesc>,
    pub repo_tags: Vec<String>,
    /// For an image picked from an image index or manifest list by platform: the index's
    /// digest, which is what a multi-platform tag points at.
    pub index_digest: Option<String>,
}

/// Serves an image's blobs. Readers are independent, so layers can be read in parallel.
pub trait BlobStore: Send + Sync {
    fn open(&self, blob: &str) -> Result<Box<dyn Read + Send>>;
    /// Where blobs live, for messages.
    fn describe(&self, blob: &str) -> String;
    /// Blobs on this machine (a layout, an archive) can change under the same name, so a
    /// cached analysis is used only after the bytes are hashed again. A registry's blobs are
    /// content-addressed by the digests of the verified manifest: not downloading is the point.
    fn rehash_on_cache_hit(&self) -> bool {
        true
    }
}

/// Options that pick one image out of a layout or index.
#[derive(Debug, Clone)]
pub struct SelectOptions {
    pub platform: Platform,
    /// Limit on manifest and config documents, which are read into memory.
    pub max_document_size: u64,
    /// For registry references: allow plain HTTP.
    pub insecure: bool,
    /// For registry references: explicit credentials (else Docker's config.json).
    pub credentials: Option<registry::Credentials>,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            platform: Platform::parse("linux/amd64").expect("valid default platform"),
            max_document_size: inventory::limits::get(inventory::limits::Limit::Document),
            insecure: false,
            credentials: None,
        }
    }
}

/// Opens an image from a local path: an OCI layout directory (optionally `DIR:TAG`), or an
/// OCI / docker archive tarball (the format is detected from the archive's entries); or,
/// when no such path exists and `reference` reads as one, from a registry.
pub fn open_image(reference: &str, opts: &SelectOptions) -> Result<(Image, Box<dyn BlobStore>)> {
    let (path, tag) = split_tag(reference);
    if !path.exists() {
        if let Some(remote) = registry_reference(reference) {
            let options = registry::RegistryOptions {
                insecure: opts.insecure,
                platform: opts.platform.clone(),
                max_document_size: opts.max_document_size,
                credentials: opts.credentials.clone(),
                docker_config: None,
            };
            let (image, blobs) = registry::open(reference, &remote, &options)?;
            return Ok((image, Box::new(blobs)));
        }
    }
    let meta = std::fs::metadata(&path).map_err(io_err(path.display().to_string()))?;
    if meta.is_dir() {
        let layout = oci::Layout::dir(&path)?;
        let image = layout.resolve(reference, tag.as_deref(), opts)?;
        return Ok((image, Box::new(layout)));
    }
    let archive = archive::TarIndex::open(&path)?;
    if archive.contains("index.json") && archive.contains("oci-layout") {
        let layout = oci::Layout::archive(archive);
        let image = layout.resolve(reference, tag.as_deref(), opts)?;
        Ok((image, Box::new(layout)))
    } else if archive.contains("manifest.json") {
        let image = docker::resolve(&archive, reference, tag.as_deref(), opts)?;
        Ok((image, Box::new(archive)))
    } else {
        Err(SourceError::Invalid {
            path: path.display().to_string(),
            what: "image archive",
            message: "neither an OCI archive (index.json + oci-layout) nor a docker archive (manifest.json)".into(),
        })
    }
}

/// A target that is not a local path is a registry reference if it parses as one; names
/// that look like files (`./x`, `app.tar`) stay local so a typo reads as "no such file".
fn registry_reference(target: &str) -> Option<registry::Reference> {
    let reference = registry::Reference::parse(target).ok()?;
    let file_like = [".tar", ".tgz", ".tar.gz", ".tar.zst", ".json"]
        .iter()
        .any(|ext| target.ends_with(ext));
    let explicit_host = reference.registry != "docker.io" || target.starts_with("docker.io/");
    (explicit_host || !file_like).then_some(reference)
}

/// `./dir:tag` → (`./dir`, `tag`) when `./dir:tag` itself does not exist.
fn split_tag(reference: &str) -> (PathBuf, Option<String>) {
    if Path::new(reference).exists() {
        return (PathBuf::from(reference), None);
    }
    match reference.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') && !path.is_empty() => {
            (PathBuf::from(path), Some(tag.to_string()))
        }
        _ => (PathBuf::from(reference), None),
    }
}

#[cfg(test)]
mod tests {
    use super::registry_reference;

    #[test]
    fn registry_references_versus_file_names() {
        let r = registry_reference("host:5000/team/app:1.4").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("host:5000", "team/app")
        );
        assert_eq!(
            registry_reference("alpine:3.19").unwrap().repository,
            "library/alpine"
        );
        for local in [
            "app.tar",
            "image.tar.gz",
            "./layout",
            "/abs/dir",
            "Upper/Case",
        ] {
            assert!(registry_reference(local).is_none(), "{local}");
        }
        assert!(registry_reference("docker.io/library/app.tar").is_some());
    }
}
