//! Setuid/setgid files judged by who installed them: files listed in dpkg's `info/*.list`
//! (or apk's installed database) are one grouped LOW finding; a setuid file no package owns is
//! HIGH and named, since that is where a planted backdoor shows. Also on a root filesystem.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn image_findings(report: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            ["BH-IMG-005", "BH-IMG-010", "BH-IMG-011"].contains(&m["rule_id"].as_str().unwrap())
        })
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_string();
            (s("rule_id"), s("severity"), s("message"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn owned_setuid_files_are_grouped_and_unowned_ones_named() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let built = build(
        &[
            layer(
                "debootstrap",
                vec![
                    os_release("debian", "12"),
                    file(
                        "var/lib/dpkg/info/passwd.list",
                        "/.\n/usr\n/usr/bin\n/usr/bin/passwd\n",
                    ),
                    // Merged /usr: the list says /bin/su, the image holds usr/bin/su.
                    file("var/lib/dpkg/info/util-linux.list", "/.\n/bin\n/bin/su\n"),
                    Node::Mode("usr/bin/passwd".into(), b"\x7fELF".to_vec(), 0o4755),
                    Node::Mode("usr/bin/su".into(), b"\x7fELF".to_vec(), 0o4755),
                ],
            ),
            layer(
                "COPY revshell.sh /opt/planted/",
                vec![Node::Mode(
                    "opt/planted/revshell.sh".into(),
                    b"#!/bin/sh\n".to_vec(),
                    0o4755,
                )],
            ),
        ],
        "amd64",
    );
    let image = dir.join("image");
    oci_layout(&image, &[("latest", &built)]);
    let cache = dir.join("cache");
    let report: Value = ok_json(bulkhead(
        &[
            "image",
            "--scanners",
            "config",
            "--format",
            "json",
            image.to_str().unwrap(),
        ],
        &cache,
    ));
    assert_eq!(
        image_findings(&report),
        [
            (
                "BH-IMG-010".to_string(),
                "LOW".to_string(),
                "2 setuid/setgid file(s) installed by OS packages: /usr/bin/passwd, /usr/bin/su"
                    .to_string()
            ),
            (
                "BH-IMG-011".to_string(),
                "HIGH".to_string(),
                "/opt/planted/revshell.sh is setuid (mode 4755) and no installed package owns it"
                    .to_string()
            ),
        ]
    );
    // The OS is detected whatever the scanners.
    assert_eq!(report["os"]["family"], "debian");

    // The same tree on disk, as `bulkhead rootfs` sees it.
    let root = dir.join("rootfs");
    for (path, content, mode) in [
        (
            "var/lib/dpkg/info/passwd.list",
            &b"/usr/bin/passwd\n"[..],
            0o644,
        ),
        ("usr/bin/passwd", b"\x7fELF", 0o4755),
        ("opt/planted/revshell.sh", b"#!/bin/sh\n", 0o4755),
    ] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let report: Value = ok_json(bulkhead(
        &[
            "rootfs",
            "--scanners",
            "config",
            "--format",
            "json",
            root.to_str().unwrap(),
        ],
        &cache,
    ));
    let ids: Vec<String> = image_findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(ids, ["BH-IMG-010", "BH-IMG-011"]);
}
