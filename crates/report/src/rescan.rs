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
    let mut stream = RescanJson::begin(out, report.schema_version, &report.created_at)?;
    stream.artifacts(&report.artifacts)?;
    stream.finish(&report.summary, &report.warnings)
}

/// A rescan's JSON report written as the rescan goes: artifacts in batches as they are matched
/// (nothing holds them all), then the summary and the warnings — the same bytes as
/// [`write_rescan_json`] of the whole report.
pub struct RescanJson<'w> {
    object: PrettyObject<'w>,
    artifacts: crate::pretty::PrettyArray,
}

impl<'w> RescanJson<'w> {
    pub fn begin(
        out: &'w mut dyn Write,
        schema_version: &str,
        created_at: &str,
    ) -> std::io::Result<Self> {
        let mut object = PrettyObject::begin(out)?;
        object.field("schema_version", schema_version)?;
        object.field("created_at", created_at)?;
        let artifacts = object.begin_array_field("artifacts")?;
        Ok(RescanJson { object, artifacts })
    }

    pub fn artifacts(&mut self, batch: &[RescannedArtifact]) -> std::io::Result<()> {
        self.object.array_items(&mut self.artifacts, batch)
    }

    pub fn finish(
        mut self,
        summary: &RescanSummary,
        warnings: &[inventory::Warning],
    ) -> std::io::Result<()> {
        self.object.end_array_field(self.artifacts)?;
        self.object.field("summary", summary)?;
        self.object.field("warnings", warnings)?;
        let out = self.object.end()?;
        writeln!(out)
    }
}

pub fn write_rescan_table(report: &RescanReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_rescan_table_artifacts(&report.artifacts, out)?;
    write_rescan_table_summary(&report.summary, out)
}

/// The table section of each artifact with new vulnerabilities (written batch by batch).
pub fn write_rescan_table_artifacts(
    artifacts: &[RescannedArtifact],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use crate::text::cell_text;
    for a in artifacts
        .iter()
        .filter(|a| !a.new_vulnerabilities.is_empty())
    {
        writeln!(
            out,
            "{} ({}){}: {} new of {} vulnerabilities (previous match {})",
            cell_text(&a.name),
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
                cell_text(&v.package),
                cell_text(&v.installed_version),
                cell_text(&v.id),
                v.severity.as_str().to_string(),
                cell_text(v.fixed_version.as_deref().unwrap_or("-")),
            ]);
        }
        writeln!(out, "{table}\n")?;
    }
    Ok(())
}

/// The closing line: what the whole rescan found.
pub fn write_rescan_table_summary(s: &RescanSummary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "rescanned {} stored inventories in {:.2}s: {} new vulnerabilities in {} artifacts",
        s.artifacts, s.elapsed_seconds, s.new_vulnerabilities, s.artifacts_with_new
    )
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
                digest: format!("sha256:{n:064x}").into(),
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
                    ..Default::default()
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
