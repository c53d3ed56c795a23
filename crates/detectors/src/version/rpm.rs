//! RPM versions: `[epoch:]version[-release]`, ordered as modern rpm's `rpmvercmp`.
//!
//! The EVR split follows rpm: the epoch is a run of digits before a `:` at the very start
//! (otherwise the colon is just part of the version), the release is everything after the last
//! `-`. Segments are maximal runs of ASCII digits or ASCII letters; anything else (including
//! non-ASCII text) only separates segments. `~` sorts before everything, even the end of the
//! string; `^` sorts after the end of the string but before any further segment.
//!
//! A missing epoch is 0. When only one side has a release, that side is the newer one
//! (`1 < 1-0`), as rpm's own `rpmverCmp` (and its Lua `rpm.vercmp`) decides.

use std::cmp::Ordering;

use super::{cmp_digits, split_run, Scheme, VersionError};

struct Evr<'a> {
    epoch: &'a str,
    version: &'a str,
    release: Option<&'a str>,
}

fn parse(s: &str) -> Result<Evr<'_>, VersionError> {
    if s.is_empty() {
        return Err(VersionError::new(Scheme::Rpm, s, "version string is empty"));
    }
    let (digits, after) = split_run(s, |c| c.is_ascii_digit());
    let (epoch, rest) = match after.strip_prefix(':') {
        Some(rest) => (digits, rest),
        None => ("0", s),
    };
    let (version, release) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (rest, None),
    };
    Ok(Evr {
        epoch,
        version,
        release,
    })
}

/// Modern rpm's segment-wise comparison, including `~` and `^`.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut a, mut b) = (a, b);
    loop {
        a = split_run(a, sep).1;
        b = split_run(b, sep).1;
        let (x, y) = (a.as_bytes().first(), b.as_bytes().first());
        // A tilde loses against anything, the end of the string included.
        if x == Some(&b'~') || y == Some(&b'~') {
            if x != Some(&b'~') {
                return Ordering::Greater;
            }
            if y != Some(&b'~') {
                return Ordering::Less;
            }
            a = &a[1..];
            b = &b[1..];
            continue;
        }
        // A caret beats the end of the string but loses against any further segment.
        if x == Some(&b'^') || y == Some(&b'^') {
            match (x, y) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(&b'^'), Some(&b'^')) => {}
                (Some(&b'^'), _) => return Ordering::Less,
                _ => return Ordering::Greater,
            }
            a = &a[1..];
            b = &b[1..];
            continue;
        }
        let (Some(&x), Some(_)) = (x, y) else {
            break;
        };
        let numeric = x.is_ascii_digit();
        let class = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (sa, ra) = split_run(a, class);
        let (sb, rb) = split_run(b, class);
        // Segments of different types: a number is newer than letters.
        if sb.is_empty() {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        a = ra;
        b = rb;
    }
    // Whichever side still has segments left is newer.
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        _ => Ordering::Less,
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ea, eb) = (parse(a)?, parse(b)?);
    let ord = cmp_digits(ea.epoch, eb.epoch).then_with(|| rpmvercmp(ea.version, eb.version));
    Ok(ord.then_with(|| match (ea.release, eb.release) {
        (Some(x), Some(y)) => rpmvercmp(x, y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn orders_like_rpm() {
        assert_eq!(c("1.0", "1.0"), Equal);
        assert_eq!(c("1.0", "1.0.1"), Less);
        assert_eq!(c("1.0a", "1.0"), Greater);
        assert_eq!(c("1.0a", "1.0.1"), Less);
        assert_eq!(c("1.a", "1.1"), Less);
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0^git1", "1.0"), Greater);
        assert_eq!(c("1.0^git1", "1.0.1"), Less);
        assert_eq!(c("1.0^git1~pre", "1.0^git1"), Less);
        assert_eq!(c("10.0001", "10.1"), Equal);
        assert_eq!(c("1_0", "1.0"), Equal);
        assert_eq!(c("1:1.0", "2.0"), Greater);
        assert_eq!(c("1.0-1.el9", "1.0-1.el9_2"), Less);
        assert_eq!(c("0:3.10.0-229.el7", "3.10.0-229.1.2.el7"), Less);
        assert_eq!(c("1.0", "1.0-1"), Less);
        assert_eq!(c("a:1", "b:1"), Less);
        assert_eq!(c("1.β", "1.α"), Equal);
        assert_eq!(c("99999999999999999999999:1", "1:1"), Greater);
    }

    #[test]
    fn only_empty_is_invalid() {
        assert!(compare("", "1").is_err());
        assert!(compare("1", "").is_err());
        assert!(compare(":", "-").is_ok());
    }
}
