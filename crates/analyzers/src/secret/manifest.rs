//! Secrets in Kubernetes and compose manifests, where a name and its value sit on different
//! lines and a plain text scan cannot pair them: `Secret` `data` (base64-decoded) and
//! `stringData`, `ConfigMap` `data`, container `env` literals, compose `environment`.
//! Multi-document YAML and JSON; every finding keeps the line of its value.

use super::SecretAnalyzer;
use base64::Engine;
use inventory::Secret;
use std::sync::OnceLock;
use yaml_tree::{Limits, Node, Value};

/// Documents nest no deeper than this; more is hostile. Aliases can stack subtrees deeper than
/// the parser's limit, so the walk checks it too.
fn max_depth() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::YamlDepth)
}

/// Secrets in a manifest with the built-in rules. `Err` when the text is not YAML/JSON.
pub fn scan_manifest(file: &str, text: &str) -> Result<Vec<Secret>, String> {
    static DEFAULT: OnceLock<SecretAnalyzer> = OnceLock::new();
    DEFAULT
        .get_or_init(SecretAnalyzer::new)
        .scan_manifest(file, text)
}

/// A scalar's text (`null` included: a value is a value here) and the line where it starts.
fn text(node: &Node) -> Option<(&str, usize)> {
    match &node.value {
        Value::Scalar(scalar) => Some((&scalar.text, node.pos.line)),
        _ => None,
    }
}

impl SecretAnalyzer {
    /// Secrets in a manifest with this analyzer's rules and allow-lists.
    pub fn scan_manifest(&self, file: &str, text: &str) -> Result<Vec<Secret>, String> {
        let documents =
            yaml_tree::parse(file, text, &Limits::default()).map_err(|e| e.to_string())?;
        let mut found = Vec::new();
        for document in &documents {
            self.document(file, document, &mut found);
        }
        found.sort_by(|a, b| (a.line, &a.rule_id).cmp(&(b.line, &b.rule_id)));
        found.dedup_by(|a, b| a.line == b.line && a.rule_id == b.rule_id && a.matched == b.matched);
        Ok(found)
    }

    fn document(&self, file: &str, doc: &Node, found: &mut Vec<Secret>) {
        for item in doc.get("items").map_or(&[][..], Node::items) {
            self.document(file, item, found);
        }
        let secret = doc.get("kind").and_then(text).map(|(k, _)| k) == Some("Secret");
        for entry in doc.get("data").map_or(&[][..], Node::entries) {
            let Some((value, line)) = text(&entry.value) else {
                continue;
            };
            let value = if secret {
                let compact: String = value.split_whitespace().collect();
                match base64::engine::general_purpose::STANDARD.decode(compact) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => continue,
                }
            } else {
                value.to_string()
            };
            self.pair(file, &entry.key, &value, line, found);
        }
        for entry in doc.get("stringData").map_or(&[][..], Node::entries) {
            if let Some((value, line)) = text(&entry.value) {
                self.pair(file, &entry.key, value, line, found);
            }
        }
        self.walk(file, doc, 0, found);
    }

    /// Container `env` lists and compose `environment` anywhere in the document.
    fn walk(&self, file: &str, node: &Node, depth: usize, found: &mut Vec<Secret>) {
        if depth > max_depth() {
            return;
        }
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    match (entry.key.as_str(), &entry.value.value) {
                        ("env", Value::Seq(vars)) => {
                            for var in vars {
                                let name = var.get("name").and_then(text);
                                let value = var.get("value").and_then(text);
                                if let (Some((name, _)), Some((value, line))) = (name, value) {
                                    self.pair(file, name, value, line, found);
                                }
                            }
                        }
                        ("environment", Value::Map(vars)) => {
                            for var in vars {
                                if let Some((value, line)) = text(&var.value) {
                                    self.pair(file, &var.key, value, line, found);
                                }
                            }
                        }
                        ("environment", Value::Seq(vars)) => {
                            for var in vars {
                                if let Some((pair, line)) = text(var) {
                                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                                    self.pair(file, name, value, line, found);
                                }
                            }
                        }
                        _ => self.walk(file, &entry.value, depth + 1, found),
                    }
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.walk(file, item, depth + 1, found);
                }
            }
            Value::Scalar(_) => {}
        }
    }

    /// Scans a name/value pair the way a shell would see it (`NAME=value`), and the value on
    /// its own (keys, tokens, whole config files stored in a Secret).
    fn pair(&self, file: &str, name: &str, value: &str, line: usize, found: &mut Vec<Secret>) {
        if value.is_empty() {
            return;
        }
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let assignment = format!("{name}={value}");
        let first_line = value.lines().next().unwrap_or("");
        let shown = |mut secret: Secret, multi_line: bool| {
            secret.line = if multi_line {
                line + secret.line - 1
            } else {
                line
            };
            secret.column = None;
            secret
        };
        if !first_line.is_empty() && first_line.len() == value.len() {
            found.extend(
                self.scan_text(file, assignment.as_bytes())
                    .into_iter()
                    .map(|s| shown(s, false)),
            );
        }
        found.extend(
            self.scan_text(file, value.as_bytes())
                .into_iter()
                .map(|s| shown(s, true)),
        );
    }
}
