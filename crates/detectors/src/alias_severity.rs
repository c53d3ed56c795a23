//! Severity for findings whose advisory rates none. Debian DSA/DLA and Alpine records carry no
//! severity, so their findings would read UNKNOWN and `--severity HIGH,CRITICAL` would hide
//! them all. The same CVE is often rated by another record in the database (a CVSS vector in a
//! GHSA, PYSEC or Go record, AlmaLinux's "Important: …" summary). Precedence, documented in
//! docs/json-report.md: a rating from a CVSS vector or score first, then vendor rating words
//! and summary prefixes; among equals the highest, the conservative choice. The finding's
//! `severity_source` says `alias:<RECORD>:<where in it>`.

use crate::matcher::Vulnerability;
use crate::severity::{self, Assessment, Severity};
use std::collections::HashMap;
use store::Store;

/// A rating found for a CVE: how it was found, and in which record.
type Rating = Option<(Assessment, String)>;

pub fn rate_from_aliases(
    store: &Store,
    vulnerabilities: &mut [Vulnerability],
) -> Result<(), store::Error> {
    let mut memo: HashMap<String, Rating> = HashMap::new();
    for v in vulnerabilities
        .iter_mut()
        .filter(|v| v.severity == Severity::Unknown)
    {
        let mut cves: Vec<String> = v
            .aliases
            .iter()
            .filter(|a| a.starts_with("CVE-"))
            .cloned()
            .collect();
        if v.id.starts_with("CVE-") {
            cves.insert(0, v.id.clone());
        }
        let mut best: Rating = None;
        for cve in cves {
            if !memo.contains_key(&cve) {
                let found = rating_for(store, &cve)?;
                memo.insert(cve.clone(), found);
            }
            best = better(best, memo[&cve].clone());
        }
        if let Some((assessment, record)) = best {
            v.severity = assessment.severity;
            v.cvss_score = assessment.score;
            v.cvss_vector = assessment.vector;
            v.severity_source = format!("alias:{record}:{}", assessment.source);
        }
    }
    Ok(())
}

/// The best rating any record naming `cve` gives.
fn rating_for(store: &Store, cve: &str) -> Result<Rating, store::Error> {
    let mut best = None;
    for advisory in store.advisories_naming_shared(cve)?.iter() {
        let assessment = severity::assess(advisory, advisory.affected.first());
        if assessment.severity != Severity::Unknown {
            best = better(best, Some((assessment, advisory.id.clone())));
        }
    }
    Ok(best)
}

/// Scored ratings before words; then the higher severity; then the first found.
fn better(a: Rating, b: Rating) -> Rating {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let rank = |r: &(Assessment, String)| (r.0.score.is_some(), r.0.severity);
            if rank(&b) > rank(&a) {
                Some(b)
            } else {
                Some(a)
            }
        }
    }
}
