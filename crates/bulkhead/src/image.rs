//! `bulkhead image`: an OCI layout, an OCI or docker archive, or a registry image — source →
//! artifact → analyzers → inventory → detectors → report.

use crate::cli::{AnalysisArgs, Global, RegistryArgs, ReportArgs, ScannerKind, VulnArgs};
use crate::progress::Bars;
use crate::scan::{self, Plan};
use anyhow::bail;
use artifact::{Analyzer, Limits, SkipPaths, SkippingAnalyzer};
use clap::Args;
use inventory::Inventory;
use report::{Artifact, LayerInfo};
use std::path::Path;

pub fn run(global: &Global, cache_dir: &Path, args: &ImageArgs) -> anyhow::Result<u8> {
    let vulnerabilities = args.analysis.wants(ScannerKind::Vuln);
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
    let skip = SkipPaths::new(&args.analysis.skip_dirs, &args.analysis.skip_files)?;
    // Before any byte of the image is read: a missing database is said at once.
    let prepared = scan::prepare(
        cache_dir,
        &args.report,
        vulnerabilities,
        args.vuln.ignore_unfixed,
        &args.vuln.vex,
        None,
    )?;
    let select = source::SelectOptions {
        platform,
        insecure: args.registry.insecure,
        credentials: credentials(&args.registry)?,
        ..Default::default()
    };
    let path = Path::new(&args.target);
    let layout = ["index.json", "oci-layout", "manifest.json"]
        .iter()
        .any(|f| path.join(f).exists());
    if path.is_dir() && !layout && (path.join("etc").is_dir() || path.join("usr").is_dir()) {
        bail!(
            "{}: a root filesystem, not an image layout: scan it with `bulkhead rootfs {}`",
            crate::output::escape(&args.target),
            crate::output::escape(&args.target)
        );
    }
    let (mut image, blobs) = source::open_image(&args.target, &select)?;
    let integrity = integrity(&image, args.expect_digest.as_deref());
    let chosen = scan::chosen_analyzers(&args.analysis, &prepared.filter, cache_dir)?;
    // Before the layers are read: it redacts the history steps their results repeat.
    let config_secrets = chosen
        .secrets
        .as_ref()
        .map(|s| crate::secrets::image_config(s, &mut image));
    let skipping: Vec<SkippingAnalyzer> = chosen
        .analyzers
        .iter()
        .map(|a| SkippingAnalyzer {
            inner: a.as_ref(),
            skip: &skip,
        })
        .collect();
    let skips = !args.analysis.skip_dirs.is_empty() || !args.analysis.skip_files.is_empty();
    let analyzers: Vec<&dyn Analyzer> = if skips {
        skipping.iter().map(|a| a as &dyn Analyzer).collect()
    } else {
        chosen.analyzers.iter().map(|a| a.as_ref()).collect()
    };
    let limits = scan::limits(&args.analysis, args.max_layer_size);
    let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.size).collect();
    let bars = Bars::new(&sizes, global.quiet);
    // Custom secret rules and skipped paths change results without changing analyzer
    // versions: no cache then.
    let cacheable = !args.no_layer_cache && args.analysis.secret_config.is_none() && !skips;
    let cache = cacheable
        .then(|| StoreLayerCache::open(cache_dir, &analyzers, limits, global.quiet))
        .flatten();
    let layers = match &cache {
        Some(cache) => artifact::analyze_image_cached(
            &image,
            blobs.as_ref(),
            &analyzers,
            limits,
            &bars,
            cache,
        )?,
        None => artifact::analyze_image(&image, blobs.as_ref(), &analyzers, limits, &bars)?,
    };
    // Compiled malware rules and their caches are large: gone before matching starts.
    drop(cache);
    drop(analyzers);
    drop(skipping);
    drop(chosen.analyzers);
    let mut inventory = artifact::squash(layers);
    inventory.warnings.extend(chosen.notes.iter().cloned());
    inventory
        .secrets
        .extend(config_secrets.into_iter().flatten());
    let misconfigurations = if args.analysis.wants(ScannerKind::Config) {
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
    let plan = Plan {
        target: &args.target,
        report: &args.report,
        vulnerabilities,
        scanners: scan::scanner_names(&args.analysis),
        exit_on_eol: args.vuln.exit_on_eol,
        key: image.digest.clone(),
        misconfigurations,
        integrity,
        secrets_in_packages: args.analysis.secrets_in_packages,
    };
    scan::finish(global, cache_dir, prepared, plan, artifact, inventory)
}

/// The image-config rules over the config, its history and the final view's notable files.
fn image_config_findings(image: &source::Image, inventory: &Inventory) -> Vec<misconfig::Finding> {
    let config = &image.config.config;
    let facts = misconfig::image::ImageFacts {
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
        ..scan::file_facts(&image.name, inventory)
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

pub fn credentials(args: &RegistryArgs) -> anyhow::Result<Option<source::registry::Credentials>> {
    Ok(match (&args.username, &args.password) {
        (Some(username), Some(password)) => Some(source::registry::Credentials {
            username: username.clone(),
            password: password.clone(),
        }),
        (None, None) => None,
        _ => bail!("--username and --password go together"),
    })
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

#[derive(Args)]
pub struct ImageArgs {
    /// An OCI layout dir (DIR or DIR:TAG), an OCI / docker archive, or a registry reference
    pub target: String,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub vuln: VulnArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Most bytes one layer may decompress to (guards against decompression bombs)
    #[arg(long, default_value = "32GiB", value_parser = inventory::limits::parse_size)]
    pub max_layer_size: u64,
    /// Platform to pick from a multi-platform image
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Registry images: the digest the reference must resolve to (a recorded `sha256:…`);
    /// a different one is reported as an integrity finding
    #[arg(long, value_name = "DIGEST")]
    pub expect_digest: Option<String>,
    /// Analyse every layer afresh instead of reusing results of earlier scans
    #[arg(long)]
    pub no_layer_cache: bool,
}
