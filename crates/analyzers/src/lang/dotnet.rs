//! .NET: `*.deps.json` (published applications) and `packages.lock.json` (NuGet lock files).

use super::{
    ecosystem::NUGET, file_name, found, inside_installed_package, package, plausible, text,
};
use artifact::Analyzer;
use inventory::{FileResult, Package};
use serde_json::Value;

pub struct DotnetCataloger;

impl Analyzer for DotnetCataloger {
    fn name(&self) -> &'static str {
        "dotnet"
    }

    fn wants(&self, path: &str) -> bool {
        let name = file_name(path);
        (name.ends_with(".deps.json") || name == "packages.lock.json")
            && !inside_installed_package(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let doc: Value =
            serde_json::from_str(text(content)?).map_err(|e| format!("invalid JSON: {e}"))?;
        let mut packages = if file_name(path) == "packages.lock.json" {
            lock(path, &doc)
        } else {
            deps(path, &doc)
        };
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(found(packages))
    }
}

/// `libraries` keyed `Name/Version`; only `"type": "package"` entries come from NuGet.
fn deps(path: &str, doc: &Value) -> Vec<Package> {
    let Some(libraries) = doc.get("libraries").and_then(Value::as_object) else {
        return Vec::new();
    };
    libraries
        .iter()
        .filter(|(_, lib)| lib.get("type").and_then(Value::as_str) == Some("package"))
        .filter_map(|(key, _)| key.split_once('/'))
        .filter(|(name, version)| plausible(name, version))
        .map(|(name, version)| package(NUGET, name, version, path))
        .collect()
}

/// `dependencies` per target framework: name → `{"type": "Direct"|"Transitive", "resolved"}`;
/// `Project` entries are the solution's own projects.
fn lock(path: &str, doc: &Value) -> Vec<Package> {
    let Some(frameworks) = doc.get("dependencies").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut packages = Vec::new();
    for deps in frameworks.values().filter_map(Value::as_object) {
        for (name, entry) in deps {
            let kind = entry.get("type").and_then(Value::as_str).unwrap_or("");
            let version = entry.get("resolved").and_then(Value::as_str).unwrap_or("");
            if kind != "Project" && plausible(name, version) {
                packages.push(package(NUGET, name, version, path));
            }
        }
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &str, json: &str) -> Vec<(String, String)> {
        let Ok(results) = DotnetCataloger.analyze(path, json.as_bytes()) else {
            panic!()
        };
        let Some(FileResult::Packages { packages, .. }) = results.into_iter().next() else {
            panic!()
        };
        packages.into_iter().map(|p| (p.name, p.version)).collect()
    }

    #[test]
    fn deps_json_packages_only_and_lock_across_frameworks() {
        let d = r#"{"libraries":{"App/1.0.0":{"type":"project"},"Newtonsoft.Json/12.0.1":{"type":"package"}}}"#;
        assert_eq!(
            names("app/App.deps.json", d),
            [("Newtonsoft.Json".into(), "12.0.1".into())]
        );
        let l = r#"{"version":1,"dependencies":{"net6.0":{"Newtonsoft.Json":{"type":"Direct","resolved":"12.0.1"},"Lib":{"type":"Project"}},"net7.0":{"Newtonsoft.Json":{"type":"Direct","resolved":"12.0.1"}}}}"#;
        assert_eq!(
            names("packages.lock.json", l),
            [("Newtonsoft.Json".into(), "12.0.1".into())]
        );
    }
}
