//! The client for one Jamf Pro server and the requests of one refresh: the concurrency
//! limit, the bearer token on each request, one re-authentication on an unexpected 401,
//! retries, and the request counter. Building the HTTP client is in `http`, the token in
//! `token`, retries in `retry`, paging in `paging`, bodies in `body`.
//!
//! `docs/jamf-connection.md` describes this behaviour for operators (TLS, proxies,
//! timeouts, retries, limits); keep the two in step.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::tally::Tally;
use bytes::Bytes;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::body::{decode, read_limited};
use super::error::JamfError;
use super::http::{build_http, ClientBuildError, ProxySettings};
use super::platform::{Api, RateGate, RateHeaders};
use super::retry::{parse_retry_after, with_retries, NoAnswer};
use super::token::{Auth, LoginFailure, Tokens};
use crate::secret::Secret;

/// Jamf asks clients for at most 5 concurrent connections; we keep one in reserve.
pub const MAX_IN_FLIGHT: usize = 4;
/// Responses larger than this are refused rather than buffered.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A Jamf path: the bounded template used as the `endpoint` label, and the real path.
#[derive(Debug, Clone)]
pub struct Route {
    pub template: &'static str,
    pub path: String,
}

impl Route {
    pub fn fixed(path: &'static str) -> Route {
        Route {
            template: path,
            path: path.to_owned(),
        }
    }

    /// A route with one `{id}` placeholder, filled with a percent-encoded id.
    pub fn with_id(template: &'static str, id: &str) -> Route {
        let encoded: String = id
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Route {
            template,
            path: template.replacen("{id}", &encoded, 1),
        }
    }
}

pub struct ClientSettings {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// A Jamf Pro server, or a Jamf Platform API gateway.
    pub api: Api,
    pub auth: Auth,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub proxy: ProxySettings,
}

/// Talks to one Jamf Pro server. The only code in the exporter that does Jamf I/O.
///
/// Requests go through a [`Refresh`], which carries what belongs to one refresh (its
/// deadline, `jamf_up`, its failed token request); the client keeps only what outlives
/// a refresh: the HTTP connection pool, the cached token and the request counter.
pub struct JamfClient {
    http: reqwest::Client,
    base_url: String,
    pub(super) api: Api,
    max_body_bytes: usize,
    in_flight: Semaphore,
    /// Shared with the other clients of the same gateway and API client.
    rate: Arc<RateGate>,
    tokens: Tokens,
    counters: ClientCounters,
    /// The collectors whose deprecation notice has been logged.
    deprecation_logged: std::sync::Mutex<HashSet<&'static str>>,
}

/// The counters a client updates.
#[derive(Clone)]
pub struct ClientCounters {
    /// `jamf_exporter_api_requests_total{endpoint, code}`.
    pub requests: Arc<Tally>,
    /// `jamf_exporter_deprecated_responses_total{collector}` (one label: the second of
    /// each series is empty).
    pub deprecated_responses: Arc<Tally>,
}

/// One refresh's use of the client. Every request of a refresh goes through it, so
/// nothing about one refresh is remembered in the client itself. Each collector asks
/// through its own copy ([`Refresh::for_collector`]), which shares the rest.
pub struct Refresh<'c> {
    client: &'c JamfClient,
    shared: Arc<RefreshShared>,
    /// Whose requests these are: the `collector` label of deprecation notices.
    collector: &'static str,
}

struct RefreshShared {
    deadline: Instant,
    /// An authenticated request got a 2xx answer: `jamf_up`.
    authenticated_success: AtomicBool,
    /// This refresh's failed token request, answered to every later request at once.
    login_failure: LoginFailure,
    /// The DER of the leaf certificate Jamf presented on this refresh's latest HTTPS
    /// answer, for the `server_certificate` collector: it costs no connection of its own.
    peer_certificate: std::sync::Mutex<Option<Vec<u8>>>,
}

/// A response already read into memory.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    /// How long to wait before asking again: `Retry-After`, or for a 429 the rate
    /// limit's reset, whichever is later.
    pub(super) retry_after: Option<Duration>,
    /// A `Deprecation` or `Sunset` header, as `Name: value`.
    deprecation: Option<String>,
    pub(super) body: Bytes,
    /// The DER of the server's leaf certificate, over HTTPS.
    peer_certificate: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Authn {
    Bearer,
    None,
}

impl JamfClient {
    pub fn new(
        settings: ClientSettings,
        counters: ClientCounters,
    ) -> Result<JamfClient, ClientBuildError> {
        let http = build_http(&settings)?;
        Ok(JamfClient::with_http(
            settings,
            counters,
            http,
            Arc::new(RateGate::default()),
        ))
    }

    /// A client for one Jamf server over an HTTP client and a rate gate that may be
    /// shared.
    pub(super) fn with_http(
        settings: ClientSettings,
        counters: ClientCounters,
        http: reqwest::Client,
        rate: Arc<RateGate>,
    ) -> JamfClient {
        JamfClient {
            http,
            base_url: settings.base_url,
            api: settings.api,
            max_body_bytes: settings.max_body_bytes,
            in_flight: Semaphore::new(MAX_IN_FLIGHT),
            rate,
            tokens: Tokens::new(settings.auth),
            counters,
            deprecation_logged: std::sync::Mutex::new(HashSet::new()),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Starts a refresh that must end by `deadline`.
    pub fn begin_refresh(&self, deadline: Instant) -> Refresh<'_> {
        Refresh {
            client: self,
            shared: Arc::new(RefreshShared {
                deadline,
                authenticated_success: AtomicBool::new(false),
                login_failure: LoginFailure::default(),
                peer_certificate: std::sync::Mutex::new(None),
            }),
            collector: "",
        }
    }

    /// The GET for `route`: the one place where a Jamf Pro server and the Platform API
    /// gateway differ in what is sent (the path, the context header).
    fn get_request(
        &self,
        route: &Route,
        query: &[(&str, String)],
        token: Option<&Secret>,
    ) -> RequestBuilder {
        let url = self.api.url(&self.base_url, &route.path);
        let mut request = self.http.get(url).header("Accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        self.api.add_context(request)
    }

    /// Counts an answer that announced the end of its endpoint, and logs the first one
    /// of each collector.
    fn note_deprecation(&self, collector: &'static str, route: &Route, header: &str) {
        if collector.is_empty() {
            return;
        }
        self.counters.deprecated_responses.inc([collector, ""]);
        if lock(&self.deprecation_logged).insert(collector) {
            let path = self.api.url("", &route.path);
            tracing::warn!(
                collector,
                path = path.as_str(),
                header,
                "Jamf announced the end of an endpoint this collector uses; upgrade the exporter, or open an issue naming the path"
            );
        }
    }
}

impl<'c> Refresh<'c> {
    /// The same refresh, asking on behalf of `collector`.
    pub fn for_collector(&self, collector: &'static str) -> Refresh<'c> {
        Refresh {
            client: self.client,
            shared: Arc::clone(&self.shared),
            collector,
        }
    }
}

impl Refresh<'_> {
    /// The Jamf base URL.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// When this refresh must be over, retries included.
    pub fn deadline(&self) -> Instant {
        self.shared.deadline
    }

    /// The DER of the leaf certificate Jamf presented on this refresh's latest HTTPS
    /// answer; `None` over plain HTTP or before any answer arrived.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        lock(&self.shared.peer_certificate).clone()
    }

    /// `jamf_up` for this refresh: a bearer token was obtained or reused and an
    /// authenticated request got a 2xx answer.
    pub fn up(&self) -> bool {
        self.shared.authenticated_success.load(Ordering::SeqCst)
    }

    /// GET a JSON document with the bearer token.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        route: &Route,
        query: &[(&str, String)],
    ) -> Result<T, JamfError> {
        let body = self.get_ok(route, query, Authn::Bearer).await?;
        decode(route.template, &body)
    }

    /// GET a JSON document without a token (endpoints Jamf serves to anyone).
    pub async fn get_json_anonymous<T: DeserializeOwned>(
        &self,
        route: &Route,
    ) -> Result<T, JamfError> {
        let body = self.get_ok(route, &[], Authn::None).await?;
        decode(route.template, &body)
    }

    /// GET without a token, once, returning the status and body whatever the status:
    /// for `/healthCheck.html`, whose 503 carries a reading.
    pub async fn get_raw_once(&self, route: &Route) -> Result<(u16, Bytes), JamfError> {
        let answer = self
            .send_once(route, &[], Authn::None)
            .await
            .map_err(NoAnswer::into_error)?;
        Ok((answer.status.as_u16(), answer.body))
    }

    /// GETs until a final answer, with the bearer token when `authn` asks for it, and
    /// returns the body of a 2xx answer. An unexpected 401 renews the token once.
    pub(super) async fn get_ok(
        &self,
        route: &Route,
        query: &[(&str, String)],
        authn: Authn,
    ) -> Result<Bytes, JamfError> {
        let mut reauthenticated = false;
        let deadline = self.shared.deadline;
        loop {
            let answer =
                with_retries(route, deadline, || self.send_once(route, query, authn)).await?;
            let status = answer.status;
            let bearer = self.client.api.needs_token(matches!(authn, Authn::Bearer));
            if status.is_success() {
                if bearer {
                    self.shared
                        .authenticated_success
                        .store(true, Ordering::SeqCst);
                }
                return Ok(answer.body);
            }
            if status == StatusCode::UNAUTHORIZED && bearer && !reauthenticated {
                // The token may have been revoked or expired early: get a new one, once.
                // send_once has already forgotten the refused token.
                tracing::debug!(
                    endpoint = route.template,
                    "401 from Jamf; renewing the token and retrying once"
                );
                reauthenticated = true;
                continue;
            }
            return Err(self
                .client
                .api
                .error(route.template, status.as_u16(), &answer.body));
        }
    }

    /// Sends one GET. A token that cannot be had is `NoAnswer::NoToken`, which is never
    /// retried: the token request has had its own retries, and its failure stands for
    /// the rest of the refresh.
    async fn send_once(
        &self,
        route: &Route,
        query: &[(&str, String)],
        authn: Authn,
    ) -> Result<Answer, NoAnswer> {
        let client = self.client;
        let shared = &self.shared;
        let token = if client.api.needs_token(matches!(authn, Authn::Bearer)) {
            Some(
                client
                    .tokens
                    .bearer(client, &shared.login_failure, shared.deadline)
                    .await
                    .map_err(NoAnswer::NoToken)?,
            )
        } else {
            None
        };
        let request = client.get_request(route, query, token.as_ref().map(|(value, _)| value));
        let result = client.execute(route, request, shared.deadline).await;
        if let Ok(answer) = &result {
            if let Some(der) = &answer.peer_certificate {
                *lock(&shared.peer_certificate) = Some(der.clone());
            }
            if let Some(header) = &answer.deprecation {
                client.note_deprecation(self.collector, route, header);
            }
        }
        if let (Ok(answer), Some((_, generation))) = (&result, &token) {
            if answer.status == StatusCode::UNAUTHORIZED {
                client.tokens.forget(*generation).await;
            }
        }
        result.map_err(NoAnswer::Request)
    }
}

pub(super) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Held only for a clone or an assignment, so a poisoned value is still whole.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl JamfClient {
    /// Sends one request under the concurrency limit and reads its body within limits.
    async fn execute(
        &self,
        route: &Route,
        request: RequestBuilder,
        deadline: Instant,
    ) -> Result<Answer, JamfError> {
        let endpoint = route.template;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(JamfError::Timeout {
                endpoint: endpoint.to_owned(),
                detail: "the refresh ran out of time".to_owned(),
            });
        }
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| JamfError::Connect {
                endpoint: endpoint.to_owned(),
                detail: "client is shutting down".to_owned(),
            })?;
        // After the permit, so that at most the requests in flight were sent before an
        // answer closed the gate.
        self.rate.admit(endpoint, deadline).await?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(remaining, async {
            let response = request
                .send()
                .await
                .map_err(|e| JamfError::from_transport(endpoint, &e))?;
            let status = response.status();
            let peer_certificate = response
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(reqwest::tls::TlsInfo::peer_certificate)
                .map(<[u8]>::to_vec);
            let headers = response.headers();
            let retry_after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, chrono::Utc::now()));
            let rate = RateHeaders::read(headers);
            let wall = std::time::SystemTime::now();
            self.rate.observe(rate, wall);
            let rate_limited = status == StatusCode::TOO_MANY_REQUESTS;
            let wait = match (retry_after, rate.until_reset(wall)) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let deprecation = deprecation_header(headers);
            let body = read_limited(response, endpoint, self.max_body_bytes).await?;
            Ok::<_, JamfError>(Answer {
                status,
                retry_after: if rate_limited { wait } else { retry_after },
                deprecation,
                body,
                peer_certificate,
            })
        })
        .await
        .unwrap_or_else(|_| {
            Err(JamfError::Timeout {
                endpoint: endpoint.to_owned(),
                detail: "the refresh ran out of time".to_owned(),
            })
        });
        let code = match &outcome {
            Ok(answer) => answer.status.as_u16().to_string(),
            Err(_) => "error".to_owned(),
        };
        self.counters.requests.inc([endpoint, &code]);
        tracing::debug!(
            endpoint,
            code = code.as_str(),
            duration_ms = started.elapsed().as_millis() as u64,
            "jamf request"
        );
        outcome
    }

    /// POSTs to a token endpoint until a final answer.
    pub(super) async fn post(
        &self,
        route: &Route,
        deadline: Instant,
        add_credentials: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Answer, JamfError> {
        with_retries(route, deadline, || async {
            let url = self.api.url(&self.base_url, &route.path);
            let request = add_credentials(self.http.post(url).header("Accept", "application/json"));
            self.execute(route, request, deadline)
                .await
                .map_err(NoAnswer::Request)
        })
        .await
    }
}

/// The longest header value kept for the log: a hostile server's value is cut there.
const MAX_DEPRECATION_VALUE: usize = 120;

/// `Deprecation: value` or `Sunset: value` when the answer carries one, as printable
/// text of bounded length.
fn deprecation_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    ["Deprecation", "Sunset"].into_iter().find_map(|name| {
        let value = headers.get(name)?;
        let text: String = value
            .as_bytes()
            .iter()
            .map(|b| match b {
                0x20..=0x7e => char::from(*b),
                _ => '?',
            })
            .take(MAX_DEPRECATION_VALUE)
            .collect();
        Some(format!("{name}: {text}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids_are_percent_encoded() {
        let route = Route::with_id(
            "/api/v1/volume-purchasing-locations/{id}/content",
            "1/../2 x",
        );
        assert_eq!(
            route.path,
            "/api/v1/volume-purchasing-locations/1%2F..%2F2%20x/content"
        );
        assert_eq!(
            route.template,
            "/api/v1/volume-purchasing-locations/{id}/content"
        );
    }

    #[test]
    fn deprecation_headers_are_kept_printable_and_short() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(deprecation_header(&headers), None);
        headers.insert(
            "Sunset",
            reqwest::header::HeaderValue::from_bytes(b"Sat, 01 Jan 2028 \xff").unwrap(),
        );
        assert_eq!(
            deprecation_header(&headers).as_deref(),
            Some("Sunset: Sat, 01 Jan 2028 ?")
        );
        headers.insert(
            "Deprecation",
            reqwest::header::HeaderValue::from_str(&"x".repeat(500)).unwrap(),
        );
        let value = deprecation_header(&headers).unwrap();
        assert!(value.starts_with("Deprecation: xxx"));
        assert_eq!(value.len(), "Deprecation: ".len() + MAX_DEPRECATION_VALUE);
    }
}
