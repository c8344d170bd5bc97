//! Reaching Jamf through an HTTP proxy: plain requests are forwarded in absolute form,
//! HTTPS is tunnelled with `CONNECT`, and `NO_PROXY` hosts are reached directly.
//!
//! The proxy variables are process-wide, so the tests in this process pass the proxy
//! explicitly (`ProxySettings::Explicit`); the environment path is tested on the real
//! binary in a child process.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use jamf_exporter::config::{self, Config};
use jamf_exporter::demo::{Simulator, SimulatorConfig};
use jamf_exporter::jamf::ProxySettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::harness::{self, errors, Login};
use crate::process;
use crate::tls::Pki;

/// A name that cannot resolve: only a proxy can reach it.
const UNRESOLVABLE: &str = "jamf.proxy-test.invalid";

/// A small HTTP forward proxy on `127.0.0.1:0` that records every request line.
pub struct ForwardProxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl ForwardProxy {
    /// With `upstream`, every request goes there whatever host it names (so a test can
    /// use a name that does not resolve); otherwise to the host it names.
    pub async fn start(upstream: Option<SocketAddr>) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(handle(stream, upstream, Arc::clone(&log)));
                while connections.try_join_next().is_some() {}
            }
        });
        ForwardProxy { addr, seen, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `METHOD TARGET` of every request received, oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: Option<SocketAddr>,
    seen: Arc<Mutex<Vec<String>>>,
) {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) if buffer.len() + n <= 64 * 1024 => buffer.extend_from_slice(&chunk[..n]),
            Ok(_) => return,
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut rest = buffer[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<&str> = lines.collect();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    seen.lock().unwrap().push(format!("{method} {target}"));

    let bad_gateway = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    if method == "CONNECT" {
        let connected = match upstream {
            Some(address) => TcpStream::connect(address).await,
            None => TcpStream::connect(target).await,
        };
        let Ok(mut server) = connected else {
            let _ = client.write_all(bad_gateway).await;
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_err()
            || server.write_all(&rest).await.is_err()
        {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }

    // Absolute form: GET http://host:port/path HTTP/1.1
    let Ok(uri) = target.parse::<http::Uri>() else {
        let _ = client.write_all(bad_gateway).await;
        return;
    };
    let authority = uri
        .authority()
        .map(|a| match a.port_u16() {
            Some(_) => a.to_string(),
            None => format!("{}:80", a.host()),
        })
        .unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let connected = match upstream {
        Some(address) => TcpStream::connect(address).await,
        None => TcpStream::connect(authority.as_str()).await,
    };
    let Ok(mut server) = connected else {
        let _ = client.write_all(bad_gateway).await;
        return;
    };
    // One request per connection keeps the count exact: the answer closes both sides.
    let mut forwarded = format!("{method} {path} {version}\r\n");
    let mut body_length = 0usize;
    for header in &headers {
        let name = header.split(':').next().unwrap_or_default().trim();
        if [
            "connection",
            "proxy-connection",
            "keep-alive",
            "proxy-authorization",
        ]
        .iter()
        .any(|hop| name.eq_ignore_ascii_case(hop))
        {
            continue;
        }
        if name.eq_ignore_ascii_case("content-length") {
            body_length = header
                .split_once(':')
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0);
        }
        forwarded.push_str(header);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("connection: close\r\n\r\n");
    while rest.len() < body_length {
        let mut chunk = [0u8; 4096];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => rest.extend_from_slice(&chunk[..n]),
        }
    }
    if server.write_all(forwarded.as_bytes()).await.is_err()
        || server.write_all(&rest[..body_length]).await.is_err()
    {
        return;
    }
    let _ = tokio::io::copy(&mut server, &mut client).await;
    let _ = client.shutdown().await;
}

fn explicit(proxy: &ForwardProxy, no_proxy: Option<&str>) -> impl FnOnce(&mut Config) {
    let settings = ProxySettings::Explicit {
        url: proxy.url(),
        no_proxy: no_proxy.map(str::to_owned),
    };
    move |config| config.jamf_proxy = settings
}

#[tokio::test]
async fn jamf_requests_go_through_an_explicit_proxy() {
    let proxy = ForwardProxy::start(None).await;
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &[],
        explicit(&proxy, None),
    )
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp_content")]),
        Some(1.0)
    );
    let seen = proxy.requests();
    let prefix = format!("{}/", setup.simulator.base_url());
    assert!(
        seen.iter().all(|line| line
            .split(' ')
            .nth(1)
            .is_some_and(|t| t.starts_with(&prefix))),
        "absolute-form requests for the simulator: {seen:?}"
    );
    assert!(seen.contains(&format!("POST {prefix}api/oauth/token")));
    assert!(seen
        .iter()
        .any(|line| line.starts_with("GET ")
            && line.contains("/api/v1/volume-purchasing-locations?")));
    assert_eq!(
        seen.len(),
        setup.simulator.requests().len(),
        "every request went through the proxy"
    );
    setup.stop().await;
}

#[tokio::test]
async fn https_jamf_is_tunnelled_with_connect() {
    let pki = Pki::new(&["127.0.0.1"]);
    let ca_file = pki.ca_file();
    let proxy = ForwardProxy::start(None).await;
    let setup = harness::start_custom(
        pki.simulator(),
        Login::Client,
        &["--jamf.ca-file", ca_file.to_str().unwrap()],
        explicit(&proxy, None),
    )
    .await;
    assert_eq!(setup.metrics().await.value("jamf_up", &[]), Some(1.0));
    let seen = proxy.requests();
    let tunnel = format!("CONNECT {}", setup.simulator.addr());
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|line| line.starts_with(&tunnel)),
        "only tunnels, never a request the proxy could read: {seen:?}"
    );
    setup.stop().await;
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    for no_proxy in ["127.0.0.1", "127.0.0.0/8", "example.org, 127.0.0.1"] {
        let proxy = ForwardProxy::start(None).await;
        let setup = harness::start_custom(
            SimulatorConfig::demo(),
            Login::Client,
            &[],
            explicit(&proxy, Some(no_proxy)),
        )
        .await;
        assert_eq!(
            setup.metrics().await.value("jamf_up", &[]),
            Some(1.0),
            "{no_proxy}"
        );
        assert!(!setup.simulator.requests().is_empty());
        assert_eq!(proxy.requests(), Vec::<String>::new(), "{no_proxy}");
        setup.stop().await;
    }
}

/// Regression: reqwest matches a `NO_PROXY` of `*` against host names only, so a Jamf URL
/// with an IP address still went to the proxy.
#[tokio::test]
async fn no_proxy_star_covers_ip_addresses() {
    let proxy = ForwardProxy::start(None).await;
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &[],
        explicit(&proxy, Some("example.org, *")),
    )
    .await;
    assert_eq!(setup.metrics().await.value("jamf_up", &[]), Some(1.0));
    assert_eq!(proxy.requests(), Vec::<String>::new());
    setup.stop().await;
}

#[tokio::test]
async fn a_proxy_that_cannot_reach_jamf_is_a_failed_refresh() {
    // The proxy answers 502 for a host it cannot reach.
    let proxy = ForwardProxy::start(None).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let url = format!("http://{closed}");
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &["--refresh.timeout", "2s"],
        |config| {
            harness::point_at(&url)(config);
            explicit(&proxy, None)(config);
        },
    )
    .await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(errors(&metrics, "vpp", "server_error"), 1.0);
    assert!(!proxy.requests().is_empty());
    setup.stop().await;
}

#[test]
fn the_binary_takes_its_proxy_from_the_environment() {
    for args in [
        &[
            "jamf_exporter",
            "--jamf.url",
            "https://lakeviewusd.jamfcloud.com",
            "--jamf.client-id",
            "id",
        ][..],
        &["jamf_exporter", "--demo"][..],
    ] {
        let parsed = config::try_parse_from(args).unwrap();
        let config = Config::from_raw(parsed, &[("JAMF_CLIENT_SECRET", "s")]).unwrap();
        assert_eq!(config.jamf_proxy, ProxySettings::FromEnv, "{args:?}");
    }
}

/// The child's flags for a Jamf at `url` with the demo client credentials.
fn child_args(url: &str) -> Vec<&str> {
    vec![
        "--jamf.url",
        url,
        "--jamf.client-id",
        "demo-client",
        "--refresh.interval",
        "1h",
        "--refresh.timeout",
        "3s",
    ]
}

#[tokio::test]
async fn the_binary_uses_http_proxy_from_the_environment() {
    let simulator = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let proxy = ForwardProxy::start(Some(simulator.addr())).await;
    let url = format!("http://{UNRESOLVABLE}");
    // Proxy credentials must not show in debug logs either.
    let proxy_url = format!("http://ops:CANARY-proxy-password@{}", proxy.addr);
    let mut args = child_args(&url);
    args.extend(["--log.level", "debug"]);
    let child = process::Exporter::spawn(
        &args,
        &[
            ("JAMF_CLIENT_SECRET", "demo-secret"),
            ("HTTP_PROXY", &proxy_url),
        ],
    )
    .await;
    child.wait_until_ready().await;
    let metrics = child.metrics().await;
    assert_eq!(
        metrics.value("jamf_up", &[]),
        Some(1.0),
        "{}",
        child.stderr()
    );
    let seen = proxy.requests();
    assert!(
        seen.contains(&format!("POST {url}/api/oauth/token")),
        "{seen:?}"
    );
    assert_eq!(seen.len(), simulator.requests().len());
}

#[tokio::test]
async fn the_binary_tunnels_https_through_https_proxy_from_the_environment() {
    let pki = Pki::new(&[UNRESOLVABLE]);
    let ca_file = pki.ca_file();
    let simulator = Simulator::start(pki.simulator()).await.unwrap();
    let proxy = ForwardProxy::start(Some(simulator.addr())).await;
    let url = format!("https://{UNRESOLVABLE}");
    let mut args = child_args(&url);
    args.extend(["--jamf.ca-file", ca_file.to_str().unwrap()]);
    let child = process::Exporter::spawn(
        &args,
        &[
            ("JAMF_CLIENT_SECRET", "demo-secret"),
            ("HTTPS_PROXY", &proxy.url()),
        ],
    )
    .await;
    child.wait_until_ready().await;
    let metrics = child.metrics().await;
    assert_eq!(
        metrics.value("jamf_up", &[]),
        Some(1.0),
        "{}",
        child.stderr()
    );
    let seen = proxy.requests();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|line| line == &format!("CONNECT {UNRESOLVABLE}:443")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn the_binary_honours_no_proxy_from_the_environment() {
    let simulator = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let proxy = ForwardProxy::start(Some(simulator.addr())).await;
    // 0.0.0.0 is this machine without being a loopback address, so the proxy would
    // apply; NO_PROXY names it, so the client goes direct to a closed port and nothing
    // leaves the machine or needs a name resolved.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://0.0.0.0:{closed}");
    let child = process::Exporter::spawn(
        &child_args(&url),
        &[
            ("JAMF_CLIENT_SECRET", "demo-secret"),
            ("HTTP_PROXY", &proxy.url()),
            ("NO_PROXY", "0.0.0.0"),
        ],
    )
    .await;
    child.wait_until_ready().await;
    let metrics = child.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(
        errors(&metrics, "vpp", "connect"),
        1.0,
        "{}",
        child.stderr()
    );
    assert_eq!(proxy.requests(), Vec::<String>::new());
    assert!(simulator.requests().is_empty());
}

/// Regression: with a proxy in the environment, `--demo` sent the requests for its own
/// loopback simulator to the proxy, which in real life cannot reach this machine's
/// loopback, so the demo showed Jamf as down.
#[tokio::test]
async fn demo_mode_ignores_the_environment_proxy() {
    let proxy = ForwardProxy::start(None).await;
    let url = proxy.url();
    let child = process::Exporter::spawn(
        &["--demo"],
        &[
            ("HTTP_PROXY", &url),
            ("HTTPS_PROXY", &url),
            ("ALL_PROXY", &url),
            ("http_proxy", &url),
        ],
    )
    .await;
    child.wait_until_ready().await;
    let metrics = child.metrics().await;
    assert_eq!(
        metrics.value("jamf_up", &[]),
        Some(1.0),
        "{}",
        child.stderr()
    );
    assert_eq!(proxy.requests(), Vec::<String>::new());
}
