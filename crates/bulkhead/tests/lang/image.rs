//! The image every language-scan test reads: real pip and npm output (.ci/setup-lang.sh), a
//! planted malicious npm package and lock files of every ecosystem; and the cache it is scanned with.

use crate::common::*;
use crate::oracle::feed;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn fixtures() -> PathBuf {
    let dir = std::env::var_os("BULKHEAD_LANG_FIXTURES")
        .map_or_else(|| PathBuf::from("/var/tmp/bulkhead-lang"), PathBuf::from);
    assert!(
        dir.join("stamp").exists(),
        "{} is missing: run .ci/setup-lang.sh (pip and npm fixtures)",
        dir.display()
    );
    dir
}

pub fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/lang")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every regular file under `dir`, as image nodes under `prefix`.
pub fn tree(dir: &Path, prefix: &str, out: &mut Vec<Node>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            tree(&entry.path(), &name, out);
        } else if kind.is_file() {
            out.push(file(&name, std::fs::read(entry.path()).unwrap()));
        }
    }
}

/// The malicious npm package planted in node_modules: the first report with a plain name
/// and an explicit version list.
pub fn malicious_npm() -> &'static (String, String) {
    static PICK: OnceLock<(String, String)> = OnceLock::new();
    PICK.get_or_init(|| {
        feed("malicious/malicious-npm.jsonl.zst")
            .iter()
            .flat_map(|r| r["affected"].as_array().cloned().unwrap_or_default())
            .find_map(|a| {
                let name = a["package"]["name"].as_str()?;
                let version = a["versions"].as_array()?.first()?.as_str()?;
                (!name.starts_with('@') && version.chars().all(|c| c.is_ascii_digit() || c == '.'))
                    .then(|| (name.to_string(), version.to_string()))
            })
            .expect("a malicious npm report with a version list")
    })
}

pub fn cache() -> &'static Path {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    CACHE.get_or_init(|| {
        imported_cache(
            "lang",
            &[
                "Debian-DSA-DLA.jsonl.zst",
                "PyPI.jsonl.zst",
                "npm-nodejs-security-wg.jsonl.zst",
                "RubyGems.jsonl.zst",
                "malicious/malicious-npm.jsonl.zst",
                "malicious/malicious-pypi.jsonl.zst",
            ],
        )
    })
}

pub const SITE: &str = "usr/local/lib/python3.11/site-packages";
pub const OS_SITE: &str = "usr/lib/python3/dist-packages";

/// The image: Debian base with dpkg's python3-six, a pip layer, an npm layer with one
/// planted malicious package, and a layer of lock files.
pub fn image(dir: &Path) -> PathBuf {
    let fx = fixtures();
    let six_metadata =
        std::fs::read(fx.join("site-packages/six-1.16.0.dist-info/METADATA")).unwrap();
    let base = layer(
        "debian base with python3-six",
        vec![
            os_release("debian", "12"),
            file(
                "var/lib/dpkg/status",
                "Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\nArchitecture: all\nSource: six\n\n",
            ),
            file(&format!("{OS_SITE}/six-1.16.0.dist-info/METADATA"), six_metadata),
        ],
    );
    let mut pip = Vec::new();
    tree(&fx.join("site-packages"), SITE, &mut pip);
    let mut npm = Vec::new();
    tree(&fx.join("node"), "app", &mut npm);
    let (mal, mal_version) = malicious_npm();
    npm.push(file(
        &format!("app/node_modules/{mal}/package.json"),
        format!(r#"{{"name":"{mal}","version":"{mal_version}","description":"planted"}}"#),
    ));
    let locks: Vec<Node> = [
        ("srv/ruby/Gemfile.lock", "Gemfile.lock"),
        ("srv/py/poetry.lock", "poetry.lock"),
        ("srv/py/uv.lock", "uv.lock"),
        ("srv/py/Pipfile.lock", "Pipfile.lock"),
        ("srv/js/yarn.lock", "yarn.lock"),
        ("srv/js/pnpm-lock.yaml", "pnpm-lock.yaml"),
        ("srv/php/composer.lock", "composer.lock"),
        ("srv/php/vendor/composer/installed.json", "installed.json"),
        ("srv/dotnet/App.deps.json", "App.deps.json"),
        ("srv/dotnet/packages.lock.json", "packages.lock.json"),
    ]
    .iter()
    .map(|(at, name)| file(at, data(name)))
    .collect();
    let built = build(
        &[
            base,
            layer("pip install", pip),
            layer("npm install", npm),
            layer("COPY locks", locks),
        ],
        "amd64",
    );
    let path = dir.join("oci");
    oci_layout(&path, &[("lang:1", &built)]);
    path
}

pub fn scan(target: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let t = target.display().to_string();
    let mut args = vec!["image", "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    args.push(&t);
    let out = bulkhead(&args, cache());
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

pub fn report() -> &'static Value {
    static REPORT: OnceLock<(tempfile::TempDir, Value)> = OnceLock::new();
    &REPORT
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (report, code) = scan(&image(dir.path()), &[]);
            assert_eq!(code, Some(0), "scan failed: {report}");
            (dir, report)
        })
        .1
}
