//! NuGet versions, ordered as `NuGet.Versioning.VersionComparer.Default`.
//!
//! `N[.N[.N[.N]]][-label(.label)*][+metadata]`: one to four numeric parts (missing ones are
//! 0, so `1.0` = `1.0.0.0`), then SemVer-style pre-release labels compared
//! case-insensitively (numeric labels numerically and before alphanumeric ones), and build
//! metadata, which is ignored. NuGet itself limits each number to a 32-bit int; larger
//! numbers are accepted here and compared exactly.

use std::cmp::Ordering;

use super::{Num, Scheme, VersionError};

struct Version<'a> {
    parts: [Num<'a>; 4],
    labels: Vec<&'a str>,
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn parse(s: &str) -> Result<Version<'_>, VersionError> {
    let err = |reason| VersionError::new(Scheme::NuGet, s, reason);
    let t = s.trim();
    let (main, meta) = match t.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (t, None),
    };
    if meta.is_some_and(|m| !m.split('.').all(ident_ok)) {
        return Err(err("malformed build metadata"));
    }
    let (nums, pre) = match main.split_once('-') {
        Some((n, p)) => (n, Some(p)),
        None => (main, None),
    };
    let mut parts = [Num::default(); 4];
    for (i, p) in nums.split('.').enumerate() {
        if i == 4 || p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err("expected one to four dot-separated numbers"));
        }
        parts[i] = Num::new(p);
    }
    let labels = match pre {
        None => Vec::new(),
        Some(p) => {
            let labels: Vec<&str> = p.split('.').collect();
            if !labels.iter().all(|l| ident_ok(l)) {
                return Err(err("malformed pre-release label"));
            }
            labels
        }
    };
    Ok(Version { parts, labels })
}

fn is_number(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit())
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    match (is_number(a), is_number(b)) {
        (true, true) => Num::new(a).cmp(&Num::new(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        // OrdinalIgnoreCase compares upper-cased characters.
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (va, vb) = (parse(a)?, parse(b)?);
    let ord = va.parts.cmp(&vb.parts);
    if ord.is_ne() {
        return Ok(ord);
    }
    Ok(match (va.labels.is_empty(), vb.labels.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => va
            .labels
            .iter()
            .zip(&vb.labels)
            .map(|(x, y)| cmp_label(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| va.labels.len().cmp(&vb.labels.len())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn nuget_order() {
        assert_eq!(c("1.0", "1.0.0.0"), Equal);
        assert_eq!(c("1", "1.0.0"), Equal);
        assert_eq!(c("1.0.01", "1.0.1"), Equal);
        assert_eq!(c("1.0.0.1", "1.0.0"), Greater);
        assert_eq!(c("1.0.0-BETA", "1.0.0-beta"), Equal);
        assert_eq!(c("1.0.0-beta", "1.0.0"), Less);
        assert_eq!(c("1.0.0-beta.2", "1.0.0-beta.10"), Less);
        assert_eq!(c("1.0.0-beta.x", "1.0.0-beta.10"), Greater);
        assert_eq!(c("1.0.0-beta", "1.0.0-beta.1"), Less);
        assert_eq!(c("1.0.0+abc", "1.0.0+def"), Equal);
        assert_eq!(c("99999999999999999999.0", "1.0"), Greater);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "v1.0",
            "1.2.3.4.5",
            "1..2",
            "1.0-",
            "1.0-a..b",
            "1.0+",
            "a",
            "1.α",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?}");
        }
    }
}
