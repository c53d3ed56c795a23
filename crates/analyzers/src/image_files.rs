//! Files the image-config rules judge by their metadata: setuid/setgid and world-writable
//! files, package-manager caches, shells and sudo, and package databases (whose absence
//! marks a distroless-looking image). Only the path and mode are recorded.

use artifact::{Analyzer, FileMeta};
use inventory::FileResult;

pub struct ImageFilesAnalyzer;

/// Paths recorded whatever their mode.
fn interesting(path: &str) -> bool {
    matches!(
        path,
        "bin/sh"
            | "bin/bash"
            | "bin/busybox"
            | "bin/su"
            | "usr/bin/su"
            | "usr/bin/sudo"
            | "var/lib/dpkg/status"
            | "lib/apk/db/installed"
            | "var/lib/rpm/rpmdb.sqlite"
            | "var/lib/rpm/Packages"
    ) || (path.starts_with("var/cache/apt/archives/") && path.ends_with(".deb"))
        || (path.starts_with("var/lib/apt/lists/") && !path.ends_with("/lock"))
        || path.starts_with("var/cache/apk/")
        || path.starts_with("var/cache/yum/")
        || path.starts_with("var/cache/dnf/")
        || path.contains(".cache/pip/")
}

impl Analyzer for ImageFilesAnalyzer {
    fn name(&self) -> &'static str {
        "image-files"
    }

    fn wants(&self, path: &str) -> bool {
        interesting(path)
    }

    fn wants_file(&self, file: &FileMeta) -> bool {
        file.mode & 0o6002 != 0 || interesting(file.path)
    }

    fn analyze(&self, _path: &str, _content: &[u8]) -> Result<Vec<FileResult>, String> {
        Ok(Vec::new())
    }

    fn analyze_file(&self, file: &FileMeta, _content: &[u8]) -> Result<Vec<FileResult>, String> {
        Ok(vec![FileResult::FileMode { mode: file.mode }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_special_modes_and_known_paths() {
        let meta = |path, mode| FileMeta {
            path,
            mode,
            size: 10,
        };
        let a = ImageFilesAnalyzer;
        assert!(a.wants_file(&meta("usr/bin/passwd", 0o4755)));
        assert!(a.wants_file(&meta("usr/bin/wall", 0o2755)));
        assert!(a.wants_file(&meta("srv/data.txt", 0o666)));
        assert!(a.wants_file(&meta("var/lib/apt/lists/x_Packages.lz4", 0o644)));
        assert!(!a.wants_file(&meta("usr/bin/ls", 0o755)));
        assert!(!a.wants_file(&meta("tmp", 0o1777 & !0o002)));
    }
}
