//! Apple Configurator supervision identities: when each one expires.

use std::collections::HashSet;

use tokio::time::Instant;

use super::text;
use crate::jamf::{dates, model, JamfClient, JamfError, Route};
use crate::snapshot::SupervisionIdentity;

pub const IDENTITIES: &str = "/api/v1/supervision-identities";

pub async fn collect(
    client: &JamfClient,
    deadline: Instant,
) -> Result<Vec<SupervisionIdentity>, JamfError> {
    let raw: Vec<model::SupervisionIdentity> = client
        .get_all_pages(&Route::fixed(IDENTITIES), "id:asc", deadline)
        .await?;
    Ok(from_wire(raw))
}

/// Keeps the first record of each id and skips records without one, as `vpp::from_wire`
/// does: two series with the same labels would make Prometheus drop the scrape.
pub fn from_wire(raw: Vec<model::SupervisionIdentity>) -> Vec<SupervisionIdentity> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|identity| {
            let id = identity.id.filter(|id| !id.is_empty())?;
            if !seen.insert(id.clone()) {
                return None;
            }
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
        let identities = from_wire(wire(
            r#"[{"id":1,"displayName":"Lakeview","commonName":"x","expirationDate":"2030-10-31"}]"#,
        ));
        assert_eq!(identities[0].id, "1");
        assert_eq!(identities[0].name, "Lakeview");
        assert_eq!(
            identities[0].expiry.map(|d| d.timestamp()),
            Some(1_919_635_200)
        );
    }

    #[test]
    fn missing_or_empty_date_is_unknown() {
        let identities = from_wire(wire(
            r#"[{"id":"1"},{"id":"2","expirationDate":""},{"id":"3","expirationDate":null}]"#,
        ));
        assert!(identities.iter().all(|identity| identity.expiry.is_none()));
    }

    #[test]
    fn duplicate_and_missing_ids_are_dropped() {
        let identities = from_wire(wire(
            r#"[{"id":"1","displayName":"first"},{"id":1,"displayName":"second"},{"displayName":"no id"},{"id":""}]"#,
        ));
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].name, "first");
    }
}
