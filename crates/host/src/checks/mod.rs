//! Host checks, one file per family. Each check has an ID (`BH-HOST-…`), a severity, why it
//! matters, the fix and its benchmark references; each finding names the setting, its
//! effective value and where that value came from.

mod audit;
mod containerd;
mod docker;
mod engines;
mod files;
mod kernel;
mod kubelet;
mod minimal;

use crate::settings::{Setting, Source};
use crate::Context;
use inventory::Severity;
use serde::Serialize;

/// A host check in the catalogue.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    /// CIS Docker Benchmark 1.6 / CIS Kubernetes Benchmark 1.12 sections.
    pub benchmark: &'static [&'static str],
}

/// A failed check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub setting: String,
    pub value: String,
    /// `flag`, `file` or `default`.
    pub source: &'static str,
    pub benchmark: &'static [&'static str],
    pub fix: &'static str,
}

impl Finding {
    /// A finding about a setting, placed where its value came from.
    pub fn setting(check: &'static Check, name: &str, setting: &Setting, message: String) -> Self {
        Self::at(
            check,
            name,
            &setting.values.join(","),
            &setting.source,
            message,
        )
    }

    pub fn at(
        check: &'static Check,
        name: &str,
        value: &str,
        source: &Source,
        message: String,
    ) -> Self {
        Finding {
            rule_id: check.id,
            severity: check.severity,
            title: check.title,
            message,
            file: source.file.clone(),
            line: source.line,
            setting: name.to_string(),
            value: value.to_string(),
            source: source.kind,
            benchmark: check.benchmark,
            fix: check.fix,
        }
    }
}

/// Every host check, in ID order.
pub fn catalogue() -> Vec<&'static Check> {
    let mut all: Vec<&'static Check> = [
        docker::CHECKS,
        files::CHECKS,
        audit::CHECKS,
        containerd::CHECKS,
        engines::CHECKS,
        kubelet::CHECKS,
        kernel::CHECKS,
        minimal::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect();
    all.sort_by_key(|c| c.id);
    all
}

/// Runs every family over what the audit found.
pub fn run(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    docker::run(ctx, &mut out);
    files::run(ctx, &mut out);
    audit::run(ctx, &mut out);
    containerd::run(ctx, &mut out);
    engines::run(ctx, &mut out);
    kubelet::run(ctx, &mut out);
    kernel::run(ctx, &mut out);
    minimal::run(ctx, &mut out);
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule_id.cmp(b.rule_id)));
    out
}

fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value == "1"
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_every_check_says_why_and_how() {
        let all = super::catalogue();
        assert!(all.len() >= 60, "{} host checks", all.len());
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for c in all {
            assert!(c.id.starts_with("BH-HOST-"), "{}", c.id);
            assert!(
                !c.why.is_empty() && !c.fix.is_empty() && !c.title.is_empty(),
                "{}",
                c.id
            );
        }
    }
}
