//! Matching language packages (PyPI, npm, Go, crates.io, Maven, RubyGems, Packagist, NuGet)
//! against OSV advisories of their ecosystem. OpenSSF malicious-package reports (`MAL-*`)
//! become [`Malware`] findings, not vulnerabilities.

use crate::matcher::{best_hit, fix_installed, fixed_entry, vulnerability, Matches};
use crate::version::Scheme;
use inventory::{Inventory, LayerRef, Package};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use store::osv::Advisory;
use store::Store;

/// A package version that an OpenSSF malicious-package report names: the JSON report's
/// `malware[]` entry. Always CRITICAL.
#[derive(Debug, Clone, Serialize)]
pub struct Malware {
    pub id: String,
    pub package: String,
    pub version: String,
    pub ecosystem: String,
    pub purl: String,
    pub location: String,
    pub layer: Option<LayerRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// The OSV ecosystem for a package's lower-case ecosystem, if it is a language ecosystem.
pub fn osv_ecosystem(ecosystem: &str) -> Option<&'static str> {
    Some(match ecosystem {
        "pypi" => "PyPI",
        "npm" => "npm",
        "go" => "Go",
        "crates.io" => "crates.io",
        "maven" => "Maven",
        "rubygems" => "RubyGems",
        "packagist" => "Packagist",
        "nuget" => "NuGet",
        _ => return None,
    })
}

/// Whether an advisory is an OpenSSF malicious-package report.
pub fn is_malware(advisory: &Advisory) -> bool {
    advisory.id.starts_with("MAL-")
}

/// The version OSV records for this package: the Go toolchain `go1.21.3` is `1.21.3` of
/// `stdlib` (release candidates `go1.21rc2` → `1.21.0-rc.2`, as the Go vulndb writes them).
fn advisory_version<'a>(ecosystem: &str, package: &'a Package) -> std::borrow::Cow<'a, str> {
    let version = package.version.as_str();
    if ecosystem != "Go" || package.name != "stdlib" {
        return version.into();
    }
    let bare = version.strip_prefix("go").unwrap_or(version);
    for tag in ["rc", "beta"] {
        if let Some((release, n)) = bare.split_once(tag) {
            let release = match release.matches('.').count() {
                1 => format!("{release}.0"),
                _ => release.to_string(),
            };
            return format!("{release}-{tag}.{n}").into();
        }
    }
    bare.to_string().into()
}

/// Adds the vulnerabilities and malware of the language packages in `inventory`. One
/// package version found in several files (a lock file and the installed copy) gives one
/// finding per advisory.
pub fn match_packages(
    store: &Store,
    inventory: &Inventory,
    matches: &mut Matches,
) -> Result<(), store::Error> {
    let mut cache: HashMap<(&str, String), Vec<Advisory>> = HashMap::new();
    let mut seen: HashSet<(String, &str, String, &str)> = HashSet::new();
    let mut distro_built: HashSet<&str> = HashSet::new();
    for package in &inventory.packages {
        let Some(ecosystem) = osv_ecosystem(&package.ecosystem) else {
            continue;
        };
        // A Go or Rust binary an OS package installed is the distribution's build: its fixes
        // (backported, often without a version change) are tracked by the distro's advisories.
        let binary = matches!(ecosystem, "Go" | "crates.io");
        if binary && inventory.package_owns(&package.location) == Some(true) {
            distro_built.insert(&package.location);
            continue;
        }
        let Some(scheme) = Scheme::for_ecosystem(ecosystem) else {
            continue;
        };
        let key = store::name_key(ecosystem, &package.name);
        let cache_key = (ecosystem, key.clone());
        if !cache.contains_key(&cache_key) {
            let found = store.advisories_for(ecosystem, &package.name)?;
            cache.insert(cache_key.clone(), found);
        }
        let version = advisory_version(ecosystem, package);
        for advisory in &cache[&cache_key] {
            let Some((affected, fixed)) = best_hit(
                advisory,
                ecosystem,
                &key,
                scheme,
                &version,
                package,
                &mut matches.warnings,
            ) else {
                if matches.collect_fixed && !is_malware(advisory) {
                    if let Some(fix) = fix_installed(advisory, ecosystem, &key, scheme, &version) {
                        matches.fixed.push(fixed_entry(advisory, package, fix));
                    }
                }
                continue;
            };
            let id = (
                advisory.id.clone(),
                ecosystem,
                key.clone(),
                package.version.as_str(),
            );
            if !seen.insert(id) {
                continue;
            }
            if is_malware(advisory) {
                matches.malware.push(Malware {
                    id: advisory.id.clone(),
                    package: package.name.clone(),
                    version: package.version.clone(),
                    ecosystem: package.ecosystem.clone(),
                    purl: package.purl.clone(),
                    location: package.location.clone(),
                    layer: package.layer.clone(),
                    summary: advisory.summary.clone(),
                });
            } else {
                let v = vulnerability(advisory, affected, fixed, package, ecosystem);
                matches.vulnerabilities.push(v);
            }
        }
    }
    if !distro_built.is_empty() {
        let mut binaries: Vec<&str> = distro_built.into_iter().collect();
        binaries.sort_unstable();
        let shown: Vec<&str> = binaries.iter().take(5).copied().collect();
        let more = binaries.len().saturating_sub(shown.len());
        matches.warnings.push(inventory::Warning {
line: None, column: None,
            file: String::new(),
            layer: None,
            message: format!(
                "{} Go/Rust binaries installed by OS packages ({}{}) are matched through the distribution's advisories only, not the Go/crates.io feeds",
                binaries.len(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        });
    }
    matches
        .malware
        .sort_by(|a, b| (&a.package, &a.version, &a.id).cmp(&(&b.package, &b.version, &b.id)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: "go".into(),
            purl: String::new(),
            source_name: None,
            source_version: None,
            arch: None,
            licenses: vec![],
            location: String::new(),
            layer: None,
        }
    }

    #[test]
    fn go_toolchain_versions_become_stdlib_versions() {
        assert_eq!(advisory_version("Go", &go("stdlib", "go1.21.3")), "1.21.3");
        assert_eq!(
            advisory_version("Go", &go("stdlib", "go1.21rc2")),
            "1.21.0-rc.2"
        );
        assert_eq!(advisory_version("Go", &go("stdlib", "1.20.1")), "1.20.1");
        assert_eq!(advisory_version("Go", &go("x/y", "v1.0.0")), "v1.0.0");
    }
}
