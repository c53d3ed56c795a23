//! Hostile directory trees and configuration files: each case's exact outcome.

use crate::common::*;
use std::path::Path;

fn tree(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    root
}

#[test]
fn a_symlink_loop_and_a_link_out_of_the_root_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = tree(dir.path());
    std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("host-etc")).unwrap();
    let out = bulkhead(
        &[
            "rootfs",
            "--scanners",
            "secret",
            "--format",
            "json",
            root.to_str().unwrap(),
        ],
        &dir.path().join("cache"),
    );
    let report = ok_json(out);
    assert_eq!(report["os"]["family"], "debian");
    // Nothing was read through either link.
    assert!(!report.to_string().contains("host-etc/"));
    assert!(!report.to_string().contains("loop/loop"));
}

#[test]
fn directories_nested_past_the_limit_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = tree(dir.path());
    let deep = (0..70).fold(root.clone(), |p, i| p.join(format!("d{i}")));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("app.env"),
        "GITHUB_TOKEN=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\n",
    )
    .unwrap();
    let report = ok_json(bulkhead(
        &[
            "rootfs",
            "--scanners",
            "secret",
            "--format",
            "json",
            root.to_str().unwrap(),
        ],
        &dir.path().join("cache"),
    ));
    assert!(report["secrets"].as_array().unwrap().is_empty());
    assert!(report["warnings"]
        .to_string()
        .contains("nested more than 64 levels deep"));
}

#[test]
fn a_yaml_alias_bomb_is_a_warning_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    text.push_str("kind: Pod\napiVersion: v1\nmetadata: {name: p}\n");
    std::fs::write(dir.path().join("bomb.yaml"), text).unwrap();
    let out = bulkhead(
        &["config", "--format", "json", dir.path().to_str().unwrap()],
        &dir.path().join("cache"),
    );
    let report = ok_json(out);
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("bomb.yaml"), "{warnings}");
}

#[test]
fn a_dockerfile_past_the_instruction_limit_is_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("FROM alpine:3.20\n{}", "RUN true\n".repeat(25_000));
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let report = ok_json(bulkhead(
        &["config", "--format", "json", dir.path().to_str().unwrap()],
        &dir.path().join("cache"),
    ));
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("Dockerfile"), "{warnings}");
}
