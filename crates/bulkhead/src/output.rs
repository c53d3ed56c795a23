//! Where and how the report is written.

use crate::cli::{Format, ScanArgs};
use anyhow::Context;
use report::Report;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub fn write(report: &Report, args: &ScanArgs) -> anyhow::Result<()> {
    write_to(report, args.format, args.output.as_deref())
}

pub fn write_to(report: &Report, format: Format, output: Option<&Path>) -> anyhow::Result<()> {
    let colour = output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        Format::Json => report::write_json(report, &mut out),
        Format::Sarif => report::write_sarif(report, &mut out),
        Format::Table => report::write_table(report, &mut out, colour),
        Format::Cyclonedx => report::write_cyclonedx(report, &mut out),
        Format::SpdxJson => report::write_spdx(report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")
}
