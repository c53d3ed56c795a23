//! Every version ordering on two strings: never a panic, and comparing a version with itself
//! is `Equal` whenever it parses.
#![no_main]

use detectors::version::{compare, Scheme};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

const SCHEMES: [Scheme; 10] = [
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Semver,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Packagist,
    Scheme::Go,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    for scheme in SCHEMES {
        let _ = compare(scheme, a, b);
        if let Ok(order) = compare(scheme, a, a) {
            assert_eq!(order, Ordering::Equal, "{scheme:?} {a:?}");
        }
    }
});
