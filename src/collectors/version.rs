//! The Jamf Pro version.

use crate::jamf::{model, JamfError, Refresh, Route};
use crate::snapshot::JamfVersion;

pub const VERSION: &str = "/api/v1/jamf-pro-version";

pub async fn collect(refresh: &Refresh<'_>) -> Result<JamfVersion, JamfError> {
    let raw: model::JamfProVersion = refresh.get_json(&Route::fixed(VERSION), &[]).await?;
    Ok(from_wire(raw))
}

/// The version Jamf reports, without its build suffix.
pub fn from_wire(raw: model::JamfProVersion) -> JamfVersion {
    JamfVersion {
        version: raw.version.as_deref().and_then(semantic_part),
    }
}

/// `11.23.2-t1767621885710` → `11.23.2`.
pub fn semantic_part(version: &str) -> Option<String> {
    let semantic = version.trim().split('-').next().unwrap_or_default();
    (!semantic.is_empty()).then(|| semantic.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_suffix_is_dropped() {
        assert_eq!(
            semantic_part("11.23.2-t1767621885710").as_deref(),
            Some("11.23.2")
        );
        assert_eq!(semantic_part("10.50.0").as_deref(), Some("10.50.0"));
        assert_eq!(semantic_part(""), None);
    }
}
