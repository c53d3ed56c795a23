//! `--format json`: the report model, serialised.

use crate::Report;
use std::io::Write;

pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
