//! `/healthCheck.html`: a JSON array despite its name, read whatever the HTTP status.

use crate::jamf::{model, JamfError, Refresh, Route};
use crate::snapshot::HealthCheck;

pub const HEALTH_CHECK: &str = "/healthCheck.html";

/// Never retried: a 503 carrying `[{"healthCode":N,…}]` is a reading, not a failure.
pub async fn collect(refresh: &Refresh<'_>) -> Result<HealthCheck, JamfError> {
    let (status, body) = refresh.get_raw_once(&Route::fixed(HEALTH_CHECK)).await?;
    parse(&body).ok_or_else(|| JamfError::Decode {
        endpoint: HEALTH_CHECK.to_owned(),
        detail: format!("HTTP {status} with a body that is not a health-code array"),
    })
}

/// `[]` is healthy (0); otherwise the first entry's `healthCode`.
pub fn parse(body: &[u8]) -> Option<HealthCheck> {
    let entries: Vec<model::HealthCheckEntry> = serde_json::from_slice(body.trim_ascii()).ok()?;
    match entries.first() {
        None => Some(HealthCheck { code: 0 }),
        Some(entry) => entry.health_code.map(|code| HealthCheck { code }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_array_is_healthy() {
        assert_eq!(parse(b" [] \n"), Some(HealthCheck { code: 0 }));
    }

    #[test]
    fn first_health_code_is_the_reading() {
        let body = br#"[{"healthCode":4,"httpCode":503,"description":"Initializing"}]"#;
        assert_eq!(parse(body), Some(HealthCheck { code: 4 }));
    }

    #[test]
    fn html_or_other_json_is_not_a_reading() {
        assert_eq!(parse(b"<html>maintenance</html>"), None);
        assert_eq!(parse(br#"{"healthCode":1}"#), None);
        assert_eq!(parse(br#"[{"description":"no code"}]"#), None);
    }
}
