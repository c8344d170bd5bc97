//! Active Jamf Pro notifications, counted by type. This is how the APNs push
//! certificate is watched: Jamf exposes no expiry date for it.

use std::collections::BTreeMap;

use crate::jamf::{model, JamfError, Refresh, Route};

pub const NOTIFICATIONS: &str = "/api/v1/notifications";

pub async fn collect(refresh: &Refresh<'_>) -> Result<BTreeMap<String, u64>, JamfError> {
    let raw: Vec<model::Notification> = refresh.get_json(&Route::fixed(NOTIFICATIONS), &[]).await?;
    Ok(count_by_type(raw))
}

/// Types are passed through as Jamf spells them; the enum grows between releases.
pub fn count_by_type(raw: Vec<model::Notification>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for notification in raw {
        if let Some(kind) = notification.kind.filter(|kind| !kind.is_empty()) {
            *counts.entry(kind).or_insert(0) += 1;
        }
    }
    counts
}
