//! Reading one layer's blob as a tar stream: counted against the declared size and the layer
//! cap, decompressed (gzip, zstd or plain), hashed on both sides, header metadata bounded, the
//! missing tar trailer supplied — and checked whole at the end (digest, size, diff_id), so no
//! pass over a layer ever trusts bytes it did not verify.

use crate::tar_guard::HeaderGuard;
use crate::{ArtifactError, Limits, Progress};
use source::{BlobStore, DigestReader, LayerDesc};
use std::io::{BufRead, BufReader, Read};

const BUFFER: usize = 256 << 10;

/// The tar stream a pass reads.
pub(crate) type TarReader<'a> = Trailer<HeaderGuard<DigestReader<Metered<'a, Decoder<'a>>>>>;

/// Streams the layer once through `visit` (which walks the tar), then drains and checks the
/// whole stream: an error while walking is reported as a digest mismatch when the bytes do not
/// hash right (an altered blob usually breaks decompression first).
pub(crate) fn read_layer<'p>(
    index: usize,
    desc: &LayerDesc,
    blobs: &dyn BlobStore,
    limits: Limits,
    progress: Option<&'p dyn Progress>,
    visit: &mut dyn FnMut(&mut tar::Archive<TarReader<'p>>) -> std::io::Result<()>,
) -> Result<(), ArtifactError> {
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
        on_read: progress.map(|p| (p, index)),
    };
    let blob = BufReader::with_capacity(BUFFER, compressed);
    let decoder = Decoder::new(blob).map_err(|e| fail(format!("cannot read: {e}")))?;
    let tar_stream = DigestReader::new(Metered {
        inner: decoder,
        read: 0,
        limit: limits.max_layer_size,
        on_read: None,
    });
    let mismatch = |what: &str, expected: &str, actual: String| {
        fail(format!(
            "{what} mismatch: expected {expected}, content gives {actual} (the blob is corrupt or was tampered with)"
        ))
    };
    let corrupt = |decoder: Decoder, e: std::io::Error| {
        if let (Ok((actual, _)), Some(expected)) = (decoder.finish(), desc.digest.as_deref()) {
            if actual != expected {
                return mismatch("digest", expected, actual);
            }
        }
        fail(format!("truncated or corrupt layer: {e}"))
    };
    let mut archive = tar::Archive::new(Trailer::new(HeaderGuard::new(tar_stream)));
    if let Err(e) = visit(&mut archive) {
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
    Ok(())
}

/// How many compressed bytes a layer's blob may have: its declared size (one more byte is a
/// mismatch), or without one the layer cap, so an endless stream cannot be read forever.
fn compressed_limit(desc: &LayerDesc, limits: Limits) -> u64 {
    desc.size
        .map_or(limits.max_layer_size, |s| s.saturating_add(1))
}

/// Reads a layer's blob without analysing it: its digest and size must match the manifest,
/// and when the manifest has no digest (docker archives), its uncompressed content must hash
/// to the diff_id.
pub(crate) fn verify_blob(
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
pub(crate) struct Metered<'a, R> {
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
pub(crate) enum Decoder<'a> {
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
pub(crate) struct Trailer<R> {
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
