//! What the CycloneDX and SPDX writers share: stable component references, property names,
//! licence classification and random document ids.
//!
//! Property names (CycloneDX `properties[]`, SPDX package `annotations` are not used) are
//! namespaced `bulkhead:` as the CycloneDX property taxonomy asks; docs/sbom.md lists them.

use crate::Report;
use inventory::Package;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

pub const PROP_LAYER_DIFF_ID: &str = "bulkhead:layer:diff_id";
pub const PROP_LAYER_INDEX: &str = "bulkhead:layer:index";
pub const PROP_LAYER_CREATED_BY: &str = "bulkhead:layer:created_by";
pub const PROP_LOCATION: &str = "bulkhead:location";
pub const PROP_ECOSYSTEM: &str = "bulkhead:package:ecosystem";
pub const PROP_SOURCE_NAME: &str = "bulkhead:package:source_name";
pub const PROP_SOURCE_VERSION: &str = "bulkhead:package:source_version";
pub const PROP_ARTIFACT_TYPE: &str = "bulkhead:artifact:type";
pub const PROP_CONFIG_DIGEST: &str = "bulkhead:artifact:config_digest";
/// Where a vulnerability's severity came from (the JSON report's `severity_source`).
pub const PROP_SEVERITY_SOURCE: &str = "bulkhead:vulnerability:severity_source";
/// A data gap or problem of the scan (the JSON report's `warnings[]`).
pub const PROP_WARNING: &str = "bulkhead:warning";
pub const PROP_REPO_TAG: &str = "bulkhead:artifact:repo_tag";
pub const PROP_FIXED_VERSION: &str = "bulkhead:vulnerability:fixed_version";
pub const PROP_ADVISORY_ECOSYSTEM: &str = "bulkhead:vulnerability:advisory_ecosystem";

/// Packages an OS package manager installed (they hang off the OS component).
pub fn is_os_package(package: &Package, report: &Report) -> bool {
    matches!(package.ecosystem.as_str(), "dpkg" | "apk" | "rpm")
        || report
            .os
            .as_ref()
            .is_some_and(|os| os.family == package.ecosystem)
}

/// One reference per package, unique within the document: the purl, with `#2`, `#3`… for a
/// purl seen again (the same package recorded in two places).
pub fn package_refs(packages: &[Package]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let base = if p.purl.is_empty() {
                ""
            } else {
                p.purl.as_str()
            };
            let n = seen.entry(base).or_insert(0);
            *n += 1;
            match (base.is_empty(), *n) {
                (true, _) => format!("package-{i}"),
                (false, 1) => base.to_string(),
                (false, n) => format!("{base}#{n}"),
            }
        })
        .collect()
}

/// The reference of the package a vulnerability names (by purl, then name and version).
pub fn affected_ref<'a>(
    packages: &[Package],
    refs: &'a [String],
    purl: &str,
    name: &str,
    version: &str,
) -> Option<&'a str> {
    packages
        .iter()
        .position(|p| !purl.is_empty() && p.purl == purl)
        .or_else(|| {
            packages
                .iter()
                .position(|p| p.name == name && p.version == version)
        })
        .and_then(|i| refs.get(i))
        .map(String::as_str)
}

/// Common SPDX licence identifiers that package metadata uses verbatim. Anything else is kept
/// as free text (CycloneDX `license.name`, SPDX `LicenseRef-`), which both schemas accept; a
/// wrong `id` would make the document invalid.
const KNOWN_SPDX_IDS: &[&str] = &[
    "0BSD",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "EPL-1.0",
    "EPL-2.0",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "OpenSSL",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Unicode-DFS-2016",
    "Unlicense",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
    "curl",
    "bzip2-1.0.6",
];

/// The SPDX identifier `text` is, if it is one of the well-known ones (case-insensitive).
pub fn spdx_id(text: &str) -> Option<&'static str> {
    let text = text.trim();
    KNOWN_SPDX_IDS
        .iter()
        .find(|id| id.eq_ignore_ascii_case(text))
        .copied()
}

/// A random RFC 4122 version-4 UUID (std's per-process random hash keys; no extra crate).
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_differ() {
        let a = random_uuid();
        let b = random_uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn licence_ids() {
        assert_eq!(spdx_id("mit"), Some("MIT"));
        assert_eq!(spdx_id("GPLv2+"), None);
    }
}
