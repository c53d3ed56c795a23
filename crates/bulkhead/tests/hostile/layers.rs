//! Hostile layer contents: whiteouts and opaque directories, caps, damaged streams.

use super::{debian10, image_with, package_names, scan, STATUS};
use crate::common::*;

const APK: &str = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n";

#[test]
fn a_whiteout_of_a_directory_removes_the_databases_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![
            layer(
                "base",
                vec![
                    os_release("alpine", "3.18.4"),
                    file("lib/apk/db/installed", APK),
                ],
            ),
            layer("rm", vec![Node::Whiteout("lib/apk".into())]),
        ],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
}

#[test]
fn an_opaque_root_hides_every_lower_file() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![
            layer("base", debian10()),
            layer(
                "reset",
                vec![
                    Node::RawName(".wh..wh..opq".into(), Vec::new()),
                    os_release("debian", "11"),
                ],
            ),
        ],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["os"]["version"], "11");
    assert!(package_names(&out).is_empty());
}

#[test]
fn a_file_over_the_file_cap_is_a_warning_naming_it_and_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(dir.path(), vec![layer("x", debian10())]);
    let (code, out, err) = scan(&layout, &["-q", "--max-file-size", "16"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(package_names(&out).is_empty());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("var/lib/dpkg/status") && warnings.contains("--max-file-size 16"),
        "{warnings}"
    );
}

#[test]
fn fifty_thousand_empty_files_are_walked_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let nodes: Vec<Node> = (0..50_000)
        .map(|i| file(&format!("srv/many/{}/{i}", i % 50), ""))
        .chain([
            os_release("debian", "10"),
            file("var/lib/dpkg/status", STATUS),
        ])
        .collect();
    let (layout, _) = image_with(dir.path(), vec![layer("many", nodes)]);
    let started = std::time::Instant::now();
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["bash"]);
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn a_truncated_zstd_layer_is_an_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = layer("x", debian10());
    l.compression = Compression::Zstd;
    let (layout, built) = image_with(dir.path(), vec![l]);
    let blob = super::blob_path(&layout, &built.layer_digests[0]);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(built.layer_digests[0].trim_start_matches("sha256:")),
        "{err}"
    );
}

#[test]
fn a_tar_header_with_an_impossible_size_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // A GNU base-256 size of 2^62 bytes for a one-byte file.
    let mut h = tar::Header::new_gnu();
    h.set_path("srv/huge").unwrap();
    h.set_mode(0o644);
    let size = &mut h.as_old_mut().size;
    size.fill(0);
    size[0] = 0x80;
    size[4] = 0x40;
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend_from_slice(&[b'x'; 512]);
    let (layout, _) = image_with(dir.path(), vec![layer("x", vec![Node::Raw(raw)])]);
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn a_path_of_thousands_of_characters_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}/app.env", vec!["d"; 2000].join("/"));
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![file(
                &deep,
                "GITHUB_TOKEN=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\n",
            )],
        )],
    );
    let (code, out, err) = scan(&layout, &["-q", "--scanners", "secret"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["secrets"][0]["file"], deep);
}
