//! What a rule is: an id, a title, a severity, the keywords that must occur before its regex
//! runs, and the regex itself. Built-in rules are `const` [`Spec`]s; custom rules from a
//! config file become the same compiled [`Rule`].

use inventory::Severity;
use regex::bytes::Regex;

/// How a rule's regex is written.
#[derive(Debug, Clone, Copy)]
pub enum Pattern {
    /// A complete regex; the secret is the group named `secret`, else group 1, else the match.
    Raw(&'static str),
    /// `NAME … = VALUE`: a value of a given shape assigned to a name that mentions the
    /// provider (`HEROKU_API_KEY = "…"`, `"datadog_api_key": "…"`).
    Keyed {
        name: &'static str,
        value: &'static str,
    },
    /// A PEM block `-----BEGIN <label>-----` … `-----END <label>-----` with a real body.
    Pem(&'static str),
}

/// A built-in rule, written from the provider's documented token format.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Lower-case literals; one must occur (case-insensitively) near the match.
    pub keywords: &'static [&'static str],
    pub pattern: Pattern,
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 = no check.
    pub entropy: f32,
    /// The secret must hold a digit: random keys almost always do, identifiers and words
    /// (`_EllipticCurvePrivateKey`, `bare-quoted-string`) do not.
    pub digit: bool,
}

/// A prefixed token: the prefix makes it unambiguous.
pub const fn raw(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> Spec {
    Spec {
        id,
        title,
        severity,
        keywords,
        pattern: Pattern::Raw(regex),
        entropy: 0.0,
        digit: false,
    }
}

/// A value that only means something next to the provider's name: entropy-checked.
pub const fn keyed(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    name: &'static str,
    value: &'static str,
) -> Spec {
    Spec {
        id,
        title,
        severity,
        keywords,
        pattern: Pattern::Keyed { name, value },
        entropy: 3.0,
        digit: false,
    }
}

pub const fn pem(
    id: &'static str,
    title: &'static str,
    keywords: &'static [&'static str],
    label: &'static str,
) -> Spec {
    Spec {
        id,
        title,
        severity: Severity::Critical,
        keywords,
        pattern: Pattern::Pem(label),
        entropy: 0.0,
        digit: false,
    }
}

impl Spec {
    pub const fn entropy(mut self, bits: f32) -> Spec {
        self.entropy = bits;
        self
    }

    pub const fn with_digit(mut self) -> Spec {
        self.digit = true;
        self
    }

    /// The regex source, ASCII-only (`(?-u)`: faster, and tokens are ASCII).
    pub fn regex(&self) -> String {
        match self.pattern {
            Pattern::Raw(regex) => format!("(?-u){regex}"),
            Pattern::Keyed { name, value } => format!(
                r#"(?-u)(?i)(?:{name})[0-9a-z_.\-]{{0,25}}["']?\s{{0,3}}(?:=|>|:=|:|=>|\?=|,)\s{{0,5}}["'`]?(?P<secret>{value})(?:["'`\s;,)<\\]|$)"#
            ),
            Pattern::Pem(label) => format!(
                r"(?-u)-----BEGIN {label}-----\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*(?P<secret>[A-Za-z0-9+/]{{16}}[A-Za-z0-9+/=\s]{{48,}}?)-----END {label}-----"
            ),
        }
    }

    /// PEM blocks span lines; everything else is matched within one line.
    pub fn spans_lines(&self) -> bool {
        matches!(self.pattern, Pattern::Pem(_))
    }
}

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    pub regex: Regex,
    pub entropy: f32,
    pub digit: bool,
    pub spans_lines: bool,
}

impl Rule {
    pub fn compile(spec: &Spec) -> Result<Rule, String> {
        let source = spec.regex();
        Ok(Rule {
            id: spec.id.to_string(),
            title: spec.title.to_string(),
            severity: spec.severity,
            keywords: spec.keywords.iter().map(|k| k.to_string()).collect(),
            regex: build(&source).map_err(|e| format!("rule {}: {e}", spec.id))?,
            entropy: spec.entropy,
            digit: spec.digit,
            spans_lines: spec.spans_lines(),
        })
    }
}

/// Compiles with a size limit, so a hostile custom rule cannot blow up memory.
pub fn build(source: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(source)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
}
