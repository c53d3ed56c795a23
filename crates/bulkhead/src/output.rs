//! Where and how the report is written, and how notes reach the terminal: untrusted text
//! (file names, package fields, registry messages) has its control characters escaped first.

use crate::cli::{Format, ReportArgs};
use anyhow::Context;
use report::Report;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub use report::escape_control as escape;

pub fn write(report: &Report, args: &ReportArgs) -> anyhow::Result<()> {
    write_to(
        report,
        args.format,
        args.output.as_deref(),
        args.show_suppressed,
    )
}

pub fn write_to(
    report: &Report,
    format: Format,
    output: Option<&Path>,
    show_suppressed: bool,
) -> anyhow::Result<()> {
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
        Format::Table => {
            let options = report::TableOptions {
                colour,
                show_suppressed,
            };
            report::write_table(report, &mut out, &options)
        }
        Format::Cyclonedx => report::write_cyclonedx(report, &mut out),
        Format::SpdxJson => report::write_spdx(report, &mut out),
        Format::Openvex => report::write_openvex(report, &mut out),
    }
    .and_then(|_| out.flush())
    .context("cannot write the report")
}

/// Every warning on stderr, escaped. Data gaps are shown even with `-q`: they change what the
/// report means. A table on stdout lists them itself, under its summary: not twice.
pub fn warn_all(warnings: &[inventory::Warning], format: Format, output: Option<&Path>) {
    if format == Format::Table && output.is_none() {
        return;
    }
    for warning in warnings {
        eprintln!("warning: {}", escape(&warning.to_string()));
    }
}
