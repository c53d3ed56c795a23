//! Stored inventories and `bulkhead rescan`: every scan stores what it found (keyed by image
//! digest, `rootfs:<path>` or the SBOM's digest/path) with the ids of the findings it matched;
//! a rescan re-matches them all against the current advisories, in parallel, without reading
//! any image, and reports the findings that were not there at the previous match.

use crate::cli::{Global, RescanArgs, RescanFormat};
use anyhow::Context;
use detectors::matcher::{self, Matches, Vulnerability};
use inventory::{Inventory, OsRelease, Package};
use rayon::prelude::*;
use report::{Artifact, RescanSummary, RescannedArtifact};
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
    let kept = Kept {
        os: inventory.os.as_ref(),
        packages: &inventory.packages,
        warnings: [],
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

/// What a stored inventory keeps, borrowed from the scan's (an [`Inventory`] when read back).
#[derive(serde::Serialize)]
struct Kept<'a> {
    os: Option<&'a inventory::OsRelease>,
    packages: &'a [inventory::Package],
    warnings: [inventory::Warning; 0],
}

/// Inventories decoded and matched at a time: what a rescan holds at once, whatever the fleet.
const BATCH: usize = 64;

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
    // Pass 1: every distinct package, matched once.
    let (found, mut warnings) = match_distinct(&advisories, &all)?;
    let now = store::time::now_utc();
    let mut writer: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = match args.format {
        RescanFormat::Json => Sink::Json(report::RescanJson::begin(
            &mut *writer,
            report::SCHEMA_VERSION,
            &now,
        )?),
        RescanFormat::Table => Sink::Table(&mut *writer),
    };
    // Pass 2: a batch of inventories at a time, each artifact written as soon as it is
    // matched and then dropped.
    let mut summary = RescanSummary::default();
    let mut matched: Matched = Vec::new();
    for batch in all.chunks(BATCH) {
        let results: Vec<anyhow::Result<(RescannedArtifact, Vec<String>)>> = batch
            .par_iter()
            .map(|s| rematch(s, &s.inventory::<Inventory>()?, &found))
            .collect();
        let mut artifacts = Vec::with_capacity(batch.len());
        for (stored_inventory, result) in batch.iter().zip(results) {
            match result {
                Ok((artifact, findings)) => {
                    matched.push((artifact.key.clone(), stored_inventory.revision, findings));
                    summary.artifacts += 1;
                    summary.new_vulnerabilities += artifact.new_vulnerabilities.len();
                    summary.artifacts_with_new +=
                        usize::from(!artifact.new_vulnerabilities.is_empty());
                    artifacts.push(artifact);
                }
                Err(error) => warnings.push(inventory::Warning {
                    file: String::new(),
                    layer: None,
                    message: format!("{}: {error:#}", stored_inventory.artifact.key),
                }),
            }
        }
        sink.artifacts(&artifacts)
            .context("cannot write the report")?;
        free_in_background(artifacts);
    }
    stored.record_matches(&matched, &now)?;
    free_in_background((matched, all, found));
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    if !global.quiet {
        for warning in &warnings {
            eprintln!("warning: {}", crate::output::escape(&warning.to_string()));
        }
    }
    sink.finish(&summary, &warnings)
        .and_then(|_| writer.flush())
        .context("cannot write the report")?;
    Ok(if args.exit_code != 0 && summary.new_vulnerabilities > 0 {
        args.exit_code
    } else {
        0
    })
}

/// Where the report goes as it is produced.
enum Sink<'w> {
    Json(report::RescanJson<'w>),
    Table(&'w mut dyn Write),
}

impl Sink<'_> {
    fn artifacts(&mut self, batch: &[RescannedArtifact]) -> std::io::Result<()> {
        match self {
            Sink::Json(json) => json.artifacts(batch),
            Sink::Table(out) => report::write_rescan_table_artifacts(batch, &mut **out),
        }
    }

    fn finish(
        self,
        summary: &RescanSummary,
        warnings: &[inventory::Warning],
    ) -> std::io::Result<()> {
        match self {
            Sink::Json(json) => json.finish(summary, warnings),
            Sink::Table(out) => report::write_rescan_table_summary(summary, out),
        }
    }
}

/// What a rescan records per artifact: key, the revision matched, finding ids.
type Matched = Vec<(String, i64, Vec<String>)>;

/// Frees on another thread: a first rescan's inputs and report are millions of small
/// allocations, and nothing needs to wait while they are freed (or at all, at exit).
fn free_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the value is freed here, with the closure.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// What the matcher looks at in a package, as one string: equal keys give equal findings.
fn package_key(os: Option<&OsRelease>, p: &Package, key: &mut String) {
    use std::fmt::Write as _;
    let (family, version) = os.map_or(("", ""), |os| (os.family.as_str(), os.version.as_str()));
    key.clear();
    // Writing to a String cannot fail.
    let _ = write!(
        key,
        "{family}\0{version}\0{}\0{}\0{}\0{}\0{}",
        p.ecosystem,
        p.name,
        p.version,
        p.source_name.as_deref().unwrap_or(""),
        p.source_version.as_deref().unwrap_or(""),
    );
}

/// The findings of each distinct package, with their ids.
type Found = HashMap<String, Vec<(String, Vulnerability)>>;

/// Stored inventories share most of their packages (same base images, same distro versions):
/// each distinct package is matched once per OS release, in parallel chunks, and the findings
/// are then handed to every inventory that holds it. Inventories are decoded a batch at a time
/// and only the distinct packages are kept. An inventory that cannot be decoded is left to the
/// second pass, which reports it.
fn match_distinct(
    advisories: &store::Store,
    all: &[StoredInventory],
) -> anyhow::Result<(Found, Vec<inventory::Warning>)> {
    const CHUNK: usize = 256;
    // Per OS: the OS and its distinct packages (with their keys).
    type Group = (Option<OsRelease>, Vec<(String, Package)>);
    let mut groups: HashMap<Option<(String, String)>, Group> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut key = String::new();
    for batch in all.chunks(BATCH) {
        let decoded: Vec<Inventory> = batch
            .par_iter()
            .filter_map(|s| s.inventory::<Inventory>().ok())
            .collect();
        for inventory in decoded {
            let os_key = inventory
                .os
                .as_ref()
                .map(|os| (os.family.clone(), os.version.clone()));
            for p in inventory.packages {
                package_key(inventory.os.as_ref(), &p, &mut key);
                if !seen.contains(key.as_str()) {
                    seen.insert(key.clone());
                    groups
                        .entry(os_key.clone())
                        .or_insert_with(|| (inventory.os.clone(), Vec::new()))
                        .1
                        .push((key.clone(), p));
                }
            }
        }
    }
    drop(seen);
    let chunks: Vec<(Vec<String>, Inventory)> = groups
        .into_values()
        .flat_map(|(os, packages)| {
            packages
                .chunks(CHUNK)
                .map(|chunk| {
                    let inventory = Inventory {
                        os: os.clone(),
                        packages: chunk.iter().map(|(_, p)| p.clone()).collect(),
                        ..Default::default()
                    };
                    (chunk.iter().map(|(k, _)| k.clone()).collect(), inventory)
                })
                .collect::<Vec<_>>()
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
                found
                    .entry(key.clone())
                    .or_default()
                    .push((finding_id(&v), v));
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
    let mut key = String::new();
    let mut new: Vec<(&Vulnerability, &Package)> = Vec::new();
    for p in &inventory.packages {
        package_key(os, p, &mut key);
        for (id, v) in found.get(key.as_str()).into_iter().flatten() {
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
