//! Suppressions applied to a finished report: ignore files (`.bulkheadignore`, `.trivyignore`)
//! for every finding kind and VEX statements for vulnerabilities. What they hide is kept in
//! `suppressed[]` with the line or statement that hid it, so `--show-suppressed` can list it
//! and an auditor can see why.

mod ignorefile;
mod vex;

pub use ignorefile::IgnoreRules;
pub use vex::{Status as VexStatus, VexStatements};

use crate::Report;
use serde::Serialize;

/// A finding an ignore entry or a VEX statement hid.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    /// `vulnerability`, `malware`, `secret` or `misconfiguration`.
    pub kind: &'static str,
    /// The advisory or rule ID.
    pub id: String,
    /// `package@version` or `file:line`.
    pub target: String,
    /// The ignore-file line (`.trivyignore:3`) or VEX statement (`vex.json#statement 2`).
    pub by: String,
    /// The package's purl (vulnerabilities and malware).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// VEX status (`not_affected`, `fixed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// VEX impact statement or detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

impl Report {
    /// Drops what `ignore` and `vex` suppress, recording each in `suppressed[]`, and adds the
    /// ignore files' warnings (expired entries). Call before [`Report::apply`].
    pub fn suppress(&mut self, ignore: &IgnoreRules, vex: &VexStatements) {
        self.warnings.extend(ignore.warnings.iter().cloned());
        let mut hidden = Vec::new();
        self.vulnerabilities.retain_mut(|v| {
            let mut ids: Vec<&str> = vec![&v.id];
            ids.extend(v.aliases.iter().map(String::as_str));
            let package = Some((v.package.as_str(), v.purl.as_str()));
            let target = format!("{}@{}", v.package, v.installed_version);
            if let Some(entry) = ignore.find(&ids, package, v.location.as_deref().unwrap_or("")) {
                let mut hid = by_entry("vulnerability", &v.id, target, &entry.source);
                hid.purl = Some(v.purl.clone());
                hidden.push(hid);
                return false;
            }
            let Some(statement) = vex.decide(&ids, &v.purl) else {
                return true;
            };
            if statement.status.suppresses() {
                hidden.push(Suppressed {
                    kind: "vulnerability",
                    id: v.id.clone(),
                    target,
                    purl: Some(v.purl.clone()),
                    by: statement.source.clone(),
                    status: Some(statement.status.as_str()),
                    justification: statement.justification.clone(),
                    statement: statement.detail.clone(),
                });
                return false;
            }
            v.vex = Some(Box::new(detectors::matcher::VexNote {
                status: statement.status.as_str().to_string(),
                justification: statement.justification.clone(),
                statement: statement.detail.clone(),
                source: statement.source.clone(),
            }));
            true
        });
        self.malware.retain(
            |m| match ignore.find(&[m.id()], m.named_package(), m.location()) {
                Some(entry) => {
                    hidden.push(by_entry("malware", m.id(), m.target(), &entry.source));
                    false
                }
                None => true,
            },
        );
        self.secrets
            .retain(|s| match ignore.find(&[&s.rule_id], None, &s.file) {
                Some(entry) => {
                    let target = format!("{}:{}", s.file, s.line);
                    hidden.push(by_entry("secret", &s.rule_id, target, &entry.source));
                    false
                }
                None => true,
            });
        self.misconfigurations
            .retain(|m| match ignore.find(&[&m.rule_id], None, &m.file) {
                Some(entry) => {
                    let target = format!("{}:{}", m.file, m.line);
                    hidden.push(by_entry(
                        "misconfiguration",
                        &m.rule_id,
                        target,
                        &entry.source,
                    ));
                    false
                }
                None => true,
            });
        self.suppressed.extend(hidden);
        self.summarize();
    }
}

pub(crate) fn by_entry(kind: &'static str, id: &str, target: String, source: &str) -> Suppressed {
    Suppressed {
        kind,
        id: id.to_string(),
        target,
        by: source.to_string(),
        purl: None,
        status: None,
        justification: None,
        statement: None,
    }
}
