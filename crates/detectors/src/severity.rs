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

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use store::osv::{Advisory, Affected};

/// Qualitative severity, ordered from `Unknown` (lowest) to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The upper-case name: `UNKNOWN`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The CVSS v3.1/v4.0 qualitative rating of a base score; 0.0 and out-of-range or
    /// non-finite scores give `Unknown`.
    pub fn from_cvss_score(score: f64) -> Severity {
        if !score.is_finite() || !(0.1..=10.0).contains(&score) {
            Severity::Unknown
        } else if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else if score < 9.0 {
            Severity::High
        } else {
            Severity::Critical
        }
    }

    /// NVD's bands for CVSS v2 scores (v2 itself defines none): the v3 bands without
    /// `Critical`.
    fn from_cvss_v2_score(score: f64) -> Severity {
        Self::from_cvss_score(score).min(Severity::High)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a severity this module knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSeverityError(pub String);

impl fmt::Display for ParseSeverityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown severity {:?}", self.0)
    }
}

impl std::error::Error for ParseSeverityError {}

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Case-insensitive; also the vendor words `MODERATE` (Medium), `IMPORTANT` (High),
    /// `NEGLIGIBLE`/`UNIMPORTANT` (Low). Trailing `*` (Debian tracker markers) are ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().trim_end_matches('*').trim().to_ascii_uppercase();
        Ok(match word.as_str() {
            "UNKNOWN" => Severity::Unknown,
            "LOW" | "NEGLIGIBLE" | "UNIMPORTANT" => Severity::Low,
            "MEDIUM" | "MODERATE" => Severity::Medium,
            "HIGH" | "IMPORTANT" => Severity::High,
            "CRITICAL" => Severity::Critical,
            _ => return Err(ParseSeverityError(s.to_string())),
        })
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
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
            Severity::from_cvss_v2_score(score)
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
        Severity::from_cvss_v2_score(score)
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
mod tests {
    use super::*;
    use store::osv::Severity as OsvSeverity;

    fn adv_with(sev: &[(&str, &str)]) -> Advisory {
        Advisory {
            id: "TEST-1".into(),
            severity: sev
                .iter()
                .map(|(k, s)| OsvSeverity {
                    kind: k.to_string(),
                    score: s.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn score(v: &str) -> Option<f64> {
        score_vector(v).map(|s| s.score)
    }

    #[test]
    fn ordering_parsing_display_serde() {
        assert!(Severity::Unknown < Severity::Low);
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High);
        assert!(Severity::High < Severity::Critical);
        assert_eq!("moderate".parse(), Ok(Severity::Medium));
        assert_eq!("Important".parse(), Ok(Severity::High));
        assert_eq!("NEGLIGIBLE".parse(), Ok(Severity::Low));
        assert_eq!("unimportant".parse(), Ok(Severity::Low));
        assert_eq!(" critical ".parse(), Ok(Severity::Critical));
        assert_eq!("Unknown".parse(), Ok(Severity::Unknown));
        assert_eq!("low**".parse(), Ok(Severity::Low));
        assert!("not yet assigned".parse::<Severity>().is_err());
        assert!("".parse::<Severity>().is_err());
        assert_eq!(Severity::Medium.to_string(), "MEDIUM");
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"CRITICAL\""
        );
        assert_eq!(
            serde_json::from_str::<Severity>("\"HIGH\"").unwrap(),
            Severity::High
        );
        assert_eq!(Severity::default(), Severity::Unknown);
    }

    #[test]
    fn ratings_follow_the_spec_bands() {
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Unknown);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(3.9), Severity::Low);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(8.9), Severity::High);
        assert_eq!(Severity::from_cvss_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(10.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(10.1), Severity::Unknown);
        assert_eq!(Severity::from_cvss_score(f64::NAN), Severity::Unknown);
        assert_eq!(Severity::from_cvss_v2_score(10.0), Severity::High);
    }

    // Base scores computed by hand from the CVSS v3.1 equations / as shown by the NVD calculator.
    #[test]
    fn v3_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
            // ISS 0.22, impact 1.4124, exploitability 0.1073 → roundup(1.5197) = 1.6
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), Some(want), "{v}");
        }
        let a = assess(&adv_with(&[("CVSS_V3", cases[0].0)]), None);
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.score, Some(9.8));
        assert_eq!(a.vector.as_deref(), Some(cases[0].0));
        assert_eq!(a.source, "advisory.severity.CVSS_V3");
        assert_eq!(
            assess(&adv_with(&[("CVSS_V3", cases[7].0)]), None).severity,
            Severity::Low
        );
        assert_eq!(
            assess(&adv_with(&[("CVSS_V3", cases[2].0)]), None).severity,
            Severity::Medium
        );
        assert_eq!(
            assess(&adv_with(&[("CVSS_V3", cases[3].0)]), None).severity,
            Severity::High
        );
    }

    #[test]
    fn v4_and_v2_scores() {
        // CVSS v4.0 calculator values.
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(9.3)
        );
        assert_eq!(
            score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
            Some(10.0)
        );
        // No impact at all: 0.0, CVSS "None" → not a rating.
        assert!(score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N").is_none());
        // CVSS v2 (NVD): 7.5 and 4.3.
        assert_eq!(score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(score("(AV:N/AC:M/Au:N/C:N/I:P/A:N)"), Some(4.3));
        let a = assess(
            &adv_with(&[("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")]),
            None,
        );
        assert_eq!(
            (a.severity, a.source),
            (Severity::High, "advisory.severity.CVSS_V2")
        );
    }

    #[test]
    fn headline_prefers_v3_then_v4_then_v2() {
        let v2 = ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");
        let v30 = ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N");
        let v31 = ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        let v4 = (
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        );
        assert_eq!(
            assess(&adv_with(&[v4, v2, v31, v30]), None).score,
            Some(9.8)
        );
        assert_eq!(assess(&adv_with(&[v4, v30]), None).score, Some(6.5));
        let a = assess(&adv_with(&[v2, v4]), None);
        assert_eq!(
            (a.score, a.source),
            (Some(10.0), "advisory.severity.CVSS_V4")
        );
    }

    #[test]
    fn malformed_vectors_fall_through() {
        let bad = [
            "CVSS:3.1/AV:N",                                 // incomplete
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  // bad value
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", // duplicate
            "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  // unknown version
            "CVSS:4.0/AV:N/AC:L",                            // v4 incomplete
            "CVSS:",
            "",
            "garbage",
            "AV:N/AC:L",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
            "///:::",
            "7.5",
        ];
        for b in bad {
            assert!(score(b).is_none(), "{b:?}");
            let mut adv = adv_with(&[("CVSS_V3", b)]);
            assert_eq!(assess(&adv, None), Assessment::unknown(), "{b:?}");
            adv.database_specific = Some(serde_json::json!({"severity": "Moderate"}));
            let a = assess(&adv, None);
            assert_eq!(
                (a.severity, a.source),
                (Severity::Medium, "advisory.database_specific.severity")
            );
        }
        // A bad v3.1 next to a good v4: the v4 wins.
        let a = assess(
            &adv_with(&[
                ("CVSS_V3", "CVSS:3.1/AV:N"),
                (
                    "CVSS_V4",
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                ),
            ]),
            None,
        );
        assert_eq!(a.score, Some(9.3));
    }

    #[test]
    fn affected_before_advisory_and_word_sources() {
        let mut adv = adv_with(&[("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]);
        let mut af = Affected {
            severity: vec![OsvSeverity {
                kind: "CVSS_V3".into(),
                score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N".into(),
            }],
            ..Default::default()
        };
        let a = assess(&adv, Some(&af));
        assert_eq!(
            (a.severity, a.score, a.source),
            (Severity::Medium, Some(5.3), "affected.severity.CVSS_V3")
        );
        // Ubuntu-style qualitative severity entry.
        af.severity = vec![OsvSeverity {
            kind: "Ubuntu".into(),
            score: "negligible".into(),
        }];
        adv.severity.clear();
        let a = assess(&adv, Some(&af));
        assert_eq!((a.severity, a.source), (Severity::Low, "affected.severity"));
        // Debian-style urgency.
        af.severity.clear();
        af.ecosystem_specific = Some(serde_json::json!({"urgency": "not yet assigned"}));
        assert_eq!(assess(&adv, Some(&af)).severity, Severity::Unknown);
        af.ecosystem_specific = Some(serde_json::json!({"urgency": "high"}));
        let a = assess(&adv, Some(&af));
        assert_eq!(
            (a.severity, a.source),
            (Severity::High, "affected.ecosystem_specific.urgency")
        );
        // GHSA database_specific on the affected entry beats the advisory's.
        af.database_specific = Some(serde_json::json!({"severity": "LOW"}));
        adv.database_specific = Some(serde_json::json!({"severity": "CRITICAL"}));
        assert_eq!(assess(&adv, Some(&af)).severity, Severity::Low);
        assert_eq!(assess(&adv, None).severity, Severity::Critical);
        // Non-string / odd shapes are ignored.
        adv.database_specific = Some(serde_json::json!({"severity": 7, "cvss_v3": "x"}));
        assert_eq!(assess(&adv, None), Assessment::unknown());
        adv.database_specific = Some(serde_json::json!(["severity"]));
        assert_eq!(assess(&adv, None), Assessment::unknown());
    }

    fn parse(line: &str) -> Advisory {
        serde_json::from_str(line).expect("record parses")
    }

    // Real records from /work/shared/data/osv, with details/references (and long version
    // lists) left out.
    #[test]
    fn real_records() {
        // PyPI.jsonl.zst
        let pysec = parse(
            r#"{"id":"PYSEC-2019-241","modified":"2023-11-13T19:19:43.892449Z","published":"2019-10-14T02:15:00Z","aliases":["CVE-2019-17545"],"affected":[{"package":{"ecosystem":"PyPI","name":"gdal","purl":"pkg:pypi/gdal"},"ranges":[{"type":"GIT","events":[{"introduced":"0"},{"fixed":"148115fcc40f1651a5d15fa34c9a8c528e7147bb"}],"repo":"https://github.com/OSGeo/gdal"},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.2"}]}],"versions":["3.0.0","3.0.1"]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#,
        );
        let a = assess(&pysec, pysec.affected.first());
        assert_eq!(
            (a.severity, a.score, a.source),
            (Severity::Critical, Some(9.8), "advisory.severity.CVSS_V3")
        );

        // npm-nodejs-security-wg.jsonl.zst: the feed's own cvss_score is 6.5.
        let nswg = parse(
            r#"{"schema_version":"1.6.0","id":"NSWG-ECO-1","modified":"2016-04-28T00:00:00Z","published":"2014-09-27T00:00:00Z","aliases":["CVE-2014-7205"],"summary":"Arbitrary JavaScript Execution","affected":[{"package":{"ecosystem":"npm","name":"bassmaster","purl":"pkg:npm/bassmaster"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.5.1"}]}],"database_specific":{"vulnerable_versions":"<=1.5.1","patched_versions":">=1.5.2","approximate_range":false}}],"database_specific":{"source":"nodejs/security-wg vuln/npm/1.json","cvss_score":6.5,"cvss_vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N","converted_by":"candidate bundle builder (Node.js security-wg JSON -> OSV)"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"}]}"#,
        );
        let a = assess(&nswg, nswg.affected.first());
        assert_eq!((a.severity, a.score), (Severity::Medium, Some(6.5)));

        // crates.io.jsonl.zst: only a CVSS v4 vector.
        let rustsec = parse(
            r#"{"id":"RUSTSEC-2024-0445","modified":"2025-12-19T21:01:24Z","published":"2024-11-05T12:00:00Z","aliases":["CVE-2024-51756","GHSA-hxf5-99xg-86hw"],"related":[],"summary":"cap-primitives doesn't fully sandbox all the Windows device filenames","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"}],"affected":[{"package":{"ecosystem":"crates.io","name":"cap-primitives","purl":"pkg:cargo/cap-primitives"},"ecosystem_specific":{"affects":{"arch":[],"os":["windows"],"functions":[]},"affected_functions":null},"database_specific":{"categories":[],"cvss":"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N","informational":null},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"3.4.1"}]}],"versions":[]}],"database_specific":{"license":"CC-BY-4.0"}}"#,
        );
        let a = assess(&rustsec, rustsec.affected.first());
        assert_eq!(a.source, "advisory.severity.CVSS_V4");
        let s = a.score.unwrap();
        assert!(s > 0.0 && s <= 10.0);
        assert_eq!(a.severity, Severity::from_cvss_score(s));

        // crates.io.jsonl.zst: an unmaintained-crate notice has no severity.
        let unmaintained = parse(
            r#"{"id":"RUSTSEC-2016-0004","modified":"2020-10-02T01:29:11Z","published":"2016-09-10T12:00:00Z","aliases":[],"related":[],"summary":"libusb is unmaintained; use rusb instead","severity":[],"affected":[{"package":{"ecosystem":"crates.io","name":"libusb","purl":"pkg:cargo/libusb"},"ecosystem_specific":{"affects":{"arch":[],"os":[],"functions":[]},"affected_functions":null},"database_specific":{"categories":[],"cvss":null,"informational":"unmaintained"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"0.3.1-0"}]}],"versions":[]}],"database_specific":{"license":"CC0-1.0"}}"#,
        );
        assert_eq!(
            assess(&unmaintained, unmaintained.affected.first()),
            Assessment::unknown()
        );

        // RubyGems.jsonl.zst: numeric scores only; v3 (6.1) is preferred over v4 (5.1).
        let rubysec = parse(
            r#"{"schema_version":"1.6.0","id":"RUBYSEC-actiontext-CVE-2024-32464","modified":"2024-06-04T00:00:00Z","published":"2024-06-04T00:00:00Z","aliases":["CVE-2024-32464","GHSA-prjp-h48f-jgf6"],"summary":"ActionText ContentAttachment can Contain Unsanitized HTML","affected":[{"package":{"ecosystem":"RubyGems","name":"actiontext","purl":"pkg:gem/actiontext"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"7.1.0"},{"fixed":"7.1.3.4"}]}],"database_specific":{"patched_versions":["~> 7.1.3, >= 7.1.3.4",">= 7.2.0.beta2"],"unaffected_versions":["< 7.1.0"],"approximate_range":false}}],"database_specific":{"source":"rubysec/ruby-advisory-db gems/actiontext/CVE-2024-32464.yml","cvss_v2":null,"cvss_v3":6.1,"cvss_v4":5.1,"converted_by":"candidate bundle builder (RubySec YAML -> OSV)"}}"#,
        );
        let a = assess(&rubysec, rubysec.affected.first());
        assert_eq!(
            (a.severity, a.score, a.vector, a.source),
            (
                Severity::Medium,
                Some(6.1),
                None,
                "advisory.database_specific.cvss_v3"
            )
        );

        // AlmaLinux.jsonl.zst: the rating is only in the summary.
        let alsa = parse(
            r#"{"id":"ALSA-2019:3735","summary":"Critical: php:7.2 security update","affected":[{"package":{"ecosystem":"AlmaLinux:8","name":"apcu-panel"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1.12-2.module_el8.3.0+2010+7c76a223"}]}]}],"related":["CVE-2019-11043"],"published":"2019-11-06T13:15:34Z","modified":"2019-11-06T13:15:21Z"}"#,
        );
        let a = assess(&alsa, alsa.affected.first());
        assert_eq!(
            (a.severity, a.source),
            (Severity::Critical, "advisory.summary")
        );
        // A bug-fix advisory ("container-tools bug fix update") has none.
        let alba = parse(
            r#"{"id":"ALBA-2019:0973","summary":"container-tools bug fix update","affected":[],"related":[],"published":"2019-05-07T03:38:54Z","modified":"2019-05-07T03:38:45Z"}"#,
        );
        assert_eq!(assess(&alba, None), Assessment::unknown());
        assert_eq!(summary_rating("new module: perl:5.30"), None);

        // Debian-DSA-DLA.jsonl.zst: no severity anywhere.
        let dsa = parse(
            r#"{"schema_version":"1.6.0","id":"DSA-999-1","modified":"2006-03-14T00:00:00Z","published":"2006-03-14T00:00:00Z","upstream":["CVE-2006-1062","CVE-2006-1063","CVE-2006-1064"],"summary":"lurker - several","affected":[{"package":{"ecosystem":"Debian:3.1","name":"lurker","purl":"pkg:deb/debian/lurker?arch=source"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-5sarge1"}]}]}],"database_specific":{"source":"Debian security tracker data/DSA/list","converted_by":"candidate bundle builder (tracker list -> OSV)"}}"#,
        );
        assert_eq!(assess(&dsa, dsa.affected.first()), Assessment::unknown());
    }

    /// Runs `assess` over every record of every shared feed (needs /work/shared and the `zstd`
    /// CLI): nothing panics, and for the npm feed the computed score matches its `cvss_score`.
    /// `cargo test -p detectors --lib severity::tests::all_feeds -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn all_feeds() {
        let dir = std::path::Path::new("/work/shared/data/osv");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !path.to_string_lossy().ends_with(".jsonl.zst") {
                continue;
            }
            let out = std::process::Command::new("zstd")
                .arg("-dc")
                .arg(&path)
                .output()
                .expect("zstd");
            let text = String::from_utf8_lossy(&out.stdout);
            let mut counts = std::collections::BTreeMap::<(Severity, &str), usize>::new();
            let mut mismatches = 0;
            for line in text.lines() {
                let adv: Advisory = serde_json::from_str(line).unwrap();
                let a = assess(&adv, None);
                *counts.entry((a.severity, a.source)).or_default() += 1;
                for af in &adv.affected {
                    assess(&adv, Some(af));
                }
                let ds = adv.database_specific.as_ref();
                let want = ds.and_then(|d| d.get("cvss_score")).and_then(number);
                if let (Some(want), Some(got), Some(_)) = (want, a.score, &a.vector) {
                    if (want - got).abs() > 0.05 {
                        mismatches += 1;
                        eprintln!("{} {:?}: feed {want}, computed {got}", adv.id, a.vector);
                    }
                }
            }
            eprintln!("{}: {counts:?}", path.display());
            eprintln!("  score mismatches against cvss_score: {mismatches}");
        }
    }
}
