//! Builds real images in code for the end-to-end tests: real tar layers (gzip, zstd or plain),
//! real OCI manifests, configs and indexes, written as OCI layouts, OCI archives and
//! `docker save` archives. Digests are computed here with sha2, independently of the scanner.

#![allow(dead_code)]

pub mod postgres;
pub mod registry;
pub mod sarif;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn shared() -> PathBuf {
    std::env::var_os("BULKHEAD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

pub fn fixture(rel: &str) -> Vec<u8> {
    let path = shared().join("data/fixtures/pkgdb").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[derive(Clone)]
pub enum Node {
    File(String, Vec<u8>),
    Dir(String),
    Symlink(String, String),
    Hardlink(String, String),
    Whiteout(String),
    Opaque(String),
    /// A file whose header name is written verbatim (hostile paths like `../x`).
    RawName(String, Vec<u8>),
    /// A regular file with mode 0755 (binaries the Go and Rust catalogers pick by mode).
    Executable(String, Vec<u8>),
    /// A regular file with explicit permission bits (setuid 0o4755, world-writable 0o666).
    Mode(String, Vec<u8>, u32),
    /// Bytes appended to the tar stream verbatim (hand-made hostile headers).
    Raw(Vec<u8>),
}

pub fn file(path: &str, content: impl AsRef<[u8]>) -> Node {
    Node::File(path.to_string(), content.as_ref().to_vec())
}

#[derive(Clone, Copy, PartialEq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

#[derive(Clone)]
pub struct Layer {
    pub nodes: Vec<Node>,
    pub compression: Compression,
    pub created_by: String,
    /// Cut the tar right after the last file's data, as some real tools write layers.
    pub without_trailer: bool,
}

pub fn layer(created_by: &str, nodes: Vec<Node>) -> Layer {
    Layer {
        nodes,
        compression: Compression::Gzip,
        created_by: created_by.to_string(),
        without_trailer: false,
    }
}

fn header(kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1_700_000_000);
    h
}

/// The uncompressed tar of a layer.
pub fn tar_bytes(nodes: &[Node]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for node in nodes {
        match node {
            Node::File(path, content) => {
                let mut h = header(tar::EntryType::Regular, content.len() as u64);
                b.append_data(&mut h, path, content.as_slice()).unwrap();
            }
            Node::Dir(path) => {
                let mut h = header(tar::EntryType::Directory, 0);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
            Node::Symlink(path, target) => {
                let mut h = header(tar::EntryType::Symlink, 0);
                b.append_link(&mut h, path, target).unwrap();
            }
            Node::Hardlink(path, target) => {
                let mut h = header(tar::EntryType::Link, 0);
                b.append_link(&mut h, path, target).unwrap();
            }
            Node::Whiteout(path) => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                let wh = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                let mut h = header(tar::EntryType::Regular, 0);
                b.append_data(&mut h, wh, std::io::empty()).unwrap();
            }
            Node::Opaque(dir) => {
                let mut h = header(tar::EntryType::Regular, 0);
                b.append_data(&mut h, format!("{dir}/.wh..wh..opq"), std::io::empty())
                    .unwrap();
            }
            Node::Executable(path, content) => {
                let mut h = header(tar::EntryType::Regular, content.len() as u64);
                h.set_mode(0o755);
                b.append_data(&mut h, path, content.as_slice()).unwrap();
            }
            Node::Mode(path, content, mode) => {
                let mut h = header(tar::EntryType::Regular, content.len() as u64);
                h.set_mode(*mode);
                b.append_data(&mut h, path, content.as_slice()).unwrap();
            }
            Node::Raw(bytes) => b.get_mut().extend_from_slice(bytes),
            Node::RawName(name, content) => {
                let mut h = header(tar::EntryType::Regular, content.len() as u64);
                let raw = &mut h.as_old_mut().name;
                raw.fill(0);
                raw[..name.len()].copy_from_slice(name.as_bytes());
                h.set_cksum();
                b.append(&h, content.as_slice()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

pub fn compress(tar: &[u8], how: Compression) -> Vec<u8> {
    match how {
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).unwrap();
            e.finish().unwrap()
        }
        Compression::Zstd => zstd::encode_all(tar, 3).unwrap(),
        Compression::None => tar.to_vec(),
    }
}

/// A built image: its blobs and the digests a scanner must report.
pub struct Built {
    pub blobs: Vec<(String, Vec<u8>)>,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub diff_ids: Vec<String>,
    pub layer_digests: Vec<String>,
    pub layer_tars: Vec<Vec<u8>>,
    pub created_by: Vec<String>,
}

pub fn build(layers: &[Layer], arch: &str) -> Built {
    build_with(
        layers,
        arch,
        serde_json::json!({"Env": ["PATH=/usr/bin"], "User": ""}),
    )
}

/// Like [`build`], with the config's runtime section (`Env`, `Labels`, …) given.
pub fn build_with(layers: &[Layer], arch: &str, runtime: serde_json::Value) -> Built {
    let mut blobs = Vec::new();
    let mut diff_ids = Vec::new();
    let mut layer_digests = Vec::new();
    let mut descriptors = Vec::new();
    let mut layer_tars = Vec::new();
    for l in layers {
        let mut tar = tar_bytes(&l.nodes);
        if let (true, Some(Node::File(_, last))) = (l.without_trailer, l.nodes.last()) {
            let padding = (512 - last.len() % 512) % 512;
            tar.truncate(tar.len() - 1024 - padding);
        }
        diff_ids.push(sha256(&tar));
        let blob = compress(&tar, l.compression);
        let digest = sha256(&blob);
        let media = match l.compression {
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
        };
        descriptors
            .push(serde_json::json!({"mediaType": media, "digest": digest, "size": blob.len()}));
        layer_digests.push(digest.clone());
        blobs.push((digest, blob));
        layer_tars.push(tar);
    }
    let history: Vec<_> = layers
        .iter()
        .map(|l| serde_json::json!({"created_by": l.created_by}))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap();
    let config_digest = sha256(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors,
    }))
    .unwrap();
    let manifest_digest = sha256(&manifest);
    blobs.push((config_digest.clone(), config.clone()));
    blobs.push((manifest_digest.clone(), manifest.clone()));
    Built {
        blobs,
        manifest,
        manifest_digest,
        config,
        config_digest,
        diff_ids,
        layer_digests,
        layer_tars,
        created_by: layers.iter().map(|l| l.created_by.clone()).collect(),
    }
}

fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) {
    let hex = digest.strip_prefix("sha256:").unwrap();
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(hex), bytes).unwrap();
}

/// An OCI layout holding `images`, each tagged; returns what was built.
pub fn oci_layout(dir: &Path, images: &[(&str, &Built)]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut manifests = Vec::new();
    for (tag, built) in images {
        for (digest, bytes) in &built.blobs {
            write_blob(dir, digest, bytes);
        }
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": built.manifest_digest, "size": built.manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// An OCI layout whose index.json points at a multi-platform image index.
pub fn oci_multiplatform(dir: &Path, images: &[(&str, &Built)]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut manifests = Vec::new();
    for (platform, built) in images {
        for (digest, bytes) in &built.blobs {
            write_blob(dir, digest, bytes);
        }
        let (os, arch) = platform.split_once('/').unwrap();
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": built.manifest_digest, "size": built.manifest.len(),
            "platform": {"os": os, "architecture": arch},
        }));
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests,
    }))
    .unwrap();
    let index_digest = sha256(&index);
    write_blob(dir, &index_digest, &index);
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest, "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": "multi"},
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
}

/// Tars a directory (an OCI layout) into an OCI archive.
pub fn tar_dir(dir: &Path, out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

/// A classic `docker save` archive: `<id>/layer.tar`, `<config hex>.json`, `manifest.json`.
pub fn docker_archive(out: &Path, built: &Built, tag: &str) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = header(tar::EntryType::Regular, bytes.len() as u64);
        b.append_data(&mut h, name, bytes).unwrap();
    };
    let config_name = format!("{}.json", built.config_digest.trim_start_matches("sha256:"));
    add(&config_name, &built.config);
    let mut layer_names = Vec::new();
    for (i, tar) in built.layer_tars.iter().enumerate() {
        let name = format!("layer{i:02}/layer.tar");
        add(&name, tar);
        layer_names.push(name);
    }
    let manifest =
        serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    b.into_inner().unwrap().flush().unwrap();
}

/// Runs bulkhead; a scan that hangs is ended by its own `--timeout`, here two minutes, so a
/// hang fails the test instead of stalling the suite.
pub fn bulkhead(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .env("BULKHEAD_CACHE_DIR", cache)
        .env("BULKHEAD_TIMEOUT", "120s")
        .env("NO_COLOR", "1")
        .output()
        .expect("run bulkhead")
}

/// A cache dir with the real Debian, Alpine and AlmaLinux advisories imported, shared by the
/// tests of one test binary.
pub fn cache_with_os_feeds() -> &'static Path {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    CACHE.get_or_init(|| {
        imported_cache(
            "os-feeds",
            &[
                "Debian-DSA-DLA.jsonl.zst",
                "Alpine-secdb-2020.jsonl.zst",
                "AlmaLinux.jsonl.zst",
            ],
        )
    })
}

/// A cache dir `<name>-<test binary>` under the target's tmp dir, emptied, with these feeds
/// (paths under ../shared/data/osv) imported. Fixed names rebuilt per run, not per-process
/// names in /tmp, which piled up.
pub fn imported_cache(name: &str, feeds: &[&str]) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::remove_dir_all(&dir);
    let osv = shared().join("data/osv");
    let feeds: Vec<String> = feeds
        .iter()
        .map(|f| osv.join(f).display().to_string())
        .collect();
    let mut args = vec!["db", "import"];
    args.extend(feeds.iter().map(String::as_str));
    let out = bulkhead(&args, &dir);
    assert!(
        out.status.success(),
        "db import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// The JSON report of a bulkhead run that must succeed.
pub fn ok_json(out: Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "bulkhead failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

pub fn scan_json(target: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["image", "--format", "json", "--quiet"];
    args.extend_from_slice(extra);
    let t = target.display().to_string();
    args.push(&t);
    ok_json(bulkhead(&args, cache_with_os_feeds()))
}

pub fn os_release(id: &str, version: &str) -> Node {
    file(
        "etc/os-release",
        format!("ID={id}\nVERSION_ID=\"{version}\"\nPRETTY_NAME=\"{id} {version}\"\n"),
    )
}

/// Serves `body` at every path to every connection, as osv.dev serves `{ecosystem}/all.zip`.
pub fn serve_forever(body: Vec<u8>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = std::sync::Arc::new(body);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                // The request line and headers, up to the blank line.
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let mut stream = &stream;
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    url
}
