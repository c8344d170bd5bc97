//! Reading an answer's body within its size limit, and decoding it as JSON.

use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;

use super::error::{truncate, JamfError};

/// Reads a body, refusing one larger than `max` bytes without buffering it whole.
pub(super) async fn read_limited(
    mut response: reqwest::Response,
    endpoint: &str,
    max: usize,
) -> Result<Bytes, JamfError> {
    let too_large = || JamfError::Decode {
        endpoint: endpoint.to_owned(),
        detail: format!("the response is larger than the limit of {max} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|length| length > max as u64)
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| JamfError::from_transport(endpoint, &e))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Decodes JSON, naming the path of the first field that did not fit.
pub(super) fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, JamfError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let what = match inner.classify() {
            serde_json::error::Category::Eof => "the body ends early".to_owned(),
            serde_json::error::Category::Syntax => format!(
                "not valid JSON at line {} column {}",
                inner.line(),
                inner.column()
            ),
            serde_json::error::Category::Data => truncate(&inner.to_string(), 160),
            serde_json::error::Category::Io => "read error".to_owned(),
        };
        JamfError::Decode {
            endpoint: endpoint.to_owned(),
            detail: if path == "." {
                what
            } else {
                format!("at {path}: {what}")
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jamf::model::{Page, VppLocation};

    #[test]
    fn decode_errors_name_the_field_path() {
        let error = decode::<Page<VppLocation>>(
            "/x",
            br#"{"totalCount":1,"results":[{"totalPurchasedLicenses":"many"}]}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            error.contains("results[0].totalPurchasedLicenses"),
            "{error}"
        );
    }

    #[test]
    fn truncated_json_is_a_decode_error() {
        let error = decode::<Page<VppLocation>>("/x", br#"{"totalCount":1,"resu"#);
        assert!(matches!(error, Err(JamfError::Decode { .. })));
    }
}
