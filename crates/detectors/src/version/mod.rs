//! Version ordering per ecosystem, exactly as each ecosystem's own tools order versions.
//!
//! PUBLIC API CONTRACT (used by matching; keep these names):
//! - `Scheme` — one variant per ordering (Dpkg, Apk, Rpm, Semver, …)
//! - `Scheme::for_ecosystem(osv_ecosystem: &str) -> Option<Scheme>` — `Debian:11` → Dpkg,
//!   `Alpine:v3.18` → Apk, `AlmaLinux:9` / `Red Hat` / `Rocky Linux:9` → Rpm, …
//! - `compare(scheme, a, b) -> Result<Ordering, VersionError>`; an invalid version is an error,
//!   never a panic.
//!
//! Every scheme is written from its ecosystem's documented rules, one file each.
//! Maven's `ComparableVersion` is not a total order on odd inputs (`"" < "a" < "0rc" < ""`
//! in Maven itself) and that is reproduced, so do not sort Maven versions with `sort_by`
//! (Rust's sort may panic on an inconsistent order); compare pairs instead. Numbers are
//! never parsed into machine integers: digit runs compare by length after stripping leading
//! zeros, then lexically, so versions with huge components order correctly and never overflow.

use std::cmp::Ordering;
use std::fmt;

mod apk;
mod dpkg;
mod maven;
mod nuget;
mod packagist;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

/// A version ordering. Several ecosystems may share one (Debian and Ubuntu both use dpkg's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu: dpkg's `verrevcmp` over `[epoch:]upstream[-revision]`.
    Dpkg,
    /// Alpine: apk-tools ordering of `digits{.digits}{letter}{_suffix{N}}{~hash}{-rN}`.
    Apk,
    /// RPM distributions: `rpmvercmp` over `[epoch:]version[-release]`.
    Rpm,
    /// SemVer 2.0 precedence (crates.io, npm); a leading `v` and missing minor/patch are tolerated.
    Semver,
    /// Python packages: PEP 440.
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// NuGet's `NuGetVersion` (up to four numeric parts, case-insensitive pre-release).
    NuGet,
    /// Composer's ordering (normalised, then PHP `version_compare`).
    Packagist,
    /// Go modules: SemVer with an optional leading `v`; pseudo-versions order as SemVer.
    Go,
}

impl Scheme {
    /// The ordering for an OSV ecosystem string. A `:release` suffix (`Debian:11`,
    /// `Alpine:v3.18`) does not change the ordering and is ignored.
    pub fn for_ecosystem(osv_ecosystem: &str) -> Option<Scheme> {
        let base = osv_ecosystem.split(':').next().unwrap_or("").trim();
        let scheme = match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Alpaquita" | "BellSoft Hardened Containers" | "Wolfi" | "Chainguard" => {
                Scheme::Apk
            }
            "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "Photon OS" => Scheme::Rpm,
            "crates.io" | "npm" | "Hex" => Scheme::Semver,
            "Go" => Scheme::Go,
            "PyPI" => Scheme::Pep440,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Packagist,
            _ => return None,
        };
        Some(scheme)
    }

    /// A short lowercase name, used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Packagist => "packagist",
            Scheme::Go => "go",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A version string that the scheme's own tools would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct VersionError {
    pub scheme: Scheme,
    pub version: String,
    pub reason: &'static str,
}

impl VersionError {
    pub(crate) fn new(scheme: Scheme, version: &str, reason: &'static str) -> Self {
        VersionError {
            scheme,
            version: version.to_owned(),
            reason,
        }
    }
}

/// Longest accepted version string, in bytes.
pub fn max_len() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::VersionLength)
}

/// Orders `a` against `b` under `scheme`. Both strings are validated first, so an invalid
/// version is always reported, even when the other side would decide the order early.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    // Real versions are short; the cap bounds the work and Maven's nesting depth.
    for v in [a, b] {
        if v.len() > max_len() {
            let head: String = v.chars().take(64).chain(['…']).collect();
            return Err(VersionError::new(
                scheme,
                &head,
                "version string is too long",
            ));
        }
    }
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Semver => semver::compare(a, b, semver::Flavor::Semver),
        Scheme::Go => semver::compare(a, b, semver::Flavor::Go),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Packagist => packagist::compare(a, b),
    }
}

/// Compares two ASCII digit strings as unbounded non-negative integers.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A non-negative integer of any size, kept as its digits without leading zeros, so the
/// derived equality is numeric equality and `Ord` is numeric order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Num<'a>(&'a str);

impl<'a> Num<'a> {
    /// `digits` must be ASCII digits (possibly empty, meaning zero).
    pub(crate) fn new(digits: &'a str) -> Self {
        Num(digits.trim_start_matches('0'))
    }

    pub(crate) fn is_zero(self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Num<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(other.0))
    }
}

impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Splits `s` at the end of its leading run of bytes matching `pred`.
pub(crate) fn split_run(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let end = s.bytes().position(|c| !pred(c)).unwrap_or(s.len());
    s.split_at(end)
}

/// Test helper: `a` against `b`, checking that `b` against `a` says the reverse.
#[cfg(test)]
pub(crate) fn ordered(
    compare: impl Fn(&str, &str) -> Result<Ordering, VersionError>,
    a: &str,
    b: &str,
) -> Ordering {
    let ord = compare(a, b).unwrap();
    assert_eq!(
        compare(b, a).unwrap(),
        ord.reverse(),
        "{a} vs {b} not antisymmetric"
    );
    ord
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Scheme; 10] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Packagist,
    ];

    #[test]
    fn ecosystems_map_to_schemes() {
        let cases = [
            ("Debian", Scheme::Dpkg),
            ("Debian:11", Scheme::Dpkg),
            ("Ubuntu:22.04", Scheme::Dpkg),
            ("Ubuntu:Pro:18.04:LTS", Scheme::Dpkg),
            ("Alpine:v3.18", Scheme::Apk),
            ("AlmaLinux:9", Scheme::Rpm),
            ("Rocky Linux:9", Scheme::Rpm),
            ("Red Hat", Scheme::Rpm),
            ("Red Hat:enterprise_linux:9::appstream", Scheme::Rpm),
            ("openSUSE", Scheme::Rpm),
            ("SUSE", Scheme::Rpm),
            ("Mageia:9", Scheme::Rpm),
            ("crates.io", Scheme::Semver),
            ("npm", Scheme::Semver),
            ("Go", Scheme::Go),
            ("PyPI", Scheme::Pep440),
            ("Maven", Scheme::Maven),
            ("RubyGems", Scheme::RubyGems),
            ("NuGet", Scheme::NuGet),
            ("Packagist", Scheme::Packagist),
        ];
        for (eco, want) in cases {
            assert_eq!(Scheme::for_ecosystem(eco), Some(want), "{eco}");
        }
        assert_eq!(Scheme::for_ecosystem("Nonsense"), None);
        assert_eq!(Scheme::for_ecosystem(""), None);
    }

    #[test]
    fn digit_strings_compare_beyond_u64() {
        assert_eq!(cmp_digits("0010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("000", ""), Ordering::Equal);
        assert_eq!(
            cmp_digits("99999999999999999999999", "100000000000000000000000"),
            Ordering::Less
        );
    }

    #[test]
    fn error_names_the_version() {
        let err = compare(Scheme::Dpkg, "1.0", "").unwrap_err();
        assert_eq!(err.version, "");
        assert!(err.to_string().contains("dpkg"));
    }

    #[test]
    fn long_input_is_bounded() {
        // Maven nests a list per `-` and per digit/letter switch; the cap keeps that shallow.
        let deep = "1-".repeat(max_len() / 2);
        let nested = "a1".repeat(max_len() / 2);
        assert!(compare(Scheme::Maven, &deep, &nested).is_ok());
        let long = "1.".repeat(max_len()) + "1";
        for scheme in ALL {
            let err = compare(scheme, &long, "1").unwrap_err();
            assert!(err.version.len() < 100);
        }
    }

    #[test]
    fn no_scheme_panics_on_odd_input() {
        let odd = [
            "",
            " ",
            ":",
            "-",
            "~",
            "^",
            "_",
            ".",
            "+",
            "v",
            "1:",
            ":1",
            "1-",
            "-1",
            "1..",
            "..1",
            "ä",
            "1.α",
            "\u{0}",
            "1\u{301}",
            "99999999999999999999999999999999",
            "1-r",
            "1_",
            "1.0-",
            "1.0+",
            "1.0-+",
            "v1.2.3-",
            "1!",
            "1!2!3",
            "1.post",
            "1.dev",
            "1+",
            "1e5",
            "𝟙.𝟚",
            "1.0.0-α",
            "0:0:0",
            "1--1",
            "1~~",
            "1^^",
            "[1]",
            "*",
            "1.*",
            "dev-master",
        ];
        for scheme in ALL {
            for a in odd {
                for b in odd {
                    let _ = compare(scheme, a, b);
                }
            }
        }
    }
}
