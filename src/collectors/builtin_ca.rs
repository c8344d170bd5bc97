//! The built-in certificate authority's expiry. Jamf serves it without a token.

use crate::jamf::{dates, model, JamfError, Refresh, Route};
use crate::snapshot::BuiltinCa;

pub const ACTIVE_CA: &str = "/api/v1/pki/certificate-authority/active";

pub async fn collect(refresh: &Refresh<'_>) -> Result<BuiltinCa, JamfError> {
    let raw: model::CertificateAuthority =
        refresh.get_json_anonymous(&Route::fixed(ACTIVE_CA)).await?;
    Ok(from_wire(raw))
}

/// The CA's expiry, or unknown when `notAfter` is missing or unparseable.
pub fn from_wire(raw: model::CertificateAuthority) -> BuiltinCa {
    BuiltinCa {
        not_after: raw.not_after.as_deref().and_then(dates::parse),
    }
}
