//! Stored inventories and `bulkhead rescan`: every scan stores what it found (keyed by image
//! digest, `rootfs:<path>` or the SBOM's digest/path) with the ids of the findings it matched;
//! a rescan re-matches them all against the current advisories, in parallel, without reading
//! any image, and reports the findings that were not there at the previous match.

use crate::cli::{Global, RescanArgs, RescanFormat};
use anyhow::Context;
use detectors::matcher::{self, Matches, Vulnerability};
use inventory::{Inventory, OsRelease, Package};
use rayon::prelude::*;
use report::{Artifact, RescanReport, RescanSummary, RescannedArtifact};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use store::{ArtifactKey, InventoryStore, StoredInventory};

/// What makes a finding the same finding from one match to the next.
pub fn finding_id(v: &Vulnerability) -> String {
    format!("{} {} {}", v.id, v.package, v.installed_version)
}

fn finding_ids(vulnerabilities: &[Vulnerability]) -> Vec<String> {
    let ids: BTreeSet<String> = vulnerabilities.iter().map(finding_id).collect();
    ids.into_iter().collect()
}

/// Called by every scan once matched.
pub fn store_inventory(
    cache_dir: &Path,
    key: &str,
    artifact: &Artifact,
    inventory: &Inventory,
    matches: &Matches,
) -> anyhow::Result<()> {
    let mut stored = InventoryStore::open(cache_dir)?;
    let kept = Inventory {
        os: inventory.os.clone(),
        packages: inventory.packages.clone(),
        ..Default::default()
    };
    let key = ArtifactKey {
        key: key.to_string(),
        name: artifact.name.clone(),
        kind: artifact.kind.clone(),
        digest: artifact.digest.clone(),
    };
    let findings = finding_ids(&matches.vulnerabilities);
    stored.save(&key, &kept, &findings, &store::time::now_utc())?;
    Ok(())
}

pub fn run(global: &Global, cache_dir: &Path, args: &RescanArgs) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let advisories = store::Store::open(cache_dir).context("cannot open the advisory database")?;
    let mut stored = InventoryStore::open(cache_dir)?;
    let all = stored.all()?;
    if all.is_empty() && !global.quiet {
        eprintln!(
            "note: no stored inventories in {}; scan an image, rootfs or SBOM first",
            stored.path().display()
        );
    }
    let (artifacts, matched, warnings) = rematch_all(&advisories, all)?;
    let now = store::time::now_utc();
    stored.record_matches(&matched, &now)?;
    free_in_background(matched);
    let summary = RescanSummary {
        artifacts: artifacts.len(),
        artifacts_with_new: artifacts
            .iter()
            .filter(|a| !a.new_vulnerabilities.is_empty())
            .count(),
        new_vulnerabilities: artifacts.iter().map(|a| a.new_vulnerabilities.len()).sum(),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    };
    let report = RescanReport {
        schema_version: report::SCHEMA_VERSION,
        created_at: now,
        artifacts,
        summary,
        warnings,
    };
    if !global.quiet {
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        RescanFormat::Json => report::write_rescan_json(&report, &mut out),
        RescanFormat::Table => report::write_rescan_table(&report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")?;
    let has_new = report.has_new();
    free_in_background(report);
    Ok(if args.exit_code != 0 && has_new {
        args.exit_code
    } else {
        0
    })
}

/// What a rescan records per artifact: key, the revision matched, finding ids.
type Matched = Vec<(String, i64, Vec<String>)>;

/// Decodes every stored inventory, matches the distinct packages once and hands each artifact
/// its findings; an inventory that cannot be read or matched becomes a warning.
fn rematch_all(
    advisories: &store::Store,
    all: Vec<StoredInventory>,
) -> anyhow::Result<(Vec<RescannedArtifact>, Matched, Vec<inventory::Warning>)> {
    let inventories: Vec<anyhow::Result<Inventory>> = all
        .par_iter()
        .map(|s| Ok(s.inventory::<Inventory>()?))
        .collect();
    let (found, mut warnings) = match_distinct(advisories, &inventories)?;
    let results: Vec<anyhow::Result<(RescannedArtifact, Vec<String>)>> = all
        .par_iter()
        .zip(&inventories)
        .map(|(s, inventory)| match inventory {
            Ok(inventory) => rematch(s, inventory, &found),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        })
        .collect();
    let mut artifacts = Vec::new();
    let mut matched = Vec::new();
    for (stored_inventory, result) in all.iter().zip(results) {
        match result {
            Ok((artifact, findings)) => {
                matched.push((artifact.key.clone(), stored_inventory.revision, findings));
                artifacts.push(artifact);
            }
            Err(error) => warnings.push(inventory::Warning {
                file: String::new(),
                layer: None,
                message: format!("{}: {error:#}", stored_inventory.artifact.key),
            }),
        }
    }
    drop(found);
    free_in_background((all, inventories));
    Ok((artifacts, matched, warnings))
}

/// Frees on another thread: a first rescan's inputs and report are millions of small
/// allocations, and nothing needs to wait while they are freed (or at all, at exit).
fn free_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the value is freed here, with the closure.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// The OS as the matcher sees it: family and version.
type OsKey<'a> = Option<(&'a str, &'a str)>;

/// What the matcher looks at in a package: equal keys give equal findings.
type PackageKey<'a> = (
    OsKey<'a>,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
);

/// The findings of each distinct package, with their ids.
type Found<'a> = HashMap<PackageKey<'a>, Vec<(String, Vulnerability)>>;

fn package_key<'a>(os: Option<&'a OsRelease>, p: &'a Package) -> PackageKey<'a> {
    (
        os.map(|os| (os.family.as_str(), os.version.as_str())),
        &p.ecosystem,
        &p.name,
        &p.version,
        p.source_name.as_deref(),
        p.source_version.as_deref(),
    )
}

/// Stored inventories share most of their packages (same base images, same distro versions):
/// each distinct package is matched once per OS release, in parallel chunks, and the findings
/// are then handed to every inventory that holds it.
fn match_distinct<'a>(
    advisories: &store::Store,
    inventories: &'a [anyhow::Result<Inventory>],
) -> anyhow::Result<(Found<'a>, Vec<inventory::Warning>)> {
    const CHUNK: usize = 256;
    let mut seen: HashSet<PackageKey> = HashSet::new();
    // Per OS: the OS and its distinct packages.
    type Group<'b> = (Option<&'b OsRelease>, Vec<(PackageKey<'b>, &'b Package)>);
    let mut groups: HashMap<OsKey, Group> = HashMap::new();
    for inventory in inventories.iter().flatten() {
        let os = inventory.os.as_ref();
        for p in &inventory.packages {
            let key = package_key(os, p);
            if seen.insert(key) {
                groups
                    .entry(key.0)
                    .or_insert((os, Vec::new()))
                    .1
                    .push((key, p));
            }
        }
    }
    let chunks: Vec<(Vec<PackageKey>, Inventory)> = groups
        .values()
        .flat_map(|(os, packages)| {
            packages.chunks(CHUNK).map(|chunk| {
                let inventory = Inventory {
                    os: os.cloned(),
                    packages: chunk.iter().map(|(_, p)| (*p).clone()).collect(),
                    ..Default::default()
                };
                (chunk.iter().map(|(k, _)| *k).collect(), inventory)
            })
        })
        .collect();
    let matched: Vec<Matches> = chunks
        .par_iter()
        .map(|(_, chunk)| matcher::match_inventory(advisories, chunk))
        .collect::<Result<_, _>>()?;
    let mut found = Found::new();
    let mut warnings: Vec<inventory::Warning> = Vec::new();
    for ((keys, chunk), matches) in chunks.iter().zip(matched) {
        for v in matches.vulnerabilities {
            let index = chunk.packages.iter().position(|p| {
                p.name == v.package && p.version == v.installed_version && p.purl == v.purl
            });
            if let Some(key) = index.and_then(|i| keys.get(i)) {
                found.entry(*key).or_default().push((finding_id(&v), v));
            }
        }
        for w in matches.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    Ok((found, warnings))
}

fn rematch(
    stored: &StoredInventory,
    inventory: &Inventory,
    found: &Found,
) -> anyhow::Result<(RescannedArtifact, Vec<String>)> {
    let previous: HashSet<String> = stored.findings()?.into_iter().collect();
    let os = inventory.os.as_ref();
    // Borrow the shared findings; only new ones are copied (with this inventory's purl/layer),
    // once sorted and deduplicated.
    let mut findings: Vec<&str> = Vec::new();
    let mut new: Vec<(&Vulnerability, &Package)> = Vec::new();
    for p in &inventory.packages {
        for (id, v) in found.get(&package_key(os, p)).into_iter().flatten() {
            findings.push(id);
            if !previous.contains(id.as_str()) {
                new.push((v, p));
            }
        }
    }
    findings.sort_unstable();
    findings.dedup();
    let gone = previous
        .iter()
        .filter(|id| findings.binary_search(&id.as_str()).is_err())
        .count();
    // The matcher's order: most severe first, then package, then id (then version, so that a
    // package listed twice gives adjacent duplicates).
    new.sort_by(|(a, _), (b, _)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.installed_version.cmp(&b.installed_version))
    });
    // Equal finding ids, without formatting them.
    new.dedup_by(|(a, _), (b, _)| {
        (&a.id, &a.package, &a.installed_version) == (&b.id, &b.package, &b.installed_version)
    });
    let new_vulnerabilities = new
        .into_iter()
        .map(|(v, p)| {
            let mut v = v.clone();
            v.purl.clone_from(&p.purl);
            v.layer.clone_from(&p.layer);
            v
        })
        .collect();
    let a = &stored.artifact;
    Ok((
        RescannedArtifact {
            key: a.key.clone(),
            name: a.name.clone(),
            kind: a.kind.clone(),
            digest: a.digest.clone(),
            scanned_at: stored.scanned_at.clone(),
            previous_match: stored.matched_at.clone(),
            packages: inventory.packages.len(),
            vulnerabilities: findings.len(),
            new_vulnerabilities,
            gone,
        },
        findings.into_iter().map(str::to_string).collect(),
    ))
}
