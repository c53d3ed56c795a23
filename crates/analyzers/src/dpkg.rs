//! dpkg: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/<package>` files.

use crate::records::{records, text};
use artifact::Analyzer;
use inventory::{FileResult, Package, PackageDb};

pub struct DpkgCataloger;

/// Per-package control files that live beside status.d entries and are not stanzas.
const SIDE_FILES: &[&str] = &[
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".triggers",
    ".shlibs",
    ".symbols",
    ".templates",
    ".config",
];

impl Analyzer for DpkgCataloger {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str) -> bool {
        if matches!(path, "var/lib/dpkg/status" | "usr/lib/dpkg/status") {
            return true;
        }
        ["var/lib/dpkg/status.d/", "usr/lib/dpkg/status.d/"]
            .iter()
            .any(|dir| {
                path.strip_prefix(dir).is_some_and(|name| {
                    !name.contains('/') && !SIDE_FILES.iter().any(|s| name.ends_with(s))
                })
            })
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let packages = parse(path, text(content)?)?;
        Ok(vec![FileResult::Packages {
            db: PackageDb::Dpkg,
            packages,
        }])
    }
}

/// Parses a status file. Stanzas without `Package`/`Version` are malformed: if no stanza is
/// usable the file is reported as corrupt rather than giving an empty result.
pub fn parse(path: &str, text: &str) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    let mut malformed = 0usize;
    for stanza in records(text) {
        match package(path, stanza) {
            Some(Some(package)) => packages.push(package),
            Some(None) => {} // not installed
            None => malformed += 1,
        }
    }
    if packages.is_empty() && malformed > 0 {
        return Err(format!(
            "corrupt dpkg database: {malformed} stanza(s) without Package/Version fields"
        ));
    }
    Ok(packages)
}

/// `None` when malformed, `Some(None)` when not installed.
fn package(path: &str, stanza: &str) -> Option<Option<Package>> {
    let field = |name: &str| -> Option<&str> {
        stanza.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (!line.starts_with([' ', '\t']) && key.eq_ignore_ascii_case(name)).then(|| value.trim())
        })
    };
    let name = field("Package").filter(|n| !n.is_empty())?;
    let version = field("Version").filter(|v| !v.is_empty())?;
    // Only "install ok installed" (and distroless files without a Status) are on disk.
    if let Some(status) = field("Status") {
        if status.split_whitespace().nth(2) != Some("installed") {
            return Some(None);
        }
    }
    let (source_name, source_version) = match field("Source") {
        Some(source) => match source.split_once('(') {
            Some((src, ver)) => (
                src.trim().to_string(),
                Some(ver.trim_end_matches(')').trim().to_string()),
            ),
            None => (source.to_string(), None),
        },
        None => (name.to_string(), None),
    };
    let arch = field("Architecture").map(str::to_string);
    Some(Some(Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "dpkg".into(),
        purl: String::new(),
        source_name: (source_name != name).then_some(source_name),
        source_version: source_version.filter(|v| v != version),
        arch,
        licenses: Vec::new(),
        location: path.to_string(),
        layer: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_source_versions_and_skips_removed_packages() {
        let status = "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\nSource: glibc\n\n\
Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nSource: bash (5.2.15-2)\nDescription: shell\n multi-line\n\n\
Package: old\nStatus: deinstall ok config-files\nVersion: 1.0\n";
        let got = parse("var/lib/dpkg/status", status).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].source_name.as_deref(), Some("glibc"));
        assert_eq!(got[0].source_version, None);
        assert_eq!(got[1].source_name, None);
        assert_eq!(got[1].source_version.as_deref(), Some("5.2.15-2"));
    }

    #[test]
    fn corrupt_database_is_an_error() {
        assert!(parse("s", "Pakij: apt\nStratus: install ok installed\n").is_err());
        assert!(parse("s", "").unwrap().is_empty());
    }

    #[test]
    fn wants_status_files_not_side_files() {
        let d = DpkgCataloger;
        assert!(d.wants("var/lib/dpkg/status"));
        assert!(d.wants("var/lib/dpkg/status.d/libssl1.1"));
        assert!(!d.wants("var/lib/dpkg/status.d/libssl1.1.md5sums"));
        assert!(!d.wants("var/lib/dpkg/status-old"));
    }
}
