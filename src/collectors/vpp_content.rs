//! Per-app licence counts, one paged list per Volume Purchasing location.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use super::{count, text};
use crate::jamf::{model, JamfError, Refresh, Route};
use crate::snapshot::{VppContentItem, VppLocation};

pub const CONTENT: &str = "/api/v1/volume-purchasing-locations/{id}/content";
pub const LOCATION: &str = "/api/v1/volume-purchasing-locations/{id}";

/// `locations` comes from this refresh's `vpp` collector when it succeeded; otherwise
/// the list is fetched here.
pub async fn collect(
    refresh: &Refresh<'_>,
    locations: Option<&[VppLocation]>,
) -> Result<Vec<VppContentItem>, JamfError> {
    let fetched;
    let locations = match locations {
        Some(locations) => locations,
        None => {
            // Records skipped here are counted by `vpp` itself.
            fetched = super::vpp::collect(refresh, &mut super::Skipped::default()).await?;
            &fetched
        }
    };
    // The client's semaphore bounds how many of these are in flight at once.
    let pages = try_join_all(locations.iter().map(|location| async move {
        let route = Route::with_id(CONTENT, &location.id);
        match refresh.get_all_pages(&route, "name:asc").await {
            Ok(items) => Ok(from_wire(location, items)),
            Err(error @ JamfError::NotFound { .. }) => {
                if location_exists(refresh, &location.id).await? {
                    Err(error)
                } else {
                    Ok(Vec::new())
                }
            }
            Err(error) => Err(error),
        }
    }))
    .await?;
    Ok(pages.into_iter().flatten().collect())
}

/// Tells the two meanings of a 404 from `/content` apart. A server older than the
/// `/content` sub-resource still has `GET /{id}` (jamf-pro-api.md §2.7): the endpoint is
/// missing, and the collector is switched off until restart. A location deleted since
/// the list was read answers 404 there too: it is skipped, and the next refresh no
/// longer lists it.
async fn location_exists(refresh: &Refresh<'_>, id: &str) -> Result<bool, JamfError> {
    let route = Route::with_id(LOCATION, id);
    match refresh.get_json::<serde::de::IgnoredAny>(&route, &[]).await {
        Ok(_) => Ok(true),
        Err(JamfError::NotFound { .. }) => {
            tracing::debug!(
                location_id = id,
                "volume purchasing location vanished during the refresh; skipping its content"
            );
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// One item per (app, type) in a location. The same app listed twice (say under two
/// pricing models) is summed, since duplicate series would make Prometheus drop the scrape.
pub fn from_wire(location: &VppLocation, raw: Vec<model::VppContent>) -> Vec<VppContentItem> {
    let mut merged: BTreeMap<(String, String, String), (VppContentItem, Tally, Tally)> =
        BTreeMap::new();
    for item in raw {
        let adam_id = text(item.adam_id);
        let name = text(item.name);
        let content_type = text(item.content_type);
        let (_, purchased, used) = merged
            .entry((adam_id.clone(), name.clone(), content_type.clone()))
            .or_insert_with(|| {
                let item = VppContentItem {
                    location_id: location.id.clone(),
                    location: location.name.clone(),
                    adam_id,
                    name,
                    content_type,
                    licenses_purchased: None,
                    licenses_used: None,
                };
                (item, Tally::Missing, Tally::Missing)
            });
        *purchased = purchased.add(item.license_count_total);
        *used = used.add(item.license_count_in_use);
    }
    merged
        .into_values()
        .map(|(item, purchased, used)| VppContentItem {
            licenses_purchased: purchased.total(),
            licenses_used: used.total(),
            ..item
        })
        .collect()
}

/// One count summed over an app's records. Once a part or the running sum is absurd,
/// the total stays unknown: a later small count must not bring back a value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tally {
    /// No record had this count yet; a missing count adds nothing.
    Missing,
    Exact(f64),
    Absurd,
}

impl Tally {
    fn add(self, raw: Option<f64>) -> Tally {
        let Some(raw) = raw else {
            return self;
        };
        // The sum goes through the same check as each part.
        let sum = match self {
            Tally::Missing => count(Some(raw)),
            Tally::Exact(sum) => count(Some(raw)).and_then(|part| count(Some(sum + part))),
            Tally::Absurd => None,
        };
        sum.map_or(Tally::Absurd, Tally::Exact)
    }

    fn total(self) -> Option<f64> {
        match self {
            Tally::Exact(sum) => Some(sum),
            Tally::Missing | Tally::Absurd => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> VppLocation {
        VppLocation {
            id: "1".to_owned(),
            name: "A".to_owned(),
            ..Default::default()
        }
    }

    fn wire(json: &str) -> Vec<model::VppContent> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    // Found by the `jamf_body` fuzz target: 1e300 was kept, and two of them summed.
    #[test]
    fn absurd_counts_are_unknown() {
        let items = from_wire(
            &location(),
            wire(r#"[{"adamId":"1","licenseCountTotal":1e300,"licenseCountInUse":1e16}]"#),
        );
        assert_eq!(items[0].licenses_purchased, None);
        assert_eq!(items[0].licenses_used, None);
    }

    #[test]
    fn duplicate_apps_summing_past_exact_integers_are_unknown() {
        let items = from_wire(
            &location(),
            wire(
                r#"[{"adamId":"1","licenseCountTotal":9007199254740992,"licenseCountInUse":3},
                    {"adamId":"1","licenseCountTotal":2,"licenseCountInUse":4}]"#,
            ),
        );
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].licenses_purchased, None);
        assert_eq!(items[0].licenses_used, Some(7.0));
    }

    #[test]
    fn a_sum_gone_absurd_stays_unknown_when_more_duplicates_follow() {
        let items = from_wire(
            &location(),
            wire(
                r#"[{"adamId":"1","licenseCountTotal":9007199254740990,"licenseCountInUse":1},
                    {"adamId":"1","licenseCountTotal":9007199254740990,"licenseCountInUse":1e300},
                    {"adamId":"1","licenseCountTotal":5,"licenseCountInUse":2}]"#,
            ),
        );
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].licenses_purchased, None);
        assert_eq!(items[0].licenses_used, None);
    }

    #[test]
    fn a_missing_count_among_duplicates_adds_nothing() {
        let items = from_wire(
            &location(),
            wire(
                r#"[{"adamId":"1","licenseCountTotal":null},
                    {"adamId":"1","licenseCountTotal":5,"licenseCountInUse":2},
                    {"adamId":"1","licenseCountTotal":3}]"#,
            ),
        );
        assert_eq!(items[0].licenses_purchased, Some(8.0));
        assert_eq!(items[0].licenses_used, Some(2.0));
    }
}
