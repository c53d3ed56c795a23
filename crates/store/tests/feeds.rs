//! Imports every shared OSV feed and checks the database against counts computed independently
//! (zstd + serde_json::Value, no store code), plus known advisories for known packages.

mod common;

use common::*;
use std::time::Instant;

#[test]
fn imports_all_shared_feeds() {
    let files = all_feed_files();
    assert!(
        files.len() >= 17,
        "shared feeds missing under {}",
        osv_dir().display()
    );

    let mut expected = Expected::default();
    let mut per_feed = Vec::new();
    for f in &files {
        let recs = records(f);
        let withdrawn = recs.iter().filter(|r| r.get("withdrawn").is_some()).count() as u64;
        let name = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".jsonl.zst")
            .to_owned();
        per_feed.push((name, recs.len() as u64, withdrawn));
        recs.iter().for_each(|r| expected.add(r));
    }

    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let summary = store::import(dir.path(), &files, &mut |_| {}).unwrap();
    let took = start.elapsed();
    let size = std::fs::metadata(dir.path().join(store::DB_FILE_NAME))
        .unwrap()
        .len();
    println!(
        "imported {} records from {} feeds in {:.2?}; database {:.1} MiB",
        summary.records_read,
        files.len(),
        took,
        size as f64 / (1 << 20) as f64
    );

    assert_eq!(summary.files, files.len() as u64);
    assert_eq!(summary.records_read, expected.lines);
    assert_eq!(summary.added, expected.ids.len() as u64);
    assert_eq!(summary.total_advisories, expected.ids.len() as u64);

    let db = store::Store::open(dir.path()).unwrap();
    let start = Instant::now();
    let info = db.info().unwrap();
    println!("info took {:.2?}", start.elapsed());
    assert_eq!(info.schema_version, store::SCHEMA_VERSION);
    assert_eq!(info.advisories, expected.ids.len() as u64);
    assert_eq!(info.size_bytes, size);
    assert!(
        info.built_at.ends_with('Z') && info.built_at.len() == 20,
        "{}",
        info.built_at
    );
    for (name, records, withdrawn) in &per_feed {
        let feed = info
            .feeds
            .iter()
            .find(|f| &f.name == name)
            .unwrap_or_else(|| panic!("feed {name} missing"));
        assert_eq!(
            (feed.records, feed.withdrawn),
            (*records, *withdrawn),
            "feed {name}"
        );
    }
    assert_eq!(info.feeds.len(), per_feed.len());
    // Newest `modified` per MANIFEST.md.
    let newest = |n: &str| {
        info.feeds
            .iter()
            .find(|f| f.name == n)
            .unwrap()
            .newest_modified
            .clone()
            .unwrap()
    };
    assert!(newest("Debian-DSA-DLA").starts_with("2023-04-01"));
    assert_eq!(newest("PyPI"), "2024-10-10T17:22:00.587279Z");

    let ecosystems = db.ecosystems().unwrap();
    let want: Vec<(String, u64)> = expected
        .eco_advisories
        .iter()
        .map(|(e, ids)| (e.clone(), ids.len() as u64))
        .collect();
    assert_eq!(ecosystems, want);
    for eco in &info.ecosystems {
        assert_eq!(
            eco.packages,
            expected.eco_packages[&eco.name].len() as u64,
            "{}",
            eco.name
        );
    }
    assert!(ecosystems.iter().any(|(e, _)| e == "Debian:11"));
    assert!(ecosystems.iter().any(|(e, _)| e == "Alpine:v3.11"));

    // Literals picked by reading the feeds (zstd -dc | grep / a Python one-off).
    let q = |eco: &str, name: &str| db.advisories_for(eco, name).unwrap();
    assert_eq!(
        ids(&q("Debian:11", "openssl")),
        [
            "DSA-4963-1",
            "DSA-5103-1",
            "DSA-5139-1",
            "DSA-5169-1",
            "DSA-5343-1"
        ]
    );
    assert_eq!(
        ids(&q("Alpine:v3.11", "openssl")),
        [
            "ALPINE-CVE-2018-0734",
            "ALPINE-CVE-2018-0735",
            "ALPINE-CVE-2019-1543",
            "ALPINE-CVE-2019-1547",
            "ALPINE-CVE-2019-1549",
            "ALPINE-CVE-2019-1551",
            "ALPINE-CVE-2019-1563"
        ]
    );
    let alma = q("AlmaLinux:9", "openssl");
    assert_eq!(alma.len(), 15);
    assert!(ids(&alma).contains(&"ALSA-2022:6224"));
    assert_eq!(
        ids(&q("crates.io", "smallvec")),
        [
            "RUSTSEC-2018-0003",
            "RUSTSEC-2018-0018",
            "RUSTSEC-2019-0009",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2021-0003"
        ]
    );
    // PEP 503: the feed says `jupyter-server` / `jupyter_server`.
    let jupyter = [
        "PYSEC-2020-234",
        "PYSEC-2020-50",
        "PYSEC-2022-179",
        "PYSEC-2022-211",
        "PYSEC-2023-155",
        "PYSEC-2023-157",
    ];
    assert_eq!(ids(&q("PyPI", "Jupyter.Server")), jupyter);
    assert_eq!(ids(&q("PyPI", "jupyter_server")), jupyter);
    assert_eq!(q("PyPI", "django").len(), 116);
    assert_eq!(q("Go", "golang.org/x/net").len(), 30);
    assert_eq!(
        ids(&q("npm", "lodash")),
        ["NSWG-ECO-368", "NSWG-ECO-493", "NSWG-ECO-516"]
    );
    assert_eq!(q("RubyGems", "rack").len(), 50);
    // Exact ecosystems and names outside PyPI.
    assert!(q("Debian", "openssl").is_empty());
    assert!(q("Debian:11", "OpenSSL").is_empty());
    assert!(q("crates.io", "SmallVec").is_empty());
    // NuGet ids ignore case: the first feed name with capitals is found however it is spelt.
    let nuget = records(&osv_dir().join("malicious/malicious-nuget.jsonl.zst"));
    let (id, name) = nuget
        .iter()
        .filter(|r| r.get("withdrawn").is_none())
        .find_map(|r| {
            let name = r["affected"][0]["package"]["name"].as_str()?;
            (name != name.to_lowercase()).then(|| (r["id"].as_str().unwrap(), name))
        })
        .expect("a NuGet report with capitals in its name");
    for spelt in [name.to_string(), name.to_lowercase(), name.to_uppercase()] {
        assert!(ids(&q("NuGet", &spelt)).contains(&id), "{id} for {spelt}");
    }
    // Withdrawn MAL-2024-1398 (npm `drata`) is stored but never returned.
    assert!(!ids(&q("npm", "drata")).contains(&"MAL-2024-1398"));

    // The returned advisory is the whole record.
    let dsa = q("Debian:11", "openssl")
        .into_iter()
        .find(|a| a.id == "DSA-5139-1")
        .unwrap();
    assert!(dsa
        .affected
        .iter()
        .any(|a| a.package.as_ref().unwrap().ecosystem == "Debian:11"));
    assert!(!dsa.upstream.is_empty());

    // Indexed lookups: many in little time, even in a debug build.
    let start = Instant::now();
    for _ in 0..200 {
        q("PyPI", "django");
        q("Debian:11", "no-such-package");
    }
    println!("400 lookups took {:.2?}", start.elapsed());

    // Re-importing the same data changes nothing.
    let again = store::import(dir.path(), &files[..1], &mut |_| {}).unwrap();
    assert_eq!((again.added, again.replaced), (0, 0));
    assert_eq!(again.unchanged, again.records_read);
    assert_eq!(again.total_advisories, expected.ids.len() as u64);
}
