//! Errors from talking to Jamf, each mapped to one bounded `reason` label value.

use std::fmt;

/// Why a request or a collector refresh failed: the `reason` label of
/// `jamf_exporter_refresh_errors_total`. The set is closed so the label stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    Auth,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    Connect,
    Tls,
    Decode,
    /// The exporter itself failed (a collector panicked), not Jamf.
    Internal,
}

impl Reason {
    pub const ALL: [Reason; 10] = [
        Reason::Auth,
        Reason::Forbidden,
        Reason::NotFound,
        Reason::RateLimited,
        Reason::ServerError,
        Reason::Timeout,
        Reason::Connect,
        Reason::Tls,
        Reason::Decode,
        Reason::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Auth => "auth",
            Reason::Forbidden => "forbidden",
            Reason::NotFound => "not_found",
            Reason::RateLimited => "rate_limited",
            Reason::ServerError => "server_error",
            Reason::Timeout => "timeout",
            Reason::Connect => "connect",
            Reason::Tls => "tls",
            Reason::Decode => "decode",
            Reason::Internal => "internal",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed exchange with Jamf. Messages name the endpoint (a route template) and never
/// carry credentials, tokens or response bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JamfError {
    #[error("{endpoint}: authentication failed ({detail})")]
    Auth { endpoint: String, detail: String },
    #[error("{endpoint}: HTTP 403 forbidden: the API role lacks a privilege for this endpoint")]
    Forbidden { endpoint: String },
    #[error("{endpoint}: HTTP 404 not found: this Jamf Pro version may not have this endpoint")]
    NotFound { endpoint: String },
    #[error("{endpoint}: HTTP 429 too many requests")]
    RateLimited { endpoint: String },
    #[error("{endpoint}: unexpected HTTP status {status}")]
    Server { endpoint: String, status: u16 },
    #[error("{endpoint}: timed out ({detail})")]
    Timeout { endpoint: String, detail: String },
    #[error("{endpoint}: cannot connect ({detail})")]
    Connect { endpoint: String, detail: String },
    /// The name in the Jamf URL does not resolve: a typo, or a server that was renamed.
    /// Counted as `connect`; the resolver's own words go to the debug log only.
    #[error("{endpoint}: host name not found: {host}")]
    HostNotFound { endpoint: String, host: String },
    #[error("{endpoint}: TLS failed ({detail})")]
    Tls { endpoint: String, detail: String },
    #[error("{endpoint}: cannot decode the response ({detail})")]
    Decode { endpoint: String, detail: String },
}

impl JamfError {
    pub fn reason(&self) -> Reason {
        match self {
            JamfError::Auth { .. } => Reason::Auth,
            JamfError::Forbidden { .. } => Reason::Forbidden,
            JamfError::NotFound { .. } => Reason::NotFound,
            JamfError::RateLimited { .. } => Reason::RateLimited,
            JamfError::Server { .. } => Reason::ServerError,
            JamfError::Timeout { .. } => Reason::Timeout,
            JamfError::Connect { .. } | JamfError::HostNotFound { .. } => Reason::Connect,
            JamfError::Tls { .. } => Reason::Tls,
            JamfError::Decode { .. } => Reason::Decode,
        }
    }

    /// The error for an answer with a non-success status that was not handled earlier
    /// (401 from data endpoints is retried first, so this sees only one that survived).
    pub fn from_status(endpoint: &str, status: u16) -> JamfError {
        let endpoint = endpoint.to_owned();
        match status {
            401 => JamfError::Auth {
                endpoint,
                detail: "HTTP 401 after re-authenticating".to_owned(),
            },
            403 => JamfError::Forbidden { endpoint },
            404 => JamfError::NotFound { endpoint },
            429 => JamfError::RateLimited { endpoint },
            408 => JamfError::Timeout {
                endpoint,
                detail: "HTTP 408 from the server".to_owned(),
            },
            _ => JamfError::Server { endpoint, status },
        }
    }

    /// Classifies a transport error from reqwest. DNS and refused connections are
    /// `connect`, a failed TLS handshake (an untrusted or expired certificate) is `tls`,
    /// and anything that ran past its time is `timeout`.
    pub fn from_transport(endpoint: &str, error: &reqwest::Error) -> JamfError {
        let endpoint = endpoint.to_owned();
        let detail = transport_detail(error);
        if let Some(host) = error
            .url()
            .and_then(|url| url.host_str())
            .filter(|_| names_no_host(error))
        {
            // The resolver's text quotes its whole query (`Query { name: Name(…) … }`),
            // which helps a debugging operator and no one else.
            tracing::debug!(
                endpoint,
                host,
                resolver = detail.as_str(),
                "host name not found"
            );
            return JamfError::HostNotFound {
                endpoint,
                host: host.trim_end_matches('.').to_owned(),
            };
        }
        if error.is_timeout() {
            JamfError::Timeout { endpoint, detail }
        } else if is_tls_failure(error) {
            JamfError::Tls { endpoint, detail }
        } else if error.is_decode() || error.is_body() {
            JamfError::Decode { endpoint, detail }
        } else {
            JamfError::Connect { endpoint, detail }
        }
    }
}

/// True when a rustls error is somewhere in the error's chain.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    any_cause(error, |cause| cause.is::<rustls::Error>())
}

/// True when the resolver answered that the name has no address: it does not exist
/// (NXDOMAIN), or has no A or AAAA record. A resolver that cannot be reached is not this.
fn names_no_host(error: &(dyn std::error::Error + 'static)) -> bool {
    any_cause(error, |cause| {
        cause
            .downcast_ref::<hickory_resolver::ResolveError>()
            .is_some_and(hickory_resolver::ResolveError::is_no_records_found)
            || cause
                .downcast_ref::<hickory_resolver::proto::ProtoError>()
                .is_some_and(hickory_resolver::proto::ProtoError::is_no_records_found)
    })
}

/// True when `test` holds for a cause in the error's chain (the error itself excluded).
/// `io::Error::source` skips the error it wraps (and hyper wraps one `io::Error` in
/// another), so wrapped errors are followed through `get_ref` as well.
fn any_cause(
    error: &(dyn std::error::Error + 'static),
    test: impl Fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
    pending.extend(error.source());
    while let Some(cause) = pending.pop() {
        if test(cause) {
            return true;
        }
        if let Some(wrapped) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(wrapped);
        }
        pending.extend(cause.source());
    }
    false
}

/// The innermost cause of a reqwest error, without the URL (it is the endpoint already).
fn transport_detail(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    let text = last.unwrap_or_else(|| error.without_url_string());
    truncate(&text, 200)
}

trait WithoutUrl {
    fn without_url_string(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_string(&self) -> String {
        let mut copy_text = self.to_string();
        if let Some(url) = self.url() {
            copy_text = copy_text.replace(url.as_str(), "");
        }
        copy_text
    }
}

/// Shortens text at a character boundary.
pub fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_contract_reasons() {
        for (status, reason) in [
            (401, Reason::Auth),
            (403, Reason::Forbidden),
            (404, Reason::NotFound),
            (429, Reason::RateLimited),
            (500, Reason::ServerError),
            (502, Reason::ServerError),
            (503, Reason::ServerError),
            (418, Reason::ServerError),
            (408, Reason::Timeout),
        ] {
            assert_eq!(
                JamfError::from_status("/x", status).reason(),
                reason,
                "{status}"
            );
        }
    }

    #[test]
    fn reasons_have_the_contract_spelling() {
        let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "auth",
                "forbidden",
                "not_found",
                "rate_limited",
                "server_error",
                "timeout",
                "connect",
                "tls",
                "decode",
                "internal"
            ]
        );
    }

    #[test]
    fn truncate_respects_character_boundaries() {
        assert_eq!(truncate("ñandú", 2), "ña…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}

#[cfg(test)]
mod resolver_tests {
    use std::sync::Arc;

    use hickory_resolver::proto::op::{Query, ResponseCode};
    use hickory_resolver::proto::rr::{Name, RecordType};
    use hickory_resolver::proto::ProtoError;
    use hickory_resolver::ResolveError;

    use super::*;

    /// The error hickory gives for a name that does not exist, as reqwest receives it.
    fn no_such_name(name: &str) -> ResolveError {
        let name = Name::from_ascii(name).unwrap_or_else(|e| panic!("{e}"));
        ResolveError::from(ProtoError::nx_error(
            Box::new(Query::query(name, RecordType::A)),
            None,
            None,
            None,
            ResponseCode::NXDomain,
            false,
            None,
        ))
    }

    /// A resolver that answers every name with NXDOMAIN, so the test sends no DNS query.
    struct NoSuchName;

    impl reqwest::dns::Resolve for NoSuchName {
        fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            let error = no_such_name(&format!("{}.", name.as_str()));
            Box::pin(
                async move { Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>) },
            )
        }
    }

    /// A resolver that fails the way an unreachable DNS server does.
    struct Unreachable;

    impl reqwest::dns::Resolve for Unreachable {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            let error = ResolveError::from(ProtoError::from("request timed out"));
            Box::pin(
                async move { Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>) },
            )
        }
    }

    async fn transport_error(resolver: impl reqwest::dns::Resolve + 'static) -> reqwest::Error {
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        match client
            .get("http://no-such-school.invalid/api/oauth/token")
            .send()
            .await
        {
            Err(error) => error,
            Ok(response) => panic!("answered {}", response.status()),
        }
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_says_host_name_not_found() {
        let error =
            JamfError::from_transport("/api/oauth/token", &transport_error(NoSuchName).await);
        assert_eq!(error.reason(), Reason::Connect);
        assert_eq!(
            error.to_string(),
            "/api/oauth/token: host name not found: no-such-school.invalid"
        );
    }

    #[tokio::test]
    async fn an_unreachable_resolver_is_not_a_missing_host() {
        let error =
            JamfError::from_transport("/api/oauth/token", &transport_error(Unreachable).await);
        assert!(matches!(error, JamfError::Connect { .. }), "{error:?}");
    }

    #[test]
    fn a_missing_host_is_found_deep_in_the_error_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("dns error")]
        struct Connector(#[source] ResolveError);
        let wrapped = std::io::Error::other(Connector(no_such_name("no-such-school.invalid.")));
        #[derive(Debug, thiserror::Error)]
        #[error("client error")]
        struct Outer(#[source] std::io::Error);
        assert!(names_no_host(&Outer(wrapped)));
        assert!(!names_no_host(&Outer(std::io::Error::other("refused"))));
    }
}
