//! The test's own reading of OSV records, independent of the matcher: feeds decompressed and
//! parsed with serde_json, versions compared as plain dotted numbers.

use super::common::shared;
use serde_json::Value;
use std::cmp::Ordering;

pub fn feed(rel: &str) -> Vec<Value> {
    let bytes = std::fs::read(shared().join("data/osv").join(rel)).unwrap();
    let text = zstd::decode_all(&bytes[..]).unwrap();
    String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Dotted versions as numbers; a non-numeric part (`rc4`, `beta1`) sorts below any number.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<i64> {
        v.split('.')
            .map(|p| p.parse::<i64>().unwrap_or(-1))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    Ordering::Equal
}

pub fn pep503(name: &str) -> String {
    name.to_lowercase().replace(['_', '.'], "-")
}

/// Does this OSV record name `name` at `version` in `ecosystem`? `versions` lists, then
/// ranges walked event by event as the records write them (introduced, then its end).
pub fn affects(record: &Value, ecosystem: &str, name: &str, version: &str) -> bool {
    let key = |n: &str| {
        if ecosystem == "PyPI" {
            pep503(n)
        } else {
            n.to_string()
        }
    };
    let affected = record["affected"].as_array().cloned().unwrap_or_default();
    affected.iter().any(|a| {
        if a["package"]["ecosystem"] != ecosystem
            || key(a["package"]["name"].as_str().unwrap()) != key(name)
        {
            return false;
        }
        let listed = a["versions"].as_array().cloned().unwrap_or_default();
        if listed.iter().any(|v| v == version) {
            return true;
        }
        let ranges = a["ranges"].as_array().cloned().unwrap_or_default();
        ranges
            .iter()
            .filter(|r| r["type"] == "ECOSYSTEM" || r["type"] == "SEMVER")
            .any(|r| {
                let mut start: Option<String> = None;
                for event in r["events"].as_array().unwrap() {
                    let at = |k: &str| event[k].as_str().map(str::to_string);
                    if let Some(i) = at("introduced") {
                        start = Some(i);
                    } else if let (Some(s), Some(f)) = (&start, at("fixed").or(at("limit"))) {
                        if version_cmp(s, version) != Ordering::Greater
                            && version_cmp(version, &f) == Ordering::Less
                        {
                            return true;
                        }
                        start = None;
                    } else if let (Some(s), Some(l)) = (&start, at("last_affected")) {
                        if version_cmp(s, version) != Ordering::Greater
                            && version_cmp(version, &l) != Ordering::Greater
                        {
                            return true;
                        }
                        start = None;
                    }
                }
                start.is_some_and(|s| version_cmp(&s, version) != Ordering::Greater)
            })
    })
}

/// The fix to offer: the lowest `fixed` above `version` in the record's ranges for the package.
pub fn lowest_fix(record: &Value, ecosystem: &str, name: &str, version: &str) -> Option<String> {
    let key = |n: &str| {
        if ecosystem == "PyPI" {
            pep503(n)
        } else {
            n.to_string()
        }
    };
    let affected = record["affected"].as_array().cloned().unwrap_or_default();
    affected
        .iter()
        .filter(|a| {
            a["package"]["ecosystem"] == ecosystem
                && key(a["package"]["name"].as_str().unwrap()) == key(name)
        })
        .flat_map(|a| a["ranges"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["type"] == "ECOSYSTEM" || r["type"] == "SEMVER")
        .flat_map(|r| r["events"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["fixed"].as_str().map(str::to_string))
        .filter(|f| version_cmp(f, version) == Ordering::Greater)
        .min_by(|a, b| version_cmp(a, b))
}
