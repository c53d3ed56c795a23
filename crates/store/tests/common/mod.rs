//! Helpers shared by the store's integration tests. Data: /work/shared/data/osv (see its
//! MANIFEST.md for sources and licences: golang/vulndb, rustsec/advisory-db, pypa/advisory-database,
//! AlmaLinux/osv-database, rubysec, nodejs/security-wg, Debian security tracker, alpine-secdb,
//! ossf/malicious-packages).
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

pub fn shared() -> PathBuf {
    std::env::var_os("BULKHEAD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

pub fn osv_dir() -> PathBuf {
    shared().join("data/osv")
}

pub fn feed(name: &str) -> PathBuf {
    osv_dir().join(name)
}

/// Every record of a `.jsonl.zst` feed, parsed without the store's code.
pub fn records(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = BufReader::new(zstd::Decoder::new(file).unwrap());
    reader
        .lines()
        .map(|l| l.unwrap())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect()
}

/// Expected contents, computed independently of the store.
#[derive(Default, Debug)]
pub struct Expected {
    pub ids: BTreeSet<String>,
    pub withdrawn: BTreeSet<String>,
    /// Exact ecosystem -> ids of non-withdrawn advisories with a package in it.
    pub eco_advisories: BTreeMap<String, BTreeSet<String>>,
    /// Exact ecosystem -> distinct normalised package names (non-withdrawn advisories).
    pub eco_packages: BTreeMap<String, BTreeSet<String>>,
    pub lines: u64,
}

/// PEP 503, written differently from the store on purpose.
pub fn pep503(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c == '_' || c == '.' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let mut out = String::new();
    for c in replaced.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

impl Expected {
    pub fn add(&mut self, rec: &Value) {
        self.lines += 1;
        let id = rec["id"].as_str().unwrap().to_owned();
        self.ids.insert(id.clone());
        let withdrawn = rec.get("withdrawn").and_then(Value::as_str).is_some();
        if withdrawn {
            self.withdrawn.insert(id.clone());
            return;
        }
        for a in rec["affected"].as_array().into_iter().flatten() {
            let (Some(eco), Some(name)) = (
                a["package"]["ecosystem"].as_str(),
                a["package"]["name"].as_str(),
            ) else {
                continue;
            };
            let name = if eco == "PyPI" {
                pep503(name)
            } else {
                name.to_owned()
            };
            self.eco_advisories
                .entry(eco.to_owned())
                .or_default()
                .insert(id.clone());
            self.eco_packages
                .entry(eco.to_owned())
                .or_default()
                .insert(name);
        }
    }
}

/// The `.jsonl.zst` files of the shared data: main feeds and the malicious-package reports.
pub fn all_feed_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [osv_dir(), osv_dir().join("malicious")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".jsonl.zst"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

pub fn ids(advs: &[store::Advisory]) -> Vec<&str> {
    advs.iter().map(|a| a.id.as_str()).collect()
}
