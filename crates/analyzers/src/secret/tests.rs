//! Rule tests. Every rule is checked on a sample generated from its own regex (so the
//! keywords, windows, entropy and allow-lists agree with the pattern) and on a near miss (the
//! same sample with the secret cut in half). Independently of the regexes, hand-built
//! credentials in the providers' documented formats must be found by the rule named.

use super::rules::builtin;
use super::*;
use regex_syntax::hir::{Class, Hir, HirKind};

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    /// `n` characters drawn from `alphabet`, spread so the entropy is high.
    pub(crate) fn string(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n).map(|_| self.pick(&chars)).collect()
    }
}

/// Printable characters a class accepts, leaving out those that mark placeholders.
fn class_chars(class: &Class) -> Vec<u8> {
    let accepts = |b: u8| match class {
        Class::Bytes(c) => c.ranges().iter().any(|r| r.start() <= b && b <= r.end()),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b as char && b as char <= r.end()),
    };
    let good: Vec<u8> = (0x20u8..0x7f)
        .filter(|&b| accepts(b) && !b"<>${}%*.\\`&|;".contains(&b))
        .collect();
    if good.is_empty() {
        (0x20u8..0x7f).filter(|&b| accepts(b)).collect()
    } else {
        good
    }
}

struct Generator {
    rng: Rng,
    out: Vec<u8>,
    secret: Option<(usize, usize)>,
    depth_in_secret: usize,
}

impl Generator {
    fn emit(&mut self, hir: &Hir) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => self.out.extend_from_slice(&lit.0),
            HirKind::Class(class) => {
                let chars = class_chars(class);
                let c = self.rng.pick(&chars);
                self.out.push(c);
            }
            HirKind::Repetition(rep) => {
                let min = rep.min as usize;
                let max = rep.max.map_or(usize::MAX, |m| m as usize);
                let count = if self.depth_in_secret > 0 {
                    (min + min / 4).max(1).min(max)
                } else {
                    min.max(1).min(max)
                };
                if let HirKind::Class(class) = rep.sub.kind() {
                    // Draw without replacement, cycling, to keep entropy high.
                    let mut chars = class_chars(class);
                    for i in (1..chars.len()).rev() {
                        let j = (self.rng.next() % (i as u64 + 1)) as usize;
                        chars.swap(i, j);
                    }
                    for i in 0..count {
                        self.out.push(chars[i % chars.len()]);
                    }
                } else {
                    for _ in 0..count {
                        self.emit(&rep.sub);
                    }
                }
            }
            HirKind::Capture(cap) => {
                let secret = cap.name.as_deref() == Some("secret");
                let start = self.out.len();
                self.depth_in_secret += usize::from(secret);
                self.emit(&cap.sub);
                self.depth_in_secret -= usize::from(secret);
                if secret {
                    self.secret = Some((start, self.out.len()));
                }
            }
            HirKind::Concat(items) => items.iter().for_each(|h| self.emit(h)),
            HirKind::Alternation(items) => self.emit(&items[0]),
        }
    }
}

/// A line matching the rule, and the byte range of the secret in it.
fn sample(spec: &rule::Spec, seed: u64) -> (Vec<u8>, (usize, usize)) {
    let source = spec.regex();
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.id));
    let mut generator = Generator {
        rng: Rng::new(seed),
        out: Vec::new(),
        secret: None,
        depth_in_secret: 0,
    };
    generator.emit(&hir);
    let secret = generator.secret.unwrap_or((0, generator.out.len()));
    (generator.out, secret)
}

fn ids(analyzer: &SecretAnalyzer, text: &[u8]) -> Vec<String> {
    analyzer
        .scan_text("app/config", text)
        .into_iter()
        .map(|s| s.rule_id)
        .collect()
}

#[test]
fn there_are_at_least_150_rules_with_unique_ids_and_keywords() {
    let specs: Vec<_> = builtin().collect();
    assert!(specs.len() >= 150, "{} rules", specs.len());
    let mut seen = std::collections::HashSet::new();
    for spec in &specs {
        assert!(seen.insert(spec.id), "duplicate rule id {}", spec.id);
        assert!(!spec.keywords.is_empty(), "{} has no keywords", spec.id);
        for k in spec.keywords {
            assert_eq!(
                *k,
                k.to_ascii_lowercase(),
                "{}: keyword {k} not lower case",
                spec.id
            );
        }
    }
}

#[test]
fn every_rule_fires_on_a_sample_and_not_on_a_near_miss() {
    let analyzer = SecretAnalyzer::new();
    let mut failures = Vec::new();
    for (n, spec) in builtin().enumerate() {
        let (line, (start, end)) = sample(spec, n as u64 + 7);
        let text = [b"\n".as_slice(), &line, b"\n"].concat();
        let found = ids(&analyzer, &text);
        if !found.iter().any(|id| id == spec.id) {
            failures.push(format!(
                "{} missed {:?} (found {found:?})",
                spec.id,
                String::from_utf8_lossy(&line)
            ));
            continue;
        }
        let half = start + (end - start) / 2;
        let near = [b"\n".as_slice(), &line[..half], &line[end..], b"\n"].concat();
        if ids(&analyzer, &near).iter().any(|id| id == spec.id) {
            failures.push(format!(
                "{} fired on near miss {:?}",
                spec.id,
                String::from_utf8_lossy(&near)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
