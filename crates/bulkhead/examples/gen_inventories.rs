//! Benchmark input for `bench/rescan.sh`: stores COUNT inventories of PACKAGES Debian packages
//! each in CACHE_DIR/bulkhead.db, as scans would. Names and versions are real: sampled from
//! the dpkg databases in SHARED/data/fixtures/pkgdb and from the source packages and fixed
//! versions of the Debian advisories (half just below a fix, so they match). Deterministic.
//!
//! usage: gen_inventories CACHE_DIR SHARED_DIR [COUNT [PACKAGES]]

use inventory::{Inventory, LayerRef, OsRelease, Package};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use store::{ArtifactKey, InventoryStore};

/// (name, version, source name)
type Sample = (String, String, Option<String>);

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cache), Some(shared)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: gen_inventories CACHE_DIR SHARED_DIR [COUNT [PACKAGES]]");
    };
    let count: usize = args.get(2).map_or(Ok(1000), |a| a.parse())?;
    let per: usize = args.get(3).map_or(Ok(500), |a| a.parse())?;
    let shared = Path::new(shared);
    let installed = dpkg_samples(&shared.join("data/fixtures/pkgdb"))?;
    let advised = feed_samples(&shared.join("data/osv/Debian-DSA-DLA.jsonl.zst"))?;
    eprintln!(
        "sampling from {} installed packages and {} advisory (source, fix) pairs",
        installed.len(),
        advised.len()
    );
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut store = InventoryStore::open(Path::new(cache))?;
    let now = store::time::now_utc();
    for i in 0..count {
        let release = ["10", "11", "12"][i % 3];
        let layers: Vec<LayerRef> = (0..4)
            .map(|l| LayerRef {
                index: l,
                digest: format!(
                    "sha256:{:064x}",
                    (i * 4 + l) as u128 * 0x9e37_79b9_7f4a_7c15
                )
                .into(),
                created_by: Some(format!("RUN step {l}").into()),
            })
            .collect();
        let packages = (0..per)
            .map(|_| {
                let (name, version, source) = if next(10) < 7 {
                    installed[next(installed.len())].clone()
                } else {
                    advised[next(advised.len())].clone()
                };
                Package {
                    purl: format!("pkg:deb/debian/{name}@{version}?distro=debian-{release}"),
                    name,
                    version,
                    ecosystem: "debian".into(),
                    source_name: source,
                    source_version: None,
                    arch: Some("amd64".into()),
                    licenses: Vec::new(),
                    location: "var/lib/dpkg/status".into(),
                    layer: Some(layers[next(layers.len())].clone()),
                }
            })
            .collect();
        let inventory = Inventory {
            os: Some(OsRelease {
                family: "debian".into(),
                version: release.into(),
                ..Default::default()
            }),
            packages,
            ..Default::default()
        };
        let digest = format!("sha256:{:064x}", i as u128 * 0x2545_f491_4f6c_dd1d + 1);
        let key = ArtifactKey {
            key: digest.clone(),
            name: format!("bench/image-{i}:latest"),
            kind: "oci-layout".into(),
            digest: Some(digest),
        };
        store.save(&key, &inventory, &[], &now)?;
    }
    eprintln!(
        "stored {count} inventories of {per} packages in {}",
        store.path().display()
    );
    Ok(())
}

fn dpkg_samples(dir: &Path) -> anyhow::Result<Vec<Sample>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path: PathBuf = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                pending.push(path);
            } else if name == "status" || name.ends_with(".status") {
                files.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file)?).into_owned();
        for stanza in text.split("\n\n") {
            let field = |key: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
            };
            if let (Some(name), Some(version)) = (field("Package:"), field("Version:")) {
                let source =
                    field("Source:").map(|s| s.split(' ').next().unwrap_or("").to_string());
                out.push((name, version, source.filter(|s| !s.is_empty())));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn feed_samples(path: &Path) -> anyhow::Result<Vec<Sample>> {
    let reader = std::io::BufReader::new(zstd::Decoder::new(std::fs::File::open(path)?)?);
    let mut out = Vec::new();
    for line in reader.lines() {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        for affected in record["affected"].as_array().into_iter().flatten() {
            let ecosystem = affected["package"]["ecosystem"].as_str().unwrap_or("");
            if !matches!(ecosystem, "Debian:10" | "Debian:11" | "Debian:12") {
                continue;
            }
            let name = affected["package"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let events = affected["ranges"][0]["events"]
                .as_array()
                .into_iter()
                .flatten();
            for fixed in events.filter_map(|e| e["fixed"].as_str()) {
                let below = out.len() % 2 == 0;
                let version = if below {
                    format!("{fixed}~bench")
                } else {
                    fixed.to_string()
                };
                out.push((format!("{name}-bin"), version, Some(name.clone())));
            }
        }
    }
    Ok(out)
}
