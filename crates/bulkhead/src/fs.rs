//! `bulkhead fs`: a source tree (a project checkout): lock files, secrets, and the
//! configuration checks `bulkhead config` runs (Dockerfiles, Kubernetes, compose).

use crate::cli::{FsArgs, Global};
use crate::scan;
use std::path::Path;

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
