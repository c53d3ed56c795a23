//! Package databases made of blank-line-separated text records (dpkg status, apk installed).

/// The file as text; package databases are UTF-8 (or ASCII) by construction.
pub(crate) fn text(content: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(content).map_err(|e| {
        format!(
            "not a text database (invalid UTF-8 at byte {})",
            e.valid_up_to()
        )
    })
}

/// Records separated by one or more blank lines (whitespace-only lines count as blank).
pub(crate) fn records(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches(['\n', '\r']);
        if rest.is_empty() {
            return None;
        }
        let end = blank_line(rest).unwrap_or(rest.len());
        let (record, tail) = rest.split_at(end);
        rest = tail;
        if !record.trim().is_empty() {
            return Some(record);
        }
    })
}

/// Byte offset of the first blank line in `text`.
fn blank_line(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.trim().is_empty() {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::records;

    #[test]
    fn splits_on_blank_lines() {
        let got: Vec<&str> = records("a: 1\nb: 2\n\n \n\nc: 3\n\n").collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("a: 1") && got[0].contains("b: 2"));
        assert_eq!(got[1].trim(), "c: 3");
        assert_eq!(records("\n\n").count(), 0);
    }
}
