//! Maven versions, ordered as `org.apache.maven.artifact.versioning.ComparableVersion` of
//! maven-artifact 3.8.6, the release that produced the Maven test vectors.
//!
//! The version is lowercased and split into a tree of items:
//! - `.` separates items of the current list; `-` opens a nested list;
//! - a switch between digits and letters also opens a nested list (`1alpha2` is
//!   `1-alpha-2`);
//! - an empty item is `0`; each list then drops trailing "null" items (`0`, `""`, `ga`,
//!   `final`, `release`, empty lists) up to the first non-list item.
//!
//! Items compare as: number > list > qualifier; numbers numerically; qualifiers
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < others`
//! (others alphabetically); `a1`, `b1`, `m1` mean alpha, beta, milestone. A missing item
//! compares like `0` / `""`. Every string is a valid Maven version; the only error is a
//! non-ASCII digit, whose meaning depends on Java's Unicode tables.
//!
//! Later releases differ on a few inputs: 3.8.7 (MNG-7644) reads a qualifier right after a
//! `.` as if it followed a `-` (`2.9.0.RC1` = `2.9.0-RC1`), and 3.9 changed trailing-null
//! removal again. Only 3.8.6 matches the order OSV's Maven data was checked against.

use std::cmp::Ordering;

use super::{Num, Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Decimal digits without leading zeros (empty is zero).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: usize = 5;

impl Item {
    fn int(digits: &str) -> Item {
        Item::Int(Num::new(digits).0.to_owned())
    }

    fn string(text: &str, followed_by_digit: bool) -> Item {
        let text = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            t => t,
        };
        Item::Str(text.to_owned())
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }
}

/// Known qualifiers by rank, then unknown ones alphabetically after all of them.
fn qualifier_cmp(a: &str, b: &str) -> Ordering {
    let rank = |s: &str| QUALIFIERS.iter().position(|q| *q == s);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Compares an item with a missing one (the other list ran out).
fn cmp_missing(item: &Item) -> Ordering {
    match item {
        Item::Int(n) if n.is_empty() => Ordering::Equal,
        Item::Int(_) => Ordering::Greater,
        Item::Str(s) => qualifier_cmp(s, QUALIFIERS[RELEASE]),
        Item::List(l) => l
            .iter()
            .map(cmp_missing)
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    }
}

fn cmp_items(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    use Item::*;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(x), None) => cmp_missing(x),
        (None, Some(y)) => cmp_missing(y).reverse(),
        (Some(Int(x)), Some(Int(y))) => Num(x).cmp(&Num(y)),
        (Some(Int(_)), Some(_)) => Ordering::Greater,
        (Some(_), Some(Int(_))) => Ordering::Less,
        (Some(Str(x)), Some(Str(y))) => qualifier_cmp(x, y),
        (Some(Str(_)), Some(List(_))) => Ordering::Less,
        (Some(List(_)), Some(Str(_))) => Ordering::Greater,
        (Some(List(x)), Some(List(y))) => (0..x.len().max(y.len()))
            .map(|i| cmp_items(x.get(i), y.get(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    }
}

/// Drops trailing null items, stopping at the first non-null item that is not a list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse(version: &str) -> Result<Vec<Item>, VersionError> {
    if version
        .chars()
        .any(|c| c.is_numeric() && !c.is_ascii_digit())
    {
        return Err(VersionError::new(
            Scheme::Maven,
            version,
            "non-ASCII digits are not supported",
        ));
    }
    let v = version.to_lowercase();
    // The lists form a chain: each new list is the last item of the one before it, so a
    // stack of open lists is enough; they are attached to their parents when closed.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    let item = |is_digit: bool, text: &str| {
        if is_digit {
            Item::int(text)
        } else {
            Item::string(text, false)
        }
    };
    for (i, c) in v.char_indices() {
        let list = stack
            .last_mut()
            .expect("root list is never popped while parsing");
        match c {
            '.' | '-' => {
                if i == start {
                    list.push(Item::int(""));
                } else {
                    list.push(item(is_digit, &v[start..i]));
                }
                start = i + 1;
                if c == '-' {
                    stack.push(Vec::new());
                }
            }
            '0'..='9' => {
                if !is_digit && i > start {
                    list.push(Item::string(&v[start..i], true));
                    stack.push(Vec::new());
                    start = i;
                }
                is_digit = true;
            }
            _ => {
                if is_digit && i > start {
                    list.push(Item::int(&v[start..i]));
                    stack.push(Vec::new());
                    start = i;
                }
                is_digit = false;
            }
        }
    }
    if v.len() > start {
        let list = stack.last_mut().expect("root list");
        list.push(item(is_digit, &v[start..]));
    }
    while stack.len() > 1 {
        let mut inner = stack.pop().expect("len > 1");
        normalize(&mut inner);
        stack.last_mut().expect("len > 1").push(Item::List(inner));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    Ok(root)
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (x, y) = (parse(a)?, parse(b)?);
    Ok(cmp_items(Some(&Item::List(x)), Some(&Item::List(y))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        super::super::ordered(compare, a, b)
    }

    #[test]
    fn comparable_version_order() {
        // From ComparableVersion's documentation and MNG issues.
        let chain = [
            "1-alpha-1",
            "1-alpha-2",
            "1-beta-1",
            "1-m1",
            "1-rc1",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-1",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1", "1.0.0"), Equal);
        assert_eq!(c("1-ga", "1.0"), Equal);
        assert_eq!(c("1.0.FINAL", "1"), Equal);
        assert_eq!(c("1-cr1", "1-RC1"), Equal);
        assert_eq!(c("2.9.0-1", "2.9.0.RC1"), Less);
        assert_eq!(c("1-1", "1-ga-1"), Greater);
        assert_eq!(c("1a1", "1-alpha-1"), Equal);
        assert_eq!(c("1", "1-0.1"), Less);
        assert_eq!(c("1-0.alpha", "1"), Less);
        assert_eq!(c("2.0.1-xyz", "2.0.1-123"), Less);
        assert_eq!(
            c("1.99999999999999999999999", "1.100000000000000000000000"),
            Less
        );
    }

    #[test]
    fn tree_shape() {
        let s = |v: &str| format!("{:?}", parse(v).unwrap());
        assert_eq!(s("1x1y2"), s("1-x-1-y-2"));
        assert_eq!(s("1.0-final-1"), s("1--1"));
        assert_eq!(s(""), "[]");
        assert!(compare("1.٣", "1").is_err());
    }
}
