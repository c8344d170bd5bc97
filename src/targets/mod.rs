//! Many Jamf servers from one process (`--config.file`): one poller per target, each
//! with its own client, store and counters, run on its own schedule and supervised;
//! reloads that start, stop and restart targets; and sharding by Prometheus' hashmod.
//!
//! Each target reuses what a single server uses: `poller_for` builds its client and
//! poller, `Poller::refresh_once` refreshes it, and `Metrics` renders its probe. What is
//! added here is the schedule (a deterministic first-refresh offset and a global limit
//! on targets refreshing at once) and the set of targets that reloads replace.

mod file;
pub mod page;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::{Config, Source, TargetsSource};
use crate::injected::InjectedPanics;
use crate::metrics::{FleetMetrics, Metrics};
use crate::poller::Poller;
use crate::snapshot::SnapshotStore;
pub use file::{hashmod, load, parse, FlagDefaults, Loaded, Shard, TargetSpec};

/// The longest wait before a target's first refresh after start-up or a reload.
pub const SPREAD: Duration = Duration::from_secs(30);

/// One running target, as the HTTP side sees it.
pub struct Target {
    pub spec: TargetSpec,
    pub store: Arc<SnapshotStore>,
    pub metrics: Arc<Metrics>,
    /// Wakes the target for a refresh now (tests).
    pub wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    id: u64,
}

impl Target {
    /// True once its first refresh has ended, successful or not.
    pub fn ready(&self) -> bool {
        self.store.load().refreshes > 0
    }
}

/// The targets of this replica at one moment; a reload replaces it whole.
#[derive(Default)]
pub struct View {
    pub targets: BTreeMap<String, Arc<Target>>,
    /// Targets of the file that other shards serve, with their shard.
    pub elsewhere: BTreeMap<String, u64>,
}

/// What the HTTP side shares with the targets task.
pub struct Fleet {
    view: watch::Sender<Arc<View>>,
    pub metrics: Arc<FleetMetrics>,
    pub shard: Shard,
    reloads: mpsc::Sender<oneshot::Sender<Result<(), String>>>,
}

impl Fleet {
    pub fn view(&self) -> Arc<View> {
        self.view.borrow().clone()
    }

    /// Waits for changes of the running set (tests).
    pub fn subscribe(&self) -> watch::Receiver<Arc<View>> {
        self.view.subscribe()
    }

    /// True once every target of this shard has finished its first refresh.
    pub fn ready(&self) -> bool {
        self.view().targets.values().all(|target| target.ready())
    }

    /// Re-reads the file and applies it; the error says why it was refused.
    pub async fn reload(&self) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.reloads
            .send(reply)
            .await
            .map_err(|_| "the targets task has stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the targets task has stopped".to_owned()))
    }
}

/// The configuration one target runs with: the process' settings with the target's own.
pub fn target_config(base: &Config, spec: &TargetSpec) -> Config {
    let mut config = base.clone();
    config.source = Source::Jamf(spec.jamf.clone());
    config.jamf_timeout = spec.timeout;
    config.jamf_ca_file = spec.ca_file.clone();
    config.refresh_interval = spec.refresh_interval;
    config.refresh_timeout = spec.refresh_timeout;
    config.collectors = spec.collectors.clone();
    config
}

/// When, after start-up or a reload, a target first refreshes: the same offset for the
/// same name every time, spread over `spread` (or the interval, when shorter).
pub fn first_offset(name: &str, interval: Duration, spread: Duration) -> Duration {
    let window = u64::try_from(spread.min(interval).as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(hashmod(name, window))
}

/// Starts every target of the shard and returns the fleet with the task that runs them.
/// The task ends only at shutdown, or when a target's task ended on its own (then the
/// process must exit, as when the single-server refresh loop ends).
pub fn start(
    base: &Config,
    source: &TargetsSource,
    injected: InjectedPanics,
    metrics: Arc<FleetMetrics>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(
    Arc<Fleet>,
    impl std::future::Future<Output = ()> + Send + 'static,
)> {
    let (reloads, requests) = mpsc::channel(4);
    let (view, _) = watch::channel(Arc::new(View::default()));
    let fleet = Arc::new(Fleet {
        view,
        metrics,
        shard: source.shard,
        reloads,
    });
    let mut supervisor = Supervisor {
        base: base.clone(),
        source: source.clone(),
        fleet: fleet.clone(),
        semaphore: Arc::new(Semaphore::new(source.concurrency)),
        tasks: JoinSet::new(),
        stopping: HashSet::new(),
        names: std::collections::HashMap::new(),
        next_id: 0,
        injected,
    };
    supervisor.apply(source.loaded.clone())?;
    supervisor.fleet.metrics.reloaded(true);
    Ok((fleet, supervisor.run(requests, shutdown)))
}

struct Supervisor {
    base: Config,
    source: TargetsSource,
    fleet: Arc<Fleet>,
    semaphore: Arc<Semaphore>,
    tasks: JoinSet<u64>,
    /// Ids of target tasks asked to stop, whose end is expected.
    stopping: HashSet<u64>,
    /// The target each task runs, for the log line when one ends.
    names: std::collections::HashMap<tokio::task::Id, String>,
    next_id: u64,
    injected: InjectedPanics,
}

impl Supervisor {
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<oneshot::Sender<Result<(), String>>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut hangups = hangup_signals();
        loop {
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => break,
                request = requests.recv() => {
                    let Some(reply) = request else { break };
                    let _ = reply.send(self.reload());
                }
                _ = hangup(&mut hangups) => {
                    tracing::info!("SIGHUP: reloading --config.file");
                    let _ = self.reload();
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

    /// Re-reads the file; a bad one leaves the running targets as they are.
    fn reload(&mut self) -> Result<(), String> {
        let outcome = load(&self.source.path, &self.source.flags, self.source.shard)
            .map_err(|error| error.to_string())
            .and_then(|loaded| self.apply(loaded).map_err(|error| format!("{error:#}")));
        match &outcome {
            Ok(()) => tracing::info!(
                targets = self.fleet.view().targets.len(),
                "--config.file reloaded"
            ),
            Err(reason) => tracing::error!(
                reason = %reason,
                "--config.file not reloaded; the running targets are kept"
            ),
        }
        self.fleet.metrics.reloaded(outcome.is_ok());
        outcome
    }

    /// Makes the running set match `loaded`: unchanged targets keep running untouched,
    /// changed ones restart, removed ones stop, added ones start. Every new poller is
    /// built before anything changes, so a failure changes nothing.
    fn apply(&mut self, loaded: Loaded) -> anyhow::Result<()> {
        let old = self.fleet.view();
        let mut kept = BTreeMap::new();
        let mut fresh = Vec::new();
        // The targets started by one load share HTTP clients where their connection
        // settings match; a reload builds new ones, so a changed CA file is read again.
        let http = crate::jamf::SharedHttp::default();
        for spec in loaded.mine {
            match old.targets.get(&spec.name) {
                Some(running) if running.spec.same_as(&spec) => {
                    kept.insert(spec.name.clone(), running.clone());
                }
                _ => {
                    let config = target_config(&self.base, &spec);
                    let poller = crate::poller_for(
                        &config,
                        &spec.jamf,
                        spec.refresh_timeout,
                        self.injected.clone(),
                        &http,
                    )
                    .map_err(|error| error.context(format!("target {:?}", spec.name)))?;
                    fresh.push((spec, poller));
                }
            }
        }
        for (name, target) in &old.targets {
            if !kept.contains_key(name) {
                let _ = target.stop.send(true);
                self.stopping.insert(target.id);
            }
        }
        let started = Instant::now();
        let mut targets = kept;
        for (spec, poller) in fresh {
            let target = self.spawn(spec, poller, started);
            targets.insert(target.spec.name.clone(), target);
        }
        self.fleet.metrics.set_targets(targets.len());
        self.fleet.view.send_replace(Arc::new(View {
            targets,
            elsewhere: loaded.elsewhere,
        }));
        Ok(())
    }

    fn spawn(&mut self, spec: TargetSpec, poller: Poller, started: Instant) -> Arc<Target> {
        let (stop, stopped) = watch::channel(false);
        let id = self.next_id;
        self.next_id += 1;
        let target = Arc::new(Target {
            metrics: Arc::new(Metrics::new(
                poller.store.clone(),
                poller.counters.clone(),
                None,
                spec.refresh_interval,
            )),
            store: poller.store.clone(),
            wake: poller.wake.clone(),
            stop,
            id,
            spec,
        });
        let offset = first_offset(&target.spec.name, poller.interval, self.source.spread);
        let first = started.checked_add(offset).unwrap_or(started);
        tracing::debug!(
            target = %target.spec.name,
            offset_ms = offset.as_millis() as u64,
            "target started"
        );
        let semaphore = self.semaphore.clone();
        let task = self.tasks.spawn(async move {
            refresh_loop(poller, first, semaphore, stopped).await;
            id
        });
        self.names.insert(task.id(), target.spec.name.clone());
        target
    }
}

/// One target's schedule: first at `first`, then every interval; never overlapping its
/// own refresh; waiting for a place among the `--refresh.concurrency` refreshing
/// targets before its deadline starts.
async fn refresh_loop(
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
            panic!("panic injected into a target's refresh loop");
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

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
fn hangup_signals() -> Hangups {}

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

#[cfg(test)]
mod tests {
    use super::*;

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
