//! Every flag a subcommand accepts acts there, and nothing else is accepted: `fs` runs the
//! configuration checks, `image` honours `--skip-dirs`/`--skip-files`, flags of other
//! subcommands are refused, and messages point at the right next command.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn fs_runs_the_configuration_checks_by_default() {
    let dir = tmp("flags-fs");
    let project = dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("Dockerfile"),
        "FROM debian:latest\nRUN apt-get update\n",
    )
    .unwrap();
    let cache = dir.join("cache");
    let report = ok_json(bulkhead(
        &[
            "fs",
            "--scanners",
            "secret,config",
            "--format",
            "json",
            project.to_str().unwrap(),
        ],
        &cache,
    ));
    let rules: Vec<&str> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|r| r.starts_with("BH-DF-")), "{rules:?}");
    assert_eq!(report["scanners"], serde_json::json!(["secret", "config"]));
    let report = ok_json(bulkhead(
        &[
            "fs",
            "--scanners",
            "secret",
            "--format",
            "json",
            project.to_str().unwrap(),
        ],
        &cache,
    ));
    assert!(report["misconfigurations"].as_array().unwrap().is_empty());
}

#[test]
fn image_skip_dirs_and_skip_files() {
    let dir = tmp("flags-skip");
    let key = "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n";
    let built = build(
        &[layer(
            "COPY . /srv",
            vec![
                file("srv/cache/a.env", key),
                file("srv/app/b.env", key),
                file("srv/app/c.conf", key),
            ],
        )],
        "amd64",
    );
    let image = dir.join("image");
    oci_layout(&image, &[("latest", &built)]);
    let cache = dir.join("cache");
    let files = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["image", "--scanners", "secret", "--format", "json"];
        args.extend_from_slice(extra);
        let target = image.display().to_string();
        args.push(&target);
        let report = ok_json(bulkhead(&args, &cache));
        let mut files: Vec<String> = report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap().to_string())
            .collect();
        files.sort();
        files
    };
    assert_eq!(
        files(&[]),
        ["srv/app/b.env", "srv/app/c.conf", "srv/cache/a.env"]
    );
    assert_eq!(
        files(&["--skip-dirs", "srv/cache"]),
        ["srv/app/b.env", "srv/app/c.conf"]
    );
    assert_eq!(files(&["--skip-files", "*.env"]), ["srv/app/c.conf"]);
}

#[test]
fn flags_of_other_subcommands_are_refused() {
    let cache = tmp("flags-refused");
    for args in [
        &["fs", "--platform", "linux/amd64", "."][..],
        &["fs", "--insecure", "."],
        &["fs", "--username", "u", "."],
        &["image", "--key", "k.pub", "x.tar"],
        &["rootfs", "--platform", "linux/amd64", "/"],
        &["rescan", "--format", "sarif"],
        &["config", "--format", "cyclonedx", "."],
        &["sbom", "--scanners", "secret", "x.json"],
    ] {
        let out = bulkhead(args, &cache);
        assert_eq!(out.status.code(), Some(2), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
    let help = bulkhead(&["image", "--help"], &cache);
    let help = String::from_utf8_lossy(&help.stdout);
    for word in [
        "vulnerabilities",
        "malware",
        "secrets",
        "misconfigurations",
        "integrity",
    ] {
        assert!(
            help.contains(word),
            "--exit-code help names {word}:\n{help}"
        );
    }
    assert!(
        help.contains("--vex") && help.contains("--ignorefile") && help.contains("--skip-dirs")
    );
}

#[test]
fn image_on_a_root_filesystem_suggests_rootfs() {
    let dir = tmp("flags-rootfs");
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    let out = bulkhead(
        &["image", "--scanners", "secret", root.to_str().unwrap()],
        &dir.join("cache"),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bulkhead rootfs"), "{stderr}");
}

#[test]
fn messages_say_each_thing_once_and_point_the_right_way() {
    let cache = tmp("flags-messages");
    let out = bulkhead(
        &["image", "--scanners", "secret", "/nonexistent/app.tar"],
        &cache,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    let out = bulkhead(
        &["rootfs", "--scanners", "secret", "/nonexistent/root"],
        &cache,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no such file or directory"), "{stderr}");
    // A host name that does not resolve is not a TLS matter.
    let out = bulkhead(
        &["image", "--scanners", "secret", "nonexistent.invalid/app:1"],
        &cache,
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("--insecure"), "{stderr}");
}
