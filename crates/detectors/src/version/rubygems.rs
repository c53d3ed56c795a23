//! RubyGems versions, ordered as `Gem::Version#<=>`.
//!
//! Valid strings match RubyGems' own pattern
//! `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` with optional surrounding
//! blanks; an empty string means `0`. A `-` is read as `.pre.`. The version splits into
//! runs of digits and runs of letters; everything from the first letter run on is the
//! pre-release part. Trailing zeros are dropped from both parts, then segments compare
//! pairwise: numbers numerically, letters case-sensitively, a letter segment before a
//! number, and a missing segment counts as `0`.

use std::cmp::Ordering;

use super::{Num, Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    Num(Num<'a>),
    Text(&'a str),
}

impl Seg<'_> {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(n) if n.is_zero())
    }
}

fn is_valid(v: &str) -> bool {
    let (main, pre) = match v.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (v, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// Canonical segments of a version whose `-`s were already replaced by `.pre.`: digit and
/// letter runs, split at the first letter run, trailing zeros dropped from both halves.
fn segments(v: &str) -> Vec<Seg<'_>> {
    let mut segs = Vec::new();
    let mut rest = v;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let digit = rest.as_bytes()[0].is_ascii_digit();
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() && b.is_ascii_digit() == digit)
            .count();
        let (run, r) = rest.split_at(len);
        segs.push(if digit {
            Seg::Num(Num::new(run))
        } else {
            Seg::Text(run)
        });
        rest = r;
    }
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Text(_)))
        .unwrap_or(segs.len());
    let mut pre = segs.split_off(split);
    while segs.last().is_some_and(Seg::is_zero) {
        segs.pop();
    }
    while pre.last().is_some_and(Seg::is_zero) {
        pre.pop();
    }
    segs.extend(pre);
    segs
}

fn cmp_seg(a: Seg<'_>, b: Seg<'_>) -> Ordering {
    match (a, b) {
        (Seg::Num(x), Seg::Num(y)) => x.cmp(&y),
        (Seg::Text(x), Seg::Text(y)) => x.cmp(y),
        (Seg::Text(_), Seg::Num(_)) => Ordering::Less,
        (Seg::Num(_), Seg::Text(_)) => Ordering::Greater,
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let check = |v: &str| {
        let t = v.trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() || is_valid(t) {
            Ok(t.replace('-', ".pre."))
        } else {
            Err(VersionError::new(
                Scheme::RubyGems,
                v,
                "malformed version number string",
            ))
        }
    };
    let (na, nb) = (check(a)?, check(b)?);
    let (sa, sb) = (segments(&na), segments(&nb));
    let zero = Seg::Num(Num::default());
    let n = sa.len().max(sb.len());
    Ok((0..n)
        .map(|i| cmp_seg(*sa.get(i).unwrap_or(&zero), *sb.get(i).unwrap_or(&zero)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn gem_version_order() {
        assert_eq!(c("1.0", "1"), Equal);
        assert_eq!(c("1.0.a2", "1.0.a.2"), Equal);
        assert_eq!(c("1.0.a10", "1.0.a9"), Greater);
        assert_eq!(c("1.0.b1", "1.0"), Less);
        assert_eq!(c("1.0.0-rc1", "1.0.0.pre.rc1"), Equal);
        assert_eq!(c("1.0.0-rc1", "1.0.0"), Less);
        assert_eq!(c("1.0.0-rc1", "1.0.0.rc1"), Less);
        assert_eq!(c("1.0.A", "1.0.a"), Less);
        assert_eq!(c("1.0.0.0.a", "1.a"), Equal);
        assert_eq!(c("", "0"), Equal);
        assert_eq!(c(" 1.2 ", "1.2"), Equal);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "1beta", "a", "1..2", "1.", "1.0-", "1.0-a..b", "1 2", "v1.0", "1.α",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
    }
}
