//! RFC 3339 timestamps of logged events, to Unix milliseconds.

use super::AnomalyError;

/// Parses an RFC 3339 timestamp (`2026-01-05T09:30:00Z`, `2026-01-05 09:30:00.250+02:00`)
/// to Unix milliseconds. Fractions beyond milliseconds are truncated; a leap second (`:60`)
/// counts as the last millisecond of its minute. Use it to build an [`Event`](super::Event)
/// from logged timestamps.
///
/// # Example
/// ```
/// use shieldwall::anomaly::{AnomalyErrorKind, parse_rfc3339};
///
/// assert_eq!(parse_rfc3339("2026-01-05T02:00:00.25+02:00")?, 1_767_571_200_250);
/// let err = parse_rfc3339("2026-02-30T00:00:00Z").unwrap_err();
/// assert_eq!(err.kind(), AnomalyErrorKind::InvalidEvent);
/// assert_eq!(err.to_string(), "ts '2026-02-30T00:00:00Z' is not an rfc 3339 timestamp: day out of range");
/// # Ok::<(), shieldwall::anomaly::AnomalyError>(())
/// ```
pub fn parse_rfc3339(s: &str) -> Result<i64, AnomalyError> {
    let bad = |why: &str| AnomalyError::bad_timestamp(s, why);
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err(bad("too short"));
    }
    let num = |from: usize, len: usize| -> Result<i64, AnomalyError> {
        let part = b.get(from..from + len).ok_or_else(|| bad("truncated"))?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad("expected digits"));
        }
        Ok(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |at: usize, chars: &[u8]| -> Result<(), AnomalyError> {
        if chars.contains(&b[at]) {
            Ok(())
        } else {
            Err(bad(&format!(
                "expected {:?} at offset {at}",
                chars[0] as char
            )))
        }
    };
    let year = num(0, 4)?;
    sep(4, b"-")?;
    let month = num(5, 2)?;
    sep(7, b"-")?;
    let day = num(8, 2)?;
    sep(10, b"Tt ")?;
    let hour = num(11, 2)?;
    sep(13, b":")?;
    let minute = num(14, 2)?;
    sep(16, b":")?;
    let second = num(17, 2)?;
    if !(1..=12).contains(&month) {
        return Err(bad("month out of range"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > dim[(month - 1) as usize] {
        return Err(bad("day out of range"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("time out of range"));
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return Err(bad("empty fraction"));
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) if i + 6 == b.len() => {
            let oh = num(i + 1, 2)?;
            sep(i + 3, b":")?;
            let om = num(i + 4, 2)?;
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            let m = oh * 60 + om;
            if c == b'-' { -m } else { m }
        }
        _ => return Err(bad("expected 'Z' or an offset such as +02:00 at the end")),
    };
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Ok(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").ok(), Some(0));
        assert_eq!(
            parse_rfc3339("2026-01-05T00:00:00Z").ok(),
            Some(1_767_571_200_000)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T02:00:00.25+02:00").ok(),
            Some(1_767_571_200_250)
        );
        assert_eq!(
            parse_rfc3339("2026-01-04 19:00:00.123456-05:00").ok(),
            Some(1_767_571_200_123)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00z").ok(),
            Some(1_709_208_000_000)
        );
        for bad in [
            "2026-01-05",
            "2026-13-05T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-01-05T24:00:00Z",
            "2026-01-05T00:00:00",
            "2026-01-05T00:00:00+0200",
            "2026-01-05T00:00:00.Z",
            "２026-01-05T00:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
