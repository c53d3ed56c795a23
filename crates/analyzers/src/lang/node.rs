//! Node: installed packages (`node_modules/<name>/package.json`, scoped too) and lock files
//! (`package-lock.json` v1–v3 and `npm-shrinkwrap.json`, `yarn.lock` v1 and berry,
//! `pnpm-lock.yaml`). A project's own `package.json` outside `node_modules` holds ranges,
//! not installed versions, and is not read (as syft's installed-package cataloger).

use super::{ecosystem::NPM, file_name, found, inside_installed_package, package, plausible, text};
use artifact::Analyzer;
use inventory::{FileResult, Package};
use serde::de::DeserializeSeed;
use serde_json::Value;

pub struct NodeCataloger;

/// Deepest `dependencies` nesting followed in a v1 lock file.
const MAX_DEPTH: usize = 64;

impl Analyzer for NodeCataloger {
    fn name(&self) -> &'static str {
        "node"
    }

    fn wants(&self, path: &str) -> bool {
        match file_name(path) {
            "package.json" => installed_package_dir(path).is_some(),
            "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml" => {
                // npm keeps a copy of the tree in node_modules/.package-lock.json; the
                // package.json files there are the installed truth.
                !inside_installed_package(path)
            }
            _ => false,
        }
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let text = text(content)?;
        let packages = match file_name(path) {
            "package.json" => installed(path, text)?.into_iter().collect(),
            "yarn.lock" => yarn_lock(path, text),
            "pnpm-lock.yaml" => pnpm_lock(path, text),
            _ => package_lock(path, text)?,
        };
        Ok(found(packages))
    }
}

/// `…/node_modules/<name>` or `…/node_modules/@scope/<name>` when `path` is that
/// directory's `package.json` (not a fixture deeper inside a package).
fn installed_package_dir(path: &str) -> Option<&str> {
    let dir = path.strip_suffix("/package.json")?;
    let (parent, name) = dir.rsplit_once('/')?;
    if name.starts_with('.') {
        return None;
    }
    let parent = match parent.rsplit_once('/') {
        Some((grand, scope)) if scope.starts_with('@') => grand,
        _ if parent.starts_with('@') => "",
        _ => parent,
    };
    (parent == "node_modules" || parent.ends_with("/node_modules")).then_some(dir)
}

/// An installed package's `package.json`.
pub fn installed(path: &str, text: &str) -> Result<Option<Package>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let field = |key: &str| doc.get(key).and_then(Value::as_str).unwrap_or("");
    let (name, version) = (field("name"), field("version"));
    if !plausible(name, version) {
        // Not a package (e.g. a bare `{"type": "module"}` marker file).
        return Ok(None);
    }
    let mut package = package(NPM, name, version, path);
    package.licenses = licenses(&doc);
    Ok(Some(package))
}

/// `"license": "MIT"`, `"license": {"type": "MIT"}` or the old `"licenses": [{"type": …}]`.
fn licenses(doc: &Value) -> Vec<String> {
    entry_licenses(doc.get("license"), doc.get("licenses"))
}

fn entry_licenses(license: Option<&Value>, licenses: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        v.as_str()
            .or_else(|| v.get("type").and_then(Value::as_str))
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .map(str::to_string)
    };
    match (license, licenses) {
        (Some(l), _) => one(l).into_iter().collect(),
        (None, Some(Value::Array(all))) => all.iter().filter_map(one).collect(),
        _ => Vec::new(),
    }
}

/// `package-lock.json`: v2/v3 `packages` keyed by install path, else v1 nested
/// `dependencies`. Links (workspace packages) and the root entry are not dependencies. The
/// `packages` map is read entry by entry into packages, never built as a whole JSON tree: a
/// 40 MB lock file with 500,000 entries took 1.3 GB that way.
pub fn package_lock(path: &str, text: &str) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let v1 = LockSeed {
        path,
        out: &mut packages,
    }
    .deserialize(&mut deserializer)
    .and_then(|v1| deserializer.end().map(|_| v1))
    .map_err(|e| format!("invalid JSON: {e}"))?;
    if let Some(deps) = v1 {
        nested(path, &deps, 0, &mut packages);
    }
    Ok(packages)
}

/// One `packages` entry: only what the cataloger reads.
#[derive(serde::Deserialize)]
struct LockEntry<'a> {
    #[serde(borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    link: Option<Value>,
    #[serde(default)]
    license: Option<Value>,
    #[serde(default)]
    licenses: Option<Value>,
}

/// The lock document: streams `packages` into `out`; returns v1 `dependencies` when there is
/// no `packages` map.
struct LockSeed<'p> {
    path: &'p str,
    out: &'p mut Vec<Package>,
}

impl<'de> serde::de::DeserializeSeed<'de> for LockSeed<'_> {
    type Value = Option<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LockSeed<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a package-lock.json object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen_packages = false;
        let mut dependencies = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "packages" if !seen_packages => {
                    map.next_value_seed(PackagesSeed {
                        path: self.path,
                        out: &mut *self.out,
                    })?;
                    seen_packages = true;
                    dependencies = None;
                }
                "dependencies" if !seen_packages => dependencies = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(dependencies)
    }
}

/// The v2/v3 `packages` map, one entry at a time.
struct PackagesSeed<'p> {
    path: &'p str,
    out: &'p mut Vec<Package>,
}

impl<'de> serde::de::DeserializeSeed<'de> for PackagesSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PackagesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of install paths to packages")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let entry: LockEntry = map.next_value()?;
            let Some((_, tail)) = key.rsplit_once("node_modules/") else {
                continue; // "" is the root project; workspace folders are not installs
            };
            if entry.link.as_ref().and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = entry.name.as_deref().unwrap_or(tail);
            let version = entry.version.as_deref().unwrap_or("");
            if plausible(name, version) {
                let mut p = package(NPM, name, version, self.path);
                p.licenses = entry_licenses(entry.license.as_ref(), entry.licenses.as_ref());
                self.out.push(p);
            }
        }
        Ok(())
    }
}

fn nested(path: &str, deps: &Value, depth: usize, out: &mut Vec<Package>) {
    let Some(deps) = deps.as_object().filter(|_| depth < MAX_DEPTH) else {
        return;
    };
    for (name, entry) in deps {
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        // Aliases record `npm:real@1.0.0`; files and git URLs are not registry versions.
        let (name, version) = match version.strip_prefix("npm:").and_then(split_spec) {
            Some((real, v)) => (real, v),
            None => (name.as_str(), version),
        };
        if plausible(name, version) && version.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(package(NPM, name, version, path));
        }
        if let Some(children) = entry.get("dependencies") {
            nested(path, children, depth + 1, out);
        }
    }
}

/// `@scope/name@range` or `name@range` → (name, range).
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// `yarn.lock`: v1 (`version "1.2.3"`) and berry (`version: 1.2.3`, `resolution:`).
/// Entries resolved from workspaces, links, patches or files are skipped.
pub fn yarn_lock(path: &str, text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut name: Option<&str> = None;
    for line in text.lines() {
        if !line.starts_with([' ', '#']) && line.ends_with(':') {
            // `"@babel/core@^7.0.0", "@babel/core@^7.1.0":` → the first spec's name.
            let first = line.trim_end_matches(':').split(',').next().unwrap_or("");
            let first = first.trim().trim_matches('"');
            // An alias `alias@npm:real@range` installs `real`.
            name = split_spec(first).and_then(|(n, range)| match range.strip_prefix("npm:") {
                Some(target) => Some(split_spec(target).map_or(n, |(real, _)| real)),
                None => (!range.contains(['/', ':'])).then_some(n),
            });
            if first == "__metadata" {
                name = None;
            }
            continue;
        }
        let trimmed = line.trim();
        if let (Some(n), Some(rest)) = (name, trimmed.strip_prefix("version")) {
            if !line.starts_with("  ") || line.starts_with("   ") {
                continue;
            }
            let version = rest.trim_start_matches(':').trim().trim_matches('"');
            if plausible(n, version) {
                packages.push(package(NPM, n, version, path));
            }
            name = None;
        }
    }
    packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    packages
}

/// `pnpm-lock.yaml` v5 (`/name/1.2.3_peer`), v6 (`/name@1.2.3(peer)`) and v9 (`name@1.2.3`):
/// the keys of the top-level `packages:` map.
pub fn pnpm_lock(path: &str, text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let key = line.trim().trim_end_matches(':').trim_matches(['\'', '"']);
        if let Some((name, version)) = pnpm_key(key) {
            if plausible(name, version) {
                packages.push(package(NPM, name, version, path));
            }
        }
    }
    packages
}

fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    // The name is `@scope/name` or `name`; v5 follows it with `/version_peers`, later
    // versions with `@version`.
    let skip = if key.starts_with('@') {
        key.find('/')? + 1
    } else {
        0
    };
    let end = skip + key[skip..].find(['/', '@'])?;
    let (name, version) = (&key[..end], &key[end + 1..]);
    let version = match key.as_bytes().get(end) {
        Some(b'/') => version.split('_').next().unwrap_or(version),
        _ => version,
    };
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(packages: Vec<Package>) -> Vec<(String, String)> {
        packages.into_iter().map(|p| (p.name, p.version)).collect()
    }

    #[test]
    fn installed_package_json_only_directly_under_node_modules() {
        let c = NodeCataloger;
        assert!(c.wants("app/node_modules/lodash/package.json"));
        assert!(c.wants("node_modules/@babel/core/package.json"));
        assert!(c.wants("a/node_modules/x/node_modules/@s/y/package.json"));
        assert!(!c.wants("app/package.json"));
        assert!(!c.wants("app/node_modules/x/test/fixtures/package.json"));
        assert!(!c.wants("app/node_modules/.package-lock.json"));
        assert!(c.wants("app/package-lock.json"));
    }

    #[test]
    fn package_json_licences() {
        let p = installed(
            "p",
            r#"{"name":"@s/x","version":"1.0.0","license":{"type":"MIT"}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.purl, "pkg:npm/%40s/x@1.0.0");
        assert_eq!(p.licenses, ["MIT"]);
        assert!(installed("p", r#"{"type":"module"}"#).unwrap().is_none());
        assert!(installed("p", "{").is_err());
    }

    #[test]
    fn lock_v1_nested_and_aliases() {
        let v1 = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},"c":{"version":"npm:d@3.0.0"},"e":{"version":"file:../e"}}}"#;
        assert_eq!(
            pairs(package_lock("l", v1).unwrap()),
            [
                ("a".into(), "1.0.0".into()),
                ("b".into(), "2.0.0".into()),
                ("d".into(), "3.0.0".into())
            ]
        );
    }

    #[test]
    fn yarn_v1_and_berry() {
        let v1 = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  dependencies:\n    version \"9\"\n\nlodash@^4.17.0:\n  version \"4.17.20\"\n";
        assert_eq!(
            pairs(yarn_lock("y", v1)),
            [
                ("@babel/code-frame".into(), "7.12.13".into()),
                ("lodash".into(), "4.17.20".into())
            ]
        );
        let berry = "__metadata:\n  version: 6\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n\n\"lodash@npm:^4.17.0\":\n  version: 4.17.20\n  resolution: \"lodash@npm:4.17.20\"\n";
        assert_eq!(
            pairs(yarn_lock("y", berry)),
            [("lodash".into(), "4.17.20".into())]
        );
        let alias = "\"string-width-cjs@npm:string-width@^4.2.0\":\n  version \"4.2.3\"\n\n\"@s/x@npm:@s/y@1\":\n  version: 1.0.0\n";
        assert_eq!(
            pairs(yarn_lock("y", alias)),
            [
                ("@s/y".into(), "1.0.0".into()),
                ("string-width".into(), "4.2.3".into())
            ]
        );
    }

    #[test]
    fn pnpm_keys_of_every_version() {
        assert_eq!(pnpm_key("/lodash/4.17.20"), Some(("lodash", "4.17.20")));
        assert_eq!(
            pnpm_key("/@babel/core/7.0.0_peer@1"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(
            pnpm_key("/@babel/core@7.0.0(x@1)"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(pnpm_key("ms@2.1.2"), Some(("ms", "2.1.2")));
        assert_eq!(pnpm_key("link:../x"), None);
    }
}
