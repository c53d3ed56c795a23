//! Which files OS packages installed: dpkg's `var/lib/dpkg/info/*.list`, apk's
//! `lib/apk/db/installed` (`F:` directory, `R:` file lines) and the rpm database's file lists. A setuid file that a package
//! installed is expected; one that no package owns is where a planted backdoor shows.

use artifact::Analyzer;
use inventory::{path_hash, FileResult};

pub struct PackageFilesAnalyzer;

impl Analyzer for PackageFilesAnalyzer {
    fn name(&self) -> &'static str {
        "package-files"
    }

    fn wants(&self, path: &str) -> bool {
        path == "lib/apk/db/installed"
            || (path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list"))
            || crate::rpm::is_database(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let hashes = owned_hashes(path, content)?;
        Ok(vec![FileResult::OwnedFiles { hashes }])
    }
}

/// The [`path_hash`]es of the files a package database (`path`: a dpkg `.list`, apk's
/// `installed` or an rpm database) says its packages installed.
pub fn owned_hashes(path: &str, content: &[u8]) -> Result<Vec<u64>, String> {
    let text = String::from_utf8_lossy(content);
    Ok(if crate::rpm::is_database(path) {
        crate::rpm::owned_files(content)?
    } else if path.ends_with(".list") {
        text.lines()
            .map(str::trim)
            .filter(|l| l.starts_with('/') && l.len() > 1)
            .map(path_hash)
            .collect()
    } else {
        apk_files(&text)
    })
}

/// `F:usr/bin` then `R:passwd` lines name `usr/bin/passwd`.
fn apk_files(text: &str) -> Vec<u64> {
    let mut dir = "";
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("F:") {
            dir = d.trim().trim_matches('/');
        } else if let Some(name) = line.strip_prefix("R:") {
            let name = name.trim();
            if dir.is_empty() {
                out.push(path_hash(name));
            } else {
                out.push(path_hash(&format!("{dir}/{name}")));
            }
        } else if line.trim().is_empty() {
            dir = "";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_lists_and_apk_records() {
        let a = PackageFilesAnalyzer;
        assert!(a.wants("var/lib/dpkg/info/login.list"));
        assert!(!a.wants("var/lib/dpkg/info/login.md5sums"));
        let got = a
            .analyze("var/lib/dpkg/info/login.list", b"/.\n/bin\n/bin/su\n")
            .unwrap();
        let FileResult::OwnedFiles { hashes } = &got[0] else {
            panic!()
        };
        assert!(hashes.contains(&path_hash("bin/su")));
        let apk = "P:busybox\nF:bin\nR:busybox\nF:usr/bin\nR:passwd\n\nP:x\nR:top\n";
        let hashes = apk_files(apk);
        assert_eq!(
            hashes,
            [
                path_hash("bin/busybox"),
                path_hash("usr/bin/passwd"),
                path_hash("top")
            ]
        );
    }
}
