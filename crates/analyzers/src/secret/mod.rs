//! Secret scanning: credentials in files, image config and history, and manifests.
//!
//! ≈280 built-in rules ([`rules`]) written from the providers' documented token formats, a
//! keyword prefilter before any regex ([`scanner`]), default allow-lists ([`allow`]), custom
//! rules from a config file ([`config`]) and Kubernetes / compose manifests ([`manifest`]).

mod allow;
pub mod config;
pub mod manifest;
pub mod rule;
mod rules;
pub mod scanner;

pub use config::SecretConfig;
pub use manifest::scan_manifest;
pub use scanner::{mask, Scanner};

use artifact::{Analyzer, FileMeta};
use inventory::limits::{self, Limit};
use inventory::{FileResult, Secret};
use rule::Rule;
use std::sync::Arc;

/// Files larger than this are not read for secrets unless the config says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// Reads every regular text file under the size cap during the single pass.
#[derive(Clone)]
pub struct SecretAnalyzer {
    scanner: Arc<Scanner>,
    max_file_size: u64,
}

impl SecretAnalyzer {
    /// The built-in rules and allow-lists.
    pub fn new() -> SecretAnalyzer {
        SecretAnalyzer::with_config(&SecretConfig::default()).expect("built-in rules compile")
    }

    /// Built-in rules minus `disable`, plus the config's custom rules and allow-lists.
    pub fn with_config(config: &SecretConfig) -> Result<SecretAnalyzer, String> {
        let mut compiled: Vec<Rule> = rules::builtin()
            .filter(|s| !config.disable.iter().any(|d| d == s.id))
            .map(Rule::compile)
            .collect::<Result<_, _>>()?;
        for custom in &config.rules {
            compiled.push(custom.compile()?);
        }
        let allow = allow::AllowList::new(
            &config.allow.paths,
            &config.allow.regexes,
            &config.allow.values,
        )?;
        Ok(SecretAnalyzer {
            scanner: Arc::new(Scanner::new(compiled, allow)?),
            max_file_size: config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
        })
    }

    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Secrets in a text that is not a file of the artifact (config, history, manifests):
    /// no path allow-list, no binary sniffing.
    pub fn scan_text(&self, file: &str, text: &[u8]) -> Vec<Secret> {
        self.scan_capped(file, text).0
    }

    /// The secrets, and whether the `secret-findings` limit cut them short.
    fn scan_capped(&self, file: &str, text: &[u8]) -> (Vec<Secret>, bool) {
        let rules = self.scanner.rules();
        let (hits, capped) = self.scanner.scan_capped(text);
        let secrets = hits
            .into_iter()
            .map(|hit| scanner::to_secret(&rules[hit.rule], hit, file))
            .collect();
        (secrets, capped)
    }
}

impl Default for SecretAnalyzer {
    fn default() -> Self {
        SecretAnalyzer::new()
    }
}

impl Analyzer for SecretAnalyzer {
    fn name(&self) -> &'static str {
        "secret"
    }

    /// Chooses by [`Analyzer::wants_file`] only: wanting paths would make the pass treat
    /// every directory and link as shadowing a wanted file.
    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn wants_file(&self, file: &FileMeta) -> bool {
        file.size > 0
            && file.size <= self.max_file_size
            && !self.scanner.allow.skips_path(file.path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        if Scanner::is_binary(content) {
            return Ok(Vec::new());
        }
        let (secrets, capped) = self.scan_capped(path, content);
        let mut found = Vec::new();
        if capped {
            let limit = Limit::SecretFindings;
            let message = format!(
                "more than {} secrets in one file; only the first are reported ({})",
                limits::get(limit),
                limits::hint(limit)
            );
            found.push(FileResult::Warning { message });
        }
        if !secrets.is_empty() {
            found.push(FileResult::Secrets { secrets });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests;
