//! TOML configuration spread over a main file and drop-ins, as CRI-O (`crio.conf` +
//! `crio.conf.d/`) and podman (`containers.conf` + `containers.conf.d/`) read it: each file in
//! turn, a key in a later file replacing the earlier value.

use crate::root::Root;
use crate::settings::{Settings, Source};
use toml::{Table, Value};

/// Reads `keys` (a dotted table path and key, e.g. `crio.runtime.selinux`) from `files` and
/// then each `*.conf` of `dropins` in name order, naming each setting by its key path
/// without `strip` (e.g. `crio.`). Returns whether any file existed.
pub fn read(
    root: &Root,
    files: &[&str],
    dropins: &str,
    keys: &[&str],
    strip: &str,
    settings: &mut Settings,
    warnings: &mut Vec<String>,
) -> bool {
    let mut paths: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    let mut names = root.list(dropins);
    names.retain(|n| n.ends_with(".conf"));
    names.sort();
    paths.extend(names.iter().map(|n| format!("{dropins}/{n}")));
    let mut any = false;
    for path in paths {
        let Some(text) = root.read(&path) else {
            continue;
        };
        any = true;
        let top = match text.parse::<Table>() {
            Ok(top) => top,
            Err(e) => {
                warnings.push(format!("{path}: not valid TOML ({})", e.message()));
                continue;
            }
        };
        for key in keys {
            let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
            let table = section
                .split('.')
                .filter(|s| !s.is_empty())
                .try_fold(&top, |t, k| t.get(k).and_then(Value::as_table));
            let Some(value) = table.and_then(|t| t.get(name)) else {
                continue;
            };
            let source = Source::file(&path, key_line(&text, name));
            settings.replace(key.trim_start_matches(strip), values(value), source);
        }
    }
    any
}

/// The line of the first `key =` (for findings that point at it).
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// A TOML value as text; arrays give one value per element.
pub fn values(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    }
}

pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::Table(_) => String::new(),
    }
}
