//! Apple Configurator supervision identities: when each one expires.

use super::{text, IdFilter, Skipped};
use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::SupervisionIdentity;

pub const IDENTITIES: &str = "/api/v1/supervision-identities";

pub async fn collect(
    refresh: &Refresh<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<SupervisionIdentity>, JamfError> {
    let raw: Vec<model::SupervisionIdentity> = refresh
        .get_all_pages(&Route::fixed(IDENTITIES), "id:asc")
        .await?;
    Ok(from_wire(raw, skipped))
}

/// Keeps the first record of each id and skips records without one, as `vpp::from_wire`
/// does: two series with the same labels would make Prometheus drop the scrape.
pub fn from_wire(
    raw: Vec<model::SupervisionIdentity>,
    skipped: &mut Skipped,
) -> Vec<SupervisionIdentity> {
    let mut ids = IdFilter::new(skipped);
    raw.into_iter()
        .filter_map(|identity| {
            let id = ids.admit(identity.id)?;
            Some(SupervisionIdentity {
                id,
                name: text(identity.display_name),
                // A date only; `dates::parse` takes it as 00:00 UTC.
                expiry: identity.expiration_date.as_deref().and_then(dates::parse),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> Vec<model::SupervisionIdentity> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn expiration_date_is_midnight_utc() {
        let identities = from_wire(
            wire(
                r#"[{"id":1,"displayName":"Lakeview","commonName":"x","expirationDate":"2030-10-31"}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(identities[0].id, "1");
        assert_eq!(identities[0].name, "Lakeview");
        assert_eq!(
            identities[0].expiry.map(|d| d.timestamp()),
            Some(1_919_635_200)
        );
    }

    #[test]
    fn missing_or_empty_date_is_unknown() {
        let identities = from_wire(
            wire(r#"[{"id":"1"},{"id":"2","expirationDate":""},{"id":"3","expirationDate":null}]"#),
            &mut Skipped::default(),
        );
        assert!(identities.iter().all(|identity| identity.expiry.is_none()));
    }

    #[test]
    fn duplicate_and_missing_ids_are_dropped() {
        let identities = from_wire(
            wire(
                r#"[{"id":"1","displayName":"first"},{"id":1,"displayName":"second"},{"displayName":"no id"},{"id":""}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].name, "first");
    }
}
