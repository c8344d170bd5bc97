//! Volume Purchasing locations: token expiry, licence totals, sync state.

use super::{count, text, IdFilter, Skipped};
use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::VppLocation;

pub const LOCATIONS: &str = "/api/v1/volume-purchasing-locations";

pub async fn collect(
    refresh: &Refresh<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<VppLocation>, JamfError> {
    let raw: Vec<model::VppLocation> = refresh
        .get_all_pages(&Route::fixed(LOCATIONS), "id:asc")
        .await?;
    Ok(from_wire(raw, skipped))
}

/// Keeps the first record of each id; a record without an id cannot be labelled and is
/// skipped, since two series with the same labels would make Prometheus drop the scrape.
pub fn from_wire(raw: Vec<model::VppLocation>, skipped: &mut Skipped) -> Vec<VppLocation> {
    let mut ids = IdFilter::new(skipped);
    raw.into_iter()
        .filter_map(|location| {
            let id = ids.admit(location.id)?;
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
        let locations = from_wire(
            wire(r#"[{"id":"1","name":"A","tokenExpiration":""}]"#),
            &mut Skipped::default(),
        );
        assert_eq!(locations[0].token_expiry, None);
    }

    #[test]
    fn missing_counts_stay_unknown() {
        let locations = from_wire(wire(r#"[{"id":"1"}]"#), &mut Skipped::default());
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, None);
        assert_eq!(locations[0].client_context_mismatch, None);
    }

    #[test]
    fn duplicate_and_missing_ids_are_dropped_and_counted() {
        let mut skipped = Skipped::default();
        let locations = from_wire(
            wire(
                r#"[{"id":"1","name":"first"},{"id":"1","name":"second"},{"name":"no id"},{"id":"","name":"empty id"}]"#,
            ),
            &mut skipped,
        );
        assert_eq!(locations.len(), 1);
        assert_eq!(locations[0].name, "first");
        assert_eq!(
            skipped,
            Skipped {
                no_id: 2,
                duplicate_id: 1
            }
        );
    }

    #[test]
    fn label_text_is_kept_exactly() {
        let locations = from_wire(
            wire(r#"[{"id":"1","name":"St. Mary's \"Annex\"\nZürich"}]"#),
            &mut Skipped::default(),
        );
        assert_eq!(locations[0].name, "St. Mary's \"Annex\"\nZürich");
    }

    // Found by the `jamf_body` fuzz target: a count of 1e300 was kept as a sample.
    #[test]
    fn counts_beyond_exact_integers_are_unknown() {
        let locations = from_wire(
            wire(
                r#"[{"id":"1","totalPurchasedLicenses":1e300,"totalUsedLicenses":9007199254740992},
                {"id":"2","totalPurchasedLicenses":1e16}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, Some(9_007_199_254_740_992.0));
        assert_eq!(locations[1].licenses_purchased, None);
    }

    #[test]
    fn negative_counts_are_unknown() {
        let locations = from_wire(
            wire(r#"[{"id":"1","totalPurchasedLicenses":-3,"totalUsedLicenses":0}]"#),
            &mut Skipped::default(),
        );
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, Some(0.0));
    }

    #[test]
    fn absurd_counts_and_dates_are_unknown_and_the_rest_is_kept() {
        let locations = from_wire(
            wire(
                r#"[{"id":"1","name":"A","totalPurchasedLicenses":1e300,"totalUsedLicenses":1e16,"tokenExpiration":"99999-01-01T00:00:00Z","lastSyncTime":"2026-01-01T00:00:00Z"}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(locations[0].licenses_purchased, None);
        assert_eq!(locations[0].licenses_used, None);
        assert_eq!(locations[0].token_expiry, None);
        assert!(locations[0].last_sync.is_some());
        assert_eq!(locations[0].name, "A");
    }
}
