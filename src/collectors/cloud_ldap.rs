//! Google Secure LDAP keystores of the cloud identity providers.

use futures_util::future::try_join_all;

use super::{text, IdFilter, Skipped};
use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::CloudLdapKeystore;

pub const PROVIDERS: &str = "/api/v1/cloud-idp";
pub const LDAP: &str = "/api/v2/cloud-ldaps/{id}";

pub async fn collect(
    refresh: &Refresh<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<CloudLdapKeystore>, JamfError> {
    let raw: Vec<model::CloudIdentityProvider> = refresh
        .get_all_pages(&Route::fixed(PROVIDERS), "id:asc")
        .await?;
    let keystores = from_wire(raw, skipped);
    let keystores = try_join_all(keystores.into_iter().map(|mut keystore| async move {
        let route = Route::with_id(LDAP, &keystore.id);
        match refresh.get_json::<model::CloudLdap>(&route, &[]).await {
            Ok(ldap) => {
                keystore.expiry = keystore_expiry(ldap);
                Ok(Some(keystore))
            }
            // Removed between the two requests: it has no keystore any more.
            Err(JamfError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }))
    .await?;
    Ok(keystores.into_iter().flatten().collect())
}

/// `server.keystore.expirationDate` of one provider's LDAP settings.
pub fn keystore_expiry(ldap: model::CloudLdap) -> Option<chrono::DateTime<chrono::Utc>> {
    ldap.server
        .and_then(|server| server.keystore)
        .and_then(|keystore| keystore.expiration_date)
        .as_deref()
        .and_then(dates::parse)
}

/// The Google providers (only they have an LDAP keystore), the first of each id; a
/// provider without an id is skipped, as `vpp::from_wire` does. Expiry is filled later.
pub fn from_wire(
    raw: Vec<model::CloudIdentityProvider>,
    skipped: &mut Skipped,
) -> Vec<CloudLdapKeystore> {
    let mut ids = IdFilter::new(skipped);
    raw.into_iter()
        .filter_map(|provider| {
            let id = ids.admit(provider.id)?;
            let google = provider
                .provider_name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case("GOOGLE"));
            google.then(|| CloudLdapKeystore {
                id,
                name: text(provider.display_name),
                expiry: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> Vec<model::CloudIdentityProvider> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_google_providers_have_keystores() {
        let keystores = from_wire(
            wire(
                r#"[{"id":"1001","displayName":"Google Workspace","enabled":true,"providerName":"GOOGLE"},
                {"id":"1002","displayName":"Entra ID","providerName":"AZURE"},
                {"id":"1003","displayName":"Unknown"}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(keystores.len(), 1);
        assert_eq!(keystores[0].id, "1001");
        assert_eq!(keystores[0].name, "Google Workspace");
    }

    #[test]
    fn duplicate_and_missing_ids_are_dropped() {
        let keystores = from_wire(
            wire(
                r#"[{"id":"1","displayName":"first","providerName":"GOOGLE"},
                {"id":1,"displayName":"second","providerName":"GOOGLE"},
                {"displayName":"no id","providerName":"GOOGLE"}]"#,
            ),
            &mut Skipped::default(),
        );
        assert_eq!(keystores.len(), 1);
        assert_eq!(keystores[0].name, "first");
    }

    #[test]
    fn keystore_expiration_decodes_from_the_nested_object() {
        let ldap: model::CloudLdap = serde_json::from_str(
            r#"{"cloudIdPCommon":{},"server":{"enabled":true,"keystore":{"type":"PKCS12","expirationDate":"2027-02-21T12:05:47.244Z","subject":"CN=x","fileName":"g.p12"}}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let expiry = ldap
            .server
            .and_then(|server| server.keystore)
            .and_then(|keystore| keystore.expiration_date);
        assert_eq!(expiry.as_deref(), Some("2027-02-21T12:05:47.244Z"));
    }
}
