//! The background refresh loop: poll Jamf, build a new snapshot, publish it.
//!
//! Polling is a deliberate exception to Prometheus' "collect at scrape time": Jamf is
//! paged and asks clients to go easy on it, while its data changes a few times a year.
//! Scrapes are served from the last snapshot and never reach Jamf.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use prometheus::IntCounterVec;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::collectors::{self, Collected, CollectorName};
use crate::jamf::{JamfClient, JamfError, Reason};
use crate::snapshot::{CollectorStatus, Snapshot, SnapshotStore};

pub struct Poller {
    pub client: Arc<JamfClient>,
    pub store: Arc<SnapshotStore>,
    pub enabled: Vec<CollectorName>,
    pub interval: Duration,
    pub timeout: Duration,
    pub refresh_errors: IntCounterVec,
    /// Wakes the loop for an early refresh (tests, and later an admin endpoint).
    pub wake: Arc<tokio::sync::Notify>,
}

type Outcome = (CollectorName, Result<Collected, JamfError>, Duration);

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

    /// Refreshes every `interval` until `shutdown` turns true. Refreshes never overlap:
    /// a slow one delays the next rather than running beside it.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = self.wake.notified() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            tokio::select! {
                _ = self.refresh_once() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// One refresh of every enabled collector, bounded by `timeout` as a whole.
    pub async fn refresh_once(&self) {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let previous = self.store.load();
        self.client.begin_refresh();

        let wanted = |name: CollectorName| {
            self.enabled.contains(&name)
                && !previous
                    .status(name)
                    .is_some_and(|status| status.unsupported)
        };
        let client = &*self.client;
        let first_phase = [
            CollectorName::Vpp,
            CollectorName::Ade,
            CollectorName::Notifications,
            CollectorName::BuiltinCa,
            CollectorName::Version,
            CollectorName::Healthcheck,
        ]
        .into_iter()
        .filter(|name| wanted(*name))
        .map(|name| async move {
            let began = Instant::now();
            let result = tokio::time::timeout_at(deadline, collect(client, name, deadline))
                .await
                .unwrap_or_else(|_| Err(out_of_time(name)));
            (name, result, began.elapsed())
        });
        let mut outcomes: Vec<Outcome> = join_all(first_phase).await;

        if wanted(CollectorName::VppContent) {
            // Reuse this refresh's location list rather than asking Jamf twice.
            let locations = outcomes.iter().find_map(|(_, result, _)| match result {
                Ok(Collected::Vpp(locations)) => Some(locations.as_slice()),
                _ => None,
            });
            let began = Instant::now();
            let result = tokio::time::timeout_at(
                deadline,
                collectors::vpp_content::collect(client, locations, deadline),
            )
            .await
            .unwrap_or_else(|_| Err(out_of_time(CollectorName::VppContent)))
            .map(Collected::VppContent);
            outcomes.push((CollectorName::VppContent, result, began.elapsed()));
        }

        let next = self.apply(&previous, outcomes);
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

    /// Builds the next snapshot: fresh data where a collector succeeded, the previous
    /// data (now stale) where it failed.
    fn apply(&self, previous: &Snapshot, outcomes: Vec<Outcome>) -> Snapshot {
        let now = Utc::now();
        let mut next = previous.clone();
        next.refreshes += 1;
        next.last_refresh = Some(now);
        next.up = self.client.up();
        for (name, result, duration) in outcomes {
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
                Ok(collected) => {
                    if !status.success && status.last_error.is_some() {
                        tracing::info!(collector = name.as_str(), "collector recovered");
                    }
                    status.success = true;
                    status.last_success = Some(now);
                    status.last_error = None;
                    store_data(&mut next, collected);
                }
                Err(error @ JamfError::NotFound { .. }) => {
                    // An older Jamf without this endpoint: report it once, then leave it.
                    tracing::warn!(
                        collector = name.as_str(),
                        error = %error,
                        "endpoint not available on this Jamf Pro; collector disabled until restart"
                    );
                    self.count_error(name, Reason::NotFound);
                    status.success = true;
                    status.unsupported = true;
                    status.last_error = Some((Reason::NotFound, error.to_string()));
                    clear_data(&mut next, name);
                }
                Err(error) => {
                    tracing::warn!(
                        collector = name.as_str(),
                        reason = error.reason().as_str(),
                        error = %error,
                        "collector refresh failed; keeping its last good data"
                    );
                    self.count_error(name, error.reason());
                    status.success = false;
                    status.last_error = Some((error.reason(), error.to_string()));
                }
            }
        }
        next.last_nonzero_purchased = crate::findings::remember_purchased(&next);
        next
    }

    fn count_error(&self, name: CollectorName, reason: Reason) {
        self.refresh_errors
            .with_label_values(&[name.as_str(), reason.as_str()])
            .inc();
    }
}

fn out_of_time(name: CollectorName) -> JamfError {
    JamfError::Timeout {
        endpoint: format!("collector {name}"),
        detail: "--refresh.timeout reached".to_owned(),
    }
}

async fn collect(
    client: &JamfClient,
    name: CollectorName,
    deadline: Instant,
) -> Result<Collected, JamfError> {
    Ok(match name {
        CollectorName::Vpp => Collected::Vpp(collectors::vpp::collect(client, deadline).await?),
        CollectorName::VppContent => {
            Collected::VppContent(collectors::vpp_content::collect(client, None, deadline).await?)
        }
        CollectorName::Ade => Collected::Ade(collectors::ade::collect(client, deadline).await?),
        CollectorName::Notifications => {
            Collected::Notifications(collectors::notifications::collect(client, deadline).await?)
        }
        CollectorName::BuiltinCa => {
            Collected::BuiltinCa(collectors::builtin_ca::collect(client, deadline).await?)
        }
        CollectorName::Version => {
            Collected::Version(collectors::version::collect(client, deadline).await?)
        }
        CollectorName::Healthcheck => {
            Collected::Healthcheck(collectors::healthcheck::collect(client, deadline).await?)
        }
    })
}

fn store_data(snapshot: &mut Snapshot, collected: Collected) {
    match collected {
        Collected::Vpp(data) => snapshot.vpp = Some(Arc::new(data)),
        Collected::VppContent(data) => snapshot.vpp_content = Some(Arc::new(data)),
        Collected::Ade(data) => snapshot.ade = Some(Arc::new(data)),
        Collected::Notifications(data) => snapshot.notifications = Some(Arc::new(data)),
        Collected::BuiltinCa(data) => snapshot.builtin_ca = Some(data),
        Collected::Version(data) => snapshot.version = Some(data),
        Collected::Healthcheck(data) => snapshot.healthcheck = Some(data),
    }
}

fn clear_data(snapshot: &mut Snapshot, name: CollectorName) {
    match name {
        CollectorName::Vpp => snapshot.vpp = None,
        CollectorName::VppContent => snapshot.vpp_content = None,
        CollectorName::Ade => snapshot.ade = None,
        CollectorName::Notifications => snapshot.notifications = None,
        CollectorName::BuiltinCa => snapshot.builtin_ca = None,
        CollectorName::Version => snapshot.version = None,
        CollectorName::Healthcheck => snapshot.healthcheck = None,
    }
}
