//! A directory on disk as a single layer: a root filesystem (an unpacked image, `/` of a host)
//! or a source tree (a project checkout: `.gitignore` honoured, version-control metadata
//! skipped). Symlinks are never followed, so loops cannot hang the walk.

use crate::layer::warning;
use crate::skip::Skips;
use crate::{Analyzer, ArtifactError, FileMeta, LayerResult, Limits};
use globset::{GlobBuilder, GlobMatcher};
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn"];
/// Kernel and device trees of a live root hold no packages and can hang a reader.
const KERNEL_DIRS: &[&str] = &["proc", "sys", "dev", "run"];
fn max_depth() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::WalkDepth)
}
/// A `.gitignore` larger than this is not a real one.
const MAX_IGNORE_FILE: u64 = 1 << 20;

#[derive(Debug, Clone, Default)]
pub struct TreeOptions {
    /// Globs over the path relative to the root (a glob without `/` also matches a name).
    pub skip_dirs: Vec<String>,
    pub skip_files: Vec<String>,
    /// A source tree: honour `.gitignore` files and skip version-control directories.
    /// Otherwise a root filesystem: skip the kernel and device trees at its top.
    pub gitignore: bool,
}

/// One `.gitignore` line, relative to the directory holding the file.
struct IgnoreRule {
    base: String,
    glob: GlobMatcher,
    negate: bool,
    dir_only: bool,
}

fn parse_ignore(base: &str, text: &str) -> Vec<IgnoreRule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negate, line) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line.strip_prefix('\\').unwrap_or(line)),
        };
        let dir_only = line.ends_with('/');
        let line = line.trim_end_matches('/');
        let anchored = line.contains('/');
        let line = line.trim_start_matches('/');
        if line.is_empty() {
            continue;
        }
        let pattern = if anchored {
            line.to_string()
        } else {
            format!("**/{line}")
        };
        // An unparsable line is ignored, as git does.
        if let Ok(glob) = GlobBuilder::new(&pattern).literal_separator(true).build() {
            rules.push(IgnoreRule {
                base: base.to_string(),
                glob: glob.compile_matcher(),
                negate,
                dir_only,
            });
        }
    }
    rules
}

/// Is `path` ignored by the rules in force? The last matching rule wins.
fn ignored(rules: &[IgnoreRule], path: &str, is_dir: bool) -> bool {
    let mut verdict = false;
    for rule in rules {
        if rule.dir_only && !is_dir {
            continue;
        }
        let rel = if rule.base.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(&rule.base)
                .and_then(|r| r.strip_prefix('/'))
        };
        if rel.is_some_and(|rel| rule.glob.is_match(rel)) {
            verdict = !rule.negate;
        }
    }
    verdict
}

/// Walks `root` without following symlinks, handing wanted regular files to the analyzers.
pub fn analyze_tree(
    root: &Path,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    options: &TreeOptions,
) -> Result<LayerResult, ArtifactError> {
    let meta =
        fs::metadata(root).map_err(|e| ArtifactError::Other(format!("{}: {e}", root.display())))?;
    if !meta.is_dir() {
        return Err(ArtifactError::Other(format!(
            "{}: not a directory",
            root.display()
        )));
    }
    let walk = Walk {
        analyzers,
        limits,
        dirs: Skips::new(&options.skip_dirs)?,
        files: Skips::new(&options.skip_files)?,
        gitignore: options.gitignore,
    };
    let mut result = LayerResult::default();
    let mut rules = Vec::new();
    walk.visit(root, "", 0, &mut rules, &mut result);
    Ok(result)
}

struct Walk<'a> {
    analyzers: &'a [&'a dyn Analyzer],
    limits: Limits,
    dirs: Skips,
    files: Skips,
    gitignore: bool,
}

impl Walk<'_> {
    fn visit(
        &self,
        dir: &Path,
        rel: &str,
        depth: usize,
        rules: &mut Vec<IgnoreRule>,
        result: &mut LayerResult,
    ) {
        if depth > max_depth() {
            let message = format!(
                "directories nested more than {} levels deep; not descended ({})",
                max_depth(),
                inventory::limits::hint(inventory::limits::Limit::WalkDepth)
            );
            result.warnings.push(warning(rel, "", &message));
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                let message = format!("cannot list: {e}");
                result.warnings.push(warning(rel, "", &message));
                return;
            }
        };
        let inherited = rules.len();
        if self.gitignore {
            let file = dir.join(".gitignore");
            let small = fs::symlink_metadata(&file)
                .is_ok_and(|m| m.is_file() && m.len() <= MAX_IGNORE_FILE);
            if let Some(text) = small.then(|| fs::read_to_string(&file).ok()).flatten() {
                rules.extend(parse_ignore(rel, &text));
            }
        }
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            // file_type() does not follow symlinks: links are never walked.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let special = if self.gitignore {
                    VCS_DIRS.contains(&name.as_str())
                } else {
                    depth == 0 && KERNEL_DIRS.contains(&name.as_str())
                };
                let skipped =
                    special || self.dirs.skips(&path, &name) || ignored(rules, &path, true);
                if !skipped {
                    self.visit(&entry.path(), &path, depth + 1, rules, result);
                }
                continue;
            }
            if !kind.is_file() || self.files.skips(&path, &name) || ignored(rules, &path, false) {
                continue;
            }
            self.file(&entry, &path, result);
        }
        rules.truncate(inherited);
    }

    fn file(&self, entry: &fs::DirEntry, path: &str, result: &mut LayerResult) {
        let Ok(meta) = entry.metadata() else {
            return;
        };
        let file = FileMeta {
            path,
            mode: meta.permissions().mode() & 0o7777,
            size: meta.len(),
        };
        let wanted = crate::layer::choose(self.analyzers, &file, "", result);
        if wanted.is_empty() {
            return;
        }
        match read_capped(&entry.path(), self.limits.max_file_size) {
            Ok(content) => crate::layer::run(&wanted, &file, &content, "", result),
            Err(message) => result.warnings.push(warning(path, "", &message)),
        }
    }
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // A file already over the cap is refused before its bytes are read (a 300 MiB binary
    // was read to its cap first, 256 MiB of memory for nothing); others get a buffer of their
    // length, not one grown by doubling.
    let length = file.metadata().map_or(0, |m| m.len());
    if length > cap {
        return Err(format!("over --max-file-size {cap}; not analyzed"));
    }
    let mut content = Vec::with_capacity(usize::try_from(length).unwrap_or(0) + 1);
    file.take(cap + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot read: {e}"))?;
    if content.len() as u64 > cap {
        return Err(format!("over --max-file-size {cap}; not analyzed"));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_rules_follow_git() {
        let rules = parse_ignore("", "*.log\n/build/\nsecret.env\n!keep.log\ndocs/*.tmp\n");
        assert!(ignored(&rules, "a/b/x.log", false));
        assert!(!ignored(&rules, "a/keep.log", false));
        assert!(ignored(&rules, "build", true));
        assert!(!ignored(&rules, "build", false));
        assert!(!ignored(&rules, "src/build", true));
        assert!(ignored(&rules, "deep/secret.env", false));
        assert!(ignored(&rules, "docs/a.tmp", false));
        assert!(!ignored(&rules, "docs/sub/a.tmp", false));
        let nested = parse_ignore("sub", "*.key\n");
        assert!(ignored(&nested, "sub/x/y.key", false));
        assert!(!ignored(&nested, "other/y.key", false));
    }

    #[test]
    fn skip_globs_match_paths_and_names() {
        let skips = Skips::new(&["node_modules".into(), "deploy/*.yaml".into()]).unwrap();
        assert!(skips.skips("a/node_modules", "node_modules"));
        assert!(skips.skips("deploy/x.yaml", "x.yaml"));
        assert!(!skips.skips("deploy/sub/x.yaml", "x.yaml"));
    }
}
