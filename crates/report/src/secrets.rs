//! The table of secrets: severity, rule, where (file:line, layer) and the masked value.

use crate::table::{colour, layer_cell, new_table};
use crate::text::cell_text;
use crate::Report;
use comfy_table::{Attribute, Cell};
use std::io::Write;

pub fn write_secrets(report: &Report, out: &mut dyn Write, colour_on: bool) -> std::io::Result<()> {
    let mut table = new_table(colour_on);
    table.set_header(["Severity", "Secret", "Where", "Match", "Layer"]);
    for s in &report.secrets {
        let layer = layer_cell(s.layer.as_ref());
        let layer = if s.deleted {
            format!("{layer}\n(deleted in a later layer)")
        } else {
            layer
        };
        table.add_row(vec![
            Cell::new(s.severity.to_string())
                .fg(colour(s.severity))
                .add_attribute(Attribute::Bold),
            Cell::new(format!(
                "{}\n{}",
                cell_text(&s.title),
                cell_text(&s.rule_id)
            )),
            Cell::new(format!("{}:{}", cell_text(&s.file), s.line)),
            Cell::new(cell_text(&s.matched)),
            Cell::new(layer),
        ]);
    }
    writeln!(out, "secrets")?;
    writeln!(out, "{table}")
}
