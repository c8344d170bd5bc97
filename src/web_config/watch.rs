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
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    current: RwLock<Arc<WebConfig>>,
    state: Mutex<State>,
}

struct State {
    /// Fingerprint of the files behind `current`.
    loaded: Fingerprint,
    /// The last reload error, so the poll task warns once per distinct problem rather
    /// than every interval.
    failing: Option<String>,
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
    /// `config_file` is stamped before the load, so a write during the load shows as a
    /// change next time rather than being missed.
    fn after_load(config_file: FileStamp, config: &WebConfig) -> Fingerprint {
        Fingerprint {
            config_file,
            referenced_files: config.referenced_files().iter().map(|p| stamp(p)).collect(),
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
        let loaded = Fingerprint::after_load(config_file, &config);
        let inner = Arc::new(Inner {
            path,
            current: RwLock::new(Arc::new(config)),
            state: Mutex::new(State {
                loaded,
                failing: None,
            }),
        });
        if !interval.is_zero() {
            runtime.spawn(poll(Arc::downgrade(&inner), interval));
        }
        Ok(WebConfigWatcher { inner })
    }

    /// The configuration to use for the next connection or request.
    pub fn current(&self) -> Arc<WebConfig> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads now if any file changed since the current config was loaded (or the last
    /// attempt failed). `Ok(true)`: a new config is in use; `Ok(false)`: nothing changed;
    /// `Err`: the files are bad and the current config stays.
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
        let now = Fingerprint::after_load(stamp(&self.path), &current);
        if now == state.loaded && state.failing.is_none() {
            return Ok(false);
        }
        match WebConfig::load(&self.path) {
            Ok(config) => {
                state.loaded = Fingerprint::after_load(now.config_file, &config);
                state.failing = None;
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
                Ok(true)
            }
            Err(error) => {
                state.failing = Some(error.to_string());
                Err(error)
            }
        }
    }

    fn poll_once(&self) {
        let failing_before = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failing
            .clone();
        match self.reload() {
            Ok(true) => tracing::info!(path = %self.path.display(), "web config reloaded"),
            Ok(false) => {}
            Err(error) => {
                let message = error.to_string();
                if failing_before.as_deref() != Some(message.as_str()) {
                    tracing::warn!("keeping the previous web config: {message}");
                }
            }
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
