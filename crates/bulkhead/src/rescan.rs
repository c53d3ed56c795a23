//! Stored inventories and `bulkhead rescan`: every scan stores what it found (keyed by image
//! digest, `rootfs:<path>` or the SBOM's digest/path) with the ids of the findings it matched;
//! a rescan re-matches them all against the current advisories, in parallel, without reading
//! any image, and reports the findings that were not there at the previous match.

use crate::cli::{Format, Global, RescanArgs};
use anyhow::{bail, Context};
use detectors::matcher::{self, Matches, Vulnerability};
use inventory::Inventory;
use rayon::prelude::*;
use report::{Artifact, RescanReport, RescanSummary, RescannedArtifact};
use std::collections::BTreeSet;
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
        warnings: Vec::new(),
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
    if !matches!(args.format, Format::Table | Format::Json) {
        bail!("rescan writes `--format table` or `--format json`");
    }
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
    let results: Vec<anyhow::Result<(RescannedArtifact, Vec<String>)>> =
        all.par_iter().map(|s| rematch(&advisories, s)).collect();
    let mut artifacts = Vec::new();
    let mut matched = Vec::new();
    let mut warnings = Vec::new();
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
    let now = store::time::now_utc();
    stored.record_matches(&matched, &now)?;
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
        Format::Json => report::write_rescan_json(&report, &mut out),
        _ => report::write_rescan_table(&report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")?;
    Ok(if args.exit_code != 0 && report.has_new() {
        args.exit_code
    } else {
        0
    })
}

fn rematch(
    advisories: &store::Store,
    stored: &StoredInventory,
) -> anyhow::Result<(RescannedArtifact, Vec<String>)> {
    let inventory: Inventory = stored.inventory()?;
    let previous: BTreeSet<String> = stored.findings()?.into_iter().collect();
    let matches = matcher::match_inventory(advisories, &inventory)?;
    let findings = finding_ids(&matches.vulnerabilities);
    let gone = previous
        .iter()
        .filter(|id| findings.binary_search(id).is_err())
        .count();
    let new_vulnerabilities = matches
        .vulnerabilities
        .iter()
        .filter(|v| !previous.contains(&finding_id(v)))
        .cloned()
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
            vulnerabilities: matches.vulnerabilities.len(),
            new_vulnerabilities,
            gone,
        },
        findings,
    ))
}
