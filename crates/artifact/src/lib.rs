//! The single pass over an artifact. Each layer is decompressed, hashed and walked once; every
//! regular file whose path an [`Analyzer`] asked for is read (up to a cap) and handed to it.
//! Per-layer results keep whiteouts, so [`squash`] can build the final view and secret or
//! history checks can still see what later layers deleted.

mod hardlinks;
mod layer;
mod paths;
mod skip;
mod squash;
mod stream;
mod tar_guard;
mod tree;

pub use layer::{analyze_image, analyze_image_cached, cache_key, LayerCache};
pub use paths::normalize;
pub use skip::{SkipPaths, SkippingAnalyzer};
pub use squash::{malware, secrets, squash};
pub use tree::{analyze_tree, TreeOptions};

use inventory::{FileResult, LayerRef, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the pass knows about a regular file before reading it.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    /// Relative to the root, without a leading `/`.
    pub path: &'a str,
    /// Unix permission bits, including setuid (0o4000), setgid (0o2000) and sticky.
    pub mode: u32,
    pub size: u64,
}

/// Something that reads files during the pass. Analyzers see only the files they ask for.
pub trait Analyzer: Send + Sync {
    fn name(&self) -> &'static str;
    /// Bumped when results change, so cached layer results are recomputed.
    fn version(&self) -> u32 {
        1
    }
    /// `path` is relative to the root, without a leading `/`.
    fn wants(&self, path: &str) -> bool;
    /// Analyzers that choose by more than the path (executables, setuid files, every text
    /// file under a size cap) override this; the pass calls it for each regular file.
    fn wants_file(&self, file: &FileMeta) -> bool {
        self.wants(file.path)
    }
    /// A file this analyzer would read but declines (it is over the analyzer's own size cap):
    /// the reason, which the pass records as a warning naming the file — never a silent skip.
    fn declines(&self, _file: &FileMeta) -> Option<String> {
        None
    }
    /// A problem with the file is an `Err` with a message; the pass records it as a warning
    /// naming the file and layer and goes on.
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String>;
    /// What the pass calls; override it when the result needs the mode or size.
    fn analyze_file(&self, file: &FileMeta, content: &[u8]) -> Result<Vec<FileResult>, String> {
        self.analyze(file.path, content)
    }
}

/// Bounds that keep hostile artifacts from exhausting memory or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file handed to an analyzer (it is read into memory).
    pub max_file_size: u64,
    /// Most uncompressed bytes one layer may expand to.
    pub max_layer_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 256 << 20,
            max_layer_size: 32 << 30,
        }
    }
}

/// Progress callbacks, called from the worker threads.
pub trait Progress: Sync {
    fn layer_started(&self, _index: usize, _compressed_size: Option<u64>) {}
    fn advanced(&self, _index: usize, _bytes: u64) {}
    fn layer_finished(&self, _index: usize) {}
}

/// No progress display.
pub struct Quiet;
impl Progress for Quiet {}

/// What one layer contributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerResult {
    pub layer: Option<LayerRef>,
    /// Analyzer results by path.
    pub files: BTreeMap<String, Vec<FileResult>>,
    /// Paths this layer deletes from the layers below (`.wh.` files).
    pub removed: Vec<String>,
    /// Directories whose lower contents this layer hides (`.wh..wh..opq`).
    pub opaque: Vec<String>,
    /// Wanted paths this layer replaces with something that is not a regular file.
    pub shadowed: Vec<String>,
    /// Regular files this layer writes that some analyzer asked for, found something in or
    /// not: squash needs them to tell when a later layer overwrote a file holding a secret.
    #[serde(default)]
    pub written: Vec<String>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error("{blob}: {message}")]
    Layer { blob: String, message: String },
    #[error("{0}")]
    Other(String),
}
