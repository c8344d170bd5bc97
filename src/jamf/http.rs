//! The `reqwest` client behind every Jamf server: TLS, the extra CA file, proxies, and
//! `SharedHttp`, which builds one such client per set of connection settings.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::client::{lock, ClientCounters, ClientSettings, JamfClient, MAX_IN_FLIGHT};
use super::platform::RateGates;
use super::token::Auth;

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

/// The HTTP client for one set of connection settings.
pub(super) fn build_http(settings: &ClientSettings) -> Result<reqwest::Client, ClientBuildError> {
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
    rate_gates: Arc<RateGates>,
}

impl SharedHttp {
    /// HTTP clients whose rate gates are shared through `rate_gates`, which may outlive
    /// this load (targets kept across a reload keep sharing with the new ones).
    pub fn sharing_rate_limits(rate_gates: Arc<RateGates>) -> SharedHttp {
        SharedHttp {
            built: std::sync::Mutex::new(Vec::new()),
            rate_gates,
        }
    }

    /// A client for one Jamf server, over an HTTP client built for the same settings
    /// before, if any.
    pub fn client(
        &self,
        settings: ClientSettings,
        counters: ClientCounters,
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
        let login = match &settings.auth {
            Auth::ClientCredentials { client_id, .. } => client_id.as_str(),
            Auth::User { username, .. } => username.as_str(),
        };
        let rate = self.rate_gates.gate(&settings.base_url, login);
        Ok(JamfClient::with_http(settings, counters, http, rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jamf::client::DEFAULT_MAX_BODY_BYTES;
    use crate::jamf::Auth;
    use crate::secret::Secret;

    fn test_counters() -> ClientCounters {
        ClientCounters {
            requests: Arc::new(crate::tally::Tally::new()),
            deprecated_responses: Arc::new(crate::tally::Tally::new()),
        }
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
            api: crate::jamf::Api::Pro,
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
        match JamfClient::new(settings, test_counters()) {
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
            api: crate::jamf::Api::Pro,
            auth: Auth::ClientCredentials {
                client_id: "id".to_owned(),
                client_secret: Secret::new("secret".to_owned()),
            },
            timeout: Duration::from_secs(timeout),
            ca_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: ProxySettings::Direct,
        };
        let shared = SharedHttp::default();
        for (url, timeout) in [
            ("https://a.jamfcloud.com", 30),
            ("https://b.jamfcloud.com", 30),
            ("https://c.jamfcloud.com", 10),
        ] {
            let client = shared
                .client(settings(url, timeout), test_counters())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(client.base_url(), url, "each server keeps its own URL");
        }
        assert_eq!(
            lock(&shared.built).len(),
            2,
            "one HTTP client per set of settings"
        );
    }
}
