//! The Jamf Platform API gateway in front of the simulated Jamf Pro (jamf-pro-api.md
//! §8.7), for tests: tokens at `/auth/token`, Jamf Pro under `/pro` for one environment
//! (or tenant) named in a header, the gateway's error codes, and a per-second rate
//! limit announced in `x-ratelimit-*` headers on every answer. `--demo` never uses it.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::json;

use super::routes::{full, JSON};
use super::{Body, Fault};

/// The most recent gateway requests kept by [`super::Simulator::gateway_requests`].
const MAX_RECORDED: usize = 100_000;

/// What the gateway accepts, and its rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// The `X-Environment-Id` it serves.
    pub environment_id: String,
    /// The `X-Tenant-Id` it serves.
    pub tenant_id: String,
    /// Requests per second before it answers 429 (Jamf's: 100 per client).
    pub requests_per_second: u64,
}

impl GatewaySettings {
    /// A gateway for `environment_id` (and a tenant id derived from it) at Jamf's rate.
    pub fn new(environment_id: &str) -> GatewaySettings {
        GatewaySettings {
            environment_id: environment_id.to_owned(),
            tenant_id: format!("tenant-of-{environment_id}"),
            requests_per_second: 100,
        }
    }
}

/// One request as the gateway saw it: when, where, and what context it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequest {
    pub arrived: SystemTime,
    pub path: String,
    /// `X-Environment-Id`, if sent.
    pub environment_id: Option<String>,
    /// `X-Tenant-Id`, if sent.
    pub tenant_id: Option<String>,
    /// A bearer token was sent (valid or not).
    pub bearer: bool,
    pub status: u16,
}

impl GatewayRequest {
    /// The Unix second it arrived in: the rate limit's window.
    pub fn second(&self) -> u64 {
        self.arrived
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    }
}

pub(super) fn lock(
    state: &std::sync::Mutex<GatewayState>,
) -> std::sync::MutexGuard<'_, GatewayState> {
    // A panic elsewhere while holding the lock leaves the data usable.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) struct GatewayState {
    pub(super) settings: GatewaySettings,
    /// The current window (a Unix second) and the requests that arrived in it.
    window: (u64, u64),
    /// Every request before this Unix second is answered 429 with this reset.
    exhausted_until: Option<u64>,
    pub(super) requests: VecDeque<GatewayRequest>,
}

/// The rate limit's verdict on one request.
pub(super) struct Rate {
    limit: u64,
    remaining: u64,
    reset: u64,
    pub(super) over: bool,
}

impl GatewayState {
    pub(super) fn new(settings: GatewaySettings) -> GatewayState {
        GatewayState {
            settings,
            window: (0, 0),
            exhausted_until: None,
            requests: VecDeque::new(),
        }
    }

    pub(super) fn exhaust_until(&mut self, reset: u64) {
        self.exhausted_until = Some(reset);
    }

    /// Counts a request arriving at `now` in its one-second window.
    pub(super) fn count(&mut self, now: SystemTime) -> Rate {
        let second = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let limit = self.settings.requests_per_second;
        if let Some(reset) = self.exhausted_until.filter(|reset| second < *reset) {
            return Rate {
                limit,
                remaining: 0,
                reset,
                over: true,
            };
        }
        if self.window.0 != second {
            self.window = (second, 0);
        }
        self.window.1 += 1;
        Rate {
            limit,
            remaining: limit.saturating_sub(self.window.1),
            reset: second + 1,
            over: self.window.1 > limit,
        }
    }

    pub(super) fn record(&mut self, request: GatewayRequest) {
        self.requests.push_back(request);
        if self.requests.len() > MAX_RECORDED {
            self.requests.pop_front();
        }
    }
}

impl Rate {
    pub(super) fn add_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("x-ratelimit-limit", self.limit),
            ("x-ratelimit-remaining", self.remaining),
            ("x-ratelimit-reset", self.reset),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
}

/// Where a request to the gateway goes.
pub(super) enum Gateway {
    /// To the simulated Jamf Pro at this path, once the context and token are checked.
    Pro(String),
    /// The token endpoint.
    Token,
    /// Nothing here: a plain-text 404, as the gateway answers under `/api`.
    NotFound,
}

pub(super) fn route(path: &str) -> Gateway {
    if path == "/auth/token" {
        return Gateway::Token;
    }
    match path.strip_prefix("/pro/") {
        Some(rest) => Gateway::Pro(format!("/api/{rest}")),
        None => Gateway::NotFound,
    }
}

/// The gateway's own 404, in plain text.
pub(super) fn not_found() -> Response<Body> {
    full(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        Bytes::from_static(b"404 page not found"),
    )
}

/// The context check: `None` when the request names the gateway's environment or
/// tenant, else the gateway's error answer.
pub(super) fn context_error(
    settings: &GatewaySettings,
    environment: Option<&str>,
    tenant: Option<&str>,
) -> Option<Response<Body>> {
    match (environment, tenant) {
        (None, None) => Some(error(400, "REQUEST_CONTEXT_NOT_PROVIDED", false)),
        (Some(id), _) if id == settings.environment_id => None,
        (None, Some(id)) if id == settings.tenant_id => None,
        (Some(_), _) => Some(error(404, "ENVIRONMENT_NOT_FOUND", true)),
        (None, Some(_)) => Some(error(403, "OWNERSHIP_FORBIDDEN", false)),
    }
}

/// A gateway error answer: the Jamf envelope, or with `top_level` a top-level `code`.
fn error(status: u16, code: &str, top_level: bool) -> Response<Body> {
    let body = if top_level {
        json!({ "code": code, "message": "rejected by the Jamf Platform API gateway" })
    } else {
        json!({ "httpStatus": status, "errors": [{ "code": code, "description": "rejected by the Jamf Platform API gateway" }] })
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    full(status, JSON, Bytes::from(body.to_string()))
}

/// The answer to a request over the rate limit.
pub(super) fn too_many_requests() -> Response<Body> {
    error(429, "TOO_MANY_REQUESTS", true)
}

impl Fault {
    /// The gateway's answer with `code` (jamf-pro-api.md §8.7), with the status the
    /// gateway gives it; unknown codes are 400.
    pub fn gateway_error(code: &str) -> Fault {
        let status = match code {
            "OWNERSHIP_FORBIDDEN" | "BAD_PERMISSIONS" => 403,
            "ENVIRONMENT_NOT_FOUND" => 404,
            _ => 400,
        };
        Fault::Status {
            status,
            body: json!({ "httpStatus": status, "errors": [{ "code": code, "description": "rejected by the Jamf Platform API gateway" }] }).to_string(),
            content_type: JSON.to_owned(),
            retry_after: None,
        }
    }
}

/// The Unix second `now` falls in.
pub fn unix_seconds(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}
