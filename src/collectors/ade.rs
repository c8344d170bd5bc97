//! Automated Device Enrollment instances: token expiry and the latest sync.

use std::collections::HashSet;

use futures_util::future::try_join_all;
use tokio::time::Instant;

use super::text;
use crate::jamf::{dates, model, JamfClient, JamfError, Route};
use crate::snapshot::AdeInstance;

pub const INSTANCES: &str = "/api/v1/device-enrollments";
pub const LATEST_SYNC: &str = "/api/v1/device-enrollments/{id}/syncs/latest";

pub async fn collect(
    client: &JamfClient,
    deadline: Instant,
) -> Result<Vec<AdeInstance>, JamfError> {
    let raw: Vec<model::DeviceEnrollment> = client
        .get_all_pages(&Route::fixed(INSTANCES), "id:asc", deadline)
        .await?;
    let instances = from_wire(raw);
    try_join_all(instances.into_iter().map(|mut instance| async move {
        let route = Route::with_id(LATEST_SYNC, &instance.id);
        match client
            .get_json::<model::DeviceEnrollmentSync>(&route, &[], deadline)
            .await
        {
            Ok(sync) => apply_latest_sync(&mut instance, sync),
            // An instance that has never synced has no latest sync.
            Err(JamfError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        Ok(instance)
    }))
    .await
}

/// Fills in what an instance's latest sync says.
pub fn apply_latest_sync(instance: &mut AdeInstance, sync: model::DeviceEnrollmentSync) {
    instance.last_sync = sync.timestamp.as_deref().and_then(dates::parse);
    instance.last_sync_success = sync.sync_state.map(|state| state == "SUCCESSFUL");
}

pub fn from_wire(raw: Vec<model::DeviceEnrollment>) -> Vec<AdeInstance> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|instance| {
            let id = instance.id.filter(|id| !id.is_empty())?;
            if !seen.insert(id.clone()) {
                return None;
            }
            Some(AdeInstance {
                id,
                name: text(instance.name),
                server_name: text(instance.server_name),
                token_expiry: instance
                    .token_expiration_date
                    .as_deref()
                    .and_then(dates::parse),
                last_sync: None,
                last_sync_success: None,
            })
        })
        .collect()
}
