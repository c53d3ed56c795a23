//! Ignore files: `.bulkheadignore` (ours) and `.trivyignore` (Trivy's plain format, which ours
//! extends). One entry a line; `#` starts a comment:
//!
//! ```text
//! CVE-2021-35042                              # a vulnerability, by its id or any alias
//! CVE-2018-16487 pkg:npm/lodash               # only in this package (purl; version optional)
//! CVE-2018-16487 package:lodash               # the same, by name
//! aws-access-token srv/test/**                # a secret rule, under these paths
//! BH-DF-004 exp:2027-01-31                    # a misconfiguration rule, until this date
//! ```
//! Words after the ID: `exp:YYYY-MM-DD` (the entry stops suppressing after that day and says
//! so), `pkg:…` a package URL, `package:NAME` a package name, anything else a path glob
//! (matched against a package's file, a secret's file or a misconfiguration's file).

use globset::{Glob, GlobMatcher};
use inventory::purl::Purl;
use inventory::Warning;

#[derive(Debug)]
pub(crate) struct Entry {
    pub id: String,
    pub packages: Vec<PackageMatch>,
    pub paths: Vec<GlobMatcher>,
    /// `FILE:LINE`, as `--show-suppressed` names it.
    pub source: String,
}

#[derive(Debug)]
pub(crate) enum PackageMatch {
    Purl(Purl),
    Name(String),
}

/// The entries of every ignore file read, and what was wrong with them.
#[derive(Debug, Default)]
pub struct IgnoreRules {
    pub(crate) entries: Vec<Entry>,
    /// Expired entries and lines that could not be read: the report's `warnings[]`.
    pub warnings: Vec<Warning>,
}

impl IgnoreRules {
    /// Adds the entries of one file; `today` is `YYYY-MM-DD` (an entry expires after its date).
    pub fn parse(&mut self, name: &str, text: &str, today: &str) {
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let mut words = line.split_whitespace();
            let Some(id) = words.next() else {
                continue;
            };
            let source = format!("{name}:{}", index + 1);
            let mut entry = Entry {
                id: id.to_string(),
                packages: Vec::new(),
                paths: Vec::new(),
                source: source.clone(),
            };
            let mut expires = None;
            let mut problem = None;
            for word in words {
                if let Some(date) = word.strip_prefix("exp:") {
                    if !is_date(date) {
                        problem = Some(format!("{date:?} is not a date (YYYY-MM-DD)"));
                    }
                    expires = Some(date.to_string());
                } else if word.starts_with("pkg:") {
                    match Purl::parse(word) {
                        Ok(purl) => entry.packages.push(PackageMatch::Purl(purl)),
                        Err(e) => problem = Some(e),
                    }
                } else if let Some(name) = word.strip_prefix("package:") {
                    entry.packages.push(PackageMatch::Name(name.to_string()));
                } else {
                    match Glob::new(word.trim_start_matches("./").trim_start_matches('/')) {
                        Ok(glob) => entry.paths.push(glob.compile_matcher()),
                        Err(e) => problem = Some(format!("bad path pattern {word:?}: {e}")),
                    }
                }
            }
            let warn = |message: String| Warning {
                line: None,
                column: None,
                file: source.clone(),
                layer: None,
                message,
            };
            if let Some(problem) = problem {
                self.warnings
                    .push(warn(format!("{problem}; the entry for {id} is not used")));
                continue;
            }
            if let Some(date) = expires.filter(|d| d.as_str() < today) {
                self.warnings.push(warn(format!(
                    "the ignore entry for {id} expired on {date}; its findings are reported again"
                )));
                continue;
            }
            self.entries.push(entry);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry naming one of `ids` whose package and path limits (if any) hold.
    pub(crate) fn find<'a>(
        &'a self,
        ids: &[&str],
        package: Option<(&str, &str)>,
        path: &str,
    ) -> Option<&'a Entry> {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        self.entries.iter().find(|e| {
            (e.id == "*" || ids.iter().any(|id| id.eq_ignore_ascii_case(&e.id)))
                && (e.packages.is_empty()
                    || package.is_some_and(|(name, purl)| {
                        e.packages.iter().any(|p| p.matches(name, purl))
                    }))
                && (e.paths.is_empty() || e.paths.iter().any(|g| g.is_match(path)))
        })
    }
}

impl PackageMatch {
    fn matches(&self, name: &str, purl: &str) -> bool {
        match self {
            PackageMatch::Name(wanted) => wanted.eq_ignore_ascii_case(name),
            PackageMatch::Purl(wanted) => Purl::parse(purl)
                .is_ok_and(|found| same_package(wanted, &found) && same_version(wanted, &found)),
        }
    }
}

/// Same type, namespace and name; names compared as the ecosystem does (PyPI's `_`, `-`, `.`
/// and case are one).
pub(crate) fn same_package(a: &Purl, b: &Purl) -> bool {
    let norm = |p: &Purl, s: &str| {
        if p.kind == "pypi" {
            s.to_ascii_lowercase().replace(['_', '.'], "-")
        } else {
            s.to_ascii_lowercase()
        }
    };
    a.kind == b.kind
        && a.namespace.as_deref().map(|n| n.to_ascii_lowercase())
            == b.namespace.as_deref().map(|n| n.to_ascii_lowercase())
        && norm(a, &a.name) == norm(b, &b.name)
}

/// A purl without a version names every version.
fn same_version(wanted: &Purl, found: &Purl) -> bool {
    match (&wanted.version, &found.version) {
        (None, _) => true,
        (Some(w), Some(f)) => w == f,
        (Some(_), None) => false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_limits_and_expiry() {
        let mut rules = IgnoreRules::default();
        let text = "# accepted\nCVE-1 pkg:pypi/Django_x exp:2030-01-01\nCVE-2 exp:2020-01-01\nCVE-3 exp:soon\nrule-a srv/**\n";
        rules.parse(".trivyignore", text, "2026-12-07");
        assert_eq!(rules.entries.len(), 2);
        assert_eq!(rules.warnings.len(), 2);
        assert!(rules.warnings[0].message.contains("expired on 2020-01-01"));
        assert_eq!(rules.warnings[0].file, ".trivyignore:3");
        let django = Some(("django-x", "pkg:pypi/django-x@3.2.0"));
        assert!(rules.find(&["CVE-1"], django, "").is_some());
        assert!(rules
            .find(&["CVE-1"], Some(("x", "pkg:npm/x@1")), "")
            .is_none());
        assert!(rules.find(&["CVE-2"], django, "").is_none());
        assert!(rules.find(&["rule-a"], None, "/srv/a/b").is_some());
        assert!(rules.find(&["rule-a"], None, "etc/a").is_none());
        assert_eq!(
            rules.find(&["x", "cve-1"], django, "").unwrap().source,
            ".trivyignore:2"
        );
    }
}
