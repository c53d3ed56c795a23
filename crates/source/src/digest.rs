//! sha256 digests: computing, checking, and hashing a stream as it is read.

use crate::{Result, SourceError};
use sha2::{Digest, Sha256};
use std::io::Read;

/// `sha256:<hex>` of a byte slice.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Checks that `bytes` hash to `expected` (only sha256 digests are accepted).
pub fn verify_digest(what: &str, expected: &str, bytes: &[u8]) -> Result<()> {
    if !expected.starts_with("sha256:") {
        return Err(SourceError::Invalid {
            path: what.to_string(),
            what: "digest",
            message: format!("unsupported digest algorithm in {expected:?} (only sha256)"),
        });
    }
    let actual = sha256_digest(bytes);
    if actual == expected {
        Ok(())
    } else {
        Err(SourceError::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// Checks a document against its descriptor's declared size: OCI clients must, and a size that
/// disagrees with bytes that hash right means the descriptor itself was altered.
pub fn verify_size(what: &str, declared: Option<u64>, bytes: &[u8]) -> Result<()> {
    match declared {
        Some(size) if size != bytes.len() as u64 => Err(SourceError::Invalid {
            path: what.to_string(),
            what: "descriptor",
            message: format!(
                "declares {size} bytes, the content has {} (the descriptor or the blob was altered)",
                bytes.len()
            ),
        }),
        _ => Ok(()),
    }
}

/// Hashes and counts every byte read through it.
pub struct DigestReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> DigestReader<R> {
    pub fn new(inner: R) -> Self {
        DigestReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner reader, without reading on (what was read so far stays hashed and lost).
    pub fn into_inner(self) -> R {
        self.inner
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads to the end and returns `sha256:<hex>` and the byte count.
    pub fn finish(self) -> std::io::Result<(String, u64)> {
        self.finish_into_inner()
            .map(|(_, digest, bytes)| (digest, bytes))
    }

    /// Reads to the end; returns the inner reader, `sha256:<hex>` and the byte count.
    pub fn finish_into_inner(mut self) -> std::io::Result<(R, String, u64)> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        Ok((self.inner, digest, self.bytes))
    }
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads a whole small document, refusing more than `limit` bytes.
pub(crate) fn read_limited(mut reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader
        .by_ref()
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(crate::io_err(what))?;
    if buf.len() as u64 > limit {
        return Err(SourceError::Invalid {
            path: what.to_string(),
            what: "document",
            message: format!(
                "larger than {limit} bytes ({})",
                inventory::limits::hint(inventory::limits::Limit::Document)
            ),
        });
    }
    Ok(buf)
}
