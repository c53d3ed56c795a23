//! `bulkhead sbom FILE`, or `bulkhead sbom --key KEY.pub REF` for the SBOM attestation a
//! registry image carries: the SBOM's packages stand in for the analysed layers.

use crate::cli::{Global, RegistryArgs, ReportArgs, VulnArgs};
use crate::output::escape;
use crate::scan::{self, Plan};
use anyhow::{bail, Context};
use clap::Args;
use report::Artifact;
use std::path::Path;
use std::path::PathBuf;

pub fn run(global: &Global, cache_dir: &Path, args: &SbomArgs) -> anyhow::Result<u8> {
    let prepared = scan::prepare(
        cache_dir,
        &args.report,
        true,
        args.vuln.ignore_unfixed,
        &args.vuln.vex,
        None,
    )?;
    let local = Path::new(&args.target);
    let sbom = if args.key.is_empty() || local.exists() {
        source::sbom::read_sbom(local)?
    } else {
        attached_sbom(args)?
    };
    if !global.quiet {
        eprintln!(
            "{}: {} with {} packages",
            escape(&args.target),
            sbom.format,
            sbom.inventory.packages.len()
        );
    }
    let key = match &sbom.digest {
        Some(digest) => digest.clone(),
        None => format!("sbom:{}", scan::absolute(&args.target)),
    };
    let artifact = Artifact {
        name: sbom.name.unwrap_or_else(|| args.target.clone()),
        kind: "sbom".into(),
        digest: sbom.digest,
        config_digest: None,
        repo_tags: Vec::new(),
        layers: Vec::new(),
    };
    let plan = Plan {
        target: &args.target,
        report: &args.report,
        vulnerabilities: true,
        scanners: vec!["vuln"],
        exit_on_eol: args.vuln.exit_on_eol,
        key,
        misconfigurations: Vec::new(),
        integrity: None,
        secrets_in_packages: true,
    };
    scan::finish(global, cache_dir, prepared, plan, artifact, sbom.inventory)
}

/// The SBOM attestation attached to a registry image whose signature verifies with one of
/// `--key`: an unsigned or foreign SBOM is never trusted in place of the image.
fn attached_sbom(args: &SbomArgs) -> anyhow::Result<source::sbom::Sbom> {
    let reference = source::registry::Reference::parse(&args.target)
        .map_err(|e| anyhow::anyhow!("{}: not a file, nor an image reference: {e}", args.target))?;
    let keys = args
        .key
        .iter()
        .map(|path| verify::PublicKey::from_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let options = source::registry::RegistryOptions {
        insecure: args.registry.insecure,
        credentials: crate::image::credentials(&args.registry)?,
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

#[derive(Args)]
pub struct SbomArgs {
    /// An SBOM file, or with `--key` a registry image whose SBOM attestation to scan
    pub target: String,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub vuln: VulnArgs,
    /// Scan the SBOM attestation attached to a registry image, signed by this cosign public
    /// key (repeatable), instead of pulling the image
    #[arg(long, value_name = "KEY.pub")]
    pub key: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}
