//! `bulkhead config`: walks a directory (or reads stdin), detects each file's kind, runs the
//! family's checks and the user's Rego policies, and applies suppressions.

use crate::detect::{detect, detect_stdin, Kind};
use crate::ignore::inline_suppressed_in;
use crate::rego::Policies;
use crate::rule::{ConfigError, Finding};
use inventory::Secret;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files larger than this are not configuration; they are skipped with a warning.
fn max_file_size() -> u64 {
    inventory::limits::get(inventory::limits::Limit::ConfigFile)
}
/// Directory nesting the walk follows at most.
fn max_depth() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::WalkDepth)
}
/// Directories that hold dependencies or VCS data, never the project's own configuration.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "vendor", "target", ".terraform"];

/// Finds credentials in a manifest's values (Kubernetes `Secret` data, env literals, compose
/// `environment`); the secret scanner lives in another crate and is passed in.
pub type SecretScan<'a> = &'a (dyn Fn(&str, &str) -> Result<Vec<Secret>, String> + Sync);

#[derive(Default)]
pub struct Options<'a> {
    pub k8s: crate::k8s::Options,
    pub policies: Option<&'a Policies>,
    pub secrets: Option<SecretScan<'a>>,
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Files that could not be parsed: reported with their position, the scan goes on.
    pub errors: Vec<ConfigError>,
    /// Files (or directories) not checked, and why: (path, message).
    pub warnings: Vec<(String, String)>,
    /// Files checked, by kind.
    pub files: usize,
    /// Findings a comment or the ignore file suppressed.
    pub suppressed: usize,
    /// Credentials in Kubernetes and compose files, when `Options::secrets` is set.
    pub secrets: Vec<Secret>,
}

/// One input file: its display name (relative to the scanned root) and text.
struct Input {
    name: String,
    text: String,
    kind: Kind,
    /// A `.dockerignore` next to it.
    dockerignore: bool,
}

/// Scans a file or a directory tree.
pub fn scan_path(root: &Path, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let mut inputs = Vec::new();
    if root.is_dir() {
        walk(root, root, 0, &mut inputs, &mut outcome);
    } else {
        let name = root.display().to_string();
        let base = root
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        match read(root) {
            Ok(text) => match detect(&base, &text).or_else(|| detect_stdin(&text)) {
                Some(kind) => inputs.push(Input {
                    dockerignore: root.with_file_name(".dockerignore").exists(),
                    name,
                    text,
                    kind,
                }),
                None => outcome.warnings.push((
                    name,
                    "not a Dockerfile, Kubernetes manifest or compose file".into(),
                )),
            },
            Err(message) => outcome.warnings.push((name, message)),
        }
    }
    check_inputs(inputs, options, &mut outcome);
    outcome
}

/// Scans text read from stdin, e.g. `helm template ./chart | bulkhead config -`.
pub fn scan_text(name: &str, text: String, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    match detect_stdin(&text) {
        Some(kind) => check_inputs(
            vec![Input {
                name: name.to_string(),
                text,
                kind,
                dockerignore: false,
            }],
            options,
            &mut outcome,
        ),
        None => outcome.warnings.push((
            name.to_string(),
            "not a Dockerfile, Kubernetes manifests or a compose file".into(),
        )),
    }
    outcome
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > max_file_size() {
        return Err(format!(
            "skipped: larger than {} ({})",
            inventory::limits::shown(inventory::limits::Limit::ConfigFile),
            inventory::limits::hint(inventory::limits::Limit::ConfigFile)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    decode(bytes)
}

/// Text as editors on Windows save it: UTF-8 (a byte-order mark dropped), or UTF-16 with its
/// byte-order mark, little or big endian.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let utf16 = |bytes: &[u8], unit: fn([u8; 2]) -> u16| {
        if !bytes.len().is_multiple_of(2) {
            return Err("skipped: not valid UTF-16 text (an odd number of bytes)".to_string());
        }
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| "skipped: not valid UTF-16 text".to_string())
    };
    match bytes.as_slice() {
        [0xef, 0xbb, 0xbf, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|_| "skipped: not UTF-8 text".to_string())
        }
        [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8(bytes).map_err(|_| "skipped: not UTF-8 text".to_string()),
    }
}

fn walk(root: &Path, dir: &Path, depth: usize, inputs: &mut Vec<Input>, outcome: &mut Outcome) {
    if depth > max_depth() {
        outcome.warnings.push((
            dir.display().to_string(),
            format!(
                "nested more than {} levels deep; not scanned ({})",
                max_depth(),
                inventory::limits::hint(inventory::limits::Limit::WalkDepth)
            ),
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            outcome
                .warnings
                .push((dir.display().to_string(), e.to_string()));
            return;
        }
    };
    let mut paths: Vec<(PathBuf, std::fs::FileType)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_type().ok().map(|t| (e.path(), t)))
        .collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    let has_dockerignore = paths
        .iter()
        .any(|(p, _)| p.file_name().is_some_and(|n| n == ".dockerignore"));
    for (path, kind) in paths {
        let base = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        // Symbolic links are not followed: they could loop or leave the tree.
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&base.as_str()) {
                walk(root, &path, depth + 1, inputs, outcome);
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let lower = base.to_ascii_lowercase();
        let candidate = crate::detect::is_dockerfile_name(&base)
            || [".yml", ".yaml", ".json"]
                .iter()
                .any(|e| lower.ends_with(e));
        if !candidate {
            continue;
        }
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        match read(&path) {
            Ok(text) => {
                if let Some(kind) = detect(&base, &text) {
                    inputs.push(Input {
                        name,
                        text,
                        kind,
                        dockerignore: has_dockerignore,
                    });
                }
            }
            Err(message) => outcome.warnings.push((name, message)),
        }
    }
}

fn check_inputs(inputs: Vec<Input>, options: &Options, outcome: &mut Outcome) {
    outcome.files += inputs.len();
    let mut found = Vec::new();
    let mut manifests = Vec::new();
    for input in &inputs {
        match input.kind {
            Kind::Dockerfile => {
                match crate::dockerfile::check(&input.name, &input.text, input.dockerignore) {
                    Ok(findings) => found.extend(findings),
                    Err(error) => outcome.errors.push(error),
                }
            }
            Kind::Compose => match crate::compose::check(&input.name, &input.text) {
                Ok(findings) => found.extend(findings),
                Err(error) => outcome.errors.push(error),
            },
            Kind::Kubernetes => manifests.push((input.name.clone(), input.text.clone())),
        }
    }
    if !manifests.is_empty() {
        let (findings, errors) = crate::k8s::check_all(&manifests, &options.k8s);
        found.extend(findings);
        outcome.errors.extend(errors);
    }
    if let Some(scan) = options.secrets {
        for input in inputs.iter().filter(|i| i.kind != Kind::Dockerfile) {
            // A parse error was already reported by the rules above, with its position.
            if let Ok(secrets) = scan(&input.name, &input.text) {
                outcome.secrets.extend(secrets);
            }
        }
    }
    if let Some(policies) = options.policies {
        for input in &inputs {
            match policies.evaluate(input.kind, &input.name, &input.text) {
                Ok(findings) => found.extend(findings),
                Err(error) => outcome.errors.push(error),
            }
        }
    }
    // Files whose parse failed were reported once; policies over them add nothing new.
    outcome.errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
    outcome.errors.dedup();
    let texts: HashMap<&str, Vec<&str>> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.text.lines().collect()))
        .collect();
    let before = found.len();
    found.retain(|f| {
        let inline = texts
            .get(f.file.as_str())
            .is_some_and(|lines| inline_suppressed_in(lines, f));
        !inline
    });
    outcome.suppressed += before - found.len();
    found.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule_id).cmp(&(&b.file, b.line, b.column, &b.rule_id))
    });
    found.dedup();
    mask_findings(&mut found);
    outcome.findings.extend(found);
}

/// Credentials a rule found are never shown: snippets and messages are masked as the secret
/// scanner masks its matches. The literal-secret rules mask any `value:` (a Kubernetes env
/// entry names its variable on another line).
pub fn mask_findings(findings: &mut [Finding]) {
    const LITERAL_RULES: &[&str] = &["BH-K8S-028", "BH-DC-018"];
    for f in findings {
        let every_value = LITERAL_RULES.contains(&f.rule_id.as_str());
        if let Some(snippet) = &f.snippet {
            f.snippet = Some(crate::secret_values::mask(snippet, every_value));
        }
        f.message = crate::secret_values::mask(&f.message, false);
    }
}
