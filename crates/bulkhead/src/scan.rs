//! `bulkhead image`, `bulkhead rootfs` and `bulkhead fs`: source → artifact → analyzers →
//! inventory → detectors → report.

use crate::cli::{Global, ScanArgs, ScannerKind};
use crate::{output, progress::Bars};
use anyhow::{bail, Context};
use artifact::{Analyzer, Limits};
use detectors::{eol, matcher, severity::Severity};
use inventory::Inventory;
use report::{Artifact, Filter, LayerInfo, OsReport, Report, Tool};
use std::path::Path;

pub fn image(global: &Global, cache_dir: &Path, args: &ScanArgs) -> anyhow::Result<u8> {
    let filter = filter(args)?;
    let Some(platform) = source::Platform::parse(&args.platform) else {
        bail!(
            "--platform {:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64",
            args.platform
        );
    };
    if let Some(expected) = &args.expect_digest {
        if !source::registry::is_sha256_digest(expected) {
            bail!("--expect-digest {expected:?}: expected sha256:<64 lower-case hex digits>");
        }
    }
    let credentials = credentials(args)?;
    let select = source::SelectOptions {
        platform,
        insecure: args.insecure,
        credentials,
        ..Default::default()
    };
    let (mut image, blobs) = source::open_image(&args.target, &select)?;
    let integrity = integrity(&image, args.expect_digest.as_deref());
    let (analyzers, secrets) = chosen_analyzers(args)?;
    // Before the layers are read: it redacts the history steps their results repeat.
    let config_secrets = secrets
        .as_ref()
        .map(|s| crate::secrets::image_config(s, &mut image));
    let analyzers: Vec<&dyn Analyzer> = analyzers.iter().map(|a| a.as_ref()).collect();
    let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.size).collect();
    let bars = Bars::new(&sizes, global.quiet);
    // Custom secret rules change results without changing analyzer versions: no cache then.
    let cacheable = !args.no_layer_cache && args.secret_config.is_none();
    let cache = cacheable
        .then(|| StoreLayerCache::open(cache_dir, &analyzers, limits(args), global.quiet))
        .flatten();
    let layers = match &cache {
        Some(cache) => artifact::analyze_image_cached(
            &image,
            blobs.as_ref(),
            &analyzers,
            limits(args),
            &bars,
            cache,
        )?,
        None => artifact::analyze_image(&image, blobs.as_ref(), &analyzers, limits(args), &bars)?,
    };
    let mut inventory = artifact::squash(&layers);
    inventory
        .secrets
        .extend(config_secrets.into_iter().flatten());
    let misconfigurations = if args.wants(ScannerKind::Config) {
        image_config_findings(&image, &inventory)
    } else {
        Vec::new()
    };
    let artifact = Artifact {
        name: image.name.clone(),
        kind: image.kind.to_string(),
        digest: Some(image.digest.clone()),
        config_digest: Some(image.config_digest.clone()),
        repo_tags: image.repo_tags.clone(),
        layers: image
            .layers
            .iter()
            .enumerate()
            .map(|(index, l)| LayerInfo {
                index,
                diff_id: l.diff_id.clone(),
                digest: l.digest.clone(),
                created_by: l.created_by.clone(),
            })
            .collect(),
    };
    finish(
        global,
        cache_dir,
        args,
        &filter,
        artifact,
        inventory,
        ScanContext {
            key: image.digest.clone(),
            misconfigurations,
            integrity,
        },
    )
}

/// The image-config rules over the config, its history and the final view's notable files.
fn image_config_findings(image: &source::Image, inventory: &Inventory) -> Vec<misconfig::Finding> {
    let config = &image.config.config;
    let facts = misconfig::image::ImageFacts {
        name: image.name.clone(),
        user: config.user.clone(),
        env: config.env.clone().unwrap_or_default(),
        exposed_ports: config
            .exposed_ports
            .as_ref()
            .map(|ports| ports.keys().cloned().collect())
            .unwrap_or_default(),
        history: image
            .config
            .history
            .iter()
            .filter_map(|h| h.created_by.clone())
            .collect(),
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
    };
    misconfig::image::check(&facts)
}

/// Registry images always get an integrity section; local ones when a digest is expected.
fn integrity(image: &source::Image, expected: Option<&str>) -> Option<report::Integrity> {
    let remote = (image.kind == "registry")
        .then(|| source::registry::Reference::parse(&image.name).ok())
        .flatten();
    if remote.is_none() && expected.is_none() {
        return None;
    }
    let resolved = report::Resolved {
        reference: remote
            .as_ref()
            .map_or_else(|| image.name.clone(), |r| r.to_string()),
        by_tag: remote.as_ref().is_some_and(|r| r.digest.is_none()),
        manifest_digest: &image.digest,
        index_digest: image.index_digest.as_deref(),
        config_digest: &image.config_digest,
    };
    Some(report::Integrity::assess(resolved, expected))
}

/// A root filesystem on disk (an unpacked image, `/` of a host): kernel trees skipped.
pub fn rootfs(global: &Global, cache_dir: &Path, args: &ScanArgs) -> anyhow::Result<u8> {
    directory(global, cache_dir, args, false)
}

/// A source tree: `.gitignore` honoured, `.git/` skipped, no OS expected.
pub fn fs(global: &Global, cache_dir: &Path, args: &ScanArgs) -> anyhow::Result<u8> {
    directory(global, cache_dir, args, true)
}

fn directory(
    global: &Global,
    cache_dir: &Path,
    args: &ScanArgs,
    source_tree: bool,
) -> anyhow::Result<u8> {
    let filter = filter(args)?;
    let (analyzers, _) = chosen_analyzers(args)?;
    let analyzers: Vec<&dyn Analyzer> = analyzers.iter().map(|a| a.as_ref()).collect();
    let options = artifact::TreeOptions {
        skip_dirs: args.skip_dirs.clone(),
        skip_files: args.skip_files.clone(),
        gitignore: source_tree,
    };
    let root = Path::new(&args.target);
    let tree = artifact::analyze_tree(root, &analyzers, limits(args), &options)?;
    let inventory = artifact::squash(std::slice::from_ref(&tree));
    let (kind, prefix) = if source_tree {
        ("filesystem", "fs")
    } else {
        ("rootfs", "rootfs")
    };
    let artifact = Artifact {
        name: args.target.clone(),
        kind: kind.into(),
        digest: None,
        config_digest: None,
        repo_tags: Vec::new(),
        layers: Vec::new(),
    };
    let key = format!("{prefix}:{}", absolute(&args.target));
    finish(
        global,
        cache_dir,
        args,
        &filter,
        artifact,
        inventory,
        ScanContext::keyed(key),
    )
}

fn credentials(args: &ScanArgs) -> anyhow::Result<Option<source::registry::Credentials>> {
    Ok(match (&args.username, &args.password) {
        (Some(username), Some(password)) => Some(source::registry::Credentials {
            username: username.clone(),
            password: password.clone(),
        }),
        (None, None) => None,
        _ => bail!("--username and --password go together"),
    })
}

/// `bulkhead sbom FILE`, or `bulkhead sbom --key KEY.pub REF` for the SBOM attestation a
/// registry image carries: the SBOM's packages stand in for the analysed layers.
pub fn sbom(global: &Global, cache_dir: &Path, args: &ScanArgs) -> anyhow::Result<u8> {
    let filter = filter(args)?;
    let local = Path::new(&args.target);
    let sbom = if args.key.is_empty() || local.exists() {
        source::sbom::read_sbom(local)?
    } else {
        attached_sbom(args)?
    };
    if !global.quiet {
        eprintln!(
            "{}: {} with {} packages",
            args.target,
            sbom.format,
            sbom.inventory.packages.len()
        );
    }
    let key = match &sbom.digest {
        Some(digest) => digest.clone(),
        None => format!("sbom:{}", absolute(&args.target)),
    };
    let artifact = Artifact {
        name: sbom.name.unwrap_or_else(|| args.target.clone()),
        kind: "sbom".into(),
        digest: sbom.digest,
        config_digest: None,
        repo_tags: Vec::new(),
        layers: Vec::new(),
    };
    finish(
        global,
        cache_dir,
        args,
        &filter,
        artifact,
        sbom.inventory,
        ScanContext::keyed(key),
    )
}

/// The analyzers for the pass, and the secret analyzer again for the image config.
type Chosen = (Vec<Box<dyn Analyzer>>, Option<analyzers::SecretAnalyzer>);

/// The analyzers `--scanners` asks for; the secret analyzer also comes back on its own for
/// the image config and history.
fn chosen_analyzers(args: &ScanArgs) -> anyhow::Result<Chosen> {
    let mut chosen = if args.wants(ScannerKind::Vuln) {
        analyzers::default_analyzers()
    } else {
        Vec::new()
    };
    let secrets = if args.wants(ScannerKind::Secret) {
        let secrets = crate::secrets::analyzer(args.secret_config.as_deref())?;
        chosen.push(Box::new(secrets.clone()));
        Some(secrets)
    } else {
        None
    };
    Ok((chosen, secrets))
}

/// Layer results kept in the store's layer cache, so a layer seen before (same diff_id, same
/// analyzer versions) is neither downloaded nor read again.
struct StoreLayerCache {
    cache: store::LayerCache,
    key: String,
}

impl StoreLayerCache {
    /// `None` (scan without it) when the cache cannot be opened.
    fn open(
        cache_dir: &Path,
        analyzers: &[&dyn Analyzer],
        limits: Limits,
        quiet: bool,
    ) -> Option<Self> {
        match store::LayerCache::open(cache_dir) {
            Ok(cache) => Some(StoreLayerCache {
                cache,
                key: artifact::cache_key(analyzers, limits),
            }),
            Err(e) => {
                if !quiet {
                    eprintln!("note: scanning without the layer cache: {e}");
                }
                None
            }
        }
    }
}

impl artifact::LayerCache for StoreLayerCache {
    fn get(&self, diff_id: &str) -> Option<artifact::LayerResult> {
        let bytes = self.cache.get(diff_id, &self.key).ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    fn put(&self, diff_id: &str, result: &artifact::LayerResult) {
        // A failed store only costs the next scan a download.
        if let Ok(bytes) = serde_json::to_vec(result) {
            let _ = self.cache.put(diff_id, &self.key, &bytes);
        }
    }
}

/// What `finish` needs besides the inventory: where `bulkhead rescan` keeps it, and what only
/// an image has (its config's misconfigurations, the integrity of its reference).
struct ScanContext {
    /// The inventory store's key: image digest, `rootfs:PATH`, `fs:PATH`, `sbom:PATH`.
    key: String,
    misconfigurations: Vec<misconfig::Finding>,
    integrity: Option<report::Integrity>,
}

impl ScanContext {
    fn keyed(key: String) -> ScanContext {
        ScanContext {
            key,
            misconfigurations: Vec::new(),
            integrity: None,
        }
    }
}

/// The SBOM attestation attached to a registry image whose signature verifies with one of
/// `--key`: an unsigned or foreign SBOM is never trusted in place of the image.
fn attached_sbom(args: &ScanArgs) -> anyhow::Result<source::sbom::Sbom> {
    let reference = source::registry::Reference::parse(&args.target)
        .map_err(|e| anyhow::anyhow!("{}: not a file, nor an image reference: {e}", args.target))?;
    let keys = args
        .key
        .iter()
        .map(|path| verify::PublicKey::from_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let options = source::registry::RegistryOptions {
        insecure: args.insecure,
        credentials: credentials(args)?,
        ..Default::default()
    };
    let Some((_, document)) = verify::attached_sbom(&reference, &options, &keys)
        .with_context(|| format!("cannot fetch the attestations of {}", args.target))?
    else {
        bail!(
            "{}: no SBOM attestation signed by the given key is attached; `bulkhead verify --key KEY {}` shows what is",
            args.target,
            args.target
        );
    };
    Ok(source::sbom::parse_sbom(&document, &args.target)?)
}

fn absolute(path: &str) -> String {
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

fn limits(args: &ScanArgs) -> Limits {
    Limits {
        max_file_size: args.max_file_size,
        max_layer_size: args.max_layer_size,
    }
}

fn filter(args: &ScanArgs) -> anyhow::Result<Filter> {
    let severities = args
        .severity
        .iter()
        .map(|s| {
            s.parse::<Severity>().map_err(|_| {
                anyhow::anyhow!("--severity {s:?}: expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL")
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Filter {
        severities,
        ignore_unfixed: args.ignore_unfixed,
    })
}

/// Matching, end of life, report, exit code.
fn finish(
    global: &Global,
    cache_dir: &Path,
    args: &ScanArgs,
    filter: &Filter,
    artifact: Artifact,
    mut inventory: Inventory,
    context: ScanContext,
) -> anyhow::Result<u8> {
    analyzers::lang::drop_os_owned(&mut inventory);
    analyzers::lang::golang::prefer_go_mod(&mut inventory);
    inventory.assign_os();
    let matches = if args.wants(ScannerKind::Vuln) {
        let store = store::Store::open(cache_dir).context("cannot open the advisory database")?;
        if !global.quiet {
            warn_if_stale(&store);
        }
        matcher::match_inventory(&store, &inventory).with_context(|| {
            format!(
                "matching against the advisory database in {}",
                cache_dir.display()
            )
        })?
    } else {
        matcher::Matches::default()
    };
    // Only inventories whose findings were recorded: rescan reports what is new since then.
    if args.wants(ScannerKind::Vuln) {
        if let Err(error) =
            crate::rescan::store_inventory(cache_dir, &context.key, &artifact, &inventory, &matches)
        {
            inventory.warnings.push(inventory::Warning {
                file: String::new(),
                layer: None,
                message: format!("the inventory was not stored for `bulkhead rescan`: {error}"),
            });
        }
    }
    let today = eol::today();
    let os = inventory.os.as_ref().map(|os| {
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
    });
    let mut warnings = inventory.warnings;
    warnings.extend(matches.warnings);
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        tool: Tool {
            name: "bulkhead",
            version: env!("CARGO_PKG_VERSION"),
            database: matches.os_ecosystem.clone(),
        },
        created_at: store::time::now_utc(),
        artifact,
        os,
        packages: inventory.packages,
        vulnerabilities: matches.vulnerabilities,
        malware: matches.malware,
        secrets: inventory.secrets,
        misconfigurations: context.misconfigurations,
        summary: Default::default(),
        warnings,
        integrity: context.integrity,
    };
    report.apply(filter);
    if !global.quiet {
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        let tree = args.wants(ScannerKind::Vuln) && report.artifact.kind != "filesystem";
        if tree && inventory.os.is_none() && report.packages.is_empty() {
            eprintln!("note: no OS and no packages found in {}; is it a container image or root filesystem?", args.target);
        }
    }
    output::write(&report, args)?;
    let eol = report.os.as_ref().is_some_and(|os| os.eol);
    Ok(if args.exit_code != 0 && report.has_findings() {
        args.exit_code
    } else if args.exit_on_eol != 0 && eol {
        args.exit_on_eol
    } else {
        0
    })
}

/// Advisories change daily: say so when the database has not been refreshed for a week.
fn warn_if_stale(store: &store::Store) {
    const WEEK: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
    // Not the file's mtime: scans write the layer cache and inventories to the same file.
    let age = store
        .updated_at()
        .ok()
        .and_then(|t| store::time::to_system_time(&t))
        .and_then(|t| t.elapsed().ok());
    if let Some(age) = age.filter(|a| *a > WEEK) {
        eprintln!(
            "note: the advisory database is {} days old; refresh it with `bulkhead db update` (or `bulkhead db import PATH`)",
            age.as_secs() / 86400
        );
    }
}
