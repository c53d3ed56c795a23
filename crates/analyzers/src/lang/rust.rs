//! Rust: the dependency list `cargo auditable` embeds in binaries (a `.dep-v0` section holding
//! zlib-compressed JSON), and `Cargo.lock` (v1–v4) in source trees. Only crates from a
//! registry or git are reported: path crates (the workspace itself) are not crates.io
//! packages and would match advisories for unrelated crates of the same name.

use super::binary::{wants_executable, Executable};
use super::{ecosystem::CRATES_IO, file_name, found, package, plausible, text, toml_packages};
use artifact::{Analyzer, FileMeta};
use inventory::{FileResult, Package};
use serde::Deserialize;
use std::io::Read;

/// Section names cargo-auditable uses (ELF and PE; Mach-O).
const SECTIONS: &[&str] = &[".dep-v0", "__dep-v0"];
/// Largest decompressed dependency list; auditable-info's own default is the same 8 MiB.
const MAX_JSON: u64 = 8 << 20;

/// Binaries built with `cargo auditable`, anywhere in the image.
pub struct RustBinaryCataloger;

impl Analyzer for RustBinaryCataloger {
    fn name(&self) -> &'static str {
        "rust-binary"
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn wants_file(&self, file: &FileMeta) -> bool {
        wants_executable(file)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        // Unreadable executable headers are reported once, by the Go cataloger, which parses
        // the same headers of the same files.
        let Ok(Some(exe)) = Executable::parse(content) else {
            return Ok(vec![]);
        };
        let Some(compressed) = exe.section(content, SECTIONS) else {
            return Ok(vec![]);
        };
        Ok(found(auditable_packages(path, compressed)?))
    }
}

#[derive(Deserialize)]
struct AuditInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
}

/// The crates a cargo-auditable section lists: runtime dependencies from crates.io or git
/// (build-time-only crates are not in the binary).
pub fn auditable_packages(path: &str, compressed: &[u8]) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("corrupt cargo-auditable data: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err(format!(
            "cargo-auditable data expands past {MAX_JSON} bytes"
        ));
    }
    let info: AuditInfo =
        serde_json::from_slice(&json).map_err(|e| format!("corrupt cargo-auditable JSON: {e}"))?;
    Ok(info
        .packages
        .into_iter()
        .filter(|p| matches!(p.source.as_str(), "crates.io" | "git"))
        .filter(|p| p.kind.as_deref().is_none_or(|k| k == "runtime"))
        .filter(|p| plausible(&p.name, &p.version))
        .map(|p| package(CRATES_IO, &p.name, &p.version, path))
        .collect())
}

/// `Cargo.lock` files.
pub struct CargoLockCataloger;

impl Analyzer for CargoLockCataloger {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn wants(&self, path: &str) -> bool {
        // Crates unpacked in cargo's own cache ship lock files of their own: not applications.
        file_name(path) == "Cargo.lock"
            && !path.contains(".cargo/registry/")
            && !path.contains(".cargo/git/")
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        // Every Cargo.lock version (1–4) writes `[[package]]` tables one key per line.
        let packages = toml_packages(text(content)?)
            .into_iter()
            .filter(|p| !p.source.is_empty())
            .filter(|p| plausible(&p.name, &p.version))
            .map(|p| package(CRATES_IO, &p.name, &p.version, path))
            .collect();
        Ok(found(packages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn auditable_json_keeps_runtime_registry_crates() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"itoa","version":"1.0.9","source":"crates.io"},
            {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},
            {"name":"forked","version":"0.2.0","source":"git"}]}"#;
        let packages = auditable_packages("bin/app", &zlib(json)).unwrap();
        let purls: Vec<&str> = packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(purls, ["pkg:cargo/itoa@1.0.9", "pkg:cargo/forked@0.2.0"]);
        assert!(packages.iter().all(|p| p.ecosystem == "crates.io"));
    }

    #[test]
    fn zlib_bombs_and_garbage_are_errors() {
        let bomb = zlib(&vec![b' '; (MAX_JSON + 10) as usize]);
        assert!(bomb.len() < 100_000);
        let e = auditable_packages("x", &bomb).unwrap_err();
        assert!(e.contains("expands past"), "{e}");
        assert!(auditable_packages("x", b"not zlib").is_err());
        assert!(auditable_packages("x", &zlib(b"{\"packages\": 3}")).is_err());
    }

    #[test]
    fn cargo_lock_v1_and_v4() {
        let v1 = r#"[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa 1.0.9 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "itoa"
version = "1.0.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum itoa 1.0.9 (registry+https://github.com/rust-lang/crates.io-index)" = "abc"
"#;
        let v4 = "# generated\nversion = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.1\"\n\
                  source = \"sparse+https://index.crates.io/\"\nchecksum = \"00\"\n";
        for (text, want) in [
            (v1, vec!["pkg:cargo/itoa@1.0.9"]),
            (v4, vec!["pkg:cargo/serde@1.0.1"]),
        ] {
            let result = CargoLockCataloger
                .analyze("Cargo.lock", text.as_bytes())
                .unwrap();
            let FileResult::Packages { packages, .. } = &result[0] else {
                panic!()
            };
            let purls: Vec<&str> = packages.iter().map(|p| p.purl.as_str()).collect();
            assert_eq!(purls, want);
        }
    }

    #[test]
    fn lock_files_in_cargo_s_cache_are_skipped() {
        assert!(CargoLockCataloger.wants("src/app/Cargo.lock"));
        assert!(!CargoLockCataloger
            .wants("root/.cargo/registry/src/index.crates.io-0/ripgrep-14.0.0/Cargo.lock"));
    }

    #[test]
    fn executables_without_the_section_give_nothing() {
        let bin = crate::lang::go_buildinfo::tests::elf_with(b"no deps here");
        assert_eq!(RustBinaryCataloger.analyze("bin/x", &bin).unwrap(), vec![]);
    }
}
