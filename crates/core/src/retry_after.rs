//! `Retry-After` parsing: delay-seconds or an HTTP date (RFC 9110 §10.2.3), capped.

/// The longest wait a `Retry-After` can ask for; larger values are capped to it.
pub const MAX_RETRY_AFTER_SECS: u64 = 600;

/// Parses a `Retry-After` value into seconds from `now` (unix seconds), capped at
/// [`MAX_RETRY_AFTER_SECS`]. A date in the past gives 0. Garbage gives `None`.
pub fn parse(value: &str, now: u64) -> Option<u64> {
    let v = value.trim();
    let secs = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Overlong digit strings saturate instead of failing.
        v.parse::<u64>().unwrap_or(u64::MAX)
    } else if let Some(f) = parse_decimal_seconds(v) {
        f
    } else {
        parse_http_date(v)?.saturating_sub(now)
    };
    Some(secs.min(MAX_RETRY_AFTER_SECS))
}

/// Some servers send `1.5`: rounds up to whole seconds.
fn parse_decimal_seconds(v: &str) -> Option<u64> {
    let (int, frac) = v.split_once('.')?;
    if int.is_empty()
        || frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole = int.parse::<u64>().unwrap_or(u64::MAX);
    let round_up = frac.bytes().any(|b| b != b'0');
    Some(whole.saturating_add(u64::from(round_up)))
}

/// Parses an HTTP date in any of the three formats RFC 9110 requires a recipient
/// to accept (IMF-fixdate, RFC 850, asctime) into unix seconds.
pub fn parse_http_date(v: &str) -> Option<u64> {
    let mut parts = v.split([' ', ',']).filter(|p| !p.is_empty());
    let first = parts.next()?;
    let (day, month, year, time);
    if first.len() > 3 && first.contains('-') {
        return None;
    }
    let second = parts.next()?;
    if let Some(m) = month_index(second) {
        // asctime: "Sun Nov  6 08:49:37 1994"
        month = m;
        day = parts.next()?.parse::<u64>().ok()?;
        time = parts.next()?;
        year = parts.next()?.parse::<u64>().ok()?;
    } else if second.contains('-') {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        let mut dmy = second.split('-');
        day = dmy.next()?.parse().ok()?;
        month = month_index(dmy.next()?)?;
        let y: u64 = dmy.next()?.parse().ok()?;
        year = if y < 70 {
            2000 + y
        } else if y < 100 {
            1900 + y
        } else {
            y
        };
        time = parts.next()?;
    } else {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        day = second.parse().ok()?;
        month = month_index(parts.next()?)?;
        year = parts.next()?.parse().ok()?;
        time = parts.next()?;
    }
    let mut hms = time.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next()?.parse().ok()?;
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn month_index(m: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if m.len() != 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(m))
        .map(|i| i as u64 + 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year ≥ 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_6_1994: u64 = 784_111_777;

    #[test]
    fn all_three_date_formats() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(NOV_6_1994)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(NOV_6_1994)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(NOV_6_1994)
        );
    }

    #[test]
    fn seconds_dates_and_caps() {
        assert_eq!(parse("120", 0), Some(120));
        assert_eq!(parse(" 7 ", 0), Some(7));
        assert_eq!(parse("1.2", 0), Some(2));
        assert_eq!(
            parse("99999999999999999999999", 0),
            Some(MAX_RETRY_AFTER_SECS)
        );
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:47 GMT", NOV_6_1994), Some(10));
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:27 GMT", NOV_6_1994), Some(0));
        assert_eq!(parse("soon", 0), None);
        assert_eq!(parse("", 0), None);
        assert_eq!(parse("-5", 0), None);
        assert_eq!(parse("Sun, 36 Nov 1994 08:49:37 GMT", 0), None);
    }
}
