//! `bulkhead rootfs`: a root filesystem on disk (an unpacked image, `/` of a host).

use crate::cli::{AnalysisArgs, Global, ReportArgs, VulnArgs};
use crate::scan;
use clap::Args;
use std::path::Path;

pub fn run(global: &Global, cache_dir: &Path, args: &RootfsArgs) -> anyhow::Result<u8> {
    let tree = scan::Tree {
        target: &args.target,
        report: &args.report,
        analysis: &args.analysis,
        ignore_unfixed: args.vuln.ignore_unfixed,
        vex: &args.vuln.vex,
        exit_on_eol: args.vuln.exit_on_eol,
        source_tree: false,
        profile: None,
    };
    scan::directory(global, cache_dir, tree)
}

#[derive(Args)]
pub struct RootfsArgs {
    /// The root directory
    pub target: String,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub vuln: VulnArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}
