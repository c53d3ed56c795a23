//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards. One run; each finding kind
//! (vulnerabilities, misconfigurations, …) is added by its own function that registers rules
//! and results, so a new kind is one more `add_*` call.

use crate::Report;
use detectors::severity::Severity;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The run being assembled: rules are registered once and referenced by index.
#[derive(Default)]
pub struct SarifRun {
    rules: Vec<Value>,
    index: HashMap<String, usize>,
    results: Vec<Value>,
}

/// SARIF's three levels, and GitHub's numeric `security-severity`.
fn level(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("error", "9.5"),
        Severity::High => ("error", "8.0"),
        Severity::Medium => ("warning", "5.5"),
        Severity::Low => ("note", "2.0"),
        Severity::Unknown => ("note", "0.0"),
    }
}

/// Paths and image names as URI references: `\` to `/`, characters URIs forbid escaped,
/// absolute paths as `file://` URIs (a relative reference may not start with `/`).
fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for c in path.replace('\\', "/").chars() {
        if c.is_ascii_alphanumeric() || "-._~/:@!$&'()*+,;=".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

impl SarifRun {
    fn rule(&mut self, id: &str, make: impl FnOnce() -> Value) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.rules.push(make());
        self.index.insert(id.to_string(), self.rules.len() - 1);
        self.rules.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn result(
        &mut self,
        rule_id: &str,
        rule_index: usize,
        severity: Severity,
        message: String,
        file: &str,
        line: usize,
        column: usize,
        snippet: Option<&str>,
    ) {
        let mut location = json!({"artifactLocation": {"uri": uri(file)}});
        if line > 0 {
            let mut region = json!({"startLine": line});
            if column > 0 {
                region["startColumn"] = json!(column);
            }
            if let Some(text) = snippet {
                region["snippet"] = json!({"text": text});
            }
            location["region"] = region;
        }
        self.results.push(json!({
            "ruleId": rule_id,
            "ruleIndex": rule_index,
            "level": level(severity).0,
            "message": {"text": message},
            "locations": [{"physicalLocation": location}],
        }));
    }

    /// Vulnerabilities: one rule per advisory, located at the scanned artifact.
    pub fn add_vulnerabilities(&mut self, report: &Report) {
        for v in &report.vulnerabilities {
            let index = self.rule(&v.id, || {
                let summary = v.title.clone().unwrap_or_else(|| format!("{} in {}", v.id, v.package));
                let mut rule = json!({
                    "id": v.id,
                    "name": "vulnerability",
                    "shortDescription": {"text": summary},
                    "fullDescription": {"text": summary},
                    "properties": {"tags": ["vulnerability", "security"], "security-severity": level(v.severity).1},
                });
                if let Some(url) = &v.url {
                    rule["helpUri"] = json!(url);
                }
                rule
            });
            let fixed = v
                .fixed_version
                .as_deref()
                .map_or("no fix yet".to_string(), |f| format!("fixed in {f}"));
            let message = format!(
                "{} {} is affected by {} ({}); {fixed}",
                v.package, v.installed_version, v.id, v.severity
            );
            self.result(
                &v.id,
                index,
                v.severity,
                message,
                &report.artifact.name,
                0,
                0,
                None,
            );
            if let Some(result) = self.results.last_mut() {
                result["properties"] = json!({"severitySource": v.severity_source});
            }
        }
    }

    /// Misconfigurations: rules from the catalogue (policies describe themselves).
    pub fn add_misconfigurations(&mut self, report: &Report) {
        for m in &report.misconfigurations {
            let index = self.rule(&m.rule_id, || {
                let known = misconfig::lookup(&m.rule_id);
                let why = known.map_or(m.title.as_str(), |r| r.why);
                let mut rule = json!({
                    "id": m.rule_id,
                    "name": "misconfiguration",
                    "shortDescription": {"text": m.title},
                    "fullDescription": {"text": why},
                    "properties": {"tags": ["misconfiguration", "security"], "security-severity": level(m.severity).1},
                });
                if let Some(r) = known {
                    rule["help"] = json!({"text": format!("{}\n\nReferences:\n{}", r.fix, r.references.join("\n"))});
                    if let Some(url) = r.references.iter().find(|x| x.starts_with("https://")) {
                        rule["helpUri"] = json!(url);
                    }
                }
                rule
            });
            let file = if m.file.is_empty() {
                report.artifact.name.as_str()
            } else {
                m.file.as_str()
            };
            self.result(
                &m.rule_id,
                index,
                m.severity,
                m.message.clone(),
                file,
                m.line,
                m.column,
                m.snippet.as_deref(),
            );
        }
    }

    /// Escape paths (`config --host`): one rule per path kind, at the configuration.
    pub fn add_escape_paths(&mut self, paths: &[::host::escape::EscapePath], at: &str) {
        for p in paths {
            let id = format!("escape/{}", p.id);
            let index = self.rule(&id, || {
                json!({
                    "id": id,
                    "name": "escape-path",
                    "shortDescription": {"text": p.summary},
                    "help": {"text": p.remediation},
                    "properties": {"tags": ["escape", "security"], "security-severity": level(p.severity).1},
                })
            });
            let evidence: Vec<&str> = p.conditions.iter().map(|c| c.evidence.as_str()).collect();
            let message = format!("{} — {}", p.summary, evidence.join("; "));
            self.result(&id, index, p.severity, message, at, 0, 0, None);
        }
    }

    /// Malware: one rule per MAL-* report or content rule, located at the file that named the
    /// package or whose content matched.
    pub fn add_malware(&mut self, report: &Report) {
        for m in &report.malware {
            let index = self.rule(m.id(), || {
                let summary = m.title();
                let mut rule = json!({
                    "id": m.id(),
                    "name": "malware",
                    "shortDescription": {"text": summary},
                    "fullDescription": {"text": summary},
                    "help": {"text": "Remove it and treat the image or tree as compromised: it is code made to attack, not a bug to patch."},
                    "properties": {"tags": ["malware", "security"], "security-severity": level(m.severity()).1},
                });
                if let crate::MalwareFinding::Content(c) = m {
                    rule["properties"]["ruleSet"] = json!(c.rule_set);
                    if let Some(author) = &c.author {
                        rule["properties"]["author"] = json!(author);
                    }
                    if let Some(license) = &c.license {
                        rule["properties"]["license"] = json!(license);
                    }
                    if let Some(reference) = &c.reference {
                        rule["helpUri"] = json!(reference);
                    }
                }
                rule
            });
            let message = match m {
                crate::MalwareFinding::Package(p) => format!(
                    "{} {} ({}) is a malicious package ({})",
                    p.malware.package, p.malware.version, p.malware.ecosystem, p.malware.id
                ),
                crate::MalwareFinding::Content(c) => {
                    let deleted = if c.deleted {
                        " (deleted by a later layer, still in the image)"
                    } else {
                        ""
                    };
                    format!("{}: {} ({}){deleted}", c.file, c.title, c.rule_id)
                }
            };
            let file = if m.location().is_empty() {
                report.artifact.name.as_str()
            } else {
                m.location()
            };
            self.result(m.id(), index, m.severity(), message, file, 0, 0, None);
        }
    }

    /// Secrets: one rule per secret rule; the snippet is the masked match, never the value.
    pub fn add_secrets(&mut self, report: &Report) {
        for s in &report.secrets {
            let index = self.rule(&s.rule_id, || {
                json!({
                    "id": s.rule_id,
                    "name": "secret",
                    "shortDescription": {"text": s.title},
                    "fullDescription": {"text": format!("{} found in the artifact", s.title)},
                    "help": {"text": "Revoke the credential, then remove it from the source and rebuild; a file deleted by a later layer still ships in the image."},
                    "properties": {"tags": ["secret", "security"], "security-severity": level(s.severity).1},
                })
            });
            let deleted = if s.deleted {
                " (deleted in a later layer, still in the image)"
            } else {
                ""
            };
            let message = format!("{}: {}{deleted}", s.title, s.matched);
            self.result(
                &s.rule_id,
                index,
                s.severity,
                message,
                &s.file,
                s.line,
                s.column.unwrap_or(0),
                Some(&s.matched),
            );
        }
    }

    pub fn into_log(self, report: &Report) -> Value {
        let notes = report.warnings.iter().map(|w| w.to_string()).collect();
        self.log(report.tool.version, notes, report.suppressed.len())
    }

    fn log(self, version: &str, notes: Vec<String>, suppressed: usize) -> Value {
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "bulkhead",
                    "version": version,
                    "informationUri": "https://github.com/bulkhead-scanner/bulkhead",
                    "rules": self.rules,
                }},
                "results": self.results,
                // Data gaps qualify the results: a code-scanning dashboard shows them.
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": notes.iter().map(|w| json!({
                        "level": "warning",
                        "message": {"text": w},
                    })).collect::<Vec<_>>(),
                }],
                "properties": {"suppressed": suppressed},
            }],
        })
    }
}

/// The host report: failed checks at the file and line their value came from, component
/// vulnerabilities at the component's path, escape paths at the container's state file.
pub fn write_host_sarif(report: &crate::HostReport, out: &mut dyn Write) -> std::io::Result<()> {
    let mut run = SarifRun::default();
    for f in &report.misconfigurations {
        let index = run.rule(f.rule_id, || {
            json!({
                "id": f.rule_id,
                "name": "host-check",
                "shortDescription": {"text": f.title},
                "help": {"text": f.fix},
                "properties": {"tags": ["host", "security"], "security-severity": level(f.severity).1,
                    "benchmark": f.benchmark},
            })
        });
        let file = f.file.as_deref().unwrap_or(&report.host.root);
        let message = format!(
            "{} ({} = {}, from {})",
            f.message, f.setting, f.value, f.source
        );
        run.result(
            f.rule_id,
            index,
            f.severity,
            message,
            file,
            f.line.unwrap_or(0),
            0,
            None,
        );
    }
    for v in &report.vulnerabilities {
        let v_inner = &v.vulnerability;
        let index = run.rule(&v_inner.id, || {
            let summary = v_inner.title.clone().unwrap_or_else(|| format!("{} in {}", v_inner.id, v_inner.package));
            json!({
                "id": v_inner.id,
                "name": "vulnerability",
                "shortDescription": {"text": summary},
                "properties": {"tags": ["vulnerability", "security"], "security-severity": level(v_inner.severity).1},
            })
        });
        let place = report
            .components
            .iter()
            .find(|c| c.name == v.component)
            .and_then(|c| c.path.clone())
            .unwrap_or_else(|| report.host.root.clone());
        let message = format!(
            "{} {} {} is affected by {}",
            v.component, v_inner.package, v_inner.installed_version, v_inner.id
        );
        run.result(
            &v_inner.id,
            index,
            v_inner.severity,
            message,
            &place,
            0,
            0,
            None,
        );
    }
    for p in &report.escape_paths {
        let id = format!("escape/{}", p.id);
        let index = run.rule(&id, || {
            json!({
                "id": id,
                "name": "escape-path",
                "shortDescription": {"text": p.summary},
                "help": {"text": p.remediation},
                "properties": {"tags": ["escape", "security"], "security-severity": level(p.severity).1},
            })
        });
        let file = report
            .containers
            .iter()
            .find(|c| Some(&c.name) == p.container.as_ref())
            .map_or(report.host.root.as_str(), |c| c.file.as_str());
        run.result(&id, index, p.severity, p.summary.clone(), file, 0, 0, None);
    }
    let log = run.log(env!("CARGO_PKG_VERSION"), report.warnings.clone(), 0);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

pub fn write_sarif(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut run = SarifRun::default();
    run.add_escape_paths(&report.escape_paths, &report.artifact.name);
    run.add_vulnerabilities(report);
    run.add_misconfigurations(report);
    run.add_malware(report);
    run.add_secrets(report);
    serde_json::to_writer_pretty(&mut *out, &run.into_log(report))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_references_sarif_accepts() {
        assert_eq!(uri("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(uri("/tmp/img layout"), "file:///tmp/img%20layout");
        assert_eq!(uri("dir\\Dockerfile"), "dir/Dockerfile");
        assert_eq!(uri("é"), "%C3%A9");
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical).0, "error");
        assert_eq!(level(Severity::Medium).0, "warning");
        assert_eq!(level(Severity::Low).0, "note");
    }
}
