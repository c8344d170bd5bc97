//! Durations in Prometheus syntax: `30s`, `5m`, `1h30m`, `250ms`.

use std::time::Duration;

/// A text that is not a Prometheus duration, or one too long to represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("not a valid duration: {0:?} (use e.g. 30s, 5m, 1h)")]
    Invalid(String),
    #[error("duration out of range: {0:?}")]
    OutOfRange(String),
}

/// Parses a Prometheus duration. Units: `y` (365 d), `w`, `d`, `h`, `m`, `s`, `ms`,
/// largest first, each at most once, as Prometheus' `model.ParseDuration` accepts.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("ms", 1),
        ("m", 60_000),
        ("s", 1_000),
    ];
    // Rank of each unit from largest to smallest, so `1m1h` is refused.
    fn rank(unit: &str) -> usize {
        ["y", "w", "d", "h", "m", "s", "ms"]
            .iter()
            .position(|u| *u == unit)
            .unwrap_or(usize::MAX)
    }
    let invalid = || DurationError::Invalid(text.to_owned());
    if text.is_empty() {
        return Err(invalid());
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total_ms: u64 = 0;
    let mut last_rank: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let (unit, factor) = UNITS
            .iter()
            .find(|(unit, _)| rest.starts_with(unit))
            .ok_or_else(invalid)?;
        rest = &rest[unit.len()..];
        let unit_rank = rank(unit);
        if last_rank.is_some_and(|previous| previous >= unit_rank) {
            return Err(invalid());
        }
        last_rank = Some(unit_rank);
        total_ms = number
            .checked_mul(*factor)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(|| DurationError::OutOfRange(text.to_owned()))?;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Formats a duration the way Prometheus prints one (`1h30m`, `45s`, `250ms`).
pub fn format(duration: Duration) -> String {
    let mut ms = duration.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, factor) in [
        ("y", 365 * 86_400_000u128),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= factor {
            out.push_str(&format!("{}{unit}", ms / factor));
            ms %= factor;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_prometheus_durations() {
        for (text, ms) in [
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1d", 86_400_000),
            ("1w", 604_800_000),
            ("1y", 31_536_000_000),
            ("1m30s500ms", 90_500),
            ("0", 0),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_millis(ms)), "{text}");
        }
    }

    #[test]
    fn refuses_malformed_durations() {
        for text in [
            "",
            "5",
            "m",
            "5 m",
            "5min",
            "-5m",
            "1m1h",
            "5m5m",
            "1.5h",
            "99999999999999999999y",
        ] {
            assert!(parse(text).is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["30s", "5m", "1h30m", "250ms", "2m"] {
            let parsed = parse(text).unwrap_or_default();
            assert_eq!(format(parsed), text);
        }
    }
}
