//! When a failed request is sent again: which failures, how long to wait, and never past
//! the refresh's deadline.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use super::client::{Answer, Route};
use super::error::JamfError;

/// One request plus this many retries for 5xx, 429, timeouts and connection errors.
const MAX_ATTEMPTS: u32 = 4;
/// A rate limit's 429 says when to ask again, so it is retried more often, while the
/// deadline allows; a bound still stops a server that answers nothing else.
const MAX_RATE_LIMITED_ATTEMPTS: u32 = 16;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Why one attempt brought no answer.
pub(super) enum NoAnswer {
    /// The request failed in transit or ran out of time; retried when that may pass.
    Request(JamfError),
    /// No bearer token could be had, so nothing was sent. Returned at once: the token
    /// request has had its own retries, and its failure is kept for the rest of the
    /// refresh, so a retry would only sleep through the backoffs and get it again.
    NoToken(JamfError),
}

impl NoAnswer {
    pub(super) fn into_error(self) -> JamfError {
        match self {
            NoAnswer::Request(error) | NoAnswer::NoToken(error) => error,
        }
    }
}

/// Runs `send` until it gives a final answer. 5xx, 408, 429, timeouts and connection
/// errors are retried with exponential backoff and jitter (or `Retry-After`, or a 429's
/// rate limit reset), up to `MAX_ATTEMPTS` (`MAX_RATE_LIMITED_ATTEMPTS` for 429s); a wait that would end past the deadline is not started, so the last
/// answer or error is returned instead. Certificate failures are not retried: they do
/// not fix themselves within seconds.
pub(super) async fn with_retries<F, Fut>(
    route: &Route,
    deadline: Instant,
    mut send: F,
) -> Result<Answer, JamfError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Answer, NoAnswer>>,
{
    let mut attempt = 1;
    loop {
        let result = match send().await {
            Ok(answer) => Ok(answer),
            Err(NoAnswer::NoToken(error)) => return Err(error),
            Err(NoAnswer::Request(error)) => Err(error),
        };
        let rate_limited =
            matches!(&result, Ok(answer) if answer.status == StatusCode::TOO_MANY_REQUESTS);
        let (retryable, retry_after) = match &result {
            Ok(answer) => (is_retryable_status(answer.status), answer.retry_after),
            Err(
                JamfError::Timeout { .. }
                | JamfError::Connect { .. }
                | JamfError::HostNotFound { .. },
            ) => (true, None),
            Err(_) => (false, None),
        };
        let max_attempts = if rate_limited {
            MAX_RATE_LIMITED_ATTEMPTS
        } else {
            MAX_ATTEMPTS
        };
        if !retryable || attempt >= max_attempts {
            return result;
        }
        let delay = retry_after.unwrap_or_else(|| backoff(attempt));
        if delay >= deadline.saturating_duration_since(Instant::now()) {
            return result;
        }
        tracing::debug!(
            endpoint = route.template,
            attempt,
            delay_ms = delay.as_millis() as u64,
            "retrying a failed Jamf request"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Exponential backoff with ±50 % jitter: about 0.5 s, 1 s, 2 s …, capped.
fn backoff(attempt: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << (attempt - 1).min(10))
        .min(MAX_BACKOFF);
    base.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After` as seconds or an HTTP date. Any size is accepted here: the retry loop
/// compares it with the time the refresh has left and never waits past that.
pub(super) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&chrono::Utc) - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = chrono::Utc::now();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            None
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("9300000000000000000", now),
            Some(Duration::from_secs(9_300_000_000_000_000_000))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let delay = backoff(attempt);
            assert!(delay <= MAX_BACKOFF.mul_f64(1.5), "{attempt}: {delay:?}");
        }
        assert!(backoff(1) <= Duration::from_millis(750));
    }
}
