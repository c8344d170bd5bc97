//! Plain domain types describing one Jamf Pro instance at one instant. No serde here:
//! `collectors` build these from wire types, and `metrics` and `landing` only read them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::jamf::Reason;

/// Declares the collectors once: each one's variant, name (flags, labels) and the
/// `Snapshot` field its data goes to. From this list come `CollectorName`, its `ALL`
/// and `as_str`, and `Snapshot::clear`.
macro_rules! collectors {
    ($($variant:ident = $name:literal => $field:ident,)*) => {
        /// The collectors, in the order they appear everywhere (flags, metrics, landing page).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CollectorName {
            $($variant,)*
        }

        impl CollectorName {
            pub const ALL: [CollectorName; [$($name),*].len()] = [$(CollectorName::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(CollectorName::$variant => $name,)*
                }
            }
        }

        impl Snapshot {
            /// Forgets a collector's data (an endpoint this Jamf Pro does not have).
            pub fn clear(&mut self, name: CollectorName) {
                match name {
                    $(CollectorName::$variant => self.$field = None,)*
                }
            }
        }
    };
}

collectors! {
    Vpp = "vpp" => vpp,
    VppContent = "vpp_content" => vpp_content,
    Ade = "ade" => ade,
    Notifications = "notifications" => notifications,
    BuiltinCa = "builtin_ca" => builtin_ca,
    Version = "version" => version,
    Healthcheck = "healthcheck" => healthcheck,
    SupervisionIdentities = "supervision_identities" => supervision_identities,
    CloudServices = "cloud_services" => cloud_services,
    SsoCertificate = "sso_certificate" => sso_certificate,
    CloudLdap = "cloud_ldap" => cloud_ldap,
    ServerCertificate = "server_certificate" => server_certificate,
    MdmProfiles = "mdm_profiles" => mdm_profiles,
}

impl CollectorName {
    /// Its records carry ids that become labels, so records without one or with a
    /// repeated one are skipped and counted.
    pub fn has_record_ids(self) -> bool {
        matches!(
            self,
            CollectorName::Vpp
                | CollectorName::Ade
                | CollectorName::SupervisionIdentities
                | CollectorName::CloudLdap
        )
    }

    /// Per-app licences can mean thousands of series, and MDM profiles need two more
    /// privileges (Read Computers, Read Mobile Devices), so those collectors are opt-in.
    pub fn enabled_by_default(self) -> bool {
        !matches!(self, CollectorName::VppContent | CollectorName::MdmProfiles)
    }
}

impl fmt::Display for CollectorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A collector name that is not one of `CollectorName::ALL`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown collector {0:?}")]
pub struct UnknownCollector(pub String);

impl FromStr for CollectorName {
    type Err = UnknownCollector;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.replace('-', "_");
        CollectorName::ALL
            .into_iter()
            .find(|name| name.as_str() == wanted)
            .ok_or_else(|| UnknownCollector(text.to_owned()))
    }
}

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
    // Renewals (issue 9). Each is `None` until its collector first succeeds.
    pub supervision_identities: Option<Arc<Vec<SupervisionIdentity>>>,
    pub cloud_services: Option<CloudServices>,
    pub sso_certificate: Option<SsoCertificate>,
    pub cloud_ldap: Option<Arc<Vec<CloudLdapKeystore>>>,
    pub server_certificate: Option<ServerCertificate>,
    pub mdm_profiles: Option<MdmProfiles>,
    /// The last purchased-licence count above 0 seen per VPP location id since the
    /// process started (`remember_purchased`): how a drop to 0 is noticed
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

#[derive(Debug, Clone, Default, PartialEq)]
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

/// Managed devices' MDM profiles, per platform (collector `mdm_profiles`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdmProfiles {
    pub computers: MdmPlatform,
    pub mobile_devices: MdmPlatform,
}

impl MdmProfiles {
    /// Each platform with its `platform` label value.
    pub fn platforms(&self) -> [(&'static str, &MdmPlatform); 2] {
        [
            ("computer", &self.computers),
            ("mobile_device", &self.mobile_devices),
        ]
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdmPlatform {
    /// Managed devices whose profile expires within the window and has not expired.
    pub expiring: u64,
    /// Managed devices whose profile has expired.
    pub expired: u64,
    /// The earliest profile expiry still in the future; `None` when none is known.
    pub next_expiry: Option<DateTime<Utc>>,
    /// Jamf renews profiles before the identity certificate expires; `None` when unknown.
    pub auto_renew: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VppContentItem {
    pub location_id: String,
    pub location: String,
    pub adam_id: String,
    pub name: String,
    pub content_type: String,
    pub licenses_purchased: Option<f64>,
    pub licenses_used: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdeInstance {
    pub id: String,
    pub name: String,
    pub server_name: String,
    pub token_expiry: Option<DateTime<Utc>>,
    pub last_sync: Option<DateTime<Utc>>,
    pub last_sync_success: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltinCa {
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JamfVersion {
    /// The semantic part, e.g. `11.23.2`; `None` when Jamf sent none.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthCheck {
    /// 0 when healthy, else Jamf's `healthCode`.
    pub code: i64,
}

/// An Apple Configurator supervision identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupervisionIdentity {
    pub id: String,
    /// Jamf's `displayName`.
    pub name: String,
    /// A date, taken as 00:00 UTC.
    pub expiry: Option<DateTime<Utc>>,
}

/// The Jamf Cloud Services connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudServices {
    /// False when Jamf answered 404: no connection is set up.
    pub configured: bool,
    /// `refreshExpiration`.
    pub token_expiry: Option<DateTime<Utc>>,
}

/// The SAML signing certificate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsoCertificate {
    /// False when Jamf answered 404 or sent no keystore details: SSO is not set up.
    pub configured: bool,
    pub expiry: Option<DateTime<Utc>>,
}

/// The LDAP keystore of one Google cloud identity provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudLdapKeystore {
    pub id: String,
    /// The provider's `displayName`.
    pub name: String,
    pub expiry: Option<DateTime<Utc>>,
}

/// The TLS certificate the Jamf URL presented during the refresh.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerCertificate {
    /// `None` for a plain-http URL.
    pub not_after: Option<DateTime<Utc>>,
}

impl Snapshot {
    pub fn status(&self, name: CollectorName) -> Option<&CollectorStatus> {
        self.collectors.iter().find(|status| status.name == name)
    }
}

/// The next snapshot's memory of purchased licences: the last count above 0 per listed
/// location. Locations Jamf no longer lists are forgotten; a failed VPP refresh (the
/// old list kept) changes nothing.
pub fn remember_purchased(snapshot: &Snapshot) -> Arc<BTreeMap<String, f64>> {
    let Some(locations) = &snapshot.vpp else {
        return snapshot.last_nonzero_purchased.clone();
    };
    let listed: std::collections::HashSet<&str> = locations
        .iter()
        .map(|location| location.id.as_str())
        .collect();
    let mut remembered: BTreeMap<String, f64> = snapshot
        .last_nonzero_purchased
        .iter()
        .filter(|(id, _)| listed.contains(id.as_str()))
        .map(|(id, count)| (id.clone(), *count))
        .collect();
    for location in locations.iter() {
        if let Some(purchased) = location.licenses_purchased.filter(|count| *count > 0.0) {
            remembered.insert(location.id.clone(), purchased);
        }
    }
    if remembered == *snapshot.last_nonzero_purchased {
        snapshot.last_nonzero_purchased.clone()
    } else {
        Arc::new(remembered)
    }
}

/// Days from `now` until `instant`, fractional, negative once past.
pub fn days_until(instant: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    (instant - now).num_milliseconds() as f64 / 86_400_000.0
}

/// The published snapshot. Readers take an `Arc` and render it without holding a lock;
/// the poller swaps in a new one whole, and waiters are woken when it does.
#[derive(Debug)]
pub struct SnapshotStore {
    current: tokio::sync::watch::Sender<Arc<Snapshot>>,
}

impl Default for SnapshotStore {
    fn default() -> SnapshotStore {
        SnapshotStore::new(Snapshot::default())
    }
}

impl SnapshotStore {
    pub fn new(initial: Snapshot) -> SnapshotStore {
        SnapshotStore {
            current: tokio::sync::watch::Sender::new(Arc::new(initial)),
        }
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.borrow().clone()
    }

    pub fn publish(&self, snapshot: Snapshot) {
        self.current.send_replace(Arc::new(snapshot));
    }

    /// A receiver that sees every snapshot published from now on.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Arc<Snapshot>> {
        self.current.subscribe()
    }
}
