//! `--secret-config FILE`: custom rules, rules turned off, extra allow-lists, size cap.
//!
//! ```yaml
//! rules:
//!   - id: acme-internal-token
//!     title: ACME internal token
//!     severity: HIGH
//!     keywords: [acme_]
//!     regex: 'acme_[a-z0-9]{32}'
//!     entropy: 3.0            # optional, bits per byte
//! disable: [generic-password]
//! allow:
//!   paths: ['^srv/fixtures/']  # regexes over the path
//!   regexes: ['^ci-only-']     # regexes over the secret value
//!   values: ['AKIA0000000000000000']
//! max_file_size: 1048576
//! ```

use super::rule::{build, Rule};
use inventory::Severity;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretConfig {
    #[serde(default)]
    pub rules: Vec<CustomRule>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub allow: AllowConfig,
    #[serde(default)]
    pub max_file_size: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub regex: String,
    #[serde(default)]
    pub entropy: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowConfig {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

impl SecretConfig {
    /// Reads a YAML (or JSON) config; errors name the file.
    pub fn load(path: &std::path::Path) -> Result<SecretConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        SecretConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<SecretConfig, String> {
        serde_saphyr::from_str(text).map_err(|e| format!("invalid secret config: {e}"))
    }
}

impl CustomRule {
    pub fn compile(&self) -> Result<Rule, String> {
        if self.id.trim().is_empty() {
            return Err("a custom rule has an empty id".into());
        }
        let regex = build(&self.regex).map_err(|e| format!("rule {}: {e}", self.id))?;
        Ok(Rule {
            id: self.id.clone(),
            title: self.title.clone().unwrap_or_else(|| self.id.clone()),
            severity: self.severity.unwrap_or(Severity::High),
            keywords: self
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect(),
            regex,
            entropy: self.entropy.unwrap_or(0.0),
            digit: false,
            spans_lines: false,
        })
    }
}
