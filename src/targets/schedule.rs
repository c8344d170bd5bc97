//! One target's schedule: its first refresh at a deterministic offset, then one every
//! interval, never overlapping, each after a place among the refreshing targets.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use super::hashmod;
use crate::poller::Poller;

/// When, after start-up or a reload, a target first refreshes: the same offset for the
/// same name every time, spread over `spread` (or the interval, when shorter).
pub fn first_offset(name: &str, interval: Duration, spread: Duration) -> Duration {
    let window = u64::try_from(spread.min(interval).as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(hashmod(name, window))
}

/// Refreshes first at `first`, then every interval, until `stop` turns true. A slow
/// refresh delays the next rather than running beside it, and each waits for a place
/// among the `--refresh.concurrency` refreshing targets before its deadline starts.
pub(super) async fn refresh_loop(
    poller: Poller,
    first: Instant,
    semaphore: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval_at(first, poller.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = poller.wake.notified() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let permit = tokio::select! {
            permit = semaphore.clone().acquire_owned() => permit.ok(),
            _ = stop.wait_for(|stop| *stop) => return,
        };
        tokio::select! {
            _ = poller.refresh_once() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        drop(permit);
        if poller.injected.refresh_loop {
            panic!("panic injected into the refresh loop");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SPREAD;

    #[test]
    fn first_refreshes_are_spread_within_the_window_and_repeatable() {
        let spread = SPREAD;
        let names = ["lakeview", "hillside", "t0", "t1", "t2", "t3"];
        let offsets: Vec<Duration> = names
            .iter()
            .map(|name| first_offset(name, Duration::from_secs(300), spread))
            .collect();
        assert!(offsets.iter().all(|offset| *offset < spread));
        assert_eq!(
            offsets,
            names
                .iter()
                .map(|name| first_offset(name, Duration::from_secs(300), spread))
                .collect::<Vec<_>>()
        );
        let distinct: std::collections::BTreeSet<_> = offsets.iter().collect();
        assert!(distinct.len() > 1, "the offsets differ: {offsets:?}");
        assert!(
            first_offset("lakeview", Duration::from_secs(5), spread) < Duration::from_secs(5),
            "a short interval shortens the window"
        );
        assert_eq!(
            first_offset("lakeview", Duration::from_secs(5), Duration::ZERO),
            Duration::ZERO
        );
    }
}
