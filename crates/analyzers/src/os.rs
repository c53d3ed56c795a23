//! OS detection from release files. os-release is authoritative; the distro-specific files
//! fill in for images that lack it.

use artifact::Analyzer;
use inventory::{FileResult, OsRelease};

pub struct OsAnalyzer;

const OS_RELEASE: &str = "etc/os-release";
const USR_OS_RELEASE: &str = "usr/lib/os-release";
/// `*-release` files of the Red Hat family, in the form `Name release 9.3 (Codename)`.
const REDHAT_FILES: &[&str] = &[
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/oracle-release",
    "etc/fedora-release",
    "etc/system-release",
];

impl Analyzer for OsAnalyzer {
    fn name(&self) -> &'static str {
        "os"
    }

    fn wants(&self, path: &str) -> bool {
        matches!(
            path,
            OS_RELEASE | USR_OS_RELEASE | "etc/alpine-release" | "etc/debian_version"
        ) || REDHAT_FILES.contains(&path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let text = String::from_utf8_lossy(content);
        let (release, priority) = match path {
            OS_RELEASE => (os_release(&text), 4),
            USR_OS_RELEASE => (os_release(&text), 3),
            "etc/alpine-release" => (simple("alpine", text.trim()), 2),
            "etc/debian_version" => (debian_version(text.trim()), 1),
            _ => (redhat_release(&text), 2),
        };
        Ok(release
            .map(|release| FileResult::Os { release, priority })
            .into_iter()
            .collect())
    }
}

fn simple(family: &str, version: &str) -> Option<OsRelease> {
    (!version.is_empty() && version.len() < 64).then(|| OsRelease {
        family: family.to_string(),
        version: version.to_string(),
        ..OsRelease::default()
    })
}

/// `KEY=value` lines, values optionally quoted.
pub fn os_release(text: &str) -> Option<OsRelease> {
    let mut release = OsRelease::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        match key.trim() {
            "ID" => release.family = value.to_ascii_lowercase(),
            "VERSION_ID" => release.version = value,
            "VERSION_CODENAME" => release.codename = Some(value).filter(|v| !v.is_empty()),
            "PRETTY_NAME" => release.pretty_name = Some(value),
            _ => {}
        }
    }
    if release.family.is_empty() {
        return None;
    }
    // Debian testing/sid carry no VERSION_ID; the codename still names the release.
    if release.version.is_empty() {
        release.version = release.codename.clone().unwrap_or_default();
    }
    Some(release)
}

/// `11.6` → 11; `bookworm/sid` → the codename.
fn debian_version(text: &str) -> Option<OsRelease> {
    let version = match text.split_once('.') {
        Some((major, _)) if major.bytes().all(|b| b.is_ascii_digit()) => major,
        _ => text.split('/').next().unwrap_or(text),
    };
    simple("debian", version)
}

/// `AlmaLinux release 9.3 (Shamrock Pearl Lion)` → almalinux 9.3.
fn redhat_release(text: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let name = name.to_ascii_lowercase();
    let family = [
        ("almalinux", "almalinux"),
        ("rocky", "rocky"),
        ("centos", "centos"),
        ("oracle", "ol"),
        ("fedora", "fedora"),
        ("red hat", "rhel"),
        ("amazon", "amzn"),
    ]
    .iter()
    .find(|(needle, _)| name.contains(needle))
    .map(|(_, family)| *family)?;
    let mut release = simple(family, version)?;
    release.pretty_name = Some(line.to_string());
    Some(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_release() {
        let r = os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n").unwrap();
        assert_eq!((r.family.as_str(), r.version.as_str()), ("debian", "12"));
        assert_eq!(r.codename.as_deref(), Some("bookworm"));
        let sid = os_release("ID=debian\nVERSION_CODENAME=trixie\n").unwrap();
        assert_eq!(sid.version, "trixie");
        assert!(os_release("garbage").is_none());
    }

    #[test]
    fn parses_distro_files() {
        let r = redhat_release("AlmaLinux release 9.3 (Shamrock Pearl Lion)\n").unwrap();
        assert_eq!(
            (r.family.as_str(), r.version.as_str()),
            ("almalinux", "9.3")
        );
        let r = redhat_release("Red Hat Enterprise Linux release 8.9 (Ootpa)").unwrap();
        assert_eq!(r.family, "rhel");
        assert_eq!(debian_version("11.6").unwrap().version, "11");
        assert_eq!(debian_version("bookworm/sid").unwrap().version, "bookworm");
    }
}
