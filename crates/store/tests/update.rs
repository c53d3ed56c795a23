//! `store::update` against a local HTTP server started by the test (127.0.0.1, port 0), serving
//! osv.dev-style `{ecosystem}/all.zip` archives built here from the shared feeds.

mod common;

use common::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use store::{Error, Store};

/// path -> (status, body, declared content length)
type Routes = HashMap<String, (u16, Vec<u8>, usize)>;

/// A minimal HTTP/1.1 server: one request per connection, bounded header size, `Connection: close`.
fn serve(routes: Routes) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(stream) = stream else { continue };
            let routes = routes.clone();
            std::thread::spawn(move || respond(stream, &routes));
        }
    });
    format!("http://{addr}")
}

fn respond(mut stream: TcpStream, routes: &Routes) {
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap()).take(64 << 10);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let (status, body, declared) = match routes.get(&path) {
        Some((s, b, d)) => (*s, b.as_slice(), *d),
        None => (404, &b"not found"[..], 9),
    };
    let reason = if status == 200 { "OK" } else { "Not Found" };
    let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {declared}\r\nContent-Type: application/zip\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn zip_of(records: &[serde_json::Value]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for r in records {
        zip.start_file(format!("{}.json", r["id"].as_str().unwrap()), opts)
            .unwrap();
        // osv.dev's entries are pretty-printed.
        zip.write_all(&serde_json::to_vec_pretty(r).unwrap())
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn ok(body: Vec<u8>) -> (u16, Vec<u8>, usize) {
    let n = body.len();
    (200, body, n)
}

#[test]
fn downloads_and_imports_ecosystem_archives() {
    let crates = records(&feed("crates.io.jsonl.zst"));
    let debian = records(&feed("Debian-DSA-DLA.jsonl.zst"));
    let crates_zip = zip_of(&crates);
    let debian_zip = zip_of(&debian);
    let mut routes = Routes::new();
    routes.insert("/crates.io/all.zip".into(), ok(crates_zip.clone()));
    routes.insert("/Debian/all.zip".into(), ok(debian_zip.clone()));
    routes.insert(
        "/Truncated/all.zip".into(),
        ok(debian_zip[..debian_zip.len() / 2].to_vec()),
    );
    // Declares the full length, then the connection closes halfway.
    routes.insert(
        "/Cut/all.zip".into(),
        (
            200,
            debian_zip[..debian_zip.len() / 2].to_vec(),
            debian_zip.len(),
        ),
    );
    routes.insert("/Rocky%20Linux/all.zip".into(), ok(crates_zip));
    let base = serve(routes);

    let dir = tempfile::tempdir().unwrap();
    let eco = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let s = store::update(
        dir.path(),
        &base,
        &eco(&["crates.io", "Debian"]),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s.files, 2);
    assert_eq!(s.records_read, (crates.len() + debian.len()) as u64);
    assert_eq!(
        s.feeds,
        [
            ("crates.io".to_owned(), crates.len() as u64),
            ("Debian".to_owned(), debian.len() as u64)
        ]
    );

    let check = || {
        let db = Store::open(dir.path()).unwrap();
        let info = db.info().unwrap();
        assert_eq!(info.advisories, (crates.len() + debian.len()) as u64);
        let deb = info.feeds.iter().find(|f| f.name == "Debian").unwrap();
        assert_eq!(deb.source, format!("{base}/Debian/all.zip"));
        assert_eq!(db.advisories_for("Debian:11", "openssl").unwrap().len(), 5);
        assert_eq!(db.advisories_for("crates.io", "smallvec").unwrap().len(), 5);
    };
    check();
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 2, "only bulkhead.db and its lock file remain");

    // Failures name the URL and keep the previous database.
    let err = store::update(
        dir.path(),
        &base,
        &eco(&["crates.io", "NoSuchEcosystem"]),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Download { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("404") && msg.contains("/NoSuchEcosystem/all.zip"),
        "{msg}"
    );
    check();

    let err = store::update(dir.path(), &base, &eco(&["Truncated"]), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/Truncated/all.zip") && err.contains("truncated or corrupt"),
        "{err}"
    );
    check();

    let err = store::update(dir.path(), &base, &eco(&["Cut"]), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/Cut/all.zip") && err.contains("download interrupted"),
        "{err}"
    );
    check();

    let err = store::update_with_limit(dir.path(), &base, &eco(&["Debian"]), 1 << 20, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("download limit"), "{err}");
    check();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "downloads are removed after failures"
    );

    // Names are percent-encoded in the URL.
    store::update(dir.path(), &base, &eco(&["Rocky Linux"]), &mut |_| {}).unwrap();
    let db = Store::open(dir.path()).unwrap();
    assert!(db
        .info()
        .unwrap()
        .feeds
        .iter()
        .any(|f| f.name == "Rocky Linux"));

    let err = store::update(dir.path(), &base, &[], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
}
