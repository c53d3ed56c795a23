//! `bulkhead fs`: a source tree (a project checkout): lock files, secrets, and the
//! configuration checks `bulkhead config` runs (Dockerfiles, Kubernetes, compose).

use crate::cli::{AnalysisArgs, Global, Profile, ReportArgs};
use crate::scan;
use clap::Args;
use std::path::Path;
use std::path::PathBuf;

pub fn run(global: &Global, cache_dir: &Path, args: &FsArgs) -> anyhow::Result<u8> {
    let tree = scan::Tree {
        target: &args.target,
        report: &args.report,
        analysis: &args.analysis,
        ignore_unfixed: args.ignore_unfixed,
        vex: &args.vex,
        exit_on_eol: 0,
        source_tree: true,
        profile: Some(args.profile),
    };
    scan::directory(global, cache_dir, tree)
}

#[derive(Args)]
pub struct FsArgs {
    /// The project directory
    pub target: String,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Leave out vulnerabilities that have no fixed version
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// VEX documents (OpenVEX 0.2, CycloneDX VEX; repeatable)
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Kubernetes Pod Security Standards profile for the configuration checks
    #[arg(long, value_enum, default_value = "restricted")]
    pub profile: Profile,
}
