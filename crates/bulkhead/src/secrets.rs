//! Secrets outside the layers: the image config's `Env` and `Labels`, and each history
//! entry's `created_by` (where `ENV` and `ARG` values stay forever). Same rules as files.

use analyzers::SecretAnalyzer;
use inventory::{LayerRef, Secret};
use source::Image;

/// The secret analyzer a scan uses: built-in rules plus `--secret-config`.
pub fn analyzer(config: Option<&std::path::Path>) -> anyhow::Result<SecretAnalyzer> {
    let config = match config {
        Some(path) => analyzers::secret::SecretConfig::load(path).map_err(anyhow::Error::msg)?,
        None => Default::default(),
    };
    SecretAnalyzer::with_config(&config).map_err(anyhow::Error::msg)
}

/// Secrets in `config:Env`, `config:Labels` and `history[N]`; lines count entries from 1.
/// The layers' `created_by` are redacted, since reports repeat them.
pub fn image_config(analyzer: &SecretAnalyzer, image: &mut Image) -> Vec<Secret> {
    for layer in &mut image.layers {
        if let Some(step) = &mut layer.created_by {
            *step = analyzer.scanner().redact(step);
        }
    }
    let mut found = Vec::new();
    let config = &image.config.config;
    for (index, entry) in config.env.iter().flatten().enumerate() {
        found.extend(at_line(
            analyzer.scan_text("config:Env", entry.as_bytes()),
            index + 1,
        ));
    }
    for (index, (name, value)) in config.labels.iter().flatten().enumerate() {
        // Labels are scanned as `name=value` (generic rules need the name) and alone.
        let text = format!("{name}={value}\n{value}");
        let mut secrets = at_line(
            analyzer.scan_text("config:Labels", text.as_bytes()),
            index + 1,
        );
        secrets.dedup_by(|a, b| a.rule_id == b.rule_id && a.matched == b.matched);
        found.extend(secrets);
    }
    // Map history entries to layers: each entry without `empty_layer` made the next layer.
    let mut layer = 0;
    for (index, step) in image.config.history.iter().enumerate() {
        let made = (!step.empty_layer).then(|| {
            let made = image.layers.get(layer).map(|l| LayerRef {
                index: layer,
                digest: l.diff_id.as_str().into(),
                created_by: l.created_by.as_deref().map(Into::into),
            });
            layer += 1;
            made
        });
        let Some(created_by) = &step.created_by else {
            continue;
        };
        let file = format!("history[{index}]");
        for mut secret in analyzer.scan_text(&file, created_by.as_bytes()) {
            secret.layer = made.clone().flatten();
            found.push(secret);
        }
    }
    found
}

fn at_line(mut secrets: Vec<Secret>, line: usize) -> Vec<Secret> {
    for secret in &mut secrets {
        secret.line = line;
    }
    secrets
}

/// Misconfiguration rules about a credential written as a literal value in a manifest.
const LITERAL_RULES: &[&str] = &["BH-K8S-028", "BH-DC-018"];

/// A literal credential is one finding, not two: the secret found on the same line as a
/// literal-value misconfiguration is named in its message and moved to `suppressed[]`.
pub fn tie_literal(
    findings: &mut [misconfig::Finding],
    secrets: Vec<inventory::Secret>,
) -> (Vec<inventory::Secret>, Vec<report::suppress::Suppressed>) {
    let mut kept = Vec::new();
    let mut hidden = Vec::new();
    for secret in secrets {
        let same = findings.iter_mut().find(|f| {
            LITERAL_RULES.contains(&f.rule_id.as_str())
                && f.file == secret.file
                && f.line == secret.line
        });
        let Some(finding) = same else {
            kept.push(secret);
            continue;
        };
        finding.message = format!("{} (secret rule {})", finding.message, secret.rule_id);
        hidden.push(report::suppress::Suppressed {
            kind: "secret",
            id: secret.rule_id.clone(),
            target: format!("{}:{}", secret.file, secret.line),
            by: format!("{} at {}:{}", finding.rule_id, finding.file, finding.line),
            purl: None,
            status: None,
            justification: Some("same_finding".into()),
            statement: None,
        });
    }
    (kept, hidden)
}
