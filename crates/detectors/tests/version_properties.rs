//! Property tests for the version orderings: on many generated versions each scheme is a total
//! order where the scheme defines one — reflexive, antisymmetric, transitive — and never
//! panics. Maven's `ComparableVersion` is documented as not total on odd inputs (see
//! version/mod.rs) and is checked for reflexivity and antisymmetry only. The generator is a
//! fixed linear congruential sequence, so a failure names a reproducible case.

use detectors::version::{compare, Scheme};
use std::cmp::Ordering;

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }

    /// A version built from pieces every scheme meets in the wild.
    fn version(&mut self) -> String {
        let parts = 1 + self.next() % 4;
        let mut v = String::new();
        if self.next().is_multiple_of(8) {
            v.push_str(self.pick(&["1:", "2:", "v"]));
        }
        for i in 0..parts {
            if i > 0 {
                v.push('.');
            }
            v.push_str(&(self.next() % 12).to_string());
        }
        match self.next() % 6 {
            0 => v.push_str(self.pick(&["-1", "-2", "-10", "-1+deb12u1", "-r1", "-r3"])),
            1 => v.push_str(self.pick(&[
                "a1",
                "b2",
                "rc1",
                "-alpha",
                "-beta.2",
                "~rc1",
                "_p1",
                "-SNAPSHOT",
            ])),
            2 => v.push_str(self.pick(&[".post1", ".dev3", "+build.5", "-rc.1"])),
            _ => {}
        }
        v
    }
}

const TOTAL: [Scheme; 9] = [
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Semver,
    Scheme::Pep440,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Packagist,
    Scheme::Go,
];

fn parsed(scheme: Scheme, versions: &[String]) -> Vec<String> {
    versions
        .iter()
        .filter(|v| compare(scheme, v, v).is_ok())
        .cloned()
        .collect()
}

#[test]
fn orderings_are_total_where_the_scheme_defines_one() {
    let mut g = Gen(0x5eed);
    let versions: Vec<String> = (0..60).map(|_| g.version()).collect();
    for scheme in TOTAL.into_iter().chain([Scheme::Maven]) {
        let valid = parsed(scheme, &versions);
        assert!(
            valid.len() > 15,
            "{scheme:?}: only {} generated versions parse",
            valid.len()
        );
        let cmp = |a: &str, b: &str| compare(scheme, a, b).unwrap();
        for a in &valid {
            assert_eq!(cmp(a, a), Ordering::Equal, "{scheme:?} {a}");
            for b in &valid {
                assert_eq!(cmp(a, b), cmp(b, a).reverse(), "{scheme:?}: {a} vs {b}");
            }
        }
        if scheme == Scheme::Maven {
            continue;
        }
        for a in &valid {
            for b in &valid {
                for c in &valid {
                    if cmp(a, b) != Ordering::Greater && cmp(b, c) != Ordering::Greater {
                        assert_ne!(
                            cmp(a, c),
                            Ordering::Greater,
                            "{scheme:?}: {a} <= {b} <= {c}"
                        );
                    }
                }
            }
        }
    }
}
