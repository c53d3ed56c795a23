//! `--limit KEY=VALUE` and `bulkhead limits`: the bounds on everything bulkhead reads.

use inventory::limits::{self, ALL};

/// Applies every `--limit` setting before anything is read.
pub fn apply(settings: &[String]) -> anyhow::Result<()> {
    for setting in settings.iter().filter(|s| !s.trim().is_empty()) {
        limits::apply(setting).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// Prints each limit: key, current value (and the default when changed), what it bounds.
pub fn list() -> anyhow::Result<u8> {
    let width = ALL.iter().map(|info| info.key.len()).max().unwrap_or(0);
    for info in ALL {
        let value = limits::format_value(limits::get(info.limit), info.unit);
        let default = limits::format_value(info.default, info.unit);
        let value = if value == default {
            value
        } else {
            format!("{value} (default {default})")
        };
        println!("{:width$}  {value:>8}  {}", info.key, info.what);
    }
    println!();
    println!(
        "Set one with --limit KEY=VALUE (sizes take KiB, MiB, GiB) or BULKHEAD_LIMITS=KEY=VALUE,…"
    );
    println!("Also: --timeout (the whole scan), --max-layer-size and --max-file-size. See docs/limits.md.");
    Ok(0)
}
