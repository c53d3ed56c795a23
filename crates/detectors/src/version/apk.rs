//! Alpine package versions, ordered as apk-tools orders them.
//!
//! Written from the grammar in apk-tools' `apk-package(5)` and the Alpine wiki's package
//! policies (not from apk-tools' code, which is GPL):
//!
//! ```text
//! number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}
//! ```
//!
//! suffixes ordered `alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p`.
//! The version is read as a sequence of typed tokens and two versions are walked in step.
//! While both sides have a token of the same kind the token values decide; at the first point
//! where the kinds differ, the side that carries on with more version detail is newer, unless
//! what it carries on with is a pre-release suffix.
//!
//! Two relaxations that real Alpine packages rely on: a letter may be followed by more digits
//! (openssh's `6.6.2p1`), and such digits compare as numbers. Everything else outside the
//! grammar (`1.0bc`, `1-ruff`, `0..8`, `.1`, capital letters, unknown suffixes) is rejected
//! with a `VersionError` instead of being given a guessed order.

use std::cmp::Ordering;

use super::{cmp_digits, split_run, Scheme, VersionError};

/// Token kinds in grammar order; at a mismatch the earlier kind means "newer".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    Hash,
    Revision,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    /// For digits: the component followed a `.`, so leading zeros make it compare as text.
    dotted: bool,
    /// For suffixes: rank in the suffix order.
    rank: u8,
}

/// Rank of `(none)` among the suffixes; lower ranks are pre-releases.
const NO_SUFFIX: u8 = 4;
const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];

fn err(v: &str, reason: &'static str) -> VersionError {
    VersionError::new(Scheme::Apk, v, reason)
}

fn tok(kind: Kind, text: &str) -> Token<'_> {
    Token {
        kind,
        text,
        dotted: false,
        rank: NO_SUFFIX,
    }
}

/// Splits a whole version into tokens, rejecting anything outside the grammar.
fn tokenize(v: &str) -> Result<Vec<Token<'_>>, VersionError> {
    let digits = |c: u8| c.is_ascii_digit();
    let (first, mut rest) = split_run(v, digits);
    if first.is_empty() {
        return Err(err(v, "version must start with a digit"));
    }
    let mut out = vec![tok(Kind::Digit, first)];
    let mut prev = Kind::Digit;
    while let Some(&c) = rest.as_bytes().first() {
        let t = match c {
            b'.' if prev == Kind::Digit => {
                let (d, r) = split_run(&rest[1..], digits);
                if d.is_empty() {
                    return Err(err(v, "`.` must be followed by digits"));
                }
                rest = r;
                Token {
                    dotted: true,
                    ..tok(Kind::Digit, d)
                }
            }
            b'a'..=b'z' if prev == Kind::Digit => {
                let (l, r) = rest.split_at(1);
                rest = r;
                tok(Kind::Letter, l)
            }
            b'0'..=b'9' if prev == Kind::Letter => {
                let (d, r) = split_run(rest, digits);
                rest = r;
                tok(Kind::Digit, d)
            }
            b'0'..=b'9' if prev == Kind::Suffix => {
                let (d, r) = split_run(rest, digits);
                rest = r;
                tok(Kind::SuffixNo, d)
            }
            b'_' if prev <= Kind::SuffixNo => {
                let (name, r) = split_run(&rest[1..], |c| c.is_ascii_lowercase());
                let rank = SUFFIXES
                    .iter()
                    .position(|s| !s.is_empty() && *s == name)
                    .ok_or_else(|| err(v, "unknown `_` suffix"))?;
                rest = r;
                Token {
                    rank: rank as u8,
                    ..tok(Kind::Suffix, name)
                }
            }
            b'~' if prev < Kind::Hash => {
                let (h, r) = split_run(&rest[1..], |c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                if h.is_empty() {
                    return Err(err(v, "`~` must be followed by a lowercase hex hash"));
                }
                rest = r;
                tok(Kind::Hash, h)
            }
            b'-' if prev < Kind::Revision => {
                let (d, r) = match rest.strip_prefix("-r") {
                    Some(after) => split_run(after, digits),
                    None => ("", rest),
                };
                if d.is_empty() {
                    return Err(err(v, "`-` must start a `-r<number>` revision"));
                }
                rest = r;
                tok(Kind::Revision, d)
            }
            _ => return Err(err(v, "unexpected character in version")),
        };
        prev = t.kind;
        out.push(t);
    }
    Ok(out)
}

/// Orders two tokens of the same kind.
fn cmp_same(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        // A dotted component with a leading zero compares as text (`1.02 < 1.1`), as in
        // Gentoo's rules which apk follows.
        Kind::Digit
            if a.dotted && b.dotted && (a.text.starts_with('0') || b.text.starts_with('0')) =>
        {
            a.text.cmp(b.text)
        }
        Kind::Digit | Kind::SuffixNo | Kind::Revision => cmp_digits(a.text, b.text),
        Kind::Letter => a.text.cmp(b.text),
        Kind::Suffix => a.rank.cmp(&b.rank),
        // A commit hash names a build, it carries no order of its own.
        Kind::Hash | Kind::End => Ordering::Equal,
    }
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ta, tb) = (tokenize(a)?, tokenize(b)?);
    let end = tok(Kind::End, "");
    for i in 0.. {
        let x = ta.get(i).unwrap_or(&end);
        let y = tb.get(i).unwrap_or(&end);
        if x.kind == Kind::End && y.kind == Kind::End {
            return Ok(Ordering::Equal);
        }
        if x.kind == y.kind {
            match cmp_same(x, y) {
                Ordering::Equal => continue,
                ord => return Ok(ord),
            }
        }
        // The kinds differ: a pre-release suffix loses, otherwise more detail wins.
        let pre = |t: &Token<'_>| t.kind == Kind::Suffix && t.rank < NO_SUFFIX;
        if pre(x) {
            return Ok(Ordering::Less);
        }
        if pre(y) {
            return Ok(Ordering::Greater);
        }
        return Ok(y.kind.cmp(&x.kind));
    }
    unreachable!("the loop returns once both sides end")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn orders_like_apk() {
        assert_eq!(c("1.2.3-r0", "1.2.3-r1"), Less);
        assert_eq!(c("1.2.3", "1.2.3-r0"), Less);
        assert_eq!(c("1.2.3-r10", "1.2.3-r9"), Greater);
        assert_eq!(c("1.2_rc1", "1.2"), Less);
        assert_eq!(c("1.2_alpha", "1.2_beta"), Less);
        assert_eq!(c("1.2_p1", "1.2"), Greater);
        assert_eq!(c("1.2_p1", "1.2.1"), Less);
        assert_eq!(c("1.2_git20200101", "1.2_p1"), Less);
        assert_eq!(c("1.2a", "1.2"), Greater);
        assert_eq!(c("1.2a", "1.2.0"), Less);
        assert_eq!(c("1.2b", "1.2a"), Greater);
        assert_eq!(c("6.6.2p1-r0", "6.6.2_p1-r0"), Greater);
        assert_eq!(c("6.6.2p10", "6.6.2p9"), Greater);
        assert_eq!(c("1.02", "1.1"), Less);
        assert_eq!(c("1.10", "1.9"), Greater);
        assert_eq!(c("010", "9"), Greater);
        assert_eq!(c("1.0~abc123", "1.0~def456"), Equal);
        assert_eq!(c("1.0~abc123-r1", "1.0-r1"), Greater);
        assert_eq!(c("1_rc1_p2", "1_rc1_p1"), Greater);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn rejects_outside_grammar() {
        for bad in [
            "", ".1", "a", "1.", "1..2", "1.0bc", "1.0A", "1_blah", "1-ruff", "1-r", "1-r-1",
            "1-r1-r2", "1~", "1~XYZ", "1.α", "1 ", "1-1",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
            assert!(compare("1", bad).is_err(), "{bad:?}");
        }
    }
}
