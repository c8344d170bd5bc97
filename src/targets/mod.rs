//! The runtime: every Jamf server the process watches is a target, and one supervisor
//! runs them all. A single server from the `--jamf.*` flags (or `--demo`) is a fleet of
//! one; `--config.file` gives many. Both run the same refresh loop, store and metrics;
//! only how the HTTP side presents them differs (`Mode`).
//!
//! - `plan`: what to run, from the validated `Config` (and the demo simulator's start).
//! - `build`: one target's client and poller.
//! - `schedule`: one target's refresh loop and its first-refresh offset.
//! - `supervisor`: the task that owns every target's loop, applies reloads and
//!   coalesces them, and ends (ending the process) when a target's loop ends on its own.
//! - `page`: the fleet landing page.
//! - `discovery`: the `/sd` answer (Prometheus HTTP service discovery).

mod build;
mod discovery;
pub mod page;
mod plan;
mod schedule;
mod supervisor;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch, Notify};

pub use crate::config::{hashmod, load, parse, FlagDefaults, Loaded, Shard, TargetSpec, SPREAD};
use crate::metrics::{Exposition, FleetMetrics, Metrics, RenderError};
use crate::snapshot::SnapshotStore;
pub use build::poller_for;
pub use discovery::discovery;
pub use plan::{plan, single_spec, Plan};
pub use schedule::first_offset;
pub use supervisor::start;

/// How the HTTP side presents the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One Jamf server from the command line: the telemetry path carries its families,
    /// `/` shows its tables, and `/probe`, `/sd` and `/-/reload` answer 404.
    Single,
    /// `--config.file`: each target on `/probe?target=NAME`, the fleet page on `/`.
    Fleet,
}

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

/// A reload request's answer: `Err` carries why the file was refused.
pub type ReloadOutcome = Result<(), String>;

/// What the HTTP side shares with the supervisor.
pub struct Fleet {
    view: watch::Sender<Arc<View>>,
    pub mode: Mode,
    pub metrics: Arc<FleetMetrics>,
    pub shard: Shard,
    reloads: mpsc::Sender<oneshot::Sender<ReloadOutcome>>,
}

impl Fleet {
    pub fn view(&self) -> Arc<View> {
        self.view.borrow().clone()
    }

    /// Waits for changes of the running set (tests).
    pub fn subscribe(&self) -> watch::Receiver<Arc<View>> {
        self.view.subscribe()
    }

    /// The target of a single-server exporter (the first of a fleet).
    pub fn first(&self) -> Option<Arc<Target>> {
        self.view().targets.values().next().cloned()
    }

    /// True once every target has finished its first refresh. A single server with no
    /// target yet is not ready.
    pub fn ready(&self) -> bool {
        let view = self.view();
        match self.mode {
            Mode::Single => !view.targets.is_empty() && view.targets.values().all(|t| t.ready()),
            Mode::Fleet => view.targets.values().all(|target| target.ready()),
        }
    }

    /// What the telemetry path shows: a single server's families with the process's,
    /// or, for a fleet, the process and the state of the file.
    pub async fn telemetry(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<Exposition>, RenderError> {
        match (self.mode, self.first()) {
            (Mode::Single, Some(target)) => target.metrics.exposition(now).await,
            _ => self.metrics.exposition(now),
        }
    }

    /// Asks for the file to be re-read and applied. Requests that arrive while a reload
    /// runs are answered together by the next one, so the answer always describes a
    /// reload that began after the request.
    pub async fn reload(&self) -> ReloadOutcome {
        let (reply, answer) = oneshot::channel();
        self.reloads
            .send(reply)
            .await
            .map_err(|_| "the targets task has stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the targets task has stopped".to_owned()))
    }

    /// A fleet with no target and no supervisor: what the HTTP side sees before anything
    /// runs (unit tests of the server).
    pub fn idle(mode: Mode, metrics: Arc<FleetMetrics>) -> Fleet {
        let (view, _) = watch::channel(Arc::new(View::default()));
        let (reloads, _) = mpsc::channel(1);
        Fleet {
            view,
            mode,
            metrics,
            shard: Shard::WHOLE,
            reloads,
        }
    }
}
