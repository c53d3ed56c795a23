//! Secrets recognised by where they are written, not by their shape: assignments to names
//! like `password` or `api_key`, credentials in URLs and auth headers. These carry the most
//! false positives, so each is entropy-checked and placeholders are dropped (see `allow`).

use crate::secret::rule::{raw, Spec};
use inventory::Severity::*;

/// Names that hold secrets; the part before and after may be anything word-like.
const PASSWORD_KEYWORDS: &[&str] = &["password", "passwd", "passphrase", "pwd"];
const SECRET_KEYWORDS: &[&str] = &[
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "client_secret",
    "auth_key",
    "credential",
];

pub const RULES: &[Spec] = &[
    raw("generic-password", "Password assigned in code or configuration", High, PASSWORD_KEYWORDS,
        r#"(?i)(?:^|[^a-z0-9])[a-z0-9_.-]*(?:password|passwd|passphrase|pwd)[a-z0-9_-]*["']?\s{0,3}(?::=|=>|==|=|:)\s{0,3}[rbuf]?["'](?P<secret>[^"'\s\\/.~][^"'\s\\]{7,99})["']"#)
        .entropy(3.0),
    raw("generic-api-key", "API key or token assigned in code or configuration", High, SECRET_KEYWORDS,
        r#"(?i)(?:^|[^a-z0-9])[a-z0-9_.-]*(?:secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?)[a-z0-9_-]*["']?\s{0,3}(?::=|=>|=|:)\s{0,3}[rbuf]?["'](?P<secret>[A-Za-z0-9_+=-][A-Za-z0-9_+/=.~-]{15,127})["']"#)
        .entropy(3.7)
        .with_digit(),
    raw("generic-api-key-unquoted", "API key or token in YAML, INI or properties", High, SECRET_KEYWORDS,
        r#"(?im)^\s*[a-z0-9_.-]*(?:api[_-]?key|apikey|secret[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?token)\s{0,3}[:=]\s{0,3}(?P<secret>[A-Za-z0-9_+=-][A-Za-z0-9_+/=.~-]{15,127})\s*$"#)
        .entropy(3.5)
        .with_digit(),
    raw("generic-env-secret", "Secret in an environment variable, ENV or ARG", High, &[
            "password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "private_key", "credential",
        ],
        r#"(?:^|[\s"'])(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]*=(?P<secret>[^\s"'$`;&|<>(){}\\/.~][^\s"'$`;&|<>(){}\\]{7,199})"#)
        .entropy(3.0),
    raw("url-credentials", "Credentials in a URL", High, &["://"],
        r"\b(?:https?|ftps?|sftp|ldaps?|smtps?|imaps?|git|svn|ssh|nntp)://[A-Za-z0-9._%+~-]{1,64}:(?P<secret>[^\s:@/'\x22<>`]{6,128})@[A-Za-z0-9.-]+")
        .entropy(2.8),
    raw("http-basic-auth", "HTTP Basic credentials", High, &["authorization"],
        r"(?i)authorization[\x22']?\s*[:=]\s*[\x22']?basic\s+(?P<secret>[A-Za-z0-9+/]{16,}={0,2})").entropy(3.0),
    raw("http-bearer-token", "HTTP Bearer token", High, &["authorization"],
        r"(?i)authorization[\x22']?\s*[:=]\s*[\x22']?bearer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)").entropy(3.5),
    raw("netrc-password", "Password in a .netrc", High, &["machine"],
        r"\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<secret>[^\s$]{6,})").entropy(2.8),
    raw("curl-user-password", "Password passed to curl", High, &["curl"],
        r"\bcurl\s[^\n]{0,200}?(?:-u|--user)\s+['\x22]?[^:\s'\x22$]+:(?P<secret>[^\s'\x22$]{6,})").entropy(2.8),
    raw("htpasswd-plaintext-env", "Password in a docker login command", High, &["docker login"],
        r"docker login[^\n]{0,200}?(?:-p|--password)[ =]['\x22]?(?P<secret>[^\s'\x22$]{6,})").entropy(2.8),
];
