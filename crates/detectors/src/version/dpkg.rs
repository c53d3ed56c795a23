//! Debian package versions: `[epoch:]upstream[-revision]`, ordered as dpkg's `verrevcmp`.
//!
//! Parsing follows dpkg's `parseversion`: the epoch ends at the first `:`, the revision starts
//! after the last `-`. What dpkg reports as a warning (upstream not starting with a digit,
//! characters outside its alphabet) is an error here, because such strings never come from a
//! real package database and guessing an order for them could hide a vulnerability.

use std::cmp::Ordering;

use super::{cmp_digits, Scheme, VersionError};

/// A parsed version borrowing from the input.
#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    epoch: &'a str,
    upstream: &'a str,
    revision: &'a str,
}

fn err(v: &str, reason: &'static str) -> VersionError {
    VersionError::new(Scheme::Dpkg, v, reason)
}

fn parse(s: &str) -> Result<Version<'_>, VersionError> {
    // dpkg trims surrounding blanks, but rejects embedded ones.
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return Err(err(s, "version string is empty"));
    }
    if t.bytes().any(|c| c.is_ascii_whitespace()) {
        return Err(err(s, "version string has embedded spaces"));
    }
    let (epoch, rest) = match t.split_once(':') {
        Some((e, rest)) => {
            if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err(s, "epoch in version is not a number"));
            }
            // dpkg stores the epoch in an int and refuses anything larger.
            if cmp_digits(e, "2147483647") == Ordering::Greater {
                return Err(err(s, "epoch in version is too big"));
            }
            if rest.is_empty() {
                return Err(err(s, "nothing after colon in version number"));
            }
            (e, rest)
        }
        None => ("0", t),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(err(s, "revision number is empty")),
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err(s, "version number is empty"));
    }
    if !upstream.as_bytes()[0].is_ascii_digit() {
        return Err(err(s, "version number does not start with digit"));
    }
    let ok_up = |c: u8| c.is_ascii_alphanumeric() || b".-+~:".contains(&c);
    if !upstream.bytes().all(ok_up) {
        return Err(err(s, "invalid character in version number"));
    }
    let ok_rev = |c: u8| c.is_ascii_alphanumeric() || b".+~".contains(&c);
    if !revision.bytes().all(ok_rev) {
        return Err(err(s, "invalid character in revision number"));
    }
    Ok(Version {
        epoch,
        upstream,
        revision,
    })
}

/// dpkg's weight of a non-digit character: `~` sorts before everything, even the end of the
/// string; letters sort before all other punctuation.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Alternates non-digit runs (compared by `weight`) and digit runs (compared numerically).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // Non-digit prefix, character by character; a digit or the end weighs 0.
        while a.first().is_some_and(|c| !c.is_ascii_digit())
            || b.first().is_some_and(|c| !c.is_ascii_digit())
        {
            let (wa, wb) = (weight(a.first().copied()), weight(b.first().copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            a = &a[1..];
            b = &b[1..];
        }
        let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
        // Both runs are ASCII digits, so the byte slices are valid UTF-8.
        let da = std::str::from_utf8(&a[..na]).unwrap_or_default();
        let db = std::str::from_utf8(&b[..nb]).unwrap_or_default();
        let ord = cmp_digits(da, db);
        if ord != Ordering::Equal {
            return ord;
        }
        a = &a[na..];
        b = &b[nb..];
    }
    Ordering::Equal
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (va, vb) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(va.epoch, vb.epoch)
        .then_with(|| verrevcmp(va.upstream, vb.upstream))
        .then_with(|| verrevcmp(va.revision, vb.revision)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn orders_like_dpkg() {
        assert_eq!(c("1.0", "1.0"), Equal);
        assert_eq!(c("1.0", "1:0.1"), Less);
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0~", "1.0"), Less);
        assert_eq!(c("1.0~~", "1.0~"), Less);
        assert_eq!(c("1.0a", "1.0+"), Less);
        assert_eq!(c("1.0+", "1.0"), Greater);
        assert_eq!(c("1.0-1", "1.0"), Greater);
        assert_eq!(c("1.0-0", "1.0"), Equal);
        assert_eq!(c("1.2.3-1~deb7u1", "1.2.3-1"), Less);
        assert_eq!(c("1.10", "1.9"), Greater);
        assert_eq!(c("1.010", "1.10"), Equal);
        assert_eq!(c("1:1.0", "01:1.0"), Equal);
        assert_eq!(c("1.0-a-b", "1.0-a-c"), Less);
        assert_eq!(c("2:1", "1:99999999999999999999999999"), Greater);
        assert_eq!(
            c(
                "1.99999999999999999999999999",
                "1.100000000000000000000000000"
            ),
            Less
        );
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            " ",
            "a1.0",
            ":1.0",
            "x:1.0",
            "1:",
            "1.0-",
            "1 0",
            "1.0_1",
            "1.0-a:b",
            "99999999999:1",
            "1.α",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
            assert!(compare("1", bad).is_err(), "{bad:?}");
        }
    }
}
