//! What every package scan shares (`image`, `rootfs`, `fs`, `sbom`): the advisory database
//! opened before anything is read, the analyzers `--scanners` asks for, suppressions, and
//! `finish` — matching, end of life, report, exit code.

use crate::cli::{AnalysisArgs, Global, ReportArgs, ScannerKind};
use crate::output;
use anyhow::Context;
use artifact::{Analyzer, Limits};
use detectors::{eol, matcher, severity::Severity};
use inventory::{Inventory, Warning};
use report::suppress::{IgnoreRules, VexStatements};
use report::{Artifact, Filter, MalwareFinding, OsReport, Report, Tool};
use std::path::{Path, PathBuf};

/// How a finished inventory becomes a report: the options every scanning command shares.
pub struct Plan<'a> {
    pub target: &'a str,
    pub report: &'a ReportArgs,
    /// Match packages against the advisory database (`--scanners vuln`).
    pub vulnerabilities: bool,
    /// What ran, for the report's header.
    pub scanners: Vec<&'static str>,
    pub exit_on_eol: u8,
    /// The inventory store's key: image digest, `rootfs:PATH`, `fs:PATH`, `sbom:PATH`.
    pub key: String,
    pub misconfigurations: Vec<misconfig::Finding>,
    pub integrity: Option<report::Integrity>,
    /// Report secrets in files that installed packages own (`--secrets-in-packages`).
    pub secrets_in_packages: bool,
}

/// What is loaded before the artifact is read, so a missing database or a bad ignore file or
/// VEX document fails at once, not after minutes of reading layers.
pub struct Prepared {
    pub store: Option<store::Store>,
    pub filter: Filter,
    pub ignore: IgnoreRules,
    pub vex: VexStatements,
}

/// `scanned_dir`: a directory scan's root, whose own `.bulkheadignore` is read too.
pub fn prepare(
    cache_dir: &Path,
    report: &ReportArgs,
    vulnerabilities: bool,
    ignore_unfixed: bool,
    vex: &[PathBuf],
    scanned_dir: Option<&Path>,
) -> anyhow::Result<Prepared> {
    let filter = filter(&report.severity, ignore_unfixed)?;
    let ignore = ignore_rules(report.ignorefile.as_deref(), scanned_dir)?;
    let vex = VexStatements::load(vex).map_err(|e| anyhow::anyhow!("--vex: {e}"))?;
    let store = if vulnerabilities {
        Some(store::Store::open(cache_dir).context("cannot open the advisory database")?)
    } else {
        None
    };
    Ok(Prepared {
        store,
        filter,
        ignore,
        vex,
    })
}

/// `--ignorefile`, else `.bulkheadignore` (in the working directory, and in `dir` when given);
/// `.trivyignore` in the working directory is read as well, as Trivy users expect.
pub fn ignore_rules(explicit: Option<&Path>, dir: Option<&Path>) -> anyhow::Result<IgnoreRules> {
    let mut rules = IgnoreRules::default();
    let today = misconfig::ignore::today();
    let mut files: Vec<PathBuf> = Vec::new();
    match explicit {
        Some(path) => files.push(path.to_path_buf()),
        None => {
            files.push(PathBuf::from(".bulkheadignore"));
            if let Some(dir) = dir {
                files.push(dir.join(".bulkheadignore"));
            }
        }
    }
    files.push(PathBuf::from(".trivyignore"));
    let mut seen = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let canonical = std::fs::canonicalize(path).ok();
        // An ignore file the user named must exist; the default ones are optional.
        let named = index == 0 && explicit.is_some();
        if !(named || path.exists()) {
            continue;
        }
        if canonical.is_some() && seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        // A scanned tree's ignore file is that tree's text: bounded like any input.
        const MAX_IGNORE_FILE: u64 = 1 << 20;
        if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_IGNORE_FILE) {
            anyhow::bail!(
                "the ignore file {} is larger than {} KiB",
                path.display(),
                MAX_IGNORE_FILE >> 10
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the ignore file {}", path.display()))?;
        rules.parse(&path.display().to_string(), &text, &today);
    }
    Ok(rules)
}

pub fn filter(severity: &[String], ignore_unfixed: bool) -> anyhow::Result<Filter> {
    let severities = severity
        .iter()
        .map(|s| {
            s.parse::<Severity>().map_err(|_| {
                anyhow::anyhow!("--severity {s:?}: expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL")
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Filter {
        severities,
        ignore_unfixed,
    })
}

/// The analyzers for the pass, and the secret analyzer again for the image config.
/// The analyzers a scan runs, the secret analyzer again (image config and history are scanned
/// with it too), and what loading them had to say (malware rule files that did not compile).
pub struct Chosen {
    pub analyzers: Vec<Box<dyn Analyzer>>,
    pub secrets: Option<analyzers::SecretAnalyzer>,
    pub notes: Vec<Warning>,
}

/// The analyzers `--scanners` asks for. The OS is always detected (end of life does not depend
/// on the scanners); the secret analyzer also comes back on its own for the image config.
pub fn chosen_analyzers(
    args: &AnalysisArgs,
    filter: &Filter,
    cache_dir: &Path,
) -> anyhow::Result<Chosen> {
    let mut chosen: Vec<Box<dyn Analyzer>> = Vec::new();
    for analyzer in analyzers::default_analyzers() {
        let keep = match analyzer.name() {
            "os" => true,
            "image-files" => args.wants(ScannerKind::Config),
            // Which files packages own: the setuid checks and the secrets' provenance.
            // Config: unowned setuid files; secrets: package content; vuln: distro-built binaries.
            "package-files" => {
                args.wants(ScannerKind::Config)
                    || args.wants(ScannerKind::Secret)
                    || args.wants(ScannerKind::Vuln)
            }
            _ => args.wants(ScannerKind::Vuln),
        };
        if keep {
            chosen.push(analyzer);
        }
    }
    let secrets = if args.wants(ScannerKind::Secret) {
        let secrets = crate::secrets::analyzer(args.secret_config.as_deref())?;
        chosen.push(Box::new(secrets.clone()));
        Some(secrets)
    } else {
        None
    };
    let mut notes = Vec::new();
    if args.wants(ScannerKind::Malware) {
        // The sets `bulkhead malware update` installed, then the ones named on the command line.
        let mut rules = analyzers::malware::install::installed(cache_dir);
        rules.extend(args.malware_rules.iter().cloned());
        let options = analyzers::malware::MalwareOptions {
            rules,
            hashes: args.malware_hashes.clone(),
            severities: filter.severities.clone(),
        };
        let (malware, warnings) =
            analyzers::malware::MalwareAnalyzer::new(&options).map_err(anyhow::Error::msg)?;
        for set in malware.sets() {
            notes.push(gap(format!(
                "malware rules {}: {} of {} files compiled ({} rules){}",
                set.name,
                set.compiled_files,
                set.files,
                set.rules,
                set.license
                    .as_deref()
                    .map(|l| format!(", licence {l}"))
                    .unwrap_or_default()
            )));
        }
        notes.extend(warnings.into_iter().map(gap));
        chosen.push(Box::new(malware));
    }
    Ok(Chosen {
        analyzers: chosen,
        secrets,
        notes,
    })
}

/// `--scanners` as the report names them.
pub fn scanner_names(args: &AnalysisArgs) -> Vec<&'static str> {
    [
        (ScannerKind::Vuln, "vuln"),
        (ScannerKind::Secret, "secret"),
        (ScannerKind::Config, "config"),
        (ScannerKind::Malware, "malware"),
    ]
    .into_iter()
    .filter(|(kind, _)| args.wants(*kind))
    .map(|(_, name)| name)
    .collect()
}

pub fn limits(args: &AnalysisArgs, max_layer_size: u64) -> Limits {
    Limits {
        max_file_size: args.max_file_size,
        max_layer_size,
    }
}

pub fn absolute(path: &str) -> String {
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

/// Matching, end of life, suppressions, report, exit code.
pub fn finish(
    global: &Global,
    cache_dir: &Path,
    prepared: Prepared,
    plan: Plan,
    artifact: Artifact,
    mut inventory: Inventory,
) -> anyhow::Result<u8> {
    analyzers::lang::drop_os_owned(&mut inventory);
    analyzers::lang::golang::prefer_go_mod(&mut inventory);
    inventory.assign_os();
    let mut data_gaps = Vec::new();
    let matches = match &prepared.store {
        Some(store) if plan.vulnerabilities => {
            data_gaps.extend(stale_feeds(store));
            let matched = if plan.report.format == crate::cli::Format::Openvex {
                matcher::match_inventory_and_fixes(store, &inventory)
            } else {
                matcher::match_inventory(store, &inventory)
            };
            matched.with_context(|| {
                format!(
                    "matching against the advisory database in {}",
                    cache_dir.display()
                )
            })?
        }
        _ => matcher::Matches::default(),
    };
    // Only inventories whose findings were recorded: rescan reports what is new since then.
    if plan.vulnerabilities {
        if let Err(error) =
            crate::rescan::store_inventory(cache_dir, &plan.key, &artifact, &inventory, &matches)
        {
            inventory.warnings.push(gap(format!(
                "the inventory was not stored for `bulkhead rescan`: {error}"
            )));
        }
    }
    let quiet_matches = inventory.malware_quiet;
    if quiet_matches > 0 {
        inventory.warnings.push(gap(format!(
            "{quiet_matches} matches of third-party malware rules below HIGH (capabilities and weak signals, not malware) not shown; --severity MEDIUM,… shows them"
        )));
    }
    let package_secrets = if plan.secrets_in_packages {
        Vec::new()
    } else {
        package_content(&mut inventory)
    };
    let os = inventory.os.as_ref().map(os_report);
    let mut warnings = inventory.warnings;
    warnings.extend(matches.warnings);
    warnings.extend(data_gaps);
    // A literal credential in a manifest the scan checked is one finding, not two.
    let mut misconfigurations = plan.misconfigurations;
    let (secrets, tied) = crate::secrets::tie_literal(&mut misconfigurations, inventory.secrets);
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        tool: Tool {
            name: "bulkhead",
            version: env!("CARGO_PKG_VERSION"),
            database: matches.os_ecosystem.clone(),
        },
        created_at: store::time::now_utc(),
        artifact,
        scanners: plan.scanners,
        os,
        packages: inventory.packages,
        vulnerabilities: matches.vulnerabilities,
        malware: matches
            .malware
            .into_iter()
            .map(MalwareFinding::from_package)
            .chain(inventory.malware.into_iter().map(MalwareFinding::Content))
            .collect(),
        secrets,
        misconfigurations,
        escape_paths: Vec::new(),
        summary: Default::default(),
        warnings,
        suppressed: Vec::new(),
        fixed: matches.fixed,
        integrity: plan.integrity,
    };
    report.suppressed.extend(package_secrets);
    report.suppressed.extend(tied);
    report.suppress(&prepared.ignore, &prepared.vex);
    report.apply(&prepared.filter);
    if !global.quiet {
        let tree = plan.vulnerabilities && report.artifact.kind != "filesystem";
        if tree && report.os.is_none() && report.packages.is_empty() {
            eprintln!(
                "note: no OS and no packages found in {}; is it a container image or root filesystem?",
                output::escape(plan.target)
            );
        }
    }
    output::warn_all(
        &report.warnings,
        plan.report.format,
        plan.report.output.as_deref(),
    );
    output::write(&report, plan.report)?;
    let eol = report.os.as_ref().is_some_and(|os| os.eol);
    Ok(if plan.report.exit_code != 0 && report.has_findings() {
        plan.report.exit_code
    } else if plan.exit_on_eol != 0 && eol {
        plan.exit_on_eol
    } else {
        0
    })
}

fn os_report(os: &inventory::OsRelease) -> OsReport {
    let today = eol::today();
    let info = eol::lookup(&os.family, &os.version);
    // Debian's LTS is free and run by Debian itself: a release is over when LTS ends.
    // Elsewhere extended support is paid (ESM, ELS), so the regular date counts.
    let debian = os.family == "debian";
    OsReport {
        family: os.family.clone(),
        version: os.version.clone(),
        eol: info.as_ref().is_some_and(|i| {
            if debian {
                i.is_fully_eol(&today)
            } else {
                i.is_eol(&today)
            }
        }),
        eol_date: info.and_then(|i| {
            if debian {
                i.lts_date.or(i.eol_date)
            } else {
                i.eol_date
            }
        }),
        codename: os.codename.clone(),
        pretty_name: os.pretty_name.clone(),
    }
}

fn gap(message: String) -> Warning {
    Warning {
        line: None,
        column: None,
        file: String::new(),
        layer: None,
        message,
    }
}

/// Feeds whose newest record is older than `BULKHEAD_DB_MAX_AGE_DAYS` (default 7): a data gap
/// every format reports, since advisories change daily.
fn stale_feeds(store: &store::Store) -> Option<Warning> {
    let max_days: u64 = std::env::var("BULKHEAD_DB_MAX_AGE_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(7);
    let now = std::time::SystemTime::now();
    let info = store.info().ok()?;
    let stale: Vec<String> = info
        .feeds
        .iter()
        .filter_map(|feed| {
            let newest = feed.newest_modified.as_deref()?;
            let age = now
                .duration_since(store::time::to_system_time(newest)?)
                .ok()?
                .as_secs()
                / 86_400;
            (age > max_days).then(|| format!("{} ({age} days)", feed.name))
        })
        .collect();
    (!stale.is_empty()).then(|| {
        gap(format!(
            "stale advisory data: no record modified in the last {max_days} days in {}; refresh with `bulkhead db update`",
            stale.join(", ")
        ))
    })
}

/// A directory scan: `rootfs` or `fs`.
pub struct Tree<'a> {
    pub target: &'a str,
    pub report: &'a ReportArgs,
    pub analysis: &'a AnalysisArgs,
    pub ignore_unfixed: bool,
    pub vex: &'a [PathBuf],
    pub exit_on_eol: u8,
    /// `fs`: `.gitignore` honoured, no OS expected, configuration files checked.
    pub source_tree: bool,
    /// `fs`: the Pod Security Standards profile for Kubernetes files.
    pub profile: Option<crate::cli::Profile>,
}

pub fn directory(global: &Global, cache_dir: &Path, tree: Tree) -> anyhow::Result<u8> {
    let root = Path::new(tree.target);
    if !root.exists() {
        anyhow::bail!("{}: no such file or directory", output::escape(tree.target));
    }
    if !root.is_dir() {
        anyhow::bail!(
            "{}: not a directory (an image archive is scanned with `bulkhead image`)",
            output::escape(tree.target)
        );
    }
    let vulnerabilities = tree.analysis.wants(ScannerKind::Vuln);
    let prepared = prepare(
        cache_dir,
        tree.report,
        vulnerabilities,
        tree.ignore_unfixed,
        tree.vex,
        Some(root),
    )?;
    let chosen = chosen_analyzers(tree.analysis, &prepared.filter, cache_dir)?;
    let analyzers: Vec<&dyn Analyzer> = chosen.analyzers.iter().map(|a| a.as_ref()).collect();
    let options = artifact::TreeOptions {
        skip_dirs: tree.analysis.skip_dirs.clone(),
        skip_files: tree.analysis.skip_files.clone(),
        gitignore: tree.source_tree,
    };
    let limits = limits(tree.analysis, u64::MAX);
    let layer = artifact::analyze_tree(root, &analyzers, limits, &options)?;
    // Compiled malware rules and their caches are large: gone before matching starts.
    drop(analyzers);
    drop(chosen.analyzers);
    let mut inventory = artifact::squash(vec![layer]);
    inventory.warnings.extend(chosen.notes);
    let config = tree.analysis.wants(ScannerKind::Config);
    let misconfigurations = match tree.profile {
        Some(profile) if config => {
            let (findings, warnings) = crate::config::check_tree(root, profile)?;
            inventory.warnings.extend(warnings);
            findings
        }
        None if config => file_findings(tree.target, &inventory),
        _ => Vec::new(),
    };
    let (kind, prefix) = if tree.source_tree {
        ("filesystem", "fs")
    } else {
        ("rootfs", "rootfs")
    };
    let artifact = Artifact {
        name: tree.target.to_string(),
        kind: kind.into(),
        digest: None,
        config_digest: None,
        repo_tags: Vec::new(),
        layers: Vec::new(),
    };
    let plan = Plan {
        target: tree.target,
        report: tree.report,
        vulnerabilities,
        scanners: scanner_names(tree.analysis),
        exit_on_eol: tree.exit_on_eol,
        key: format!("{prefix}:{}", absolute(tree.target)),
        misconfigurations,
        integrity: None,
        secrets_in_packages: tree.analysis.secrets_in_packages,
    };
    finish(global, cache_dir, prepared, plan, artifact, inventory)
}

/// Directories that hold installed third-party packages and toolchains: their files are the
/// packages' own content (documentation, search indexes, examples, tests), like files an OS
/// package owns.
const PACKAGE_DIRS: &[&str] = &[
    // Toolchains installed by version managers in home directories (named first: the most
    // telling reason when a path is under several).
    "/.rustup/toolchains/",
    "/.pyenv/versions/",
    "/.rbenv/versions/",
    "/.nvm/versions/",
    "/site-packages/",
    "/dist-packages/",
    "/node_modules/",
    "/gems/",
    "/.cargo/registry/",
    "/go/pkg/mod/",
    "/share/doc/",
    "/usr/lib/go/src/",
    "/usr/local/go/src/",
];

/// Takes the secrets found in package content out of the inventory, as suppressions that say
/// why: a file an OS package owns (dpkg, rpm and apk file lists), or one inside an installed
/// third-party package. Their values are the packages' examples and tests, not the image's.
fn package_content(inventory: &mut Inventory) -> Vec<report::suppress::Suppressed> {
    let mut hidden = Vec::new();
    let secrets = std::mem::take(&mut inventory.secrets);
    for secret in secrets {
        let path = format!("/{}", secret.file.trim_start_matches('/'));
        let owned = inventory.package_owns(&secret.file) == Some(true);
        let dir = PACKAGE_DIRS.iter().find(|d| path.contains(*d));
        let by = match (owned, dir) {
            (true, _) => {
                "a file an OS package installed (--secrets-in-packages shows it)".to_string()
            }
            (false, Some(d)) => format!(
                "inside an installed package ({}; --secrets-in-packages shows it)",
                d.trim_matches('/')
            ),
            (false, None) => {
                inventory.secrets.push(secret);
                continue;
            }
        };
        hidden.push(report::suppress::Suppressed {
            kind: "secret",
            id: secret.rule_id.clone(),
            target: format!("{}:{}", secret.file, secret.line),
            by,
            purl: None,
            status: None,
            justification: Some("package_content".into()),
            statement: None,
        });
    }
    hidden
}

/// The file rules of the image checks (setuid and world-writable files, caches) over a root
/// filesystem.
fn file_findings(target: &str, inventory: &Inventory) -> Vec<misconfig::Finding> {
    misconfig::image::check_files(&file_facts(target, inventory))
}

/// What the file rules read from an inventory: setuid and world-writable files, the paths the
/// image rules look for, and which special files OS packages installed.
pub fn file_facts(name: &str, inventory: &Inventory) -> misconfig::image::ImageFacts {
    misconfig::image::ImageFacts {
        name: name.to_string(),
        special_files: inventory
            .file_modes
            .iter()
            .filter(|f| f.mode & 0o6002 != 0)
            .map(|f| (f.path.clone(), f.mode))
            .collect(),
        paths: inventory
            .file_modes
            .iter()
            .map(|f| f.path.clone())
            .collect(),
        package_owned: package_owned(inventory),
        ..Default::default()
    }
}

/// The setuid/setgid files an OS package installed, when package file lists were seen.
fn package_owned(inventory: &Inventory) -> Option<Vec<String>> {
    let special = inventory.file_modes.iter().filter(|f| f.mode & 0o6000 != 0);
    let mut owned = Vec::new();
    for file in special {
        if inventory.package_owns(&file.path)? {
            owned.push(file.path.clone());
        }
    }
    Some(owned)
}
