//! Default allow-lists: well-known example keys, placeholders, test fixtures, vendored docs
//! and lock files. False positives are bugs; these are the known sources of them.

use regex::RegexSet;

/// Paths never read for secrets: test fixtures, vendored documentation, lock files whose
/// integrity hashes look random, and translations.
const PATHS: &[&str] = &[
    r"(?:^|/)(?:tests?|testdata|test-data|__tests__|fixtures?|__fixtures__|testing)/",
    r"(?:^|/)(?:node_modules|vendor|third_party|site-packages|dist-packages)/.*\.(?:md|markdown|rst|txt|html?|adoc)$",
    r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|Cargo\.lock|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|uv\.lock)$",
    r"\.(?:min\.js\.map|js\.map|css\.map|mo|po)$",
];

/// Extensions of formats that are never text worth reading.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "ico", "webp", "bmp", "tiff", "svgz", "pdf", "woff", "woff2",
    "ttf", "otf", "eot", "so", "a", "o", "dll", "exe", "dylib", "pyc", "pyo", "class", "jar",
    "war", "zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "whl", "deb", "rpm", "apk", "mp3", "mp4",
    "ogg", "wav", "avi", "mov", "db", "sqlite", "wasm",
];

/// Examples documented by providers, accepted verbatim by no service.
const EXAMPLE_VALUES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // RFC 6749 (OAuth 2.0) examples: client s6BhdRkqt3:gX1fBat3bV, its tokens.
    "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    "2YotnFZFEjr1zCsicMWpAA",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    // jwt.io's example token and PyJWT's documented one (both signed with "secret").
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9",
];

/// Whole values (lower case) that are words, not credentials.
const WEAK_VALUES: &[&str] = &[
    "secret",
    "mysecret",
    "supersecret",
    "topsecret",
    "secretkey",
    "s3cr3t",
    "token",
    "apikey",
    "api_key",
    "credentials",
    "none",
    "null",
    "true",
    "false",
    "undefined",
];

/// Lower-case fragments that mark a value as a placeholder rather than a credential.
const PLACEHOLDERS: &[&str] = &[
    "example",
    "xxxxxx",
    "******",
    "......",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourkey",
    "yourpass",
    "yourtoken",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "%s",
    "dummy",
    "redacted",
    "sample",
    "insert",
    "replace",
    "notreal",
    "not_real",
    "not-real",
    "password",
    "passwd",
    "lorem",
    "abcdefgh",
    "12345678",
    "01234567",
    "deadbeef",
    "process.env",
    "os.environ",
    "getenv",
];

pub struct AllowList {
    paths: RegexSet,
    values: RegexSet,
    exact: Vec<String>,
}

impl AllowList {
    /// The defaults plus `paths` and `values` regexes from a config file.
    pub fn new(paths: &[String], values: &[String], exact: &[String]) -> Result<Self, String> {
        let path_set = PATHS
            .iter()
            .map(|p| p.to_string())
            .chain(paths.iter().cloned());
        let paths = RegexSet::new(path_set).map_err(|e| format!("allow-list path regex: {e}"))?;
        let values = RegexSet::new(values).map_err(|e| format!("allow-list value regex: {e}"))?;
        let exact = EXAMPLE_VALUES
            .iter()
            .map(|v| v.to_string())
            .chain(exact.iter().cloned())
            .collect();
        Ok(AllowList {
            paths,
            values,
            exact,
        })
    }

    /// Paths not worth reading: allow-listed or a binary format by extension.
    pub fn skips_path(&self, path: &str) -> bool {
        let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let binary = ext.len() <= 6
            && BINARY_EXTENSIONS
                .iter()
                .any(|b| b.eq_ignore_ascii_case(ext));
        binary || self.paths.is_match(path)
    }

    /// Values that are examples, placeholders or too regular to be secrets.
    pub fn allows_value(&self, value: &str) -> bool {
        if self.exact.iter().any(|e| value.contains(e.as_str())) || value.contains("EXAMPLE") {
            return true;
        }
        let lower = value.to_ascii_lowercase();
        PLACEHOLDERS.iter().any(|p| lower.contains(p))
            || WEAK_VALUES.contains(&lower.as_str())
            || repetitive(value.as_bytes())
            || self.values.is_match(value)
    }
}

/// `aaaaaaaa`, `abababab`: a period of one or two characters.
fn repetitive(value: &[u8]) -> bool {
    value.len() >= 8 && (value.windows(3).all(|w| w[0] == w[2]))
}

/// Shannon entropy in bits per byte.
pub fn entropy(value: &[u8]) -> f32 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[b as usize] += 1;
    }
    let len = value.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / len;
            -p * p.log2()
        })
        .sum()
}
