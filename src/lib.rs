//! jamf_exporter: a Prometheus exporter for Jamf Pro.
//!
//! It watches the yearly Apple renewals a Jamf Pro server depends on (Volume Purchasing
//! tokens, Automated Device Enrollment tokens, the APNs push certificate), licence counts
//! and server health, and publishes them as Prometheus metrics.
//!
//! # Layout
//! - `config`: raw flags and the validated `Config`.
//! - `jamf`: the only code that talks to Jamf (auth, paging, retries, wire types, dates).
//! - `collectors`: one function per Jamf area, wire types in, snapshot parts out.
//! - `snapshot`: plain domain types for one instance at one instant, and their store.
//! - `poller`: the background refresh loop that builds and publishes snapshots.
//! - `metrics`: metric names, the registry, and rendering of the current snapshot.
//! - `renewals` and `findings`: every dated renewal, and what needs doing, judged once for
//!   the landing page, `check` and the calendar.
//! - `server`, `landing` and `calendar`: the HTTP endpoints, the landing page and
//!   `/calendar.ics`.
//! - `check`: `jamf_exporter check`, one refresh and a monitoring-plugin report.
//! - `web_config`: the exporter-toolkit web configuration (TLS, client certificates, basic auth).
//! - `demo`: a simulated Jamf Pro served over real HTTP, for `--demo` and the tests.
//! - `targets`: many Jamf servers from `--config.file`, each probed on `/probe`.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod check;
pub mod collectors;
pub mod config;
pub mod demo;
pub mod duration;
pub mod findings;
pub mod injected;
pub mod jamf;
pub mod landing;
pub mod logging;
pub mod metrics;
pub mod poller;
pub mod renewals;
pub mod secret;
pub mod server;
pub mod snapshot;
pub mod targets;
pub mod web_config;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::config::{Config, JamfTarget, Source};
use crate::injected::InjectedPanics;
use crate::jamf::client::DEFAULT_MAX_BODY_BYTES;
use crate::jamf::{Auth, ClientSettings, SharedHttp};
use crate::metrics::{Counters, Metrics, ProcessMetrics};
use crate::poller::Poller;
use crate::secret::Secret;
use crate::server::AppState;
use crate::snapshot::{CollectorName, SnapshotStore};

/// How often the web configuration file (and the files it names) are checked for changes.
const WEB_CONFIG_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// A running exporter: its listeners, its background tasks, and (in demo mode) the
/// simulator it polls.
pub struct Exporter {
    /// The addresses actually bound (useful with port 0).
    pub addresses: Vec<SocketAddr>,
    pub store: Arc<SnapshotStore>,
    pub metrics: Arc<Metrics>,
    pub simulator: Option<demo::Simulator>,
    /// With `--config.file`: the targets (`store` and `metrics` then stay empty).
    pub fleet: Option<Arc<targets::Fleet>>,
    shutdown: watch::Sender<bool>,
    /// The long-lived tasks, by name: none may end while the exporter runs.
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    wake: Arc<tokio::sync::Notify>,
}

/// A background task that should run as long as the process ended early.
#[derive(Debug, thiserror::Error)]
#[error("the {task} task {how}; exiting so that a supervisor restarts the exporter")]
pub struct TaskEnded {
    pub task: &'static str,
    how: &'static str,
}

impl Exporter {
    /// Asks for a refresh now and waits until it has been published (at most `limit`).
    /// Returns false if none finished in time.
    pub async fn refresh_now(&self, limit: std::time::Duration) -> bool {
        let before = self.store.load().refreshes;
        self.wake.notify_one();
        self.wait_for_refreshes(before + 1, limit).await
    }

    /// Waits until at least `count` refreshes have been published.
    pub async fn wait_for_refreshes(&self, count: u64, limit: std::time::Duration) -> bool {
        let mut published = self.store.subscribe();
        let reached = tokio::time::timeout(
            limit,
            published.wait_for(|snapshot| snapshot.refreshes >= count),
        )
        .await;
        matches!(reached, Ok(Ok(_)))
    }

    /// Completes when one of the long-lived tasks ends, which must not happen while the
    /// exporter runs; the task is then no longer held.
    pub async fn task_ended(&mut self) -> TaskEnded {
        if self.tasks.is_empty() {
            return std::future::pending().await;
        }
        let (result, index, _) =
            futures_util::future::select_all(self.tasks.iter_mut().map(|(_, task)| task)).await;
        let (task, _) = self.tasks.remove(index);
        let how = match result {
            Ok(()) => "stopped",
            Err(error) if error.is_panic() => "panicked",
            Err(_) => "was cancelled",
        };
        TaskEnded { task, how }
    }

    /// Stops refreshing and serving, letting open requests finish briefly.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for (_, task) in self.tasks {
            let _ = task.await;
        }
        if let Some(simulator) = self.simulator {
            simulator.shutdown().await;
        }
    }
}

/// Starts everything: binds the listeners first (a bad address fails here, before
/// anything is served), then spawns the poller and the server.
pub async fn start(config: Config) -> anyhow::Result<Exporter> {
    if let Source::Targets(source) = &config.source {
        return start_targets(&config, source).await;
    }
    let (simulator, target) = jamf_target(&config).await?;
    if simulator.is_none() && target.url.starts_with("http://") {
        tracing::warn!(
            jamf_url = %target.url,
            "--jamf.url uses plain HTTP: credentials and tokens cross the network unencrypted"
        );
    }
    let injected = InjectedPanics::from_env();
    let poller = poller_for(
        &config,
        &target,
        config.refresh_timeout,
        injected.clone(),
        &SharedHttp::default(),
    )?;
    let store = poller.store.clone();
    let metrics = Arc::new(Metrics::new(
        store.clone(),
        poller.counters.clone(),
        Some(Arc::new(ProcessMetrics::new()?)),
        config.refresh_interval,
    ));
    let web = web_source(&config)?;
    let listeners = server::bind(&config.listen_addresses).await?;
    let addresses = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect::<Vec<_>>();

    let (shutdown, shutdown_rx) = watch::channel(false);
    let wake = poller.wake.clone();
    let enabled = poller.enabled.clone();
    let state = app_state(&config, &store, &metrics, web, &injected, None);
    let tasks = vec![
        ("refresh", tokio::spawn(poller.run(shutdown_rx.clone()))),
        (
            "HTTP server",
            tokio::spawn(server::serve(listeners, state, shutdown_rx)),
        ),
    ];
    for address in &addresses {
        tracing::info!(address = %address, telemetry_path = %config.telemetry_path, "listening");
    }
    tracing::info!(
        jamf_url = %target.url,
        collectors = %enabled.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","),
        refresh_interval = %duration::format(config.refresh_interval),
        "jamf_exporter started"
    );
    Ok(Exporter {
        addresses,
        store,
        metrics,
        simulator,
        fleet: None,
        shutdown,
        tasks,
        wake,
    })
}

fn web_source(config: &Config) -> anyhow::Result<server::WebSource> {
    Ok(match &config.web_config_file {
        Some(path) => server::WebSource::Watched(web_config::WebConfigWatcher::start(
            path.clone(),
            WEB_CONFIG_POLL,
        )?),
        None => server::WebSource::Fixed(Arc::new(web_config::WebConfig::plain())),
    })
}

/// Starts the `--config.file` form: every target of the shard under one supervising
/// task, and the server with `/probe`.
async fn start_targets(
    config: &Config,
    source: &config::TargetsSource,
) -> anyhow::Result<Exporter> {
    for spec in &source.loaded.mine {
        if spec.jamf.url.starts_with("http://") {
            tracing::warn!(
                target = %spec.name,
                jamf_url = %spec.jamf.url,
                "this target uses plain HTTP: credentials and tokens cross the network unencrypted"
            );
        }
    }
    let injected = InjectedPanics::from_env();
    let process = Arc::new(ProcessMetrics::new()?);
    let fleet_metrics = Arc::new(metrics::FleetMetrics::new(process)?);
    // Placeholders: with --config.file every Jamf server has its own store and metrics.
    let store = Arc::new(SnapshotStore::default());
    let metrics = Arc::new(Metrics::new(
        store.clone(),
        Arc::new(Counters::new(&[])?),
        None,
        config.refresh_interval,
    ));
    let web = web_source(config)?;
    let listeners = server::bind(&config.listen_addresses).await?;
    let addresses = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect::<Vec<_>>();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (fleet, supervisor) = targets::start(
        config,
        source,
        injected.clone(),
        fleet_metrics,
        shutdown_rx.clone(),
    )?;
    let state = app_state(
        config,
        &store,
        &metrics,
        web,
        &injected,
        Some(fleet.clone()),
    );
    let tasks = vec![
        ("targets", tokio::spawn(supervisor)),
        (
            "HTTP server",
            tokio::spawn(server::serve(listeners, state, shutdown_rx)),
        ),
    ];
    for address in &addresses {
        tracing::info!(address = %address, telemetry_path = %config.telemetry_path, "listening");
    }
    tracing::info!(
        config_file = %source.path.display(),
        targets = source.loaded.mine.len(),
        shard = source.shard.index,
        shards = source.shard.total,
        refresh_concurrency = source.concurrency,
        "jamf_exporter started"
    );
    Ok(Exporter {
        addresses,
        store,
        metrics,
        simulator: None,
        fleet: Some(fleet),
        shutdown,
        tasks,
        wake: Arc::new(tokio::sync::Notify::new()),
    })
}

/// What the HTTP server shares between requests, in either mode.
fn app_state(
    config: &Config,
    store: &Arc<SnapshotStore>,
    metrics: &Arc<Metrics>,
    web: server::WebSource,
    injected: &InjectedPanics,
    fleet: Option<Arc<targets::Fleet>>,
) -> Arc<AppState> {
    Arc::new(AppState {
        store: store.clone(),
        metrics: metrics.clone(),
        telemetry_path: config.telemetry_path.clone(),
        admission: (config.max_requests > 0).then(|| Arc::new(Semaphore::new(config.max_requests))),
        web,
        panic_on_connection: injected.server,
        fleet,
    })
}

/// The client and poller for one Jamf server, with an empty store and new counters, as
/// the exporter and `check` both run them. `timeout` bounds each refresh.
pub fn poller_for(
    config: &Config,
    target: &JamfTarget,
    timeout: std::time::Duration,
    injected: InjectedPanics,
    http: &SharedHttp,
) -> anyhow::Result<Poller> {
    let enabled: Vec<CollectorName> = config.collectors.iter().copied().collect();
    let store = Arc::new(SnapshotStore::new(Poller::initial_snapshot(
        &target.url,
        &enabled,
    )));
    let counters = Arc::new(Counters::new(&enabled)?);
    let client = http.client(
        ClientSettings {
            base_url: target.url.clone(),
            auth: target.auth.clone(),
            timeout: config.jamf_timeout,
            ca_file: config.jamf_ca_file.clone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: config.jamf_proxy.clone(),
        },
        counters.api_requests.clone(),
    )?;
    Ok(Poller {
        client: Arc::new(client),
        store,
        enabled,
        interval: config.refresh_interval,
        timeout,
        counters,
        wake: Arc::new(tokio::sync::Notify::new()),
        injected,
    })
}

/// The Jamf server to poll: the configured one, or (with `--demo`) a simulator started
/// on loopback, which the caller keeps running as long as it polls.
pub async fn jamf_target(config: &Config) -> anyhow::Result<(Option<demo::Simulator>, JamfTarget)> {
    Ok(match &config.source {
        Source::Jamf(target) => (None, target.clone()),
        Source::Targets(_) => {
            anyhow::bail!("--config.file names several Jamf servers; choose one with --target NAME")
        }
        Source::Demo => {
            let simulator_config = demo::SimulatorConfig::demo();
            let auth = Auth::ClientCredentials {
                client_id: simulator_config.credentials.client_id.clone(),
                client_secret: Secret::new(simulator_config.credentials.client_secret.clone()),
            };
            let simulator = demo::Simulator::start(simulator_config)
                .await
                .context("cannot start the demo Jamf Pro simulator")?;
            let target = JamfTarget {
                url: simulator.base_url(),
                auth,
            };
            tracing::info!(url = %target.url, "demo mode: serving a simulated Jamf Pro on loopback");
            (Some(simulator), target)
        }
    })
}

/// Runs until `shutdown` completes, or fails when a background task ends on its own: a
/// live process must never serve a frozen snapshot as fresh.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let mut exporter = start(config).await?;
    tokio::select! {
        _ = shutdown => {
            tracing::info!("shutting down");
            exporter.stop().await;
            Ok(())
        }
        ended = exporter.task_ended() => {
            tracing::error!(error = %ended, "a background task ended");
            exporter.stop().await;
            Err(ended.into())
        }
    }
}
