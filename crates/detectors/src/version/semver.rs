//! SemVer 2.0.0 precedence (crates.io, npm) and Go module versions.
//!
//! Precedence is the spec's §11: major, minor, patch numerically; a pre-release is older
//! than its release; pre-release identifiers compare numerically when all digits, otherwise
//! in ASCII order, numeric ones before alphanumeric ones, and a shorter list first when one
//! is a prefix of the other. Build metadata is validated and then ignored.
//!
//! Tolerated beyond the spec, because advisory feeds and lockfiles contain them: a leading `v`
//! (npm's loose parsing, and Go's canonical form), and a missing minor or patch (`1`, `1.2`,
//! and OSV's `introduced: "0"`), which count as zero as in Go's `semver` package.
//! Leading zeros in numbers and more than three core components are errors.

use std::cmp::Ordering;

use super::{cmp_digits, split_run, Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Semver,
    Go,
}

impl Flavor {
    fn scheme(self) -> Scheme {
        match self {
            Flavor::Semver => Scheme::Semver,
            Flavor::Go => Scheme::Go,
        }
    }
}

struct Version<'a> {
    core: [&'a str; 3],
    /// Empty when there is no pre-release.
    pre: Vec<&'a str>,
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// Splits dot-separated identifiers, each non-empty and made of `[0-9A-Za-z-]`.
fn idents(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.split('.').collect();
    let ok = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(is_ident_char));
    ok.then_some(parts)
}

fn parse(s: &str, flavor: Flavor) -> Result<Version<'_>, VersionError> {
    let err = |reason| VersionError::new(flavor.scheme(), s, reason);
    let body = s.strip_prefix('v').unwrap_or(s);
    let (main, build) = match body.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (body, None),
    };
    if let Some(b) = build {
        idents(b).ok_or_else(|| err("malformed build metadata"))?;
    }
    let (core_str, pre_str) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let mut core = ["0"; 3];
    let mut rest = core_str;
    for (i, slot) in core.iter_mut().enumerate() {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) => rest = r,
                None => break,
            }
        }
        let (n, r) = split_run(rest, |c| c.is_ascii_digit());
        if n.is_empty() {
            return Err(err("expected a number"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(err("number has a leading zero"));
        }
        *slot = n;
        rest = r;
    }
    if !rest.is_empty() {
        return Err(err("unexpected text after major.minor.patch"));
    }
    let pre = match pre_str {
        None => Vec::new(),
        Some(p) => {
            let ids = idents(p).ok_or_else(|| err("malformed pre-release"))?;
            if ids
                .iter()
                .any(|i| is_number(i) && i.len() > 1 && i.starts_with('0'))
            {
                return Err(err("numeric pre-release identifier has a leading zero"));
            }
            ids
        }
    };
    Ok(Version { core, pre })
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    match (is_number(a), is_number(b)) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

fn cmp_pre(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a
            .iter()
            .zip(b)
            .map(|(x, y)| cmp_ident(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.len().cmp(&b.len())),
    }
}

pub(crate) fn compare(a: &str, b: &str, flavor: Flavor) -> Result<Ordering, VersionError> {
    let (va, vb) = (parse(a, flavor)?, parse(b, flavor)?);
    let core = va
        .core
        .iter()
        .zip(&vb.core)
        .map(|(x, y)| cmp_digits(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal);
    Ok(core.then_with(|| cmp_pre(&va.pre, &vb.pre)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        let ord = compare(a, b, Flavor::Semver).unwrap();
        assert_eq!(
            compare(b, a, Flavor::Go).unwrap(),
            ord.reverse(),
            "{a} vs {b}"
        );
        ord
    }

    #[test]
    fn spec_precedence() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1.0.0+build.1", "1.0.0+build.2"), Equal);
        assert_eq!(c("v1.2.3", "1.2.3"), Equal);
        assert_eq!(c("1.2", "1.2.0"), Equal);
        assert_eq!(c("0", "0.0.1-alpha"), Less);
        assert_eq!(c("1.0.0-x-y", "1.0.0-x"), Greater);
        assert_eq!(c("1.2.3-A", "1.2.3-a"), Less);
    }

    #[test]
    fn go_pseudo_versions() {
        assert_eq!(c("v0.0.0-20200101000000-abcdefabcdef", "v0.0.1"), Less);
        assert_eq!(c("v1.2.4-0.20200101000000-abcdefabcdef", "v1.2.3"), Greater);
        assert_eq!(
            c(
                "v1.2.4-0.20200101000000-abcdefabcdef",
                "v1.2.4-0.20210101000000-000000000000"
            ),
            Less
        );
        assert_eq!(c("v2.0.0+incompatible", "v2.0.0"), Equal);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "v",
            "1.",
            "1..2",
            "01.2.3",
            "1.2.3.4",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3-01",
            "1.2.3-α",
            "x1",
            "1.2.3 ",
        ] {
            assert!(compare(bad, "1.0.0", Flavor::Semver).is_err(), "{bad:?}");
        }
    }
}
