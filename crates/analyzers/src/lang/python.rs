//! Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, and the
//! single-file `*.egg-info` form) and project lock files (`requirements*.txt` pinned with
//! `==`, `poetry.lock`, `Pipfile.lock`, `uv.lock`).

use super::{
    ecosystem::PYPI, file_name, found, inside_installed_package, package, plausible, text,
    toml_packages,
};
use artifact::Analyzer;
use inventory::{FileResult, Package};

pub struct PythonCataloger;

/// Debian and Ubuntu install their `python3-*` packages here; pip never writes here (it uses
/// `/usr/local/lib/python3.X/dist-packages`), so distributions found here belong to dpkg.
pub const DPKG_DIST_PACKAGES: &str = "usr/lib/python3/dist-packages/";

impl Analyzer for PythonCataloger {
    fn name(&self) -> &'static str {
        "python"
    }

    fn wants(&self, path: &str) -> bool {
        let name = file_name(path);
        path.ends_with(".dist-info/METADATA")
            || path.ends_with(".egg-info/PKG-INFO")
            || name.ends_with(".egg-info")
            || ((matches!(name, "poetry.lock" | "Pipfile.lock" | "uv.lock")
                || (name.starts_with("requirements") && name.ends_with(".txt")))
                && !inside_installed_package(path))
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let text = text(content)?;
        let packages = match file_name(path) {
            "poetry.lock" | "uv.lock" => lock(path, text),
            "Pipfile.lock" => pipfile_lock(path, text)?,
            name if name.starts_with("requirements") && name.ends_with(".txt") => {
                requirements(path, text)
            }
            _ => metadata(path, text)?.into_iter().collect(),
        };
        Ok(found(packages))
    }
}

/// Core metadata (RFC 822 headers up to the first blank line).
pub fn metadata(path: &str, text: &str) -> Result<Option<Package>, String> {
    let mut name = None;
    let mut version = None;
    let mut expression = None;
    let mut license = None;
    let mut classifiers = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a multi-line field
        }
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "name" => name = name.or(Some(value)),
            "version" => version = version.or(Some(value)),
            "license-expression" => expression = Some(value),
            "license" => license = Some(value),
            "classifier" => {
                if let Some(l) = value.strip_prefix("License :: ") {
                    classifiers.push(l.rsplit(" :: ").next().unwrap_or(l).to_string());
                }
            }
            _ => {}
        }
    }
    let (Some(name), Some(version)) = (name, version) else {
        return Err("package metadata without Name/Version".into());
    };
    if !plausible(name, version) {
        return Err(format!(
            "implausible package name/version {name:?} {version:?}"
        ));
    }
    let mut package = package(PYPI, name, version, path);
    package.licenses = match (expression, license) {
        (Some(e), _) if !e.is_empty() => vec![e.to_string()],
        // Some projects paste the whole licence text into `License`; only a short one is a name.
        (_, Some(l)) if !l.is_empty() && l != "UNKNOWN" && l.len() <= 64 => vec![l.to_string()],
        _ => classifiers,
    };
    Ok(Some(package))
}

/// `name==version` lines (extras, markers, hashes and comments allowed); anything not pinned
/// to one version is not an installed fact and is skipped.
pub fn requirements(path: &str, text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.starts_with(['#', '-']) || line.contains("://") {
            continue;
        }
        let spec = line.split(';').next().unwrap_or("").trim();
        let spec = spec
            .split(" --")
            .next()
            .unwrap_or("")
            .trim_end_matches('\\')
            .trim();
        let Some((name, version)) = spec.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap_or("").trim();
        let version = version.trim().trim_start_matches('=');
        if version.contains([',', '*', '<', '>', '!', '~']) || !plausible(name, version) {
            continue;
        }
        packages.push(package(PYPI, name, version, path));
    }
    packages
}

/// `poetry.lock` / `uv.lock`: `[[package]]` tables; uv's own project (an editable or virtual
/// source) is not a dependency.
fn lock(path: &str, text: &str) -> Vec<Package> {
    toml_packages(text)
        .into_iter()
        .filter(|p| !p.source.contains("editable") && !p.source.contains("virtual"))
        .filter(|p| plausible(&p.name, &p.version))
        .map(|p| package(PYPI, &p.name, &p.version, path))
        .collect()
}

/// `Pipfile.lock`: `default` and `develop` maps of name → `{"version": "==1.2.3"}`.
fn pipfile_lock(path: &str, text: &str) -> Result<Vec<Package>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid Pipfile.lock: {e}"))?;
    let mut packages = Vec::new();
    for section in ["default", "develop"] {
        let Some(entries) = doc.get(section).and_then(|s| s.as_object()) else {
            continue;
        };
        for (name, entry) in entries {
            let version = entry.get("version").and_then(|v| v.as_str()).unwrap_or("");
            let Some(version) = version.strip_prefix("==") else {
                continue; // git/path/editable entries have no version
            };
            if plausible(name, version) {
                packages.push(package(PYPI, name, version, path));
            }
        }
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_licence_prefers_expression_then_short_license_then_classifiers() {
        let m = "Metadata-Version: 2.1\nName: Jinja2\nVersion: 2.10\nLicense: BSD\nClassifier: License :: OSI Approved :: BSD License\n\nLicense: body\n";
        let p = metadata("x/METADATA", m).unwrap().unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("Jinja2", "2.10"));
        assert_eq!(p.purl, "pkg:pypi/jinja2@2.10");
        assert_eq!(p.licenses, ["BSD"]);
        let m = "Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(metadata("m", m).unwrap().unwrap().licenses, ["MIT License"]);
        assert!(metadata("m", "Name: a\n").is_err());
    }

    #[test]
    fn requirements_keep_only_exact_pins() {
        let r = "# c\nrequests==2.19.1 \\\n    --hash=sha256:abc\nDjango[argon2] == 3.0.1 ; python_version > '3'\nflask>=1.0\n-r other.txt\nurllib3==1.*\nidna===2.7\n";
        let got: Vec<_> = requirements("requirements.txt", r)
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                ("requests".into(), "2.19.1".into()),
                ("Django".into(), "3.0.1".into()),
                ("idna".into(), "2.7".into())
            ]
        );
    }

    #[test]
    fn wants_metadata_and_locks() {
        let c = PythonCataloger;
        assert!(c.wants("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"));
        assert!(c.wants("app/foo.egg-info/PKG-INFO"));
        assert!(c.wants("app/requirements-dev.txt"));
        assert!(!c.wants("app/six-1.16.0.dist-info/RECORD"));
        // setuptools' single-file form: the PKG-INFO content under the directory's name.
        let egg = "usr/lib/python3.9/site-packages/chardet-3.0.4-py3.9.egg-info";
        assert!(c.wants(egg));
        let Ok(results) = c.analyze(
            egg,
            b"Metadata-Version: 1.1\nName: chardet\nVersion: 3.0.4\nLicense: LGPL\n",
        ) else {
            panic!("egg-info file")
        };
        let Some(FileResult::Packages { packages, .. }) = results.first() else {
            panic!("packages")
        };
        assert_eq!(
            (packages[0].name.as_str(), packages[0].version.as_str()),
            ("chardet", "3.0.4")
        );
    }
}
