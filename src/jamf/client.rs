//! The HTTP client for one Jamf Pro server: bearer tokens, retries, paging, limits.
//!
//! `docs/jamf-connection.md` describes this behaviour for operators (TLS, proxies,
//! timeouts, retries, limits); keep the two in step.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use prometheus::IntCounterVec;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::error::{truncate, JamfError};
use super::model::{OAuthToken, Page, UserToken};
use crate::secret::Secret;

/// Jamf asks clients for at most 5 concurrent connections; we keep one in reserve.
pub const MAX_IN_FLIGHT: usize = 4;
/// The largest page the server honours; it clamps larger requests silently.
pub const PAGE_SIZE: usize = 2000;
/// Responses larger than this are refused rather than buffered.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// One request plus this many retries for 5xx, 429, timeouts and connection errors.
const MAX_ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Pages of one list walked at most, against a server whose totalCount never adds up.
const MAX_PAGES: usize = 10_000;
/// The longest a token is kept, whatever lifetime the server claims for it.
const MAX_TOKEN_CACHE: Duration = Duration::from_secs(24 * 60 * 60);
/// The lifetime assumed for an OAuth token whose answer gives none.
const DEFAULT_OAUTH_LIFETIME: Duration = Duration::from_secs(60);
/// The lifetime assumed for a user token whose answer gives no usable expiry.
const DEFAULT_USER_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

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

/// How the exporter logs in to Jamf: an API client (recommended) or a local account.
#[derive(Debug, Clone)]
pub enum Auth {
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    User {
        username: String,
        password: Secret,
    },
}

pub struct ClientSettings {
    /// Base URL without a trailing slash.
    pub base_url: String,
    pub auth: Auth,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub proxy: ProxySettings,
}

/// Which HTTP proxy, if any, requests to Jamf go through.
#[derive(Clone, PartialEq, Eq)]
pub enum ProxySettings {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (or their lower-case
    /// forms), read once when the client is built. This is what the binary uses.
    ///
    /// A Jamf URL on loopback (`localhost`, `127.0.0.0/8`, `::1`) is always reached
    /// directly, as Go's `net/http` does for Prometheus and its exporters: a proxy on
    /// another machine could not reach this machine's loopback, and `--demo` serves its
    /// simulated Jamf Pro there.
    FromEnv,
    /// Every request goes through the proxy at `url`, except to hosts that `no_proxy`
    /// matches (the `NO_PROXY` syntax: comma-separated host names, which also match their
    /// subdomains, IP addresses, CIDR ranges, or `*`). Loopback gets no special case.
    Explicit {
        url: String,
        no_proxy: Option<String>,
    },
    /// No proxy, whatever the environment says.
    Direct,
}

impl fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySettings::FromEnv => f.write_str("FromEnv"),
            ProxySettings::Direct => f.write_str("Direct"),
            // A proxy URL may carry a user name and password.
            ProxySettings::Explicit { url, no_proxy } => f
                .debug_struct("Explicit")
                .field("url", &without_credentials(url))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

/// A URL for display, with any user name and password replaced.
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                // Both setters only fail for URLs that cannot have credentials.
                let _ = parsed.set_username("redacted");
                let _ = parsed.set_password(None);
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// True when a `NO_PROXY` list holds `*`. reqwest matches `*` against host names only,
/// so a Jamf URL with an IP address would still go to the proxy; curl and Go take `*` to
/// mean every host, and so does this client.
fn excludes_every_host(no_proxy: Option<&str>) -> bool {
    no_proxy.is_some_and(|list| list.split(',').any(|entry| entry.trim() == "*"))
}

/// True when the URL's host is `localhost` (or under `.localhost`) or a loopback address.
fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|parsed| parsed.host_str().map(str::to_ascii_lowercase))
    else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => {
            let name = host.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("--jamf.ca-file: cannot read {path}: {source}")]
    ReadCa {
        path: String,
        source: std::io::Error,
    },
    #[error("--jamf.ca-file: {path} holds no usable PEM certificate ({detail})")]
    ParseCa { path: String, detail: String },
    /// The detail never repeats the URL, which may hold a password.
    #[error("the proxy URL is not usable: {0}")]
    Proxy(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

struct BearerToken {
    value: Secret,
    renew_after: Instant,
    generation: u64,
}

/// Talks to one Jamf Pro server. The only code in the exporter that does Jamf I/O.
///
/// Requests go through a [`Refresh`], which carries what belongs to one refresh (its
/// deadline, `jamf_up`, its failed token request); the client keeps only what outlives
/// a refresh: the HTTP connection pool, the cached token and the request counter.
pub struct JamfClient {
    http: reqwest::Client,
    base_url: String,
    auth: Auth,
    max_body_bytes: usize,
    in_flight: Semaphore,
    token: Mutex<Option<BearerToken>>,
    generation: AtomicU64,
    oauth_versioned: AtomicBool,
    requests: IntCounterVec,
}

/// One refresh's use of the client. Every request of a refresh goes through it, so
/// nothing about one refresh is remembered in the client itself.
pub struct Refresh<'c> {
    client: &'c JamfClient,
    deadline: Instant,
    /// An authenticated request got a 2xx answer: `jamf_up`.
    authenticated_success: AtomicBool,
    /// This refresh's failed token request. Refused credentials cost one failed login
    /// per refresh, not one per collector: Jamf may lock a local account after a few.
    token_failure: std::sync::Mutex<Option<JamfError>>,
    /// The DER of the leaf certificate Jamf presented on this refresh's latest HTTPS
    /// answer, for the `server_certificate` collector: it costs no connection of its own.
    peer_certificate: std::sync::Mutex<Option<Vec<u8>>>,
}

/// A response already read into memory.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Bytes,
    /// The DER of the server's leaf certificate, over HTTPS.
    peer_certificate: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy)]
enum Authn {
    Bearer,
    None,
}

impl JamfClient {
    /// `requests` is `jamf_exporter_api_requests_total{endpoint, code}`.
    pub fn new(
        settings: ClientSettings,
        requests: IntCounterVec,
    ) -> Result<JamfClient, ClientBuildError> {
        let http = build_http(&settings)?;
        Ok(JamfClient::with_http(settings, requests, http))
    }

    /// A client for one Jamf server over an HTTP client that may be shared.
    fn with_http(
        settings: ClientSettings,
        requests: IntCounterVec,
        http: reqwest::Client,
    ) -> JamfClient {
        JamfClient {
            http,
            base_url: settings.base_url,
            auth: settings.auth,
            max_body_bytes: settings.max_body_bytes,
            in_flight: Semaphore::new(MAX_IN_FLIGHT),
            token: Mutex::new(None),
            generation: AtomicU64::new(0),
            oauth_versioned: AtomicBool::new(false),
            requests,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Starts a refresh that must end by `deadline`.
    pub fn begin_refresh(&self, deadline: Instant) -> Refresh<'_> {
        Refresh {
            client: self,
            deadline,
            authenticated_success: AtomicBool::new(false),
            token_failure: std::sync::Mutex::new(None),
            peer_certificate: std::sync::Mutex::new(None),
        }
    }
}

/// The HTTP client for one set of connection settings.
fn build_http(settings: &ClientSettings) -> Result<reqwest::Client, ClientBuildError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        // A redirect could carry the token request's body (the client secret) to
        // another host; Jamf's API does not redirect, so a 3xx is an error instead.
        .redirect(reqwest::redirect::Policy::none())
        // Hands each answer the server's certificate (see `peer_certificate`).
        .tls_info(true)
        .user_agent(concat!("jamf_exporter/", env!("CARGO_PKG_VERSION")));
    let env_no_proxy = || {
        // reqwest's order: the first of the two that is set wins.
        std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .ok()
    };
    builder = match &settings.proxy {
        ProxySettings::FromEnv if is_loopback_url(&settings.base_url) => builder.no_proxy(),
        ProxySettings::FromEnv if excludes_every_host(env_no_proxy().as_deref()) => {
            builder.no_proxy()
        }
        // reqwest reads the environment itself when no proxy is configured.
        ProxySettings::FromEnv => builder,
        ProxySettings::Direct => builder.no_proxy(),
        ProxySettings::Explicit { no_proxy, .. } if excludes_every_host(no_proxy.as_deref()) => {
            builder.no_proxy()
        }
        ProxySettings::Explicit { url, no_proxy } => {
            let proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|_| {
                    ClientBuildError::Proxy("expected e.g. http://proxy.example:3128".into())
                })?
                .no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
            builder.proxy(proxy)
        }
    };
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|source| ClientBuildError::ReadCa {
            path: path.display().to_string(),
            source,
        })?;
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientBuildError::ParseCa {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        if certificates.is_empty() {
            return Err(ClientBuildError::ParseCa {
                path: path.display().to_string(),
                detail: "no certificate found".to_owned(),
            });
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|e| ClientBuildError::Build(e.to_string()))
}

/// The connection settings that decide how an HTTP client is built.
#[derive(PartialEq)]
struct HttpKey {
    timeout: Duration,
    ca_file: Option<PathBuf>,
    proxy: ProxySettings,
    loopback: bool,
}

/// HTTP clients shared by the Jamf servers whose connection settings are the same
/// (timeout, CA file, proxy). Each server keeps its own token, request limit and
/// counters; the TLS configuration, the root certificates and the connection pool are
/// built once. One client per server cost about 330 kB each (docs/benchmarks.md).
#[derive(Default)]
pub struct SharedHttp {
    built: std::sync::Mutex<Vec<(HttpKey, reqwest::Client)>>,
}

impl SharedHttp {
    /// A client for one Jamf server, over an HTTP client built for the same settings
    /// before, if any.
    pub fn client(
        &self,
        settings: ClientSettings,
        requests: IntCounterVec,
    ) -> Result<JamfClient, ClientBuildError> {
        let key = HttpKey {
            timeout: settings.timeout,
            ca_file: settings.ca_file.clone(),
            proxy: settings.proxy.clone(),
            loopback: is_loopback_url(&settings.base_url),
        };
        let mut built = lock(&self.built);
        let http = match built.iter().find(|(known, _)| *known == key) {
            Some((_, http)) => http.clone(),
            None => {
                let http = build_http(&settings)?;
                built.push((key, http.clone()));
                http
            }
        };
        Ok(JamfClient::with_http(settings, requests, http))
    }
}

impl Refresh<'_> {
    /// The Jamf base URL.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// When this refresh must be over, retries included.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The DER of the leaf certificate Jamf presented on this refresh's latest HTTPS
    /// answer; `None` over plain HTTP or before any answer arrived.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        lock(&self.peer_certificate).clone()
    }

    /// `jamf_up` for this refresh: a bearer token was obtained or reused and an
    /// authenticated request got a 2xx answer.
    pub fn up(&self) -> bool {
        self.authenticated_success.load(Ordering::SeqCst)
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
        let answer = self.send_once(route, &[], Authn::None).await?;
        Ok((answer.status.as_u16(), answer.body))
    }

    /// Walks a paged list with the largest page size, stopping when `totalCount` items
    /// have arrived (never inferring the page count from the size asked for).
    pub async fn get_all_pages<T: DeserializeOwned>(
        &self,
        route: &Route,
        sort: &str,
    ) -> Result<Vec<T>, JamfError> {
        let mut items: Vec<T> = Vec::new();
        for page in 0..MAX_PAGES {
            let query = [
                ("page", page.to_string()),
                ("page-size", PAGE_SIZE.to_string()),
                ("sort", sort.to_owned()),
            ];
            let answer: Page<T> = self.get_json(route, &query).await?;
            let received = answer.results.len();
            items.extend(answer.results);
            let done = match answer.total_count {
                Some(total) => items.len() as u64 >= total || received == 0,
                None => received == 0,
            };
            if done {
                return Ok(items);
            }
        }
        Err(JamfError::Decode {
            endpoint: route.template.to_owned(),
            detail: format!("more than {MAX_PAGES} pages; totalCount never reached"),
        })
    }

    async fn get_ok(
        &self,
        route: &Route,
        query: &[(&str, String)],
        authn: Authn,
    ) -> Result<Bytes, JamfError> {
        let mut reauthenticated = false;
        loop {
            let answer =
                with_retries(route, self.deadline, || self.send_once(route, query, authn)).await?;
            let status = answer.status;
            if status.is_success() {
                if matches!(authn, Authn::Bearer) {
                    self.authenticated_success.store(true, Ordering::SeqCst);
                }
                return Ok(answer.body);
            }
            if status == StatusCode::UNAUTHORIZED
                && matches!(authn, Authn::Bearer)
                && !reauthenticated
            {
                // The token may have been revoked or expired early: get a new one, once.
                // send_once has already forgotten the refused token.
                tracing::debug!(
                    endpoint = route.template,
                    "401 from Jamf; renewing the token and retrying once"
                );
                reauthenticated = true;
                continue;
            }
            return Err(JamfError::from_status(route.template, status.as_u16()));
        }
    }

    async fn send_once(
        &self,
        route: &Route,
        query: &[(&str, String)],
        authn: Authn,
    ) -> Result<Answer, JamfError> {
        let client = self.client;
        let token = match authn {
            Authn::Bearer => Some(self.bearer().await?),
            Authn::None => None,
        };
        let url = format!("{}{}", client.base_url, route.path);
        let mut request = client.http.get(url).header("Accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some((value, _)) = &token {
            request = request.bearer_auth(value.expose());
        }
        let result = client.execute(route, request, self.deadline).await;
        if let Some(der) = result
            .as_ref()
            .ok()
            .and_then(|answer| answer.peer_certificate.clone())
        {
            *lock(&self.peer_certificate) = Some(der);
        }
        if let (Ok(answer), Some((_, generation))) = (&result, &token) {
            if answer.status == StatusCode::UNAUTHORIZED {
                client.forget_token(*generation).await;
            }
        }
        result
    }

    /// The current bearer token, obtaining a new one when none is cached or it is close
    /// to expiry. Renewal is serialised: parallel collectors wait for one token request,
    /// and once it has failed, nothing else in this refresh asks again.
    async fn bearer(&self) -> Result<(Secret, u64), JamfError> {
        let client = self.client;
        let mut slot = client.token.lock().await;
        if let Some(token) = slot.as_ref() {
            if Instant::now() < token.renew_after {
                return Ok((token.value.clone(), token.generation));
            }
        }
        if let Some(error) = lock(&self.token_failure).clone() {
            return Err(error);
        }
        let (value, lifetime) = match client.obtain_token(self.deadline).await {
            Ok(obtained) => obtained,
            Err(error) => {
                *lock(&self.token_failure) = Some(error.clone());
                return Err(error);
            }
        };
        let generation = client.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *slot = Some(BearerToken {
            value: value.clone(),
            renew_after: renewal_time(Instant::now(), lifetime),
            generation,
        });
        Ok((value, generation))
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Held only for a clone or an assignment, so a poisoned value is still whole.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// When a token obtained at `now` with `lifetime` should be renewed: well before it
/// expires (lifetimes as short as 60 s are seen in the wild), and never later than
/// `MAX_TOKEN_CACHE` whatever lifetime the server claims.
fn renewal_time(now: Instant, lifetime: Duration) -> Instant {
    let margin = Duration::from_secs(300).min(lifetime / 3);
    let kept = lifetime.saturating_sub(margin).min(MAX_TOKEN_CACHE);
    now.checked_add(kept).unwrap_or(now)
}

/// The lifetime an OAuth answer's `expires_in` gives. A missing, zero or negative value
/// is taken as the shortest lifetime seen in practice; one that is no duration at all
/// (1e20 seconds) makes the answer unusable.
fn oauth_lifetime(expires_in: Option<f64>, endpoint: &str) -> Result<Duration, JamfError> {
    match expires_in {
        Some(seconds) if seconds > 0.0 => {
            Duration::try_from_secs_f64(seconds).map_err(|_| JamfError::Decode {
                endpoint: endpoint.to_owned(),
                detail: "expires_in is not a usable number of seconds".to_owned(),
            })
        }
        _ => Ok(DEFAULT_OAUTH_LIFETIME),
    }
}

/// The lifetime a user token's `expires` gives, measured from `now`; unknown or past
/// expiries fall back to a short default.
fn user_token_lifetime(
    expires: Option<&serde_json::Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    expires
        .and_then(expiry_from_json)
        .and_then(|expires| (expires - now).to_std().ok())
        .filter(|lifetime| !lifetime.is_zero())
        .unwrap_or(DEFAULT_USER_TOKEN_LIFETIME)
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
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, chrono::Utc::now()));
            let body = read_limited(response, endpoint, self.max_body_bytes).await?;
            Ok::<_, JamfError>(Answer {
                status,
                retry_after,
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
        self.requests.with_label_values(&[endpoint, &code]).inc();
        tracing::debug!(
            endpoint,
            code = code.as_str(),
            duration_ms = started.elapsed().as_millis() as u64,
            "jamf request"
        );
        outcome
    }

    /// Forgets the token only if it is still the one that was refused.
    async fn forget_token(&self, generation: u64) {
        let mut slot = self.token.lock().await;
        if slot
            .as_ref()
            .is_some_and(|token| token.generation == generation)
        {
            *slot = None;
        }
    }

    async fn obtain_token(&self, deadline: Instant) -> Result<(Secret, Duration), JamfError> {
        match &self.auth {
            Auth::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose()),
                ];
                let mut versioned = self.oauth_versioned.load(Ordering::SeqCst);
                loop {
                    let route = Route::fixed(if versioned {
                        "/api/v1/oauth/token"
                    } else {
                        "/api/oauth/token"
                    });
                    let answer = self
                        .post_token(&route, deadline, |request| request.form(&form))
                        .await?;
                    if answer.status == StatusCode::NOT_FOUND && !versioned {
                        // Servers without the unversioned path have the /v1 one.
                        versioned = true;
                        self.oauth_versioned.store(true, Ordering::SeqCst);
                        continue;
                    }
                    let token: OAuthToken = token_answer(&route, answer)?;
                    let lifetime = oauth_lifetime(token.expires_in, route.template)?;
                    return Ok((Secret::new(token.access_token), lifetime));
                }
            }
            Auth::User { username, password } => {
                let route = Route::fixed("/api/v1/auth/token");
                let answer = self
                    .post_token(&route, deadline, |request| {
                        request.basic_auth(username, Some(password.expose()))
                    })
                    .await?;
                let token: UserToken = token_answer(&route, answer)?;
                let lifetime = user_token_lifetime(token.expires.as_ref(), chrono::Utc::now());
                Ok((Secret::new(token.token), lifetime))
            }
        }
    }

    async fn post_token(
        &self,
        route: &Route,
        deadline: Instant,
        add_credentials: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Answer, JamfError> {
        with_retries(route, deadline, || {
            let url = format!("{}{}", self.base_url, route.path);
            let request = add_credentials(self.http.post(url).header("Accept", "application/json"));
            self.execute(route, request, deadline)
        })
        .await
    }
}

/// Runs `send` until it gives a final answer. 5xx, 408, 429, timeouts and connection
/// errors are retried with exponential backoff and jitter (or `Retry-After`), up to
/// `MAX_ATTEMPTS`; a wait that would end past the deadline is not started, so the last
/// answer or error is returned instead. Certificate failures are not retried: they do
/// not fix themselves within seconds.
async fn with_retries<F, Fut>(
    route: &Route,
    deadline: Instant,
    mut send: F,
) -> Result<Answer, JamfError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Answer, JamfError>>,
{
    let mut attempt = 1;
    loop {
        let result = send().await;
        let (retryable, retry_after) = match &result {
            Ok(answer) => (is_retryable_status(answer.status), answer.retry_after),
            Err(JamfError::Timeout { .. } | JamfError::Connect { .. }) => (true, None),
            Err(_) => (false, None),
        };
        if !retryable || attempt >= MAX_ATTEMPTS {
            return result;
        }
        let delay = retry_after.unwrap_or_else(|| backoff(attempt));
        if delay >= deadline.saturating_duration_since(Instant::now()) {
            return result;
        }
        tracing::debug!(
            endpoint = route.template,
            attempt,
            delay_ms = delay.as_millis() as u64,
            "retrying a failed Jamf request"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// Interprets a token endpoint's answer. 400 and 401 mean the credentials were refused;
/// the body is never quoted, since it may echo what was sent.
fn token_answer<T: DeserializeOwned>(route: &Route, answer: Answer) -> Result<T, JamfError> {
    let status = answer.status.as_u16();
    match status {
        200..=299 => serde_json::from_slice(&answer.body).map_err(|_| JamfError::Decode {
            endpoint: route.template.to_owned(),
            detail: "the token response is not the expected JSON".to_owned(),
        }),
        400 | 401 => Err(JamfError::Auth {
            endpoint: route.template.to_owned(),
            detail: format!("HTTP {status}: Jamf refused the credentials"),
        }),
        _ => Err(JamfError::from_status(route.template, status)),
    }
}

fn expiry_from_json(value: &serde_json::Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match value {
        serde_json::Value::String(text) => super::dates::parse(text),
        serde_json::Value::Number(number) => number.as_i64().and_then(super::dates::from_epoch),
        _ => None,
    }
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Exponential backoff with ±50 % jitter: about 0.5 s, 1 s, 2 s …, capped.
fn backoff(attempt: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << (attempt - 1).min(10))
        .min(MAX_BACKOFF);
    base.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After` as seconds or an HTTP date. Any size is accepted here: the retry loop
/// compares it with the time the refresh has left and never waits past that.
fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&chrono::Utc) - now).to_std().ok()
}

/// Reads a body, refusing one larger than `max` bytes without buffering it whole.
async fn read_limited(
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
fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, JamfError> {
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
    fn loopback_urls_are_recognised() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "https://localhost",
            "https://LOCALHOST.:8443",
            "http://jamf.localhost",
            "http://[::1]:9000",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://lakeviewusd.jamfcloud.com",
            "https://localhost.example.org",
            "http://10.0.0.1",
            "http://[::2]",
            "not a url",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn no_proxy_star_is_found_among_other_entries() {
        assert!(excludes_every_host(Some("*")));
        assert!(excludes_every_host(Some("example.org, * ,10.0.0.0/8")));
        assert!(!excludes_every_host(Some("*.example.org")));
        assert!(!excludes_every_host(Some("")));
        assert!(!excludes_every_host(None));
    }

    #[test]
    fn proxy_credentials_never_print() {
        let settings = ProxySettings::Explicit {
            url: "http://ops:hunter2@proxy.lakeview.test:3128".to_owned(),
            no_proxy: None,
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("ops"), "{printed}");
        assert!(printed.contains("proxy.lakeview.test:3128"), "{printed}");
    }

    #[test]
    fn an_unusable_proxy_url_is_a_build_error_without_the_url() {
        let settings = ClientSettings {
            base_url: "https://lakeviewusd.jamfcloud.com".to_owned(),
            auth: Auth::ClientCredentials {
                client_id: "id".to_owned(),
                client_secret: Secret::new("secret".to_owned()),
            },
            timeout: Duration::from_secs(5),
            ca_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: ProxySettings::Explicit {
                url: "http://ops:hunter2@[bad".to_owned(),
                no_proxy: None,
            },
        };
        let requests = IntCounterVec::new(
            prometheus::Opts::new("requests_total", "requests"),
            &["endpoint", "code"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        match JamfClient::new(settings, requests) {
            Err(error @ ClientBuildError::Proxy(_)) => {
                assert!(!error.to_string().contains("hunter2"), "{error}")
            }
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("an unparseable proxy URL was accepted"),
        }
    }

    #[test]
    fn servers_with_the_same_connection_settings_share_one_http_client() {
        let settings = |url: &str, timeout: u64| ClientSettings {
            base_url: url.to_owned(),
            auth: Auth::ClientCredentials {
                client_id: "id".to_owned(),
                client_secret: Secret::new("secret".to_owned()),
            },
            timeout: Duration::from_secs(timeout),
            ca_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: ProxySettings::Direct,
        };
        let requests = || {
            IntCounterVec::new(
                prometheus::Opts::new("requests_total", "requests"),
                &["endpoint", "code"],
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let shared = SharedHttp::default();
        for (url, timeout) in [
            ("https://a.jamfcloud.com", 30),
            ("https://b.jamfcloud.com", 30),
            ("https://c.jamfcloud.com", 10),
        ] {
            let client = shared
                .client(settings(url, timeout), requests())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(client.base_url(), url, "each server keeps its own URL");
        }
        assert_eq!(
            lock(&shared.built).len(),
            2,
            "one HTTP client per set of settings"
        );
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = chrono::Utc::now();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            None
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("9300000000000000000", now),
            Some(Duration::from_secs(9_300_000_000_000_000_000))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let delay = backoff(attempt);
            assert!(delay <= MAX_BACKOFF.mul_f64(1.5), "{attempt}: {delay:?}");
        }
        assert!(backoff(1) <= Duration::from_millis(750));
    }

    #[test]
    fn decode_errors_name_the_field_path() {
        let error = decode::<Page<super::super::model::VppLocation>>(
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
        let error =
            decode::<Page<super::super::model::VppLocation>>("/x", br#"{"totalCount":1,"resu"#);
        assert!(matches!(error, Err(JamfError::Decode { .. })));
    }
}
