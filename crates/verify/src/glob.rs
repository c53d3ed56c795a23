//! Registry globs for policies: `*` matches within one path segment, `**` across segments, and a
//! pattern that matches a leading run of whole segments allows everything below it
//! (`reg.example.com/team` allows `reg.example.com/team/app`, not `reg.example.com/teamx/app`).

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Byte(u8),
    Star,
    DoubleStar,
}

fn tokens(pattern: &str) -> Vec<Token> {
    let bytes = pattern.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'*' {
            if bytes.get(i + 1) == Some(&b'*') {
                out.push(Token::DoubleStar);
                i += 2;
            } else {
                out.push(Token::Star);
                i += 1;
            }
        } else {
            out.push(Token::Byte(bytes[i]));
            i += 1;
        }
    }
    out
}

/// Whether `pattern` matches `name` whole or a prefix of it ending at a `/`.
pub fn matches_prefix(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    let tokens = tokens(pattern);
    let name = name.as_bytes();
    // reach[j]: the tokens seen so far can match name[..j]. O(tokens × name), no backtracking.
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for token in &tokens {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = match token {
                Token::Byte(b) => j > 0 && reach[j - 1] && name[j - 1] == *b,
                // a star extends the previous position's match by one byte, or matches nothing
                Token::Star => reach[j] || (j > 0 && next[j - 1] && name[j - 1] != b'/'),
                Token::DoubleStar => reach[j] || (j > 0 && next[j - 1]),
            };
        }
        reach = next;
    }
    (0..=name.len()).any(|j| reach[j] && (j == name.len() || name[j] == b'/'))
}

#[cfg(test)]
mod tests {
    use super::matches_prefix;

    #[test]
    fn whole_segments_only() {
        assert!(matches_prefix(
            "reg.example.com/team",
            "reg.example.com/team/app"
        ));
        assert!(matches_prefix(
            "reg.example.com/team/",
            "reg.example.com/team/app"
        ));
        assert!(matches_prefix(
            "reg.example.com/team/app",
            "reg.example.com/team/app"
        ));
        assert!(!matches_prefix(
            "reg.example.com/team",
            "reg.example.com/teamx/app"
        ));
        assert!(!matches_prefix(
            "reg.example.com",
            "reg.example.com.evil.io/app"
        ));
    }

    #[test]
    fn stars() {
        assert!(matches_prefix("127.0.0.1:*", "127.0.0.1:5000/app"));
        assert!(matches_prefix(
            "*.example.com/team",
            "eu.example.com/team/app"
        ));
        assert!(!matches_prefix(
            "*.example.com/team",
            "eu.example.com/other/app"
        ));
        assert!(matches_prefix("reg.io/*/app", "reg.io/team/app"));
        assert!(!matches_prefix("reg.io/*/app", "reg.io/team/sub/app"));
        assert!(matches_prefix("reg.io/**/app", "reg.io/team/sub/app"));
        assert!(!matches_prefix("reg.io/*", "other.io/x"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*".repeat(200) + "x";
        let name = "a".repeat(5000);
        assert!(!matches_prefix(&pattern, &name));
    }
}
