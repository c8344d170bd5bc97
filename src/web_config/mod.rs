//! The `--web.config.file`: TLS, client certificates, basic auth, extra response headers
//! and rate limiting, in the format of the Prometheus exporter toolkit, so the file that
//! configures node_exporter configures this exporter too (see `docs/web-config.md`).
//!
//! The YAML is decoded with `serde_yaml_ng`: `serde_yaml` is no longer maintained, and
//! `serde_yaml_ng` is its maintained continuation with the same serde model, so
//! `deny_unknown_fields` gives the strict decoding the toolkit gets from `UnmarshalStrict`.
//!
//! Layout: this file decodes and validates the YAML into an immutable [`WebConfig`];
//! `tls` builds the rustls server configuration and the client certificate checks,
//! `san` reads subject alternative names for `client_allowed_sans`, `auth` does basic
//! auth, `rate_limit` the toolkit's token bucket, and `watch` re-reads the files.
//!
//! Invariant: no message, `Debug` output or log line carries a password, a bcrypt hash
//! or a private key.

mod auth;
mod rate_limit;
mod san;
mod tls;
mod watch;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use http::{HeaderName, HeaderValue};
use serde::Deserialize;

pub use auth::{AuthDecision, WWW_AUTHENTICATE};
pub use tls::{accept_tls, HANDSHAKE_TIMEOUT};
pub use watch::WebConfigWatcher;

/// A validated web configuration. Built only by [`WebConfig::load`] (or
/// [`WebConfig::plain`]), never changed afterwards: a reload builds a new one.
pub struct WebConfig {
    path: PathBuf,
    tls: Option<tls::TlsSettings>,
    http2: bool,
    response_headers: Vec<(HeaderName, HeaderValue)>,
    basic_auth: Option<auth::BasicAuth>,
    rate_limiter: Option<rate_limit::RateLimiter>,
    /// Files the configuration was read from besides the config file itself
    /// (certificates, key, client CA), so the watcher can notice their renewal.
    referenced_files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("cannot read web config file {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("web config file {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("the web config watcher must be started inside a tokio runtime")]
    NoRuntime,
}

impl WebConfig {
    /// Reads and validates the file. Relative paths inside it are taken relative to
    /// the file's own directory, as the toolkit does.
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        Self::load_tracking_files(path, &mut Vec::new())
    }

    /// Validates `text` as if it had been read from `path`.
    pub fn from_yaml(path: &Path, text: &str) -> Result<WebConfig, WebConfigError> {
        Self::from_yaml_tracking_files(path, text, &mut Vec::new())
    }

    /// `load`, noting in `referenced_files` every file it tried to read besides the config
    /// file, even when it fails, so the watcher knows which files could fix a bad config.
    fn load_tracking_files(
        path: &Path,
        referenced_files: &mut Vec<PathBuf>,
    ) -> Result<WebConfig, WebConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| WebConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_yaml_tracking_files(path, &text, referenced_files)
    }

    fn from_yaml_tracking_files(
        path: &Path,
        text: &str,
        referenced_files: &mut Vec<PathBuf>,
    ) -> Result<WebConfig, WebConfigError> {
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let raw = decode(text).map_err(invalid)?;
        let base_dir = path.parent().unwrap_or(Path::new("."));

        let tls_raw = raw.tls_server_config.unwrap_or_default();
        let http_raw = raw.http_server_config.unwrap_or_default();
        let http2 = http_raw.http2.is_none_or(|b| b.0);
        let tls = tls::build(&tls_raw, http2, base_dir, referenced_files).map_err(invalid)?;
        let response_headers = validate_headers(http_raw.headers.unwrap_or_default())
            .map_err(|m| invalid(format!("http_server_config.headers: {m}")))?;
        let basic_auth = auth::BasicAuth::new(raw.basic_auth_users.unwrap_or_default())
            .map_err(|m| invalid(format!("basic_auth_users: {m}")))?;
        let rate_limiter = rate_limit::RateLimiter::new(raw.rate_limit.unwrap_or_default())
            .map_err(|m| invalid(format!("rate_limit: {m}")))?;

        Ok(WebConfig {
            path: path.to_path_buf(),
            tls,
            http2,
            response_headers,
            basic_auth,
            rate_limiter,
            referenced_files: referenced_files.clone(),
        })
    }

    /// What serving without `--web.config.file` means: plain HTTP, no auth, no extra
    /// headers, no rate limit.
    pub fn plain() -> WebConfig {
        WebConfig {
            path: PathBuf::new(),
            tls: None,
            http2: true,
            response_headers: Vec::new(),
            basic_auth: None,
            rate_limiter: None,
            referenced_files: Vec::new(),
        }
    }

    /// The file this configuration came from (empty for [`WebConfig::plain`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `None` means plain HTTP. The acceptor offers ALPN `h2` only when [`Self::http2`]
    /// is on, so the protocol to serve is whatever ALPN negotiated (`http/1.1` when none).
    pub fn tls_acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        self.tls.as_ref().map(|t| t.acceptor.clone())
    }

    /// Checks `client_allowed_sans` once the handshake is done; `Ok` when the list is not
    /// set. Use the same `WebConfig` whose acceptor did the handshake.
    pub fn check_peer(&self, conn: &rustls::ServerConnection) -> Result<(), String> {
        match &self.tls {
            Some(tls) => tls.check_peer(conn.peer_certificates()),
            None => Ok(()),
        }
    }

    /// Basic auth. Always `Allowed` when no users are configured. On a cache miss this
    /// runs bcrypt (tens of milliseconds at cost 10), so async callers may prefer
    /// [`Self::authorize_async`].
    pub fn authorize(&self, authorization_header: Option<&HeaderValue>) -> AuthDecision {
        match &self.basic_auth {
            Some(basic_auth) => basic_auth.authorize(authorization_header),
            None => AuthDecision::Allowed,
        }
    }

    /// Like [`Self::authorize`], but runs bcrypt on the blocking pool, one at a time, so
    /// a flood of wrong passwords neither stalls the async workers nor takes every core.
    pub async fn authorize_async(
        self: std::sync::Arc<Self>,
        authorization_header: Option<HeaderValue>,
    ) -> AuthDecision {
        match &self.basic_auth {
            Some(_) => auth::authorize_async(self, authorization_header).await,
            None => AuthDecision::Allowed,
        }
    }

    /// Headers from `http_server_config.headers`, to add to every response.
    pub fn response_headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.response_headers
    }

    /// `http_server_config.http2` (default true). It only takes effect over TLS, through
    /// ALPN; node_exporter serves plain HTTP as HTTP/1.1 only.
    pub fn http2(&self) -> bool {
        self.http2
    }

    /// The toolkit's `rate_limit` token bucket, shared by all requests: `false` means
    /// answer 429 Too Many Requests. Always `true` when no rate limit is configured.
    pub fn rate_limit_allows(&self) -> bool {
        self.rate_limiter.as_ref().is_none_or(|r| r.allow())
    }

    fn referenced_files(&self) -> &[PathBuf] {
        &self.referenced_files
    }
}

impl fmt::Debug for WebConfig {
    // Hand-written so that hashes never reach a log line through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("path", &self.path)
            .field("tls", &self.tls.is_some())
            .field("http2", &self.http2)
            .field(
                "response_headers",
                &self
                    .response_headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "basic_auth_users",
                &self.basic_auth.as_ref().map(|b| b.user_names()),
            )
            .field("rate_limit", &self.rate_limiter.is_some())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// The YAML as written. Every field is an `Option` because the toolkit's Go decoder takes
// an empty value (`key:`) as the zero value, and serde would otherwise reject the null.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    tls_server_config: Option<RawTls>,
    http_server_config: Option<RawHttp>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    rate_limit: Option<RawRateLimit>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Option<String>,
    key: Option<String>,
    client_ca: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
    client_auth_type: Option<String>,
    client_ca_file: Option<String>,
    cipher_suites: Option<Vec<String>>,
    curve_preferences: Option<Vec<String>>,
    min_version: Option<String>,
    max_version: Option<String>,
    prefer_server_cipher_suites: Option<Yaml11Bool>,
    client_allowed_sans: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    http2: Option<Yaml11Bool>,
    headers: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    interval: Option<GoDuration>,
    burst: Option<u64>,
}

/// A boolean as the toolkit's YAML 1.1 decoder reads it, so `yes`/`no`/`on`/`off`
/// written for node_exporter keep working.
struct Yaml11Bool(bool);

impl<'de> Deserialize<'de> for Yaml11Bool {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Yaml11Bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Yaml11Bool, E> {
                Ok(Yaml11Bool(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Yaml11Bool, E> {
                match v {
                    "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True"
                    | "TRUE" => Ok(Yaml11Bool(true)),
                    "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
                    | "FALSE" => Ok(Yaml11Bool(false)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A duration as the toolkit's decoder reads it: a Go duration string (`1s`, `1m30s`,
/// `500ms`) or a bare integer taken as nanoseconds.
struct GoDuration(std::time::Duration);

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 1s or 500ms")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<GoDuration, E> {
                Ok(GoDuration(std::time::Duration::from_nanos(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<GoDuration, E> {
                u64::try_from(v)
                    .map(|v| GoDuration(std::time::Duration::from_nanos(v)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<GoDuration, E> {
                parse_go_duration(v)
                    .map(GoDuration)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Go's `time.ParseDuration`, without the sign (a negative interval makes no sense here).
fn parse_go_duration(text: &str) -> Option<std::time::Duration> {
    if text == "0" {
        return Some(std::time::Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut total_seconds = 0.0_f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total_seconds += number * unit_seconds;
    }
    std::time::Duration::try_from_secs_f64(total_seconds).ok()
}

/// Keys whose values are secrets: a decoding error under them must not quote the value.
const SECRET_PATHS: &[&str] = &["basic_auth_users", "tls_server_config.key"];

fn decode(text: &str) -> Result<RawConfig, String> {
    let deserializer = serde_yaml_ng::Deserializer::from_str(text);
    // `Option`: an empty file (or one of comments, or `---`) is a valid, empty
    // configuration, as in the toolkit.
    let decoded: Result<Option<RawConfig>, _> = serde_path_to_error::deserialize(deserializer);
    decoded.map(Option::unwrap_or_default).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let location = inner
            .location()
            .map(|l| format!(" at line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        let is_secret = SECRET_PATHS
            .iter()
            .any(|secret| path == *secret || path.starts_with(&format!("{secret}.")));
        if is_secret {
            let expected = if path == "basic_auth_users" {
                "a map of user names to bcrypt hashes"
            } else {
                "a string"
            };
            return format!("{path}: invalid value{location}, expected {expected}");
        }
        if path == "." {
            // At the top level serde quotes whatever the file holds, which could be a
            // secret if a password file was passed by mistake.
            let message = inner.to_string();
            if message.starts_with("invalid type") {
                return format!(
                    "the file is not a YAML mapping of tls_server_config, http_server_config, \
                     basic_auth_users and rate_limit{location}"
                );
            }
            return message;
        }
        // serde_yaml_ng already prefixes the path for nested errors.
        inner.to_string()
    })
}

/// The response headers the toolkit lets a config set, with the values it accepts
/// (`None`: any value). Kept to the toolkit's list on purpose, for one behaviour across
/// the Prometheus ecosystem.
const ALLOWED_HEADERS: &[(&str, Option<&[&str]>)] = &[
    ("Content-Security-Policy", None),
    ("Strict-Transport-Security", None),
    ("X-Content-Type-Options", Some(&["nosniff"])),
    ("X-Frame-Options", Some(&["deny", "sameorigin"])),
    ("X-XSS-Protection", None),
];

fn validate_headers(
    headers: BTreeMap<String, String>,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut out = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let Some((_, allowed_values)) = ALLOWED_HEADERS.iter().find(|(n, _)| *n == name) else {
            let allowed: Vec<&str> = ALLOWED_HEADERS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "header {name:?} can not be configured (allowed: {})",
                allowed.join(", ")
            ));
        };
        if let Some(allowed_values) = allowed_values {
            if !allowed_values.contains(&value.as_str()) {
                return Err(format!(
                    "{name}: invalid value {value:?}, expected one of {}",
                    allowed_values.join(", ")
                ));
            }
        }
        // The toolkit documents a blank value as "unset".
        if value.is_empty() {
            continue;
        }
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name}: not a valid header name"))?;
        let header_value = HeaderValue::from_str(&value)
            .map_err(|_| format!("{name}: value is not a valid HTTP header value"))?;
        out.push((header_name, header_value));
    }
    Ok(out)
}
