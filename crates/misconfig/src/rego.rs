//! Custom checks in Rego (OPA's policy language), evaluated by `regorus`. A policy's
//! `deny` and `warn` sets become findings; see docs/policies.md for the input shapes.
//!
//! A policy's rule ID is its `__rego_metadata__.id` or, failing that, its package name;
//! `__rego_metadata__` may also give `title`, `severity` and `kinds` (the input kinds it
//! applies to: `dockerfile`, `kubernetes`, `compose`).

use crate::detect::Kind;
use crate::dockerfile::Dockerfile;
use crate::rule::{ConfigError, Finding};
use crate::yaml::{Node, Value as YamlValue};
use inventory::Severity;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Longest one evaluation may run: policies are code, and code can loop.
const EVAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);
const MAX_POLICY_FILES: usize = 1000;

/// What a policy declares about itself.
#[derive(Debug, Clone)]
struct Policy {
    package: String,
    rule_id: String,
    title: String,
    severity: Severity,
    kinds: Vec<String>,
}

/// Loaded policies, ready to evaluate.
pub struct Policies {
    /// Evaluation sets the input on the engine, so one file is evaluated at a time.
    engine: std::sync::Mutex<regorus::Engine>,
    policies: Vec<Policy>,
}

/// A policy that cannot be loaded: the CLI exits with 2 and prints it.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

fn policy_error(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// `.rego` files of a directory tree (tests `*_test.rego` left out), or one file.
fn policy_files(path: &Path) -> Result<Vec<std::path::PathBuf>, PolicyError> {
    if !path.is_dir() {
        std::fs::metadata(path).map_err(|e| policy_error(path, e))?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| policy_error(&dir, e))? {
            let entry = entry.map_err(|e| policy_error(&dir, e))?;
            let file_type = entry
                .file_type()
                .map_err(|e| policy_error(&entry.path(), e))?;
            let p = entry.path();
            let name = p
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            if file_type.is_dir() {
                dirs.push(p);
            } else if file_type.is_file()
                && name.ends_with(".rego")
                && !name.ends_with("_test.rego")
            {
                files.push(p);
            }
            if files.len() > MAX_POLICY_FILES {
                return Err(policy_error(path, "more than 1000 policy files"));
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(policy_error(path, "no .rego files"));
    }
    Ok(files)
}

impl Policies {
    /// Loads every policy under each path. Syntax errors name the file, line and column.
    pub fn load(paths: &[std::path::PathBuf]) -> Result<Policies, PolicyError> {
        let mut sources = Vec::new();
        for path in paths {
            for file in policy_files(path)? {
                let text = std::fs::read_to_string(&file).map_err(|e| policy_error(&file, e))?;
                sources.push((file, text));
            }
        }
        // Rego v1 syntax first (OPA 1.x); policies written for OPA 0.x (`deny[msg] { … }`)
        // load in v0 mode, where `import rego.v1` still selects the new syntax.
        let engine = Self::engine(&sources, false)
            .or_else(|v1_error| Self::engine(&sources, true).map_err(|_| v1_error))?;
        let mut engine = engine;
        let packages = engine.get_packages().map_err(|e| PolicyError {
            path: "policies".into(),
            message: e.to_string(),
        })?;
        let policies = packages
            .iter()
            .map(|package| metadata(&mut engine, package))
            .collect::<Result<_, _>>()?;
        Ok(Policies {
            engine: std::sync::Mutex::new(engine),
            policies,
        })
    }

    fn engine(
        sources: &[(std::path::PathBuf, String)],
        v0: bool,
    ) -> Result<regorus::Engine, PolicyError> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(v0);
        if let Some(interval) = std::num::NonZeroU32::new(1000) {
            engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit: EVAL_LIMIT,
                check_interval: interval,
            });
        }
        for (file, text) in sources {
            engine
                .add_policy(file.display().to_string(), text.clone())
                .map_err(|e| policy_error(file, e))?;
        }
        Ok(engine)
    }

    /// Runs every policy over one file. A file that cannot be parsed gives its parse error.
    pub fn evaluate(
        &self,
        kind: Kind,
        file: &str,
        text: &str,
    ) -> Result<Vec<Finding>, ConfigError> {
        let inputs = inputs(kind, file, text)?;
        let kind_name = kind_name(kind);
        let mut engine = self
            .engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut findings = Vec::new();
        for policy in &self.policies {
            if !policy.kinds.is_empty() && !policy.kinds.iter().any(|k| k == kind_name) {
                continue;
            }
            for (input, line) in &inputs {
                engine.set_input(regorus::Value::from(input.clone()));
                for (set, warn) in [("deny", false), ("warn", true)] {
                    let results = query(&mut engine, &format!("{}.{set}", policy.package))
                        .map_err(|message| ConfigError {
                            file: file.to_string(),
                            line: 0,
                            column: 0,
                            message: format!("policy {}: {message}", policy.rule_id),
                        })?;
                    for result in results.as_array().into_iter().flatten() {
                        findings.push(finding(policy, warn, result, file, *line));
                    }
                }
            }
        }
        Ok(findings)
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

fn metadata(engine: &mut regorus::Engine, package: &str) -> Result<Policy, PolicyError> {
    let name = package.trim_start_matches("data.").to_string();
    let meta =
        query(engine, &format!("{package}.__rego_metadata__")).map_err(|message| PolicyError {
            path: name.clone(),
            message,
        })?;
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
    let severity = match text("severity") {
        Some(s) => s.parse().map_err(|_| PolicyError {
            path: name.clone(),
            message: format!(
                "__rego_metadata__.severity {s:?}: expected LOW, MEDIUM, HIGH or CRITICAL"
            ),
        })?,
        None => Severity::Medium,
    };
    let kinds = meta
        .get("kinds")
        .and_then(Value::as_array)
        .map(|k| {
            k.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Policy {
        rule_id: text("id").unwrap_or_else(|| name.clone()),
        title: text("title").unwrap_or_else(|| format!("Policy {name}")),
        severity,
        kinds,
        package: package.to_string(),
    })
}

/// A rule's value as JSON; `null` when undefined.
fn query(engine: &mut regorus::Engine, path: &str) -> Result<Value, String> {
    let results = engine
        .eval_query(path.to_string(), false)
        .map_err(|e| e.to_string())?;
    let Some(value) = results.result.first().and_then(|r| r.expressions.first()) else {
        return Ok(Value::Null);
    };
    let json = value.value.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|e| e.to_string())
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Dockerfile => "dockerfile",
        Kind::Kubernetes => "kubernetes",
        Kind::Compose => "compose",
    }
}

/// A `deny`/`warn` entry: a message string, or `{"msg": …, "line": …, "column": …}`.
fn finding(policy: &Policy, warn: bool, result: &Value, file: &str, line: usize) -> Finding {
    let message = match result {
        Value::String(s) => s.clone(),
        other => other
            .get("msg")
            .and_then(Value::as_str)
            .map_or_else(|| other.to_string(), str::to_string),
    };
    let number = |key: &str| result.get(key).and_then(Value::as_u64).map(|n| n as usize);
    Finding {
        rule_id: policy.rule_id.clone(),
        severity: if warn { Severity::Low } else { policy.severity },
        title: policy.title.clone(),
        message,
        file: file.to_string(),
        line: number("line").unwrap_or(line),
        column: number("column").unwrap_or(if line > 0 { 1 } else { 0 }),
        snippet: None,
        resource: None,
    }
}

/// The policy inputs of one file, each with the line it starts at.
fn inputs(kind: Kind, file: &str, text: &str) -> Result<Vec<(Value, usize)>, ConfigError> {
    match kind {
        Kind::Dockerfile => {
            let df = crate::dockerfile::parse(file, text)?;
            Ok(vec![(dockerfile_input(file, &df), 1)])
        }
        Kind::Kubernetes | Kind::Compose => {
            let documents = crate::yaml::parse(file, text, &Default::default())?;
            let mut out = Vec::new();
            for document in &documents {
                let value = yaml_to_json(document, 0);
                // A `List`'s items are checked one by one, as the native rules do.
                let items = (kind == Kind::Kubernetes
                    && value.get("kind").and_then(Value::as_str) == Some("List"))
                .then(|| document.get("items"))
                .flatten();
                match items {
                    Some(items) => out.extend(
                        items
                            .items()
                            .iter()
                            .map(|i| (yaml_to_json(i, 0), i.pos.line)),
                    ),
                    None if !value.is_null() => out.push((value, document.pos.line)),
                    None => {}
                }
            }
            Ok(out)
        }
    }
}

/// The Dockerfile input shape (docs/policies.md).
pub fn dockerfile_input(file: &str, df: &Dockerfile) -> Value {
    let instructions: Vec<Value> = df
        .instructions
        .iter()
        .map(|i| {
            let flags: Map<String, Value> = i
                .flags
                .iter()
                .map(|(n, v)| (n.clone(), Value::String(v.clone().unwrap_or_default())))
                .collect();
            json!({
                "keyword": i.keyword, "args": i.args, "flags": flags, "json": i.json,
                "heredocs": i.heredocs.iter().map(|h| json!({"delimiter": h.delimiter, "body": h.body})).collect::<Vec<_>>(),
                "stage": i.stage, "line": i.line, "column": i.column, "end_line": i.end_line,
            })
        })
        .collect();
    let stages: Vec<Value> = df
        .stages
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let line = df.instructions.get(s.from).map_or(0, |i| i.line);
            json!({"index": index, "name": s.name, "image": s.image, "line": line})
        })
        .collect();
    json!({"file": file, "escape": df.escape.to_string(), "syntax": df.syntax, "stages": stages, "instructions": instructions})
}

/// YAML → JSON: plain scalars become null, booleans and numbers as YAML 1.2 reads them.
fn yaml_to_json(node: &Node, depth: usize) -> Value {
    if depth > 256 {
        return Value::Null;
    }
    match &node.value {
        YamlValue::Scalar(s) if !s.plain => Value::String(s.text.clone()),
        YamlValue::Scalar(s) => match s.text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            text => text
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Value::from)
                })
                .unwrap_or_else(|| Value::String(text.to_string())),
        },
        YamlValue::Seq(items) => {
            Value::Array(items.iter().map(|i| yaml_to_json(i, depth + 1)).collect())
        }
        YamlValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), yaml_to_json(&e.value, depth + 1)))
                .collect(),
        ),
    }
}
