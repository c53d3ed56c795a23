//! The scan of one text: an Aho-Corasick pass finds every rule keyword, and only the rules
//! whose keywords occur run their regex, and only over the lines around each keyword. Most
//! files contain no keyword at all and cost one linear pass.

use super::allow::{entropy, AllowList};
use super::rule::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use inventory::Secret;

/// How far around a keyword a single-line rule looks (minified files have long lines).
const LINE_BEFORE: usize = 512;
const LINE_AFTER: usize = 1024;
/// How far a PEM block may run after its `BEGIN` line.
const BLOCK_AFTER: usize = 64 << 10;
/// Bytes sniffed for a NUL to tell binaries from text.
const SNIFF: usize = 8 << 10;
/// A file with more findings than this is a key dump or a generated file: stop there.
fn max_findings() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::SecretFindings)
}

pub struct Scanner {
    rules: Vec<Rule>,
    keywords: AhoCorasick,
    /// Rules to try for each keyword pattern id.
    by_keyword: Vec<Vec<usize>>,
    /// Custom rules without keywords: run over the whole text.
    unfiltered: Vec<usize>,
    pub(crate) allow: AllowList,
}

/// A finding before it is tied to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub line: usize,
    pub column: usize,
    pub masked: String,
    /// Byte range of the secret in the text.
    pub span: (usize, usize),
}

impl Scanner {
    pub fn new(rules: Vec<Rule>, allow: AllowList) -> Result<Scanner, String> {
        let mut keywords: Vec<String> = Vec::new();
        let mut by_keyword: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unfiltered.push(index);
            }
            for keyword in &rule.keywords {
                let keyword = keyword.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == keyword) {
                    Some(at) => by_keyword[at].push(index),
                    None => {
                        keywords.push(keyword);
                        by_keyword.push(vec![index]);
                    }
                }
            }
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            // With hundreds of keywords no prefilter is selective; measured: the plain DFA
            // is ~1.5x faster than with the default one (bench/secrets.sh).
            .prefilter(false)
            .build(&keywords)
            .map_err(|e| format!("secret rule keywords: {e}"))?;
        Ok(Scanner {
            rules,
            keywords,
            by_keyword,
            unfiltered,
            allow,
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Keyword hits per rule over `text` (for profiling the prefilter).
    pub fn keyword_hits(&self, text: &[u8]) -> Vec<usize> {
        let mut hits = vec![0; self.rules.len()];
        for m in self.keywords.find_overlapping_iter(text) {
            for &rule in &self.by_keyword[m.pattern().as_usize()] {
                hits[rule] += 1;
            }
        }
        hits
    }

    /// Does the content look like a binary (a NUL early on)?
    pub fn is_binary(content: &[u8]) -> bool {
        content[..content.len().min(SNIFF)].contains(&0)
    }

    /// Every secret in `text`, by rule, line and masked value.
    pub fn scan(&self, text: &[u8]) -> Vec<Hit> {
        self.scan_capped(text).0
    }

    /// The secrets in `text`, and whether the `secret-findings` limit cut the list short.
    pub fn scan_capped(&self, text: &[u8]) -> (Vec<Hit>, bool) {
        // (rule, start, end) windows to run each rule's regex over.
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.keywords.find_overlapping_iter(text) {
            for &rule in &self.by_keyword[m.pattern().as_usize()] {
                let (start, end) = if self.rules[rule].spans_lines {
                    (
                        line_start(text, m.start(), LINE_BEFORE),
                        (m.end() + BLOCK_AFTER).min(text.len()),
                    )
                } else {
                    (
                        line_start(text, m.start(), LINE_BEFORE),
                        line_end(text, m.end(), LINE_AFTER),
                    )
                };
                windows.push((rule, start, end));
            }
        }
        for &rule in &self.unfiltered {
            windows.push((rule, 0, text.len()));
        }
        windows.sort_unstable();
        let mut found: Vec<(usize, usize)> = Vec::new(); // (offset, rule)
        let mut masked: Vec<(String, usize)> = Vec::new(); // (mask, end offset)
        let mut i = 0;
        while i < windows.len() && found.len() < max_findings() {
            let (rule, start, mut end) = windows[i];
            i += 1;
            // Merge overlapping windows of the same rule so each byte is matched once.
            while let Some(&(r, s, e)) = windows.get(i) {
                if r != rule || s > end {
                    break;
                }
                end = end.max(e);
                i += 1;
            }
            self.run_rule(rule, text, start, end, &mut found, &mut masked);
        }
        let capped = found.len() >= max_findings();
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by_key(|&k| found[k]);
        // One secret, one finding: where rules agree on a value, the first (most specific;
        // generic rules come last) wins.
        order.dedup_by_key(|k| found[*k].0);
        let mut hits = Vec::with_capacity(found.len());
        let (mut line, mut counted, mut last_newline) = (1, 0, None);
        for k in order {
            let (offset, rule) = found[k];
            for (at, &b) in text[counted..offset].iter().enumerate() {
                if b == b'\n' {
                    line += 1;
                    last_newline = Some(counted + at);
                }
            }
            counted = offset;
            let column = offset - last_newline.map_or(0, |n| n + 1) + 1;
            let (shown, end) = std::mem::take(&mut masked[k]);
            hits.push(Hit {
                rule,
                line,
                column,
                masked: shown,
                span: (offset, end),
            });
        }
        hits.dedup();
        (hits, capped)
    }

    fn run_rule(
        &self,
        index: usize,
        text: &[u8],
        start: usize,
        end: usize,
        found: &mut Vec<(usize, usize)>,
        masked: &mut Vec<(String, usize)>,
    ) {
        let rule = &self.rules[index];
        let Some(window) = text.get(start..end) else {
            return;
        };
        for caps in rule.regex.captures_iter(window) {
            let Some(secret) = caps
                .name("secret")
                .or_else(|| caps.get(1))
                .or_else(|| caps.get(0))
            else {
                continue;
            };
            let value = secret.as_bytes();
            let weak = rule.entropy > 0.0 && entropy(value) < rule.entropy;
            if value.is_empty() || weak || (rule.digit && !value.iter().any(u8::is_ascii_digit)) {
                continue;
            }
            let value = String::from_utf8_lossy(value);
            if self.allow.allows_value(&value) {
                continue;
            }
            found.push((start + secret.start(), index));
            masked.push((mask(&value), start + secret.end()));
        }
    }
}

impl Scanner {
    /// `text` with every secret replaced by its mask, for strings a report repeats verbatim
    /// (history steps).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut hits = self.scan(text.as_bytes());
        hits.sort_by_key(|h| std::cmp::Reverse(h.span.0));
        let mut floor = usize::MAX;
        for hit in hits {
            let (start, end) = hit.span;
            if end <= floor && out.is_char_boundary(start) && out.is_char_boundary(end) {
                out.replace_range(start..end, &hit.masked);
                floor = start;
            }
        }
        out
    }
}

fn line_start(text: &[u8], at: usize, limit: usize) -> usize {
    let floor = at.saturating_sub(limit);
    text[floor..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(floor, |p| floor + p + 1)
}

fn line_end(text: &[u8], at: usize, limit: usize) -> usize {
    let ceiling = (at + limit).min(text.len());
    text[at..ceiling]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(ceiling, |p| at + p)
}

/// Shows a few leading characters — enough to recognise the credential, never enough to
/// use it — and masks the rest with a fixed-length run of `*`.
pub fn mask(value: &str) -> String {
    let value = value.trim();
    let count = value.chars().count();
    let shown = match count {
        0..=7 => 1,
        8..=15 => 2,
        16..=31 => 4,
        _ => 6,
    };
    let prefix: String = value
        .chars()
        .take(shown)
        .filter(|c| !c.is_control())
        .collect();
    format!(
        "{prefix}{}",
        "*".repeat((count - shown.min(count)).clamp(4, 16))
    )
}

/// Turns a hit into a finding in `file`.
pub fn to_secret(rule: &Rule, hit: Hit, file: &str) -> Secret {
    Secret {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        file: file.to_string(),
        line: hit.line,
        column: Some(hit.column),
        matched: hit.masked,
        layer: None,
        deleted: false,
    }
}
