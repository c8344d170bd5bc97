//! Volume Purchasing locations: token expiry, licence totals, sync state.

use std::collections::HashSet;

use tokio::time::Instant;

use super::{count, text};
use crate::jamf::{dates, model, JamfClient, JamfError, Route};
use crate::snapshot::VppLocation;

pub const LOCATIONS: &str = "/api/v1/volume-purchasing-locations";

pub async fn collect(
    client: &JamfClient,
    deadline: Instant,
) -> Result<Vec<VppLocation>, JamfError> {
    let raw: Vec<model::VppLocation> = client
        .get_all_pages(&Route::fixed(LOCATIONS), "id:asc", deadline)
        .await?;
    Ok(from_wire(raw))
}

/// Keeps the first record of each id; a record without an id cannot be labelled and is
/// skipped, since two series with the same labels would make Prometheus drop the scrape.
pub fn from_wire(raw: Vec<model::VppLocation>) -> Vec<VppLocation> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|location| {
            let id = location.id.filter(|id| !id.is_empty())?;
            if !seen.insert(id.clone()) {
                return None;
            }
            Some(VppLocation {
                id,
                name: text(location.name),
                asm_location: text(location.location_name),
                organization: text(location.organization_name),
                country_code: text(location.country_code),
                site_id: text(location.site_id),
                token_expiry: location.token_expiration.as_deref().and_then(dates::parse),
                licenses_purchased: count(location.total_purchased_licenses),
                licenses_used: count(location.total_used_licenses),
                last_sync: location.last_sync_time.as_deref().and_then(dates::parse),
                client_context_mismatch: location.client_context_mismatch,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> Vec<model::VppLocation> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn empty_token_date_is_unknown_not_zero() {
        let locations = from_wire(wire(r#"[{"id":"1","name":"A","tokenExpiration":""}]"#));
        assert_eq!(locations[0].token_expiry, None);
    }

    #[test]
    fn missing_counts_stay_unknown() {
        let locations = from_wire(wire(r#"[{"id":"1"}]"#));
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, None);
        assert_eq!(locations[0].client_context_mismatch, None);
    }

    #[test]
    fn duplicate_and_missing_ids_are_dropped() {
        let locations = from_wire(wire(
            r#"[{"id":"1","name":"first"},{"id":"1","name":"second"},{"name":"no id"}]"#,
        ));
        assert_eq!(locations.len(), 1);
        assert_eq!(locations[0].name, "first");
    }

    #[test]
    fn label_text_is_kept_exactly() {
        let locations = from_wire(wire(
            r#"[{"id":"1","name":"St. Mary's \"Annex\"\nZürich"}]"#,
        ));
        assert_eq!(locations[0].name, "St. Mary's \"Annex\"\nZürich");
    }

    // Found by the `jamf_body` fuzz target: a count of 1e300 was kept as a sample.
    #[test]
    fn counts_beyond_exact_integers_are_unknown() {
        let locations = from_wire(wire(
            r#"[{"id":"1","totalPurchasedLicenses":1e300,"totalUsedLicenses":9007199254740992},
                {"id":"2","totalPurchasedLicenses":1e16}]"#,
        ));
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, Some(9_007_199_254_740_992.0));
        assert_eq!(locations[1].licenses_purchased, None);
    }

    #[test]
    fn negative_counts_are_unknown() {
        let locations = from_wire(wire(
            r#"[{"id":"1","totalPurchasedLicenses":-3,"totalUsedLicenses":0}]"#,
        ));
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, Some(0.0));
    }
}
