//! Re-reading the web config when it changes.
//!
//! Polling rather than inotify: it needs no extra crate, it sees files replaced by
//! rename (how editors, Kubernetes secrets and certbot write), and checking a few small
//! files every couple of seconds costs nothing. The certificate, key and client CA files
//! are watched too, since the toolkit reads them on every handshake and renewals in place
//! must be picked up.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime};

use super::{WebConfig, WebConfigError};

/// Holds the current [`WebConfig`] and swaps in a new one when its files change. Cheap
/// to clone; the poll task ends once the last clone is dropped.
#[derive(Clone)]
pub struct WebConfigWatcher {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    path: PathBuf,
    current: RwLock<Arc<WebConfig>>,
    state: Mutex<State>,
}

struct State {
    /// The files behind `current`, as they were when it was loaded.
    loaded: Fingerprint,
    /// Set while the files on disk are bad.
    failed: Option<Failure>,
}

struct Failure {
    /// The files the failed attempt read (or tried to), and how they looked: the poll
    /// task tries again only when one of them changes, so a bad file is reported once
    /// rather than every interval.
    files: Vec<PathBuf>,
    fingerprint: Fingerprint,
}

/// Modification time, length and content hash of one file; `None` when unreadable.
type FileStamp = Option<(Option<SystemTime>, u64, u64)>;

fn stamp(path: &Path) -> FileStamp {
    let metadata = std::fs::metadata(path).ok()?;
    let content = std::fs::read(path).ok()?;
    let mut hasher = DefaultHasher::new();
    content.hash(&mut hasher);
    Some((metadata.modified().ok(), metadata.len(), hasher.finish()))
}

#[derive(PartialEq, Eq)]
struct Fingerprint {
    config_file: FileStamp,
    referenced_files: Vec<FileStamp>,
}

impl Fingerprint {
    /// `config_file` is stamped before a load and passed in, so a write during the load
    /// shows as a change next time rather than being missed.
    fn new(config_file: FileStamp, referenced_files: &[PathBuf]) -> Fingerprint {
        Fingerprint {
            config_file,
            referenced_files: referenced_files.iter().map(|p| stamp(p)).collect(),
        }
    }
}

impl WebConfigWatcher {
    /// Loads the file (an error if it is bad) and, unless `interval` is zero, starts a
    /// task that checks the files every `interval`. Must run inside a tokio runtime.
    pub fn start(path: PathBuf, interval: Duration) -> Result<WebConfigWatcher, WebConfigError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| WebConfigError::NoRuntime)?;
        let config_file = stamp(&path);
        let config = WebConfig::load(&path)?;
        let loaded = Fingerprint::new(config_file, config.referenced_files());
        let inner = Arc::new(Inner {
            path,
            current: RwLock::new(Arc::new(config)),
            state: Mutex::new(State {
                loaded,
                failed: None,
            }),
        });
        if !interval.is_zero() {
            runtime.spawn(poll(Arc::downgrade(&inner), interval));
        }
        Ok(WebConfigWatcher { inner })
    }

    /// Loads the file like [`WebConfigWatcher::start`] and returns, besides the watcher,
    /// its poll task, which ends only at `shutdown` (or once every watcher is dropped),
    /// so the exporter can supervise it like its other long-lived tasks.
    pub fn start_supervised(
        path: PathBuf,
        interval: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(WebConfigWatcher, tokio::task::JoinHandle<()>), WebConfigError> {
        let watcher = WebConfigWatcher::start(path, Duration::ZERO)?;
        let inner = Arc::downgrade(&watcher.inner);
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = poll(inner, interval) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        });
        Ok((watcher, task))
    }

    /// The configuration to use for the next connection or request.
    pub fn current(&self) -> Arc<WebConfig> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads now if any file changed since the current config was loaded, or if the
    /// last attempt failed. `Ok(true)`: a new config is in use; `Ok(false)`: nothing
    /// changed; `Err`: the files are bad and the current config stays.
    pub fn reload_now(&self) -> Result<bool, WebConfigError> {
        self.inner.reload()
    }
}

impl Inner {
    fn reload(&self) -> Result<bool, WebConfigError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let current = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let config_file = stamp(&self.path);
        if state.failed.is_none()
            && Fingerprint::new(config_file, current.referenced_files()) == state.loaded
        {
            return Ok(false);
        }
        let mut files = Vec::new();
        match WebConfig::load_tracking_files(&self.path, &mut files) {
            Ok(config) => {
                state.loaded = Fingerprint::new(config_file, config.referenced_files());
                state.failed = None;
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
                Ok(true)
            }
            Err(error) => {
                let fingerprint = Fingerprint::new(config_file, &files);
                state.failed = Some(Failure { files, fingerprint });
                Err(error)
            }
        }
    }

    /// True while the last attempt failed and none of its files changed since.
    fn still_failing_unchanged(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failed.as_ref().is_some_and(|failure| {
            Fingerprint::new(stamp(&self.path), &failure.files) == failure.fingerprint
        })
    }

    pub(super) fn poll_once(&self) {
        if self.still_failing_unchanged() {
            return;
        }
        match self.reload() {
            Ok(true) => tracing::info!(path = %self.path.display(), "web config reloaded"),
            Ok(false) => {}
            Err(error) => tracing::warn!("keeping the previous web config: {error}"),
        }
    }
}

async fn poll(inner: Weak<Inner>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate and the file was just loaded.
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        // File reads and certificate parsing are blocking work.
        if tokio::task::spawn_blocking(move || inner.poll_once())
            .await
            .is_err()
        {
            tracing::warn!("web config reload check failed unexpectedly");
        }
    }
}
