//! Packagist (Composer) versions, ordered as PHP's `version_compare`, which Composer's
//! `Comparator` uses, after dropping a leading `v`/`V` as Composer's normaliser does.
//!
//! Written from the PHP manual's description: `-`, `_`, `+` and any other character that is
//! not a letter or digit become `.`, a `.` is inserted between a digit and a non-digit, and
//! runs of dots collapse. The resulting parts compare left to right: numbers numerically;
//! words by their special form `(unknown) < dev < alpha = a < beta = b < RC = rc < # < pl = p`
//! (matched by prefix, case-sensitively); a number against a word is compared as the form
//! `#`. When one version has parts left, a number there makes it newer, and a word is
//! compared against `#` (so `1.0rc1 < 1.0 < 1.0pl1`).
//!
//! Deviations, chosen on purpose: numbers compare exactly at any size (PHP clamps them to a
//! machine long); characters outside `[0-9A-Za-z._+-]` and a leading or trailing separator
//! are rejected, since Composer refuses such versions and PHP's treatment of them is an
//! accident of its parser (`1.` sorts below `1`, and makes the order cyclic).

use std::cmp::Ordering;

use super::{cmp_digits, Scheme, VersionError};

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// The canonical form: parts separated by single dots.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = v.split_first() else {
        return Vec::new();
    };
    let mut out = vec![first];
    let mut prev = first;
    let non_digit = |c: u8| !is_digit(c) && c != b'.';
    for &c in rest {
        let last = *out.last().unwrap_or(&b'.');
        let transition = (non_digit(prev) && is_digit(c)) || (is_digit(prev) && non_digit(c));
        // Separators first, then digit/non-digit boundaries, then other punctuation.
        let separator = matches!(c, b'-' | b'_' | b'+');
        if (separator || transition || !c.is_ascii_alphanumeric()) && last != b'.' {
            out.push(b'.');
        }
        if !separator && (transition || c.is_ascii_alphanumeric()) {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Rank of a word part; `None` for words that are not special forms.
fn special_form(part: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| part.starts_with(name))
        .map_or(-1, |&(_, rank)| rank)
}

const NUMBER_FORM: &[u8] = b"#N#";

fn cmp_part(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |p: &[u8]| p.first().is_some_and(|&c| is_digit(c));
    let digits = |p: &[u8]| {
        let n = p.iter().take_while(|&&c| is_digit(c)).count();
        // Only ASCII digits were taken, so this is valid UTF-8.
        std::str::from_utf8(&p[..n]).unwrap_or_default().to_owned()
    };
    match (digit(a), digit(b)) {
        (true, true) => cmp_digits(&digits(a), &digits(b)),
        (false, false) => special_form(a).cmp(&special_form(b)),
        (true, false) => special_form(NUMBER_FORM).cmp(&special_form(b)),
        (false, true) => special_form(a).cmp(&special_form(NUMBER_FORM)),
    }
}

/// `version_compare` on raw bytes, including its treatment of leftover parts.
fn php_compare(a: &[u8], b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let canon = |v: &[u8]| {
        if v[0] == b'#' {
            v.to_vec()
        } else {
            canonicalize(v)
        }
    };
    let (ca, cb) = (canon(a), canon(b));
    let (mut pa, mut pb) = (0, 0);
    // Position of the dot ending the current part, as PHP tracks it.
    let (mut da, mut db) = (Some(0), Some(0));
    let mut ord = Ordering::Equal;
    while pa < ca.len() && pb < cb.len() && da.is_some() && db.is_some() {
        da = ca[pa..].iter().position(|&c| c == b'.').map(|i| pa + i);
        db = cb[pb..].iter().position(|&c| c == b'.').map(|i| pb + i);
        ord = cmp_part(
            &ca[pa..da.unwrap_or(ca.len())],
            &cb[pb..db.unwrap_or(cb.len())],
        );
        if ord.is_ne() {
            break;
        }
        if let Some(d) = da {
            pa = d + 1;
        }
        if let Some(d) = db {
            pb = d + 1;
        }
    }
    if ord.is_eq() {
        if da.is_some() {
            ord = match ca.get(pa) {
                Some(&c) if is_digit(c) => Ordering::Greater,
                _ => php_compare(&ca[pa..], NUMBER_FORM),
            };
        } else if db.is_some() {
            ord = match cb.get(pb) {
                Some(&c) if is_digit(c) => Ordering::Less,
                _ => php_compare(NUMBER_FORM, &cb[pb..]),
            };
        }
    }
    ord
}

fn prepare(v: &str) -> Result<&str, VersionError> {
    let t = v.trim_start_matches(['v', 'V']);
    if t.is_empty() {
        return Err(VersionError::new(Scheme::Packagist, v, "version is empty"));
    }
    let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-');
    if !t.bytes().all(ok) {
        return Err(VersionError::new(
            Scheme::Packagist,
            v,
            "unexpected character in version",
        ));
    }
    let sep = |c: u8| matches!(c, b'.' | b'_' | b'+' | b'-');
    if t.bytes().next().is_some_and(sep) || t.bytes().last().is_some_and(sep) {
        return Err(VersionError::new(
            Scheme::Packagist,
            v,
            "version starts or ends with a separator",
        ));
    }
    Ok(t)
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ta, tb) = (prepare(a)?, prepare(b)?);
    Ok(php_compare(ta.as_bytes(), tb.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn canonical_form() {
        let s = |v: &str| String::from_utf8(canonicalize(v.as_bytes())).unwrap();
        assert_eq!(s("1.0rc1"), "1.0.rc.1");
        assert_eq!(s("1.2-3+4_alpha5"), "1.2.3.4.alpha.5");
        assert_eq!(s("1...2"), "1.2");
    }

    #[test]
    fn version_compare_order() {
        let chain = ["1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0.1"];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1.0rc1", "1.0RC1"), Equal);
        // A patch-level word outranks a number in the same place, as in PHP.
        assert_eq!(c("1.0pl1", "1.0"), Greater);
        assert_eq!(c("1.0pl1", "1.0.1"), Greater);
        assert_eq!(c("1.0", "1.0.0"), Less);
        assert_eq!(c("v1.2.3", "1.2.3"), Equal);
        assert_eq!(c("dev-main", "0.0.1"), Less);
        assert_eq!(c("1.0-foo", "1.0-dev"), Less);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn rejects_odd_characters() {
        for bad in [
            "", "v", "1.0#", "1.0 beta", "1.α", "1/2", "1.", "-1", "1.0-",
        ] {
            assert!(compare(bad, "1.0").is_err(), "{bad:?}");
        }
    }
}
