//! The task that owns every target's refresh loop: it starts them, applies reloads
//! (unchanged targets keep running, changed ones restart, removed ones stop, added ones
//! start), and ends when a target's loop ends on its own, so that the process exits
//! rather than serve a frozen snapshot as fresh.
//!
//! A reload reads files, secrets and CA files and builds HTTP clients: that work runs
//! on a blocking thread, never on an async worker. Reload requests that arrive while
//! one runs wait and are answered together by the next, single, reload.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tracing::Instrument;

use super::schedule::{first_offset, refresh_loop};
use super::{poller_for, Fleet, Plan, ReloadOutcome, Target, View};
use crate::config::{load, Loaded, Shard, TargetSpec};
use crate::injected::InjectedPanics;
use crate::jamf::{ProxySettings, RateGates, SharedHttp};
use crate::metrics::{FleetMetrics, Metrics, ProcessMetrics};
use crate::poller::Poller;

/// Pending reload requests are few (each holds an admitted HTTP request), but more than
/// one reload's worth must fit, so that a burst waits for one reload, not for many.
const RELOAD_QUEUE: usize = 256;

/// How long a reload waits after its first request for others to join it: a burst of
/// requests that arrive over a few milliseconds then costs one reload, not one each.
const RELOAD_GATHER: Duration = Duration::from_millis(100);

/// Starts every target of the plan and returns the fleet with the task that runs them.
/// `process` is added to a single server's own telemetry; a fleet shows it on its own.
pub fn start(
    plan: Plan,
    proxy: ProxySettings,
    injected: InjectedPanics,
    metrics: Arc<FleetMetrics>,
    process: Arc<ProcessMetrics>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(
    Arc<Fleet>,
    impl std::future::Future<Output = ()> + Send + 'static,
)> {
    let (reloads, requests) = mpsc::channel(RELOAD_QUEUE);
    let (view, _) = watch::channel(Arc::new(View::default()));
    let fleet = Arc::new(Fleet {
        view,
        mode: plan.mode,
        metrics,
        shard: plan.shard,
        reloads,
    });
    let builder = Builder {
        proxy,
        injected,
        shard: plan.shard,
        file: plan.file.clone(),
        warn_plain_http: plan.warn_plain_http,
        rate_gates: Arc::new(RateGates::default()),
    };
    let prepared = builder.prepare(&View::default(), plan.loaded)?;
    let mut supervisor = Supervisor {
        builder: Arc::new(builder),
        process: (plan.mode == super::Mode::Single).then_some(process),
        fleet: fleet.clone(),
        semaphore: Arc::new(Semaphore::new(plan.concurrency)),
        spread: plan.spread,
        tasks: JoinSet::new(),
        stopping: HashSet::new(),
        names: HashMap::new(),
        next_id: 0,
    };
    supervisor.install(prepared);
    supervisor.fleet.metrics.reloaded(true);
    Ok((fleet, supervisor.run(requests, shutdown)))
}

/// What building new targets needs; shared with the blocking thread of a reload.
struct Builder {
    proxy: ProxySettings,
    injected: InjectedPanics,
    shard: Shard,
    file: Option<(std::path::PathBuf, crate::config::FlagDefaults)>,
    warn_plain_http: bool,
    /// The rate gates of every load, so targets of one gateway and API client keep one
    /// shared limit across reloads.
    rate_gates: Arc<RateGates>,
}

/// A load of the targets, with every new poller built, ready to be installed.
struct Prepared {
    /// Running targets to keep as they are, by name.
    kept: Vec<String>,
    fresh: Vec<(TargetSpec, Poller)>,
    elsewhere: BTreeMap<String, u64>,
}

impl Builder {
    /// Builds a poller for every target of `loaded` that is new or changed against
    /// `old`. Every poller is built before anything changes, so a failure changes nothing.
    fn prepare(&self, old: &View, loaded: Loaded) -> anyhow::Result<Prepared> {
        // The targets of one load share HTTP clients where their connection settings
        // match; a reload builds new ones, so a changed CA file is read again.
        let http = SharedHttp::sharing_rate_limits(Arc::clone(&self.rate_gates));
        let mut kept = Vec::new();
        let mut fresh = Vec::new();
        for spec in loaded.mine {
            match old.targets.get(&spec.name) {
                Some(running) if running.spec.same_as(&spec) => kept.push(spec.name),
                _ => {
                    if self.warn_plain_http && spec.jamf.url.starts_with("http://") {
                        tracing::warn!(
                            target = %spec.name,
                            jamf_url = %spec.jamf.url,
                            "plain HTTP: credentials and tokens cross the network unencrypted"
                        );
                    }
                    let poller = poller_for(
                        &spec,
                        &self.proxy,
                        spec.refresh_timeout,
                        self.injected.clone(),
                        &http,
                    )
                    .map_err(|error| error.context(format!("target {:?}", spec.name)))?;
                    fresh.push((spec, poller));
                }
            }
        }
        Ok(Prepared {
            kept,
            fresh,
            elsewhere: loaded.elsewhere,
        })
    }

    /// Re-reads the file and prepares it against `old` (blocking work).
    fn reload(&self, old: &View) -> Result<Prepared, String> {
        let Some((path, flags)) = &self.file else {
            return Err("nothing to reload without --config.file".to_owned());
        };
        let loaded = load(path, flags, self.shard).map_err(|error| error.to_string())?;
        self.prepare(old, loaded)
            .map_err(|error| format!("{error:#}"))
    }
}

struct Supervisor {
    builder: Arc<Builder>,
    process: Option<Arc<ProcessMetrics>>,
    fleet: Arc<Fleet>,
    semaphore: Arc<Semaphore>,
    spread: Duration,
    tasks: JoinSet<u64>,
    /// Ids of target tasks asked to stop, whose end is expected.
    stopping: HashSet<u64>,
    /// The target each task runs, for the log line when one ends.
    names: HashMap<tokio::task::Id, String>,
    next_id: u64,
}

type Reply = oneshot::Sender<ReloadOutcome>;

/// A reload running on a blocking thread, and the requests it answers.
struct Running {
    task: JoinHandle<Result<Prepared, String>>,
    covers: Vec<Reply>,
}

impl Supervisor {
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<Reply>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut hangups = if self.builder.file.is_some() {
            hangup_signals()
        } else {
            None
        };
        let mut running: Option<Running> = None;
        // Requests (and a SIGHUP) that arrived after the running reload began.
        let mut waiting: Vec<Reply> = Vec::new();
        let mut hangup_waiting = false;
        // When the next reload starts, once requests wait and none runs.
        let mut gathered: Option<Instant> = None;
        loop {
            if running.is_none() && gathered.is_none() && (hangup_waiting || !waiting.is_empty()) {
                gathered = Instant::now().checked_add(RELOAD_GATHER);
            }
            tokio::select! {
                _ = sleep_until(gathered), if gathered.is_some() => {
                    gathered = None;
                    hangup_waiting = false;
                    running = Some(self.begin_reload(std::mem::take(&mut waiting)));
                }
                _ = shutdown.wait_for(|stop| *stop) => break,
                request = requests.recv() => match request {
                    Some(reply) => waiting.push(reply),
                    None => break,
                },
                _ = hangup(&mut hangups) => {
                    tracing::info!("SIGHUP: reloading --config.file");
                    hangup_waiting = true;
                }
                done = finished(&mut running), if running.is_some() => {
                    let covers = running.take().map(|r| r.covers).unwrap_or_default();
                    self.end_reload(done, covers);
                }
                Some(ended) = self.tasks.join_next_with_id() => match ended {
                    Ok((task, id)) => {
                        let name = self.names.remove(&task).unwrap_or_default();
                        if !self.stopping.remove(&id) {
                            tracing::error!(target = %name, "a target's refresh task stopped on its own");
                            return;
                        }
                    }
                    Err(error) => {
                        let name = self.names.remove(&error.id()).unwrap_or_default();
                        tracing::error!(target = %name, error = %error, "a target's refresh task ended");
                        return;
                    }
                },
            }
        }
        for target in self.fleet.view().targets.values() {
            let _ = target.stop.send(true);
        }
        while tokio::time::timeout(Duration::from_secs(5), self.tasks.join_next())
            .await
            .ok()
            .flatten()
            .is_some()
        {}
        self.tasks.abort_all();
    }

    fn begin_reload(&self, covers: Vec<Reply>) -> Running {
        let builder = self.builder.clone();
        let old = self.fleet.view();
        Running {
            task: tokio::task::spawn_blocking(move || builder.reload(&old)),
            covers,
        }
    }

    /// Installs a prepared reload (or keeps the running targets), logs it once, and
    /// answers every request it covered.
    fn end_reload(
        &mut self,
        done: Result<Result<Prepared, String>, tokio::task::JoinError>,
        covers: Vec<Reply>,
    ) {
        let outcome = match done {
            Ok(Ok(prepared)) => {
                self.install(prepared);
                Ok(())
            }
            Ok(Err(reason)) => Err(reason),
            Err(error) => Err(format!("the reload failed: {error}")),
        };
        match &outcome {
            Ok(()) => tracing::info!(
                targets = self.fleet.view().targets.len(),
                requests = covers.len(),
                "--config.file reloaded"
            ),
            Err(reason) => tracing::error!(
                reason = %reason,
                requests = covers.len(),
                "--config.file not reloaded; the running targets are kept"
            ),
        }
        self.fleet.metrics.reloaded(outcome.is_ok());
        for reply in covers {
            let _ = reply.send(outcome.clone());
        }
    }

    /// Makes the running set match a prepared load: kept targets go on untouched, the
    /// rest of the old ones stop, the fresh ones start.
    fn install(&mut self, prepared: Prepared) {
        let old = self.fleet.view();
        let mut targets = BTreeMap::new();
        for name in prepared.kept {
            if let Some(running) = old.targets.get(&name) {
                targets.insert(name, running.clone());
            }
        }
        for (name, target) in &old.targets {
            if !targets.contains_key(name) {
                let _ = target.stop.send(true);
                self.stopping.insert(target.id);
            }
        }
        let started = Instant::now();
        for (spec, poller) in prepared.fresh {
            let target = self.spawn(spec, poller, started);
            targets.insert(target.spec.name.clone(), target);
        }
        self.fleet.metrics.set_targets(targets.len());
        self.fleet.view.send_replace(Arc::new(View {
            targets,
            elsewhere: prepared.elsewhere,
        }));
    }

    fn spawn(&mut self, spec: TargetSpec, poller: Poller, started: Instant) -> Arc<Target> {
        let (stop, stopped) = watch::channel(false);
        let id = self.next_id;
        self.next_id += 1;
        let target = Arc::new(Target {
            metrics: Arc::new(Metrics::new(
                poller.store.clone(),
                poller.counters.clone(),
                self.process.clone(),
                spec.refresh_interval,
                spec.thresholds,
            )),
            store: poller.store.clone(),
            wake: poller.wake.clone(),
            stop,
            id,
            spec,
        });
        let offset = first_offset(&target.spec.name, poller.interval, self.spread);
        let first = started.checked_add(offset).unwrap_or(started);
        tracing::debug!(
            target = %target.spec.name,
            offset_ms = offset.as_millis() as u64,
            "target started"
        );
        let semaphore = self.semaphore.clone();
        // Every line logged while this target refreshes carries `target=NAME`.
        let span = tracing::info_span!("target", target = %target.spec.name);
        let task = self.tasks.spawn(
            async move {
                refresh_loop(poller, first, semaphore, stopped).await;
                id
            }
            .instrument(span),
        );
        self.names.insert(task.id(), target.spec.name.clone());
        target
    }
}

/// Completes at `at` (never, without one).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The end of the running reload (never, when none runs).
async fn finished(
    running: &mut Option<Running>,
) -> Result<Result<Prepared, String>, tokio::task::JoinError> {
    match running {
        Some(running) => (&mut running.task).await,
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangup_signals() -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(signals) => Some(signals),
        Err(error) => {
            tracing::warn!(error = %error, "cannot listen for SIGHUP; reload with POST /-/reload");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signals() -> Hangups {
    None
}

#[cfg(unix)]
async fn hangup(signals: &mut Hangups) {
    match signals {
        Some(signals) => {
            if signals.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn hangup(_: &mut Hangups) {
    std::future::pending().await
}
