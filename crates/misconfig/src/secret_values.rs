//! Secret-looking names and values in configuration, shared by the Dockerfile, image,
//! Kubernetes and compose rules, and masking: a finding's snippet or message never shows a
//! credential it found, in any format.

/// Whether a variable name says it holds a credential (`DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN`,
/// `SIGNING_KEY`), not a pointer to one (`PASSWORD_FILE`, `TOKEN_PATH`, `SECRET_NAME`).
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
    const MARKERS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "CLIENT_KEY",
    ];
    const POINTERS: &[&str] = &[
        "_FILE",
        "_PATH",
        "_DIR",
        "_NAME",
        "_REF",
        "_TTL",
        "_LENGTH",
        "_TIMEOUT",
        "_URL",
        "_ENDPOINT",
        "_ID",
        "_URL_ENV",
    ];
    let marked = MARKERS.iter().any(|m| upper.contains(m)) || upper.ends_with("_KEY");
    marked && !POINTERS.iter().any(|p| upper.ends_with(p))
}

/// A literal value, not a reference (`$(VAR)`, `${VAR}`, `$VAR`), a path or empty.
pub fn is_literal_secret(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    !(value.is_empty() || value.starts_with('$') || value.starts_with('/'))
}

/// `scheme://user:password@host…` with a literal password.
pub fn url_with_credentials(text: &str) -> bool {
    credentials_span(text).is_some()
}

/// The byte range of the password in the first URL with credentials in `text`.
fn credentials_span(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(at) = text[from..].find("://") {
        let start = from + at + 3;
        let authority_end = text[start..]
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .map_or(text.len(), |e| start + e);
        let authority = &text[start..authority_end];
        if let Some(at_sign) = authority.rfind('@') {
            if let Some(colon) = authority[..at_sign].find(':') {
                let password = &authority[colon + 1..at_sign];
                if is_literal_secret(password) {
                    return Some((start + colon + 1, start + at_sign));
                }
            }
        }
        from = start;
    }
    None
}

/// `text` with credentials masked as the secret scanner masks them (a few leading characters,
/// then `*`): URL passwords, and the value of every `NAME=VALUE` / `NAME: VALUE` whose name
/// looks like a secret. With `every_value`, any `value:` or `=` right-hand side is masked too
/// (a Kubernetes `value:` line names its variable on another line).
pub fn mask(text: &str, every_value: bool) -> String {
    let mut out = text.to_string();
    while let Some((start, end)) = credentials_span(&out) {
        let masked = mask_value(&out[start..end]);
        if masked == out[start..end] {
            break;
        }
        out.replace_range(start..end, &masked);
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    // Assignments: split at `=` or `: `, look at the name before it.
    while let Some(pos) = rest.find(['=', ':']) {
        let (head, tail) = rest.split_at(pos);
        let separator = &tail[..1];
        let after = &tail[1..];
        if separator == ":" && !(after.starts_with(' ') || after.is_empty()) {
            result.push_str(head);
            result.push(':');
            rest = after;
            continue;
        }
        let name = head
            .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '{' || c == ',')
            .find(|w| !w.is_empty())
            .unwrap_or("");
        let value_start = after.len() - after.trim_start().len();
        let value_text = &after[value_start..];
        let quote = value_text
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'');
        let body = &value_text[quote.map_or(0, |q| q.len_utf8())..];
        let value_len = match quote {
            Some(q) => body.find(q).unwrap_or(body.len()),
            None => body.find(char::is_whitespace).unwrap_or(body.len()),
        };
        let value = &body[..value_len];
        let wanted = (secret_name(name) || (every_value && name.eq_ignore_ascii_case("value")))
            && is_literal_secret(value)
            && !value.contains('*');
        result.push_str(head);
        result.push_str(separator);
        if wanted {
            let prefix = &after[..value_start + quote.map_or(0, |q| q.len_utf8())];
            result.push_str(prefix);
            result.push_str(&mask_value(value));
            rest = &body[value_len..];
        } else {
            rest = after;
        }
    }
    result.push_str(rest);
    result
}

/// The first characters of a secret (up to 3, none of a short one), then `*`s.
fn mask_value(value: &str) -> String {
    let count = value.chars().count();
    let shown = if count >= 12 { 3 } else { 0 };
    let mut out: String = value.chars().take(shown).collect();
    out.push_str(&"*".repeat((count - shown).clamp(4, 12)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in [
            "DB_PASSWORD",
            "apiKey",
            "GITHUB_TOKEN",
            "SIGNING_KEY",
            "AWS_CREDENTIALS",
            "client-secret",
        ] {
            assert!(secret_name(yes), "{yes}");
        }
        for no in [
            "PASSWORD_FILE",
            "TOKEN_PATH",
            "SECRET_NAME",
            "KEYBOARD",
            "HOME",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!secret_name(no), "{no}");
        }
    }

    #[test]
    fn masks_values_never_names() {
        assert_eq!(
            mask("ENV DB_PASSWORD=hunter2secret", false),
            "ENV DB_PASSWORD=hun**********"
        );
        assert_eq!(
            mask("ENV A=1 API_TOKEN=\"abc\"", false),
            "ENV A=1 API_TOKEN=\"****\""
        );
        assert_eq!(
            mask("DB_PASSWORD: s3cr3tvalue", false),
            "DB_PASSWORD: ***********"
        );
        assert_eq!(
            mask("value: eyJhbGciOiJIUzI1NiJ9", true),
            "value: eyJ************"
        );
        assert_eq!(
            mask("value: eyJhbGciOiJIUzI1NiJ9", false),
            "value: eyJhbGciOiJIUzI1NiJ9"
        );
        assert_eq!(
            mask("DATABASE_URL=postgres://app:pa55word@db:5432/x", false),
            "DATABASE_URL=postgres://app:********@db:5432/x"
        );
        assert_eq!(
            mask("TOKEN=${TOKEN} image: nginx:1.25", false),
            "TOKEN=${TOKEN} image: nginx:1.25"
        );
        assert!(url_with_credentials("amqp://guest:guest@rabbit/"));
        assert!(!url_with_credentials("https://example.com/x@y"));
        assert!(!url_with_credentials("postgres://app:${PW}@db/"));
    }
}
