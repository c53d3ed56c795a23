//! OCI image layouts, as a directory or inside an OCI archive.

use crate::archive::TarIndex;
use crate::digest::{read_limited, verify_digest, verify_size};
use crate::spec::{Descriptor, ImageConfig, Index, Manifest};
use crate::{BlobStore, Image, LayerDesc, Result, SelectOptions, SourceError};
use std::io::Read;
use std::path::{Path, PathBuf};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

enum Storage {
    Dir(PathBuf),
    Archive(TarIndex),
}

pub struct Layout {
    storage: Storage,
}

/// `sha256:<64 hex>` → `blobs/sha256/<hex>`; anything else is refused, so a hostile digest
/// can never name a path outside the blob store.
pub(crate) fn blob_path(digest: &str) -> Result<String> {
    match digest.split_once(':') {
        Some(("sha256", hex))
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(format!("blobs/sha256/{hex}"))
        }
        _ => Err(SourceError::Invalid {
            path: digest.to_string(),
            what: "digest",
            message: "expected sha256:<64 lower-case hex digits>".into(),
        }),
    }
}

impl Layout {
    pub fn dir(path: &Path) -> Result<Layout> {
        if !path.join("index.json").is_file() {
            return Err(SourceError::Invalid {
                path: path.display().to_string(),
                what: "OCI image layout",
                message: "no index.json in this directory".into(),
            });
        }
        Ok(Layout {
            storage: Storage::Dir(path.to_path_buf()),
        })
    }

    pub fn archive(index: TarIndex) -> Layout {
        Layout {
            storage: Storage::Archive(index),
        }
    }

    fn open_member(&self, name: &str) -> Result<Box<dyn Read + Send>> {
        match &self.storage {
            Storage::Dir(root) => {
                let path = root.join(name);
                let file = std::fs::File::open(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => SourceError::NotFound(format!(
                        "{}: missing (the image refers to a blob that is not in the layout)",
                        path.display()
                    )),
                    _ => SourceError::Io {
                        path: path.display().to_string(),
                        source: e,
                    },
                })?;
                Ok(Box::new(file))
            }
            Storage::Archive(index) => index.open(name),
        }
    }

    fn where_(&self) -> String {
        match &self.storage {
            Storage::Dir(root) => root.display().to_string(),
            Storage::Archive(index) => index.display(),
        }
    }

    /// Reads a small blob (manifest, index, config) and checks its digest.
    fn document(&self, desc: &Descriptor, opts: &SelectOptions) -> Result<Vec<u8>> {
        let name = blob_path(&desc.digest)?;
        let what = self.describe(&name);
        let bytes = read_limited(self.open_member(&name)?, opts.max_document_size, &what)?;
        verify_digest(&what, &desc.digest, &bytes)?;
        verify_size(&what, desc.size, &bytes)?;
        Ok(bytes)
    }

    pub fn resolve(&self, name: &str, tag: Option<&str>, opts: &SelectOptions) -> Result<Image> {
        let where_ = self.where_();
        let index_bytes = read_limited(
            self.open_member("index.json")?,
            opts.max_document_size,
            &format!("{where_}/index.json"),
        )?;
        let index: Index = parse(&index_bytes, &format!("{where_}/index.json"), "index.json")?;
        let desc = match choose_tagged(&index.manifests, tag, &where_)? {
            Some(desc) => desc.clone(),
            None => choose_platform(&index.manifests, opts, &where_)?.clone(),
        };
        let (desc, manifest) = self.descend(desc, opts, 0)?;
        let config_bytes = self.document(&manifest.config, opts)?;
        let config_what = self.describe(&blob_path(&manifest.config.digest)?);
        let config: ImageConfig = parse(&config_bytes, &config_what, "image config")?;
        let layers = layer_descs(&manifest, &config, &config_what)?;
        let repo_tags = desc
            .annotations
            .get(CONTAINERD_NAME)
            .or_else(|| desc.annotations.get(REF_NAME))
            .into_iter()
            .cloned()
            .collect();
        Ok(Image {
            name: name.to_string(),
            kind: match self.storage {
                Storage::Dir(_) => "oci-layout",
                Storage::Archive(_) => "oci-archive",
            },
            digest: desc.digest.clone(),
            config_digest: manifest.config.digest.clone(),
            config,
            layers,
            repo_tags,
            index_digest: None,
        })
    }

    /// Follows nested indexes down to one image manifest.
    fn descend(
        &self,
        desc: Descriptor,
        opts: &SelectOptions,
        depth: u64,
    ) -> Result<(Descriptor, Manifest)> {
        let bytes = self.document(&desc, opts)?;
        let what = self.describe(&blob_path(&desc.digest)?);
        let doc: serde_json::Value = parse(&bytes, &what, "manifest")?;
        if doc.get("manifests").is_some() {
            let limit = inventory::limits::Limit::IndexDepth;
            if depth >= inventory::limits::get(limit) {
                return Err(SourceError::Invalid {
                    path: what,
                    what: "image index",
                    message: format!(
                        "indexes nested more than {} deep ({})",
                        inventory::limits::get(limit),
                        inventory::limits::hint(limit)
                    ),
                });
            }
            let index: Index = parse(&bytes, &what, "image index")?;
            let next = choose_platform(&index.manifests, opts, &what)?.clone();
            return self.descend(next, opts, depth + 1);
        }
        let manifest: Manifest = parse(&bytes, &what, "image manifest")?;
        Ok((desc, manifest))
    }
}

impl BlobStore for Layout {
    fn open(&self, blob: &str) -> Result<Box<dyn Read + Send>> {
        self.open_member(blob)
    }

    fn describe(&self, blob: &str) -> String {
        match &self.storage {
            Storage::Dir(root) => root.join(blob).display().to_string(),
            Storage::Archive(index) => index.describe(blob),
        }
    }
}

/// Pairs the manifest's layers with the config's diff_ids and history; each layer's blob
/// key is `blobs/sha256/<hex>`.
pub(crate) fn layer_descs(
    manifest: &Manifest,
    config: &ImageConfig,
    config_what: &str,
) -> Result<Vec<LayerDesc>> {
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(SourceError::Invalid {
            path: config_what.to_string(),
            what: "image config",
            message: format!(
                "{} diff_ids for {} layers in the manifest",
                config.rootfs.diff_ids.len(),
                manifest.layers.len()
            ),
        });
    }
    manifest
        .layers
        .iter()
        .zip(&config.rootfs.diff_ids)
        .zip(config.layer_history())
        .map(|((layer, diff_id), created_by)| {
            Ok(LayerDesc {
                digest: Some(layer.digest.clone()),
                media_type: layer.media_type.clone(),
                size: layer.size,
                diff_id: diff_id.clone(),
                created_by,
                blob: blob_path(&layer.digest)?,
            })
        })
        .collect()
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    path: &str,
    what: &'static str,
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| SourceError::Invalid {
        path: path.to_string(),
        what,
        message: e.to_string(),
    })
}

fn tag_of(desc: &Descriptor) -> Option<&str> {
    if let Some(name) = desc.annotations.get(REF_NAME) {
        return Some(name.rsplit_once(':').map_or(name.as_str(), |(_, t)| t));
    }
    desc.annotations
        .get(CONTAINERD_NAME)
        .and_then(|n| n.rsplit_once(':').map(|(_, t)| t))
}

/// With a tag, the manifest carrying it; without one, `None` if the entries are platform
/// variants of one image, or the single entry, or an error listing the tags to pick from.
fn choose_tagged<'a>(
    manifests: &'a [Descriptor],
    tag: Option<&str>,
    where_: &str,
) -> Result<Option<&'a Descriptor>> {
    let tags: Vec<&str> = manifests.iter().filter_map(tag_of).collect();
    if let Some(tag) = tag {
        return manifests
            .iter()
            .find(|d| tag_of(d) == Some(tag))
            .map(Some)
            .ok_or_else(|| {
                SourceError::NotFound(format!(
                    "{where_}: no image tagged {tag:?}; tags: {}",
                    tags.join(", ")
                ))
            });
    }
    match manifests {
        [] => Err(SourceError::Invalid {
            path: format!("{where_}/index.json"),
            what: "index.json",
            message: "lists no manifests".into(),
        }),
        [only] => Ok(Some(only)),
        _ if manifests.iter().all(|d| d.platform.is_some()) => Ok(None),
        _ => {
            let mut distinct = tags.clone();
            distinct.dedup();
            Err(SourceError::NotFound(format!(
                "{where_} holds {} images; name one as {where_}:TAG (tags: {})",
                manifests.len(),
                if distinct.is_empty() {
                    "none recorded".to_string()
                } else {
                    distinct.join(", ")
                }
            )))
        }
    }
}

pub(crate) fn choose_platform<'a>(
    manifests: &'a [Descriptor],
    opts: &SelectOptions,
    where_: &str,
) -> Result<&'a Descriptor> {
    // Attestation manifests (platform unknown/unknown) are never images to scan.
    let images: Vec<&Descriptor> = manifests
        .iter()
        .filter(|d| d.platform.as_ref().is_none_or(|p| p.os != "unknown"))
        .collect();
    if let [only] = images.as_slice() {
        if only.platform.is_none() {
            return Ok(only);
        }
    }
    images
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| opts.platform.accepts(p))
        })
        .copied()
        .ok_or_else(|| SourceError::Platform {
            path: where_.to_string(),
            wanted: opts.platform.to_string(),
            available: images
                .iter()
                .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}
