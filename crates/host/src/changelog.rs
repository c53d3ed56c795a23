//! Debian changelogs as evidence of backported fixes. Debian fixes a runtime's CVE without
//! changing the upstream version (runc `1.1.5+ds1-1+deb12u1` carries the CVE-2024-21626 fix),
//! and says so in `/usr/share/doc/<package>/changelog.Debian.gz`. When the advisory data is
//! older than the package, the changelog of the installed version is the better witness.

use crate::root::Root;
use serde::Serialize;
use std::io::Read;

/// Largest changelog read, compressed and decompressed.
const MAX_COMPRESSED: u64 = 4 << 20;
const MAX_TEXT: u64 = 16 << 20;

/// A CVE the installed package's changelog says it fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backport {
    pub cve: String,
    /// `file:line` of the changelog entry naming it.
    pub evidence: String,
}

/// The CVEs named by the changelog entries of `version` and every older entry. Nothing when the
/// changelog has no entry for the installed version (it would not describe what is installed).
pub fn backports(root: &Root, package: &str, version: &str) -> Vec<Backport> {
    let path = format!("/usr/share/doc/{package}/changelog.Debian.gz");
    let Some(compressed) = root.read_bytes(&path, MAX_COMPRESSED) else {
        return Vec::new();
    };
    let mut text = String::new();
    let decoder = flate2::read::MultiGzDecoder::new(&compressed[..]);
    if decoder.take(MAX_TEXT).read_to_string(&mut text).is_err() {
        return Vec::new();
    }
    named_cves(&text, version)
        .into_iter()
        .map(|(cve, line)| Backport {
            cve,
            evidence: format!("{path}:{line}"),
        })
        .collect()
}

/// (CVE, line) for each CVE named at or below the installed version's entry, first mention only.
fn named_cves(text: &str, installed: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut reached = false;
    for (i, line) in text.lines().enumerate() {
        if let Some(version) = entry_version(line) {
            // A binary-only rebuild (`+b6`) keeps the source package's changelog.
            reached |= version == installed || installed.starts_with(&format!("{version}+b"));
            continue;
        }
        if !reached {
            continue;
        }
        for cve in cves(line) {
            if !out.iter().any(|(c, _)| *c == cve) {
                out.push((cve, i + 1));
            }
        }
    }
    out
}

/// The version of an entry's first line: `runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high`.
fn entry_version(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t']) || line.is_empty() {
        return None;
    }
    let (_, rest) = line.split_once(" (")?;
    let (version, rest) = rest.split_once(')')?;
    rest.contains("urgency=").then_some(version)
}

/// `CVE-YYYY-NNNN…` identifiers in a line.
fn cves(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("CVE-") {
        let tail = &rest[at + 4..];
        let year: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let number: String = tail
            .get(year.len() + 1..)
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if year.len() == 4 && tail[4..].starts_with('-') && number.len() >= 4 {
            out.push(format!("CVE-{year}-{number}"));
        }
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "runc (1.1.6-1) unstable; urgency=medium\n\n  * CVE-2099-0001: not installed yet\n\n -- A <a@b>  Mon, 01 Jan 2024 00:00:00 +0000\n\nrunc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n\n  * CVE-2024-21626: leaked fds\n\n -- A <a@b>  Fri, 02 Feb 2024 21:53:05 +0800\n\nrunc (1.1.5+ds1-1) unstable; urgency=medium\n\n    + CVE-2023-27561: (re-introduced CVE-2019-19921)\n  * not CVE-20x-1 nor CVE-2023-12\n";

    #[test]
    fn cves_at_and_below_the_installed_entry() {
        let found = named_cves(CHANGELOG, "1.1.5+ds1-1+deb12u1");
        assert_eq!(
            found,
            [
                ("CVE-2024-21626".to_string(), 9),
                ("CVE-2023-27561".to_string(), 15),
                ("CVE-2019-19921".to_string(), 15),
            ]
        );
        // A binNMU of that version reads the same entries; an unknown version reads none.
        assert_eq!(named_cves(CHANGELOG, "1.1.5+ds1-1+deb12u1+b2").len(), 3);
        assert!(named_cves(CHANGELOG, "9.9").is_empty());
    }
}
