//! Wire types: what Jamf sends, as leniently as is safe.
//!
//! Every field is optional (fields come and go between Jamf releases), unknown fields are
//! ignored, and ids are accepted as strings or numbers. A field of the wrong JSON type
//! is a decode error for the whole response, so the last good data is kept rather than
//! half of a misunderstood answer. These types never leave the `jamf` module's callers
//! in `collectors`, which turn them into `snapshot` types.

use serde::{Deserialize, Deserializer};

/// `{ "totalCount": n, "results": [...] }`, the envelope of paged lists.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(rename = "totalCount", default)]
    pub total_count: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub results: Vec<T>,
}

/// GET /api/v1/volume-purchasing-locations → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VppLocation {
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub total_purchased_licenses: Option<f64>,
    #[serde(default)]
    pub total_used_licenses: Option<f64>,
    #[serde(default)]
    pub organization_name: Option<String>,
    #[serde(default)]
    pub token_expiration: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub client_context_mismatch: Option<bool>,
    #[serde(default, deserialize_with = "id_string")]
    pub site_id: Option<String>,
    #[serde(default)]
    pub last_sync_time: Option<String>,
}

/// GET /api/v1/volume-purchasing-locations/{id}/content → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VppContent {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub license_count_total: Option<f64>,
    #[serde(default)]
    pub license_count_in_use: Option<f64>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "id_string")]
    pub adam_id: Option<String>,
}

/// GET /api/v1/device-enrollments → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEnrollment {
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub token_expiration_date: Option<String>,
}

/// GET /api/v1/device-enrollments/{id}/syncs/latest
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEnrollmentSync {
    #[serde(default)]
    pub sync_state: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// GET /api/v1/notifications → .[]
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// GET /api/v1/pki/certificate-authority/active
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// Epoch seconds (milliseconds above 10^11); some servers may send a string.
    #[serde(default, deserialize_with = "number_or_string")]
    pub not_after: Option<String>,
}

/// GET /api/v1/jamf-pro-version
#[derive(Debug, Clone, Deserialize)]
pub struct JamfProVersion {
    #[serde(default)]
    pub version: Option<String>,
}

/// GET /healthCheck.html → .[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckEntry {
    #[serde(default)]
    pub health_code: Option<i64>,
}

// Renewals (issue 9): supervision identities, Cloud Services, SSO, cloud LDAP.

/// GET /api/v1/supervision-identities → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisionIdentity {
    /// An integer in the schema; a string is accepted too.
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// A date only (`2030-10-31`), taken as 00:00 UTC.
    #[serde(default)]
    pub expiration_date: Option<String>,
}

/// GET /api/v1/csa/token
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudServicesToken {
    /// Epoch seconds (milliseconds above 10^11); a string is accepted too.
    #[serde(default, deserialize_with = "number_or_string")]
    pub refresh_expiration: Option<String>,
}

/// GET /api/v2/sso/cert
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoCertificate {
    #[serde(default)]
    pub keystore_details: Option<SsoKeystoreDetails>,
}

/// GET /api/v2/sso/cert → .keystoreDetails
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoKeystoreDetails {
    /// No zone designator (`2031-01-15T08:00:00.000`): read as UTC.
    #[serde(default)]
    pub expiration: Option<String>,
}

/// GET /api/v1/cloud-idp → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudIdentityProvider {
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `GOOGLE` or `AZURE`; only Google configurations have an LDAP keystore.
    #[serde(default)]
    pub provider_name: Option<String>,
}

/// GET /api/v2/cloud-ldaps/{id}
#[derive(Debug, Clone, Deserialize)]
pub struct CloudLdap {
    #[serde(default)]
    pub server: Option<CloudLdapServer>,
}

/// GET /api/v2/cloud-ldaps/{id} → .server
#[derive(Debug, Clone, Deserialize)]
pub struct CloudLdapServer {
    #[serde(default)]
    pub keystore: Option<CloudLdapKeystore>,
}

/// GET /api/v2/cloud-ldaps/{id} → .server.keystore
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudLdapKeystore {
    /// RFC 3339 (`2027-02-21T12:05:47.244Z`).
    #[serde(default)]
    pub expiration_date: Option<String>,
}

/// POST /api/oauth/token
#[derive(Deserialize)]
pub struct OAuthToken {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<f64>,
}

/// POST /api/v1/auth/token
#[derive(Deserialize)]
pub struct UserToken {
    pub token: String,
    #[serde(default)]
    pub expires: Option<serde_json::Value>,
}

/// GET /api/v4/computers-inventory?section=GENERAL → .results[] (also v3 and v1)
#[derive(Debug, Clone, Deserialize)]
pub struct ComputerInventory {
    #[serde(default, deserialize_with = "id_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub general: Option<ComputerGeneral>,
}

/// … → .results[].general
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputerGeneral {
    #[serde(default)]
    pub mdm_profile_expiration: Option<String>,
    #[serde(default)]
    pub remote_management: Option<RemoteManagement>,
}

/// … → .results[].general.remoteManagement
#[derive(Debug, Clone, Deserialize)]
pub struct RemoteManagement {
    #[serde(default)]
    pub managed: Option<bool>,
}

/// GET /api/v2/mobile-devices/detail?section=GENERAL → .results[]
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileDeviceDetail {
    #[serde(default, deserialize_with = "id_string")]
    pub mobile_device_id: Option<String>,
    #[serde(default)]
    pub general: Option<MobileDeviceGeneral>,
}

/// … → .results[].general
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileDeviceGeneral {
    #[serde(default)]
    pub mdm_profile_expiration_date: Option<String>,
}

/// GET /api/v1/device-communication-settings
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCommunicationSettings {
    #[serde(default)]
    pub auto_renew_computer_mdm_profile_when_device_identity_cert_expiring: Option<bool>,
    #[serde(default)]
    pub auto_renew_mobile_device_mdm_profile_when_device_identity_cert_expiring: Option<bool>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Integer(i64),
    Float(f64),
}

/// Jamf Pro API ids are strings of digits; older records and the Classic API use integers.
fn id_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    number_or_string(deserializer)
}

fn number_or_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<StringOrNumber>::deserialize(deserializer)? {
        None => None,
        Some(StringOrNumber::String(text)) => Some(text),
        Some(StringOrNumber::Integer(number)) => Some(number.to_string()),
        Some(StringOrNumber::Float(number)) if number.fract() == 0.0 && number.abs() < 9.0e15 => {
            Some(format!("{number:.0}"))
        }
        Some(StringOrNumber::Float(number)) => Some(number.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_with_every_field_missing_or_null_decodes() {
        let page: Page<VppLocation> = serde_json::from_str(
            r#"{"totalCount":2,"results":[{},{"id":null,"name":null,"totalPurchasedLicenses":null,"tokenExpiration":null}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.results.len(), 2);
        assert!(page.results[1].total_purchased_licenses.is_none());
    }

    #[test]
    fn ids_may_be_numbers_and_unknown_fields_are_ignored() {
        let location: VppLocation =
            serde_json::from_str(r#"{"id":7,"siteId":-1,"brandNewField":{"x":1}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(location.id.as_deref(), Some("7"));
        assert_eq!(location.site_id.as_deref(), Some("-1"));
    }

    #[test]
    fn wrong_type_is_an_error() {
        assert!(
            serde_json::from_str::<VppLocation>(r#"{"totalPurchasedLicenses":"twelve"}"#).is_err()
        );
    }

    #[test]
    fn null_results_are_an_empty_page() {
        let page: Page<VppLocation> = serde_json::from_str(r#"{"totalCount":0,"results":null}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(page.results.is_empty());
    }

    #[test]
    fn certificate_authority_not_after_accepts_number_or_string() {
        let ca: CertificateAuthority =
            serde_json::from_str(r#"{"notAfter":1925300000}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ca.not_after.as_deref(), Some("1925300000"));
    }
}
