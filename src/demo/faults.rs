//! Injected misbehaviour: error statuses, bad bodies, slow and endless
//! answers, dropped connections.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, StreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Response, StatusCode};

use super::routes::{full, JSON};
use super::Body;

/// Misbehaviour for requests whose path matches `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// An exact path (no query), or a prefix ending in `*`.
    pub path: String,
    pub fault: Fault,
    /// How many matching requests it applies to; `None` = forever.
    pub times: Option<usize>,
}

impl FaultRule {
    /// A rule that applies to every matching request.
    pub fn always(path: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            path: path.into(),
            fault,
            times: None,
        }
    }

    /// A rule that applies to the next `n` matching requests only.
    pub fn times(path: impl Into<String>, fault: Fault, n: usize) -> Self {
        FaultRule {
            path: path.into(),
            fault,
            times: Some(n),
        }
    }

    pub(super) fn matches(&self, path: &str) -> bool {
        path_matches(&self.path, path)
    }
}

/// Whether `path` is `pattern`, or starts with it when it ends in `*`.
pub(super) fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == pattern,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, body and content type (and `Retry-After`).
    Status {
        status: u16,
        body: String,
        content_type: String,
        retry_after: Option<String>,
    },
    /// 200 with this raw body (malformed JSON, wrong types…).
    Body(String),
    /// Sleep, then answer normally.
    Delay(Duration),
    /// 200 with a JSON body of `total_bytes`, sent `chunk` bytes every `every`.
    Trickle {
        total_bytes: usize,
        chunk: usize,
        every: Duration,
    },
    /// 200 with a JSON body of this many bytes, generated while streaming.
    Huge { bytes: usize },
    /// 200 announcing a `Content-Length` of `declared_bytes`, then only the first
    /// `sent_bytes` of that body before the connection closes: a body cut short in
    /// transit, as when a load balancer drops the connection.
    CutShort {
        declared_bytes: usize,
        sent_bytes: usize,
    },
    /// Close the connection without answering.
    Reset,
}

impl Fault {
    /// A 5xx-style fault with a Jamf error envelope body.
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            body: format!(r#"{{"httpStatus":{status},"errors":[]}}"#),
            content_type: JSON.to_string(),
            retry_after: None,
        }
    }

    /// The answer replacing the normal one, or `None` for faults that do not
    /// produce an answer of their own (`Delay`, `Reset`).
    pub(super) fn response(&self) -> Option<Response<Body>> {
        match self {
            Fault::Status {
                status,
                body,
                content_type,
                retry_after,
            } => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response = full(status, content_type, body.clone().into());
                // A header value tests chose badly is dropped, not fatal.
                if let Ok(value) = HeaderValue::from_str(content_type) {
                    response.headers_mut().insert(CONTENT_TYPE, value);
                }
                if let Some(value) = retry_after
                    .as_deref()
                    .and_then(|v| HeaderValue::from_str(v).ok())
                {
                    response.headers_mut().insert(RETRY_AFTER, value);
                }
                Some(response)
            }
            Fault::Body(body) => Some(full(StatusCode::OK, JSON, body.clone().into())),
            Fault::Huge { bytes } => Some(streamed(padding_chunks(*bytes, 64 * 1024))),
            Fault::CutShort {
                declared_bytes,
                sent_bytes,
            } => {
                let part = padding_slice(*declared_bytes, 0, (*sent_bytes).min(*declared_bytes));
                // The pause lets hyper flush the head and the part before the early end
                // makes it drop the connection.
                let pause = stream::once(tokio::time::sleep(Duration::from_millis(50)))
                    .filter_map(|()| async { None::<Bytes> });
                let mut response = streamed(stream::iter([part]).chain(pause));
                // hyper closes the connection when the body ends before this length.
                response
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from(*declared_bytes));
                Some(response)
            }
            Fault::Trickle {
                total_bytes,
                chunk,
                every,
            } => {
                let every = *every;
                let chunks = padding_chunks(*total_bytes, (*chunk).max(1))
                    .enumerate()
                    .then(move |(index, chunk)| async move {
                        if index > 0 && !every.is_zero() {
                            tokio::time::sleep(every).await;
                        }
                        chunk
                    });
                Some(streamed(chunks))
            }
            Fault::Delay(_) | Fault::Reset => None,
        }
    }
}

fn streamed(chunks: impl stream::Stream<Item = Bytes> + Send + 'static) -> Response<Body> {
    let body = StreamBody::new(chunks.map(|chunk| Ok::<_, Infallible>(Frame::data(chunk))));
    let mut response = Response::new(body.boxed_unsync());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// `"0,0,0,…"`, sliced to build padding without touching each byte.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| Bytes::from("0,".repeat(32 * 1024)))
}

/// The bytes `start..end` of a valid JSON array of exactly `total` bytes:
/// `[0,0,…,0]`, with one leading space inside when the length is even.
/// Bodies of 0 or 1 byte cannot be valid JSON and come out as "" and "[".
fn padding_slice(total: usize, start: usize, end: usize) -> Bytes {
    let mut out = BytesMut::with_capacity(end - start);
    if start == 0 && end > 0 {
        out.extend_from_slice(b"[");
    }
    if total >= 2 {
        let inner_len = total - 2;
        let has_space = inner_len.is_multiple_of(2) && inner_len > 0;
        // Positions inside the brackets: 1..total-1.
        let mut position = start.max(1);
        let inner_end = end.min(total - 1);
        if has_space && position == 1 && position < inner_end {
            out.extend_from_slice(b" ");
            position += 1;
        }
        let digits_start = if has_space { 2 } else { 1 };
        let pattern = pattern();
        while position < inner_end {
            // Even offsets into the digit run are '0', odd ones ','.
            let phase = (position - digits_start) % 2;
            let n = (inner_end - position).min(pattern.len() - phase);
            out.extend_from_slice(&pattern[phase..phase + n]);
            position += n;
        }
        if end == total {
            out.extend_from_slice(b"]");
        }
    }
    out.freeze()
}

fn padding_chunks(total: usize, chunk: usize) -> impl stream::Stream<Item = Bytes> + Send {
    stream::iter((0..total).step_by(chunk.max(1)).map(move |start| {
        let end = start.saturating_add(chunk).min(total);
        padding_slice(total, start, end)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(total: usize, chunk: usize) -> Vec<u8> {
        padding_chunks(total, chunk)
            .collect::<Vec<_>>()
            .await
            .concat()
    }

    #[tokio::test]
    async fn padding_is_valid_json_of_exact_size() {
        for total in [2, 3, 4, 5, 10, 11, 1000, 65_537, 200_001] {
            for chunk in [1, 3, 64 * 1024] {
                let body = collect(total, chunk).await;
                assert_eq!(body.len(), total, "total {total} chunk {chunk}");
                let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&body);
                assert!(
                    parsed.as_ref().is_ok_and(|v| v.is_array()),
                    "total {total} chunk {chunk}: {:?}",
                    String::from_utf8_lossy(&body[..body.len().min(40)])
                );
            }
        }
        assert_eq!(collect(0, 4).await, b"");
        assert_eq!(collect(1, 4).await, b"[");
    }

    #[test]
    fn prefix_rules_match_by_prefix_and_exact_rules_exactly() {
        let prefix = FaultRule::always("/api/v1/volume-purchasing-locations*", Fault::Reset);
        assert!(prefix.matches("/api/v1/volume-purchasing-locations"));
        assert!(prefix.matches("/api/v1/volume-purchasing-locations/3/content"));
        assert!(!prefix.matches("/api/v1/notifications"));
        let exact = FaultRule::always("/api/v1/notifications", Fault::Reset);
        assert!(exact.matches("/api/v1/notifications"));
        assert!(!exact.matches("/api/v1/notifications/x"));
    }
}
