//! The default output: a summary line per target and a table of vulnerabilities.

use crate::text::cell_text;
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

/// How the table is drawn.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// ANSI colours: only on a terminal, and never with `NO_COLOR`.
    pub colour: bool,
    /// List what ignore files and VEX statements hid.
    pub show_suppressed: bool,
}

/// Warnings shown in the table; the rest are counted (all are in the JSON's `warnings[]`).
const SHOWN_WARNINGS: usize = 10;

pub fn write_table(
    report: &Report,
    out: &mut dyn Write,
    options: &TableOptions,
) -> std::io::Result<()> {
    let colour_on = options.colour;
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
            format!("{} {}{eol}", cell_text(&os.family), cell_text(&os.version))
        });
    writeln!(out, "{} ({})", cell_text(&artifact.name), artifact.kind)?;
    if let Some(digest) = &artifact.digest {
        writeln!(out, "digest: {digest}")?;
    }
    if !artifact.repo_tags.is_empty() {
        let tags: Vec<String> = artifact.repo_tags.iter().map(|t| cell_text(t)).collect();
        writeln!(out, "tags: {}", tags.join(", "))?;
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
    let ran = |scanner: &str| report.scanners.is_empty() || report.scanners.contains(&scanner);
    let mut summary = Vec::new();
    if ran("vuln") {
        summary.push(format!("packages: {}", report.summary.packages));
        summary.push(format!(
            "vulnerabilities: {} ({})",
            report.summary.vulnerabilities,
            counts.join(", ")
        ));
    }
    if ran("secret") {
        summary.push(format!("secrets: {}", report.summary.secrets));
    }
    if ran("config") {
        summary.push(format!(
            "misconfigurations: {}",
            report.summary.misconfigurations
        ));
    }
    if report.summary.suppressed > 0 {
        summary.push(format!("suppressed: {}", report.summary.suppressed));
    }
    writeln!(out, "{}", summary.join("   "))?;
    write_warnings(report, out)?;
    if !report.escape_paths.is_empty() {
        crate::host::write_escape_paths(&report.escape_paths, out, colour_on)?;
    }
    if !report.malware.is_empty() {
        writeln!(out, "MALWARE: {} finding(s)", report.malware.len())?;
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
    if !report.suppressed.is_empty() {
        if options.show_suppressed {
            write_suppressed(report, out, colour_on)?;
        } else {
            writeln!(
                out,
                "{} finding(s) suppressed by ignore files or VEX; --show-suppressed lists them",
                report.suppressed.len()
            )?;
        }
    }
    Ok(())
}

/// Data gaps and problems belong with the findings they qualify, not only on stderr.
fn write_warnings(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for warning in report.warnings.iter().take(SHOWN_WARNINGS) {
        writeln!(out, "note: {}", cell_text(&warning.to_string()))?;
    }
    if report.warnings.len() > SHOWN_WARNINGS {
        writeln!(
            out,
            "note: … and {} more (the JSON report's warnings[] lists them all)",
            report.warnings.len() - SHOWN_WARNINGS
        )?;
    }
    Ok(())
}

fn write_suppressed(report: &Report, out: &mut dyn Write, colour_on: bool) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header(["Kind", "ID", "Target", "Suppressed by", "Why"]);
    for s in &report.suppressed {
        let why = [s.status, s.justification.as_deref(), s.statement.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        table.add_row(vec![
            Cell::new(s.kind),
            Cell::new(cell_text(&s.id)),
            Cell::new(cell_text(&s.target)),
            Cell::new(cell_text(&s.by)),
            Cell::new(cell_text(&why)),
        ]);
    }
    writeln!(out, "suppressed")?;
    writeln!(out, "{table}")
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
        "Location",
        "Layer",
    ]);
    for v in &report.vulnerabilities {
        let id = match v.aliases.iter().find(|a| a.starts_with("CVE-")) {
            Some(cve) if *cve != v.id => format!("{}\n{}", cell_text(&v.id), cell_text(cve)),
            _ => cell_text(&v.id),
        };
        let id = match &v.vex {
            Some(note) => format!("{id}\nVEX: {}", cell_text(&note.status)),
            None => id,
        };
        table.add_row(vec![
            Cell::new(cell_text(&v.package)),
            Cell::new(id),
            Cell::new(v.severity.to_string())
                .fg(colour(v.severity))
                .add_attribute(Attribute::Bold),
            Cell::new(cell_text(&v.installed_version)),
            Cell::new(cell_text(v.fixed_version.as_deref().unwrap_or(""))),
            Cell::new(cell_text(v.location.as_deref().unwrap_or(""))),
            Cell::new(layer_cell(v.layer.as_ref())),
        ]);
    }
    writeln!(out, "{table}")
}

/// Malicious packages get their own table, above the vulnerabilities: they are not a bug to
/// patch but code to remove.
fn write_malware(report: &Report, out: &mut dyn Write, colour_on: bool) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header(["Malware", "Severity", "What", "Where", "Layer"]);
    for m in &report.malware {
        let mut place = cell_text(m.location());
        if let crate::MalwareFinding::Content(c) = m {
            if c.deleted {
                place.push_str("\n(deleted by a later layer)");
            }
        }
        table.add_row(vec![
            Cell::new(cell_text(m.id())),
            Cell::new(m.severity().to_string())
                .fg(colour(m.severity()))
                .add_attribute(Attribute::Bold),
            Cell::new(cell_text(&m.title())),
            Cell::new(place),
            Cell::new(layer_cell(m.layer())),
        ]);
    }
    writeln!(out, "{table}")
}

/// The layer that added a package or file: index, short digest, the start of its build step.
pub(crate) fn layer_cell(layer: Option<&inventory::LayerRef>) -> String {
    layer.map_or(String::new(), |l| {
        let step = l.created_by.as_deref().map(shorten).unwrap_or_default();
        format!(
            "#{} {}\n{}",
            l.index,
            inventory::short(&l.digest),
            cell_text(&step)
        )
    })
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
