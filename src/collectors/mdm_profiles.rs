//! MDM profiles of managed devices (jamf-pro-api.md §5.6c): how many have expired or
//! expire within the window, the next expiry, and whether Jamf renews them itself.
//!
//! Jamf exposes the date per device only, so the lists are asked sorted by that date
//! and walked page by page until the first date beyond the window: the cost grows with
//! the devices that are due, not with the fleet.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;

use crate::jamf::model::{self, Page};
use crate::jamf::paging::MAX_LIST_PAGES;
use crate::jamf::{dates, JamfError, Refresh, Route};
use crate::snapshot::{MdmPlatform, MdmProfiles};

pub const SETTINGS: &str = "/api/v1/device-communication-settings";
/// Newest first: v4 exists from Jamf Pro 11.26; older servers answer 404 and have v3 or v1.
pub const COMPUTERS: [&str; 3] = [
    "/api/v4/computers-inventory",
    "/api/v3/computers-inventory",
    "/api/v1/computers-inventory",
];
pub const MOBILE_DEVICES: &str = "/api/v2/mobile-devices/detail";
/// Small pages: the walk usually stops within the first one.
pub const PAGE_SIZE: usize = 100;

/// What the collector keeps between refreshes: its window, and which computers
/// inventory version answered first (kept until restart).
#[derive(Debug)]
pub struct Settings {
    pub window: Duration,
    computers_version: AtomicUsize,
}

impl Settings {
    pub fn new(window: Duration) -> Settings {
        Settings {
            window,
            computers_version: AtomicUsize::new(0),
        }
    }
}

/// One device list: its route, the query that sorts and filters it, and how to read a
/// record's date (`None` for a device to skip).
struct DeviceList<T> {
    route: Route,
    sort: &'static str,
    filter: &'static str,
    date: fn(&T) -> Option<DateTime<Utc>>,
}

pub async fn collect(
    refresh: &Refresh<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<MdmProfiles, JamfError> {
    let window = TimeDelta::from_std(settings.window).unwrap_or(TimeDelta::MAX);
    let until = now
        .checked_add_signed(window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let renew = auto_renew(refresh).await?;
    let mut computers = computers(refresh, settings, now, until).await?;
    computers.auto_renew = renew
        .as_ref()
        .and_then(|raw| raw.auto_renew_computer_mdm_profile_when_device_identity_cert_expiring);
    let mobile = DeviceList {
        route: Route::fixed(MOBILE_DEVICES),
        sort: "mdmProfileExpirationDate:asc",
        filter: "managed==true",
        date: mobile_device_expiry,
    };
    let mut mobile_devices = walk(refresh, &mobile, now, until).await?;
    mobile_devices.auto_renew = renew.as_ref().and_then(|raw| {
        raw.auto_renew_mobile_device_mdm_profile_when_device_identity_cert_expiring
    });
    Ok(MdmProfiles {
        computers,
        mobile_devices,
    })
}

/// A managed computer's profile expiry; `None` (skipped) without a date or when Jamf
/// says it is not managed, should the server ignore the filter.
fn computer_expiry(computer: &model::ComputerInventory) -> Option<DateTime<Utc>> {
    let general = computer.general.as_ref()?;
    let managed = general.remote_management.as_ref().and_then(|r| r.managed);
    if managed == Some(false) {
        return None;
    }
    general
        .mdm_profile_expiration
        .as_deref()
        .and_then(dates::parse)
}

fn mobile_device_expiry(device: &model::MobileDeviceDetail) -> Option<DateTime<Utc>> {
    let general = device.general.as_ref()?;
    general
        .mdm_profile_expiration_date
        .as_deref()
        .and_then(dates::parse)
}

/// The auto-renew settings. They need a privilege of their own, so a 403 or 404 there
/// leaves auto-renew unknown (no sample) rather than hiding the counts.
async fn auto_renew(
    refresh: &Refresh<'_>,
) -> Result<Option<model::DeviceCommunicationSettings>, JamfError> {
    match refresh.get_json(&Route::fixed(SETTINGS), &[]).await {
        Ok(raw) => Ok(Some(raw)),
        Err(error @ (JamfError::Forbidden { .. } | JamfError::NotFound { .. })) => {
            tracing::debug!(error = %error, "MDM profile auto-renew settings unknown");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Computers through the newest inventory version this Jamf answers: a 404 moves on to
/// the next older one, and the one that answers is kept until restart.
async fn computers(
    refresh: &Refresh<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<MdmPlatform, JamfError> {
    let first = settings.computers_version.load(Ordering::Relaxed);
    let mut last_error = None;
    for (index, template) in COMPUTERS.iter().enumerate().skip(first) {
        let list = DeviceList {
            route: Route::fixed(template),
            sort: "general.mdmCertificateExpiration:asc",
            filter: "general.remoteManagement.managed==true",
            date: computer_expiry,
        };
        match walk(refresh, &list, now, until).await {
            Err(error @ JamfError::NotFound { .. }) => last_error = Some(error),
            other => {
                settings.computers_version.store(index, Ordering::Relaxed);
                return other;
            }
        }
    }
    Err(last_error.unwrap_or(JamfError::NotFound {
        endpoint: COMPUTERS[COMPUTERS.len() - 1].to_owned(),
    }))
}

/// Walks a list sorted by profile expiry, page by page, until the first date beyond
/// `until` or the end of the list. Devices without a date are skipped.
async fn walk<T: DeserializeOwned>(
    refresh: &Refresh<'_>,
    list: &DeviceList<T>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<MdmPlatform, JamfError> {
    let mut tally = Tally::default();
    let mut seen: u64 = 0;
    for page in 0..MAX_LIST_PAGES {
        let query = [
            ("section", "GENERAL".to_owned()),
            ("page", page.to_string()),
            ("page-size", PAGE_SIZE.to_string()),
            ("sort", list.sort.to_owned()),
            ("filter", list.filter.to_owned()),
        ];
        let answer: Page<T> = match refresh.get_json(&list.route, &query).await {
            Ok(answer) => answer,
            Err(error @ JamfError::Server { status: 400, .. }) => {
                // Jamf's INVALID_FIELD: a server that knows the sort field under another name.
                tracing::warn!(
                    endpoint = list.route.template,
                    sort = list.sort,
                    "Jamf refused the sort or filter of the MDM profile list (HTTP 400)"
                );
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        let received = answer.results.len();
        seen = seen.saturating_add(received as u64);
        for device in &answer.results {
            if let Some(expiry) = (list.date)(device) {
                if !tally.add(expiry, now, until) {
                    return Ok(tally.platform);
                }
            }
        }
        let last = received == 0 || answer.total_count.is_some_and(|total| seen >= total);
        if last {
            return Ok(tally.platform);
        }
    }
    Err(JamfError::Decode {
        endpoint: list.route.template.to_owned(),
        detail: format!("the list runs past the cap of {MAX_LIST_PAGES} pages"),
    })
}

#[derive(Default)]
struct Tally {
    platform: MdmPlatform,
}

impl Tally {
    /// Counts one date; false once it lies beyond the window, where the walk stops.
    fn add(&mut self, expiry: DateTime<Utc>, now: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        let platform = &mut self.platform;
        if expiry <= now {
            platform.expired += 1;
            return true;
        }
        if platform.next_expiry.is_none_or(|next| expiry < next) {
            platform.next_expiry = Some(expiry);
        }
        if expiry > until {
            return false;
        }
        platform.expiring += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
    }

    #[test]
    fn dates_are_counted_as_expired_expiring_or_the_end_of_the_walk() {
        let until = now() + TimeDelta::days(30);
        let mut tally = Tally::default();
        assert!(tally.add(now() - TimeDelta::days(2), now(), until));
        assert!(tally.add(now(), now(), until), "expiring now is expired");
        assert!(tally.add(now() + TimeDelta::days(3), now(), until));
        assert!(
            tally.add(until, now(), until),
            "the window's last instant counts"
        );
        assert!(!tally.add(until + TimeDelta::seconds(1), now(), until));
        assert_eq!(tally.platform.expired, 2);
        assert_eq!(tally.platform.expiring, 2);
        assert_eq!(tally.platform.next_expiry, Some(now() + TimeDelta::days(3)));
    }

    #[test]
    fn the_next_expiry_may_lie_beyond_the_window() {
        let until = now() + TimeDelta::days(30);
        let mut tally = Tally::default();
        assert!(!tally.add(now() + TimeDelta::days(400), now(), until));
        assert_eq!(tally.platform.expiring, 0);
        assert_eq!(
            tally.platform.next_expiry,
            Some(now() + TimeDelta::days(400))
        );
    }

    #[test]
    fn wire_records_without_a_date_or_unmanaged_are_skipped() {
        let page: Page<model::ComputerInventory> = serde_json::from_str(
            r#"{"totalCount":3,"results":[
                {"id":"1","general":{"mdmProfileExpiration":null}},
                {"id":2,"general":{"mdmProfileExpiration":"2026-12-19T10:00:00Z","remoteManagement":{"managed":false}}},
                {"id":"3","general":{"mdmProfileExpiration":"2026-12-19T10:00:00Z","remoteManagement":{"managed":true}}}
            ]}"#,
        )
        .unwrap();
        let dates: Vec<_> = page.results.iter().filter_map(computer_expiry).collect();
        assert_eq!(dates.len(), 1);
        let device: model::MobileDeviceDetail = serde_json::from_str(
            r#"{"mobileDeviceId":"4","general":{"mdmProfileExpirationDate":"year 99999"}}"#,
        )
        .unwrap();
        assert_eq!(mobile_device_expiry(&device), None);
    }
}
