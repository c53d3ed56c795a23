//! The default output: a summary line per target and a table of vulnerabilities.

use crate::Report;
use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use detectors::severity::Severity;
use std::io::Write;

pub(crate) fn colour(severity: Severity) -> Color {
    match severity {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Unknown => Color::Grey,
    }
}

pub fn write_table(report: &Report, out: &mut dyn Write, colour_on: bool) -> std::io::Result<()> {
    let artifact = &report.artifact;
    let os = report
        .os
        .as_ref()
        .map_or("OS not detected".to_string(), |os| {
            let eol = match (&os.eol_date, os.eol) {
                (Some(date), true) => format!(" — END OF LIFE since {date}, no security updates"),
                (Some(date), false) => format!(" (supported until {date})"),
                _ => String::new(),
            };
            format!("{} {}{eol}", os.family, os.version)
        });
    writeln!(out, "{} ({})", artifact.name, artifact.kind)?;
    if let Some(digest) = &artifact.digest {
        writeln!(out, "digest: {digest}")?;
    }
    if let Some(integrity) = &report.integrity {
        for finding in &integrity.findings {
            writeln!(
                out,
                "integrity {} ({}): {}",
                finding.id, finding.severity, finding.message
            )?;
        }
    }
    writeln!(out, "os: {os}")?;
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ]
    .iter()
    .map(|s| {
        format!(
            "{s}: {}",
            report.summary.by_severity.get(s).copied().unwrap_or(0)
        )
    })
    .collect();
    writeln!(
        out,
        "packages: {}   vulnerabilities: {} ({})   secrets: {}",
        report.summary.packages,
        report.summary.vulnerabilities,
        counts.join(", "),
        report.summary.secrets
    )?;
    if !report.malware.is_empty() {
        writeln!(
            out,
            "MALWARE: {} malicious package(s)",
            report.malware.len()
        )?;
        write_malware(report, out, colour_on)?;
    }
    if !report.vulnerabilities.is_empty() {
        write_vulnerabilities(report, out, colour_on)?;
    }
    if !report.secrets.is_empty() {
        crate::secrets::write_secrets(report, out, colour_on)?;
    }
    if !report.misconfigurations.is_empty() {
        crate::misconfigurations::write_misconfigurations(report, out, colour_on)?;
    }
    Ok(())
}

pub(crate) fn new_table(colour_on: bool) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !colour_on {
        table.force_no_tty();
    } else {
        table.enforce_styling();
    }
    table
}

fn write_vulnerabilities(
    report: &Report,
    out: &mut dyn Write,
    colour_on: bool,
) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header([
        "Package",
        "Vulnerability",
        "Severity",
        "Installed",
        "Fixed",
        "Layer",
    ]);
    for v in &report.vulnerabilities {
        let id = match v.aliases.iter().find(|a| a.starts_with("CVE-")) {
            Some(cve) if *cve != v.id => format!("{}\n{cve}", v.id),
            _ => v.id.clone(),
        };
        let layer = v.layer.as_ref().map_or(String::new(), |l| {
            let step = l.created_by.as_deref().map(shorten).unwrap_or_default();
            format!("#{} {}\n{step}", l.index, inventory::short(&l.digest))
        });
        table.add_row(vec![
            Cell::new(&v.package),
            Cell::new(id),
            Cell::new(v.severity.to_string())
                .fg(colour(v.severity))
                .add_attribute(Attribute::Bold),
            Cell::new(&v.installed_version),
            Cell::new(v.fixed_version.as_deref().unwrap_or("")),
            Cell::new(layer),
        ]);
    }
    writeln!(out, "{table}")
}

/// Malicious packages get their own table, above the vulnerabilities: they are not a bug to
/// patch but code to remove.
fn write_malware(report: &Report, out: &mut dyn Write, colour_on: bool) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header(["Package", "Malware", "Severity", "Version", "Location"]);
    for m in &report.malware {
        table.add_row(vec![
            Cell::new(format!("{} ({})", m.package, m.ecosystem)),
            Cell::new(&m.id),
            Cell::new(Severity::Critical.to_string())
                .fg(colour(Severity::Critical))
                .add_attribute(Attribute::Bold),
            Cell::new(&m.version),
            Cell::new(&m.location),
        ]);
    }
    writeln!(out, "{table}")
}

/// History steps can be long shell scripts: keep the start.
pub(crate) fn shorten(step: &str) -> String {
    let step = step
        .trim_start_matches("/bin/sh -c ")
        .trim_start_matches("#(nop) ")
        .trim();
    if step.chars().count() > 40 {
        format!("{}…", step.chars().take(39).collect::<String>())
    } else {
        step.to_string()
    }
}
