//! The two kinds of target, Jamf Pro itself and the Jamf Platform API gateway, which
//! differ only in transport: where a path is asked, which header names the environment,
//! which token endpoint, and which error codes the gateway adds. The client asks `Api`
//! when it builds a request; no collector knows which kind it talks to. The gateway's
//! rate limit headers are honoured from any server that sends them (`RateGate`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::client::lock;
use super::error::JamfError;
use super::model::GatewayError;

/// What kind of server the URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Api {
    /// A Jamf Pro server: `/api/...` at its own URL.
    Pro,
    /// A Jamf Platform API gateway serving one environment's Jamf Pro under `/pro`.
    Platform(Context),
}

/// The environment (or tenant) a gateway request is for, sent as a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    Environment(String),
    Tenant(String),
}

impl Context {
    pub fn header(&self) -> &'static str {
        match self {
            Context::Environment(_) => "X-Environment-Id",
            Context::Tenant(_) => "X-Tenant-Id",
        }
    }

    /// `environment` or `tenant`, for people.
    pub fn kind(&self) -> &'static str {
        match self {
            Context::Environment(_) => "environment",
            Context::Tenant(_) => "tenant",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Context::Environment(id) | Context::Tenant(id) => id,
        }
    }
}

/// The gateway's answers that mean the target is configured wrongly (a missing or
/// wrong environment or tenant, or a credential of another tenant): `auth`, asked
/// again next refresh, and never "an older Jamf without this endpoint".
const CONFIGURATION_CODES: [&str; 4] = [
    "REQUEST_CONTEXT_NOT_PROVIDED",
    "INVALID_REQUEST_CONTEXT_TYPE",
    "OWNERSHIP_FORBIDDEN",
    "ENVIRONMENT_NOT_FOUND",
];

/// The gateway's code for an API client that lacks a privilege.
const BAD_PERMISSIONS: &str = "BAD_PERMISSIONS";

impl Api {
    /// The token endpoint's path.
    pub(super) fn oauth_path(&self, versioned: bool) -> &'static str {
        match (self, versioned) {
            (Api::Platform(_), _) => "/auth/token",
            (Api::Pro, false) => "/api/oauth/token",
            (Api::Pro, true) => "/api/v1/oauth/token",
        }
    }

    /// The URL a Jamf Pro API path is asked at: `/api/P` becomes `/pro/P` through the
    /// gateway, so nothing is ever sent under the gateway's `/api/`.
    pub(super) fn url(&self, base_url: &str, path: &str) -> String {
        match self {
            Api::Platform(_) => match path.strip_prefix("/api/") {
                Some(rest) => format!("{base_url}/pro/{rest}"),
                None => format!("{base_url}{path}"),
            },
            Api::Pro => format!("{base_url}{path}"),
        }
    }

    /// Whether a request carries the token: the gateway wants it even where a Jamf Pro
    /// server serves anyone.
    pub(super) fn needs_token(&self, token_on_pro: bool) -> bool {
        token_on_pro || matches!(self, Api::Platform(_))
    }

    /// Adds the environment or tenant header.
    pub(super) fn add_context(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Api::Platform(context) => request.header(context.header(), context.id()),
            Api::Pro => request,
        }
    }

    /// The error for a final answer that is not a 2xx. Through the gateway, its code
    /// comes first: a configuration code is `auth` whatever the status, and
    /// `BAD_PERMISSIONS` is `forbidden`.
    pub(super) fn error(&self, endpoint: &str, status: u16, body: &[u8]) -> JamfError {
        if let Api::Platform(context) = self {
            match gateway_code(body).as_deref() {
                Some(code) if CONFIGURATION_CODES.contains(&code) => {
                    return JamfError::Auth {
                        endpoint: endpoint.to_owned(),
                        detail: format!(
                            "HTTP {status}: the Jamf Platform API answered {code}; check the {} id and that the API client belongs to it",
                            context.kind()
                        ),
                    }
                }
                Some(BAD_PERMISSIONS) => {
                    return JamfError::Forbidden {
                        endpoint: endpoint.to_owned(),
                    }
                }
                _ => {}
            }
        }
        JamfError::from_status(endpoint, status)
    }
}

/// The code of a gateway error body, if it is one the exporter knows: only those are
/// ever returned, so nothing the gateway makes up reaches a log line.
fn gateway_code(body: &[u8]) -> Option<String> {
    let error: GatewayError = serde_json::from_slice(body).ok()?;
    let first = error
        .errors
        .and_then(|errors| errors.into_iter().next())
        .and_then(|entry| entry.code);
    [error.code, first]
        .into_iter()
        .flatten()
        .filter_map(|code| code.as_str().map(str::to_owned))
        .find(|code| CONFIGURATION_CODES.contains(&code.as_str()) || code == BAD_PERMISSIONS)
}

/// The longest the gate waits for a reset, whatever the server announces: the
/// gateway's window is one second, and a reset a year ahead must not stop refreshes.
const MAX_RESET_WAIT: Duration = Duration::from_secs(60);

/// What one answer said about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RateHeaders {
    pub(super) limit: Option<u64>,
    pub(super) remaining: Option<u64>,
    /// `x-ratelimit-reset`, Unix seconds.
    pub(super) reset: Option<u64>,
}

impl RateHeaders {
    pub(super) fn read(headers: &HeaderMap) -> RateHeaders {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| text.trim().parse::<u64>().ok())
        };
        RateHeaders {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
        }
    }

    /// How long from `now` until the announced reset; `None` when there is none or it
    /// has passed. Never longer than `MAX_RESET_WAIT`.
    pub(super) fn until_reset(&self, now: SystemTime) -> Option<Duration> {
        let reset = UNIX_EPOCH.checked_add(Duration::from_secs(self.reset?))?;
        let wait = reset.duration_since(now).ok()?;
        Some(wait.min(MAX_RESET_WAIT))
    }
}

/// Keeps one client's requests within a server's announced rate limit: after an answer
/// with `x-ratelimit-remaining: 0` (or a 429), nothing is sent before the reset; and
/// once a limit is known, no more than that many requests start in any one second.
/// A request that starts in the last `EDGE` of a second may arrive in the next, so it
/// counts in both.
#[derive(Default)]
pub(super) struct RateGate {
    state: std::sync::Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    /// Nothing is sent before this.
    closed_until: Option<Instant>,
    /// The latest `x-ratelimit-limit` seen.
    limit: Option<u64>,
    /// Requests started per Unix second, for the current and the next second.
    started: Vec<(u64, u64)>,
}

const EDGE: Duration = Duration::from_millis(250);

/// The rate gates of the clients that share one limit: the gateway counts requests per
/// API client, so targets of one gateway logging in with the same client share a gate.
/// A gate lives as long as a client uses it.
#[derive(Default)]
pub struct RateGates {
    gates: std::sync::Mutex<Vec<(String, std::sync::Weak<RateGate>)>>,
}

impl RateGates {
    /// The gate of the clients that log in as `login` at `base_url`.
    pub(super) fn gate(&self, base_url: &str, login: &str) -> std::sync::Arc<RateGate> {
        let key = format!("{login}@{base_url}");
        let mut gates = lock(&self.gates);
        gates.retain(|(_, gate)| gate.strong_count() > 0);
        if let Some(gate) = gates
            .iter()
            .find(|(known, _)| *known == key)
            .and_then(|(_, gate)| gate.upgrade())
        {
            return gate;
        }
        let gate = std::sync::Arc::new(RateGate::default());
        gates.push((key, std::sync::Arc::downgrade(&gate)));
        gate
    }
}

impl RateGate {
    /// Waits until a request may be sent and counts it, or answers `rate_limited` when
    /// that would be after `deadline` (nothing is sent then).
    pub(super) async fn admit(&self, endpoint: &str, deadline: Instant) -> Result<(), JamfError> {
        loop {
            let wait = self.try_admit(Instant::now(), SystemTime::now());
            let Some(until) = wait else { return Ok(()) };
            if until >= deadline {
                return Err(JamfError::RateLimited {
                    endpoint: endpoint.to_owned(),
                });
            }
            tokio::time::sleep_until(until).await;
        }
    }

    /// Counts a request that may start now, or says until when to wait.
    fn try_admit(&self, now: Instant, wall: SystemTime) -> Option<Instant> {
        let mut state = lock(&self.state);
        if let Some(until) = state.closed_until {
            if until > now {
                return Some(until);
            }
            state.closed_until = None;
        }
        let since_epoch = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        let second = since_epoch.as_secs();
        let edge = since_epoch.saturating_add(EDGE).as_secs();
        let count = |state: &GateState, second: u64| {
            state
                .started
                .iter()
                .find(|(at, _)| *at == second)
                .map_or(0, |(_, n)| *n)
        };
        // Starts are counted before any limit is known, so the first answer's limit
        // applies to the requests already sent.
        if let Some(limit) = state.limit.filter(|limit| *limit > 0) {
            if count(&state, second) >= limit || count(&state, edge) >= limit {
                // Try again at the start of the next second.
                let into_second = Duration::from_nanos(u64::from(since_epoch.subsec_nanos()));
                let to_next = Duration::from_secs(1).saturating_sub(into_second);
                return Some(now.checked_add(to_next).unwrap_or(now));
            }
        }
        // Only this second and the next matter; a clock set back leaves nothing behind.
        state
            .started
            .retain(|(at, _)| *at == second || Some(*at) == second.checked_add(1));
        let seconds = if edge == second {
            vec![second]
        } else {
            vec![second, edge]
        };
        for at in seconds {
            match state.started.iter_mut().find(|(s, _)| *s == at) {
                Some((_, n)) => *n += 1,
                None => state.started.push((at, 1)),
            }
        }
        None
    }

    /// Learns from an answer's headers; `remaining: 0` closes the gate until the reset
    /// (the gateway's 429s carry it). A 429 without it delays only its own retry.
    pub(super) fn observe(&self, headers: RateHeaders, wall: SystemTime) {
        let mut state = lock(&self.state);
        if headers.limit.is_some() {
            state.limit = headers.limit;
        }
        if headers.remaining == Some(0) {
            let now = Instant::now();
            if let Some(until) = headers
                .until_reset(wall)
                .and_then(|wait| now.checked_add(wait))
            {
                state.closed_until = Some(state.closed_until.map_or(until, |old| old.max(until)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Api {
        Api::Platform(Context::Environment("env".to_owned()))
    }

    #[test]
    fn gateway_paths_replace_api_with_pro() {
        let base = "https://eu.api.jamfcloud.com";
        assert_eq!(
            platform().url(base, "/api/v1/volume-purchasing-locations"),
            "https://eu.api.jamfcloud.com/pro/v1/volume-purchasing-locations"
        );
        assert_eq!(
            Api::Pro.url(base, "/api/v1/jamf-pro-version"),
            "https://eu.api.jamfcloud.com/api/v1/jamf-pro-version"
        );
        assert_eq!(platform().oauth_path(false), "/auth/token");
    }

    #[test]
    fn gateway_configuration_codes_are_auth_whatever_the_status() {
        for (status, body) in [
            (
                400,
                r#"{"errors":[{"code":"REQUEST_CONTEXT_NOT_PROVIDED"}]}"#,
            ),
            (400, r#"{"code":"INVALID_REQUEST_CONTEXT_TYPE"}"#),
            (
                403,
                r#"{"httpStatus":403,"errors":[{"code":"OWNERSHIP_FORBIDDEN"}]}"#,
            ),
            (404, r#"{"code":"ENVIRONMENT_NOT_FOUND","message":"x"}"#),
        ] {
            let error = platform().error("/api/v1/x", status, body.as_bytes());
            assert_eq!(error.reason(), super::super::Reason::Auth, "{body}");
            assert!(error.to_string().contains("answered"), "{error}");
        }
        let error = platform().error("/x", 403, br#"{"errors":[{"code":"BAD_PERMISSIONS"}]}"#);
        assert_eq!(error.reason(), super::super::Reason::Forbidden);
        // Any other 404 is read as today; a Jamf Pro server's codes mean nothing here.
        let other = platform().error("/x", 404, b"404 page not found");
        assert_eq!(other.reason(), super::super::Reason::NotFound);
        let pro = Api::Pro.error("/x", 404, br#"{"code":"ENVIRONMENT_NOT_FOUND"}"#);
        assert_eq!(pro.reason(), super::super::Reason::NotFound);
    }

    #[test]
    fn unknown_gateway_codes_never_reach_the_message() {
        let error = platform().error("/x", 400, br#"{"code":"<script>secret"}"#);
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn hostile_resets_are_clamped() {
        let now = SystemTime::now();
        let far = RateHeaders {
            reset: Some(u64::MAX),
            ..RateHeaders::default()
        };
        assert_eq!(far.until_reset(now), None);
        let year = RateHeaders {
            reset: Some(now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 31_536_000),
            ..RateHeaders::default()
        };
        assert_eq!(year.until_reset(now), Some(MAX_RESET_WAIT));
        let past = RateHeaders {
            reset: Some(1),
            ..RateHeaders::default()
        };
        assert_eq!(past.until_reset(now), None);
    }

    #[test]
    fn a_known_limit_is_never_exceeded_within_a_second() {
        let gate = RateGate::default();
        gate.observe(
            RateHeaders {
                limit: Some(3),
                ..RateHeaders::default()
            },
            SystemTime::now(),
        );
        // Mid-second, away from its edge.
        let wall = UNIX_EPOCH + Duration::from_millis(1_000_400);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(gate.try_admit(now, wall), None);
        }
        let wait = gate.try_admit(now, wall);
        assert!(wait.is_some_and(|until| until > now));
        // The next second admits again.
        assert_eq!(gate.try_admit(now, wall + Duration::from_secs(1)), None);
    }

    #[test]
    fn a_request_at_the_edge_of_a_second_counts_in_the_next() {
        let gate = RateGate::default();
        gate.observe(
            RateHeaders {
                limit: Some(1),
                ..RateHeaders::default()
            },
            SystemTime::now(),
        );
        let now = Instant::now();
        let edge = UNIX_EPOCH + Duration::from_millis(1_000_900);
        assert_eq!(gate.try_admit(now, edge), None);
        let next = UNIX_EPOCH + Duration::from_millis(1_001_200);
        assert!(gate.try_admit(now, next).is_some());
    }

    #[test]
    fn remaining_zero_closes_the_gate_until_the_reset() {
        let gate = RateGate::default();
        let wall = UNIX_EPOCH + Duration::from_millis(1_000_400);
        gate.observe(
            RateHeaders {
                remaining: Some(0),
                reset: Some(1_003),
                ..RateHeaders::default()
            },
            wall,
        );
        let now = Instant::now();
        let wait = gate.try_admit(now, wall);
        assert!(wait.is_some_and(|until| until > now + Duration::from_secs(2)));

        // Without a reset there is nothing to wait for.
        let open = RateGate::default();
        open.observe(
            RateHeaders {
                remaining: Some(0),
                ..RateHeaders::default()
            },
            wall,
        );
        assert_eq!(open.try_admit(now, wall), None);
    }
}
