//! Every limit set lower with `--limit KEY=VALUE` stops the input that passes it, with an
//! error or a warning naming the file and the key to raise — the same path a hostile input
//! takes at the default limits, reached here with small, fast inputs.

use super::{debian10, image_with, package_names, scan};
use crate::common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The warnings of a JSON report that name `file` and mention `text`.
fn warned(report: &serde_json::Value, file: &str, text: &str) -> bool {
    report["warnings"].as_array().is_some_and(|warnings| {
        warnings.iter().any(|w| {
            let whole = w.to_string();
            whole.contains(file) && whole.contains(text)
        })
    })
}

fn run(args: &[&str], cache: &Path) -> (Option<i32>, serde_json::Value, String) {
    let out = bulkhead(args, cache);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), report, err)
}

#[test]
fn an_unknown_limit_is_an_error_that_lists_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["--limit", "layers=3", "limits"], dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown limit `layers`"), "{err}");
    assert!(
        err.contains("sbom-packages") && err.contains("tar-header"),
        "{err}"
    );
    let (code, _, err) = run(&["--limit", "tar-header=1.5MiB", "limits"], dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("tar-header") && err.contains("1.5MiB"),
        "{err}"
    );
}

#[test]
fn limits_lists_every_key_with_its_value_from_flags_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["--limit", "sbom-packages=7", "limits"])
        .env("BULKHEAD_LIMITS", "tar-header=4MiB,stdin=2KiB")
        .env("BULKHEAD_CACHE_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("{key} listed: {text}"))
            .to_string()
    };
    // The flag wins over the environment (clap reads the variable only without the flag).
    assert!(
        line("sbom-packages").contains("7 (default 500000)"),
        "{text}"
    );
    assert!(line("tar-header").contains("1MiB"), "{text}");
    assert!(line("feed-record").contains("16MiB"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .arg("limits")
        .env("BULKHEAD_LIMITS", "tar-header=4MiB,stdin=2KiB")
        .env("BULKHEAD_CACHE_DIR", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4MiB (default 1MiB)"), "{text}");
    assert!(text.contains("2KiB (default 64MiB)"), "{text}");
}

#[test]
fn a_long_name_over_the_tar_header_limit_is_an_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("srv/{}/app.env", "d".repeat(8 << 10));
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![os_release("debian", "10"), file(&long, "A=1\n")],
        )],
    );
    let (code, _, err) = scan(&layout, &["--limit", "tar-header=4KiB", "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("over the 4KiB limit"), "{err}");
    assert!(err.contains("--limit tar-header="), "{err}");
    // The default admits it.
    let (code, _, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_manifest_over_the_document_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(dir.path(), vec![layer("x", debian10())]);
    let (code, _, err) = scan(&layout, &["--limit", "document=100", "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("index.json"), "names the document: {err}");
    assert!(err.contains("larger than 100 bytes"), "{err}");
    assert!(err.contains("--limit document="), "{err}");
}

#[test]
fn nested_indexes_past_the_index_depth_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&[layer("x", debian10())], "amd64");
    let layout = dir.path().join("oci");
    oci_multiplatform(&layout, &[("linux/amd64", &built)]);
    // One more index around the multi-platform one: index.json → index → index → manifest.
    let top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let outer = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": top["manifests"]}))
    .unwrap();
    let digest = sha256(&outer);
    std::fs::write(super::blob_path(&layout, &digest), &outer).unwrap();
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest,
        "size": outer.len()}]});
    std::fs::write(layout.join("index.json"), top.to_string()).unwrap();
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["bash"]);
    let (code, _, err) = scan(&layout, &["--limit", "index-depth=1", "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("indexes nested more than 1 deep"), "{err}");
    assert!(err.contains("--limit index-depth="), "{err}");
}

#[test]
fn a_lock_file_over_the_manifest_limit_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let lock = serde_json::json!({
        "name": "app", "lockfileVersion": 3,
        "packages": {"": {"name": "app"}, "node_modules/lodash": {"version": "4.17.4"}},
        "padding": "x".repeat(2048),
    });
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("debian", "10"),
                file("srv/app/package-lock.json", lock.to_string()),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["lodash"]);
    let (code, out, err) = scan(&layout, &["--limit", "manifest-file=1KiB", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        warned(
            &report,
            "srv/app/package-lock.json",
            "--limit manifest-file="
        ),
        "{}",
        report["warnings"]
    );
}

fn jar(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn pom(artifact: &str) -> (&'static str, Vec<u8>) {
    let text = format!("groupId=org.example\nartifactId={artifact}\nversion=1.0.0\n");
    (
        "META-INF/maven/org.example/app/pom.properties",
        text.into_bytes(),
    )
}

#[test]
fn a_jar_over_the_archive_entry_limit_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries: Vec<(&str, Vec<u8>)> = vec![pom("app")];
    let names: Vec<String> = (0..10).map(|i| format!("res/{i}.txt")).collect();
    entries.extend(names.iter().map(|n| (n.as_str(), b"x".to_vec())));
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![file("srv/app.jar", jar(&entries))])],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["org.example:app"]);
    let (code, out, err) = scan(&layout, &["--limit", "archive-entries=5", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        warned(&report, "srv/app.jar", "11 zip entries, over 5"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "srv/app.jar", "--limit archive-entries="));
}

#[test]
fn jars_nested_past_the_archive_depth_are_a_warning_naming_the_inner_one() {
    let dir = tempfile::tempdir().unwrap();
    let inner = jar(&[pom("inner")]);
    let middle = jar(&[pom("middle"), ("lib/inner.jar", inner)]);
    let outer = jar(&[pom("outer"), ("lib/middle.jar", middle)]);
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![file("srv/app.jar", outer)])],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        package_names(&out),
        [
            "org.example:inner",
            "org.example:middle",
            "org.example:outer"
        ]
    );
    let (code, out, err) = scan(&layout, &["--limit", "archive-depth=1", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        warned(
            &report,
            "srv/app.jar",
            "srv/app.jar!lib/middle.jar!lib/inner.jar"
        ),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "srv/app.jar", "--limit archive-depth="));
}

#[test]
fn an_rpm_database_over_the_row_limit_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // The real CBL-Mariner 2.0 database: 129 packages.
    let db = fixture("knqyf263+go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite");
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("almalinux", "9.3"),
                file("var/lib/rpm/rpmdb.sqlite", &db),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &["--limit", "rpm-rows=10", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        warned(&report, "var/lib/rpm/rpmdb.sqlite", "more than 10 packages"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "rpmdb.sqlite", "--limit rpm-rows="));
}

fn cyclonedx(count: usize) -> String {
    let components: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            serde_json::json!({"type": "library", "name": format!("p{i}"), "version": "1.0.0",
                "purl": format!("pkg:npm/p{i}@1.0.0")})
        })
        .collect();
    serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": components})
    .to_string()
}

#[test]
fn an_sbom_over_the_package_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("three.cdx.json");
    std::fs::write(&sbom, cyclonedx(3)).unwrap();
    let path = sbom.to_str().unwrap();
    let (code, report, err) = run(&["sbom", "--format", "json", path], cache_with_os_feeds());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["packages"].as_array().unwrap().len(), 3);
    let args = ["--limit", "sbom-packages=2", "sbom", path];
    let (code, _, err) = run(&args, cache_with_os_feeds());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("three.cdx.json") && err.contains("more than 2"),
        "{err}"
    );
    assert!(err.contains("--limit sbom-packages="), "{err}");
}

#[test]
fn an_sbom_over_the_byte_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("big.cdx.json");
    std::fs::write(&sbom, cyclonedx(30)).unwrap();
    let args = ["--limit", "sbom-bytes=1KiB", "sbom", sbom.to_str().unwrap()];
    let (code, _, err) = run(&args, cache_with_os_feeds());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("big.cdx.json") && err.contains("larger than 1KiB"),
        "{err}"
    );
    assert!(err.contains("--limit sbom-bytes="), "{err}");
}

#[test]
fn a_vex_document_over_the_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(dir.path(), vec![layer("x", debian10())]);
    let vex = dir.path().join("big.openvex.json");
    let statements = serde_json::json!({"@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "x", "author": "y", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [], "padding": "x".repeat(400)});
    std::fs::write(&vex, statements.to_string()).unwrap();
    let vex = vex.to_str().unwrap();
    let (code, _, err) = scan(&layout, &["--vex", vex, "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = scan(&layout, &["--vex", vex, "--limit", "vex-bytes=256", "-q"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("big.openvex.json") && err.contains("larger than 256"),
        "{err}"
    );
    assert!(err.contains("--limit vex-bytes="), "{err}");
}

/// `bulkhead config --format json DIR` with extra arguments first.
fn config(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let target = dir.to_str().unwrap();
    let args = [extra, &["config", "--format", "json", target]].concat();
    ok_json(bulkhead(&args, &dir.join(".cache")))
}

#[test]
fn a_dockerfile_over_the_config_file_limit_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM alpine\nUSER root\n").unwrap();
    let report = config(dir.path(), &[]);
    assert!(!report["misconfigurations"].as_array().unwrap().is_empty());
    let report = config(dir.path(), &["--limit", "config-file=16"]);
    assert!(report["misconfigurations"].as_array().unwrap().is_empty());
    assert!(
        warned(&report, "Dockerfile", "larger than 16 bytes"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "Dockerfile", "--limit config-file="));
}

#[test]
fn a_dockerfile_over_the_instruction_limit_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = "FROM alpine\nRUN a\nRUN b\nRUN c\n";
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let report = config(dir.path(), &["--limit", "dockerfile-instructions=2"]);
    assert!(
        warned(&report, "Dockerfile", "more than 2 instructions"),
        "{}",
        report["warnings"]
    );
    assert!(warned(
        &report,
        "Dockerfile",
        "--limit dockerfile-instructions="
    ));
}

#[test]
fn an_instruction_over_the_heredoc_limit_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = "FROM alpine\nRUN <<A <<B\necho a\nA\necho b\nB\n";
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let report = config(dir.path(), &[]);
    assert!(report["warnings"].as_array().unwrap().is_empty());
    let report = config(dir.path(), &["--limit", "heredocs=1"]);
    assert!(
        warned(&report, "Dockerfile", "more than 1 heredocs"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "Dockerfile", "--limit heredocs="));
}

#[test]
fn standard_input_over_the_limit_is_an_error_not_a_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    // Cut at 64 bytes, this file would end before its USER line and pass as "no USER".
    let text = format!("FROM alpine:3.20\n# {}\nUSER app\n", "-".repeat(100));
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["--limit", "stdin=64", "config", "--format", "json", "-"])
        .env("BULKHEAD_CACHE_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("standard input is larger than 64 bytes"),
        "{err}"
    );
    assert!(err.contains("--limit stdin="), "{err}");
}

#[test]
fn yaml_over_the_node_and_depth_limits_is_a_warning_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n";
    std::fs::write(dir.path().join("pod.yaml"), pod).unwrap();
    let report = config(dir.path(), &[]);
    assert!(report["warnings"].as_array().unwrap().is_empty());
    assert!(!report["misconfigurations"].as_array().unwrap().is_empty());
    let report = config(dir.path(), &["--limit", "yaml-nodes=5"]);
    assert!(
        warned(&report, "pod.yaml", "--limit yaml-nodes="),
        "{}",
        report["warnings"]
    );
    let report = config(dir.path(), &["--limit", "yaml-depth=2"]);
    assert!(
        warned(&report, "pod.yaml", "nesting deeper than 2 levels"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "pod.yaml", "--limit yaml-depth="));
}

#[test]
fn secrets_past_the_per_file_limit_are_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("srv")).unwrap();
    let tokens = [
        "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",
        "ghp_aWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUy",
        "ghp_bWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUz",
        "ghp_cWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINU1",
    ];
    let text: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("TOKEN_{i}={t}\n"))
        .collect();
    std::fs::write(root.join("srv/app.env"), text).unwrap();
    let target = root.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let args = [
            extra,
            &["rootfs", "--scanners", "secret", "--format", "json", target],
        ];
        ok_json(bulkhead(&args.concat(), &dir.path().join("cache")))
    };
    let report = scan(&[]);
    assert_eq!(report["secrets"].as_array().unwrap().len(), 4);
    assert!(report["warnings"].as_array().unwrap().is_empty());
    let report = scan(&["--limit", "secret-findings=2"]);
    assert_eq!(report["secrets"].as_array().unwrap().len(), 2);
    assert!(
        warned(&report, "srv/app.env", "more than 2 secrets in one file"),
        "{}",
        report["warnings"]
    );
    assert!(warned(&report, "srv/app.env", "--limit secret-findings="));
}

#[test]
fn a_tree_deeper_than_the_walk_limit_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let deep = root.join("a/b/c/d/e");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("Dockerfile"), "FROM alpine\nUSER root\n").unwrap();
    let target = root.to_str().unwrap();
    let cache = dir.path().join("cache");
    let args = [
        "--limit",
        "walk-depth=3",
        "fs",
        "--scanners",
        "config",
        "--format",
        "json",
    ];
    let report = ok_json(bulkhead(&[&args[..], &[target]].concat(), &cache));
    assert!(report["misconfigurations"].as_array().unwrap().is_empty());
    assert!(
        warned(&report, "a/b/c", "--limit walk-depth="),
        "{}",
        report["warnings"]
    );
    let args = [
        "--limit",
        "walk-depth=3",
        "config",
        "--format",
        "json",
        target,
    ];
    let report = ok_json(bulkhead(&args, &cache));
    assert!(
        report["warnings"]
            .to_string()
            .contains("--limit walk-depth="),
        "{}",
        report["warnings"]
    );
}

#[test]
fn a_version_over_the_length_limit_is_a_warning_naming_the_package() {
    let dir = tempfile::tempdir().unwrap();
    // sudo before Baron Samedit's fix (CVE-2021-3156, DSA-4839).
    let status = "Package: sudo\nStatus: install ok installed\nVersion: 1.8.27-1\n\n";
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("debian", "10"),
                file("var/lib/dpkg/status", status),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report["vulnerabilities"]
        .to_string()
        .contains("CVE-2021-3156"));
    let (code, out, err) = scan(&layout, &["--limit", "version-length=4", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["warnings"].to_string().contains("sudo"),
        "{}",
        report["warnings"]
    );
    assert!(!report["vulnerabilities"]
        .to_string()
        .contains("CVE-2021-3156"));
}

fn record(id: &str, padding: usize) -> serde_json::Value {
    serde_json::json!({"id": id, "modified": "2026-01-01T00:00:00Z",
        "details": "x".repeat(padding),
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]})
}

/// Imports `path` with `--limit setting` into a cache that already holds a good feed: the
/// import fails naming the file and the key, and the good feed is still there.
fn import_refused(path: &Path, setting: &str, says: &str) {
    let cache = path.parent().unwrap().join("cache");
    let good = path.parent().unwrap().join("good.json");
    std::fs::write(&good, record("GOOD-1", 10).to_string()).unwrap();
    let out = bulkhead(&["db", "import", good.to_str().unwrap()], &cache);
    assert!(out.status.success());
    let out = bulkhead(
        &["db", "import", path.to_str().unwrap()],
        &dir_cache(&cache, "x"),
    );
    assert!(
        out.status.success(),
        "the default admits it: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = ["--limit", setting, "db", "import", path.to_str().unwrap()];
    let out = bulkhead(&args, &cache);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(err.contains(name) && err.contains(says), "{err}");
    let key = setting.split('=').next().unwrap();
    assert!(err.contains(&format!("--limit {key}=")), "{err}");
    let info = bulkhead(&["db", "info"], &cache);
    assert!(String::from_utf8_lossy(&info.stdout).contains("good"));
}

fn dir_cache(cache: &Path, name: &str) -> std::path::PathBuf {
    cache.with_file_name(format!("cache-{name}"))
}

#[test]
fn an_advisory_over_the_record_limit_is_refused_and_the_database_kept() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("big.jsonl");
    let lines = format!("{}\n{}\n", record("A-1", 10), record("A-2", 4096));
    std::fs::write(&feed, lines).unwrap();
    import_refused(&feed, "feed-record=2KiB", "big.jsonl:2");
}

#[test]
fn a_json_document_over_the_document_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("all.json");
    let records: Vec<_> = (0..8).map(|i| record(&format!("A-{i}"), 500)).collect();
    std::fs::write(&feed, serde_json::Value::Array(records).to_string()).unwrap();
    import_refused(&feed, "feed-document=2KiB", "larger than 2KiB");
}

#[test]
fn a_zip_over_the_entry_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&feed).unwrap());
    for i in 0..3 {
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file(format!("A-{i}.json"), opts).unwrap();
        zip.write_all(record(&format!("A-{i}"), 10).to_string().as_bytes())
            .unwrap();
    }
    zip.finish().unwrap();
    import_refused(&feed, "feed-zip-entries=2", "3 entries");
}

#[test]
fn a_zstd_feed_over_the_decompressed_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl.zst");
    let lines: String = (0..10)
        .map(|i| format!("{}\n", record(&format!("A-{i}"), 500)))
        .collect();
    std::fs::write(&feed, zstd::encode_all(lines.as_bytes(), 3).unwrap()).unwrap();
    import_refused(&feed, "feed-bytes=2KiB", "more than 2KiB");
}
