//! Just enough RFC 3339 for the store: format `SystemTime` as UTC, and turn OSV timestamps into
//! a key that sorts correctly as text (fixed width, UTC, nanoseconds), so that `2024-01-01T00:00:00.5Z`
//! is newer than `2024-01-01T00:00:00Z` and offsets like `+02:00` compare right.

use std::time::{SystemTime, UNIX_EPOCH};

/// `2024-05-01T12:34:56Z` for `t` (seconds precision; times before 1970 print as the epoch).
pub fn format_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, mo, d, h, mi, s) = civil_from_unix(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Now, formatted by [`format_utc`].
pub fn now_utc() -> String {
    format_utc(SystemTime::now())
}

/// A text key that orders OSV timestamps chronologically: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` in UTC.
/// Accepts `YYYY-MM-DD`, `T` or space separators, optional fraction, `Z` or `±HH:MM` (`±HHMM`);
/// a missing offset is read as UTC. `None` for anything else.
pub fn sort_key(ts: &str) -> Option<String> {
    let (unix, nanos) = parse(ts)?;
    let (y, mo, d, h, mi, s) = civil_from_unix(unix);
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{nanos:09}Z"
    ))
}

/// The time `ts` (as [`sort_key`] reads it) stands for; `None` if unreadable or before 1970.
pub fn to_system_time(ts: &str) -> Option<SystemTime> {
    let (unix, nanos) = parse(ts)?;
    let secs = std::time::Duration::from_secs(u64::try_from(unix).ok()?);
    Some(UNIX_EPOCH + secs + std::time::Duration::from_nanos(nanos as u64))
}

/// Seconds since the epoch (UTC) and nanoseconds.
fn parse(ts: &str) -> Option<(i64, i64)> {
    let b = ts.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let (mut h, mut mi, mut s, mut nanos, mut offset) = (0, 0, 0, 0i64, 0i64);
    let mut i = 10;
    if i < b.len() {
        if !matches!(b[i], b'T' | b't' | b' ')
            || b.len() < i + 9
            || b[i + 3] != b':'
            || b[i + 6] != b':'
        {
            return None;
        }
        h = num(i + 1..i + 3)?;
        mi = num(i + 4..i + 6)?;
        s = num(i + 7..i + 9)?;
        // 60 is a leap second; fold it into the next minute's 0 by keeping it as is (sorts fine).
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        i += 9;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Keep at most 9 digits (nanoseconds); more precision cannot matter here.
            let digits = &ts.trim()[start..end.min(start + 9)];
            nanos = digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32);
            i = end;
        }
        match b.get(i) {
            None | Some(b'Z') | Some(b'z') if b.len() <= i + 1 => {}
            Some(&sign @ (b'+' | b'-')) => {
                let oh = num(i + 1..i + 3)?;
                let om = match b.get(i + 3) {
                    Some(b':') if b.len() == i + 6 => num(i + 4..i + 6)?,
                    Some(_) if b.len() == i + 5 => num(i + 3..i + 5)?,
                    None => 0,
                    _ => return None,
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                offset = (oh * 60 + om) * 60 * if sign == b'+' { 1 } else { -1 };
            }
            _ => return None,
        }
    }
    let unix = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
    Some((unix, nanos))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_unix(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661); // 2000-02-29 01:01:01
        assert_eq!(format_utc(t), "2000-02-29T01:01:01Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(format_utc(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn sort_keys_order_chronologically() {
        let k = |s| sort_key(s).unwrap();
        assert_eq!(
            k("2024-10-10T17:22:00.587279Z"),
            "2024-10-10T17:22:00.587279000Z"
        );
        assert!(k("2024-10-10T17:22:00.5Z") > k("2024-10-10T17:22:00Z"));
        assert_eq!(
            to_system_time("2023-11-14T22:13:20Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(k("2024-01-01T02:00:00+02:00"), k("2024-01-01T00:00:00Z"));
        assert_eq!(k("2023-12-31T23:30:00-0030"), k("2024-01-01T00:00:00Z"));
        assert_eq!(k("2024-01-01"), k("2024-01-01T00:00:00Z"));
        assert_eq!(k("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00.000000000Z");
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00Q",
            "2024-01-01T00:00:00.Z",
            "x024-01-01",
        ] {
            assert_eq!(sort_key(bad), None, "{bad}");
        }
    }
}
