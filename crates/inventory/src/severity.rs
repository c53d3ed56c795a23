//! Qualitative severity shared by every finding kind: vulnerabilities, misconfigurations,
//! secrets, malware.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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
