//! `docker save` archives: `manifest.json` naming a config and layer tars, in the classic
//! layout (`<id>/layer.tar`) or the newer one (`blobs/sha256/<hex>`).

use crate::archive::TarIndex;
use crate::digest::{read_limited, sha256_digest, verify_digest};
use crate::oci::parse;
use crate::spec::ImageConfig;
use crate::{BlobStore, Image, LayerDesc, Result, SelectOptions, SourceError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// The digest a member name carries, if it is content-addressed (`…/sha256/<hex>`, `<hex>.json`).
fn digest_in_name(name: &str) -> Option<String> {
    let file = name.rsplit('/').next()?;
    let hex = file.strip_suffix(".json").unwrap_or(file);
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let addressed = name.contains("sha256/") || file.ends_with(".json");
    (hex_ok && addressed).then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

pub fn resolve(
    archive: &TarIndex,
    name: &str,
    tag: Option<&str>,
    opts: &SelectOptions,
) -> Result<Image> {
    let where_ = archive.display();
    let manifest_what = format!("{where_}!manifest.json");
    let bytes = read_limited(
        archive.open("manifest.json")?,
        opts.max_document_size,
        &manifest_what,
    )?;
    let entries: Vec<Entry> = parse(&bytes, &manifest_what, "docker manifest.json")?;
    let entry = match (tag, entries.as_slice()) {
        (_, []) => {
            return Err(SourceError::Invalid {
                path: manifest_what,
                what: "docker manifest.json",
                message: "lists no images".into(),
            })
        }
        (None, [only]) => only,
        (Some(tag), _) => entries
            .iter()
            .find(|e| {
                e.repo_tags
                    .iter()
                    .flatten()
                    .any(|t| t == tag || t.rsplit_once(':').is_some_and(|(_, x)| x == tag))
            })
            .ok_or_else(|| SourceError::NotFound(format!("{where_}: no image tagged {tag:?}")))?,
        (None, many) => {
            let tags: Vec<String> = many
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(SourceError::NotFound(format!(
                "{where_} holds {} images; name one as {where_}:TAG (tags: {})",
                many.len(),
                tags.join(", ")
            )));
        }
    };
    let config_what = archive.describe(&entry.config);
    let config_bytes = read_limited(
        archive.open(&entry.config)?,
        opts.max_document_size,
        &config_what,
    )?;
    let config_digest = match digest_in_name(&entry.config) {
        Some(expected) => {
            verify_digest(&config_what, &expected, &config_bytes)?;
            expected
        }
        None => sha256_digest(&config_bytes),
    };
    let config: ImageConfig = parse(&config_bytes, &config_what, "image config")?;
    if config.rootfs.diff_ids.len() != entry.layers.len() {
        return Err(SourceError::Invalid {
            path: config_what,
            what: "image config",
            message: format!(
                "{} diff_ids for {} layers in manifest.json",
                config.rootfs.diff_ids.len(),
                entry.layers.len()
            ),
        });
    }
    let history = config.layer_history();
    let layers = entry
        .layers
        .iter()
        .zip(&config.rootfs.diff_ids)
        .zip(history)
        .map(|((blob, diff_id), created_by)| LayerDesc {
            digest: digest_in_name(blob),
            media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
            size: None,
            diff_id: diff_id.clone(),
            created_by,
            blob: blob.clone(),
        })
        .collect();
    Ok(Image {
        name: name.to_string(),
        kind: "docker-archive",
        digest: config_digest.clone(),
        config_digest,
        config,
        layers,
        repo_tags: entry.repo_tags.clone().unwrap_or_default(),
        index_digest: None,
    })
}
