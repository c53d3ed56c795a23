//! Hostile image documents and layer entries: each case's exact outcome.

use super::{image_with, package_names, scan, STATUS};
use crate::common::*;

#[test]
fn an_index_that_is_not_json_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10")])],
    );
    std::fs::write(layout.join("index.json"), b"{\"manifests\": [").unwrap();
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("index.json"), "{err}");
}

#[test]
fn a_config_whose_diff_ids_disagree_with_the_layers_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(
        &[
            layer("a", vec![os_release("debian", "10")]),
            layer("b", vec![file("srv/x", "x")]),
        ],
        "amd64",
    );
    // Keep two layer descriptors but only one diff_id in a re-signed config.
    let mut config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    config["rootfs"]["diff_ids"] = serde_json::json!([built.diff_ids[0]]);
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = sha256(&config);
    let mut manifest: serde_json::Value = serde_json::from_slice(&built.manifest).unwrap();
    manifest["config"]["digest"] = serde_json::json!(config_digest);
    manifest["config"]["size"] = serde_json::json!(config.len());
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut blobs = built.blobs.clone();
    blobs.push((config_digest.clone(), config.clone()));
    let manifest_digest = sha256(&manifest);
    blobs.push((manifest_digest.clone(), manifest.clone()));
    let hostile = Built {
        blobs,
        manifest,
        manifest_digest,
        config,
        config_digest,
        ..built
    };
    let layout = dir.path().join("oci");
    oci_layout(&layout, &[("t", &hostile)]);
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("diff_id"), "{err}");
}

#[test]
fn an_image_without_layers_is_empty_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(dir.path(), vec![]);
    let (code, out, err) = scan(&layout, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
}

#[test]
fn absolute_and_dotted_entry_names_land_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                Node::RawName(
                    "/etc/os-release".into(),
                    b"ID=debian\nVERSION_ID=\"10\"\n".to_vec(),
                ),
                Node::RawName(
                    "var/../var/lib/dpkg/status".into(),
                    STATUS.as_bytes().to_vec(),
                ),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["os"]["family"], "debian");
    assert_eq!(package_names(&out), ["bash"]);
}

#[test]
fn a_file_name_that_is_not_utf8_is_reported_readably() {
    let dir = tempfile::tempdir().unwrap();
    let name = "srv/\u{fffd}app.env";
    let mut raw_name = b"srv/".to_vec();
    raw_name.extend_from_slice(&[0xff, 0xfe]);
    raw_name.extend_from_slice(b"app.env");
    let content = b"GITHUB_TOKEN=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\n";
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..raw_name.len()].copy_from_slice(&raw_name);
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend_from_slice(content);
    raw.resize(raw.len().div_ceil(512) * 512, 0);
    let (layout, _) = image_with(dir.path(), vec![layer("x", vec![Node::Raw(raw)])]);
    let (code, out, err) = scan(&layout, &["-q", "--scanners", "secret"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [name.replace('\u{fffd}', "\u{fffd}\u{fffd}")]);
}

#[test]
fn an_empty_layer_blob_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, built) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10")])],
    );
    let blob = super::blob_path(&layout, &built.layer_digests[0]);
    std::fs::write(&blob, b"").unwrap();
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(built.layer_digests[0].trim_start_matches("sha256:")),
        "{err}"
    );
}
