//! Go, Rust and Java packages from artifacts built here by the real tools (Debian's `go`,
//! `cargo auditable`, the JDK's `javac`/`jar`), checked against what those tools report
//! themselves (`go version -m`, the Cargo.lock cargo wrote) or what the test put in, then
//! scanned in a real OCI image and matched against the real OSV Go and crates.io feeds.
//! Tools are installed by `.ci/setup-lang-binaries.sh`.

mod common;
#[path = "lang_binaries/fixtures.rs"]
mod fixtures;
#[path = "lang_binaries/osv.rs"]
mod osv;

use analyzers::lang::rust::RustBinaryCataloger;
use analyzers::lang::{golang::GoBinaryCataloger, java::JavaArchiveCataloger};
use artifact::Analyzer;
use common::*;
use fixtures::*;
use inventory::FileResult;
use osv::osv_expected;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn packages(results: Vec<FileResult>) -> BTreeSet<(String, String)> {
    results
        .into_iter()
        .flat_map(|r| match r {
            FileResult::Packages { packages, .. } => packages,
            other => panic!("unexpected {other:?}"),
        })
        .map(|p| (p.name, p.version))
        .collect()
}

// ---------- Go ----------

/// A Go program with a dependency replaced by a local directory (`example.com/lib`) and a
/// vendored module under a real module path and version (`golang.org/x/text v0.3.0`, a
/// stand-in package written here: the build is offline), built with `go build`.
fn go_app(dir: &Path) -> PathBuf {
    go_build(dir, "goapp", &[])
}

/// Builds the program of [`go_app`] into `dir/name` with extra environment (GOOS, GOARCH)
/// and `go build` flags taken from `env` (`FLAGS`).
fn go_build(dir: &Path, name: &str, env: &[(&str, &str)]) -> PathBuf {
    let src = dir.join("go");
    if !src.exists() {
        write_go_sources(&src);
    }
    let bin = dir.join(name);
    let mut cmd = Command::new("go");
    cmd.arg("build");
    if let Some((_, flags)) = env.iter().find(|(k, _)| *k == "FLAGS") {
        cmd.arg(flags);
    }
    cmd.arg("-o")
        .arg(&bin)
        .arg(".")
        .current_dir(&src)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=vendor")
        .env("CGO_ENABLED", "0")
        // Kept between runs: cross-compiling the standard library takes ~20 s per target.
        .env(
            "GOCACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("gocache"),
        )
        // Nothing is downloaded; a GOPATH of its own keeps go from needing $HOME.
        .env("GOPATH", dir.join("gopath"));
    for (k, v) in env.iter().filter(|(k, _)| *k != "FLAGS") {
        cmd.env(k, v);
    }
    run(&mut cmd);
    bin
}

/// What `go version` and `go version -m` say: the stdlib version as OSV names it (`go1.19.8`
/// → `1.19.8`, `go1.20` → `1.20.0`) and each module, a replacement by a module version
/// taking its place. A local-directory replacement or a main module built without VCS data
/// (`(devel)`) has no version and is not reported.
fn go_oracle(bin: &Path) -> BTreeSet<(String, String)> {
    let version = run(Command::new("go").arg("version"));
    let toolchain = version
        .split_whitespace()
        .nth(2)
        .unwrap()
        .trim_start_matches("go");
    let stdlib = if toolchain.matches('.').count() == 1 {
        format!("{toolchain}.0")
    } else {
        toolchain.to_string()
    };
    let mut modules: Vec<(String, String)> = Vec::new();
    for line in run(Command::new("go").args(["version", "-m"]).arg(bin)).lines() {
        let fields: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        match fields.as_slice() {
            ["mod" | "dep", path, version, ..] => {
                modules.push((path.to_string(), version.to_string()))
            }
            ["=>", path, version, ..] => {
                let last = modules.last_mut().unwrap();
                *last = if version.is_empty() || *version == "(devel)" {
                    (last.0.clone(), "(devel)".into())
                } else {
                    (path.to_string(), version.to_string())
                };
            }
            _ => {}
        }
    }
    modules.push(("stdlib".into(), stdlib));
    modules.retain(|(_, version)| version != "(devel)");
    modules.into_iter().collect()
}

#[test]
fn go_binary_agrees_with_go_version_m() {
    let dir = tempfile::tempdir().unwrap();
    let bin = go_app(dir.path());
    let want = go_oracle(&bin);
    assert!(
        want.contains(&("golang.org/x/text".into(), "v0.3.0".into())),
        "{want:?}"
    );
    let bytes = std::fs::read(&bin).unwrap();
    let got = packages(GoBinaryCataloger.analyze("usr/bin/goapp", &bytes).unwrap());
    assert_eq!(got, want);

    // Every truncation of the real binary is an error or a result, never a panic.
    for len in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let _ = GoBinaryCataloger.analyze("usr/bin/goapp", &bytes[..len]);
    }
}

#[test]
fn go_binaries_of_every_format() {
    // PE, Mach-O, 32-bit ELF, and an ELF without symbols or DWARF, each against `go version -m`.
    let dir = tempfile::tempdir().unwrap();
    let targets: [(&str, &[(&str, &str)]); 4] = [
        ("app.exe", &[("GOOS", "windows"), ("GOARCH", "amd64")]),
        ("app-darwin", &[("GOOS", "darwin"), ("GOARCH", "arm64")]),
        ("app-386", &[("GOOS", "linux"), ("GOARCH", "386")]),
        ("app-stripped", &[("FLAGS", "-ldflags=-s -w")]),
    ];
    for (name, env) in targets {
        let bin = go_build(dir.path(), name, env);
        let bytes = std::fs::read(&bin).unwrap();
        let got = packages(GoBinaryCataloger.analyze(name, &bytes).unwrap());
        assert_eq!(got, go_oracle(&bin), "{name}");
        // Not a Rust binary: no packages, no error.
        assert_eq!(RustBinaryCataloger.analyze(name, &bytes).unwrap(), vec![]);
    }
}

// ---------- Rust ----------

/// Registry crates in the Cargo.lock cargo wrote, read with the `toml`-free line format it
/// documents: `[[package]]`, `name = "…"`, `version = "…"`, `source = "…"`.
fn lock_oracle(lock: &str) -> BTreeSet<(String, String)> {
    lock.split("[[package]]")
        .skip(1)
        .filter(|table| table.contains("\nsource = \"registry+"))
        .map(|table| {
            let field = |key: &str| {
                let line = table.lines().find(|l| l.starts_with(key)).unwrap();
                line.split('"').nth(1).unwrap().to_string()
            };
            (field("name = "), field("version = "))
        })
        .collect()
}

#[test]
fn rust_binary_agrees_with_its_cargo_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, lock) = rust_app(dir.path());
    let want = cargo_tree_runtime(&bin);
    // The lock file also has the build-only autocfg; the binary does not.
    assert!(lock_oracle(&lock).contains(&("autocfg".into(), "1.1.0".into())));
    assert!(!want.iter().any(|(name, _)| name == "autocfg"), "{want:?}");
    assert_eq!(want.len(), 2, "{lock}");
    let bytes = std::fs::read(&bin).unwrap();
    let got = packages(
        RustBinaryCataloger
            .analyze("usr/bin/rsapp", &bytes)
            .unwrap(),
    );
    assert_eq!(got, want);
    for len in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let _ = RustBinaryCataloger.analyze("usr/bin/rsapp", &bytes[..len]);
    }
}

// ---------- Java ----------

#[test]
fn jars_built_by_the_jdk() {
    let dir = tempfile::tempdir().unwrap();
    let (ear, want) = java_app(dir.path());
    let result = JavaArchiveCataloger
        .analyze("opt/app/app.ear", &std::fs::read(ear).unwrap())
        .unwrap();
    let FileResult::Packages { packages, .. } = &result[0] else {
        panic!("{result:?}")
    };
    let got: BTreeSet<_> = packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.location.clone()))
        .collect();
    assert_eq!(got, want);
    let hello = packages.iter().find(|p| p.version == "1.4.2").unwrap();
    assert_eq!(hello.purl, "pkg:maven/org.example.demo/hello-core@1.4.2");
    assert_eq!(hello.ecosystem, "maven");
}

#[test]
fn hostile_archives_are_errors() {
    let bomb = zip_bomb();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let e = JavaArchiveCataloger.analyze("bomb.jar", &bomb).unwrap_err();
    assert!(
        e.contains("bomb.jar!lib/zeros.jar") && e.contains("zip bomb"),
        "{e}"
    );
    let e = JavaArchiveCataloger
        .analyze("cut.jar", &bomb[..bomb.len() / 2])
        .unwrap_err();
    assert!(e.contains("cut.jar: corrupt zip archive"), "{e}");
}

/// Deterministic byte flips (half of them in the headers) and truncations of real artifacts:
/// every result is a value or an error, never a panic.
#[test]
fn mutated_artifacts_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let go = std::fs::read(go_app(dir.path())).unwrap();
    let (rs, _) = rust_app(dir.path());
    let rs = std::fs::read(rs).unwrap();
    let (ear, _) = java_app(dir.path());
    let ear = std::fs::read(ear).unwrap();
    let cases: [(&dyn Analyzer, &str, &[u8]); 3] = [
        (&GoBinaryCataloger, "bin/go", &go),
        (&RustBinaryCataloger, "bin/rs", &rs),
        (&JavaArchiveCataloger, "app.ear", &ear),
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % bound.max(1)
    };
    for (analyzer, path, original) in cases {
        for round in 0..300 {
            let mut bytes = original.to_vec();
            let span = if round % 2 == 0 {
                4096.min(bytes.len())
            } else {
                bytes.len()
            };
            for _ in 0..1 + next(8) {
                let at = next(span);
                bytes[at] ^= 1 << next(8);
            }
            if round % 10 == 0 {
                bytes.truncate(next(bytes.len()));
            }
            let _ = analyzer.analyze(path, &bytes);
        }
    }
}

// ---------- the image ----------

fn cache_with_language_feeds(dir: &Path) -> PathBuf {
    let cache = dir.join("cache");
    let osv = shared().join("data/osv");
    let feeds = ["Go.jsonl.zst", "crates.io.jsonl.zst"].map(|f| osv.join(f).display().to_string());
    let out = bulkhead(&["db", "import", &feeds[0], &feeds[1]], &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cache
}

/// The purl the spec gives each type, written out for this test's plain names.
fn expected_purl(p: &Value) -> String {
    let (name, version) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
    match p["ecosystem"].as_str().unwrap() {
        "go" => format!("pkg:golang/{name}@{version}"),
        "crates.io" => format!("pkg:cargo/{name}@{version}"),
        "maven" => match name.split_once(':') {
            Some((group, artifact)) => format!("pkg:maven/{group}/{artifact}@{version}"),
            None => format!("pkg:maven/{name}@{version}"),
        },
        other => panic!("{other}"),
    }
}

const GO_MOD: &str = "module example.com/server\n\ngo 1.20\n\nrequire (\n\
    \tgithub.com/pkg/errors v0.9.1\n\tgolang.org/x/net v0.7.0 // indirect\n)\n\n\
    replace github.com/pkg/errors => github.com/pkg/errors v0.9.2\n";
const GO_SUM: &str =
    "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n\
    github.com/pkg/errors v0.9.1/go.mod h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0=\n\
    golang.org/x/net v0.5.0/go.mod h1:DivGGAXEgPSlEBzxGzZI+ZLohi+xUj054jfeKui00ws=\n\
    golang.org/x/net v0.7.0 h1:rJrUqqhjsgNp7KqAIc25s9pZnjU7TUcSY7HcVZjdn1g=\n\
    golang.org/x/net v0.7.0/go.mod h1:2Tu9+aMcznHK/AK1HMvgo6xiTLG5rD5rZLDS+rp2Bjs=\n";

#[test]
fn image_with_go_rust_and_java_packages() {
    let dir = tempfile::tempdir().unwrap();
    let go = std::fs::read(go_app(dir.path())).unwrap();
    let (rs_bin, lock) = rust_app(dir.path());
    let rs = std::fs::read(rs_bin).unwrap();
    let (ear, java_want) = java_app(dir.path());
    let layers = vec![
        layer(
            "COPY goapp /usr/local/bin/",
            vec![
                os_release("debian", "12"),
                Node::Executable("usr/local/bin/goapp".into(), go.clone()),
                // Not executable: the Go cataloger does not read it.
                file("usr/share/doc/goapp.copy", &go),
            ],
        ),
        layer(
            "COPY rsapp app.ear broken",
            vec![
                Node::Executable("usr/local/bin/rsapp".into(), rs),
                file("opt/app/app.ear", std::fs::read(ear).unwrap()),
                Node::Executable("usr/local/bin/broken".into(), go[..go.len() / 3].to_vec()),
                file("opt/app/bomb.jar", zip_bomb()),
            ],
        ),
        layer(
            "COPY src /src",
            vec![
                file("src/app/go.mod", GO_MOD),
                // Beside a go.mod, go.sum adds nothing; alone, it is the fallback.
                file("src/app/go.sum", GO_SUM),
                file("src/lib/go.sum", GO_SUM),
            ],
        ),
    ];
    let built = build(&layers, "amd64");
    oci_layout(&dir.path().join("oci"), &[("latest", &built)]);
    let cache = cache_with_language_feeds(dir.path());
    let target = dir.path().join("oci").display().to_string();
    let out = bulkhead(&["image", "--format", "json", "--quiet", &target], &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Packages: (ecosystem, name, version, location, layer), each computed from its oracle.
    let mut want = BTreeSet::new();
    let go_modules = go_oracle(&dir.path().join("goapp"));
    for (n, v) in &go_modules {
        want.insert((
            "go".to_string(),
            n.clone(),
            v.clone(),
            "usr/local/bin/goapp".to_string(),
            0,
        ));
    }
    let crates = cargo_tree_runtime(&dir.path().join("rs/target/debug/rsapp"));
    assert!(lock_oracle(&lock).is_superset(&crates));
    for (n, v) in &crates {
        want.insert((
            "crates.io".into(),
            n.clone(),
            v.clone(),
            "usr/local/bin/rsapp".into(),
            1,
        ));
    }
    for (n, v, l) in &java_want {
        want.insert(("maven".into(), n.clone(), v.clone(), l.clone(), 1));
    }
    // What GO_MOD requires (its replace applied) and the modules GO_SUM hashes content of.
    let source_modules = [
        ("golang.org/x/net", "v0.7.0", "src/app/go.mod"),
        ("github.com/pkg/errors", "v0.9.2", "src/app/go.mod"),
        ("golang.org/x/net", "v0.7.0", "src/lib/go.sum"),
        ("github.com/pkg/errors", "v0.9.1", "src/lib/go.sum"),
    ];
    for (n, v, l) in source_modules {
        want.insert(("go".into(), n.into(), v.into(), l.into(), 2));
    }
    let mut go_modules = go_modules;
    go_modules.extend(source_modules.map(|(n, v, _)| (n.to_string(), v.to_string())));
    let got: BTreeSet<_> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| ["go", "crates.io", "maven"].contains(&p["ecosystem"].as_str().unwrap()))
        .map(|p| {
            let layer = p["layer"]["index"].as_u64().unwrap() as usize;
            assert_eq!(p["layer"]["digest"], built.diff_ids[layer].as_str());
            assert_eq!(p["purl"].as_str().unwrap(), expected_purl(p), "{p}");
            (
                p["ecosystem"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                p["location"].as_str().unwrap().to_string(),
                layer,
            )
        })
        .collect();
    assert_eq!(got, want);

    // The truncated binary and the zip bomb are warnings naming the file, not failures (one
    // from the catalogers; the malware scanner says for itself what of the bomb it skipped).
    let warned: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| {
            !w["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("malware:")
        })
        .map(|w| w["file"].as_str().unwrap_or_default().to_string())
        .collect();
    for file in ["opt/app/bomb.jar", "usr/local/bin/broken"] {
        let count = warned.iter().filter(|f| f.contains(file)).count();
        assert_eq!(count, 1, "{file}: {warned:?}");
    }

    // Vulnerabilities: every advisory of the real feeds whose ranges hold our versions.
    let mut want_vulns = osv_expected("Go.jsonl.zst", "Go", &go_modules);
    want_vulns.extend(osv_expected("crates.io.jsonl.zst", "crates.io", &crates));
    assert!(
        want_vulns.iter().any(|(p, _)| p == "stdlib"),
        "{want_vulns:?}"
    );
    assert!(
        want_vulns.iter().any(|(p, _)| p == "smallvec"),
        "{want_vulns:?}"
    );
    let got_vulns: BTreeSet<(String, String)> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| ["go", "crates.io"].contains(&v["ecosystem"].as_str().unwrap_or_default()))
        .map(|v| {
            (
                v["package"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    eprintln!(
        "image: {} Go/Rust/Java packages, {} Go/crates.io advisories expected",
        got.len(),
        want_vulns.len()
    );
    assert_eq!(got_vulns, want_vulns);
}
