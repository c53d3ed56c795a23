//! Python package versions, PEP 440 (as the `packaging` library parses and orders them).
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, case-insensitive, with the spec's
//! alternative spellings (`alpha`, `beta`, `c`, `pre`, `preview`, `rev`, `r`, `-N` as an
//! implicit post-release, optional `-`/`_`/`.` separators, a leading `v`).
//!
//! Order: epoch, release (trailing zeros ignored), pre-release (a dev release of a final
//! version sorts before its pre-releases), post-release, dev-release, local label. Legacy
//! (non-PEP 440) versions, which current `packaging` and pip reject, are errors.

use std::cmp::Ordering;

use super::{split_run, Num, Scheme, VersionError};

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pre<'a> {
    /// A dev release of a final version (`1.0.dev1`) sorts before `1.0a1`.
    DevOnly,
    /// Rank (`a` < `b` < `rc`) and number.
    Some(u8, Num<'a>),
    Final,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Dev<'a> {
    Some(Num<'a>),
    None,
}

/// Local label segment: letters sort before numbers.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local<'a> {
    Text(&'a str),
    Number(Num<'a>),
}

/// The sort key; the derived order is PEP 440's order because of the field order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a> {
    epoch: Num<'a>,
    release: Vec<Num<'a>>,
    pre: Pre<'a>,
    post: Option<Num<'a>>,
    dev: Dev<'a>,
    local: Option<Vec<Local<'a>>>,
}

fn is_sep(c: u8) -> bool {
    matches!(c, b'-' | b'_' | b'.')
}

/// Skips one optional separator.
fn opt_sep(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(&c) if is_sep(c) => &s[1..],
        _ => s,
    }
}

/// `[sep]label[sep][N]` for one of `labels`; returns the label index, the number and the
/// rest. A separator followed by no digits is left for the next part.
fn labelled<'a>(s: &'a str, labels: &[&str]) -> Option<(usize, Num<'a>, &'a str)> {
    let t = opt_sep(s);
    let (i, label) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| t.starts_with(**l))?;
    let after = &t[label.len()..];
    let (n, rest) = split_run(opt_sep(after), |c| c.is_ascii_digit());
    if n.is_empty() {
        return Some((i, Num::default(), after));
    }
    Some((i, Num::new(n), rest))
}

/// Parses an already lowercased, trimmed version into its sort key.
fn parse(s: &str) -> Option<Key<'_>> {
    let mut rest = s.strip_prefix('v').unwrap_or(s);
    let (mut epoch, mut r) = split_run(rest, |c| c.is_ascii_digit());
    match r.strip_prefix('!') {
        Some(after) if !epoch.is_empty() => rest = after,
        _ => epoch = "",
    }
    let mut release = Vec::new();
    loop {
        let (n, after) = split_run(rest, |c| c.is_ascii_digit());
        if n.is_empty() {
            return None;
        }
        release.push(Num::new(n));
        r = after;
        match r.strip_prefix('.') {
            Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => rest = next,
            _ => break,
        }
    }
    rest = r;
    while release.last().is_some_and(|n| n.is_zero()) {
        release.pop();
    }
    // Longer spellings first so `alpha` is not read as `a` followed by junk.
    const PRE: [&str; 8] = ["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"];
    const PRE_RANK: [u8; 8] = [0, 1, 2, 2, 2, 0, 1, 2];
    let mut pre = Pre::Final;
    if let Some((i, n, after)) = labelled(rest, &PRE) {
        pre = Pre::Some(PRE_RANK[i], n);
        rest = after;
    }
    let mut post = None;
    let implicit = rest
        .strip_prefix('-')
        .map(|t| split_run(t, |c| c.is_ascii_digit()))
        .filter(|(n, _)| !n.is_empty());
    if let Some((n, after)) = implicit {
        post = Some(Num::new(n));
        rest = after;
    } else if let Some((_, n, after)) = labelled(rest, &["post", "rev", "r"]) {
        post = Some(n);
        rest = after;
    }
    let mut dev = Dev::None;
    if let Some((_, n, after)) = labelled(rest, &["dev"]) {
        dev = Dev::Some(n);
        rest = after;
    }
    if pre == Pre::Final && post.is_none() && dev != Dev::None {
        pre = Pre::DevOnly;
    }
    let local = match rest.strip_prefix('+') {
        None if rest.is_empty() => None,
        None => return None,
        Some(label) => {
            let mut parts = Vec::new();
            for p in label.split(['-', '_', '.']) {
                if p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                parts.push(if p.bytes().all(|c| c.is_ascii_digit()) {
                    Local::Number(Num::new(p))
                } else {
                    Local::Text(p)
                });
            }
            Some(parts)
        }
    };
    Some(Key {
        epoch: Num::new(epoch),
        release,
        pre,
        post,
        dev,
        local,
    })
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let norm = |s: &str| s.trim().to_ascii_lowercase();
    let (la, lb) = (norm(a), norm(b));
    let invalid = |s: &str| VersionError::new(Scheme::Pep440, s, "not a PEP 440 version");
    let ka = parse(&la).ok_or_else(|| invalid(a))?;
    let kb = parse(&lb).ok_or_else(|| invalid(b))?;
    Ok(ka.cmp(&kb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn spec_order() {
        // The ordering example from PEP 440's "Summary of permitted suffixes".
        let chain = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(c("1.0", "1.0.0"), Equal);
        assert_eq!(c("v1.0", "1.0"), Equal);
        assert_eq!(c("1.0ALPHA1", "1.0a1"), Equal);
        assert_eq!(c("1.0-c1", "1.0rc1"), Equal);
        assert_eq!(c("1.0.preview_2", "1.0rc2"), Equal);
        assert_eq!(c("1.0-1", "1.0.post1"), Equal);
        assert_eq!(c("1.0.rev", "1.0.post0"), Equal);
        assert_eq!(c("1.0a.post1", "1.0a0.post1"), Equal);
        assert_eq!(c("1.0-dev", "1.0.dev0"), Equal);
        assert_eq!(c("1!0.1", "2.0"), Greater);
        assert_eq!(c("1.0+Ubuntu-1", "1.0+ubuntu.1"), Equal);
        assert_eq!(c(" 1.0 ", "1.0"), Equal);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn rejects_legacy() {
        for bad in [
            "",
            "v",
            "1.0-bulbasaur",
            "trunk",
            "1.0+",
            "1.0+a..b",
            "1..0",
            "1.0.",
            "!1",
            "1.0foo",
            "1.0a1a2",
            "1.0+ä",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?}");
        }
    }
}
