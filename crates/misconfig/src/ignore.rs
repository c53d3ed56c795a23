//! Suppressions: inline `# bulkhead:ignore=ID[,ID]` comments on the finding's line or the line
//! above, and an ignore file (`.bulkheadignore`) of rule IDs with optional path globs and
//! expiry dates:
//!
//! ```text
//! # why we accept it
//! BH-DF-004
//! BH-K8S-012 deploy/legacy/** charts/*/templates/*.yaml
//! BH-DF-036 exp:2026-12-31
//! ```
//! An expired entry stops suppressing and produces a warning, so accepted risks get revisited.

use crate::rule::Finding;
use globset::{Glob, GlobMatcher};

const MARKER: &str = "bulkhead:ignore=";

/// IDs an inline comment on this line suppresses.
fn inline_ids(line: &str) -> impl Iterator<Item = &str> {
    line.find('#')
        .and_then(|hash| {
            let comment = &line[hash..];
            comment.find(MARKER).map(|at| &comment[at + MARKER.len()..])
        })
        .into_iter()
        .flat_map(|ids| {
            ids.split(|c: char| c == ',' || c.is_whitespace())
                .take_while(|id| !id.is_empty())
        })
}

/// Is `finding` suppressed by a comment in `text` (its file)?
pub fn inline_suppressed(text: &str, finding: &Finding) -> bool {
    if finding.line == 0 {
        return false;
    }
    let lines: Vec<&str> = text
        .lines()
        .skip(finding.line.saturating_sub(2))
        .take(if finding.line >= 2 { 2 } else { 1 })
        .collect();
    lines.iter().any(|line| {
        inline_ids(line).any(|id| id.eq_ignore_ascii_case(&finding.rule_id) || id == "*")
    })
}

#[derive(Debug)]
struct Entry {
    rule_id: String,
    paths: Vec<GlobMatcher>,
    expires: Option<String>,
    line: usize,
}

/// A parsed ignore file.
#[derive(Debug, Default)]
pub struct IgnoreFile {
    entries: Vec<Entry>,
    /// Expired entries and lines that could not be read.
    pub warnings: Vec<String>,
}

impl IgnoreFile {
    /// Parses an ignore file; `today` is `YYYY-MM-DD` (entries expire after their date).
    pub fn parse(name: &str, text: &str, today: &str) -> IgnoreFile {
        let mut file = IgnoreFile::default();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let mut words = line.split_whitespace();
            let Some(rule_id) = words.next() else {
                continue;
            };
            let mut entry = Entry {
                rule_id: rule_id.to_string(),
                paths: Vec::new(),
                expires: None,
                line: index + 1,
            };
            let mut valid = true;
            for word in words {
                if let Some(date) = word.strip_prefix("exp:") {
                    if !is_date(date) {
                        file.warnings.push(format!(
                            "{name}:{}: {date:?} is not a date (YYYY-MM-DD); entry ignored",
                            index + 1
                        ));
                        valid = false;
                    }
                    entry.expires = Some(date.to_string());
                } else {
                    match Glob::new(word.trim_start_matches("./")) {
                        Ok(glob) => entry.paths.push(glob.compile_matcher()),
                        Err(e) => {
                            file.warnings.push(format!(
                                "{name}:{}: bad path pattern {word:?}: {e}",
                                index + 1
                            ));
                            valid = false;
                        }
                    }
                }
            }
            if !valid {
                continue;
            }
            if let Some(date) = &entry.expires {
                if date.as_str() < today {
                    file.warnings.push(format!(
                        "{name}:{}: the ignore entry for {} expired on {date}; its findings are reported again",
                        entry.line, entry.rule_id
                    ));
                    continue;
                }
            }
            file.entries.push(entry);
        }
        file
    }

    pub fn suppresses(&self, finding: &Finding) -> bool {
        let path = finding.file.trim_start_matches("./");
        self.entries.iter().any(|e| {
            (e.rule_id.eq_ignore_ascii_case(&finding.rule_id) || e.rule_id == "*")
                && (e.paths.is_empty() || e.paths.iter().any(|g| g.is_match(path)))
        })
    }
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Finding;

    fn finding(id: &str, file: &str, line: usize) -> Finding {
        Finding {
            rule_id: id.into(),
            severity: inventory::Severity::Low,
            title: String::new(),
            message: String::new(),
            file: file.into(),
            line,
            column: 1,
            snippet: None,
            resource: None,
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn inline_comments_on_the_line_or_above() {
        let text = "FROM a\n# bulkhead:ignore=BH-DF-011,BH-DF-012\nRUN sudo x\nRUN y # bulkhead:ignore=bh-df-030\n";
        assert!(inline_suppressed(text, &finding("BH-DF-011", "D", 3)));
        assert!(inline_suppressed(text, &finding("BH-DF-012", "D", 3)));
        assert!(inline_suppressed(text, &finding("BH-DF-030", "D", 4)));
        assert!(!inline_suppressed(text, &finding("BH-DF-013", "D", 3)));
        assert!(!inline_suppressed(text, &finding("BH-DF-011", "D", 1)));
    }

    #[test]
    fn ignore_file_paths_and_expiry() {
        let text = "# accepted\nBH-DF-004\nBH-K8S-001 deploy/legacy/**\nBH-DF-036 exp:2020-01-01\nBH-DF-037 exp:2999-12-31\nBH-DF-001 exp:soon\n";
        let ignore = IgnoreFile::parse(".bulkheadignore", text, "2026-11-23");
        assert!(ignore.suppresses(&finding("BH-DF-004", "any/Dockerfile", 1)));
        assert!(ignore.suppresses(&finding("BH-K8S-001", "deploy/legacy/a.yaml", 1)));
        assert!(!ignore.suppresses(&finding("BH-K8S-001", "deploy/new/a.yaml", 1)));
        assert!(!ignore.suppresses(&finding("BH-DF-036", "Dockerfile", 1)));
        assert!(ignore.suppresses(&finding("BH-DF-037", "Dockerfile", 1)));
        assert!(!ignore.suppresses(&finding("BH-DF-001", "Dockerfile", 1)));
        assert_eq!(ignore.warnings.len(), 2, "{:?}", ignore.warnings);
        assert!(ignore.warnings[0].contains("expired on 2020-01-01"));
        assert!(ignore.warnings[1].contains(":6:"));
    }
}
