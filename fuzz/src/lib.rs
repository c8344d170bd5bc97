//! Properties the fuzz targets check on what the exporter makes of hostile input.
//!
//! A failed check panics, which libFuzzer reports as a crash with the input that caused it.

use chrono::{DateTime, Datelike, Utc};

/// The largest integer an `f64` holds exactly (2^53). Jamf's counts are integers, so a
/// larger one is an absurd count and must be read as unknown (contract: "a count of 1e300").
pub const MAX_EXACT_COUNT: f64 = 9_007_199_254_740_992.0;

/// A date the exporter keeps must be one a four-digit year can spell (what Jamf's
/// formats and RFC 3339 can express; contract: "a year 99999" is unknown), and it must
/// become a finite Unix timestamp that maps back to the same instant.
pub fn check_date(what: &str, date: DateTime<Utc>) {
    assert!(
        (0..=9999).contains(&date.year()),
        "{what}: {date} is outside the years 0 to 9999"
    );
    let seconds = date.timestamp();
    let nanos = date.timestamp_subsec_nanos();
    let as_float = seconds as f64 + f64::from(nanos) / 1e9;
    assert!(
        as_float.is_finite(),
        "{what}: {date} is not a finite timestamp"
    );
    assert_eq!(
        DateTime::from_timestamp(seconds, nanos),
        Some(date),
        "{what}: {date} does not round-trip through its Unix timestamp"
    );
}

pub fn check_optional_date(what: &str, date: Option<DateTime<Utc>>) {
    if let Some(date) = date {
        check_date(what, date);
    }
}

/// A count the exporter keeps is a sample: finite, not negative, and an exact integer
/// range value (contract: "never NaN"; an absurd count is unknown).
pub fn check_count(what: &str, count: Option<f64>) {
    if let Some(count) = count {
        assert!(
            count.is_finite() && (0.0..=MAX_EXACT_COUNT).contains(&count),
            "{what}: {count} is kept as a count"
        );
    }
}
