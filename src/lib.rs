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
//! - `poller`: one refresh of one Jamf server, building and publishing its next snapshot.
//! - `metrics`: metric names, the registry, and rendering of the current snapshot.
//! - `renewals` and `findings`: every dated renewal, and what needs doing, judged once for
//!   the landing page, `check` and the calendar.
//! - `server`, `landing` and `calendar`: the HTTP endpoints, the landing page and
//!   `/calendar.ics`.
//! - `check`: `jamf_exporter check`, one refresh and a monitoring-plugin report.
//! - `web_config`: the exporter-toolkit web configuration (TLS, client certificates, basic auth).
//! - `demo`: a simulated Jamf Pro served over real HTTP, for `--demo` and the tests.
//! - `targets`: the runtime: every Jamf server is a target (a single server is a fleet of
//!   one), each refreshed on its own schedule under one supervisor.
#![forbid(unsafe_code)]

pub mod bands;
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
pub mod runbooks;
pub mod secret;
pub mod server;
pub mod snapshot;
pub mod tally;
pub mod targets;
pub mod web_config;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::config::{Config, Source};
use crate::injected::InjectedPanics;
use crate::metrics::{FleetMetrics, ProcessMetrics};
use crate::server::AppState;
use crate::targets::{Fleet, Mode, Target};

/// How often the web configuration file (and the files it names) are checked for changes.
const WEB_CONFIG_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// A running exporter: its listeners, its background tasks, and (in demo mode) the
/// simulator it polls.
pub struct Exporter {
    /// The addresses actually bound (useful with port 0).
    pub addresses: Vec<SocketAddr>,
    pub simulator: Option<demo::Simulator>,
    /// The other simulators of `--demo --demo.targets N`.
    more_simulators: Vec<demo::Simulator>,
    /// The targets: one for a single server, the shard's for `--config.file`.
    pub fleet: Arc<Fleet>,
    shutdown: watch::Sender<bool>,
    /// The long-lived tasks, by name: none may end while the exporter runs.
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

/// A background task that should run as long as the process ended early.
#[derive(Debug, thiserror::Error)]
#[error("the {task} task {how}; exiting so that a supervisor restarts the exporter")]
pub struct TaskEnded {
    pub task: &'static str,
    how: &'static str,
}

impl Exporter {
    /// The target of a single-server exporter (the first of a fleet).
    pub fn target(&self) -> Option<Arc<Target>> {
        self.fleet.first()
    }

    /// Asks the single server's target for a refresh now and waits until it has been
    /// published (at most `limit`). Returns false if none finished in time.
    pub async fn refresh_now(&self, limit: std::time::Duration) -> bool {
        let Some(target) = self.target() else {
            return false;
        };
        let before = target.store.load().refreshes;
        target.wake.notify_one();
        self.wait_for_refreshes(before + 1, limit).await
    }

    /// Waits until the single server's target has published at least `count` refreshes.
    pub async fn wait_for_refreshes(&self, count: u64, limit: std::time::Duration) -> bool {
        let Some(target) = self.target() else {
            return false;
        };
        let mut published = target.store.subscribe();
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
        for simulator in self.simulator.into_iter().chain(self.more_simulators) {
            simulator.shutdown().await;
        }
    }
}

/// Starts everything: binds the listeners first (a bad address fails here, before
/// anything is served), then spawns the targets' supervisor and the server. A single
/// server and `--config.file` take the same path: the first is a fleet of one.
pub async fn start(config: Config) -> anyhow::Result<Exporter> {
    let (simulators, plan) = targets::plan(&config).await?;
    let mut simulators = simulators.into_iter();
    let simulator = simulators.next();
    let more_simulators = simulators.collect();
    let mode = plan.mode;
    let targets = plan.loaded.mine.len();
    let injected = InjectedPanics::from_env();
    let process = Arc::new(ProcessMetrics::new()?);
    let fleet_metrics = Arc::new(FleetMetrics::new(process.clone())?);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (fleet, supervisor) = targets::start(
        plan,
        config.jamf_proxy.clone(),
        injected.clone(),
        fleet_metrics,
        process,
        shutdown_rx.clone(),
    )?;
    let (web, web_task) = web_source(&config, shutdown_rx.clone())?;
    let listeners = server::bind(&config.listen_addresses).await?;
    let addresses = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect::<Vec<_>>();
    let state = Arc::new(AppState {
        telemetry_path: config.telemetry_path.clone(),
        admission: (config.max_requests > 0).then(|| Arc::new(Semaphore::new(config.max_requests))),
        web,
        panic_on_connection: injected.server,
        fleet: fleet.clone(),
        sd_address: config.sd_address.clone(),
        timezone: config.timezone,
    });
    let supervisor_name = match mode {
        Mode::Single => "refresh",
        Mode::Fleet => "targets",
    };
    let mut tasks = vec![
        (supervisor_name, tokio::spawn(supervisor)),
        (
            "HTTP server",
            tokio::spawn(server::serve(listeners, state, shutdown_rx)),
        ),
    ];
    if let Some(task) = web_task {
        tasks.push(("web configuration watcher", task));
    }
    for address in &addresses {
        tracing::info!(address = %address, telemetry_path = %config.telemetry_path, "listening");
    }
    match &config.source {
        Source::Targets(source) => tracing::info!(
            config_file = %source.path.display(),
            targets,
            shard = source.shard.index,
            shards = source.shard.total,
            refresh_concurrency = source.concurrency,
            "jamf_exporter started"
        ),
        Source::Demo { targets } if *targets > 1 => tracing::info!(
            targets,
            refresh_interval = %duration::format(config.refresh_interval),
            "jamf_exporter started"
        ),
        Source::Jamf(_) | Source::Demo { .. } => tracing::info!(
            jamf_url = %fleet.first().map(|t| t.spec.jamf.url.clone()).unwrap_or_default(),
            collectors = %config.collectors.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","),
            refresh_interval = %duration::format(config.refresh_interval),
            "jamf_exporter started"
        ),
    }
    Ok(Exporter {
        addresses,
        simulator,
        more_simulators,
        fleet,
        shutdown,
        tasks,
    })
}

/// The web configuration: fixed without `--web.config.file`, else watched by a task
/// that must live as long as the exporter.
fn web_source(
    config: &Config,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(server::WebSource, Option<JoinHandle<()>>)> {
    Ok(match &config.web_config_file {
        Some(path) => {
            let (watcher, task) = web_config::WebConfigWatcher::start_supervised(
                path.clone(),
                WEB_CONFIG_POLL,
                shutdown,
            )?;
            (server::WebSource::Watched(watcher), Some(task))
        }
        None => (
            server::WebSource::Fixed(Arc::new(web_config::WebConfig::plain())),
            None,
        ),
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
