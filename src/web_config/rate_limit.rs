//! `rate_limit`: the toolkit's token bucket (Go's `rate.NewLimiter(rate.Every(interval),
//! burst)`), shared by every request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::RawRateLimit;

pub(super) struct RateLimiter {
    interval: Duration,
    burst: f64,
    state: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    /// `None` when the interval is zero or unset, which is the toolkit's "off".
    pub(super) fn new(raw: RawRateLimit) -> Result<Option<RateLimiter>, String> {
        let interval = raw.interval.map(|d| d.0).unwrap_or_default();
        if interval.is_zero() {
            return Ok(None);
        }
        let burst = raw.burst.unwrap_or(0);
        if burst == 0 {
            // Go's limiter behaves so; keep it, but say it.
            tracing::warn!(
                "rate_limit.burst is 0: every request will be refused with 429, as in the exporter toolkit"
            );
        }
        let burst = burst as f64;
        Ok(Some(RateLimiter {
            interval,
            burst,
            state: Mutex::new(Bucket {
                tokens: burst,
                refilled_at: Instant::now(),
            }),
        }))
    }

    pub(super) fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> bool {
        let mut bucket = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.saturating_duration_since(bucket.refilled_at);
        bucket.tokens =
            (bucket.tokens + elapsed.as_secs_f64() / self.interval.as_secs_f64()).min(self.burst);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::web_config::GoDuration;

    fn limiter(interval: Duration, burst: u64) -> Option<RateLimiter> {
        RateLimiter::new(RawRateLimit {
            interval: Some(GoDuration(interval)),
            burst: Some(burst),
        })
        .unwrap()
    }

    #[test]
    fn bucket_allows_the_burst_then_one_request_per_interval() {
        let Some(limiter) = limiter(Duration::from_secs(1), 2) else {
            panic!("limiter expected");
        };
        let start = Instant::now();
        assert!(limiter.allow_at(start));
        assert!(limiter.allow_at(start));
        assert!(!limiter.allow_at(start));
        assert!(!limiter.allow_at(start + Duration::from_millis(500)));
        assert!(limiter.allow_at(start + Duration::from_millis(1000)));
        assert!(!limiter.allow_at(start + Duration::from_millis(1100)));
    }

    #[test]
    fn zero_interval_means_no_limit() {
        assert!(limiter(Duration::ZERO, 0).is_none());
    }

    #[test]
    fn zero_burst_refuses_everything_as_go_does() {
        let Some(limiter) = limiter(Duration::from_secs(1), 0) else {
            panic!("limiter expected");
        };
        assert!(!limiter.allow_at(Instant::now() + Duration::from_secs(60)));
    }
}
