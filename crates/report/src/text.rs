//! Untrusted text on a terminal: file names, package fields, YAML values and registry messages
//! may hold ESC, OSC, BEL and other control bytes that would recolour, retitle or rewrite the
//! user's terminal. They are shown escaped (`\x1b`), never raw.

use std::borrow::Cow;

/// `text` with every control character (C0 but newline, DEL, C1) and the bidirectional
/// overrides escaped as `\xNN` / `\u{NNNN}`.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For one table cell: a newline in untrusted text would fake a row, so it is escaped too.
pub(crate) fn cell_text(text: &str) -> String {
    escape_control(text).replace('\n', "\\n")
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(escape_control("plain/path.txt"), "plain/path.txt");
        assert_eq!(escape_control("a\u{1b}[31mred"), "a\\x1b[31mred");
        assert_eq!(
            escape_control("t\u{1b}]0;title\u{7}x"),
            "t\\x1b]0;title\\x07x"
        );
        assert_eq!(escape_control("c1\u{9b}x\u{7f}"), "c1\\x9bx\\x7f");
        assert_eq!(escape_control("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(cell_text("two\nlines\r"), "two\\nlines\\x0d");
    }
}
