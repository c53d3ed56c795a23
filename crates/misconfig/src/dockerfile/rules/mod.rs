//! The Dockerfile rules, one file per theme; IDs run in the order of [`ALL`].

mod apt;
mod base;
mod build;
mod fetch;
mod packages;
mod ports;
mod privilege;
pub(crate) mod secrets;
mod user;

pub use secrets::secret_name;

use super::Check;
use crate::dockerfile::shell::Command;

pub(super) const ALL: &[&[Check]] = &[
    user::CHECKS,
    base::CHECKS,
    fetch::CHECKS,
    privilege::CHECKS,
    secrets::CHECKS,
    apt::CHECKS,
    packages::CHECKS,
    ports::CHECKS,
    build::CHECKS,
];

const CIS_4_1: &str =
    "CIS Docker Benchmark v1.6 4.1: Ensure that a user for the container has been created";
const CIS_4_2: &str =
    "CIS Docker Benchmark v1.6 4.2: Ensure that containers use only trusted base images";
const CIS_4_3: &str = "CIS Docker Benchmark v1.6 4.3: Ensure that unnecessary packages are not installed in the container";
const CIS_4_6: &str = "CIS Docker Benchmark v1.6 4.6: Ensure that HEALTHCHECK instructions have been added to container images";
const CIS_4_7: &str = "CIS Docker Benchmark v1.6 4.7: Ensure update instructions are not used alone in the Dockerfile";
const CIS_4_8: &str =
    "CIS Docker Benchmark v1.6 4.8: Ensure setuid and setgid permissions are removed";
const CIS_4_9: &str =
    "CIS Docker Benchmark v1.6 4.9: Ensure that COPY is used instead of ADD in Dockerfiles";
const CIS_4_10: &str =
    "CIS Docker Benchmark v1.6 4.10: Ensure secrets are not stored in Dockerfiles";
const CIS_4_11: &str =
    "CIS Docker Benchmark v1.6 4.11: Ensure only verified packages are installed";
const BEST_PRACTICES: &str = "https://docs.docker.com/build/building/best-practices/";
const NSA_CISA: &str =
    "NSA/CISA Kubernetes Hardening Guide v1.2: Container images (non-root, minimal, scanned)";

/// Shells and interpreters that run a script read from stdin.
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python3", "perl", "ruby", "node",
];

/// Package-manager invocations: (manager, subcommand, the words after it).
fn invocation<'c>(cmd: &'c Command, managers: &[&str]) -> Option<(&'c str, &'c str, &'c [String])> {
    let args = cmd.args_from_program();
    let program = args.first()?.rsplit('/').next()?;
    if !managers.contains(&program) {
        return None;
    }
    let sub = args[1..].iter().position(|w| !w.starts_with('-'))? + 1;
    Some((program, args[sub].as_str(), &args[sub + 1..]))
}

/// The package names of an install command: words that are not options (and not the values
/// of options that take one).
fn package_args(words: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for word in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        if word.starts_with('-') {
            skip_next = matches!(
                word.as_str(),
                "-o" | "-t"
                    | "--target-release"
                    | "--repository"
                    | "-X"
                    | "--virtual"
                    | "-t="
                    | "-c"
            );
            continue;
        }
        out.push(word.as_str());
    }
    out
}

/// Does the same RUN also run something whose words contain `needle`?
fn mentions(commands: &[Command], needle: &str) -> bool {
    commands
        .iter()
        .any(|c| c.words.iter().any(|w| w.contains(needle)))
}
