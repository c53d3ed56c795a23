//! The table section for misconfigurations.

use crate::table::{colour, new_table};
use crate::text::cell_text;
use crate::Report;
use comfy_table::{Attribute, Cell};
use std::io::Write;

/// Misconfigurations: where (file:line:col), which rule, how bad, what, and the offending line.
pub(crate) fn write_misconfigurations(
    report: &Report,
    out: &mut dyn Write,
    colour_on: bool,
) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header(["Location", "Rule", "Severity", "Title", "Snippet"]);
    for m in &report.misconfigurations {
        let location = if m.line > 0 {
            format!("{}:{}:{}", cell_text(&m.file), m.line, m.column)
        } else {
            cell_text(&m.file)
        };
        let title = format!("{}\n{}", cell_text(&m.title), cell_text(&m.message));
        table.add_row(vec![
            Cell::new(location),
            Cell::new(cell_text(&m.rule_id)),
            Cell::new(m.severity.to_string())
                .fg(colour(m.severity))
                .add_attribute(Attribute::Bold),
            Cell::new(title),
            Cell::new(
                m.snippet
                    .as_deref()
                    .map(|s| cell_text(&shorten_snippet(s)))
                    .unwrap_or_default(),
            ),
        ]);
    }
    writeln!(out, "misconfigurations: {}", report.misconfigurations.len())?;
    writeln!(out, "{table}")
}

fn shorten_snippet(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text.to_string()
    }
}
