//! Automated Device Enrollment instances: token expiry and the latest sync.

use futures_util::future::try_join_all;

use super::{text, IdFilter, Skipped};
use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::AdeInstance;

pub const INSTANCES: &str = "/api/v1/device-enrollments";
pub const LATEST_SYNC: &str = "/api/v1/device-enrollments/{id}/syncs/latest";

pub async fn collect(
    refresh: &Refresh<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<AdeInstance>, JamfError> {
    let raw: Vec<model::DeviceEnrollment> = refresh
        .get_all_pages(&Route::fixed(INSTANCES), "id:asc")
        .await?;
    let instances = from_wire(raw, skipped);
    try_join_all(instances.into_iter().map(|mut instance| async move {
        let route = Route::with_id(LATEST_SYNC, &instance.id);
        match refresh
            .get_json::<model::DeviceEnrollmentSync>(&route, &[])
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

pub fn from_wire(raw: Vec<model::DeviceEnrollment>, skipped: &mut Skipped) -> Vec<AdeInstance> {
    let mut ids = IdFilter::new(skipped);
    raw.into_iter()
        .filter_map(|instance| {
            let id = ids.admit(instance.id)?;
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
