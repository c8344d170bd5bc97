//! Jamf's many date formats, turned into UTC instants (jamf-pro-api.md §8.4).
//!
//! Anything missing, empty or unparseable is "unknown" (`None`): the exporter then
//! exports no sample, never 0, which would read as "expired in 1970".

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// Parses a Jamf date or date-time string. A date outside the years 1970 to 9999 is
/// absurd for anything Jamf reports and is unknown too.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    parse_any(text).filter(plausible)
}

fn plausible(instant: &DateTime<Utc>) -> bool {
    (1970..=9999).contains(&instant.year())
}

fn parse_any(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().and_then(from_epoch);
    }
    if text.len() == 10 {
        for format in ["%Y-%m-%d", "%Y/%m/%d"] {
            if let Ok(date) = NaiveDate::parse_from_str(text, format) {
                return date
                    .and_hms_opt(0, 0, 0)
                    .map(|naive| Utc.from_utc_datetime(&naive));
            }
        }
        return None;
    }
    DateTime::parse_from_rfc3339(&normalise_zone(text))
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

/// An epoch number: above 10^11 it is milliseconds, otherwise seconds. Past the year
/// 9999 it is unknown.
pub fn from_epoch(value: i64) -> Option<DateTime<Utc>> {
    if value <= 0 {
        return None;
    }
    let instant = if value > 100_000_000_000 {
        DateTime::from_timestamp_millis(value)
    } else {
        DateTime::from_timestamp(value, 0)
    };
    instant.filter(plausible)
}

/// Rewrites `…Z`, `…+0000` and zone-less forms into RFC 3339's `±HH:MM`.
fn normalise_zone(text: &str) -> String {
    let text = text.replacen(' ', "T", 1);
    if let Some(stripped) = text.strip_suffix(['Z', 'z']) {
        return format!("{stripped}+00:00");
    }
    let bytes = text.as_bytes();
    let n = bytes.len();
    // ±HHMM after the time part
    if n > 5
        && (bytes[n - 5] == b'+' || bytes[n - 5] == b'-')
        && bytes[n - 4..].iter().all(u8::is_ascii_digit)
        && text[..n - 5].contains('T')
    {
        return format!("{}:{}", &text[..n - 2], &text[n - 2..]);
    }
    // ±HH:MM already
    if n > 6
        && (bytes[n - 6] == b'+' || bytes[n - 6] == b'-')
        && bytes[n - 3] == b':'
        && text[..n - 6].contains('T')
    {
        return text;
    }
    format!("{text}+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    #[test]
    fn parses_every_documented_form() {
        for (input, expected) in [
            ("2026-09-03T16:41:07.552Z", "2026-09-03T16:41:07.552Z"),
            ("2026-09-03T16:41:07Z", "2026-09-03T16:41:07Z"),
            ("2026-09-03T16:41:07.5Z", "2026-09-03T16:41:07.5Z"),
            (
                "2026-09-03T16:41:07.123456789Z",
                "2026-09-03T16:41:07.123456789Z",
            ),
            ("2026-11-17", "2026-11-17T00:00:00Z"),
            ("2026/06/19", "2026-06-19T00:00:00Z"),
            ("2026-05-11T06:02:13.881+0000", "2026-05-11T06:02:13.881Z"),
            ("2026-05-11T06:02:13.881", "2026-05-11T06:02:13.881Z"),
            ("2031-01-15T08:00:00.000", "2031-01-15T08:00:00Z"),
            ("2026-09-03T09:41:07-0700", "2026-09-03T16:41:07Z"),
            ("2026-09-03T09:41:07-07:00", "2026-09-03T16:41:07Z"),
            ("1925300000", "2031-01-04T13:33:20Z"),
            ("1798761600000", "2027-01-01T00:00:00Z"),
            ("  2026-11-17  ", "2026-11-17T00:00:00Z"),
        ] {
            assert_eq!(parse(input), utc(expected), "{input}");
        }
    }

    #[test]
    fn unknown_dates_are_none_never_epoch_zero() {
        for input in [
            "",
            "   ",
            "0",
            "not a date",
            "2026-13-45",
            "2026-02-30",
            "31/12/2026",
            "2026-09-03T25:00:00Z",
            "ñ",
            "2026-09-03T16:41:07+25:00",
        ] {
            assert_eq!(parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn epoch_above_ten_to_the_eleven_is_milliseconds() {
        assert_eq!(
            from_epoch(100_000_000_001).map(|d| d.timestamp()),
            Some(100_000_000)
        );
        assert_eq!(
            from_epoch(99_999_999_999).map(|d| d.timestamp()),
            Some(99_999_999_999)
        );
        assert_eq!(from_epoch(-5), None);
    }

    #[test]
    fn dates_outside_the_plausible_years_are_unknown() {
        assert_eq!(parse("99999-01-01T00:00:00Z"), None);
        assert_eq!(parse("+99999-01-01T00:00:00Z"), None);
        assert_eq!(parse("1900-01-01"), None);
        assert_eq!(from_epoch(i64::MAX), None);
        // 6e15 milliseconds is the year 192 000.
        assert_eq!(from_epoch(6_000_000_000_000_000), None);
        assert!(parse("9999-12-31").is_some());
    }

    // Found by the `dates` fuzz target: epochs up to chrono's limit gave years up to 262143.
    #[test]
    fn dates_after_the_year_9999_are_unknown() {
        assert_eq!(
            from_epoch(253_402_300_799_999).map(|d| d.to_rfc3339()),
            Some("9999-12-31T23:59:59.999+00:00".to_owned())
        );
        for epoch in [253_402_300_800_000, 8_000_000_000_000_000, i64::MAX] {
            assert_eq!(from_epoch(epoch), None, "{epoch}");
            assert_eq!(parse(&epoch.to_string()), None, "{epoch}");
        }
    }
}
