//! `--skip-dirs` / `--skip-files`: globs over paths relative to the root. A directory walk
//! prunes with them; an image's layers, which are streamed, not walked, hide skipped paths
//! from the analyzers through [`SkippingAnalyzer`].

use crate::{Analyzer, ArtifactError, FileMeta};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use inventory::FileResult;

pub(crate) struct Skips {
    paths: GlobSet,
    names: GlobSet,
}

impl Skips {
    pub(crate) fn new(globs: &[String]) -> Result<Skips, ArtifactError> {
        let (mut paths, mut names) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for glob in globs {
            let bad =
                |e: globset::Error| ArtifactError::Other(format!("--skip glob {glob:?}: {e}"));
            let trimmed = glob.trim_matches('/');
            let set = if trimmed.contains('/') {
                &mut paths
            } else {
                &mut names
            };
            set.add(
                GlobBuilder::new(trimmed)
                    .literal_separator(true)
                    .build()
                    .map_err(bad)?,
            );
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| ArtifactError::Other(e.to_string()));
        Ok(Skips {
            paths: build(paths)?,
            names: build(names)?,
        })
    }

    pub(crate) fn skips(&self, path: &str, name: &str) -> bool {
        self.paths.is_match(path) || self.names.is_match(name)
    }
}

/// Skipped directories and files of an image.
pub struct SkipPaths {
    dirs: Skips,
    files: Skips,
}

impl SkipPaths {
    pub fn new(skip_dirs: &[String], skip_files: &[String]) -> Result<SkipPaths, ArtifactError> {
        Ok(SkipPaths {
            dirs: Skips::new(skip_dirs)?,
            files: Skips::new(skip_files)?,
        })
    }

    /// Is `path` (no leading `/`) a skipped file, or inside a skipped directory?
    pub fn covers(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        if self.files.skips(path, name) {
            return true;
        }
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            let dir = &path[..end + slash];
            let dir_name = dir.rsplit('/').next().unwrap_or(dir);
            if self.dirs.skips(dir, dir_name) {
                return true;
            }
            end += slash + 1;
        }
        false
    }
}

/// An analyzer that never sees skipped paths.
pub struct SkippingAnalyzer<'a> {
    pub inner: &'a dyn Analyzer,
    pub skip: &'a SkipPaths,
}

impl Analyzer for SkippingAnalyzer<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn version(&self) -> u32 {
        self.inner.version()
    }
    fn wants(&self, path: &str) -> bool {
        !self.skip.covers(path) && self.inner.wants(path)
    }
    fn wants_file(&self, file: &FileMeta) -> bool {
        !self.skip.covers(file.path) && self.inner.wants_file(file)
    }
    fn declines(&self, file: &FileMeta) -> Option<String> {
        (!self.skip.covers(file.path))
            .then(|| self.inner.declines(file))
            .flatten()
    }
    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        self.inner.analyze(path, content)
    }
    fn analyze_file(&self, file: &FileMeta, content: &[u8]) -> Result<Vec<FileResult>, String> {
        self.inner.analyze_file(file, content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_files_and_everything_under_a_directory() {
        let skip = SkipPaths::new(
            &["node_modules".into(), "srv/cache".into()],
            &["*.pem".into()],
        )
        .unwrap();
        assert!(skip.covers("app/node_modules/x/package.json"));
        assert!(skip.covers("srv/cache/a/b"));
        assert!(skip.covers("etc/ssl/key.pem"));
        assert!(!skip.covers("srv/cached/a"));
        assert!(!skip.covers("app/package.json"));
    }
}
