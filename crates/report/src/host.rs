//! The host report (`bulkhead host`): the audit, the vulnerabilities of its components, and
//! the escape paths; written as JSON (docs/host-report.md) or as a table grouped by
//! components, escape paths, checks and containers.

use crate::suppress::{by_entry, IgnoreRules, Suppressed};
use crate::table::{colour, new_table};
use crate::text::cell_text;
use comfy_table::{Attribute, Cell};
use detectors::matcher::Vulnerability;
use host::checks::Finding;
use host::components::Component;
use host::containers::Container;
use host::escape::EscapePath;
use host::HostInfo;
use inventory::Severity;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Serialize)]
pub struct HostReport {
    pub schema_version: u32,
    pub tool: &'static str,
    pub created_at: String,
    pub host: HostInfo,
    pub components: Vec<Component>,
    pub misconfigurations: Vec<Finding>,
    pub vulnerabilities: Vec<ComponentVulnerability>,
    pub containers: Vec<Container>,
    pub escape_paths: Vec<EscapePath>,
    pub warnings: Vec<String>,
    /// What ignore files hid, and which line hid each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppressed>,
}

/// A vulnerability as in image reports, with the component it was found in.
#[derive(Debug, Serialize)]
pub struct ComponentVulnerability {
    pub component: String,
    #[serde(flatten)]
    pub vulnerability: Vulnerability,
}

impl HostReport {
    /// Drops what the ignore file names: checks by rule ID (and path glob of the file),
    /// vulnerabilities by ID or alias (and package), escape paths by ID or CVE.
    pub fn suppress(&mut self, ignore: &IgnoreRules) {
        self.warnings
            .extend(ignore.warnings.iter().map(|w| w.to_string()));
        let mut hidden = Vec::new();
        self.misconfigurations.retain(|f| {
            let file = f.file.as_deref().unwrap_or("");
            let Some(entry) = ignore.find(&[f.rule_id], None, file) else {
                return true;
            };
            let target = format!("{} = {}", f.setting, f.value);
            hidden.push(by_entry(
                "misconfiguration",
                f.rule_id,
                target,
                &entry.source,
            ));
            false
        });
        self.vulnerabilities.retain(|v| {
            let inner = &v.vulnerability;
            let mut ids: Vec<&str> = vec![&inner.id];
            ids.extend(inner.aliases.iter().map(String::as_str));
            let package = Some((inner.package.as_str(), inner.purl.as_str()));
            let Some(entry) = ignore.find(&ids, package, "") else {
                return true;
            };
            let target = format!("{}@{}", inner.package, inner.installed_version);
            hidden.push(by_entry("vulnerability", &inner.id, target, &entry.source));
            false
        });
        self.escape_paths.retain(|p| {
            let mut ids: Vec<&str> = vec![p.id];
            ids.extend(p.cves.iter().map(String::as_str));
            let Some(entry) = ignore.find(&ids, None, "") else {
                return true;
            };
            let target = p.container.clone().unwrap_or_default();
            hidden.push(by_entry("escape-path", p.id, target, &entry.source));
            false
        });
        self.suppressed.extend(hidden);
    }

    /// Drops vulnerabilities whose CVE the installed package's changelog says it fixes (a
    /// Debian backport the advisory data does not know yet), recording the changelog line.
    pub fn apply_backports(&mut self) {
        let components = &self.components;
        let mut hidden = Vec::new();
        self.vulnerabilities.retain(|v| {
            let inner = &v.vulnerability;
            let backport = components
                .iter()
                .filter(|c| c.package.as_deref() == Some(inner.package.as_str()))
                .flat_map(|c| &c.backported)
                .find(|b| b.cve == inner.id || inner.aliases.contains(&b.cve));
            let Some(backport) = backport else {
                return true;
            };
            hidden.push(Suppressed {
                kind: "vulnerability",
                id: inner.id.clone(),
                target: format!("{}@{}", inner.package, inner.installed_version),
                by: backport.evidence.clone(),
                purl: Some(inner.purl.clone()),
                status: Some("fixed"),
                justification: Some("fixed_by_backport".into()),
                statement: Some(format!(
                    "the changelog of {} {} names {}",
                    inner.package, inner.installed_version, backport.cve
                )),
            });
            false
        });
        self.suppressed.extend(hidden);
    }

    /// Keeps the findings at these severities (all when empty).
    pub fn keep(&mut self, severities: &[Severity]) {
        if severities.is_empty() {
            return;
        }
        self.misconfigurations
            .retain(|f| severities.contains(&f.severity));
        self.vulnerabilities
            .retain(|v| severities.contains(&v.vulnerability.severity));
        self.escape_paths
            .retain(|p| severities.contains(&p.severity));
    }

    pub fn has_findings(&self) -> bool {
        !(self.misconfigurations.is_empty()
            && self.vulnerabilities.is_empty()
            && self.escape_paths.is_empty())
    }
}

pub fn write_host_json(report: &HostReport, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// A section's title and count, and its table when it has rows.
fn section(
    out: &mut dyn Write,
    title: &str,
    count: usize,
    table: &comfy_table::Table,
) -> std::io::Result<()> {
    if count == 0 {
        writeln!(out, "{title}: none\n")
    } else {
        writeln!(out, "{title}: {count}\n{table}\n")
    }
}

/// Escape paths, each with its chain of conditions and what breaks it (host and config reports).
pub(crate) fn write_escape_paths(
    paths: &[EscapePath],
    out: &mut dyn Write,
    colour_on: bool,
) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header([
        "Escape path",
        "Severity",
        "Container",
        "Conditions",
        "Remediation",
    ]);
    for p in paths {
        let conditions: Vec<String> = p
            .conditions
            .iter()
            .map(|c| cell_text(&c.evidence))
            .collect();
        let mut summary = cell_text(&p.summary);
        if !p.cves.is_empty() {
            summary = format!("{summary}\n{}", p.cves.join(", "));
        }
        table.add_row(vec![
            Cell::new(summary),
            severity_cell(p.severity),
            Cell::new(cell_text(p.container.as_deref().unwrap_or("-"))),
            Cell::new(conditions.join("\n")),
            Cell::new(cell_text(&p.remediation)),
        ]);
    }
    section(out, "escape paths", paths.len(), &table)
}

fn severity_cell(severity: Severity) -> Cell {
    Cell::new(severity.to_string())
        .fg(colour(severity))
        .add_attribute(Attribute::Bold)
}

pub fn write_host_table(
    report: &HostReport,
    out: &mut dyn Write,
    colour_on: bool,
) -> std::io::Result<()> {
    let host = &report.host;
    let os = host.os.as_ref().map_or("unknown OS".to_string(), |os| {
        format!("{} {}", os.family, os.version)
    });
    writeln!(out, "host: {} ({})", cell_text(&host.root), cell_text(&os))?;
    if let Some(kernel) = &host.kernel {
        let state = if kernel.running {
            "running"
        } else {
            "installed"
        };
        writeln!(out, "kernel: {} ({state})", cell_text(&kernel.release))?;
        if let Some(reboot) = &kernel.reboot_required {
            writeln!(
                out,
                "reboot required: the installed kernel {} fixes {}",
                cell_text(&reboot.release),
                cell_text(&reboot.fixes.join(", "))
            )?;
        }
    }
    writeln!(out)?;

    let mut table = new_table(colour_on);
    table.set_header(["Component", "Version", "Source", "Path"]);
    for c in &report.components {
        let source = match &c.package {
            Some(package) => format!("{} ({})", c.source, package),
            None => c.source.to_string(),
        };
        table.add_row(vec![
            c.name.to_string(),
            cell_text(&c.version),
            cell_text(&source),
            cell_text(c.path.as_deref().unwrap_or("")),
        ]);
    }
    section(out, "components", report.components.len(), &table)?;

    write_escape_paths(&report.escape_paths, out, colour_on)?;

    let mut table = new_table(colour_on);
    table.set_header([
        "Component",
        "Vulnerability",
        "Severity",
        "Installed",
        "Fixed",
    ]);
    for v in &report.vulnerabilities {
        let inner = &v.vulnerability;
        table.add_row(vec![
            Cell::new(cell_text(&v.component)),
            Cell::new(cell_text(&inner.id)),
            severity_cell(inner.severity),
            Cell::new(cell_text(&inner.installed_version)),
            Cell::new(cell_text(inner.fixed_version.as_deref().unwrap_or(""))),
        ]);
    }
    section(out, "vulnerabilities", report.vulnerabilities.len(), &table)?;

    let mut table = new_table(colour_on);
    table.set_header(["Check", "Severity", "Setting", "Where", "Finding"]);
    for f in &report.misconfigurations {
        let place = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{}:{line}", cell_text(file)),
            (Some(file), None) => cell_text(file),
            (None, _) => f.source.to_string(),
        };
        let setting = format!("{} = {}", cell_text(&f.setting), cell_text(&f.value));
        table.add_row(vec![
            Cell::new(f.rule_id),
            severity_cell(f.severity),
            Cell::new(setting),
            Cell::new(place),
            Cell::new(format!("{}\n{}", f.title, cell_text(&f.message))),
        ]);
    }
    section(out, "checks failed", report.misconfigurations.len(), &table)?;

    let mut table = new_table(colour_on);
    table.set_header([
        "Container",
        "Image",
        "Running",
        "Privileged",
        "User",
        "Namespaces (host)",
        "Caps added",
    ]);
    for c in &report.containers {
        let ns = &c.namespaces;
        let host_ns: Vec<&str> = [
            ("net", &ns.network),
            ("pid", &ns.pid),
            ("ipc", &ns.ipc),
            ("uts", &ns.uts),
            ("user", &ns.user),
        ]
        .into_iter()
        .filter(|(_, v)| v.as_str() == "host")
        .map(|(n, _)| n)
        .collect();
        table.add_row(vec![
            cell_text(&c.name),
            cell_text(&c.image),
            c.running.to_string(),
            c.privileged.to_string(),
            cell_text(if c.user.is_empty() { "root" } else { &c.user }),
            host_ns.join(","),
            cell_text(&c.capabilities.add.join(",")),
        ]);
    }
    section(out, "containers", report.containers.len(), &table)?;
    for w in &report.warnings {
        writeln!(out, "warning: {}", cell_text(w))?;
    }
    Ok(())
}
