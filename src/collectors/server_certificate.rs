//! The TLS certificate the Jamf URL presents: when it expires.
//!
//! Jamf has no endpoint for its own web certificate (jamf-pro-api.md §5.6), so this reads
//! the leaf certificate from the refresh's own TLS handshake, which the `Refresh` keeps.

use crate::jamf::{JamfError, Refresh, Route};
use crate::snapshot::ServerCertificate;

/// Asked only when no other request of the refresh got an answer over HTTPS (say every
/// other collector is switched off): Jamf serves it to anyone, with an empty body.
pub const HEALTH_CHECK: &str = "/api/v1/health-check";

pub async fn collect(refresh: &Refresh<'_>) -> Result<ServerCertificate, JamfError> {
    let https = reqwest::Url::parse(refresh.base_url())
        .is_ok_and(|url| url.scheme().eq_ignore_ascii_case("https"));
    if !https {
        return Ok(ServerCertificate { not_after: None });
    }
    let der = match refresh.peer_certificate() {
        Some(der) => der,
        None => {
            // A failed request (an untrusted certificate included) fails this collector:
            // a certificate the client refused is never reported.
            refresh.get_raw_once(&Route::fixed(HEALTH_CHECK)).await?;
            refresh
                .peer_certificate()
                .ok_or_else(|| JamfError::Decode {
                    endpoint: HEALTH_CHECK.to_owned(),
                    detail: "the TLS connection carried no server certificate".to_owned(),
                })?
        }
    };
    from_der(&der)
        .map(|not_after| ServerCertificate {
            not_after: Some(not_after),
        })
        .ok_or_else(|| JamfError::Decode {
            endpoint: "TLS handshake".to_owned(),
            detail: "the server certificate's notAfter cannot be read".to_owned(),
        })
}

/// The notAfter of a DER certificate; `None` when it does not parse or is out of range.
pub fn from_der(der: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    chrono::DateTime::from_timestamp(certificate.validity().not_after.timestamp(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(from_der(b""), None);
        assert_eq!(from_der(b"\x30\x82\xff\xff not der"), None);
    }

    #[test]
    fn not_after_is_read_from_a_generated_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["jamf.lakeview.test".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"));
        params.not_after = rcgen::date_time_ymd(2031, 3, 14);
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let certificate = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            from_der(certificate.der()).map(|d| d.to_rfc3339()),
            Some("2031-03-14T00:00:00+00:00".to_owned())
        );
    }
}
