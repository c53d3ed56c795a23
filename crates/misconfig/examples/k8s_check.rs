//! Runs the Kubernetes (or, with `--compose`, compose) rules over files or directories and
//! prints the findings as JSON lines, or with `--bench` only counts and the time taken.
//! `cargo run --release -p misconfig --example k8s_check -- --bench DIR`

use std::path::{Path, PathBuf};
use std::time::Instant;

use misconfig::k8s::{check_all, Options, Profile};

fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, files);
        }
    } else {
        files.push(path.to_path_buf());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let compose = args.iter().any(|a| a == "--compose");
    let profile = if args.iter().any(|a| a == "--baseline") {
        Profile::Baseline
    } else {
        Profile::Restricted
    };
    let mut paths = Vec::new();
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        collect(Path::new(arg), &mut paths);
    }
    let started = Instant::now();
    let mut inputs = Vec::new();
    for path in &paths {
        match std::fs::read_to_string(path) {
            Ok(text) => inputs.push((path.display().to_string(), text)),
            Err(e) => eprintln!("{}: {e}", path.display()),
        }
    }
    let read = started.elapsed();
    let (findings, errors) = if compose {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in &inputs {
            match misconfig::compose::check(file, text) {
                Ok(found) => findings.extend(found),
                Err(e) => errors.push(e),
            }
        }
        (findings, errors)
    } else {
        check_all(&inputs, &Options { profile })
    };
    let total = started.elapsed();
    for error in &errors {
        eprintln!("error: {error}");
    }
    if bench {
        let bytes: usize = inputs.iter().map(|(_, t)| t.len()).sum();
        println!(
            "{} files, {:.1} MB, {} findings, {} errors: read {:.1} ms, read+check {:.1} ms",
            inputs.len(),
            bytes as f64 / 1e6,
            findings.len(),
            errors.len(),
            read.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
    } else {
        for finding in &findings {
            println!("{}", serde_json::to_string(finding).unwrap_or_default());
        }
    }
}
