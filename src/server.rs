//! The HTTP side: listeners, connections, admission and the web configuration, then
//! `routes` for the endpoints.
//!
//! Nothing here talks to Jamf: every answer is rendered from the current snapshots.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::web_config::{self, AuthDecision, WebConfig, WebConfigWatcher};

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

mod routes;

pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What every request handler shares.
pub struct AppState {
    pub telemetry_path: String,
    /// `None` when `--web.max-requests 0`.
    pub admission: Option<Arc<Semaphore>>,
    pub web: WebSource,
    /// A debug build's injected panic (see `injected`): the first connection panics the
    /// server task itself.
    pub panic_on_connection: bool,
    /// The targets: one for a single server, the shard's for `--config.file`.
    pub fleet: Arc<crate::targets::Fleet>,
    /// `--web.sd-address`: how `/sd` names this replica; `None`: the request's `Host`.
    pub sd_address: Option<String>,
    /// `--web.timezone`, for the dates of the pages and the calendar.
    pub timezone: chrono_tz::Tz,
}

/// Where the web configuration comes from: fixed (no `--web.config.file`), or a file
/// that is re-read when it changes.
pub enum WebSource {
    Fixed(Arc<WebConfig>),
    Watched(WebConfigWatcher),
}

impl WebSource {
    pub fn current(&self) -> Arc<WebConfig> {
        match self {
            WebSource::Fixed(config) => config.clone(),
            WebSource::Watched(watcher) => watcher.current(),
        }
    }
}

/// A response body sent as a series of chunks, with its exact length known up front
/// (so it goes out with `Content-Length`). It may hold the request's admission permit,
/// which is then released only once the body has been sent or dropped.
pub struct Body {
    chunks: VecDeque<Bytes>,
    remaining: u64,
    permit: Option<OwnedSemaphorePermit>,
}

impl Body {
    pub fn from_chunks(chunks: Vec<Bytes>) -> Body {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Body {
            chunks,
            remaining,
            permit: None,
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::from_chunks(vec![bytes])
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let chunk = self.chunks.pop_front();
        match &chunk {
            Some(chunk) => self.remaining -= chunk.len() as u64,
            // The last byte is out: the next request may take this one's place.
            None => self.permit = None,
        }
        Poll::Ready(chunk.map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A listen address that could not be bound.
#[derive(Debug, thiserror::Error)]
// The OS error is part of the message and deliberately not a `source`: `{:#}` would
// print it twice.
#[error("--web.listen-address: cannot listen on {address}: {error}")]
pub struct BindError {
    pub address: String,
    pub error: std::io::Error,
}

/// Binds every listen address before anything is served, so a bad address is a
/// start-up error.
pub async fn bind(
    addresses: &[crate::config::ListenAddress],
) -> Result<Vec<TcpListener>, BindError> {
    let mut listeners = Vec::new();
    for address in addresses {
        let mut last_error = None;
        let mut bound_any = false;
        for socket in &address.sockets {
            match TcpListener::bind(socket).await {
                Ok(listener) => {
                    listeners.push(listener);
                    bound_any = true;
                    if address.alternatives {
                        break;
                    }
                }
                Err(error) => last_error = Some(error),
            }
        }
        if !bound_any || (!address.alternatives && last_error.is_some()) {
            return Err(BindError {
                address: address.text.clone(),
                error: last_error.unwrap_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address")
                }),
            });
        }
    }
    Ok(listeners)
}

/// Serves until `shutdown` turns true, then lets open requests finish briefly.
pub async fn serve(
    listeners: Vec<TcpListener>,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let (conn_tx, mut conn_rx) =
        tokio::sync::mpsc::channel::<(tokio::net::TcpStream, SocketAddr)>(64);
    let mut accept_tasks = Vec::new();
    for listener in listeners {
        let conn_tx = conn_tx.clone();
        accept_tasks.push(tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok(connection) => {
                        if conn_tx.send(connection).await.is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        // Out of file descriptors and the like: pause rather than spin.
                        tracing::warn!(error = %error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    drop(conn_tx);
    loop {
        tokio::select! {
            connection = conn_rx.recv() => {
                let Some((stream, peer)) = connection else { break };
                if state.panic_on_connection {
                    panic!("panic injected into the HTTP server");
                }
                // Each connection uses the web configuration current when it was accepted.
                let web = state.web.current();
                let state = state.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    match web.tls_acceptor() {
                        Some(acceptor) => match web_config::accept_tls(&acceptor, stream, &web).await {
                            Ok(tls) => serve_connection(TokioIo::new(tls), state, web, watcher).await,
                            Err(error) => tracing::debug!(peer = %peer, error = %error, "tls connection refused"),
                        },
                        None => serve_connection(TokioIo::new(stream), state, web, watcher).await,
                    }
                });
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    for task in accept_tasks {
        task.abort();
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("some connections did not close in time");
    }
}

/// Serves HTTP/1.1 (and HTTP/2 where the web configuration allows it) on one connection.
async fn serve_connection<I>(
    io: I,
    state: Arc<AppState>,
    web: Arc<WebConfig>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    if !web.http2() {
        builder = builder.http1_only();
    }
    let service = service_fn(move |request: Request<Incoming>| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(guarded(&state, request).await) }
    });
    let connection = watcher.watch(builder.serve_connection(io, service).into_owned());
    if let Err(error) = connection.await {
        tracing::debug!(error = %error, "connection ended with an error");
    }
}

/// Admits the request (`--web.max-requests`), applies the web configuration (rate
/// limit, basic auth, extra headers), then answers. The admission permit is taken
/// before authentication, whose bcrypt check is the expensive part, and travels with
/// the response body until its last byte is sent. The configuration is read per
/// request, so a reload applies to kept-alive connections too; TLS settings apply from
/// the next handshake.
pub async fn guarded<B>(state: &AppState, request: Request<B>) -> Response<Body> {
    let permit = match &state.admission {
        Some(semaphore) => match semaphore.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                return text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many concurrent requests\n",
                );
            }
        },
        None => None,
    };
    let web = state.web.current();
    let mut response = if !web.rate_limit_allows() {
        text(StatusCode::TOO_MANY_REQUESTS, "too many requests\n")
    } else {
        let authorization = request.headers().get(header::AUTHORIZATION).cloned();
        match web.clone().authorize_async(authorization).await {
            AuthDecision::Allowed => routes::handle(state, request).await,
            AuthDecision::Denied => {
                let mut denied = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
                denied
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, web_config::WWW_AUTHENTICATE);
                denied
            }
        }
    };
    for (name, value) in web.response_headers() {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response.body_mut().permit = permit;
    response
}

/// The telemetry path's answer for a rendered exposition (also `/probe`'s).
pub async fn exposition_response(
    rendered: Result<Arc<crate::metrics::Exposition>, crate::metrics::RenderError>,
    headers: &http::HeaderMap,
) -> Response<Body> {
    let exposition = match rendered {
        Ok(exposition) => exposition,
        Err(error) => {
            tracing::error!(error = %error, "cannot render metrics");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n");
        }
    };
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)
        .header(header::VARY, "Accept-Encoding");
    let body = if accepts_gzip(headers) {
        match exposition.gzip().await {
            Ok(compressed) => {
                builder = builder.header(header::CONTENT_ENCODING, "gzip");
                Body::from(compressed)
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot compress metrics; sending them uncompressed");
                Body::from_chunks(exposition.text())
            }
        }
    } else {
        Body::from_chunks(exposition.text())
    };
    builder.body(body).unwrap_or_else(|_| {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot build the response\n",
        )
    })
}

/// True when `Accept-Encoding` lists gzip (or `*`) without `q=0`.
pub fn accepts_gzip(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|param| {
                let param = param.trim().replace(' ', "");
                param == "q=0" || param == "q=0.0" || param == "q=0.00" || param == "q=0.000"
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// A plain-text answer whose body is built at run time.
pub fn text_owned(status: StatusCode, body: String) -> Response<Body> {
    let mut response = text(status, "");
    *response.body_mut() = Body::from(Bytes::from(body));
    response
}

pub fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// An HTML page, gzip-compressed when the request allows it.
pub fn html(page: String, request_headers: &http::HeaderMap) -> Response<Body> {
    let compressed = accepts_gzip(request_headers)
        .then(|| gzip(page.as_bytes()))
        .and_then(|result| {
            result
                .map_err(|error| tracing::warn!(error = %error, "cannot compress a page"))
                .ok()
        });
    let gzipped = compressed.is_some();
    let body = compressed.unwrap_or_else(|| page.into_bytes());
    let mut response = Response::new(Body::from(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            map.insert(header::ACCEPT_ENCODING, value);
        }
        map
    }

    fn state(admission: Option<usize>) -> AppState {
        let process = Arc::new(crate::metrics::ProcessMetrics::new().unwrap());
        let metrics = Arc::new(crate::metrics::FleetMetrics::new(process).unwrap());
        AppState {
            telemetry_path: "/metrics".to_owned(),
            admission: admission.map(|n| Arc::new(Semaphore::new(n))),
            web: WebSource::Fixed(Arc::new(WebConfig::plain())),
            panic_on_connection: false,
            fleet: Arc::new(crate::targets::Fleet::idle(
                crate::targets::Mode::Single,
                metrics,
            )),
            sd_address: None,
            timezone: chrono_tz::Tz::UTC,
        }
    }

    fn get(path: &str) -> Request<()> {
        Request::builder().uri(path).body(()).unwrap()
    }

    #[tokio::test]
    async fn requests_over_the_limit_get_503() {
        let full = state(Some(0));
        assert_eq!(
            guarded(&full, get("/metrics")).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let open = state(Some(1));
        assert_eq!(
            guarded(&open, get("/metrics")).await.status(),
            StatusCode::OK
        );
        let unlimited = state(None);
        assert_eq!(
            guarded(&unlimited, get("/-/healthy")).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn the_permit_is_held_until_the_body_is_sent() {
        use http_body_util::BodyExt;
        let limited = state(Some(1));
        let first = guarded(&limited, get("/metrics")).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(
            guarded(&limited, get("/-/healthy")).await.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "a response still being sent holds its permit"
        );
        let sent = first.into_body().collect().await;
        assert!(sent.is_ok());
        assert_eq!(
            guarded(&limited, get("/-/healthy")).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn not_ready_before_the_first_refresh() {
        let fresh = state(None);
        assert_eq!(
            guarded(&fresh, get("/-/ready")).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            guarded(&fresh, get("/-/healthy")).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn a_chunked_body_sends_every_chunk_and_its_length() {
        use http_body_util::BodyExt;
        use hyper::body::Body as _;
        let body = Body::from_chunks(vec![
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"cde"),
        ]);
        assert_eq!(body.size_hint().exact(), Some(5));
        let sent = body.collect().await.map(|collected| collected.to_bytes());
        assert_eq!(sent.ok(), Some(Bytes::from_static(b"abcde")));
        assert!(Body::from_chunks(Vec::new()).is_end_stream());
    }

    #[test]
    fn gzip_is_used_when_the_client_allows_it() {
        assert!(accepts_gzip(&headers("gzip")));
        assert!(accepts_gzip(&headers("deflate, GZIP;q=0.5")));
        assert!(accepts_gzip(&headers("*")));
        assert!(!accepts_gzip(&headers("gzip;q=0")));
        assert!(!accepts_gzip(&headers("identity")));
        assert!(!accepts_gzip(&http::HeaderMap::new()));
    }
}
