//! `bulkhead config` and `bulkhead rules`.
//!
//! Files that cannot be parsed are reported as warnings with file:line:column (stderr and the
//! report's `warnings`); the scan goes on with the other files. They count as failures for
//! `--exit-code`, so CI does not pass a file it could not check. A broken policy, an unreadable
//! path or a bad option is an error (exit 2).

use crate::cli::{ConfigArgs, Profile};
use crate::output;
use anyhow::{bail, Context};
use detectors::severity::Severity;
use inventory::Warning;
use misconfig::rego::Policies;
use misconfig::scan::{self, Outcome};
use report::{Artifact, Filter, Report, Tool};
use std::io::{Read, Write};
use std::path::Path;

/// Standard input is read up to this size (rendered charts are large, but not this large).
fn max_stdin() -> u64 {
    inventory::limits::get(inventory::limits::Limit::Stdin)
}

pub fn run(args: &ConfigArgs) -> anyhow::Result<u8> {
    let severities = args
        .severity
        .iter()
        .map(|s| {
            s.parse::<Severity>().map_err(|_| {
                anyhow::anyhow!("--severity {s:?}: expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let policies = if args.policy.is_empty() {
        None
    } else {
        Some(Policies::load(&args.policy).context("cannot load the Rego policies")?)
    };
    let stdin = args.path == "-";
    let ignore = crate::scan::ignore_rules(args.ignorefile.as_deref(), scanned_dir(args, stdin))?;
    let options = scan::Options {
        k8s: k8s_options(args.profile),
        policies: policies.as_ref(),
        secrets: Some(&analyzers::secret::scan_manifest),
    };
    let mut outcome = if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(max_stdin() + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        if bytes.len() as u64 > max_stdin() {
            bail!(
                "standard input is larger than {} ({})",
                inventory::limits::shown(inventory::limits::Limit::Stdin),
                inventory::limits::hint(inventory::limits::Limit::Stdin)
            );
        }
        let text = scan::decode(bytes).map_err(|e| {
            anyhow::anyhow!("standard input: {}", e.trim_start_matches("skipped: "))
        })?;
        scan::scan_text("-", text, &options)
    } else {
        let path = Path::new(&args.path);
        if !path.exists() {
            bail!("{}: no such file or directory", output::escape(&args.path));
        }
        scan::scan_path(path, &options)
    };
    if outcome.files == 0 && outcome.errors.is_empty() {
        outcome.warnings.push((
            args.path.clone(),
            "no Dockerfile, Kubernetes or compose file found: nothing was checked".into(),
        ));
    }
    let unparsed = !outcome.errors.is_empty();
    let node = args.host.as_deref().map(node_facts).transpose()?;
    let mut report = report_of(&args.path, outcome);
    if let Some(node) = &node {
        let findings: Vec<host::escape::ConfigFinding> = report
            .misconfigurations
            .iter()
            .map(|f| host::escape::ConfigFinding {
                resource: f.resource.as_deref().unwrap_or(""),
                file: &f.file,
                line: f.line,
                rule_id: &f.rule_id,
                title: &f.title,
            })
            .collect();
        report.escape_paths = host::escape::from_config(node, &findings);
    }
    report.suppress(&ignore, &Default::default());
    report.apply(&Filter {
        severities,
        ignore_unfixed: false,
    });
    output::warn_all(&report.warnings, args.format.into(), args.output.as_deref());
    output::write_to(
        &report,
        args.format.into(),
        args.output.as_deref(),
        args.show_suppressed,
    )?;
    Ok(
        if args.exit_code != 0 && (report.has_findings() || unparsed) {
            args.exit_code
        } else {
            0
        },
    )
}

/// The node facts of `--host FILE`, a `bulkhead host --format json` report.
fn node_facts(path: &Path) -> anyhow::Result<host::escape::NodeFacts> {
    // A host report is a few MiB at most; the document limit bounds it.
    let limit = inventory::limits::get(inventory::limits::Limit::Document);
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut text))
        .with_context(|| format!("--host {}", path.display()))?;
    if text.len() as u64 > limit {
        bail!(
            "--host {}: larger than {} ({})",
            path.display(),
            inventory::limits::shown(inventory::limits::Limit::Document),
            inventory::limits::hint(inventory::limits::Limit::Document)
        );
    }
    let report: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("--host {}: not JSON", path.display()))?;
    host::escape::NodeFacts::from_report(&report, &path.display().to_string())
        .map_err(|e| anyhow::anyhow!("--host {}: {e}", path.display()))
}

/// Where a `.bulkheadignore` beside the configuration is looked for.
fn scanned_dir(args: &ConfigArgs, stdin: bool) -> Option<&Path> {
    if stdin {
        return None;
    }
    let root = Path::new(&args.path);
    Some(if root.is_dir() {
        root
    } else {
        root.parent().unwrap_or(Path::new("."))
    })
}

fn k8s_options(profile: Profile) -> misconfig::k8s::Options {
    misconfig::k8s::Options {
        profile: match profile {
            Profile::Baseline => misconfig::k8s::Profile::Baseline,
            Profile::Restricted => misconfig::k8s::Profile::Restricted,
        },
    }
}

/// The configuration checks of `bulkhead fs`: findings, and files that could not be parsed
/// as warnings (credentials are the secret scanner's job there).
pub fn check_tree(
    root: &Path,
    profile: Profile,
) -> anyhow::Result<(Vec<misconfig::Finding>, Vec<Warning>)> {
    let options = scan::Options {
        k8s: k8s_options(profile),
        policies: None,
        secrets: None,
    };
    let outcome = scan::scan_path(root, &options);
    let mut warnings = parse_warnings(&outcome);
    warnings.extend(outcome.warnings.into_iter().map(|(file, message)| Warning {
        line: None,
        column: None,
        file,
        layer: None,
        message,
    }));
    Ok((outcome.findings, warnings))
}

fn parse_warnings(outcome: &Outcome) -> Vec<Warning> {
    outcome
        .errors
        .iter()
        .map(|e| Warning {
            file: e.file.clone(),
            line: Some(e.line),
            column: Some(e.column),
            layer: None,
            message: format!("cannot parse: {}", e.message),
        })
        .collect()
}

fn report_of(path: &str, outcome: Outcome) -> Report {
    let mut warnings = parse_warnings(&outcome);
    let mut misconfigurations = outcome.findings;
    let (secrets, suppressed) =
        crate::secrets::tie_literal(&mut misconfigurations, outcome.secrets);
    warnings.extend(outcome.warnings.into_iter().map(|(file, message)| Warning {
        line: None,
        column: None,
        file,
        layer: None,
        message,
    }));
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        tool: Tool {
            name: "bulkhead",
            version: env!("CARGO_PKG_VERSION"),
            database: None,
        },
        created_at: store::time::now_utc(),
        artifact: Artifact {
            name: path.to_string(),
            kind: "config".into(),
            digest: None,
            config_digest: None,
            repo_tags: Vec::new(),
            layers: Vec::new(),
        },
        scanners: vec!["config", "secret"],
        os: None,
        packages: Vec::new(),
        vulnerabilities: Vec::new(),
        malware: Vec::new(),
        secrets,
        misconfigurations,
        escape_paths: Vec::new(),
        summary: Default::default(),
        warnings,
        suppressed,
        fixed: Vec::new(),
        integrity: None,
    };
    report.summarize();
    report
}

/// `bulkhead rules [ID]`. A closed pipe (`bulkhead rules | head`) ends the listing quietly.
pub fn rules(id: Option<&str>) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match write_rules(&mut out, id) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("{e}"),
        other => other.map(|_| 0).context("cannot write to stdout"),
    }
}

fn write_rules(out: &mut dyn Write, id: Option<&str>) -> std::io::Result<()> {
    let Some(id) = id else {
        let rules = misconfig::all_rules();
        let mut family = None;
        for rule in &rules {
            if family != Some(rule.family) {
                family = Some(rule.family);
                let count = rules.iter().filter(|r| r.family == rule.family).count();
                let name = misconfig::catalog::family_name(rule.family);
                writeln!(out, "\n{name} ({count} rules)")?;
            }
            let severity = rule.severity.to_string();
            writeln!(out, "  {:<12} {severity:<8} {}", rule.id, rule.title)?;
        }
        let checks = host::checks::catalogue();
        writeln!(
            out,
            "\nHost checks, `bulkhead host` ({} rules)",
            checks.len()
        )?;
        for check in &checks {
            let severity = check.severity.to_string();
            writeln!(out, "  {:<12} {severity:<8} {}", check.id, check.title)?;
        }
        return writeln!(
            out,
            "\n{} rules; `bulkhead rules ID` explains one.",
            rules.len() + checks.len()
        );
    };
    if let Some(check) = host::checks::catalogue()
        .into_iter()
        .find(|c| c.id.eq_ignore_ascii_case(id))
    {
        writeln!(out, "{} — {}", check.id, check.title)?;
        writeln!(out, "family:   host checks (`bulkhead host`)")?;
        writeln!(out, "severity: {}", check.severity)?;
        writeln!(out, "\nWhy it matters\n  {}", check.why)?;
        writeln!(out, "\nHow to fix\n  {}", check.fix)?;
        if !check.benchmark.is_empty() {
            writeln!(out, "\nBenchmarks")?;
            for reference in check.benchmark {
                writeln!(out, "  - {reference}")?;
            }
        }
        return Ok(());
    }
    let Some(rule) = misconfig::lookup(id) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no rule {id:?}; `bulkhead rules` lists them"),
        ));
    };
    writeln!(out, "{} — {}", rule.id, rule.title)?;
    writeln!(
        out,
        "family:   {}",
        misconfig::catalog::family_name(rule.family)
    )?;
    writeln!(out, "severity: {}", rule.severity)?;
    writeln!(out, "\nWhy it matters\n  {}", rule.why)?;
    writeln!(out, "\nHow to fix\n  {}", rule.fix)?;
    writeln!(out, "\nReferences")?;
    for reference in rule.references {
        writeln!(out, "  - {reference}")?;
    }
    Ok(())
}
