//! One plain async function per Jamf area, each turning wire types into snapshot parts.
//!
//! A collector's `collect` takes the `Refresh`, the client's handle for one refresh (its
//! deadline, `jamf_up`, a failed token request, the server's certificate), and returns
//! its part of the snapshot or the first error. Those whose records carry ids also take
//! a `Skipped` to count the records they drop, and `vpp_content` takes the locations
//! `vpp` fetched in the same refresh. Collectors never see each other's failures; the
//! poller decides what to keep.

pub mod ade;
pub mod builtin_ca;
pub mod cloud_ldap;
pub mod cloud_services;
pub mod healthcheck;
pub mod mdm_profiles;
pub mod notifications;
pub mod server_certificate;
pub mod sso_certificate;
pub mod supervision_identities;
pub mod version;
pub mod vpp;
pub mod vpp_content;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::jamf::{JamfError, Refresh};
pub use crate::snapshot::CollectorName;
use crate::snapshot::{Snapshot, VppLocation};

/// What one collector produced in one refresh, ready to go into the next snapshot.
pub struct Part {
    store: Box<dyn FnOnce(&mut Snapshot) + Send>,
    pub skipped: Skipped,
}

impl Part {
    /// Puts the data where it belongs in `snapshot`.
    pub fn store_into(self, snapshot: &mut Snapshot) {
        (self.store)(snapshot)
    }
}

/// `data`, to be put into a snapshot by `put`.
fn part<T: Send + 'static>(data: T, skipped: Skipped, put: fn(&mut Snapshot, T)) -> Part {
    Part {
        store: Box::new(move |snapshot| put(snapshot, data)),
        skipped,
    }
}

/// What some collectors need besides the `Refresh`.
pub struct Inputs<'a> {
    /// For `vpp_content`: the list this refresh's `vpp` fetched, when it succeeded.
    pub locations: Option<&'a [VppLocation]>,
    pub mdm_profiles: &'a mdm_profiles::Settings,
    /// The refresh's time, against which MDM profile dates are counted.
    pub now: DateTime<Utc>,
}

/// Runs collector `name`: the one place that maps a collector to its function and to
/// the snapshot field its data goes to.
pub async fn run(
    name: CollectorName,
    refresh: &Refresh<'_>,
    inputs: &Inputs<'_>,
) -> Result<Part, JamfError> {
    use CollectorName as C;
    let mut s = Skipped::default();
    Ok(match name {
        C::Vpp => part(vpp::collect(refresh, &mut s).await?, s, |snapshot, data| {
            snapshot.vpp = Some(Arc::new(data))
        }),
        C::VppContent => part(
            vpp_content::collect(refresh, inputs.locations).await?,
            s,
            |snapshot, data| snapshot.vpp_content = Some(Arc::new(data)),
        ),
        C::Ade => part(ade::collect(refresh, &mut s).await?, s, |snapshot, data| {
            snapshot.ade = Some(Arc::new(data))
        }),
        C::Notifications => part(
            notifications::collect(refresh).await?,
            s,
            |snapshot, data| snapshot.notifications = Some(Arc::new(data)),
        ),
        C::BuiltinCa => part(builtin_ca::collect(refresh).await?, s, |snapshot, data| {
            snapshot.builtin_ca = Some(data)
        }),
        C::Version => part(version::collect(refresh).await?, s, |snapshot, data| {
            snapshot.version = Some(data)
        }),
        C::Healthcheck => part(healthcheck::collect(refresh).await?, s, |snapshot, data| {
            snapshot.healthcheck = Some(data)
        }),
        C::SupervisionIdentities => part(
            supervision_identities::collect(refresh, &mut s).await?,
            s,
            |snapshot, data| snapshot.supervision_identities = Some(Arc::new(data)),
        ),
        C::CloudServices => part(
            cloud_services::collect(refresh).await?,
            s,
            |snapshot, data| snapshot.cloud_services = Some(data),
        ),
        C::SsoCertificate => part(
            sso_certificate::collect(refresh).await?,
            s,
            |snapshot, data| snapshot.sso_certificate = Some(data),
        ),
        C::CloudLdap => part(
            cloud_ldap::collect(refresh, &mut s).await?,
            s,
            |snapshot, data| snapshot.cloud_ldap = Some(Arc::new(data)),
        ),
        C::ServerCertificate => part(
            server_certificate::collect(refresh).await?,
            s,
            |snapshot, data| snapshot.server_certificate = Some(data),
        ),
        C::MdmProfiles => part(
            mdm_profiles::collect(refresh, inputs.mdm_profiles, inputs.now).await?,
            s,
            |snapshot, data| snapshot.mdm_profiles = Some(data),
        ),
    })
}

/// Records Jamf sent that cannot become series: `jamf_exporter_skipped_records_total`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// Records without an id (or with an empty one): they cannot be labelled.
    pub no_id: u64,
    /// Records whose id an earlier record already had: two series would share labels.
    pub duplicate_id: u64,
}

impl Skipped {
    pub fn total(&self) -> u64 {
        self.no_id + self.duplicate_id
    }

    pub fn add(&mut self, other: Skipped) {
        self.no_id += other.no_id;
        self.duplicate_id += other.duplicate_id;
    }
}

/// Admits the first record of each non-empty id and counts the others in `skipped`.
pub(crate) struct IdFilter<'s> {
    seen: HashSet<String>,
    skipped: &'s mut Skipped,
}

impl<'s> IdFilter<'s> {
    pub(crate) fn new(skipped: &'s mut Skipped) -> IdFilter<'s> {
        IdFilter {
            seen: HashSet::new(),
            skipped,
        }
    }

    /// The id to label the record with, or `None` when the record must be skipped.
    pub(crate) fn admit(&mut self, id: Option<String>) -> Option<String> {
        let Some(id) = id.filter(|id| !id.is_empty()) else {
            self.skipped.no_id += 1;
            return None;
        };
        if !self.seen.insert(id.clone()) {
            self.skipped.duplicate_id += 1;
            return None;
        }
        Some(id)
    }
}

/// A label value for an optional string field: Jamf's text exactly, or empty.
pub(crate) fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

/// The largest integer an `f64` holds exactly (2^53). Jamf's counts are integers, and
/// no Jamf server owns that many licences, so a larger one (a count of 1e300) is absurd
/// and read as unknown, like a missing count (contract.md).
pub(crate) const MAX_EXACT_COUNT: f64 = 9_007_199_254_740_992.0;

/// A count that is a usable sample: finite, not negative and exact. Anything else is unknown.
pub(crate) fn count(value: Option<f64>) -> Option<f64> {
    value.filter(|number| (0.0..=MAX_EXACT_COUNT).contains(number))
}
