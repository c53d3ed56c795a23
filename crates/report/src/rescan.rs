//! `bulkhead rescan`: per stored artifact, the vulnerabilities that are new since its last
//! match. JSON form documented in docs/json-report.md (section "rescan").

use crate::pretty::PrettyObject;
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

/// The same bytes as `serde_json::to_writer_pretty(report)` and a newline, streamed: with every
/// finding new, the report runs to hundreds of MB, so artifacts are rendered in parallel.
/// The fields, in [`RescanReport`]'s order (a test holds them equal).
pub fn write_rescan_json(report: &RescanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let mut object = PrettyObject::begin(out)?;
    object.field("schema_version", report.schema_version)?;
    object.field("created_at", &report.created_at)?;
    object.par_array_field("artifacts", &report.artifacts)?;
    object.field("summary", &report.summary)?;
    object.field("warnings", &report.warnings)?;
    object.end()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use detectors::severity::Severity;
    use inventory::LayerRef;

    fn vulnerability(n: usize) -> Vulnerability {
        Vulnerability {
            id: format!("CVE-2024-{n:04}"),
            aliases: (0..n % 3).map(|a| format!("DSA-{n}-{a}")).collect(),
            package: format!("lib\"quoted\"\\{n}"),
            installed_version: "1.2-3+deb12u1".into(),
            fixed_version: (n % 3 == 1).then(|| "1.2-4".into()),
            severity: [Severity::Critical, Severity::Low, Severity::Unknown][n % 3],
            severity_source: "none".into(),
            cvss_score: (n % 2 == 1).then_some(7.5 + n as f64 / 100.0),
            cvss_vector: (n % 2 == 1).then(|| "CVSS:3.1/AV:N/AC:L".into()),
            ecosystem: "debian".into(),
            purl: format!("pkg:deb/debian/lib{n}@1.2?distro=debian-12"),
            source_name: (n % 4 == 3).then(|| "src\u{e9}".into()),
            advisory_ecosystem: "Debian:12".into(),
            title: Some("line one\nline two\ttab \u{1} control".into()),
            url: None,
            layer: (n % 2 == 1).then(|| LayerRef {
                index: n % 4,
                digest: format!("sha256:{n:064x}"),
                created_by: (n % 3 == 2).then(|| "RUN apt-get install -y x".into()),
            }),
            location: None,
            vex: None,
        }
    }

    fn artifact(n: usize) -> RescannedArtifact {
        RescannedArtifact {
            key: format!("sha256:{n:064x}"),
            name: format!("registry.example/app:{n}"),
            kind: "registry".into(),
            digest: (n % 2 == 1).then(|| format!("sha256:{n:064x}")),
            scanned_at: "2024-05-01T00:00:00Z".into(),
            previous_match: (n % 3 == 2).then(|| "2024-05-02T00:00:00Z".into()),
            packages: n * 7,
            vulnerabilities: n * 2,
            // Every fifth artifact has nothing new: an empty array inside the stream.
            new_vulnerabilities: (0..n % 5 * 3).map(|v| vulnerability(n + v)).collect(),
            gone: n % 4,
        }
    }

    fn report(artifacts: usize, warnings: usize) -> RescanReport {
        let artifacts: Vec<_> = (0..artifacts).map(artifact).collect();
        RescanReport {
            schema_version: crate::SCHEMA_VERSION,
            created_at: "2024-05-03T00:00:00Z".into(),
            summary: RescanSummary {
                artifacts: artifacts.len(),
                artifacts_with_new: 3,
                new_vulnerabilities: 9,
                elapsed_seconds: 1.234_567_89,
            },
            artifacts,
            warnings: (0..warnings)
                .map(|w| inventory::Warning {
                    file: String::new(),
                    layer: (w == 1).then(|| "sha256:ab".into()),
                    message: format!("stored inventory {w} \"cannot\" be read"),
                })
                .collect(),
        }
    }

    #[test]
    fn streamed_json_is_serde_pretty_byte_for_byte() {
        // 0, 1, a window and a bit, and several windows of artifacts; with and without warnings.
        for (artifacts, warnings) in [(0, 0), (0, 2), (1, 0), (33, 1), (100, 3)] {
            let report = report(artifacts, warnings);
            let expected = serde_json::to_string_pretty(&report).unwrap() + "\n";
            let mut written = Vec::new();
            write_rescan_json(&report, &mut written).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                expected,
                "{artifacts} artifacts, {warnings} warnings"
            );
        }
    }
}
