//! The data model shared by every stage: what an analyzer finds in a file, what a layer
//! contributes, and the squashed inventory of a whole artifact that detectors match.

pub mod limits;
pub mod purl;
pub mod severity;

pub use severity::Severity;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a package or finding came from: the layer that introduced it. Its texts are shared
/// (`Arc`): every package and finding of the layer carries a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// Position of the layer in the image, 0 = base.
    pub index: usize,
    /// The layer's diff_id (sha256 of the uncompressed tar), `sha256:<hex>`.
    pub digest: Arc<str>,
    /// The history entry's `created_by`, when the image records one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Arc<str>>,
}

/// One installed package, as a package database or manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The version as the ecosystem writes it; for rpm `[epoch:]version-release`.
    pub version: String,
    /// Lower-case ecosystem: `debian`, `ubuntu`, `alpine`, `almalinux`, `rpm`, `pypi`, …
    /// Catalogers set the database kind (`dpkg`, `apk`, `rpm`); the scan replaces it with the
    /// OS family once the OS is known.
    pub ecosystem: String,
    pub purl: String,
    /// Source (dpkg) or origin (apk) or source rpm package name, when it differs or is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version when it differs from `version` (dpkg binNMUs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The file the package was read from, e.g. `var/lib/dpkg/status`.
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

/// What the OS release files say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// Lower-case family id: `debian`, `ubuntu`, `alpine`, `almalinux`, `rhel`, `rocky`, …
    pub family: String,
    /// VERSION_ID or the release file's version, e.g. `12`, `3.18.4`, `9.3`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

/// The kind of package database a cataloger read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageDb {
    Dpkg,
    Apk,
    Rpm,
    /// A language ecosystem's manifest, lock file, metadata or binary: the packages carry
    /// their own `ecosystem` (`pypi`, `npm`, `go`, `crates.io`, `maven`, `rubygems`,
    /// `packagist`, `nuget`: the OSV ecosystem name in lower case).
    Language,
}

/// What an analyzer found in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileResult {
    /// An OS release file; `priority` orders conflicting sources (os-release wins).
    Os { release: OsRelease, priority: u8 },
    /// Packages from a package database or manifest.
    Packages {
        db: PackageDb,
        packages: Vec<Package>,
    },
    /// Credentials found in the file's text.
    Secrets { secrets: Vec<Secret> },
    /// A file the image-config rules judge by path and mode (setuid, world-writable, caches).
    FileMode { mode: u32 },
    /// The files an OS package database says its packages installed (dpkg `info/*.list`, apk
    /// `F:`/`R:` lines), as [`path_hash`]es: a setuid file no package owns stands out.
    OwnedFiles { hashes: Vec<u64> },
    /// The licences a Debian package's `usr/share/doc/<package>/copyright` names.
    Licenses {
        package: String,
        licenses: Vec<String>,
    },
    /// Malicious content: a YARA rule that matched the file, or its hash on a known-bad list.
    Malware {
        findings: Vec<MalwareContent>,
        /// Matches of third-party rules below the severities asked for, left out in the
        /// analyzer (a capability set matches most binaries): counted for the report's note.
        #[serde(default, skip_serializing_if = "is_zero")]
        quiet: usize,
    },
    /// The file was analysed only in part (a limit was reached): the pass moves this to the
    /// report's `warnings[]`, naming the file and layer, and keeps the other results.
    Warning { message: String },
}

/// A stable 64-bit hash (FNV-1a) of a path without its leading `/`: package file lists hold
/// hundreds of thousands of paths, kept (and cached per layer) as hashes, not strings.
pub fn path_hash(path: &str) -> u64 {
    path.trim_start_matches('/')
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// A credential found in a file, an image's config or history, or a manifest. The value is
/// never kept whole: `matched` shows a few characters and masks the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The rule that fired, e.g. `aws-access-key-id`.
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// Path in the artifact, or `config:Env`, `config:Labels`, `history[3]`.
    pub file: String,
    /// 1-based line of the match.
    pub line: usize,
    /// 1-based column (in bytes) of the secret value on its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The secret, masked: a few leading characters, then `*`.
    #[serde(rename = "match")]
    pub matched: String,
    /// The layer that added the file; `null` for config, manifests and source trees.
    pub layer: Option<LayerRef>,
    /// True when a later layer deletes or overwrites the file: still in the image's blobs.
    #[serde(default)]
    pub deleted: bool,
}

/// Malicious content in a file: a YARA rule that matched it (`kind` `content`) or its hash on
/// a known-bad list (`hash`). A rule's texts are shared (`Arc`) by all its matches: a third-party
/// set can match a hundred thousand times in one image. Never the matched bytes (they may be a payload): string names and
/// offsets only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalwareContent {
    /// `content` or `hash`.
    pub kind: Arc<str>,
    /// The rule (`BH-MAL-003`, or a third-party rule's name), or `hash` for hash lists.
    pub rule_id: Arc<str>,
    /// `bulkhead`, or the third-party set (its directory or file name) or hash list.
    pub rule_set: Arc<str>,
    pub severity: Severity,
    pub title: Arc<str>,
    pub file: String,
    pub layer: Option<LayerRef>,
    /// True when a later layer deletes or overwrites the file: still in the image's blobs.
    #[serde(default)]
    pub deleted: bool,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_strings: Vec<MatchedString>,
    /// Third-party rules' `author`, `reference` and licence, which their licences require to
    /// be kept with a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<Arc<str>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A rule string that matched, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedString {
    pub name: String,
    pub offset: u64,
}

/// A file of the final view with the mode the pass saw; the path has no leading `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileModeEntry {
    pub path: String,
    pub mode: u32,
}

/// A non-fatal problem with one file: the scan goes on, the report says it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Where in the file, when the problem has a position (a parse error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.file),
            (Some(line), None) => format!("{}:{line}", self.file),
            _ => self.file.clone(),
        };
        match (&self.layer, self.file.is_empty()) {
            (Some(layer), _) => {
                let layer = short(layer);
                write!(f, "{place} (layer {layer}): {}", self.message)
            }
            (None, false) => write!(f, "{place}: {}", self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

/// `sha256:0123456789ab…` → `0123456789ab`, for display.
pub fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    &hex[..hex.len().min(12)]
}

/// The squashed view of an artifact: what detectors match.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Inventory {
    pub os: Option<OsRelease>,
    pub packages: Vec<Package>,
    /// Secrets from every layer, including files later layers delete.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// Malicious content from every layer, including files later layers delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malware: Vec<MalwareContent>,
    /// Third-party matches the analyzer left out, below the severities asked for.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub malware_quiet: usize,
    pub warnings: Vec<Warning>,
    /// Files reported by [`FileResult::FileMode`], only those still present in the final view.
    #[serde(default)]
    pub file_modes: Vec<FileModeEntry>,
    /// [`path_hash`]es of the files OS packages installed, sorted; empty when no package file
    /// list was seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned_files: Vec<u64>,
}

impl Inventory {
    /// Does an OS package own `path`? `None` when no package file list was seen. Merged-/usr
    /// systems list `/bin/su` for what the image holds at `usr/bin/su`, and the other way round.
    pub fn package_owns(&self, path: &str) -> Option<bool> {
        if self.owned_files.is_empty() {
            return None;
        }
        let path = path.trim_start_matches('/');
        let merged = ["bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/"];
        let alternative = match path.strip_prefix("usr/") {
            Some(rest) if merged.iter().any(|d| rest.starts_with(d)) => Some(rest.to_string()),
            None if merged.iter().any(|d| path.starts_with(d)) => Some(format!("usr/{path}")),
            _ => None,
        };
        let owned = |p: &str| self.owned_files.binary_search(&path_hash(p)).is_ok();
        Some(owned(path) || alternative.is_some_and(|a| owned(&a)))
    }

    /// Once the OS is known, OS packages take its family as their ecosystem and get purls.
    pub fn assign_os(&mut self) {
        let os = self.os.clone();
        for package in &mut self.packages {
            let db = match package.ecosystem.as_str() {
                "dpkg" => PackageDb::Dpkg,
                "apk" => PackageDb::Apk,
                "rpm" => PackageDb::Rpm,
                _ => continue,
            };
            package.purl = purl::os_package(db, os.as_ref(), package);
            if let Some(os) = &os {
                package.ecosystem = os.family.clone();
            }
        }
        self.packages
            .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    }
}
