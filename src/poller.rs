//! One refresh of one Jamf server: run the collectors, build the next snapshot from the
//! previous one, publish it. The schedule that calls it is `targets`'.
//!
//! Polling is a deliberate exception to Prometheus' "collect at scrape time": Jamf is
//! paged and asks clients to go easy on it, while its data changes a few times a year.
//! Scrapes are served from the last snapshot and never reach Jamf.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use futures_util::FutureExt;
use tokio::time::Instant;

use crate::collectors::{self, Part, Skipped};
use crate::injected::InjectedPanics;
use crate::jamf::{JamfClient, JamfError, Reason, Refresh};
use crate::metrics::{Counters, SkipReason};
use crate::snapshot::{CollectorName, CollectorStatus, Snapshot, SnapshotStore, VppLocation};

pub struct Poller {
    pub client: Arc<JamfClient>,
    pub store: Arc<SnapshotStore>,
    pub enabled: Vec<CollectorName>,
    pub interval: Duration,
    pub timeout: Duration,
    pub counters: Arc<Counters>,
    /// Wakes the refresh loop for an early refresh (tests).
    pub wake: Arc<tokio::sync::Notify>,
    pub injected: InjectedPanics,
    /// `mdm_profiles`' window and the inventory version it settled on.
    pub mdm_profiles: Arc<collectors::mdm_profiles::Settings>,
}

/// Whether a collector runs side by side with the others at the start of a refresh.
/// `vpp_content` runs after them with the location list `vpp` fetched, and
/// `server_certificate` last, to read the certificate of one of the refresh's own
/// handshakes.
fn in_first_phase(name: CollectorName) -> bool {
    !matches!(
        name,
        CollectorName::VppContent | CollectorName::ServerCertificate
    )
}

/// Why one collector's refresh failed.
#[derive(Debug)]
enum Failure {
    Jamf(JamfError),
    /// The collector panicked: a bug of the exporter's, counted as `internal`.
    Panicked(String),
}

impl Failure {
    fn reason(&self) -> Reason {
        match self {
            Failure::Jamf(error) => error.reason(),
            Failure::Panicked(_) => Reason::Internal,
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Jamf(error) => error.to_string(),
            Failure::Panicked(detail) => format!("the collector panicked: {detail}"),
        }
    }
}

struct Outcome {
    name: CollectorName,
    result: Result<Part, Failure>,
    duration: Duration,
}

impl Poller {
    /// The snapshot before the first refresh: every enabled collector listed, no data.
    pub fn initial_snapshot(instance_url: &str, enabled: &[CollectorName]) -> Snapshot {
        Snapshot {
            instance_url: instance_url.to_owned(),
            collectors: enabled
                .iter()
                .map(|name| CollectorStatus::new(*name))
                .collect(),
            ..Snapshot::default()
        }
    }

    /// One refresh of every enabled collector, bounded by `timeout` as a whole.
    pub async fn refresh_once(&self) {
        let started = Instant::now();
        let deadline = started.checked_add(self.timeout).unwrap_or(started);
        let previous = self.store.load();
        let refresh = self.client.begin_refresh(deadline);

        let wanted = |name: CollectorName| {
            self.enabled.contains(&name)
                && !previous
                    .status(name)
                    .is_some_and(|status| status.unsupported)
        };
        let first_phase = CollectorName::ALL
            .into_iter()
            .filter(|name| in_first_phase(*name) && wanted(*name))
            .map(|name| self.run_collector(name, &refresh, None));
        let outcomes: Vec<Outcome> = join_all(first_phase).await;
        // One time for the whole refresh, so every collector's last success matches it.
        let now = Utc::now();
        let mut next = self.apply(&previous, outcomes, now);

        if wanted(CollectorName::VppContent) {
            // Reuse this refresh's location list rather than asking Jamf twice.
            let fresh = next
                .status(CollectorName::Vpp)
                .is_some_and(|status| status.success && status.last_success == Some(now));
            let locations = next.vpp.clone().filter(|_| fresh);
            let content = self
                .run_collector(
                    CollectorName::VppContent,
                    &refresh,
                    locations.as_deref().map(Vec::as_slice),
                )
                .await;
            next = self.apply(&next, vec![content], now);
        }

        if wanted(CollectorName::ServerCertificate) {
            // Last, so the certificate comes from one of this refresh's own handshakes.
            let certificate = self
                .run_collector(CollectorName::ServerCertificate, &refresh, None)
                .await;
            next = self.apply(&next, vec![certificate], now);
        }
        next.refreshes = previous.refreshes + 1;
        next.last_refresh = Some(now);
        next.up = refresh.up();
        next.last_nonzero_purchased = crate::snapshot::remember_purchased(&next);

        let failed = next
            .collectors
            .iter()
            .filter(|status| !status.success)
            .count();
        tracing::info!(
            duration_ms = started.elapsed().as_millis() as u64,
            up = next.up,
            failed_collectors = failed,
            "refresh finished"
        );
        self.store.publish(next);
    }

    /// Runs one collector under the refresh's deadline. A panic inside it is caught and
    /// becomes a failure of this collector alone.
    async fn run_collector(
        &self,
        name: CollectorName,
        refresh: &Refresh<'_>,
        locations: Option<&[VppLocation]>,
    ) -> Outcome {
        let began = Instant::now();
        let work = AssertUnwindSafe(async {
            if self.injected.collector == Some(name) {
                panic!("panic injected into collector {name}");
            }
            let inputs = collectors::Inputs {
                locations,
                mdm_profiles: &self.mdm_profiles,
                now: Utc::now(),
            };
            collectors::run(name, refresh, &inputs).await
        })
        .catch_unwind();
        let result = match tokio::time::timeout_at(refresh.deadline(), work).await {
            Err(_) => Err(Failure::Jamf(out_of_time(name))),
            Ok(Err(panic)) => Err(Failure::Panicked(panic_text(panic.as_ref()))),
            Ok(Ok(result)) => result.map_err(Failure::Jamf),
        };
        Outcome {
            name,
            result,
            duration: began.elapsed(),
        }
    }

    /// Builds the next snapshot: fresh data where a collector succeeded, the previous
    /// data (now stale) where it failed.
    fn apply(&self, previous: &Snapshot, outcomes: Vec<Outcome>, now: DateTime<Utc>) -> Snapshot {
        let mut next = previous.clone();
        for Outcome {
            name,
            result,
            duration,
        } in outcomes
        {
            let Some(status) = next
                .collectors
                .iter_mut()
                .find(|status| status.name == name)
            else {
                continue;
            };
            status.duration = duration;
            status.last_attempt = Some(now);
            match result {
                Ok(part) => {
                    if !status.success && status.last_error.is_some() {
                        tracing::info!(collector = name.as_str(), "collector recovered");
                    }
                    status.success = true;
                    status.last_success = Some(now);
                    status.last_error = None;
                    self.count_skipped(name, part.skipped);
                    part.store_into(&mut next);
                }
                Err(Failure::Jamf(error @ JamfError::NotFound { .. })) => {
                    // An older Jamf without this endpoint: report it once, then leave it.
                    tracing::warn!(
                        collector = name.as_str(),
                        error = %error,
                        "endpoint not available on this Jamf Pro; collector disabled until restart"
                    );
                    self.counters.count_error(name, Reason::NotFound);
                    status.success = true;
                    status.unsupported = true;
                    status.last_error = Some((Reason::NotFound, error.to_string()));
                    next.clear(name);
                }
                Err(failure) => {
                    let reason = failure.reason();
                    let message = failure.message();
                    tracing::warn!(
                        collector = name.as_str(),
                        reason = reason.as_str(),
                        error = %message,
                        "collector refresh failed; keeping its last good data"
                    );
                    self.counters.count_error(name, reason);
                    status.success = false;
                    status.last_error = Some((reason, message));
                }
            }
        }
        next
    }

    /// Counts the records a collector could not use, with one warning per refresh.
    fn count_skipped(&self, name: CollectorName, skipped: Skipped) {
        if skipped.total() == 0 {
            return;
        }
        tracing::warn!(
            collector = name.as_str(),
            no_id = skipped.no_id,
            duplicate_id = skipped.duplicate_id,
            "skipped records Jamf sent without an id or with a repeated id"
        );
        self.counters
            .count_skipped(name, SkipReason::NoId, skipped.no_id);
        self.counters
            .count_skipped(name, SkipReason::DuplicateId, skipped.duplicate_id);
    }
}

fn out_of_time(name: CollectorName) -> JamfError {
    JamfError::Timeout {
        endpoint: format!("collector {name}"),
        detail: "--refresh.timeout reached".to_owned(),
    }
}

/// The message a panic carried, if it is text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}
