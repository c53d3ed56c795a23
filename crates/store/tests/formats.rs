//! Input formats, the newer-`modified`-wins rule, withdrawn records and size limits.

use std::io::Write;
use std::path::Path;
use store::{Error, Store};

fn rec(id: &str, modified: &str, eco: &str, name: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"{modified}"{extra},"affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}}}}]}}"#
    )
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

fn ids_for(db: &Store, eco: &str, name: &str) -> Vec<String> {
    db.advisories_for(eco, name)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect()
}

#[test]
fn reads_every_format() {
    let inp = tempfile::tempdir().unwrap();
    let p = inp.path();
    std::fs::write(
        p.join("one.json"),
        rec("T-1", "2024-01-01T00:00:00Z", "npm", "a", ""),
    )
    .unwrap();
    std::fs::write(
        p.join("arr.json"),
        format!(
            "[{},\n {}]",
            rec("T-2", "2024-01-01T00:00:00Z", "npm", "a", ""),
            rec("T-3", "2024-01-01T00:00:00Z", "npm", "b", "")
        ),
    )
    .unwrap();
    let jsonl = format!(
        "{}\r\n\n{}\n",
        rec("T-4", "2024-01-01T00:00:00Z", "PyPI", "Zope.Interface", ""),
        rec("T-5", "2024-01-01T00:00:00Z", "PyPI", "zope_interface", "")
    );
    std::fs::write(
        p.join("lines.jsonl.zst"),
        zstd::encode_all(jsonl.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(p.join("sub/.git")).unwrap();
    std::fs::write(
        p.join("sub/T-6.json"),
        rec("T-6", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
    )
    .unwrap();
    std::fs::write(
        p.join("sub/.git/T-7.json"),
        rec("T-7", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
    )
    .unwrap();
    std::fs::write(p.join("sub/README.md"), "not OSV").unwrap();
    let zdir = tempfile::tempdir().unwrap();
    let zip_path = zdir.path().join("all.zip");
    write_zip(
        &zip_path,
        &[
            (
                "T-8.json".into(),
                rec("T-8", "2024-01-01T00:00:00Z", "Debian:12", "curl", "").into_bytes(),
            ),
            (
                "T-9.json".into(),
                rec("T-9", "2024-01-01T00:00:00Z", "Debian:11", "curl", "").into_bytes(),
            ),
        ],
    );

    let db_dir = tempfile::tempdir().unwrap();
    let mut notes = Vec::new();
    let s = store::import(db_dir.path(), &[p.to_owned(), zip_path], &mut |m| {
        notes.push(m.to_owned())
    })
    .unwrap();
    assert_eq!(s.records_read, 8, "{s:?}");
    assert!(
        notes.iter().any(|n| n.contains("skipped 1 files")),
        "{notes:?}"
    );
    let db = Store::open(db_dir.path()).unwrap();
    assert_eq!(ids_for(&db, "npm", "a"), ["T-1", "T-2"]);
    assert_eq!(ids_for(&db, "PyPI", "zope-interface"), ["T-4", "T-5"]);
    assert_eq!(ids_for(&db, "Go", "example.com/m"), ["T-6"]);
    assert_eq!(ids_for(&db, "Debian:12", "curl"), ["T-8"]);
    let feeds: Vec<_> = db
        .info()
        .unwrap()
        .feeds
        .into_iter()
        .map(|f| (f.name, f.records))
        .collect();
    // `.json` files in a walked directory form one feed named after it; all.zip takes its ecosystem.
    let tmp_name = p
        .canonicalize()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut want = vec![
        ("Debian".to_owned(), 2),
        ("lines".to_owned(), 2),
        (tmp_name, 4),
    ];
    want.sort();
    assert_eq!(feeds, want);

    // An explicit file of unknown type is refused.
    let err = store::import(db_dir.path(), &[p.join("sub/README.md")], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
}

#[test]
fn newer_modified_wins_and_withdrawn_is_hidden() {
    let db_dir = tempfile::tempdir().unwrap();
    let inp = tempfile::tempdir().unwrap();
    let import = |name: &str, body: String| {
        let f = inp.path().join(name);
        std::fs::write(&f, body).unwrap();
        store::import(db_dir.path(), &[f], &mut |_| {}).unwrap()
    };
    import(
        "v1.jsonl",
        rec("X-1", "2024-01-01T00:00:00Z", "npm", "old-name", ""),
    );
    // Fractional seconds are newer than the whole second, although they sort lower as text.
    let s = import(
        "v2.jsonl",
        rec("X-1", "2024-01-01T00:00:00.5Z", "npm", "new-name", ""),
    );
    assert_eq!((s.added, s.replaced, s.unchanged), (0, 1, 0));
    let db = Store::open(db_dir.path()).unwrap();
    assert!(ids_for(&db, "npm", "old-name").is_empty());
    assert_eq!(ids_for(&db, "npm", "new-name"), ["X-1"]);
    // Older (by offset) is ignored.
    let s = import(
        "v0.jsonl",
        rec("X-1", "2024-01-01T01:00:00+02:00", "npm", "older", ""),
    );
    assert_eq!((s.added, s.replaced, s.unchanged), (0, 0, 1));
    // Same id twice in one import: the newer wins whatever the order.
    let two = format!(
        "{}\n{}\n",
        rec("X-2", "2024-03-01T00:00:00Z", "npm", "p", ""),
        rec("X-2", "2024-02-01T00:00:00Z", "npm", "q", "")
    );
    import("two.jsonl", two);
    let db = Store::open(db_dir.path()).unwrap();
    assert_eq!(ids_for(&db, "npm", "p"), ["X-2"]);
    assert!(ids_for(&db, "npm", "q").is_empty());
    // A newer withdrawn version hides it; it is still counted.
    import(
        "w.jsonl",
        rec(
            "X-1",
            "2025-01-01T00:00:00Z",
            "npm",
            "new-name",
            r#","withdrawn":"2025-01-01T00:00:00Z""#,
        ),
    );
    let db = Store::open(db_dir.path()).unwrap();
    assert!(ids_for(&db, "npm", "new-name").is_empty());
    let info = db.info().unwrap();
    assert_eq!(info.advisories, 2);
    let w = info.feeds.iter().find(|f| f.name == "w").unwrap();
    assert_eq!((w.records, w.withdrawn), (1, 1));
    assert_eq!(db.ecosystems().unwrap(), [("npm".to_owned(), 1)]);
}

#[test]
fn bad_records_are_reported_with_their_place() {
    let db_dir = tempfile::tempdir().unwrap();
    let inp = tempfile::tempdir().unwrap();
    let try_import = |name: &str, body: &[u8]| {
        let f = inp.path().join(name);
        std::fs::write(&f, body).unwrap();
        store::import(db_dir.path(), &[f], &mut |_| {})
            .unwrap_err()
            .to_string()
    };
    let ok = rec("Y-1", "2024-01-01T00:00:00Z", "npm", "a", "");
    assert!(try_import(
        "noid.jsonl",
        format!("{ok}\n{{\"modified\":\"2024-01-01T00:00:00Z\"}}\n").as_bytes()
    )
    .contains("noid.jsonl:2"));
    assert!(try_import(
        "ts.jsonl",
        rec("Y-2", "yesterday", "npm", "a", "").as_bytes()
    )
    .contains("not an RFC 3339 time"));
    assert!(try_import("arr.json", format!("[{ok}, 5]").as_bytes()).contains("array element 1"));
    let msg = try_import(
        "trunc.jsonl.zst",
        &zstd::encode_all(ok.as_bytes(), 3).unwrap()[..20],
    );
    assert!(msg.contains("trunc.jsonl.zst:1"), "{msg}");

    // One record over the 16 MiB limit, as a JSONL line without a newline (not read whole).
    let mut big =
        vec![b' '; inventory::limits::get_usize(inventory::limits::Limit::FeedRecord) + 10];
    big[0] = b'{';
    let msg = try_import("big.jsonl", &big);
    assert!(
        msg.contains("big.jsonl:1") && msg.contains("16MiB"),
        "{msg}"
    );

    // A zip entry that inflates past the limit (a small zip bomb: ~17 MiB of spaces).
    let zip_path = inp.path().join("bomb.zip");
    write_zip(&zip_path, &[("B-1.json".into(), big)]);
    assert!(std::fs::metadata(&zip_path).unwrap().len() < 1 << 20);
    let err = store::import(db_dir.path(), &[zip_path], &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bomb.zip!B-1.json") && err.contains("16MiB"),
        "{err}"
    );

    // Nothing of the above got in.
    assert!(matches!(
        Store::open(db_dir.path()),
        Err(Error::NoDatabase { .. })
    ));
}

#[test]
fn a_zstd_feed_that_expands_past_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("bomb.jsonl.zst");
    // A valid record, then newlines past the limit: a few MiB on disk.
    let mut encoder = zstd::Encoder::new(std::fs::File::create(&feed).unwrap(), 3).unwrap();
    writeln!(
        encoder,
        "{}",
        rec("X-1", "2024-01-01T00:00:00Z", "PyPI", "x", "")
    )
    .unwrap();
    let newlines = vec![b'\n'; 8 << 20];
    for _ in
        0..=(inventory::limits::get(inventory::limits::Limit::FeedBytes) / newlines.len() as u64)
    {
        encoder.write_all(&newlines).unwrap();
    }
    encoder.finish().unwrap();
    let cache = dir.path().join("cache");
    let err = store::import(&cache, &[feed], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("feed limit"), "{err}");
    // Nothing was imported: the previous (empty) state stays.
    assert!(Store::open(&cache).is_err());
}
