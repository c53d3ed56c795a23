//! Streaming one image layer: hash the blob, decompress, hash the tar, walk it once.

use crate::paths::normalize;
use crate::tar_guard::HeaderGuard;
use crate::{Analyzer, ArtifactError, FileMeta, LayerResult, Limits, Progress};
use inventory::{LayerRef, Warning};
use rayon::prelude::*;
use source::{BlobStore, DigestReader, Image, LayerDesc};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};

const BUFFER: usize = 256 << 10;

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
/// version, and the file size cap.
pub fn cache_key(analyzers: &[&dyn Analyzer], limits: Limits) -> String {
    let mut names: Vec<String> = analyzers
        .iter()
        .map(|a| format!("{}@{}", a.name(), a.version()))
        .collect();
    names.sort();
    format!("{};max_file_size={}", names.join(","), limits.max_file_size)
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
                        digest: desc.diff_id.clone(),
                        created_by: desc.created_by.clone(),
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

/// How many compressed bytes a layer's blob may have: its declared size (one more byte is a
/// mismatch), or without one the layer cap, so an endless stream cannot be read forever.
fn compressed_limit(desc: &LayerDesc, limits: Limits) -> u64 {
    desc.size
        .map_or(limits.max_layer_size, |s| s.saturating_add(1))
}

/// The cache entry of a layer: its diff_id, and its blob digest when the manifest names one.
fn cache_entry(desc: &LayerDesc) -> String {
    match &desc.digest {
        Some(digest) => format!("{}@{digest}", desc.diff_id),
        None => desc.diff_id.clone(),
    }
}

/// Reads a layer's blob without analysing it: its digest and size must match the manifest,
/// and when the manifest has no digest (docker archives), its uncompressed content must hash
/// to the diff_id.
fn verify_blob(
    index: usize,
    desc: &LayerDesc,
    blobs: &dyn BlobStore,
    limits: Limits,
    progress: &dyn Progress,
) -> Result<(), ArtifactError> {
    let fail = |message: String| ArtifactError::Layer {
        blob: blobs.describe(&desc.blob),
        message,
    };
    let mismatch = |what: &str, expected: &str, actual: &str| {
        fail(format!(
            "{what} mismatch: expected {expected}, content gives {actual} (the blob is corrupt or was tampered with)"
        ))
    };
    let broken = |e: std::io::Error| fail(format!("cannot read: {e}"));
    let mut compressed = Metered {
        inner: DigestReader::new(blobs.open(&desc.blob)?),
        read: 0,
        limit: compressed_limit(desc, limits),
        on_read: Some((progress, index)),
    };
    let (digest, size) = match &desc.digest {
        Some(_) => {
            std::io::copy(&mut compressed, &mut std::io::sink()).map_err(broken)?;
            compressed.inner.finish().map_err(broken)?
        }
        None => {
            let blob = BufReader::with_capacity(BUFFER, compressed);
            let mut tar_stream = DigestReader::new(Metered {
                inner: Decoder::new(blob).map_err(broken)?,
                read: 0,
                limit: limits.max_layer_size,
                on_read: None,
            });
            std::io::copy(&mut tar_stream, &mut std::io::sink()).map_err(broken)?;
            let (metered, diff_id, _) = tar_stream.finish_into_inner().map_err(broken)?;
            if diff_id != desc.diff_id {
                return Err(mismatch("diff_id", &desc.diff_id, &diff_id));
            }
            metered.inner.finish().map_err(broken)?
        }
    };
    if let Some(expected) = desc.digest.as_deref().filter(|d| *d != digest) {
        return Err(mismatch("digest", expected, &digest));
    }
    if let Some(expected) = desc.size.filter(|s| *s != size) {
        return Err(mismatch("size", &expected.to_string(), &size.to_string()));
    }
    Ok(())
}

/// Counts bytes, reports progress, and stops a stream that grows past a limit.
struct Metered<'a, R> {
    inner: R,
    read: u64,
    limit: u64,
    on_read: Option<(&'a dyn Progress, usize)>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(format!(
                "expands to more than {} bytes (a decompression bomb?); raise --max-layer-size if it is genuine",
                self.limit
            )));
        }
        if let Some((progress, index)) = self.on_read {
            progress.advanced(index, n as u64);
        }
        Ok(n)
    }
}

type Blob<'a> = BufReader<Metered<'a, DigestReader<Box<dyn Read + Send>>>>;

/// The decompressor in front of the tar, keeping the compressed stream reachable so its
/// digest can be finished after the tar ends.
enum Decoder<'a> {
    Gzip(flate2::bufread::MultiGzDecoder<Blob<'a>>),
    Zstd(zstd::Decoder<'static, Blob<'a>>),
    Plain(Blob<'a>),
}

impl<'a> Decoder<'a> {
    fn new(mut blob: Blob<'a>) -> std::io::Result<Self> {
        let head = blob.fill_buf()?;
        Ok(if head.starts_with(&[0x1f, 0x8b]) {
            Decoder::Gzip(flate2::bufread::MultiGzDecoder::new(blob))
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Decoder::Zstd(zstd::Decoder::with_buffer(blob)?)
        } else {
            Decoder::Plain(blob)
        })
    }

    /// Drains what the decompressor left and returns the compressed stream's digest and size.
    fn finish(self) -> std::io::Result<(String, u64)> {
        let mut blob = match self {
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.finish(),
            Decoder::Plain(b) => b,
        };
        std::io::copy(&mut blob, &mut std::io::sink())?;
        blob.into_inner().inner.finish()
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
            Decoder::Plain(b) => b.read(buf),
        }
    }
}

/// Some real layers (umoci's, for one) end right after the last file's data, without the
/// padding to 512 bytes and the two zero blocks that close a tar. Once the stream ends this
/// supplies them, so such a layer reads like any other; digests are taken below it, over the
/// real bytes only, and a file cut short still fails.
struct Trailer<R> {
    inner: R,
    read: u64,
    padding: Option<u64>,
}

impl<R: Read> Trailer<R> {
    fn new(inner: R) -> Self {
        Trailer {
            inner,
            read: 0,
            padding: None,
        }
    }
}

impl<R: Read> Read for Trailer<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.padding.is_none() {
            let n = self.inner.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.read += n as u64;
                return Ok(n);
            }
            self.padding = Some((512 - self.read % 512) % 512 + 1024);
        }
        let left = self.padding.as_mut().expect("set above");
        let n = (*left).min(buf.len() as u64) as usize;
        buf[..n].fill(0);
        *left -= n as u64;
        Ok(n)
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
    let shown = blobs.describe(&desc.blob);
    let fail = |message: String| ArtifactError::Layer {
        blob: shown.clone(),
        message,
    };
    let raw = blobs.open(&desc.blob)?;
    let compressed = Metered {
        inner: DigestReader::new(raw),
        read: 0,
        limit: compressed_limit(desc, limits),
        on_read: Some((progress, index)),
    };
    let blob = BufReader::with_capacity(BUFFER, compressed);
    let decoder = Decoder::new(blob).map_err(|e| fail(format!("cannot read: {e}")))?;
    let tar_stream = DigestReader::new(Metered {
        inner: decoder,
        read: 0,
        limit: limits.max_layer_size,
        on_read: None,
    });

    let layer = LayerRef {
        index,
        digest: desc.diff_id.clone(),
        created_by: desc.created_by.clone(),
    };
    let mut result = LayerResult {
        layer: Some(layer.clone()),
        ..LayerResult::default()
    };
    let mismatch = |what: &str, expected: &str, actual: String| {
        fail(format!(
            "{what} mismatch: expected {expected}, content gives {actual} (the blob is corrupt or was tampered with)"
        ))
    };
    // An altered blob usually breaks decompression before the digest can be compared; when
    // its bytes do not hash to the digest, that is the error to report.
    let corrupt = |decoder: Decoder, e: std::io::Error| {
        if let (Ok((actual, _)), Some(expected)) = (decoder.finish(), desc.digest.as_deref()) {
            if actual != expected {
                return mismatch("digest", expected, actual);
            }
        }
        fail(format!("truncated or corrupt layer: {e}"))
    };
    let mut archive = tar::Archive::new(Trailer::new(HeaderGuard::new(tar_stream)));
    if let Err(e) = walk(&mut archive, &layer.digest, analyzers, limits, &mut result) {
        let tar_stream = archive.into_inner().inner.inner;
        return Err(corrupt(tar_stream.into_inner().inner, e));
    }

    // The tar may end before the stream does (padding): hash what is left too.
    let mut tar_stream = archive.into_inner().inner.inner;
    if let Err(e) = std::io::copy(&mut tar_stream, &mut std::io::sink()) {
        return Err(corrupt(tar_stream.into_inner().inner, e));
    }
    let (metered, diff_id, _) = tar_stream
        .finish_into_inner()
        .map_err(|e| fail(format!("truncated or corrupt layer: {e}")))?;
    let (blob_digest, blob_size) = metered
        .inner
        .finish()
        .map_err(|e| fail(format!("truncated or corrupt layer: {e}")))?;
    if diff_id != desc.diff_id {
        return Err(mismatch("diff_id", &desc.diff_id, diff_id));
    }
    if let Some(expected) = desc.digest.as_deref().filter(|d| *d != blob_digest) {
        return Err(mismatch("digest", expected, blob_digest));
    }
    if let Some(expected) = desc.size.filter(|s| *s != blob_size) {
        return Err(mismatch(
            "size",
            &expected.to_string(),
            blob_size.to_string(),
        ));
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
) -> std::io::Result<()> {
    let mut analyzed: HashSet<String> = HashSet::new();
    for entry in archive.entries()? {
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
        if result.files.remove(&path).is_some() {
            analyzed.remove(&path);
        }
        let kind = entry.header().entry_type();
        let wanted_by_path = || analyzers.iter().any(|a| a.wants(&path));
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.size();
                let mode = entry.header().mode().unwrap_or(0) & 0o7777;
                let file = FileMeta {
                    path: &path,
                    mode,
                    size,
                };
                let wanted: Vec<&dyn Analyzer> = analyzers
                    .iter()
                    .copied()
                    .filter(|a| a.wants_file(&file))
                    .collect();
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
                analyzed.insert(path);
            }
            tar::EntryType::Link if wanted_by_path() => {
                // A hard link names an earlier member of this layer; analyze it as that file.
                let target = entry
                    .link_name_bytes()
                    .and_then(|b| normalize(&String::from_utf8_lossy(&b)));
                match target.filter(|t| analyzed.contains(t)) {
                    Some(target) => {
                        if let Some(found) = result.files.get(&target).cloned() {
                            result.files.insert(path.clone(), found);
                        }
                        result.written.push(path.clone());
                        analyzed.insert(path);
                    }
                    None => {
                        result.shadowed.push(path.clone());
                        result.warnings.push(warning(
                            &path,
                            layer,
                            "hard link to a file this layer does not hold; not analyzed",
                        ));
                    }
                }
            }
            tar::EntryType::Link => {}
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
            Ok(found) => result
                .files
                .entry(file.path.to_string())
                .or_default()
                .extend(found),
            Err(message) => result.warnings.push(warning(
                file.path,
                layer,
                &format!("{}: {message}", analyzer.name()),
            )),
        }
    }
}

pub(crate) fn warning(file: &str, layer: &str, message: &str) -> Warning {
    Warning {
        file: file.to_string(),
        layer: (!layer.is_empty()).then(|| layer.to_string()),
        message: message.to_string(),
    }
}
