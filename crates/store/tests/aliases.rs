//! The alias index: records naming a CVE in `aliases`, `upstream` or `related` are found by
//! it, replaced records are re-indexed, and a database written before the index (layout 3)
//! gets it filled on open. Expected ids come from the real feeds (read with jq when written):
//! DSA-5305-1 and DLA-3248-1 (Debian) list CVE-2022-47629 in `upstream`; ALSA-2023:0625 and
//! ALSA-2023:0626 (AlmaLinux) list it in `related` (`zstd -dc … | grep CVE-2022-47629`).

mod common;

use common::*;
use rusqlite::Connection;
use store::Store;

fn naming(store: &Store, id: &str) -> Vec<String> {
    store
        .advisories_naming(id)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect()
}

#[test]
fn records_are_found_by_any_alias_and_old_layouts_are_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        feed("Debian-DSA-DLA.jsonl.zst"),
        feed("AlmaLinux.jsonl.zst"),
    ];
    store::import(dir.path(), &feeds, &mut |_| {}).unwrap();
    let want = [
        "ALSA-2023:0625",
        "ALSA-2023:0626",
        "DLA-3248-1",
        "DSA-5305-1",
    ];
    assert_eq!(
        naming(&Store::open(dir.path()).unwrap(), "CVE-2022-47629"),
        want
    );
    // The record's own id finds it too.
    assert_eq!(
        naming(&Store::open(dir.path()).unwrap(), "DSA-5305-1"),
        ["DSA-5305-1"]
    );

    // A database of the layout before the index: no table, version 3.
    let conn = Connection::open(dir.path().join("bulkhead.db")).unwrap();
    conn.execute_batch("DROP TABLE aliases; PRAGMA user_version = 3;")
        .unwrap();
    drop(conn);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(naming(&store, "CVE-2022-47629"), want);
    assert_eq!(store.info().unwrap().schema_version, store::SCHEMA_VERSION);
}
