//! `bulkhead`: the command line. It only wires the crates together.

mod cli;
mod config;
mod db;
mod fs;
mod host;
mod image;
mod limits;
mod malware;
mod output;
mod progress;
mod rescan;
mod rootfs;
mod sbom;
mod scan;
mod secrets;
mod server;
mod verify;
mod watchdog;

use clap::Parser;
use std::process::ExitCode;

/// Exit code for errors; `--exit-code` may not take it, so CI can tell the two apart.
pub const ERROR_EXIT: u8 = 2;

fn main() -> ExitCode {
    restore_default_sigpipe();
    return_large_buffers();
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // Causes quote file names, package fields and registry messages: escape them.
            let mut said = error.to_string();
            eprintln!("error: {}", output::escape(&said));
            for cause in error.chain().skip(1) {
                // Sources often repeat their cause in their own message: say it once.
                let cause = cause.to_string();
                if !said.contains(&cause) {
                    eprintln!("  caused by: {}", output::escape(&cause));
                }
                said = cause;
            }
            ExitCode::from(ERROR_EXIT)
        }
    }
}

/// Rust ignores SIGPIPE, so `bulkhead db info | head -1` would panic in `println!` once `head`
/// exits; like other Unix filters, end quietly instead.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// glibc raises its mmap threshold each time a large buffer is freed, up to 32 MiB, after
/// which file-sized buffers come from the heap and stay in RSS when freed (a scan that reads
/// many multi-MiB files grew by ~80 MiB so). A fixed 1 MiB threshold gives them back.
fn return_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any allocation that it could affect.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<u8> {
    limits::apply(&cli.global.limits)?;
    let cache_dir = cli.global.cache_dir();
    let timeout = match &cli.command {
        cli::Command::Image(a) => Some(a.report.timeout),
        cli::Command::Rootfs(a) => Some(a.report.timeout),
        cli::Command::Fs(a) => Some(a.report.timeout),
        cli::Command::Sbom(a) => Some(a.report.timeout),
        cli::Command::Config(a) => Some(a.timeout),
        cli::Command::Host(a) => Some(a.timeout),
        _ => None,
    };
    if let Some(timeout) = timeout {
        watchdog::start(timeout);
    }
    match cli.command {
        cli::Command::Image(args) => image::run(&cli.global, &cache_dir, &args),
        cli::Command::Rootfs(args) => rootfs::run(&cli.global, &cache_dir, &args),
        cli::Command::Fs(args) => fs::run(&cli.global, &cache_dir, &args),
        cli::Command::Config(args) => config::run(&args),
        cli::Command::Host(args) => host::run(&cli.global, &cache_dir, &args),
        cli::Command::Rules { id } => config::rules(id.as_deref()),
        cli::Command::Limits => limits::list(),
        cli::Command::Malware(command) => malware::run(&cli.global, &cache_dir, &command),
        cli::Command::Sbom(args) => sbom::run(&cli.global, &cache_dir, &args),
        cli::Command::Rescan(args) => rescan::run(&cli.global, &cache_dir, &args),
        cli::Command::Db(command) => db::run(&cli.global, &cache_dir, command),
        cli::Command::Verify(args) => verify::run(&cli.global, &args),
        cli::Command::Server(args) => server::run(&cache_dir, &args),
    }
}
