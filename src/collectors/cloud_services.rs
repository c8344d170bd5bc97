//! The Jamf Cloud Services connection: when its refresh token expires.

use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::CloudServices;

pub const TOKEN: &str = "/api/v1/csa/token";

/// A 404 is Jamf's answer for a server without a Cloud Services connection: that is a
/// setting, not an older Jamf, so it is a success without a date and is asked again
/// next refresh (unlike the generic 404, which disables a collector until restart).
pub async fn collect(refresh: &Refresh<'_>) -> Result<CloudServices, JamfError> {
    match refresh
        .get_json::<model::CloudServicesToken>(&Route::fixed(TOKEN), &[])
        .await
    {
        Ok(raw) => Ok(from_wire(raw)),
        Err(JamfError::NotFound { .. }) => Ok(CloudServices {
            configured: false,
            token_expiry: None,
        }),
        Err(error) => Err(error),
    }
}

pub fn from_wire(raw: model::CloudServicesToken) -> CloudServices {
    CloudServices {
        configured: true,
        token_expiry: raw.refresh_expiration.as_deref().and_then(dates::parse),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> model::CloudServicesToken {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn refresh_expiration_is_epoch_seconds() {
        let token = from_wire(wire(
            r#"{"refreshExpiration":1925300000,"scopes":["api"],"tenantId":"t","subject":"s"}"#,
        ));
        assert!(token.configured);
        assert_eq!(
            token.token_expiry.map(|d| d.timestamp()),
            Some(1_925_300_000)
        );
    }

    #[test]
    fn missing_or_absurd_expiration_is_unknown() {
        for json in [
            r#"{}"#,
            r#"{"refreshExpiration":null}"#,
            r#"{"refreshExpiration":0}"#,
            r#"{"refreshExpiration":-5}"#,
            r#"{"refreshExpiration":1e300}"#,
            r#"{"refreshExpiration":9223372036854775807}"#,
        ] {
            assert_eq!(from_wire(wire(json)).token_expiry, None, "{json}");
        }
    }
}
