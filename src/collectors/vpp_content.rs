//! Per-app licence counts, one paged list per Volume Purchasing location.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use tokio::time::Instant;

use super::{count, text};
use crate::jamf::{model, JamfClient, JamfError, Route};
use crate::snapshot::{VppContentItem, VppLocation};

pub const CONTENT: &str = "/api/v1/volume-purchasing-locations/{id}/content";

/// `locations` comes from this refresh's `vpp` collector when it succeeded; otherwise
/// the list is fetched here.
pub async fn collect(
    client: &JamfClient,
    locations: Option<&[VppLocation]>,
    deadline: Instant,
) -> Result<Vec<VppContentItem>, JamfError> {
    let fetched;
    let locations = match locations {
        Some(locations) => locations,
        None => {
            fetched = super::vpp::collect(client, deadline).await?;
            &fetched
        }
    };
    // The client's semaphore bounds how many of these are in flight at once.
    let pages = try_join_all(locations.iter().map(|location| async move {
        let route = Route::with_id(CONTENT, &location.id);
        let items: Vec<model::VppContent> =
            client.get_all_pages(&route, "name:asc", deadline).await?;
        Ok::<_, JamfError>(from_wire(location, items))
    }))
    .await?;
    Ok(pages.into_iter().flatten().collect())
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
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    }
}
