//! Streaming one image layer: hash the blob, decompress, hash the tar, walk it once.

use crate::hardlinks::{self, Members};
use crate::paths::normalize;
use crate::stream::{read_layer, verify_blob};
use crate::{Analyzer, ArtifactError, FileMeta, LayerResult, Limits, Progress};
use inventory::{FileResult, LayerRef, Warning};
use rayon::prelude::*;
use source::{BlobStore, Image, LayerDesc};
use std::io::Read;

/// Analyzes every layer of `image`, in parallel, each read exactly once.
pub fn analyze_image(
    image: &Image,
    blobs: &dyn BlobStore,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    progress: &dyn Progress,
) -> Result<Vec<LayerResult>, ArtifactError> {
    analyze_image_cached(image, blobs, analyzers, limits, progress, &NoCache)
}

/// Results of earlier scans, by diff_id, for this set of analyzers and limits
/// ([`cache_key`]). Lookups and stores must not fail the scan: a miss is fine.
pub trait LayerCache: Sync {
    fn get(&self, diff_id: &str) -> Option<LayerResult>;
    fn put(&self, diff_id: &str, result: &LayerResult);
}

struct NoCache;
impl LayerCache for NoCache {
    fn get(&self, _: &str) -> Option<LayerResult> {
        None
    }
    fn put(&self, _: &str, _: &LayerResult) {}
}

/// What a cached layer result depends on besides the layer: each analyzer's name and
/// version, the file size cap and any `--limit` changed from its default (a lower limit
/// changes what an analyzer reports).
pub fn cache_key(analyzers: &[&dyn Analyzer], limits: Limits) -> String {
    let mut names: Vec<String> = analyzers
        .iter()
        .map(|a| format!("{}@{}", a.name(), a.version()))
        .collect();
    names.sort();
    let mut key = format!("{};max_file_size={}", names.join(","), limits.max_file_size);
    for setting in inventory::limits::changed() {
        key.push(';');
        key.push_str(&setting);
    }
    key
}

/// [`analyze_image`], skipping the analysis of layers the cache knows. A result is stored
/// under the layer's diff_id and blob digest, both verified while it was analysed, and used
/// only for a layer with the same pair. A hit still never skips the integrity check of the
/// artefact being scanned: a local blob (layout, archive) is hashed again — a swapped or
/// truncated file fails as it would without the cache — while a registry blob is named by the
/// digest-checked manifest and is not downloaded.
pub fn analyze_image_cached(
    image: &Image,
    blobs: &dyn BlobStore,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    progress: &dyn Progress,
    cache: &dyn LayerCache,
) -> Result<Vec<LayerResult>, ArtifactError> {
    image
        .layers
        .par_iter()
        .enumerate()
        .map(|(index, desc)| {
            progress.layer_started(index, desc.size);
            let key = cache_entry(desc);
            let result = match cache.get(&key) {
                Some(mut cached) => {
                    if blobs.rehash_on_cache_hit() {
                        verify_blob(index, desc, blobs, limits, progress)?;
                    }
                    // The same layer may sit at another position in another image.
                    cached.layer = Some(LayerRef {
                        index,
                        digest: desc.diff_id.as_str().into(),
                        created_by: desc.created_by.as_deref().map(Into::into),
                    });
                    Ok(cached)
                }
                None => analyze_layer(index, desc, blobs, analyzers, limits, progress)
                    .inspect(|fresh| cache.put(&key, fresh)),
            };
            progress.layer_finished(index);
            result
        })
        .collect()
}

/// The cache entry of a layer: its diff_id, and its blob digest when the manifest names one.
fn cache_entry(desc: &LayerDesc) -> String {
    match &desc.digest {
        Some(digest) => format!("{}@{digest}", desc.diff_id),
        None => desc.diff_id.clone(),
    }
}

fn analyze_layer(
    index: usize,
    desc: &LayerDesc,
    blobs: &dyn BlobStore,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    progress: &dyn Progress,
) -> Result<LayerResult, ArtifactError> {
    let layer = LayerRef {
        index,
        digest: desc.diff_id.as_str().into(),
        created_by: desc.created_by.as_deref().map(Into::into),
    };
    let mut result = LayerResult {
        layer: Some(layer.clone()),
        ..LayerResult::default()
    };
    let mut members = Members::default();
    read_layer(index, desc, blobs, limits, Some(progress), &mut |archive| {
        walk(
            archive,
            &layer.digest,
            analyzers,
            limits,
            &mut result,
            &mut members,
        )
    })?;
    let pending = std::mem::take(&mut members.pending);
    if !pending.is_empty() {
        read_layer(index, desc, blobs, limits, None, &mut |archive| {
            hardlinks::resolve(
                archive,
                &layer.digest,
                analyzers,
                limits,
                &pending,
                &mut result,
            )
        })?;
    }
    Ok(result)
}

/// Walks the tar once. Whiteouts and non-file entries are recorded; wanted regular files are
/// read (up to the cap) and given to the analyzers that asked for them.
pub(crate) fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    layer: &str,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    result: &mut LayerResult,
    members: &mut Members,
) -> std::io::Result<()> {
    for (position, entry) in archive.entries()?.enumerate() {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = normalize(&raw) else {
            if !matches!(raw.trim_matches('/'), "" | ".") {
                result.warnings.push(warning(
                    &raw,
                    layer,
                    "path climbs above the root; entry ignored",
                ));
            }
            continue;
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if name == ".wh..wh..opq" {
            result.opaque.push(dir.to_string());
            continue;
        }
        if let Some(deleted) = name.strip_prefix(".wh.") {
            // `.wh.` alone names nothing (taken as a name it would delete the whole
            // directory, or the whole image at the root); other `.wh..wh.` entries are aufs
            // bookkeeping, not deletions. Neither deletes anything; both are said.
            if deleted.is_empty() || deleted.starts_with(".wh.") {
                result.warnings.push(warning(
                    &path,
                    layer,
                    "malformed whiteout (no name, or aufs metadata); it deletes nothing",
                ));
                continue;
            }
            let deleted = if dir.is_empty() {
                deleted.to_string()
            } else {
                format!("{dir}/{deleted}")
            };
            result.removed.push(deleted);
            continue;
        }
        // A later entry for the same path replaces the earlier one (tar semantics), whatever
        // it is: a second copy of a file, a directory or a link over a file.
        result.files.remove(&path);
        members.forget(&path);
        let kind = entry.header().entry_type();
        let wanted_by_path = || analyzers.iter().any(|a| a.wants(&path));
        match kind {
            // A GNU sparse member reads as its whole content (holes as zeros) and is as much
            // the file as a regular member: skipping it would hide a lower layer's file.
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                let mode = entry.header().mode().unwrap_or(0) & 0o7777;
                let file = FileMeta {
                    path: &path,
                    mode,
                    size,
                };
                let wanted = choose(analyzers, &file, layer, result);
                if wanted.is_empty() {
                    continue;
                }
                result.written.push(path.clone());
                if size > limits.max_file_size {
                    result.warnings.push(warning(
                        &path,
                        layer,
                        &format!(
                            "{size} bytes, over --max-file-size {}; not analyzed",
                            limits.max_file_size
                        ),
                    ));
                    continue;
                }
                let mut content = Vec::with_capacity(size as usize);
                entry.read_to_end(&mut content)?;
                run(&wanted, &file, &content, layer, result);
                members.record_read(path, size, &wanted);
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .and_then(|b| normalize(&String::from_utf8_lossy(&b)));
                let mode = entry.header().mode().unwrap_or(0) & 0o7777;
                match target {
                    Some(target) => {
                        members.link(path, &target, position, mode, analyzers, result);
                    }
                    None if wanted_by_path() => {
                        result.shadowed.push(path.clone());
                        result.warnings.push(warning(
                            &path,
                            layer,
                            "hard link to a path outside the layer; not analyzed",
                        ));
                    }
                    None => {}
                }
            }
            _ if wanted_by_path() => result.shadowed.push(path),
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn run(
    wanted: &[&dyn Analyzer],
    file: &FileMeta,
    content: &[u8],
    layer: &str,
    result: &mut LayerResult,
) {
    for analyzer in wanted {
        match analyzer.analyze_file(file, content) {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                let (notes, found): (Vec<_>, Vec<_>) = found
                    .into_iter()
                    .partition(|r| matches!(r, FileResult::Warning { .. }));
                for note in notes {
                    if let FileResult::Warning { message } = note {
                        let message = format!("{}: {message}", analyzer.name());
                        result.warnings.push(warning(file.path, layer, &message));
                    }
                }
                if !found.is_empty() {
                    result
                        .files
                        .entry(file.path.to_string())
                        .or_default()
                        .extend(found);
                }
            }
            Err(message) => result.warnings.push(warning(
                file.path,
                layer,
                &format!("{}: {message}", analyzer.name()),
            )),
        }
    }
}

/// The analyzers that read `file`; those that decline it say why, in a warning.
pub(crate) fn choose<'a>(
    analyzers: &[&'a dyn Analyzer],
    file: &FileMeta,
    layer: &str,
    result: &mut LayerResult,
) -> Vec<&'a dyn Analyzer> {
    let mut wanted = Vec::new();
    for analyzer in analyzers {
        if analyzer.wants_file(file) {
            wanted.push(*analyzer);
        } else if let Some(reason) = analyzer.declines(file) {
            let message = format!("{}: {reason}", analyzer.name());
            result.warnings.push(warning(file.path, layer, &message));
        }
    }
    wanted
}

pub(crate) fn warning(file: &str, layer: &str, message: &str) -> Warning {
    Warning {
        line: None,
        column: None,
        file: file.to_string(),
        layer: (!layer.is_empty()).then(|| layer.to_string()),
        message: message.to_string(),
    }
}
