//! A simulated Jamf Pro server, served over real HTTP on loopback.
//!
//! It speaks the parts of the Jamf Pro API the exporter uses: both token
//! flows, the paged volume purchasing and device enrollment lists,
//! notifications, the built-in CA, the version, `/healthCheck.html`, and the
//! renewals (supervision identities, Cloud Services, SSO, cloud LDAP). `--demo`
//! points the real client at it; tests start it
//! with their own [`Dataset`] and inject [`Fault`]s; benchmarks give it
//! thousands of locations and added latency.
//!
//! Every request is recorded (never its secrets) so tests can assert on what
//! the client sent. The demo data is described in [`dataset`].
//!
//! Behaviour worth knowing in tests:
//! - routing comes before auth: an unknown path is 404 and a wrong method
//!   405 even without a token;
//! - `page-size` defaults to 100 and is clamped to `max_page_size`; a
//!   non-numeric or negative `page`, a `page-size` of 0 or a bad `sort` is 400;
//! - lists sort by `id` (numerically) unless `sort=field:asc|desc` is given;
//!   content keeps dataset order unless sorted;
//! - `Huge` and `Trickle` bodies are chunked, with no `Content-Length`;
//!   `CutShort` announces one and stops early;
//! - with [`SimulatorConfig::tls`] it serves HTTPS (HTTP/1.1 only) with the
//!   caller's certificate; a client that refuses it is simply disconnected;
//! - with [`SimulatorConfig::gateway`] it is a Jamf Platform API gateway in front
//!   of that Jamf Pro (tokens at `/auth/token`, Jamf Pro under `/pro` for one
//!   environment, a per-second limit counted before faults apply, a plain-text
//!   404 elsewhere); `--demo` never uses it;
//! - [`Simulator::add_header`] adds a header (`Deprecation`, `Sunset`) to the
//!   answers of any path, faults included.

mod codec;
pub mod dataset;
mod faults;
mod fleet;
mod gateway;
mod routes;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

pub use dataset::{Dataset, VppScriptStep, DEMO_VERSION};
pub use faults::{Fault, FaultRule};
pub use fleet::{fleet, DemoTarget, THRESHOLD_WARNING};
pub use gateway::{unix_seconds, GatewayRequest, GatewaySettings};

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// The most recent requests kept by [`Simulator::requests`]; older ones are
/// dropped so long benchmarks do not grow without bound. Counts are exact.
const MAX_RECORDED_REQUESTS: usize = 100_000;

/// The most recent token values kept by [`Simulator::issued_tokens`].
const MAX_RECORDED_TOKENS: usize = 10_000;

/// How long a TLS client may take to finish its handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the simulator accepts. `Debug` hides the secret and the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The fixed demo credentials: client `demo-client` / `demo-secret`,
    /// user `demo` / `demo`.
    pub fn demo() -> Self {
        Credentials {
            client_id: "demo-client".to_string(),
            client_secret: "demo-secret".to_string(),
            username: "demo".to_string(),
            password: "demo".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    pub dataset: Dataset,
    pub credentials: Credentials,
    /// Bearer token life. OAuth `expires_in` is this minus one second; a user
    /// token's `expires` is now plus this.
    pub token_lifetime: Duration,
    /// Server clamp of `page-size` (Jamf: 2000).
    pub max_page_size: usize,
    /// `POST /api/oauth/token` answers 404, as on servers that only have
    /// `/api/v1/oauth/token`.
    pub oauth_unversioned_missing: bool,
    /// Added before every answer.
    pub latency: Duration,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsIdentity>,
    /// The OAuth answer's `expires_in` as raw JSON text (`1e20`, `-5`, `"soon"`)
    /// instead of the token lifetime: any value a hostile server could send.
    pub raw_expires_in: Option<String>,
    /// The user token answer's `expires` as raw JSON text, likewise.
    pub raw_user_token_expires: Option<String>,
    /// Serve as a Jamf Platform API gateway in front of the Jamf Pro (tests only).
    pub gateway: Option<GatewaySettings>,
}

/// A server certificate chain and its private key, both PEM. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    /// The server certificate first, then any intermediates.
    pub cert_pem: String,
    /// PKCS#8, PKCS#1 or SEC1.
    pub key_pem: String,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl TlsIdentity {
    /// A rustls acceptor offering HTTP/1.1 (the only protocol the simulator speaks).
    fn acceptor(&self) -> std::io::Result<TlsAcceptor> {
        let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
        let certificates = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| invalid("simulator TLS: cert_pem is not valid PEM"))?;
        if certificates.is_empty() {
            return Err(invalid("simulator TLS: cert_pem holds no certificate"));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|_| invalid("simulator TLS: key_pem holds no private key"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&format!("simulator TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .map_err(|e| invalid(&format!("simulator TLS: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl SimulatorConfig {
    /// The demo district with the demo credentials, 30-minute tokens and
    /// Jamf's page clamp of 2000.
    pub fn demo() -> Self {
        SimulatorConfig {
            dataset: Dataset::demo(chrono::Utc::now()),
            credentials: Credentials::demo(),
            token_lifetime: Duration::from_secs(1800),
            max_page_size: 2000,
            oauth_unversioned_missing: false,
            latency: Duration::ZERO,
            tls: None,
            raw_expires_in: None,
            raw_user_token_expires: None,
            gateway: None,
        }
    }

    /// The demo district behind a Jamf Platform API gateway for `environment_id`, with
    /// the gateway's 900-second tokens.
    pub fn gateway(environment_id: &str) -> Self {
        SimulatorConfig {
            token_lifetime: Duration::from_secs(900),
            gateway: Some(GatewaySettings::new(environment_id)),
            ..SimulatorConfig::demo()
        }
    }
}

/// One request as the simulator saw it. Secrets are never stored: only the
/// kind of `Authorization` sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Without the query.
    pub path: String,
    /// The raw query string, empty when there was none.
    pub query: String,
    /// The status answered; 0 when no answer was sent (a `Reset` fault, or
    /// the client gave up first).
    pub status: u16,
    /// `"bearer"`, `"basic"` or `"none"` (anything else counts as none).
    pub auth: String,
}

/// A running simulator. Dropping it stops the server and every connection.
pub struct Simulator {
    addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds `127.0.0.1:0` and serves in a spawned task. Must be called
    /// within a tokio runtime.
    /// With [`SimulatorConfig::tls`] it serves HTTPS; a certificate or key that rustls
    /// cannot use is an `InvalidInput` error.
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Simulator> {
        let acceptor = config.tls.as_ref().map(TlsIdentity::acceptor).transpose()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            credentials: config.credentials,
            token_lifetime: config.token_lifetime,
            max_page_size: config.max_page_size.max(1),
            oauth_unversioned_missing: config.oauth_unversioned_missing,
            latency: config.latency,
            raw_expires_in: config.raw_expires_in,
            raw_user_token_expires: config.raw_user_token_expires,
            gateway: config
                .gateway
                .map(|settings| Mutex::new(gateway::GatewayState::new(settings))),
            state: Mutex::new(State {
                dataset: Arc::new(config.dataset),
                faults: Vec::new(),
                tokens: HashMap::new(),
                tokens_issued: 0,
                issued_tokens: VecDeque::new(),
                requests: VecDeque::new(),
                requests_dropped: 0,
                request_counts: HashMap::new(),
                vpp_list_answers: 0,
                added_headers: Vec::new(),
            }),
        });
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let task = tokio::spawn(serve(listener, acceptor, Arc::clone(&shared)));
        Ok(Simulator {
            addr,
            scheme,
            shared,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Adds a rule after the existing ones; the first matching rule wins.
    pub fn inject(&self, rule: FaultRule) {
        if rule.times != Some(0) {
            self.shared.lock().faults.push(rule);
        }
    }

    /// Adds header `name: value` to every answer for a path matching `path` (exact, or
    /// a prefix ending in `*`), as Jamf marks a deprecated endpoint with `Deprecation`
    /// or `Sunset`.
    pub fn add_header(&self, path: &str, name: &str, value: &str) {
        self.shared
            .lock()
            .added_headers
            .push((path.to_owned(), name.to_owned(), value.to_owned()));
    }

    /// With a gateway: it now serves this environment (and no longer the previous one).
    pub fn gateway_accept(&self, environment_id: &str) {
        if let Some(gateway) = &self.shared.gateway {
            gateway::lock(gateway).settings.environment_id = environment_id.to_owned();
        }
    }

    /// With a gateway: changes its limit of requests per second.
    pub fn gateway_limit(&self, requests_per_second: u64) {
        if let Some(gateway) = &self.shared.gateway {
            gateway::lock(gateway).settings.requests_per_second = requests_per_second;
        }
    }

    /// With a gateway: every request before Unix second `reset` is answered 429 with
    /// `x-ratelimit-reset: reset`, as when another integration of the same client has
    /// used up the limit.
    pub fn gateway_exhaust_until(&self, reset: u64) {
        if let Some(gateway) = &self.shared.gateway {
            gateway::lock(gateway).exhaust_until(reset);
        }
    }

    /// With a gateway: the requests it received, oldest first (the most recent 100 000).
    pub fn gateway_requests(&self) -> Vec<GatewayRequest> {
        match &self.shared.gateway {
            Some(gateway) => gateway::lock(gateway).requests.iter().cloned().collect(),
            None => Vec::new(),
        }
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every bearer token issued so far is rejected from now on.
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    /// Changes the served data; requests in flight keep the data they started with.
    pub fn update_dataset(&self, f: impl FnOnce(&mut Dataset)) {
        let mut state = self.shared.lock();
        f(Arc::make_mut(&mut state.dataset));
    }

    /// The recorded requests, oldest first (the most recent 100 000).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Requests received for exactly this path (no query), faults included.
    pub fn request_count(&self, path: &str) -> usize {
        self.shared
            .lock()
            .request_counts
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Tokens handed out by all token endpoints, keep-alive included.
    pub fn tokens_issued(&self) -> usize {
        self.shared.lock().tokens_issued
    }

    /// The bearer token values handed out, oldest first (the most recent 10 000), so
    /// tests can check that none of them leaks.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued_tokens.iter().cloned().collect()
    }

    /// How many listings (page-0 answers) the VPP list endpoint has given;
    /// this is what [`VppScriptStep::after_list_requests`] counts.
    pub fn vpp_list_answers(&self) -> usize {
        self.shared.lock().vpp_list_answers
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // A cancelled task reports an error by design; nothing to handle.
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

struct Shared {
    credentials: Credentials,
    token_lifetime: Duration,
    max_page_size: usize,
    oauth_unversioned_missing: bool,
    latency: Duration,
    raw_expires_in: Option<String>,
    raw_user_token_expires: Option<String>,
    gateway: Option<Mutex<gateway::GatewayState>>,
    state: Mutex<State>,
}

struct State {
    /// Shared with requests in flight; `update_dataset` copies on write.
    dataset: Arc<Dataset>,
    faults: Vec<FaultRule>,
    /// Valid bearer tokens and when they expire (`None`: never, for
    /// lifetimes too long to represent).
    tokens: HashMap<String, Option<Instant>>,
    tokens_issued: usize,
    /// The values behind `tokens_issued`, the most recent `MAX_RECORDED_TOKENS`.
    issued_tokens: VecDeque<String>,
    requests: VecDeque<RecordedRequest>,
    /// Requests pushed out of `requests`, so a sequence number still finds
    /// its entry.
    requests_dropped: usize,
    request_counts: HashMap<String, usize>,
    vpp_list_answers: usize,
    /// Headers added to the answers of matching paths: (path pattern, name, value).
    added_headers: Vec<(String, String, String)>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves the data usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a request as it arrives (so it counts even if the client
    /// gives up) and picks the first matching fault, using up one of its
    /// `times`. Returns the request's sequence number and the fault.
    fn arrive(&self, request: RecordedRequest) -> (usize, Option<Fault>) {
        let mut state = self.lock();
        *state
            .request_counts
            .entry(request.path.clone())
            .or_insert(0) += 1;
        let fault = match state.faults.iter().position(|r| r.matches(&request.path)) {
            Some(index) => {
                let rule = &mut state.faults[index];
                let fault = rule.fault.clone();
                if let Some(times) = rule.times.as_mut() {
                    *times = times.saturating_sub(1);
                    if *times == 0 {
                        state.faults.remove(index);
                    }
                }
                Some(fault)
            }
            None => None,
        };
        let sequence = state.requests_dropped + state.requests.len();
        state.requests.push_back(request);
        if state.requests.len() > MAX_RECORDED_REQUESTS {
            state.requests.pop_front();
            state.requests_dropped += 1;
        }
        (sequence, fault)
    }

    fn answered(&self, sequence: usize, status: u16) {
        let mut state = self.lock();
        if let Some(index) = sequence.checked_sub(state.requests_dropped) {
            if let Some(entry) = state.requests.get_mut(index) {
                entry.status = status;
            }
        }
    }

    fn issue_token(&self) -> String {
        let token = format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.{}",
            random_text(48),
            random_text(43)
        );
        let expires = Instant::now().checked_add(self.token_lifetime);
        let mut state = self.lock();
        let now = Instant::now();
        // Forget expired tokens so long runs do not accumulate them.
        state.tokens.retain(|_, expires| match expires {
            Some(at) => *at > now,
            None => true,
        });
        state.tokens.insert(token.clone(), expires);
        state.tokens_issued += 1;
        state.issued_tokens.push_back(token.clone());
        if state.issued_tokens.len() > MAX_RECORDED_TOKENS {
            state.issued_tokens.pop_front();
        }
        token
    }

    fn token_valid(&self, token: &str) -> bool {
        match self.lock().tokens.get(token) {
            Some(Some(expires)) => Instant::now() < *expires,
            Some(None) => true,
            None => false,
        }
    }

    fn invalidate_token(&self, token: &str) {
        self.lock().tokens.remove(token);
    }

    fn dataset(&self) -> Arc<Dataset> {
        Arc::clone(&self.lock().dataset)
    }
}

fn random_text(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// Accepts until the task is aborted. Connections live in a `JoinSet` owned
/// by this task, so aborting it closes them all.
async fn serve(listener: TcpListener, acceptor: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small JSON answers would otherwise wait on Nagle.
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    let acceptor = acceptor.clone();
                    connections.spawn(async move {
                        match acceptor {
                            None => serve_connection(TokioIo::new(stream), shared).await,
                            Some(acceptor) => {
                                // A failed handshake (say, a client that does not trust
                                // the certificate) just ends the connection.
                                let handshake = tokio::time::timeout(
                                    TLS_HANDSHAKE_TIMEOUT,
                                    acceptor.accept(stream),
                                );
                                if let Ok(Ok(tls)) = handshake.await {
                                    serve_connection(TokioIo::new(tls), shared).await;
                                }
                            }
                        }
                    });
                }
                // Out of file descriptors under benchmark load: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection<I>(io: TokioIo<I>, shared: Arc<Shared>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { routes::handle(&shared, request).await }
    });
    // Client hang-ups and Reset faults end here; nothing to report.
    let _ = http1::Builder::new().serve_connection(io, service).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod fuzz_seeds;
