//! One handler per endpoint, for a single server and `--config.file` alike: the
//! runtime's `Mode` decides only what a few of them present.
//!
//! Nothing here calls Jamf: every answer is rendered from the targets' last snapshots.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{header, HeaderValue, Method, Request, Response, StatusCode};

use super::{exposition_response, html, text, text_owned, AppState, Body};
use crate::landing::Links;
use crate::targets::{Fleet, Mode, Target};

/// Answers one admitted and authorised request.
pub async fn handle<B>(state: &AppState, request: Request<B>) -> Response<Body> {
    let fleet = &state.fleet;
    let path = request.uri().path();
    let fleet_only = matches!(path, "/probe" | "/-/reload" | "/sd");
    if fleet_only && fleet.mode == Mode::Single {
        return text(
            StatusCode::NOT_FOUND,
            "not found: only with --config.file\n",
        );
    }
    if path == "/-/reload" {
        return reload(fleet, request.method()).await;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let now = Utc::now();
    if path == state.telemetry_path {
        return exposition_response(fleet.telemetry(now).await, request.headers()).await;
    }
    let wanted = target_param(request.uri().query());
    match path {
        "/probe" => probe(fleet, wanted, request.headers(), now).await,
        "/sd" => service_discovery(state, &request),
        "/" => landing(state, wanted, request.headers(), now),
        "/calendar.ics" => calendar(fleet, wanted, now, state.timezone),
        "/-/healthy" => text(StatusCode::OK, "OK\n"),
        "/-/ready" => ready(fleet),
        _ => match path.strip_prefix("/runbooks/") {
            Some(name) => runbook(name, request.headers()),
            None => text(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

async fn probe(
    fleet: &Fleet,
    wanted: Wanted,
    headers: &http::HeaderMap,
    now: DateTime<Utc>,
) -> Response<Body> {
    match chosen(fleet, wanted, true) {
        Ok(Some(target)) => {
            exposition_response(target.metrics.exposition(now).await, headers).await
        }
        Ok(None) => text(StatusCode::BAD_REQUEST, "the target parameter is missing\n"),
        Err((status, message)) => text_owned(status, message),
    }
}

/// `/sd`: Prometheus HTTP service discovery for this replica's targets.
fn service_discovery<B>(state: &AppState, request: &Request<B>) -> Response<Body> {
    let address = match &state.sd_address {
        Some(address) => address.clone(),
        None => match request_host(request) {
            Some(host) => host,
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    "no usable Host in the request: set --web.sd-address\n",
                )
            }
        },
    };
    let tls = state.web.current().tls_acceptor().is_some();
    let body = crate::targets::discovery(&state.fleet.view(), &address, tls);
    let mut response = Response::new(Body::from(bytes::Bytes::from(body)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The host (and port) the request came to, from HTTP/2's authority or the `Host`
/// header, when it is a plain host name or address: it goes into every target group.
fn request_host<B>(request: &Request<B>) -> Option<String> {
    let host = match request.uri().authority() {
        Some(authority) => authority.as_str().to_owned(),
        None => request
            .headers()
            .get(header::HOST)?
            .to_str()
            .ok()?
            .to_owned(),
    };
    plain_host(&host).then_some(host)
}

/// True for `name`, `name:port`, `1.2.3.4:port` and `[::1]:port`: nothing that could
/// smuggle a path, credentials or a second address into `__address__`.
fn plain_host(text: &str) -> bool {
    let valid_port = |port: &str| port.parse::<u16>().is_ok_and(|p| p > 0);
    if let Some(rest) = text.strip_prefix('[') {
        let Some((inner, tail)) = rest.split_once(']') else {
            return false;
        };
        return inner.parse::<std::net::Ipv6Addr>().is_ok()
            && (tail.is_empty() || tail.strip_prefix(':').is_some_and(valid_port));
    }
    let (host, port) = match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    (1..=253).contains(&host.len())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && port.is_none_or(valid_port)
}

/// `/`: a single server's page; for a fleet, the list of targets, or one target's page
/// with `?target=NAME`, whose links then point at that target's probe and calendar.
fn landing(
    state: &AppState,
    wanted: Wanted,
    headers: &http::HeaderMap,
    now: DateTime<Utc>,
) -> Response<Body> {
    let fleet = &state.fleet;
    let zone = state.timezone;
    match chosen(fleet, wanted, false) {
        Ok(Some(target)) if fleet.mode == Mode::Fleet => {
            // Names are plain ASCII (letters, digits, `.`, `_`, `-`): safe in a query.
            let name = &target.spec.name;
            let probe = format!("/probe?target={name}");
            let calendar = format!("/calendar.ics?target={name}");
            let links = Links {
                metrics: &probe,
                calendar: &calendar,
            };
            html(
                crate::landing::render(
                    &target.store.load(),
                    links,
                    target.spec.thresholds,
                    now,
                    zone,
                ),
                headers,
            )
        }
        Ok(Some(target)) => html(
            crate::landing::render(
                &target.store.load(),
                Links {
                    metrics: &state.telemetry_path,
                    calendar: "/calendar.ics",
                },
                target.spec.thresholds,
                now,
                zone,
            ),
            headers,
        ),
        Ok(None) => html(
            crate::targets::page::render(
                &fleet.view(),
                &state.telemetry_path,
                fleet.shard,
                now,
                zone,
            ),
            headers,
        ),
        Err((status, message)) => text_owned(status, message),
    }
}

/// `/runbooks/NAME`: a runbook built into the binary, as one HTML page.
fn runbook(name: &str, headers: &http::HeaderMap) -> Response<Body> {
    match crate::runbooks::html_page(name) {
        Some(page) => html(page, headers),
        None => text_owned(
            StatusCode::NOT_FOUND,
            "no such runbook; see /runbooks/README\n".to_owned(),
        ),
    }
}

/// `/calendar.ics`: one target's renewals, or every target's.
fn calendar(
    fleet: &Fleet,
    wanted: Wanted,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> Response<Body> {
    match chosen(fleet, wanted, false) {
        Ok(Some(target)) => {
            calendar_response(crate::calendar::render(&target.store.load(), now, zone))
        }
        Ok(None) => {
            let view = fleet.view();
            let snapshots: Vec<_> = view.targets.values().map(|t| t.store.load()).collect();
            let borrowed: Vec<&crate::snapshot::Snapshot> =
                snapshots.iter().map(|s| s.as_ref()).collect();
            calendar_response(crate::calendar::render_many(
                "Jamf Pro renewals",
                &borrowed,
                now,
                zone,
            ))
        }
        Err((status, message)) => text_owned(status, message),
    }
}

fn calendar_response(feed: String) -> Response<Body> {
    let mut response = Response::new(Body::from(bytes::Bytes::from(feed)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::calendar::CONTENT_TYPE),
    );
    response
}

fn ready(fleet: &Fleet) -> Response<Body> {
    if fleet.ready() {
        return text(StatusCode::OK, "OK\n");
    }
    match fleet.mode {
        Mode::Single => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first refresh\n",
        ),
        Mode::Fleet => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first refresh of every target\n",
        ),
    }
}

/// The `target` query parameter: absent, given once, or given more than once.
enum Wanted {
    Absent,
    One(String),
    Repeated,
}

fn target_param(query: Option<&str>) -> Wanted {
    let Some(query) = query else {
        return Wanted::Absent;
    };
    let mut values = form_pairs(query).filter(|(key, _)| key == "target");
    match (values.next(), values.next()) {
        (None, _) => Wanted::Absent,
        (Some((_, value)), None) => Wanted::One(value),
        (Some(_), Some(_)) => Wanted::Repeated,
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The target a request names. `Ok(None)` when it names none; an unknown, repeated or
/// other shard's name is answered at once. `required` makes a missing name a 400 too.
/// A single server's one target is chosen whatever the query says.
fn chosen(
    fleet: &Fleet,
    wanted: Wanted,
    required: bool,
) -> Result<Option<Arc<Target>>, (StatusCode, String)> {
    if fleet.mode == Mode::Single {
        return Ok(fleet.first());
    }
    match wanted {
        Wanted::Absent if required => Err((
            StatusCode::BAD_REQUEST,
            "the target parameter is missing: use ?target=NAME\n".to_owned(),
        )),
        Wanted::Absent => Ok(None),
        Wanted::Repeated => Err((
            StatusCode::BAD_REQUEST,
            "the target parameter is given more than once\n".to_owned(),
        )),
        Wanted::One(name) => {
            let view = fleet.view();
            if let Some(target) = view.targets.get(&name) {
                return Ok(Some(target.clone()));
            }
            let message = match view.elsewhere.get(&name) {
                Some(shard) => format!(
                    "target {name:?} belongs to shard {shard} of {}; this replica serves shard {}\n",
                    fleet.shard.total, fleet.shard.index
                ),
                None => format!("unknown target {name:?}\n"),
            };
            Err((StatusCode::NOT_FOUND, message))
        }
    }
}

async fn reload(fleet: &Fleet, method: &Method) -> Response<Body> {
    if method != Method::POST {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "use POST to reload\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    match fleet.reload().await {
        Ok(()) => text(StatusCode::OK, "OK\n"),
        Err(reason) => text_owned(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {reason}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hosts_are_given_to_prometheus() {
        for good in [
            "exporter:10052",
            "10.0.0.7:10052",
            "[::1]:10052",
            "exporter",
            "a-b.c_d",
        ] {
            assert!(plain_host(good), "{good}");
        }
        for bad in [
            "",
            "exporter:",
            "exporter:0",
            "exporter:99999",
            "user@exporter:10052",
            "exporter/metrics",
            "exporter:10052,other:1",
            "[::1",
            "[nope]:1",
            "ex porter",
            "::1",
        ] {
            assert!(!plain_host(bad), "{bad}");
        }
    }

    #[test]
    fn the_target_parameter_is_found_decoded_and_counted() {
        assert!(matches!(target_param(None), Wanted::Absent));
        assert!(matches!(target_param(Some("x=1")), Wanted::Absent));
        assert!(matches!(
            target_param(Some("target=a&target=b")),
            Wanted::Repeated
        ));
        match target_param(Some("module=x&target=lake%2Eview")) {
            Wanted::One(name) => assert_eq!(name, "lake.view"),
            _ => panic!("one target"),
        }
        assert_eq!(decode("a%zz%4"), "a%zz%4");
        assert_eq!(decode("a+b%20c"), "a b c");
    }
}
