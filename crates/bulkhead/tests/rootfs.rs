//! `bulkhead rootfs`: a root filesystem on disk, walked without following symlinks, with the
//! kernel trees at its top left alone.

mod common;

use common::{bulkhead, cache_with_os_feeds, shared};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The real dpkg database of this Debian 12 build machine (../shared/data/MANIFEST.md).
const STATUS: &str = "data/fixtures/pkgdb/local-debian12/status";

/// dpkg's own reading of a status file: the installed packages, as `name version`.
fn dpkg_installed(admindir: &Path) -> BTreeSet<String> {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args(["-W", "-f", "${db:Status-Abbrev}|${Package} ${Version}\n"])
        .output()
        .expect("dpkg-query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('|'))
        .filter(|(status, _)| status.starts_with("ii"))
        .map(|(_, package)| package.to_string())
        .collect()
}

#[test]
fn rootfs_reads_the_tree_skips_kernel_dirs_and_survives_symlink_loops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let dpkg = root.join("var/lib/dpkg");
    std::fs::create_dir_all(&dpkg).unwrap();
    std::fs::copy(shared().join(STATUS), dpkg.join("status")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"11\"\nPRETTY_NAME=\"Debian 11\"\n",
    )
    .unwrap();
    // A live root's /proc holds nothing to catalogue: a package database there is ignored.
    let fake = root.join("proc/1/root/var/lib/dpkg");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("status"),
        "Package: not-real\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", root.join("var/loop")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("etc/escape")).unwrap();

    let target = root.display().to_string();
    let out = bulkhead(
        &["rootfs", "--quiet", "--format", "json", &target],
        cache_with_os_feeds(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["os"]["family"], "debian");
    let got: BTreeSet<String> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["location"] == "var/lib/dpkg/status")
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    let want = dpkg_installed(&dpkg);
    assert!(want.len() > 500, "{} packages", want.len());
    assert_eq!(got, want);
    let names = report["packages"].to_string();
    assert!(!names.contains("not-real"), "proc/ must not be read");
    assert_eq!(report["artifact"]["type"], "rootfs");
}
