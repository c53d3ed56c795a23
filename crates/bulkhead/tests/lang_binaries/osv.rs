//! What the real OSV feeds say about the packages the test holds, computed here: SEMVER
//! ranges and SemVer 2.0 precedence written for the test, independently of the matcher.

use serde_json::Value;
use std::collections::BTreeSet;

use super::common::shared;

/// Records of an OSV feed whose affected package is one of `names` in `ecosystem`, and that
/// affect the version we hold by their SEMVER ranges: (package, advisory id).
pub fn osv_expected(
    feed: &str,
    ecosystem: &str,
    held: &BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    let path = shared().join("data/osv").join(feed);
    let text = zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for line in String::from_utf8(text).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if record.get("withdrawn").is_some() {
            continue;
        }
        for affected in record["affected"].as_array().into_iter().flatten() {
            if affected["package"]["ecosystem"] != ecosystem {
                continue;
            }
            let name = affected["package"]["name"].as_str().unwrap();
            for (held_name, held_version) in held.iter().filter(|(n, _)| n == name) {
                let v = held_version.trim_start_matches('v');
                let listed = affected["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| x.as_str().map(|x| x.trim_start_matches('v')) == Some(v));
                if listed || in_ranges(&affected["ranges"], v) {
                    out.insert((
                        held_name.clone(),
                        record["id"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    out
}

/// Whether `v` falls in one of the SEMVER ranges (`introduced` ≤ v < `fixed`, or ≤
/// `last_affected`).
pub fn in_ranges(ranges: &Value, v: &str) -> bool {
    ranges.as_array().into_iter().flatten().any(|range| {
        if range["type"] != "SEMVER" {
            return false;
        }
        let mut inside = false;
        for event in range["events"].as_array().into_iter().flatten() {
            if let Some(i) = event["introduced"].as_str() {
                inside = inside || semver_cmp(v, i).is_ge();
            }
            if let Some(f) = event["fixed"].as_str() {
                if inside && semver_cmp(v, f).is_lt() {
                    return true;
                }
                inside = false;
            }
            if let Some(l) = event["last_affected"].as_str() {
                if inside && semver_cmp(v, l).is_le() {
                    return true;
                }
                inside = false;
            }
        }
        inside
    })
}

/// SemVer 2.0 precedence, written for this test: numeric core, then pre-release identifiers.
pub fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(v: &str) -> (Vec<u64>, Option<Vec<String>>) {
        let v = v.split('+').next().unwrap();
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p.split('.').map(String::from).collect())),
            None => (v, None),
        };
        let mut nums: Vec<u64> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        nums.resize(3, 0);
        (nums, pre)
    }
    let ((ca, pa), (cb, pb)) = (split(a), split(b));
    ca.cmp(&cb).then_with(|| match (pa, pb) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => {
            for (i, j) in x.iter().zip(&y) {
                let o = match (i.parse::<u64>(), j.parse::<u64>()) {
                    (Ok(i), Ok(j)) => i.cmp(&j),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    _ => i.cmp(j),
                };
                if o.is_ne() {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    })
}
