//! `bulkhead host`: audits the machine (or a mounted root) containers run on.

use crate::cli::{exit_code, Global};
use anyhow::Context;
use clap::{Args, ValueEnum};
use detectors::matcher;
use inventory::{Inventory, OsRelease, Severity};
use report::{ComponentVulnerability, HostReport};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct HostArgs {
    /// The root to audit: `/` for this machine, or a mounted disk, VM image or backup
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// Output format
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: HostFormat,
    /// Write the report to a file instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Exit with this code when failed checks, vulnerabilities or escape paths remain after
    /// filters (2 is for errors)
    #[arg(long, default_value_t = 0, value_parser = exit_code)]
    pub exit_code: u8,
    /// Ignore file: check IDs, advisory IDs or CVEs, escape-path IDs; optional path globs and
    /// `exp:YYYY-MM-DD` [default: .bulkheadignore, and .trivyignore, in the working directory]
    #[arg(long, alias = "ignore-file", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// Tools accepted on this host, by binary name (e.g. `--allow make,strace`): not reported
    /// by the minimal-host checks
    #[arg(long, value_delimiter = ',')]
    pub allow: Vec<String>,
    /// The whole audit's time budget (e.g. 90s, 10m): past it bulkhead stops with exit code 2
    #[arg(long, env = "BULKHEAD_TIMEOUT", default_value = "10m", value_parser = crate::watchdog::parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum HostFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

pub fn run(global: &Global, cache_dir: &Path, args: &HostArgs) -> anyhow::Result<u8> {
    let severities = args
        .severity
        .iter()
        .map(|s| s.parse::<Severity>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !args.root.is_dir() {
        anyhow::bail!(
            "{}: not a directory (give --root the mounted root of a host)",
            crate::output::escape(&args.root.display().to_string())
        );
    }
    let options = host::Options {
        allow: args.allow.clone(),
    };
    let mut audit = host::audit(&args.root, &options);
    let mut warnings = audit.warnings;
    let vulnerabilities = match store::Store::open(cache_dir) {
        Ok(store) => {
            let found = match_components(&store, &audit.host, &audit.components)?;
            if let Some(kernel) = audit.host.kernel.as_mut() {
                kernel.reboot_required = reboot_required(&store, &audit.host.os, kernel, &found)?;
            }
            found
        }
        Err(error) => {
            warnings.push(format!(
                "components were not matched against advisories ({error}); run `bulkhead db update` or `bulkhead db import`"
            ));
            Vec::new()
        }
    };
    let mut report = HostReport {
        schema_version: host::SCHEMA_VERSION,
        tool: "bulkhead",
        created_at: store::time::now_utc(),
        host: audit.host,
        components: audit.components,
        misconfigurations: audit.misconfigurations,
        vulnerabilities,
        containers: audit.containers,
        escape_paths: audit.escape_paths,
        warnings,
        suppressed: Vec::new(),
    };
    report.apply_backports();
    let vulnerable: Vec<(String, Vec<String>)> = report
        .vulnerabilities
        .iter()
        .map(|v| {
            let inner = &v.vulnerability;
            let mut ids = vec![inner.id.clone()];
            ids.extend(inner.aliases.iter().cloned());
            (v.component.clone(), ids)
        })
        .collect();
    let paths = host::escape::from_vulnerabilities(&report.host, &report.containers, &vulnerable);
    report.escape_paths.extend(paths);
    report.suppress(&crate::scan::ignore_rules(
        args.ignorefile.as_deref(),
        None,
    )?);
    report.keep(&severities);
    if !global.quiet && (args.format != HostFormat::Table || args.output.is_some()) {
        for warning in &report.warnings {
            eprintln!("warning: {}", crate::output::escape(warning));
        }
    }
    let colour = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        HostFormat::Json => report::write_host_json(&report, &mut out),
        HostFormat::Table => report::write_host_table(&report, &mut out, colour),
        HostFormat::Sarif => report::write_host_sarif(&report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")?;
    Ok(if args.exit_code != 0 && report.has_findings() {
        args.exit_code
    } else {
        0
    })
}

/// The installed, not running, kernel that fixes the most of the running kernel's advisories.
fn reboot_required(
    store: &store::Store,
    os: &Option<host::Os>,
    kernel: &host::components::Kernel,
    found: &[ComponentVulnerability],
) -> anyhow::Result<Option<host::components::RebootRequired>> {
    let running: Vec<&str> = found
        .iter()
        .filter(|v| v.component == "kernel")
        .map(|v| v.vulnerability.id.as_str())
        .collect();
    let mut best: Option<host::components::RebootRequired> = None;
    for other in &kernel.others {
        let mut inventory = os_inventory(os);
        inventory.packages.push(other.clone());
        inventory.assign_os();
        let matches = matcher::match_inventory(store, &inventory)
            .context("matching the installed kernels against the advisory database")?;
        let fixes: Vec<String> = running
            .iter()
            .filter(|id| !matches.vulnerabilities.iter().any(|v| v.id == **id))
            .map(|id| id.to_string())
            .collect();
        if !fixes.is_empty() && best.as_ref().is_none_or(|b| b.fixes.len() < fixes.len()) {
            let release = other
                .name
                .strip_prefix("linux-image-")
                .unwrap_or(&other.version);
            best = Some(host::components::RebootRequired {
                release: release.to_string(),
                fixes,
            });
        }
    }
    Ok(best)
}

fn os_inventory(os: &Option<host::Os>) -> Inventory {
    Inventory {
        os: os.as_ref().map(|os| OsRelease {
            family: os.family.clone(),
            version: os.version.clone(),
            codename: None,
            pretty_name: None,
        }),
        ..Default::default()
    }
}

/// Matches each component's package (the OS package that owns it, else the binary's main Go
/// module) and the kernel package: a distro's package through the distro's advisories only.
fn match_components(
    store: &store::Store,
    info: &host::HostInfo,
    components: &[host::components::Component],
) -> anyhow::Result<Vec<ComponentVulnerability>> {
    let mut owners: Vec<(String, &str)> = Vec::new();
    let mut inventory = os_inventory(&info.os);
    for c in components {
        if let Some(p) = &c.matched {
            owners.push((p.name.clone(), c.name));
            inventory.packages.push(p.clone());
        }
    }
    if let Some(kernel) = info.kernel.as_ref().and_then(|k| k.matched.clone()) {
        owners.push((kernel.name.clone(), "kernel"));
        inventory.packages.push(kernel);
    }
    inventory.assign_os();
    let matches = matcher::match_inventory(store, &inventory)
        .context("matching the host's components against the advisory database")?;
    Ok(matches
        .vulnerabilities
        .into_iter()
        .map(|v| {
            let component = owners
                .iter()
                .find(|(package, _)| *package == v.package)
                .map_or("unknown", |(_, c)| c)
                .to_string();
            ComponentVulnerability {
                component,
                vulnerability: v,
            }
        })
        .collect())
}
