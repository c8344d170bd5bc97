//! One plain async function per Jamf area, each turning wire types into snapshot parts.
//!
//! A collector takes an authenticated-capable `JamfClient` and the refresh deadline, and
//! returns its part of the snapshot or the first error. Collectors never see each other's
//! failures; the poller decides what to keep.

pub mod ade;
pub mod builtin_ca;
pub mod healthcheck;
pub mod notifications;
pub mod version;
pub mod vpp;
pub mod vpp_content;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::snapshot::{
    AdeInstance, BuiltinCa, HealthCheck, JamfVersion, VppContentItem, VppLocation,
};

/// The collectors, in the order they appear everywhere (flags, metrics, landing page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CollectorName {
    Vpp,
    VppContent,
    Ade,
    Notifications,
    BuiltinCa,
    Version,
    Healthcheck,
}

impl CollectorName {
    pub const ALL: [CollectorName; 7] = [
        CollectorName::Vpp,
        CollectorName::VppContent,
        CollectorName::Ade,
        CollectorName::Notifications,
        CollectorName::BuiltinCa,
        CollectorName::Version,
        CollectorName::Healthcheck,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CollectorName::Vpp => "vpp",
            CollectorName::VppContent => "vpp_content",
            CollectorName::Ade => "ade",
            CollectorName::Notifications => "notifications",
            CollectorName::BuiltinCa => "builtin_ca",
            CollectorName::Version => "version",
            CollectorName::Healthcheck => "healthcheck",
        }
    }

    /// Per-app licences can mean thousands of series, so that collector is opt-in.
    pub fn enabled_by_default(self) -> bool {
        self != CollectorName::VppContent
    }
}

impl fmt::Display for CollectorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CollectorName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.replace('-', "_");
        CollectorName::ALL
            .into_iter()
            .find(|name| name.as_str() == wanted)
            .ok_or_else(|| format!("unknown collector {text:?}"))
    }
}

/// What one collector produced in one refresh.
#[derive(Debug, Clone)]
pub enum Collected {
    Vpp(Vec<VppLocation>),
    VppContent(Vec<VppContentItem>),
    Ade(Vec<AdeInstance>),
    Notifications(BTreeMap<String, u64>),
    BuiltinCa(BuiltinCa),
    Version(JamfVersion),
    Healthcheck(HealthCheck),
}

/// A label value for an optional string field: Jamf's text exactly, or empty.
pub(crate) fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

/// The largest integer an `f64` holds exactly (2^53). Jamf's counts are integers, so a
/// larger one (a count of 1e300) is absurd and read as unknown (contract.md).
pub(crate) const MAX_EXACT_COUNT: f64 = 9_007_199_254_740_992.0;

/// A count that is a usable sample: finite, not negative and exact. Anything else is unknown.
pub(crate) fn count(value: Option<f64>) -> Option<f64> {
    value.filter(|number| (0.0..=MAX_EXACT_COUNT).contains(number))
}
