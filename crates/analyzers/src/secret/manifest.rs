//! Secrets in Kubernetes and compose manifests, where a name and its value sit on different
//! lines and a plain text scan cannot pair them: `Secret` `data` (base64-decoded) and
//! `stringData`, `ConfigMap` `data`, container `env` literals, compose `environment`.
//! Multi-document YAML and JSON; every finding keeps the line of its value.

use super::SecretAnalyzer;
use base64::Engine;
use inventory::Secret;
use saphyr_parser::{Event, Parser};
use std::sync::OnceLock;

/// Documents nest no deeper than this; more is hostile.
const MAX_DEPTH: usize = 64;
/// Nodes per stream; bounds memory on hostile input.
const MAX_NODES: usize = 500_000;

/// Secrets in a manifest with the built-in rules. `Err` when the text is not YAML/JSON.
pub fn scan_manifest(file: &str, text: &str) -> Result<Vec<Secret>, String> {
    static DEFAULT: OnceLock<SecretAnalyzer> = OnceLock::new();
    DEFAULT
        .get_or_init(SecretAnalyzer::new)
        .scan_manifest(file, text)
}

/// A YAML node with the line (1-based) where it starts.
#[derive(Debug)]
enum Node {
    Scalar(String, usize),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Null,
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Node::Scalar(s, _) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn text(&self) -> Option<(&str, usize)> {
        match self {
            Node::Scalar(s, line) => Some((s, *line)),
            _ => None,
        }
    }
}

impl SecretAnalyzer {
    /// Secrets in a manifest with this analyzer's rules and allow-lists.
    pub fn scan_manifest(&self, file: &str, text: &str) -> Result<Vec<Secret>, String> {
        let documents = parse(text).map_err(|e| format!("{file}: {e}"))?;
        let mut found = Vec::new();
        for document in &documents {
            self.document(file, document, &mut found);
        }
        found.sort_by(|a, b| (a.line, &a.rule_id).cmp(&(b.line, &b.rule_id)));
        found.dedup_by(|a, b| a.line == b.line && a.rule_id == b.rule_id && a.matched == b.matched);
        Ok(found)
    }

    fn document(&self, file: &str, doc: &Node, found: &mut Vec<Secret>) {
        if let Node::Seq(items) = doc.get("items").unwrap_or(&Node::Null) {
            for item in items {
                self.document(file, item, found);
            }
        }
        let kind = doc.get("kind").and_then(Node::text).map(|(k, _)| k);
        if let Some(Node::Map(data)) = doc.get("data") {
            let secret = kind == Some("Secret");
            for (key, value) in data {
                let (Some((key, _)), Some((value, line))) = (key.text(), value.text()) else {
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
                self.pair(file, key, &value, line, found);
            }
        }
        if let Some(Node::Map(data)) = doc.get("stringData") {
            for (key, value) in data {
                if let (Some((key, _)), Some((value, line))) = (key.text(), value.text()) {
                    self.pair(file, key, value, line, found);
                }
            }
        }
        self.walk(file, doc, 0, found);
    }

    /// Container `env` lists and compose `environment` anywhere in the document.
    fn walk(&self, file: &str, node: &Node, depth: usize, found: &mut Vec<Secret>) {
        if depth > MAX_DEPTH {
            return;
        }
        match node {
            Node::Map(entries) => {
                for (key, value) in entries {
                    match (key.text().map(|(k, _)| k), value) {
                        (Some("env"), Node::Seq(vars)) => {
                            for var in vars {
                                let name = var.get("name").and_then(Node::text);
                                let value = var.get("value").and_then(Node::text);
                                if let (Some((name, _)), Some((value, line))) = (name, value) {
                                    self.pair(file, name, value, line, found);
                                }
                            }
                        }
                        (Some("environment"), Node::Map(vars)) => {
                            for (name, value) in vars {
                                if let (Some((name, _)), Some((value, line))) =
                                    (name.text(), value.text())
                                {
                                    self.pair(file, name, value, line, found);
                                }
                            }
                        }
                        (Some("environment"), Node::Seq(vars)) => {
                            for var in vars {
                                if let Some((pair, line)) = var.text() {
                                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                                    self.pair(file, name, value, line, found);
                                }
                            }
                        }
                        _ => self.walk(file, value, depth + 1, found),
                    }
                }
            }
            Node::Seq(items) => {
                for item in items {
                    self.walk(file, item, depth + 1, found);
                }
            }
            Node::Scalar(..) | Node::Null => {}
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

/// Builds the documents of a YAML (or JSON) stream. Aliases are read as null, so anchors
/// cannot multiply the input.
fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    // Open collections: (sequence items or mapping flat key/value list, is_map).
    let mut stack: Vec<(Vec<Node>, bool)> = Vec::new();
    let mut nodes = 0usize;
    for event in &mut parser {
        let (event, span) = event.map_err(|e| format!("invalid YAML: {e}"))?;
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("more than {MAX_NODES} YAML nodes; not scanned"));
        }
        let line = span.start.line();
        let node = match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "nested deeper than {MAX_DEPTH} levels; not scanned"
                    ));
                }
                stack.push((Vec::new(), matches!(event, Event::MappingStart(..))));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((items, is_map)) = stack.pop() else {
                    return Err("unbalanced YAML events".into());
                };
                if is_map {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut items = items.into_iter();
                    while let (Some(k), Some(v)) = (items.next(), items.next()) {
                        pairs.push((k, v));
                    }
                    Node::Map(pairs)
                } else {
                    Node::Seq(items)
                }
            }
            Event::Scalar(value, ..) => Node::Scalar(value.into_owned(), line),
            Event::Alias(_) => Node::Null,
            _ => continue,
        };
        match stack.last_mut() {
            Some((items, _)) => items.push(node),
            None => documents.push(node),
        }
    }
    Ok(documents)
}
