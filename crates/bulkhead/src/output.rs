//! Where and how the report is written.

use crate::cli::{Format, ScanArgs};
use anyhow::Context;
use report::Report;
use std::io::{IsTerminal, Write};

pub fn write(report: &Report, args: &ScanArgs) -> anyhow::Result<()> {
    let colour = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        Format::Json => report::write_json(report, &mut out),
        Format::Table => report::write_table(report, &mut out, colour),
        Format::Cyclonedx => report::write_cyclonedx(report, &mut out),
        Format::SpdxJson => report::write_spdx(report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")
}
