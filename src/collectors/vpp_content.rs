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
    let mut merged: BTreeMap<(String, String, String), VppContentItem> = BTreeMap::new();
    for item in raw {
        let adam_id = text(item.adam_id);
        let name = text(item.name);
        let content_type = text(item.content_type);
        let purchased = count(item.license_count_total);
        let used = count(item.license_count_in_use);
        merged
            .entry((adam_id.clone(), name.clone(), content_type.clone()))
            .and_modify(|existing| {
                existing.licenses_purchased = add(existing.licenses_purchased, purchased);
                existing.licenses_used = add(existing.licenses_used, used);
            })
            .or_insert(VppContentItem {
                location_id: location.id.clone(),
                location: location.name.clone(),
                adam_id,
                name,
                content_type,
                licenses_purchased: purchased,
                licenses_used: used,
            });
    }
    merged.into_values().collect()
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        // Two exact counts can sum past the exact range; such a total is unknown too.
        (Some(a), Some(b)) => count(Some(a + b)),
        (a, None) => a,
        (None, b) => b,
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
}
