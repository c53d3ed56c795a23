//! Go: modules and the toolchain version from the buildinfo embedded in Go binaries, and
//! `go.mod` / `go.sum` in source trees. The toolchain is reported as the package `stdlib`,
//! versioned as OSV's Go feed names it (`go1.19.8` → `1.19.8`, `go1.21rc2` → `1.21.0-rc.2`).

use super::{ecosystem::GO, file_name, found, go_buildinfo, package, plausible, text};
use crate::lang::binary::wants_executable;
use artifact::{Analyzer, FileMeta};
use inventory::{FileResult, Inventory, Package};
use std::collections::BTreeSet;

/// Go binaries anywhere in the image, chosen by mode and size, confirmed by their magic.
/// Executables whose headers cannot be read are its warnings (the Rust cataloger stays quiet
/// about them, so each is reported once).
pub struct GoBinaryCataloger;

impl Analyzer for GoBinaryCataloger {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn wants_file(&self, file: &FileMeta) -> bool {
        wants_executable(file)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let Some(info) = go_buildinfo::read(content)? else {
            return Ok(vec![]);
        };
        Ok(found(binary_packages(path, &info)))
    }
}

/// What Go writes for a module without a version: the main module of a build without VCS
/// data, a replacement by a local directory.
const NO_VERSION: &str = "(devel)";

/// Modules with a real version: a `(devel)` one matches no advisory and names no release.
fn versioned(name: &str, version: &str) -> bool {
    version != NO_VERSION && plausible(name, version)
}

/// The toolchain as `stdlib`, then the main module and the dependencies from the module info.
pub fn binary_packages(path: &str, info: &go_buildinfo::BuildInfo) -> Vec<Package> {
    let mut packages: Vec<Package> = stdlib_version(&info.go_version)
        .map(|v| package(GO, "stdlib", &v, path))
        .into_iter()
        .collect();
    for (name, version) in modules(&info.modinfo) {
        if versioned(&name, &version) {
            packages.push(package(GO, &name, &version, path));
        }
    }
    packages
}

/// `go1.19.8` → `1.19.8`, `go1.20` → `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`; a `devel`
/// toolchain has no release version. Suffixes after a space (`X:boringcrypto`) are dropped.
pub fn stdlib_version(go_version: &str) -> Option<String> {
    let v = go_version.split_whitespace().next()?.strip_prefix("go")?;
    let (release, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = release.split('.').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        return None;
    }
    parts.resize(3, "0");
    let mut out = parts.join(".");
    if let Some(pre) = pre {
        let (kind, n) = pre.split_at(pre.find(|c: char| c.is_ascii_digit())?);
        out = format!("{out}-{kind}.{n}");
    }
    Some(out)
}

/// `(module, version)` for the main module and each dependency, replacements applied: a
/// replacement by another module version names the code really linked; a replacement by a
/// local directory has no version (`(devel)`).
pub fn modules(modinfo: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in modinfo.lines() {
        let mut fields = line.split('\t');
        match (fields.next(), fields.next(), fields.next()) {
            (Some("mod" | "dep"), Some(path), version) => {
                out.push((path.to_string(), version.unwrap_or("").to_string()))
            }
            (Some("=>"), Some(path), version) => {
                if let Some(last) = out.last_mut() {
                    *last = match version.filter(|v| !v.is_empty() && *v != NO_VERSION) {
                        Some(v) => (path.to_string(), v.to_string()),
                        None => (last.0.clone(), NO_VERSION.to_string()),
                    };
                }
            }
            _ => {}
        }
    }
    out.retain(|(_, version)| !version.is_empty());
    out
}

/// `go.mod` (requirements, replacements applied) and `go.sum` (modules whose content hash it
/// records) in source trees.
pub struct GoModCataloger;

impl Analyzer for GoModCataloger {
    fn name(&self) -> &'static str {
        "go-mod"
    }

    fn wants(&self, path: &str) -> bool {
        matches!(file_name(path), "go.mod" | "go.sum") && !in_go_tree_noise(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let text = text(content)?;
        let modules = if file_name(path) == "go.sum" {
            go_sum(text)
        } else {
            go_mod(text)?
        };
        Ok(found(
            modules
                .into_iter()
                .filter(|(n, v)| versioned(n, v))
                .map(|(name, version)| package(GO, &name, &version, path))
                .collect(),
        ))
    }
}

/// Module files that describe no application: the module cache (`…/pkg/mod/…`, one go.mod per
/// downloaded module version), vendored copies, and `testdata` and `_…` directories, which
/// the go tool ignores.
fn in_go_tree_noise(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let dirs = &parts[..parts.len() - 1];
    dirs.windows(2).any(|w| w == ["pkg", "mod"])
        || dirs
            .iter()
            .any(|p| *p == "vendor" || *p == "testdata" || p.starts_with('_'))
}

/// go.sum is the fallback for source trees without a usable go.mod: its packages are dropped
/// where a go.mod in the same directory gave packages (go.sum also lists modules that are
/// only in the module graph, never built). Call it on the squashed inventory.
pub fn prefer_go_mod(inventory: &mut Inventory) {
    let dir = |location: &str, file: &str| {
        (location == file || location.ends_with(&format!("/{file}")))
            .then(|| location[..location.len() - file.len()].to_string())
    };
    let with_go_mod: BTreeSet<String> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == GO)
        .filter_map(|p| dir(&p.location, "go.mod"))
        .collect();
    inventory.packages.retain(|p| {
        p.ecosystem != GO || dir(&p.location, "go.sum").is_none_or(|d| !with_go_mod.contains(&d))
    });
}

/// The words of a go.mod line, comments dropped and quotes removed.
fn words(line: &str) -> Vec<String> {
    let line = line.split("//").next().unwrap_or_default();
    line.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '`').to_string())
        .collect()
}

/// The required modules of a go.mod, with `replace` directives applied.
pub fn go_mod(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut requires: Vec<(String, String)> = Vec::new();
    let mut replaces: Vec<(String, Option<String>, String, Option<String>)> = Vec::new();
    let mut block: Option<String> = None;
    let mut module_seen = false;
    for line in text.lines() {
        let mut w = words(line);
        if w.is_empty() {
            continue;
        }
        let verb = match &block {
            Some(_) if w[0] == ")" => {
                block = None;
                continue;
            }
            Some(verb) => verb.clone(),
            None => {
                let verb = w.remove(0);
                if w.first().map(String::as_str) == Some("(") {
                    block = Some(verb);
                    continue;
                }
                verb
            }
        };
        match (verb.as_str(), w.as_slice()) {
            // The toolchain's own modules: their requirements ship inside `stdlib`.
            ("module", [name]) if name == "std" || name == "cmd" => return Ok(vec![]),
            ("module", [_]) => module_seen = true,
            ("require", [path, version]) => requires.push((path.clone(), version.clone())),
            ("replace", [old, arrow, new @ ..]) if arrow == "=>" => {
                replaces.push((old.clone(), None, target(new)?.0, target(new)?.1))
            }
            ("replace", [old, old_version, arrow, new @ ..]) if arrow == "=>" => replaces.push((
                old.clone(),
                Some(old_version.clone()),
                target(new)?.0,
                target(new)?.1,
            )),
            _ => {}
        }
    }
    if !module_seen {
        return Err("not a go.mod: no module directive".into());
    }
    Ok(requires
        .into_iter()
        .map(|(path, version)| {
            let replacement = replaces.iter().rev().find(|(old, old_v, ..)| {
                *old == path && old_v.as_ref().is_none_or(|v| *v == version)
            });
            match replacement {
                Some((_, _, new, Some(new_v))) => (new.clone(), new_v.clone()),
                Some((_, _, _, None)) => (path, NO_VERSION.to_string()),
                None => (path, version),
            }
        })
        .collect())
}

/// A replacement target: `module version`, or a local directory alone.
fn target(words: &[String]) -> Result<(String, Option<String>), String> {
    match words {
        [path] => Ok((path.clone(), None)),
        [path, version] => Ok((path.clone(), Some(version.clone()))),
        _ => Err(format!("malformed replace directive: {}", words.join(" "))),
    }
}

/// Modules whose content (not only `/go.mod`) go.sum records a hash for: the ones built.
pub fn go_sum(text: &str) -> Vec<(String, String)> {
    let set: BTreeSet<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            match (w.next(), w.next(), w.next()) {
                (Some(path), Some(version), Some(_hash)) if !version.ends_with("/go.mod") => {
                    Some((path.to_string(), version.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_versions_follow_osv() {
        assert_eq!(stdlib_version("go1.19.8").as_deref(), Some("1.19.8"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.22.1 X:boringcrypto").as_deref(),
            Some("1.22.1")
        );
        assert_eq!(stdlib_version("devel go1.23-abcdef"), None);
        assert_eq!(stdlib_version("go"), None);
    }

    #[test]
    fn module_info_applies_replacements() {
        let info = "path\texample.com/app\n\
                    mod\texample.com/app\tv1.0.0\th1:x=\n\
                    dep\tgolang.org/x/text\tv0.3.0\th1:y=\n\
                    =>\tgithub.com/fork/text\tv0.3.8\th1:z=\n\
                    dep\texample.com/local\tv1.2.3\n\
                    =>\t./local\t(devel)\t\n\
                    build\t-compiler=gc\n";
        assert_eq!(
            modules(info),
            [
                ("example.com/app", "v1.0.0"),
                ("github.com/fork/text", "v0.3.8"),
                ("example.com/local", "(devel)"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn go_mod_blocks_replaces_and_comments() {
        let text = r#"module example.com/app // the app

go 1.21

require github.com/a/b v1.0.0
require (
	golang.org/x/net v0.7.0 // indirect
	"github.com/c/d" v2.0.0+incompatible
	example.com/local v0.0.1
)
replace golang.org/x/net v0.7.0 => golang.org/x/net v0.17.0
replace (
	example.com/local => ../local
	github.com/a/b v9.9.9 => github.com/a/b v9.9.10
)
"#;
        let got = go_mod(text).unwrap();
        let want = [
            ("github.com/a/b", "v1.0.0"),
            ("golang.org/x/net", "v0.17.0"),
            ("github.com/c/d", "v2.0.0+incompatible"),
            ("example.com/local", "(devel)"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, want);
        assert!(go_mod("not a go.mod\n").is_err());
        let std = "module std\n\nrequire golang.org/x/net v0.0.0-20220614162138-6c1b26c55098\n";
        assert_eq!(go_mod(std).unwrap(), vec![]);
        // The local replacement has no version: the cataloger leaves it out.
        let result = GoModCataloger.analyze("go.mod", text.as_bytes()).unwrap();
        let FileResult::Packages { packages, .. } = &result[0] else {
            panic!("{result:?}")
        };
        assert_eq!(packages.len(), 3);
        assert!(packages.iter().all(|p| p.name != "example.com/local"));
    }

    #[test]
    fn go_sum_keeps_content_hashes_only() {
        let text = "github.com/a/b v1.0.0 h1:abc=\n\
                    github.com/a/b v1.0.0/go.mod h1:def=\n\
                    github.com/a/b v0.9.0/go.mod h1:ghi=\n\
                    garbage\n";
        assert_eq!(
            go_sum(text),
            [("github.com/a/b".to_string(), "v1.0.0".to_string())]
        );
    }

    #[test]
    fn module_cache_vendor_and_testdata_are_skipped() {
        assert!(GoModCataloger.wants("src/app/go.mod"));
        assert!(GoModCataloger.wants("go.sum"));
        assert!(!GoModCataloger.wants("go/pkg/mod/github.com/a/b@v1.0.0/go.mod"));
        assert!(!GoModCataloger.wants("src/app/vendor/github.com/a/b/go.mod"));
        assert!(!GoModCataloger.wants("src/app/internal/testdata/go.mod"));
        assert!(!GoModCataloger.wants("usr/share/go/src/crypto/_asm/go.mod"));
        assert!(!GoModCataloger.wants("src/app/go.mod.bak"));
    }

    #[test]
    fn go_sum_only_where_no_go_mod_gave_packages() {
        let mut inventory = Inventory::default();
        for (name, location) in [
            ("a", "src/app/go.mod"),
            ("b", "src/app/go.sum"),
            ("c", "src/lib/go.sum"),
            ("d", "go.sum"),
            ("e", "src/app/vendor/x/go.sum"),
        ] {
            inventory
                .packages
                .push(package(GO, name, "v1.0.0", location));
        }
        prefer_go_mod(&mut inventory);
        let kept: Vec<&str> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(kept, ["a", "c", "d", "e"]);
    }

    #[test]
    fn pointer_format_binary_gives_packages() {
        let text = "path\texample.com/old\nmod\texample.com/old\tv1.0.0\t\n\
                    dep\tgithub.com/pkg/errors\tv0.8.1\th1:x=\n";
        let bin = go_buildinfo::tests::pointer_format(
            "go1.16.15",
            &go_buildinfo::tests::framed(text),
            false,
        );
        let result = GoBinaryCataloger.analyze("usr/bin/old", &bin).unwrap();
        let FileResult::Packages { packages, .. } = &result[0] else {
            panic!("{result:?}")
        };
        let purls: Vec<&str> = packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/stdlib@1.16.15",
                "pkg:golang/example.com/old@v1.0.0",
                "pkg:golang/github.com/pkg/errors@v0.8.1"
            ]
        );
        assert!(packages.iter().all(|p| p.location == "usr/bin/old"));
    }
}
