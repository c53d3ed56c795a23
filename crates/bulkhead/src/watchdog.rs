//! `--timeout`: no input keeps a scan alive past it. A registry that sends a byte every few
//! seconds, an endless blob or a pathological file would otherwise hold a CI job until its own
//! limit; like Trivy's `--timeout`, the whole scan gets one budget, enforced from outside the
//! work so that nothing it reads can postpone it.

use std::time::Duration;

/// `10m`, `90s`, `1h30m`, `2h`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration (e.g. 90s, 10m, 1h30m)");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Ends the process with the error exit code once `timeout` has passed.
pub fn start(timeout: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        eprintln!(
            "error: the scan did not finish within --timeout {}s; raise --timeout for a large or slow target",
            timeout.as_secs()
        );
        std::process::exit(i32::from(crate::ERROR_EXIT));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("45s").unwrap(), Duration::from_secs(45));
        for bad in ["", "10x", "m", "1h3", "0s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
