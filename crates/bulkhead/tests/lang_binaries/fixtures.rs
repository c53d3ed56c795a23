//! Artifacts built by the real tools for the Go, Rust and Java tests: a Go module tree, a
//! vendored crates.io source for `cargo auditable`, jars made by `javac` and `jar`.

use super::common::sha256;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETUP: &str = ".ci/setup-lang-binaries.sh";

/// Runs a tool, asserting success; a missing tool names the setup script.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} — install it with {SETUP}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn write_go_sources(src: &Path) {
    write(
        &src.join("go.mod"),
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/lib v1.2.3\n\
         \tgolang.org/x/text v0.3.0\n)\n\nreplace example.com/lib => ./lib\n",
    );
    let lib = "package lib\n\nfunc Name() string { return \"lib\" }\n";
    write(
        &src.join("lib/go.mod"),
        "module example.com/lib\n\ngo 1.19\n",
    );
    write(&src.join("lib/lib.go"), lib);
    write(&src.join("vendor/example.com/lib/lib.go"), lib);
    write(
        &src.join("vendor/golang.org/x/text/language/language.go"),
        "package language\n\nfunc Tag() string { return \"en\" }\n",
    );
    write(
        &src.join("vendor/modules.txt"),
        "# example.com/lib v1.2.3 => ./lib\n## explicit; go 1.19\nexample.com/lib\n\
         # golang.org/x/text v0.3.0\n## explicit\ngolang.org/x/text/language\n\
         # example.com/lib => ./lib\n",
    );
    write(
        &src.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n\t\"golang.org/x/text/language\"\n)\n\n\
         func main() { fmt.Println(lib.Name(), language.Tag()) }\n",
    );
}

/// The itoa version the workspace itself locks, so its .crate is in the local cargo cache.
pub fn cached_crate(name: &str) -> (String, PathBuf) {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let marker = format!("name = \"{name}\"\nversion = \"");
    let at = lock.find(&marker).unwrap() + marker.len();
    let version = lock[at..].split('"').next().unwrap().to_string();
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let file = format!("{name}-{version}.crate");
    let found = std::fs::read_dir(home.join("registry/cache"))
        .unwrap()
        .map(|d| d.unwrap().path().join(&file))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{file} is not in the cargo cache"));
    (version, found)
}

/// A binary built by `cargo auditable build --offline` from a vendored crates.io source: the
/// real itoa crate from the cargo cache, and `smallvec 0.6.9`, a stand-in written here under
/// a real name and version so the binary carries a crate with real advisories.
/// Returns the binary and the Cargo.lock cargo wrote.
pub fn rust_app(dir: &Path) -> (PathBuf, String) {
    let src = dir.join("rs");
    let vendor = src.join("vendor");
    let (itoa, crate_file) = cached_crate("itoa");
    std::fs::create_dir_all(&vendor).unwrap();
    let crate_bytes = std::fs::read(&crate_file).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(crate_bytes.as_slice()))
        .unpack(&vendor)
        .unwrap();
    std::fs::rename(vendor.join(format!("itoa-{itoa}")), vendor.join("itoa")).unwrap();
    let checksum = |bytes: &[u8]| sha256(bytes).trim_start_matches("sha256:").to_string();
    write(
        &vendor.join("itoa/.cargo-checksum.json"),
        format!(r#"{{"files":{{}},"package":"{}"}}"#, checksum(&crate_bytes)),
    );
    // Stand-ins under real names: smallvec 0.6.9 (real advisories) at run time, autocfg as a
    // build-only dependency, which is not in the binary.
    for (name, version) in [("smallvec", "0.6.9"), ("autocfg", "1.1.0")] {
        write(
            &vendor.join(format!("{name}/Cargo.toml")),
            format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2018\"\n"),
        );
        write(
            &vendor.join(format!("{name}/src/lib.rs")),
            "pub fn len() -> usize { 0 }\n",
        );
        write(
            &vendor.join(format!("{name}/.cargo-checksum.json")),
            format!(
                r#"{{"files":{{}},"package":"{}"}}"#,
                checksum(name.as_bytes())
            ),
        );
    }
    write(
        &src.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"vendor\"\n",
    );
    write(
        &src.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rsapp\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
             [dependencies]\nitoa = \"={itoa}\"\nsmallvec = \"=0.6.9\"\n\n\
             [build-dependencies]\nautocfg = \"=1.1.0\"\n"
        ),
    );
    write(
        &src.join("build.rs"),
        "fn main() {\n    assert_eq!(autocfg::len(), 0);\n}\n",
    );
    write(
        &src.join("src/main.rs"),
        "fn main() {\n    let mut b = itoa::Buffer::new();\n    println!(\"{} {}\", b.format(42), smallvec::len());\n}\n",
    );
    let out = Command::new("cargo")
        .args(["auditable", "build", "--offline", "--quiet"])
        .current_dir(&src)
        .env_remove("RUSTFLAGS")
        .env("CARGO_TARGET_DIR", src.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo auditable build failed (install cargo-auditable with {SETUP}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::read_to_string(src.join("Cargo.lock")).unwrap();
    (src.join("target/debug/rsapp"), lock)
}

/// The registry crates linked into the binary as `cargo tree -e normal` lists them (path
/// crates, shown with their directory, left out).
pub fn cargo_tree_runtime(bin: &Path) -> BTreeSet<(String, String)> {
    let src = bin.ancestors().nth(3).unwrap();
    let tree = run(Command::new("cargo")
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .current_dir(src));
    tree.lines()
        .filter(|line| !line.contains(" (/"))
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap().to_string();
            let version = words.next().unwrap().trim_start_matches('v').to_string();
            (name, version)
        })
        .collect()
}

/// `app.ear` holding `app.war`, whose WEB-INF/lib has a jar with pom.properties and a jar
/// with only a manifest, all made by `javac` and `jar`. Returns the ear and the expected
/// (name, version, location) of each package.
pub fn java_app(dir: &Path) -> (PathBuf, BTreeSet<(String, String, String)>) {
    let j = dir.join("java");
    write(
        &j.join("src/Hello.java"),
        "public class Hello { public static void main(String[] a) { System.out.println(\"hi\"); } }\n",
    );
    run(Command::new("javac")
        .arg("-d")
        .arg(j.join("classes"))
        .arg(j.join("src/Hello.java")));
    let (group, artifact, version) = ("org.example.demo", "hello-core", "1.4.2");
    write(
        &j.join(format!(
            "pom/META-INF/maven/{group}/{artifact}/pom.properties"
        )),
        format!("#Generated by Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n"),
    );
    let lib = j.join("war/WEB-INF/lib");
    std::fs::create_dir_all(&lib).unwrap();
    let jar = |args: &[&str], cwd: &Path| run(Command::new("jar").args(args).current_dir(cwd));
    let hello = lib.join("hello-core-1.4.2.jar");
    jar(
        &[
            "cf",
            hello.to_str().unwrap(),
            "-C",
            "classes",
            ".",
            "-C",
            "pom",
            ".",
        ],
        &j,
    );
    write(
        &j.join("manifest.txt"),
        "Implementation-Title: util\nImplementation-Version: 2.3.4\nImplementation-Vendor-Id: org.util\n",
    );
    let util = lib.join("util.jar");
    jar(
        &[
            "cfm",
            util.to_str().unwrap(),
            "manifest.txt",
            "-C",
            "classes",
            ".",
        ],
        &j,
    );
    write(&j.join("war/WEB-INF/web.xml"), "<web-app/>\n");
    jar(&["cf", "../app.war", "."], &j.join("war"));
    std::fs::create_dir_all(j.join("ear")).unwrap();
    std::fs::rename(j.join("app.war"), j.join("ear/app.war")).unwrap();
    jar(&["cf", "../app.ear", "."], &j.join("ear"));
    let base = "opt/app/app.ear!app.war!WEB-INF/lib";
    let want = [
        (
            format!("{group}:{artifact}"),
            version,
            format!("{base}/hello-core-1.4.2.jar"),
        ),
        (
            "org.util:util".to_string(),
            "2.3.4",
            format!("{base}/util.jar"),
        ),
    ]
    .into_iter()
    .map(|(n, v, l)| (n, v.to_string(), l))
    .collect();
    (j.join("app.ear"), want)
}

/// A jar whose nested jar inflates to 200 MiB of zeros from a few hundred KiB.
pub fn zip_bomb() -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("lib/zeros.jar", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..200 {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}
