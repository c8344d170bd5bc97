//! Plain domain types describing one Jamf Pro instance at one instant. No serde here:
//! `collectors` build these from wire types, and `metrics` and `landing` only read them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::collectors::CollectorName;
use crate::jamf::Reason;

/// Everything known about one Jamf instance after a refresh. Immutable once published:
/// the poller builds a new one and swaps it in whole.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The Jamf base URL (never with credentials).
    pub instance_url: String,
    /// Completed refreshes since start; 0 until the first one ends.
    pub refreshes: u64,
    pub last_refresh: Option<DateTime<Utc>>,
    /// `jamf_up` of the last refresh.
    pub up: bool,
    /// One entry per enabled collector, in `CollectorName::ALL` order.
    pub collectors: Vec<CollectorStatus>,
    /// `None` until the collector first succeeds; kept while it fails. The lists are
    /// shared with the previous snapshot, so a refresh does not copy what it keeps.
    pub vpp: Option<Arc<Vec<VppLocation>>>,
    pub vpp_content: Option<Arc<Vec<VppContentItem>>>,
    pub ade: Option<Arc<Vec<AdeInstance>>>,
    /// Active notifications counted by type.
    pub notifications: Option<Arc<BTreeMap<String, u64>>>,
    pub builtin_ca: Option<BuiltinCa>,
    pub version: Option<JamfVersion>,
    pub healthcheck: Option<HealthCheck>,
    /// The last purchased-licence count above 0 seen per VPP location id since the
    /// process started (`findings::remember_purchased`): how a drop to 0 is noticed
    /// without Prometheus' history.
    pub last_nonzero_purchased: Arc<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CollectorStatus {
    pub name: CollectorName,
    pub success: bool,
    /// How long its last refresh took.
    pub duration: Duration,
    pub last_success: Option<DateTime<Utc>>,
    pub last_attempt: Option<DateTime<Utc>>,
    /// The last failure, with its reason; cleared by a success.
    pub last_error: Option<(Reason, String)>,
    /// The endpoint answered 404 (an older Jamf): not asked again until restart.
    pub unsupported: bool,
}

impl CollectorStatus {
    pub fn new(name: CollectorName) -> CollectorStatus {
        CollectorStatus {
            name,
            success: false,
            duration: Duration::ZERO,
            last_success: None,
            last_attempt: None,
            last_error: None,
            unsupported: false,
        }
    }

    /// Data is being served from an earlier refresh because the last one failed.
    pub fn stale(&self) -> bool {
        !self.success && self.last_success.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VppLocation {
    pub id: String,
    pub name: String,
    /// Apple's name for the location (`locationName`).
    pub asm_location: String,
    pub organization: String,
    pub country_code: String,
    pub site_id: String,
    pub token_expiry: Option<DateTime<Utc>>,
    pub licenses_purchased: Option<f64>,
    pub licenses_used: Option<f64>,
    pub last_sync: Option<DateTime<Utc>>,
    pub client_context_mismatch: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VppContentItem {
    pub location_id: String,
    pub location: String,
    pub adam_id: String,
    pub name: String,
    pub content_type: String,
    pub licenses_purchased: Option<f64>,
    pub licenses_used: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdeInstance {
    pub id: String,
    pub name: String,
    pub server_name: String,
    pub token_expiry: Option<DateTime<Utc>>,
    pub last_sync: Option<DateTime<Utc>>,
    pub last_sync_success: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuiltinCa {
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JamfVersion {
    /// The semantic part, e.g. `11.23.2`; `None` when Jamf sent none.
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// 0 when healthy, else Jamf's `healthCode`.
    pub code: i64,
}

impl Snapshot {
    pub fn status(&self, name: CollectorName) -> Option<&CollectorStatus> {
        self.collectors.iter().find(|status| status.name == name)
    }
}

/// Days from `now` until `instant`, fractional, negative once past.
pub fn days_until(instant: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    (instant - now).num_milliseconds() as f64 / 86_400_000.0
}

/// The published snapshot. Readers take an `Arc` and render it without holding a lock;
/// the poller swaps in a new one whole.
#[derive(Debug, Default)]
pub struct SnapshotStore {
    current: std::sync::RwLock<std::sync::Arc<Snapshot>>,
}

impl SnapshotStore {
    pub fn new(initial: Snapshot) -> SnapshotStore {
        SnapshotStore {
            current: std::sync::RwLock::new(std::sync::Arc::new(initial)),
        }
    }

    pub fn load(&self) -> std::sync::Arc<Snapshot> {
        // A poisoned lock still holds a whole snapshot: publishing is a single assignment.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn publish(&self, snapshot: Snapshot) {
        let snapshot = std::sync::Arc::new(snapshot);
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}
