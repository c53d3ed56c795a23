//! End-to-end: real images built in code from the real package databases in
//! ../shared/data/fixtures/pkgdb, scanned by the real binary against the real advisories in
//! ../shared/data/osv. Expected findings are computed here independently: stanzas are read by
//! the small parser below, advisories straight from the feed, and versions ordered by the
//! system's own `dpkg --compare-versions`.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Command;

const SYFT_DEB: &str = "anchore+syft/syft/pkg/cataloger/debian/testdata";
const POSTGRES_STATUS: &str = "quay+claircore/dpkg/testdata/postgresql.status";
const DEBIAN12_STATUS: &str = "local-debian12/status";
const UBUNTU1804_STATUS: &str = "quay+claircore/dpkg/testdata/texlive.status";

/// Installed stanzas: (package, version, source name, source version).
fn stanzas(text: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut f: HashMap<&str, &str> = HashMap::new();
        for line in block.lines() {
            if let Some((k, v)) = line.split_once(':').filter(|_| !line.starts_with(' ')) {
                f.insert(k, v.trim());
            }
        }
        let (Some(p), Some(v)) = (f.get("Package"), f.get("Version")) else {
            continue;
        };
        if f.get("Status").is_some_and(|s| !s.ends_with(" installed")) {
            continue;
        }
        let (src, srcver) = match f.get("Source") {
            Some(s) if s.contains('(') => {
                let (n, rest) = s.split_once('(').unwrap();
                (n.trim().to_string(), rest.trim_end_matches(')').to_string())
            }
            Some(s) => (s.to_string(), v.to_string()),
            None => (p.to_string(), v.to_string()),
        };
        out.push((p.to_string(), v.to_string(), src, srcver));
    }
    out
}

fn dpkg_lt(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "lt", b])
        .status()
        .expect("dpkg is on Debian machines")
        .success()
}

/// Debian advisories (source package → [(id, fixed)]) for one release, read from the feed.
fn debian_feed(release: &str) -> HashMap<String, Vec<(String, String)>> {
    let raw = std::fs::read(shared().join("data/osv/Debian-DSA-DLA.jsonl.zst")).unwrap();
    let text = String::from_utf8(zstd::decode_all(raw.as_slice()).unwrap()).unwrap();
    let mut feed: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        for affected in record["affected"].as_array().unwrap() {
            if affected["package"]["ecosystem"] != format!("Debian:{release}").as_str() {
                continue;
            }
            for range in affected["ranges"].as_array().into_iter().flatten() {
                for event in range["events"].as_array().unwrap() {
                    if let Some(fixed) = event["fixed"].as_str() {
                        feed.entry(affected["package"]["name"].as_str().unwrap().to_string())
                            .or_default()
                            .push((
                                record["id"].as_str().unwrap().to_string(),
                                fixed.to_string(),
                            ));
                    }
                }
            }
        }
    }
    feed
}

/// (package, advisory id, fixed version) expected for these stanzas on that release.
fn expected(
    stanzas: &[(String, String, String, String)],
    release: &str,
) -> BTreeSet<(String, String, String)> {
    let feed = debian_feed(release);
    let mut out = BTreeSet::new();
    for (package, _, source, source_version) in stanzas {
        for (id, fixed) in feed.get(source).into_iter().flatten() {
            if dpkg_lt(source_version, fixed) {
                out.insert((package.clone(), id.clone(), fixed.clone()));
            }
        }
    }
    out
}

fn found(report: &Value) -> BTreeSet<(String, String, String)> {
    report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["package"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
                v["fixed_version"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn package_layers(report: &Value) -> BTreeMap<String, (String, u64)> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                (
                    p["version"].as_str().unwrap().to_string(),
                    p["layer"]["index"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn text(rel: &str) -> String {
    String::from_utf8(fixture(rel)).unwrap()
}

/// Four layers: base status, distroless status.d files, a replaced status (zstd), and an
/// uncompressed layer that deletes one status.d file.
fn layered_debian10() -> Vec<Layer> {
    let mut replaced = layer(
        "RUN apt-get install postgresql-client",
        vec![file("var/lib/dpkg/status", fixture(POSTGRES_STATUS))],
    );
    replaced.compression = Compression::Zstd;
    let mut delete = layer(
        "RUN rm status.d/coreutils-relationships",
        vec![Node::Whiteout(
            "var/lib/dpkg/status.d/coreutils-relationships".into(),
        )],
    );
    delete.compression = Compression::None;
    vec![
        layer(
            "ADD rootfs.tar /",
            vec![
                os_release("debian", "10"),
                file("etc/debian_version", "10.13\n"),
                file(
                    "var/lib/dpkg/status",
                    fixture(&format!("{SYFT_DEB}/image-dpkg/var/lib/dpkg/status")),
                ),
            ],
        ),
        layer(
            "COPY status.d /var/lib/dpkg/status.d",
            vec![
                file(
                    "var/lib/dpkg/status.d/doc-examples",
                    fixture(&format!("{SYFT_DEB}/var/lib/dpkg/status.d/doc-examples")),
                ),
                file(
                    "var/lib/dpkg/status.d/coreutils-relationships",
                    fixture(&format!(
                        "{SYFT_DEB}/var/lib/dpkg/status.d/coreutils-relationships"
                    )),
                ),
                file(
                    "var/lib/dpkg/status.d/doc-examples.md5sums",
                    "d41d8cd98f00b204e9800998ecf8427e  /x\n",
                ),
            ],
        ),
        replaced,
        delete,
    ]
}

#[test]
fn debian_layers_whiteouts_and_matching() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&layered_debian10(), "amd64");
    oci_layout(&dir.path().join("oci"), &[("latest", &built)]);
    let report = scan_json(&dir.path().join("oci"), &[]);

    // Visible: the replaced status (layer 2) and doc-examples (layer 1); the layer-0 status and
    // the deleted coreutils-relationships file are gone.
    let postgres = stanzas(&text(POSTGRES_STATUS));
    let docs = stanzas(&text(&format!(
        "{SYFT_DEB}/var/lib/dpkg/status.d/doc-examples"
    )));
    let mut want: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for (p, v, _, _) in &docs {
        want.insert(p.clone(), (v.clone(), 1));
    }
    for (p, v, _, _) in &postgres {
        want.insert(p.clone(), (v.clone(), 2));
    }
    assert_eq!(package_layers(&report), want);

    let all: Vec<_> = postgres.iter().chain(&docs).cloned().collect();
    assert_eq!(found(&report), expected(&all, "10"));

    assert_eq!(report["schema_version"], "1.0.0");
    assert_eq!(report["artifact"]["type"], "oci-layout");
    assert_eq!(report["artifact"]["digest"], built.manifest_digest.as_str());
    assert_eq!(report["os"]["family"], "debian");
    assert_eq!(report["os"]["version"], "10");
    assert_eq!(
        report["os"]["eol"], true,
        "Debian 10 reached its end of life in 2022"
    );
    for p in report["packages"].as_array().unwrap() {
        assert_eq!(p["ecosystem"], "debian");
        assert!(
            p["purl"].as_str().unwrap().starts_with("pkg:deb/debian/"),
            "{p}"
        );
        let layer = p["layer"]["index"].as_u64().unwrap() as usize;
        assert_eq!(p["layer"]["digest"], built.diff_ids[layer].as_str());
        assert_eq!(p["layer"]["created_by"], built.created_by[layer].as_str());
    }
}

#[test]
fn debian_matching_at_scale_agrees_with_dpkg() {
    // Real package databases presented as Debian releases, so that hundreds of candidate
    // advisories are each decided by dpkg itself in the expectation: the Debian 12 database
    // (735 packages, newer than every fix) and an Ubuntu 18.04 one (357 packages, older).
    let cases = [
        (DEBIAN12_STATUS, "10", 0),
        (DEBIAN12_STATUS, "11", 0),
        (UBUNTU1804_STATUS, "10", 50),
    ];
    for (fixture_path, release, at_least) in cases {
        let status = text(fixture_path);
        let all = stanzas(&status);
        let dir = tempfile::tempdir().unwrap();
        let built = build(
            &[layer(
                "ADD rootfs",
                vec![
                    os_release("debian", release),
                    file("var/lib/dpkg/status", &status),
                ],
            )],
            "amd64",
        );
        oci_layout(&dir.path().join("oci"), &[("x", &built)]);
        let report = scan_json(&dir.path().join("oci"), &[]);
        assert_eq!(report["packages"].as_array().unwrap().len(), all.len());
        let want = expected(&all, release);
        let got = found(&report);
        println!(
            "{fixture_path} as Debian {release}: {} packages, {} findings",
            all.len(),
            got.len()
        );
        assert!(
            got.len() >= at_least,
            "{fixture_path}: expected real findings"
        );
        assert_eq!(got, want);
    }
}

#[test]
fn archives_and_compressions_give_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&layered_debian10(), "amd64");
    let layout = dir.path().join("oci");
    oci_layout(&layout, &[("v1", &built)]);
    let reference = scan_json(&layout, &[]);

    let oci_tar = dir.path().join("image.oci.tar");
    tar_dir(&layout, &oci_tar);
    let docker_tar = dir.path().join("image.docker.tar");
    docker_archive(&docker_tar, &built, "example/app:v1");

    let from_oci_archive = scan_json(&oci_tar, &[]);
    assert_eq!(from_oci_archive["artifact"]["type"], "oci-archive");
    assert_eq!(
        from_oci_archive["artifact"]["digest"],
        built.manifest_digest.as_str()
    );
    let from_docker = scan_json(&docker_tar, &[]);
    assert_eq!(from_docker["artifact"]["type"], "docker-archive");
    assert_eq!(
        from_docker["artifact"]["digest"],
        built.config_digest.as_str()
    );
    for other in [&from_oci_archive, &from_docker] {
        assert_eq!(other["packages"], reference["packages"]);
        assert_eq!(found(other), found(&reference));
    }
    // A layout with two tags needs one named.
    let two = dir.path().join("two");
    let other = build(&[layer("x", vec![os_release("alpine", "3.11.6")])], "amd64");
    oci_layout(&two, &[("v1", &built), ("v2", &other)]);
    let out = bulkhead(&["image", two.to_str().unwrap()], cache_with_os_feeds());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("v2"));
    let tagged = scan_json(&dir.path().join("two:v2"), &[]);
    assert_eq!(tagged["os"]["family"], "alpine");
}

#[test]
fn platform_is_chosen_from_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let amd = build(&[layer("a", vec![os_release("debian", "11")])], "amd64");
    let arm = build(&[layer("b", vec![os_release("alpine", "3.11.6")])], "arm64");
    let layout = dir.path().join("multi");
    oci_multiplatform(&layout, &[("linux/amd64", &amd), ("linux/arm64", &arm)]);
    assert_eq!(scan_json(&layout, &[])["os"]["family"], "debian");
    let arm_report = scan_json(&layout, &["--platform", "linux/arm64"]);
    assert_eq!(arm_report["os"]["family"], "alpine");
    assert_eq!(
        arm_report["artifact"]["digest"],
        arm.manifest_digest.as_str()
    );
    let out = bulkhead(
        &[
            "image",
            "--platform",
            "linux/s390x",
            layout.to_str().unwrap(),
        ],
        cache_with_os_feeds(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("linux/amd64") && err.contains("linux/arm64"),
        "{err}"
    );
}

#[test]
fn filters_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&layered_debian10(), "amd64");
    oci_layout(&dir.path().join("oci"), &[("latest", &built)]);
    let target = dir.path().join("oci");
    let full = scan_json(&target, &[]);
    let total = full["vulnerabilities"].as_array().unwrap().len();
    assert!(total > 0, "the Debian 10 fixture has known advisories");
    let cache = cache_with_os_feeds();
    let t = target.to_str().unwrap();
    assert_eq!(
        bulkhead(&["image", "-q", "--exit-code", "5", t], cache)
            .status
            .code(),
        Some(5)
    );
    assert_eq!(
        bulkhead(&["image", "-q", "--exit-code", "2", t], cache)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bulkhead(&["image", "-q", "--exit-on-eol", "7", t], cache)
            .status
            .code(),
        Some(7)
    );
    // Only the severities asked for remain.
    let high = scan_json(&target, &["--severity", "HIGH,CRITICAL"]);
    for v in high["vulnerabilities"].as_array().unwrap() {
        assert!(
            v["severity"] == "HIGH" || v["severity"] == "CRITICAL",
            "{v}"
        );
    }
    let fixed_only = scan_json(&target, &["--ignore-unfixed"]);
    let with_fix = full["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v["fixed_version"].is_null())
        .count();
    assert_eq!(
        fixed_only["vulnerabilities"].as_array().unwrap().len(),
        with_fix
    );
}

#[test]
fn alpine_packages_are_matched_by_origin() {
    // The real Alpine 3.18 database (15 packages), presented as Alpine 3.11 so that the real
    // v3.11 advisories for its origins (musl, busybox, openssl, …) are candidates. Every fix in
    // that 2020 feed predates these 2023 versions, so none may be reported; a package matched
    // by its own name instead of its origin (libcrypto3 → openssl) would also show here.
    let db = fixture("google+osv-scalibr/extractor/filesystem/os/apk/testdata/installed");
    let dir = tempfile::tempdir().unwrap();
    let built = build(
        &[layer(
            "ADD alpine",
            vec![
                os_release("alpine", "3.11.6"),
                file("lib/apk/db/installed", &db),
            ],
        )],
        "amd64",
    );
    oci_layout(&dir.path().join("oci"), &[("x", &built)]);
    let report = scan_json(&dir.path().join("oci"), &[]);
    let text = String::from_utf8(db).unwrap();
    let names: BTreeSet<&str> = text.lines().filter_map(|l| l.strip_prefix("P:")).collect();
    let got: BTreeSet<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, names);
    let crypto = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libcrypto3")
        .unwrap();
    assert_eq!(crypto["source_name"], "openssl");
    assert_eq!(crypto["ecosystem"], "alpine");
    assert!(crypto["purl"]
        .as_str()
        .unwrap()
        .starts_with("pkg:apk/alpine/libcrypto3@3.1.0-r4"));
    assert_eq!(report["tool"]["database"], "Alpine:v3.11");
    assert_eq!(report["vulnerabilities"].as_array().unwrap().len(), 0);

    // Presented as what it is, Alpine 3.18: the database has no v3.18 data, and says so.
    let dir = tempfile::tempdir().unwrap();
    let built = build(
        &[layer(
            "ADD alpine",
            vec![
                os_release("alpine", "3.18.4"),
                file("lib/apk/db/installed", &text),
            ],
        )],
        "amd64",
    );
    oci_layout(&dir.path().join("oci"), &[("x", &built)]);
    let report = scan_json(&dir.path().join("oci"), &[]);
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("no data for alpine 3.18"), "{warnings}");
}

/// `rpm`'s own ordering (its embedded Lua `rpm.vercmp`, epochs included) for many pairs at once.
fn rpm_lt_all(pairs: &[(String, String)]) -> Vec<bool> {
    let mut lua = String::from("%{lua: ");
    for (a, b) in pairs {
        lua.push_str(&format!("print(rpm.vercmp([[{a}]], [[{b}]]) .. \" \") "));
    }
    lua.push('}');
    let out = Command::new("rpm")
        .args(["--eval", &lua])
        .output()
        .expect("rpm (apt-get install rpm)");
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<bool> = text.split_whitespace().map(|v| v == "-1").collect();
    assert_eq!(got.len(), pairs.len(), "rpm answered every pair");
    got
}

#[test]
fn rpm_sqlite_database_matched_against_almalinux_by_rpm() {
    // The real CBL-Mariner 2.0 rpmdb.sqlite (129 packages) presented as AlmaLinux 9, so the real
    // AlmaLinux 9 errata (binary package names) are candidates, each decided by rpm itself.
    let db = fixture("knqyf263+go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite");
    let dir = tempfile::tempdir().unwrap();
    let built = build(
        &[layer(
            "ADD rootfs",
            vec![
                os_release("almalinux", "9.3"),
                file("var/lib/rpm/rpmdb.sqlite", &db),
            ],
        )],
        "amd64",
    );
    oci_layout(&dir.path().join("oci"), &[("x", &built)]);
    let report = scan_json(&dir.path().join("oci"), &[]);
    let packages = report["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 129);

    let raw = std::fs::read(shared().join("data/osv/AlmaLinux.jsonl.zst")).unwrap();
    let feed = String::from_utf8(zstd::decode_all(raw.as_slice()).unwrap()).unwrap();
    let installed: HashMap<&str, &str> = packages
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    let mut candidates: Vec<(String, String, String)> = Vec::new(); // (package, id, fixed)
    for line in feed.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        for affected in record["affected"].as_array().unwrap() {
            let name = affected["package"]["name"].as_str().unwrap();
            if affected["package"]["ecosystem"] != "AlmaLinux:9" || !installed.contains_key(name) {
                continue;
            }
            for range in affected["ranges"].as_array().into_iter().flatten() {
                for event in range["events"].as_array().unwrap() {
                    if let Some(fixed) = event["fixed"].as_str() {
                        candidates.push((
                            name.to_string(),
                            record["id"].as_str().unwrap().to_string(),
                            fixed.to_string(),
                        ));
                    }
                }
            }
        }
    }
    let pairs: Vec<(String, String)> = candidates
        .iter()
        .map(|(p, _, fixed)| (installed[p.as_str()].to_string(), fixed.clone()))
        .collect();
    let lower = rpm_lt_all(&pairs);
    // An advisory may list several fixes for one package (module streams): the lowest applies.
    let mut want: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ((package, id, fixed), lt) in candidates.into_iter().zip(lower) {
        if lt {
            want.entry((package, id)).or_default().push(fixed);
        }
    }
    let got: BTreeSet<(String, String)> = found(&report)
        .into_iter()
        .map(|(p, id, _)| (p, id))
        .collect();
    println!(
        "mariner rpmdb as AlmaLinux 9: {} packages, {} findings",
        packages.len(),
        got.len()
    );
    assert_eq!(got, want.keys().cloned().collect::<BTreeSet<_>>());
    assert!(
        got.len() > 10,
        "old packages against current errata give real findings"
    );
    for p in packages {
        assert!(
            p["purl"]
                .as_str()
                .unwrap()
                .starts_with("pkg:rpm/almalinux/"),
            "{p}"
        );
    }
}
