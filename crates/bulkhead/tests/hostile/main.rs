//! Hostile and broken input: each case gives a clear error or a warning naming the file —
//! never a panic, a hang, or a silently empty report.

#[path = "../common/mod.rs"]
mod common;
mod documents;
mod layers;
mod limits;
mod trees;

use common::*;
use std::path::Path;

pub(crate) fn scan(target: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["image", "--format", "json"];
    args.extend_from_slice(extra);
    let t = target.display().to_string();
    args.push(&t);
    let out = bulkhead(&args, cache_with_os_feeds());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn image_with(dir: &Path, layers: Vec<Layer>) -> (std::path::PathBuf, Built) {
    let built = build(&layers, "amd64");
    let path = dir.join("oci");
    oci_layout(&path, &[("t", &built)]);
    (path, built)
}

pub(crate) fn blob_path(layout: &Path, digest: &str) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// A Debian 10 root with one package, bash: the lower layer most cases build on.
pub(crate) fn debian10() -> Vec<Node> {
    vec![
        os_release("debian", "10"),
        file("var/lib/dpkg/status", STATUS),
    ]
}

pub(crate) const STATUS: &str = "Package: bash\nStatus: install ok installed\nVersion: 5.0-4\n\n";

#[test]
fn path_traversal_entries_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("debian", "10"),
                Node::RawName(
                    "../../etc/os-release".into(),
                    b"ID=alpine\nVERSION_ID=3.11.6\n".to_vec(),
                ),
                Node::RawName("/var/lib/dpkg/status".into(), STATUS.as_bytes().to_vec()),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &[]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["os"]["family"], "debian",
        "a climbing path must not replace a real file"
    );
    // An absolute path is read relative to the image root, as container runtimes do.
    assert_eq!(report["packages"][0]["name"], "bash");
    assert!(
        err.contains("../../etc/os-release") && err.contains("climbs above the root"),
        "{err}"
    );
}

#[test]
fn symlink_loops_and_dangling_hardlinks_do_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                Node::Symlink("etc/os-release".into(), "../usr/lib/os-release".into()),
                Node::Symlink("usr/lib/os-release".into(), "../../etc/os-release".into()),
                Node::Symlink("loop/a".into(), "b".into()),
                Node::Symlink("loop/b".into(), "a".into()),
                Node::Hardlink("var/lib/dpkg/status".into(), "does/not/exist".into()),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &[]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report["os"].is_null());
    assert!(
        err.contains("var/lib/dpkg/status") && err.contains("hard link"),
        "{err}"
    );
    assert!(
        err.contains("no OS and no packages"),
        "an empty result is said out loud: {err}"
    );
}

#[test]
fn truncated_gzip_layer_is_an_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let (layout, built) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![os_release("debian", "10"), file("data", big)],
        )],
    );
    let blob = blob_path(&layout, &built.layer_digests[0]);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = scan(&layout, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&built.layer_digests[0][7..]),
        "names the blob: {err}"
    );
}

#[test]
fn decompression_bomb_stops_at_the_layer_cap() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 32 << 20];
    let (layout, _) = image_with(dir.path(), vec![layer("x", vec![file("bomb", zeros)])]);
    let (code, _, err) = scan(&layout, &["--max-layer-size", "1000000"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("max-layer-size"), "{err}");
}

#[test]
fn tampered_layer_fails_the_digest_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = layer("x", debian10());
    plain.compression = Compression::None;
    let (layout, built) = image_with(dir.path(), vec![plain]);
    let blob = blob_path(&layout, &built.layer_digests[0]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.windows(4).position(|w| w == b"bash").unwrap();
    bytes[at] = b'c';
    std::fs::write(&blob, &bytes).unwrap();
    let (code, _, err) = scan(&layout, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("mismatch"), "{err}");
}

#[test]
fn the_layer_cache_never_skips_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (layout, built) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![os_release("debian", "10"), file("etc/app.env", "A=1\n")],
        )],
    );
    let run = || {
        let target = layout.display().to_string();
        bulkhead(
            &[
                "image",
                "--scanners",
                "secret,config",
                "--format",
                "json",
                &target,
            ],
            &cache,
        )
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // The same bytes: the cached analysis serves.
    assert!(run().status.success());
    let blob = blob_path(&layout, &built.layer_digests[0]);
    let original = std::fs::read(&blob).unwrap();
    // Swapped for another valid layer under the same name: never served from the cache.
    let other = compress(&tar_bytes(&[file("evil.sh", "x")]), Compression::Gzip);
    std::fs::write(&blob, other).unwrap();
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("mismatch"), "{err}");
    std::fs::remove_file(&blob).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    std::fs::write(&blob, original).unwrap();
    assert!(run().status.success());
}

#[test]
fn missing_blob_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, built) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10")])],
    );
    std::fs::remove_file(blob_path(&layout, &built.layer_digests[0])).unwrap();
    let (code, _, err) = scan(&layout, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn corrupt_package_databases_are_reported_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![
            os_release("debian", "10"),
            file("var/lib/dpkg/status", fixture("anchore+syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/corrupt")),
            file("lib/apk/db/installed", [0xffu8, 0xfe, 0x00, 0x01]),
        ])],
    );
    let (code, _, err) = scan(&layout, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("var/lib/dpkg/status") && err.contains("corrupt dpkg"),
        "{err}"
    );
    assert!(err.contains("lib/apk/db/installed"), "{err}");
}

#[test]
fn malformed_advisories_are_refused_and_the_old_database_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let good = shared().join("data/osv/Alpine-secdb-2020.jsonl.zst");
    let out = bulkhead(&["db", "import", good.to_str().unwrap()], &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"id\": \"X-1\", \"affected\": [ {\"package\": ").unwrap();
    let out = bulkhead(&["db", "import", bad.to_str().unwrap()], &cache);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    let info = bulkhead(&["db", "info"], &cache);
    assert!(info.status.success());
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("Alpine"),
        "the previous database is intact"
    );
}

#[test]
fn missing_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10")])],
    );
    let out = bulkhead(
        &["image", layout.to_str().unwrap()],
        &dir.path().join("empty-cache"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("db import"));
}

#[test]
fn layer_without_tar_trailer_is_read() {
    // umoci writes layers like this; their diff_id covers exactly these bytes.
    let dir = tempfile::tempdir().unwrap();
    let mut cut = layer("umoci insert", debian10());
    cut.without_trailer = true;
    let (layout, built) = image_with(dir.path(), vec![cut]);
    assert_ne!(
        built.layer_tars[0].len() % 512,
        0,
        "the test layer really is cut"
    );
    let (code, out, err) = scan(&layout, &[]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["packages"][0]["name"], "bash");
}

/// A reader that goes away (`bulkhead rules | head -1`) ends bulkhead quietly, as it does any
/// Unix filter: SIGPIPE, not a panic in `println!`.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    const SIGPIPE: i32 = 13; // on every Linux architecture
                             // A process forked meanwhile by a parallel test may briefly hold the read end open, so the
                             // write can succeed; a few attempts make sure the closed-pipe path is really taken.
    for _ in 0..10 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
            .arg("rules")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // close the read end before bulkhead writes
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            out.status.success() || out.status.signal() == Some(SIGPIPE),
            "{:?}",
            out.status
        );
        if out.status.signal() == Some(SIGPIPE) {
            return;
        }
    }
    panic!("bulkhead never wrote to a closed pipe in 10 attempts");
}

/// The Debian packages a JSON report lists.
pub(crate) fn package_names(report: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(report).expect("JSON report");
    let mut names: Vec<String> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

const OTHER: &str = "Package: zsh\nStatus: install ok installed\nVersion: 5.8-6\n\n";

#[test]
fn a_malformed_whiteout_deletes_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![
            layer("base", debian10()),
            layer(
                "hostile",
                vec![
                    Node::RawName(".wh.".into(), Vec::new()),
                    Node::RawName("var/lib/.wh.".into(), Vec::new()),
                ],
            ),
        ],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["bash"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let warnings = report["warnings"].to_string();
    assert_eq!(
        warnings.matches("malformed whiteout").count(),
        2,
        "{warnings}"
    );
}

#[test]
fn the_last_entry_for_a_path_in_a_layer_is_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // The same path twice: tar semantics, the later copy is the file.
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("debian", "10"),
                file("var/lib/dpkg/status", STATUS),
                file("var/lib/dpkg/status", OTHER),
            ],
        )],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["zsh"]);
    // A directory replacing the file in the same layer leaves no packages behind.
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer(
            "x",
            vec![
                os_release("debian", "10"),
                file("var/lib/dpkg/status", STATUS),
                Node::Dir("var/lib/dpkg/status".into()),
            ],
        )],
    );
    let (_, out, _) = scan(&layout, &["-q"]);
    assert!(package_names(&out).is_empty());
}

#[test]
fn many_whiteouts_squash_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let count = 100_000;
    let files: Vec<Node> = (0..count)
        // World-writable: each is a finding-to-be that the squash must track.
        .map(|i| Node::Mode(format!("srv/d{}/f{i}", i % 100), b"x".to_vec(), 0o666))
        .chain([
            os_release("debian", "10"),
            file("var/lib/dpkg/status", STATUS),
        ])
        .collect();
    let whiteouts: Vec<Node> = (0..count)
        .map(|i| Node::Whiteout(format!("srv/d{}/f{i}", i % 100)))
        .collect();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("files", files), layer("rm", whiteouts)],
    );
    let started = std::time::Instant::now();
    let (code, out, err) = scan(&layout, &["-q", "--scanners", "vuln,config"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["bash"]);
    // Minutes before; a hang guard, not a benchmark.
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

#[test]
fn a_descriptor_size_that_disagrees_with_the_bytes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10")])],
    );
    let index_path = layout.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let size = index["manifests"][0]["size"].as_u64().unwrap();
    index["manifests"][0]["size"] = serde_json::json!(size + 1);
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("declares") && err.contains("bytes"), "{err}");
}

#[test]
fn an_oversized_long_name_fails_before_it_is_read_into_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A GNU long-name record of 64 MiB (a few KiB gzipped), then the member it names.
    let size = 64u64 << 20;
    let mut h = tar::Header::new_gnu();
    h.set_path("././@LongLink").unwrap();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(size);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.resize(raw.len() + size as usize, b'a');
    let mut member = tar::Header::new_gnu();
    member.set_path("x").unwrap();
    member.set_size(0);
    member.set_cksum();
    raw.extend_from_slice(member.as_bytes());
    let (layout, _) = image_with(
        dir.path(),
        vec![layer("x", vec![os_release("debian", "10"), Node::Raw(raw)])],
    );
    let (code, _, err) = scan(&layout, &["--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("over the 1MiB limit"), "{err}");
    assert!(err.contains("--limit tar-header="), "{err}");
}

#[test]
fn a_gnu_sparse_member_is_read_and_replaces_the_lower_file() {
    let dir = tempfile::tempdir().unwrap();
    // An old-GNU sparse member for var/lib/dpkg/status (its map: one data block; a hole of
    // zeros would not parse as a status file).
    let data = OTHER.as_bytes();
    let mut h = tar::Header::new_gnu();
    h.set_path("var/lib/dpkg/status").unwrap();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    let gnu = h.as_gnu_mut().unwrap();
    gnu.sparse[0].set_offset(0);
    gnu.sparse[0].set_length(data.len() as u64);
    gnu.set_real_size(data.len() as u64);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend_from_slice(data);
    raw.resize(raw.len().div_ceil(512) * 512, 0);
    let (layout, _) = image_with(
        dir.path(),
        vec![
            layer("base", debian10()),
            layer("sparse", vec![Node::Raw(raw)]),
        ],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    // The sparse copy is the file now.
    assert_eq!(package_names(&out), ["zsh"]);
}

#[test]
fn a_package_database_reached_through_a_hard_link_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The upper layer's dpkg database is a hard link (through another link) to a file that no
    // package cataloger asks for by its own name.
    let (layout, _) = image_with(
        dir.path(),
        vec![
            layer(
                "base",
                vec![
                    os_release("debian", "10"),
                    file("var/lib/dpkg/status", OTHER),
                ],
            ),
            layer(
                "upgrade",
                vec![
                    file("var/backups/dpkg.status.0", STATUS),
                    Node::Hardlink(
                        "var/backups/dpkg.status".into(),
                        "var/backups/dpkg.status.0".into(),
                    ),
                    Node::Hardlink(
                        "var/lib/dpkg/status".into(),
                        "var/backups/dpkg.status".into(),
                    ),
                    Node::Hardlink("var/lib/dpkg/status.d/extra".into(), "no/such/file".into()),
                ],
            ),
        ],
    );
    let (code, out, err) = scan(&layout, &["-q"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(package_names(&out), ["bash"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let warnings = report["warnings"].to_string();
    assert!(!warnings.contains("var/lib/dpkg/status\""), "{warnings}");
    assert!(warnings.contains("does not hold"), "{warnings}");
}
