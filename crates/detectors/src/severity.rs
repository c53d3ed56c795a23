//! Severity of an advisory for one affected package.
//!
//! [`assess`] looks at the sources below in order and takes the first that yields a rating;
//! a malformed or unrecognised value never panics, it just passes on to the next source.
//!
//! 1. `severity[]` of the affected entry, then of the advisory. CVSS vectors are scored with
//!    the `cvss` crate. The headline follows Trivy and Grype: CVSS v3.1, else v3.0, else v4.0,
//!    else v2. v3 scores are still the ones most tools and NVD show, so reports stay comparable;
//!    v4 is used when it is all there is. Within a list an unparsable vector is skipped in favour
//!    of the next one. A non-CVSS `severity[]` entry (e.g. OSV's `Ubuntu` type) is read as a
//!    rating word.
//! 2. A CVSS vector in `database_specific` (`cvss`, `cvss_vector`, `cvss_v3`, `cvss_v4`, `cvss_v2`
//!    as strings), affected entry then advisory (RustSec, the converted npm feed).
//! 3. Rating words: `database_specific.severity` (GHSA: `HIGH`, `MODERATE`), affected entry then
//!    advisory, then `ecosystem_specific.severity` / `urgency` / `priority` (Debian urgency,
//!    Ubuntu priority).
//! 4. Bare numeric CVSS scores in `database_specific` (`cvss_v3`, `cvss_score`, `cvss_v4`,
//!    `cvss_v2`, as in the converted RubySec and npm feeds).
//! 5. A Red Hat style summary prefix (`Important: kernel security update`), as in AlmaLinux,
//!    Rocky and Red Hat errata.
//! 6. Otherwise [`Severity::Unknown`].
//!
//! Ratings from scores follow the CVSS v3.1/v4.0 specifications: 0.1–3.9 Low, 4.0–6.9 Medium,
//! 7.0–8.9 High, 9.0–10.0 Critical. A score of 0.0 (CVSS "None") gives `Unknown`, as no
//! impact is not a rating this enum has. CVSS v2 defines no ratings; NVD's v2 bands are used
//! (0.1–3.9 Low, 4.0–6.9 Medium, 7.0–10.0 High).

use serde::Serialize;
use store::osv::{Advisory, Affected};

pub use inventory::severity::{ParseSeverityError, Severity};

/// NVD's bands for CVSS v2 scores (v2 itself defines none): the v3 bands without
/// `Critical`.
fn from_cvss_v2_score(score: f64) -> Severity {
    Severity::from_cvss_score(score).min(Severity::High)
}

/// The severity of an advisory for one affected entry, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub severity: Severity,
    /// The CVSS base score, when the severity came from a vector or a numeric score.
    pub score: Option<f64>,
    /// The CVSS vector the score was computed from.
    pub vector: Option<String>,
    /// Where the severity was found, e.g. `affected.severity.CVSS_V3`,
    /// `advisory.database_specific.severity`, `advisory.summary`, or `none`.
    pub source: &'static str,
}

impl Assessment {
    fn unknown() -> Assessment {
        Assessment {
            severity: Severity::Unknown,
            score: None,
            vector: None,
            source: "none",
        }
    }
}

/// Assess the severity of `advisory` for `affected` (one of its `affected` entries, or `None`
/// for the advisory as a whole). See the module documentation for the order of sources.
pub fn assess(advisory: &Advisory, affected: Option<&Affected>) -> Assessment {
    // 1. severity[] vectors, then rating words in severity[].
    if let Some(a) = affected.and_then(|af| from_severity_list(&af.severity, Level::Affected)) {
        return a;
    }
    if let Some(a) = from_severity_list(&advisory.severity, Level::Advisory) {
        return a;
    }

    let aff_ds = affected.and_then(|af| af.database_specific.as_ref());
    let aff_es = affected.and_then(|af| af.ecosystem_specific.as_ref());
    let adv_ds = advisory.database_specific.as_ref();

    // 2. Vectors in database_specific.
    if let Some(a) = aff_ds.and_then(|ds| from_ds_vectors(ds, Level::Affected)) {
        return a;
    }
    if let Some(a) = adv_ds.and_then(|ds| from_ds_vectors(ds, Level::Advisory)) {
        return a;
    }

    // 3. Rating words.
    let words: [(Option<&serde_json::Value>, &str, &'static str); 7] = [
        (aff_ds, "severity", "affected.database_specific.severity"),
        (adv_ds, "severity", "advisory.database_specific.severity"),
        (aff_es, "severity", "affected.ecosystem_specific.severity"),
        (aff_es, "urgency", "affected.ecosystem_specific.urgency"),
        (aff_es, "priority", "affected.ecosystem_specific.priority"),
        (aff_ds, "urgency", "affected.database_specific.urgency"),
        (adv_ds, "urgency", "advisory.database_specific.urgency"),
    ];
    for (obj, key, source) in words {
        if let Some(sev) = obj.and_then(|o| o.get(key)).and_then(rating_word) {
            return Assessment {
                severity: sev,
                score: None,
                vector: None,
                source,
            };
        }
    }

    // 4. Bare numeric scores.
    if let Some(a) = aff_ds.and_then(|ds| from_ds_numbers(ds, Level::Affected)) {
        return a;
    }
    if let Some(a) = adv_ds.and_then(|ds| from_ds_numbers(ds, Level::Advisory)) {
        return a;
    }

    // 5. "Important: openssl security update".
    if let Some(sev) = advisory.summary.as_deref().and_then(summary_rating) {
        return Assessment {
            severity: sev,
            score: None,
            vector: None,
            source: "advisory.summary",
        };
    }

    Assessment::unknown()
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Affected,
    Advisory,
}

/// CVSS versions in headline preference order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Version {
    V31,
    V30,
    V40,
    V20,
}

struct Scored {
    version: Version,
    score: f64,
    severity: Severity,
    vector: String,
}

fn severity_source(level: Level, version: Version) -> &'static str {
    match (level, version) {
        (Level::Affected, Version::V31 | Version::V30) => "affected.severity.CVSS_V3",
        (Level::Affected, Version::V40) => "affected.severity.CVSS_V4",
        (Level::Affected, Version::V20) => "affected.severity.CVSS_V2",
        (Level::Advisory, Version::V31 | Version::V30) => "advisory.severity.CVSS_V3",
        (Level::Advisory, Version::V40) => "advisory.severity.CVSS_V4",
        (Level::Advisory, Version::V20) => "advisory.severity.CVSS_V2",
    }
}

fn ds_vector_source(level: Level) -> &'static str {
    match level {
        Level::Affected => "affected.database_specific.cvss",
        Level::Advisory => "advisory.database_specific.cvss",
    }
}

fn from_severity_list(list: &[store::osv::Severity], level: Level) -> Option<Assessment> {
    let best = list
        .iter()
        .filter(|s| s.kind.to_ascii_uppercase().starts_with("CVSS"))
        .filter_map(|s| score_vector(&s.score))
        .min_by_key(|s| s.version);
    if let Some(s) = best {
        return Some(Assessment {
            severity: s.severity,
            score: Some(s.score),
            vector: Some(s.vector),
            source: severity_source(level, s.version),
        });
    }
    // Qualitative entries (OSV `Ubuntu` type and the like).
    list.iter()
        .filter(|s| !s.kind.to_ascii_uppercase().starts_with("CVSS"))
        .find_map(|s| known_rating(&s.score))
        .map(|severity| Assessment {
            severity,
            score: None,
            vector: None,
            source: match level {
                Level::Affected => "affected.severity",
                Level::Advisory => "advisory.severity",
            },
        })
}

fn from_ds_vectors(ds: &serde_json::Value, level: Level) -> Option<Assessment> {
    ["cvss", "cvss_vector", "cvss_v3", "cvss_v4", "cvss_v2"]
        .iter()
        .filter_map(|k| ds.get(*k).and_then(|v| v.as_str()))
        .filter_map(score_vector)
        .min_by_key(|s| s.version)
        .map(|s| Assessment {
            severity: s.severity,
            score: Some(s.score),
            vector: Some(s.vector),
            source: ds_vector_source(level),
        })
}

fn from_ds_numbers(ds: &serde_json::Value, level: Level) -> Option<Assessment> {
    const KEYS: [(&str, bool, &str, &str); 4] = [
        (
            "cvss_v3",
            false,
            "affected.database_specific.cvss_v3",
            "advisory.database_specific.cvss_v3",
        ),
        (
            "cvss_score",
            false,
            "affected.database_specific.cvss_score",
            "advisory.database_specific.cvss_score",
        ),
        (
            "cvss_v4",
            false,
            "affected.database_specific.cvss_v4",
            "advisory.database_specific.cvss_v4",
        ),
        (
            "cvss_v2",
            true,
            "affected.database_specific.cvss_v2",
            "advisory.database_specific.cvss_v2",
        ),
    ];
    for (key, v2, aff_src, adv_src) in KEYS {
        let Some(score) = ds.get(key).and_then(number) else {
            continue;
        };
        let severity = if v2 {
            from_cvss_v2_score(score)
        } else {
            Severity::from_cvss_score(score)
        };
        if severity != Severity::Unknown {
            return Some(Assessment {
                severity,
                score: Some(score),
                vector: None,
                source: if level == Level::Affected {
                    aff_src
                } else {
                    adv_src
                },
            });
        }
    }
    None
}

/// A number, or a string holding one (`7.5`, `"7.5"`).
fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// A rating word other than `UNKNOWN`.
fn known_rating(s: &str) -> Option<Severity> {
    s.parse().ok().filter(|s| *s != Severity::Unknown)
}

fn rating_word(v: &serde_json::Value) -> Option<Severity> {
    v.as_str().and_then(known_rating)
}

/// `Important: kernel security update` → High. Only the Red Hat impact words count.
fn summary_rating(summary: &str) -> Option<Severity> {
    let (head, _) = summary.split_once(':')?;
    match head.trim().to_ascii_lowercase().as_str() {
        "low" | "moderate" | "important" | "critical" => known_rating(head),
        _ => None,
    }
}

/// Parse and score a CVSS vector; `None` if it is malformed, incomplete or scores 0.0.
fn score_vector(raw: &str) -> Option<Scored> {
    let text = raw.trim();
    let parsed = if text.starts_with("CVSS:") {
        text.parse::<cvss::Cvss>().ok()?
    } else {
        // v2 vectors carry no prefix, sometimes wrapped in parentheses.
        let v2 = text.trim_start_matches('(').trim_end_matches(')');
        cvss::Cvss::CvssV20(v2.parse::<cvss::v2::Vector>().ok()?)
    };
    let (version, score) = match &parsed {
        cvss::Cvss::CvssV30(v) if v3_complete(v) => (Version::V30, guarded(|| v.score().value())?),
        cvss::Cvss::CvssV31(v) if v3_complete(v) => (Version::V31, guarded(|| v.score().value())?),
        cvss::Cvss::CvssV40(v) => (Version::V40, guarded(|| v.score().value())?),
        cvss::Cvss::CvssV20(v) => (Version::V20, guarded(|| v.score().value())?),
        _ => return None,
    };
    let severity = if version == Version::V20 {
        from_cvss_v2_score(score)
    } else {
        Severity::from_cvss_score(score)
    };
    if severity == Severity::Unknown {
        return None;
    }
    Some(Scored {
        version,
        score,
        severity,
        vector: text.to_string(),
    })
}

/// The `cvss` v3 parser accepts vectors with base metrics missing (and scores them as 0);
/// such vectors are malformed.
fn v3_complete(v: &cvss::v3::Vector) -> bool {
    v.av.is_some()
        && v.ac.is_some()
        && v.pr.is_some()
        && v.ui.is_some()
        && v.s.is_some()
        && v.c.is_some()
        && v.i.is_some()
        && v.a.is_some()
}

/// Scoring must never bring the scan down, whatever the crate does with odd input.
fn guarded(f: impl FnOnce() -> f64 + std::panic::UnwindSafe) -> Option<f64> {
    std::panic::catch_unwind(f)
        .ok()
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
}

#[cfg(test)]
mod tests;
