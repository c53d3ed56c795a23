//! The rule catalogue's shape and the findings rules produce. `Finding`'s JSON form is the
//! report's `misconfigurations[]` entry: a public contract (add fields, never rename).

use inventory::Severity;
use serde::Serialize;

/// Which input a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Dockerfile,
    /// An image's config JSON, history and squashed filesystem.
    Image,
    Kubernetes,
    Compose,
    /// A user's Rego policy.
    Rego,
}

/// Defines `rule(id, severity, title, why, fix, references)` for one family's `const`
/// catalogue, so its rule tables stay short.
macro_rules! family_rule_constructor {
    ($family:expr) => {
        /// A catalogue entry of this family.
        pub(crate) const fn rule(
            id: &'static str,
            severity: inventory::Severity,
            title: &'static str,
            why: &'static str,
            fix: &'static str,
            references: &'static [&'static str],
        ) -> $crate::rule::Rule {
            $crate::rule::Rule {
                id,
                family: $family,
                title,
                severity,
                why,
                fix,
                references,
            }
        }
    };
}
pub(crate) use family_rule_constructor;

/// One check of the catalogue; `bulkhead rules ID` prints it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `BH-DF-001`, `BH-IMG-001`, `BH-K8S-001`, `BH-DC-001`.
    pub id: &'static str,
    pub family: Family,
    pub title: &'static str,
    pub severity: Severity,
    /// Why it matters: the attack it enables.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// CIS Docker Benchmark section, Pod Security Standards control, NSA/CISA guide, URLs.
    pub references: &'static [&'static str],
}

/// A rule that fired, where it fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    /// What exactly is wrong here, e.g. `container "web" sets privileged: true`.
    pub message: String,
    pub file: String,
    /// 1-based; 0 when the input has no position (image config).
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// The offending source line(s), trimmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The object the finding is about, e.g. `Deployment/web`, `service "db"`, `stage 2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl Finding {
    /// A finding for `rule` at a position; callers add `snippet` and `resource`.
    pub fn new(rule: &Rule, file: &str, line: usize, column: usize, message: String) -> Finding {
        Finding {
            rule_id: rule.id.to_string(),
            severity: rule.severity,
            title: rule.title.to_string(),
            message,
            file: file.to_string(),
            line,
            column,
            snippet: None,
            resource: None,
        }
    }
}

/// Input that cannot be parsed: a clear error with the position, never a silent skip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<crate::yaml::ParseError> for ConfigError {
    fn from(e: crate::yaml::ParseError) -> Self {
        ConfigError {
            file: e.file,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}
