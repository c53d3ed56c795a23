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
    let distinct = match_distinct(&advisories, &all)?;
    let mut warnings = distinct.warnings;
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
    for (batch, ids) in all.chunks(BATCH).zip(distinct.ids.chunks(BATCH)) {
        let results: Vec<anyhow::Result<(RescannedArtifact, Vec<String>)>> = batch
            .par_iter()
            .zip(ids)
            .map(|(s, ids)| rematch(s, ids.as_deref(), &distinct.found))
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
                    line: None,
                    column: None,
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
    free_in_background((matched, all, distinct.found, distinct.ids));
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

/// Pass 1's view of the fleet: the findings of each distinct package (by the id pass 1 gave
/// it), and for each stored inventory, in order, the distinct-package id of each of its
/// packages; `None` where the inventory could not be decoded (pass 2 reports it).
struct Distinct {
    found: Vec<Vec<(String, Vulnerability)>>,
    ids: Vec<Option<Vec<u32>>>,
    warnings: Vec<inventory::Warning>,
}

/// Stored inventories share most of their packages (same base images, same distro versions):
/// each distinct package is matched once per OS release, in parallel chunks, and the findings
/// are then handed to every inventory that holds it. Inventories are decoded a batch at a time
/// and only the distinct packages are kept, with each inventory's list of ids: pass 2 decodes
/// an inventory again only when it has new findings (to name their purl and layer).
fn match_distinct(advisories: &store::Store, all: &[StoredInventory]) -> anyhow::Result<Distinct> {
    const CHUNK: usize = 256;
    // Per OS: the OS and its distinct packages (with their ids).
    type Group = (Option<OsRelease>, Vec<(u32, Package)>);
    let mut groups: HashMap<Option<(String, String)>, Group> = HashMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut ids = Vec::with_capacity(all.len());
    let mut key = String::new();
    for batch in all.chunks(BATCH) {
        let decoded: Vec<Option<Inventory>> = batch
            .par_iter()
            .map(|s| s.inventory::<Inventory>().ok())
            .collect();
        for inventory in decoded {
            let Some(inventory) = inventory else {
                ids.push(None);
                continue;
            };
            let os_key = inventory
                .os
                .as_ref()
                .map(|os| (os.family.clone(), os.version.clone()));
            let mut own = Vec::with_capacity(inventory.packages.len());
            for p in inventory.packages {
                package_key(inventory.os.as_ref(), &p, &mut key);
                let id = match seen.get(key.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(seen.len()).context("too many distinct packages")?;
                        seen.insert(key.clone(), id);
                        groups
                            .entry(os_key.clone())
                            .or_insert_with(|| (inventory.os.clone(), Vec::new()))
                            .1
                            .push((id, p));
                        id
                    }
                };
                own.push(id);
            }
            ids.push(Some(own));
        }
    }
    let distinct = seen.len();
    drop(seen);
    let mut chunks: Vec<(Vec<u32>, Inventory)> = Vec::new();
    for (os, packages) in groups.into_values() {
        let mut packages = packages.into_iter().peekable();
        while packages.peek().is_some() {
            let (chunk_ids, packages): (Vec<u32>, Vec<Package>) =
                packages.by_ref().take(CHUNK).unzip();
            let inventory = Inventory {
                os: os.clone(),
                packages,
                ..Default::default()
            };
            chunks.push((chunk_ids, inventory));
        }
    }
    let matched: Vec<Matches> = chunks
        .par_iter()
        .map(|(_, chunk)| matcher::match_inventory(advisories, chunk))
        .collect::<Result<_, _>>()?;
    let mut found = Vec::new();
    found.resize_with(distinct, Vec::new);
    let mut warnings: Vec<inventory::Warning> = Vec::new();
    for ((chunk_ids, chunk), matches) in chunks.iter().zip(matched) {
        for v in matches.vulnerabilities {
            let index = chunk.packages.iter().position(|p| {
                p.name == v.package && p.version == v.installed_version && p.purl == v.purl
            });
            if let Some(&id) = index.and_then(|i| chunk_ids.get(i)) {
                found[id as usize].push((finding_id(&v), v));
            }
        }
        for w in matches.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    Ok(Distinct {
        found,
        ids,
        warnings,
    })
}

/// Where each package of a stored inventory is, and nothing else: decoded for new findings.
#[derive(serde::Deserialize)]
struct Placed {
    packages: Vec<PackagePlace>,
}

#[derive(serde::Deserialize)]
struct PackagePlace {
    purl: String,
    layer: Option<inventory::LayerRef>,
}

/// One stored inventory's findings from its package ids; only an inventory with new findings
/// is decoded again, for the purl and layer of the packages they concern.
fn rematch(
    stored: &StoredInventory,
    ids: Option<&[u32]>,
    found: &[Vec<(String, Vulnerability)>],
) -> anyhow::Result<(RescannedArtifact, Vec<String>)> {
    let Some(ids) = ids else {
        // Pass 1 could not decode it: say why.
        stored.inventory::<Inventory>()?;
        anyhow::bail!("the stored inventory could not be read");
    };
    let previous: HashSet<String> = stored.findings()?.into_iter().collect();
    // Borrow the shared findings; only new ones are copied (with this inventory's purl/layer),
    // once sorted and deduplicated.
    let mut findings: Vec<&str> = Vec::new();
    let mut new: Vec<(&Vulnerability, usize)> = Vec::new();
    for (index, &id) in ids.iter().enumerate() {
        for (finding, v) in &found[id as usize] {
            findings.push(finding);
            if !previous.contains(finding.as_str()) {
                new.push((v, index));
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
    let new_vulnerabilities = if new.is_empty() {
        Vec::new()
    } else {
        let placed: Placed = stored.inventory()?;
        new.into_iter()
            .map(|(v, index)| {
                let mut v = v.clone();
                if let Some(p) = placed.packages.get(index) {
                    v.purl.clone_from(&p.purl);
                    v.layer.clone_from(&p.layer);
                }
                v
            })
            .collect()
    };
    let a = &stored.artifact;
    Ok((
        RescannedArtifact {
            key: a.key.clone(),
            name: a.name.clone(),
            kind: a.kind.clone(),
            digest: a.digest.clone(),
            scanned_at: stored.scanned_at.clone(),
            previous_match: stored.matched_at.clone(),
            packages: ids.len(),
            vulnerabilities: findings.len(),
            new_vulnerabilities,
            gone,
        },
        findings.into_iter().map(str::to_string).collect(),
    ))
}
