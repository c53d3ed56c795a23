//! Matching an inventory against OSV advisories: ECOSYSTEM and SEMVER ranges and `versions`
//! lists, compared with the ecosystem's own version ordering.

use crate::release;
use crate::severity::{self, Severity};
use crate::version::{compare, Scheme};
use inventory::{Inventory, LayerRef, Package, Warning};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use store::osv::{Advisory, Affected, Event};
use store::Store;

/// One vulnerable package: the JSON report's `vulnerabilities[]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Vulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub installed_version: String,
    pub fixed_version: Option<String>,
    pub severity: Severity,
    /// Where the severity came from: `affected.severity.CVSS_V3`, `advisory.summary`,
    /// `alias:CVE-…` (another record for the same CVE), `none`.
    pub severity_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    pub ecosystem: String,
    pub purl: String,
    /// The package name the advisory names, when it differs (source/origin package).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The OSV ecosystem the advisory came from, e.g. `Debian:11`.
    pub advisory_ecosystem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub layer: Option<LayerRef>,
    /// The file the package was read from (lock file, `*.dist-info`, `var/lib/dpkg/status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// A VEX statement that applies without suppressing (`affected`, `under_investigation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<Box<VexNote>>,
}

/// A VEX statement kept beside the finding it is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VexNote {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The document and statement, e.g. `vex.json#statement 2`.
    pub source: String,
}

/// Result of matching: the vulnerabilities, and problems worth telling the user.
#[derive(Debug, Default)]
pub struct Matches {
    pub vulnerabilities: Vec<Vulnerability>,
    pub warnings: Vec<Warning>,
    /// The OSV ecosystem used for the OS packages, if any.
    pub os_ecosystem: Option<String>,
    /// Language packages named by malicious-package reports (`MAL-*`).
    pub malware: Vec<crate::language::Malware>,
    /// Advisories about an installed package whose fix is installed: the `fixed` statements of
    /// an OpenVEX report.
    pub fixed: Vec<FixInstalled>,
    /// Whether to fill `fixed`.
    pub collect_fixed: bool,
}

/// An advisory that names an installed package at a version its fix already reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixInstalled {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub purl: String,
    pub installed_version: String,
    /// The fixing version at or below the installed one.
    pub fixed_version: String,
}

/// Matches the OS packages and the language packages of `inventory` against the store.
pub fn match_inventory(store: &Store, inventory: &Inventory) -> Result<Matches, store::Error> {
    match_with(store, inventory, Matches::default())
}

/// [`match_inventory`], also listing the advisories whose fix is installed (`Matches::fixed`,
/// for OpenVEX `fixed` statements): more work, so only when asked.
pub fn match_inventory_and_fixes(
    store: &Store,
    inventory: &Inventory,
) -> Result<Matches, store::Error> {
    let matches = Matches {
        collect_fixed: true,
        ..Matches::default()
    };
    match_with(store, inventory, matches)
}

fn match_with(
    store: &Store,
    inventory: &Inventory,
    mut matches: Matches,
) -> Result<Matches, store::Error> {
    match_os(store, inventory, &mut matches)?;
    crate::language::match_packages(store, inventory, &mut matches)?;
    crate::alias_severity::rate_from_aliases(store, &mut matches.vulnerabilities)?;
    matches.vulnerabilities.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(matches)
}

fn match_os(
    store: &Store,
    inventory: &Inventory,
    matches: &mut Matches,
) -> Result<(), store::Error> {
    let has_os_packages = inventory
        .packages
        .iter()
        .any(|p| crate::language::osv_ecosystem(&p.ecosystem).is_none());
    let Some(os) = &inventory.os else {
        if has_os_packages {
            matches
                .warnings
                .push(note("OS not detected: OS packages were not matched"));
        }
        return Ok(());
    };
    let present: Vec<String> = store
        .ecosystems()?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let candidates = release::ecosystems(os);
    let Some(ecosystem) = candidates.iter().find(|e| present.contains(e)).cloned() else {
        if has_os_packages {
            matches.warnings.push(note(&format!(
                "the advisory database has no data for {} {} (looked for {}); OS packages were not matched",
                os.family,
                os.version,
                if candidates.is_empty() { "a known ecosystem".to_string() } else { candidates.join(", ") }
            )));
        }
        return Ok(());
    };
    let Some(scheme) = Scheme::for_ecosystem(&ecosystem) else {
        return Ok(());
    };
    // Many binary packages share one source package: look each name up once.
    let mut by_name: HashMap<String, Arc<Vec<Advisory>>> = HashMap::new();
    for package in inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == os.family)
    {
        let name = release::advisory_name(&os.family, package);
        let version = release::advisory_version(&os.family, package);
        if !by_name.contains_key(name) {
            by_name.insert(name.to_string(), store.advisories_shared(&ecosystem, name)?);
        }
        let key = store::name_key(&ecosystem, name);
        for advisory in by_name[name].iter() {
            let hit = best_hit(
                advisory,
                &ecosystem,
                &key,
                scheme,
                version,
                package,
                &mut matches.warnings,
            );
            if let Some((affected, fixed)) = hit {
                let mut v = vulnerability(advisory, affected, fixed, package, &ecosystem);
                v.source_name = (name != package.name).then(|| name.to_string());
                matches.vulnerabilities.push(v);
            } else if matches.collect_fixed {
                if let Some(fix) = fix_installed(advisory, &ecosystem, &key, scheme, version) {
                    matches.fixed.push(fixed_entry(advisory, package, fix));
                }
            }
        }
    }
    matches.os_ecosystem = Some(ecosystem);
    Ok(())
}

/// The `affected[]` entry of `advisory` for this package that matches `version`, with the
/// fix to offer; several entries may match, the lowest fix wins. Comparison errors become
/// warnings naming the package's file.
pub(crate) fn best_hit<'a>(
    advisory: &'a Advisory,
    ecosystem: &str,
    key: &str,
    scheme: Scheme,
    version: &str,
    package: &Package,
    warnings: &mut Vec<Warning>,
) -> Option<(&'a Affected, Option<String>)> {
    let relevant = advisory.affected.iter().filter(|a| {
        a.package
            .as_ref()
            .is_some_and(|p| p.ecosystem == ecosystem && store::name_key(ecosystem, &p.name) == key)
    });
    let mut hit: Option<(&Affected, Option<String>)> = None;
    for affected in relevant {
        match affects(affected, scheme, version) {
            Ok(Some(fixed)) => {
                let better = match (&hit, &fixed) {
                    (None, _) => true,
                    (Some((_, Some(old))), Some(new)) => {
                        compare(scheme, new, old).is_ok_and(|o| o == Ordering::Less)
                    }
                    (Some((_, Some(_))), None) => false,
                    (Some((_, None)), _) => fixed.is_some(),
                };
                if better {
                    hit = Some((affected, fixed));
                }
            }
            Ok(None) => {}
            Err(message) => warnings.push(Warning {
                line: None,
                column: None,
                file: package.location.clone(),
                layer: None,
                message: format!(
                    "{} {}: {}: {message}",
                    package.name, package.version, advisory.id
                ),
            }),
        }
    }
    hit
}

/// For an advisory that does not affect `version`: the highest `fixed` event of its entries
/// for this package at or below `version`, i.e. the fix the package already has.
pub(crate) fn fix_installed(
    advisory: &Advisory,
    ecosystem: &str,
    key: &str,
    scheme: Scheme,
    version: &str,
) -> Option<String> {
    let mut best: Option<&str> = None;
    let relevant = advisory.affected.iter().filter(|a| {
        a.package
            .as_ref()
            .is_some_and(|p| p.ecosystem == ecosystem && store::name_key(ecosystem, &p.name) == key)
    });
    for event in relevant.flat_map(|a| &a.ranges).flat_map(|r| &r.events) {
        let Some(fixed) = event.fixed.as_deref() else {
            continue;
        };
        let reached = compare(scheme, fixed, version).is_ok_and(|o| o != Ordering::Greater);
        let higher =
            best.is_none_or(|b| compare(scheme, fixed, b).is_ok_and(|o| o == Ordering::Greater));
        if reached && higher {
            best = Some(fixed);
        }
    }
    best.map(str::to_string)
}

pub(crate) fn fixed_entry(advisory: &Advisory, package: &Package, fix: String) -> FixInstalled {
    FixInstalled {
        id: advisory.id.clone(),
        aliases: aliases(advisory),
        package: package.name.clone(),
        purl: package.purl.clone(),
        installed_version: package.version.clone(),
        fixed_version: fix,
    }
}

/// The report entry for `package` hit by `advisory` through `affected`.
pub(crate) fn vulnerability(
    advisory: &Advisory,
    affected: &Affected,
    fixed: Option<String>,
    package: &Package,
    ecosystem: &str,
) -> Vulnerability {
    let assessment = severity::assess(advisory, Some(affected));
    Vulnerability {
        id: advisory.id.clone(),
        aliases: aliases(advisory),
        package: package.name.clone(),
        installed_version: package.version.clone(),
        fixed_version: fixed,
        severity: assessment.severity,
        severity_source: assessment.source.to_string(),
        cvss_score: assessment.score,
        cvss_vector: assessment.vector,
        ecosystem: package.ecosystem.clone(),
        purl: package.purl.clone(),
        source_name: None,
        advisory_ecosystem: ecosystem.to_string(),
        title: advisory.summary.clone(),
        url: advisory.references.first().map(|r| r.url.clone()),
        layer: package.layer.clone(),
        location: (!package.location.is_empty()).then(|| package.location.clone()),
        vex: None,
    }
}

fn note(message: &str) -> Warning {
    Warning {
        line: None,
        column: None,
        file: String::new(),
        layer: None,
        message: message.to_string(),
    }
}

/// CVE and other ids: OSV `aliases` plus `upstream` (distro advisories list their CVEs there).
fn aliases(advisory: &Advisory) -> Vec<String> {
    let mut all: Vec<String> = advisory
        .aliases
        .iter()
        .chain(&advisory.upstream)
        .cloned()
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Is `version` affected by this entry? `Ok(Some(fix))` when affected (`fix` is the version
/// that fixes it, if any), `Ok(None)` when not affected.
pub fn affects(
    affected: &Affected,
    scheme: Scheme,
    version: &str,
) -> Result<Option<Option<String>>, String> {
    let cmp = |a: &str, b: &str| compare(scheme, a, b).map_err(|e| e.to_string());
    // Ranges first: they carry the fix to offer, which a `versions` list does not. A range
    // the version cannot be compared in is an error only if the list does not decide.
    let mut error = None;
    for range in affected
        .ranges
        .iter()
        .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
    {
        match in_range(&range.events, version, &cmp) {
            Ok(Some(fixed)) => return Ok(Some(fixed)),
            Ok(None) => {}
            Err(e) => error = error.or(Some(e)),
        }
    }
    // A listed version the scheme cannot parse is the advisory's problem, not the package's:
    // it simply does not match.
    for listed in &affected.versions {
        if listed == version || cmp(listed, version).is_ok_and(|o| o == Ordering::Equal) {
            return Ok(Some(None));
        }
    }
    error.map_or(Ok(None), Err)
}

/// OSV range evaluation without sorting (some ecosystems' orders are not total, and a sort
/// may panic on those): `version` is affected when some `introduced` at or below it is not
/// closed by a `fixed`/`limit` at or below it or a `last_affected` below it.
fn in_range(
    events: &[Event],
    version: &str,
    cmp: &dyn Fn(&str, &str) -> Result<Ordering, String>,
) -> Result<Option<Option<String>>, String> {
    // "0" means "from the very first version" and compares below everything.
    let order = |a: &str, b: &str| -> Result<Ordering, String> {
        match (a == "0", b == "0") {
            (true, true) => Ok(Ordering::Equal),
            (true, false) => Ok(Ordering::Less),
            (false, true) => Ok(Ordering::Greater),
            _ => cmp(a, b),
        }
    };
    let mut affected = false;
    for start in events.iter().filter_map(|e| e.introduced.as_deref()) {
        if order(start, version)? == Ordering::Greater {
            continue;
        }
        let mut closed = false;
        for event in events {
            let (end, inclusive) = match (&event.fixed, &event.limit, &event.last_affected) {
                (Some(end), _, _) | (_, Some(end), _) => (end.as_str(), false),
                (_, _, Some(end)) => (end.as_str(), true),
                _ => continue,
            };
            let after_start = order(end, start)? != Ordering::Less;
            let reached = match order(end, version)? {
                Ordering::Less => true,
                Ordering::Equal => !inclusive,
                Ordering::Greater => false,
            };
            if after_start && reached {
                closed = true;
                break;
            }
        }
        if !closed {
            affected = true;
            break;
        }
    }
    if !affected {
        return Ok(None);
    }
    // The fix to offer: the lowest `fixed` above the installed version.
    let mut fixed: Option<&str> = None;
    for candidate in events.iter().filter_map(|e| e.fixed.as_deref()) {
        if order(candidate, version)? == Ordering::Greater
            && fixed.map_or(Ok(true), |best| {
                order(candidate, best).map(|o| o == Ordering::Less)
            })?
        {
            fixed = Some(candidate);
        }
    }
    Ok(Some(fixed.map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(spec: &[(&str, &str)]) -> Vec<Event> {
        spec.iter()
            .map(|(kind, v)| {
                let v = Some(v.to_string());
                match *kind {
                    "introduced" => Event {
                        introduced: v,
                        ..Default::default()
                    },
                    "fixed" => Event {
                        fixed: v,
                        ..Default::default()
                    },
                    "last_affected" => Event {
                        last_affected: v,
                        ..Default::default()
                    },
                    _ => Event {
                        limit: v,
                        ..Default::default()
                    },
                }
            })
            .collect()
    }

    fn check(spec: &[(&str, &str)], version: &str) -> Option<Option<String>> {
        let cmp = |a: &str, b: &str| compare(Scheme::Semver, a, b).map_err(|e| e.to_string());
        in_range(&events(spec), version, &cmp).unwrap()
    }

    #[test]
    fn ranges_follow_the_osv_rules() {
        let two = [
            ("introduced", "1.0.0"),
            ("fixed", "1.2.0"),
            ("introduced", "2.0.0"),
            ("fixed", "2.3.0"),
        ];
        assert_eq!(check(&two, "0.9.0"), None);
        assert_eq!(check(&two, "1.0.0"), Some(Some("1.2.0".into())));
        assert_eq!(check(&two, "1.2.0"), None);
        assert_eq!(check(&two, "2.1.0"), Some(Some("2.3.0".into())));
        assert_eq!(check(&two, "2.3.0"), None);
        let open = [("introduced", "0")];
        assert_eq!(check(&open, "0.0.1"), Some(None));
        let last = [("introduced", "0"), ("last_affected", "1.5.0")];
        assert_eq!(check(&last, "1.5.0"), Some(None));
        assert_eq!(check(&last, "1.5.1"), None);
        let limit = [("introduced", "1.0.0"), ("limit", "1.1.0")];
        assert_eq!(check(&limit, "1.0.5"), Some(None));
        assert_eq!(check(&limit, "1.1.0"), None);
        // Events out of order mean the same.
        let shuffled = [
            ("fixed", "2.3.0"),
            ("introduced", "2.0.0"),
            ("fixed", "1.2.0"),
            ("introduced", "1.0.0"),
        ];
        assert_eq!(check(&shuffled, "2.1.0"), Some(Some("2.3.0".into())));
    }
}
