//! `bulkhead rescan`: per stored artifact, the vulnerabilities that are new since its last
//! match. JSON form documented in docs/json-report.md (section "rescan").

use detectors::matcher::Vulnerability;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Serialize)]
pub struct RescanReport {
    pub schema_version: &'static str,
    pub created_at: String,
    pub artifacts: Vec<RescannedArtifact>,
    pub summary: RescanSummary,
    pub warnings: Vec<inventory::Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RescannedArtifact {
    /// What the inventory is stored under: image digest, `rootfs:<path>`, `sbom:<path>`.
    pub key: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub digest: Option<String>,
    pub scanned_at: String,
    /// The previous match (scan or rescan) that `new_vulnerabilities` is relative to.
    pub previous_match: Option<String>,
    pub packages: usize,
    /// All vulnerabilities matched now.
    pub vulnerabilities: usize,
    /// Matched now but not at the previous match.
    pub new_vulnerabilities: Vec<Vulnerability>,
    /// Finding ids matched at the previous match and not any more (fixed in the data, withdrawn).
    pub gone: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RescanSummary {
    pub artifacts: usize,
    pub artifacts_with_new: usize,
    pub new_vulnerabilities: usize,
    pub elapsed_seconds: f64,
}

impl RescanReport {
    pub fn has_new(&self) -> bool {
        self.summary.new_vulnerabilities > 0
    }
}

pub fn write_rescan_json(report: &RescanReport, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

pub fn write_rescan_table(report: &RescanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "rescanned {} stored inventories in {:.2}s: {} new vulnerabilities in {} artifacts",
        s.artifacts, s.elapsed_seconds, s.new_vulnerabilities, s.artifacts_with_new
    )?;
    for a in report
        .artifacts
        .iter()
        .filter(|a| !a.new_vulnerabilities.is_empty())
    {
        writeln!(
            out,
            "\n{} ({}){}: {} new of {} vulnerabilities (previous match {})",
            a.name,
            a.kind,
            a.digest
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default(),
            a.new_vulnerabilities.len(),
            a.vulnerabilities,
            a.previous_match.as_deref().unwrap_or("never"),
        )?;
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header([
            "package",
            "installed",
            "vulnerability",
            "severity",
            "fixed in",
        ]);
        for v in &a.new_vulnerabilities {
            table.add_row([
                v.package.as_str(),
                v.installed_version.as_str(),
                v.id.as_str(),
                v.severity.as_str(),
                v.fixed_version.as_deref().unwrap_or("-"),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}
