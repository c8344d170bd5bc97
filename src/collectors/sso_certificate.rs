//! The SAML signing certificate Jamf uses for single sign-on.

use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::SsoCertificate;

pub const CERTIFICATE: &str = "/api/v2/sso/cert";

/// A 404 is treated like an empty keystore: SSO is not set up. Like the Cloud Services
/// 404 it is a success without a date, asked again next refresh.
pub async fn collect(refresh: &Refresh<'_>) -> Result<SsoCertificate, JamfError> {
    match refresh
        .get_json::<model::SsoCertificate>(&Route::fixed(CERTIFICATE), &[])
        .await
    {
        Ok(raw) => Ok(from_wire(raw)),
        Err(JamfError::NotFound { .. }) => Ok(SsoCertificate {
            configured: false,
            expiry: None,
        }),
        Err(error) => Err(error),
    }
}

/// `keystoreDetails.expiration` has no zone; `dates::parse` reads that as UTC.
pub fn from_wire(raw: model::SsoCertificate) -> SsoCertificate {
    match raw.keystore_details {
        None => SsoCertificate {
            configured: false,
            expiry: None,
        },
        Some(details) => SsoCertificate {
            configured: true,
            expiry: details.expiration.as_deref().and_then(dates::parse),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> model::SsoCertificate {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn zoneless_expiration_is_utc() {
        let certificate = from_wire(wire(
            r#"{"keystore":{"key":" ","type":"PKCS12"},"keystoreDetails":{"keys":["jamf-sso"],"expiration":"2031-01-15T08:00:00.000"}}"#,
        ));
        assert!(certificate.configured);
        assert_eq!(
            certificate.expiry.map(|d| d.to_rfc3339()),
            Some("2031-01-15T08:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn empty_keystore_is_not_configured() {
        for json in [r#"{}"#, r#"{"keystoreDetails":null}"#] {
            let certificate = from_wire(wire(json));
            assert!(!certificate.configured, "{json}");
            assert_eq!(certificate.expiry, None, "{json}");
        }
    }

    #[test]
    fn missing_or_unparseable_expiration_is_unknown() {
        for json in [
            r#"{"keystoreDetails":{}}"#,
            r#"{"keystoreDetails":{"expiration":""}}"#,
            r#"{"keystoreDetails":{"expiration":"99999-01-01T00:00:00"}}"#,
        ] {
            assert_eq!(from_wire(wire(json)).expiry, None, "{json}");
        }
    }
}
