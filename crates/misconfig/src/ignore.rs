//! Inline suppressions: `# bulkhead:ignore=ID[,ID]` comments on the finding's line or the line
//! above. Ignore files (`.bulkheadignore`, `.trivyignore`) apply to every finding kind and live
//! with the report (`report::suppress`).

use crate::rule::Finding;

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
    let lines: Vec<&str> = text.lines().collect();
    inline_suppressed_in(&lines, finding)
}

/// [`inline_suppressed`] over a file already split into lines: a file with many findings is
/// split once, not once per finding.
pub fn inline_suppressed_in(lines: &[&str], finding: &Finding) -> bool {
    if finding.line == 0 {
        return false;
    }
    let first = finding.line.saturating_sub(2);
    lines[first.min(lines.len())..finding.line.min(lines.len())]
        .iter()
        .any(|line| {
            inline_ids(line).any(|id| id.eq_ignore_ascii_case(&finding.rule_id) || id == "*")
        })
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
}
