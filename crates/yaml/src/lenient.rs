//! What libyaml (PyYAML, and go-yaml, which kubectl and Helm use) accepts and a strict YAML 1.2
//! parser refuses, made acceptable without changing any value: a quoted scalar whose
//! continuation lines are indented less than its key. Line folding drops a continuation line's
//! leading spaces, so indenting those lines changes no value and no line number.

/// `text` with the quoted scalar that starts at `line`:`column` (1-based) indented enough, or
/// `None` when nothing there can be fixed that way.
pub(crate) fn indent_quoted_scalar(text: &str, line: usize, column: usize) -> Option<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let first = line.checked_sub(1)?;
    let start = column.checked_sub(1)?;
    let quote = *lines.get(first)?.as_bytes().get(start)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let last = closing_line(&lines, first, start, quote)?;
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let wanted = indent(&lines[first]) + 1;
    let mut changed = false;
    for l in &mut lines[first + 1..=last] {
        let have = indent(l);
        if have < wanted && !l.trim().is_empty() {
            l.insert_str(0, &" ".repeat(wanted - have));
            changed = true;
        }
    }
    changed.then(|| lines.concat())
}

/// The line where the scalar opened by `quote` at `lines[first][start]` closes.
fn closing_line(lines: &[String], first: usize, start: usize, quote: u8) -> Option<usize> {
    let mut escaped = false;
    let mut after_quote = false;
    for (index, l) in lines.iter().enumerate().skip(first) {
        let from = if index == first { start + 1 } else { 0 };
        for &byte in &l.as_bytes()[from..] {
            if quote == b'"' {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => return Some(index),
                    _ => {}
                }
            } else if after_quote {
                // `''` is an escaped quote; a lone `'` closed the scalar.
                if byte != b'\'' {
                    return Some(index);
                }
                after_quote = false;
            } else if byte == b'\'' {
                after_quote = true;
            }
        }
        if after_quote {
            return Some(index);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::indent_quoted_scalar;

    #[test]
    fn continuation_lines_are_indented_under_their_key() {
        let text = "a:\n  b: \"one\n two\nthree\"\nc: 1\n";
        assert_eq!(
            indent_quoted_scalar(text, 2, 6).as_deref(),
            Some("a:\n  b: \"one\n   two\n   three\"\nc: 1\n")
        );
        let single = "k:\n  v: 'it''s\n long'\n";
        assert_eq!(
            indent_quoted_scalar(single, 2, 6).as_deref(),
            Some("k:\n  v: 'it''s\n   long'\n")
        );
        // Not a quote there, or never closed: nothing to fix.
        assert_eq!(indent_quoted_scalar(text, 1, 1), None);
        assert_eq!(indent_quoted_scalar("a: \"open\nb", 1, 4), None);
    }
}
