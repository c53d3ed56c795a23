//! A root filesystem on disk (an unpacked image, or `/` of a host) as a single layer.

use crate::layer::warning;
use crate::{Analyzer, ArtifactError, FileMeta, LayerResult, Limits};
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Kernel and device trees hold no packages and can hang a reader.
const SKIPPED: &[&str] = &["proc", "sys", "dev", "run"];
const MAX_DEPTH: usize = 64;

/// Walks `root` without following symlinks, handing wanted regular files to the analyzers.
pub fn analyze_rootfs(
    root: &Path,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
) -> Result<LayerResult, ArtifactError> {
    let meta =
        fs::metadata(root).map_err(|e| ArtifactError::Other(format!("{}: {e}", root.display())))?;
    if !meta.is_dir() {
        return Err(ArtifactError::Other(format!(
            "{}: not a directory",
            root.display()
        )));
    }
    let mut result = LayerResult::default();
    visit(root, "", 0, analyzers, limits, &mut result);
    Ok(result)
}

fn visit(
    dir: &Path,
    rel: &str,
    depth: usize,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    result: &mut LayerResult,
) {
    if depth > MAX_DEPTH {
        result.warnings.push(warning(
            rel,
            "",
            "directories nested too deep; not descended",
        ));
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            result
                .warnings
                .push(warning(rel, "", &format!("cannot list: {e}")));
            return;
        }
    };
    let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
    names.sort_by_key(|e| e.file_name());
    for entry in names {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if depth == 0 && SKIPPED.contains(&name.as_str()) {
            continue;
        }
        // file_type() does not follow symlinks: links are never walked, so loops cannot hang us.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            visit(&entry.path(), &path, depth + 1, analyzers, limits, result);
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let file = FileMeta {
            path: &path,
            mode: meta.permissions().mode() & 0o7777,
            size: meta.len(),
        };
        let wanted: Vec<&dyn Analyzer> = analyzers
            .iter()
            .copied()
            .filter(|a| a.wants_file(&file))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        match read_capped(&entry.path(), limits.max_file_size) {
            Ok(content) => crate::layer::run(&wanted, &file, &content, "", result),
            Err(message) => result.warnings.push(warning(&path, "", &message)),
        }
    }
}

pub(crate) fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut content = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot read: {e}"))?;
    if content.len() as u64 > cap {
        return Err(format!("over --max-file-size {cap}; not analyzed"));
    }
    Ok(content)
}
