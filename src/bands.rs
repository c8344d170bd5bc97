//! The VPP and ADE token bands (Soon and Imminent): `--thresholds.*`, or a target's
//! `thresholds:`. The landing page, `check`'s defaults and the exported
//! `jamf_exporter_expiry_threshold_seconds` all read them from here, so the page and the
//! rules agree on every target.

use std::time::Duration;

/// Seconds in a day, for the bands kept as durations and judged in days.
const DAY: f64 = 86_400.0;

/// The warning (Soon) and critical (Imminent) windows before a token expires.
/// Built only through [`TokenBands::new`], which keeps critical below warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBands {
    warning: Duration,
    critical: Duration,
}

/// Bands where critical is not below warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("critical ({critical}) must be shorter than warning ({warning})")]
pub struct BandsError {
    pub warning: String,
    pub critical: String,
}

impl TokenBands {
    /// 30 days and 7 days: the shipped rules' defaults.
    pub const DEFAULT: TokenBands = TokenBands {
        warning: Duration::from_secs(30 * 86_400),
        critical: Duration::from_secs(7 * 86_400),
    };

    pub fn new(warning: Duration, critical: Duration) -> Result<TokenBands, BandsError> {
        if critical >= warning {
            return Err(BandsError {
                warning: crate::duration::format(warning),
                critical: crate::duration::format(critical),
            });
        }
        Ok(TokenBands { warning, critical })
    }

    pub fn warning(self) -> Duration {
        self.warning
    }

    pub fn critical(self) -> Duration {
        self.critical
    }

    pub fn warning_days(self) -> f64 {
        self.warning.as_secs_f64() / DAY
    }

    pub fn critical_days(self) -> f64 {
        self.critical.as_secs_f64() / DAY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_must_be_shorter_than_warning() {
        let day = Duration::from_secs(86_400);
        assert!(TokenBands::new(day * 10, day * 10).is_err());
        assert!(TokenBands::new(day * 7, day * 30).is_err());
        let bands = TokenBands::new(day * 45, day * 10).unwrap();
        assert_eq!(bands.warning_days(), 45.0);
        assert_eq!(bands.critical_days(), 10.0);
        assert_eq!(TokenBands::DEFAULT.warning_days(), 30.0);
    }
}
