//! The endpoints that change with `--config.file`: `/probe`, `/-/reload`, and the
//! fleet's forms of the telemetry path, `/`, `/calendar.ics` and `/-/ready`.
//!
//! Like every endpoint, none of them calls Jamf: a probe renders its target's last
//! snapshot.

use std::sync::Arc;

use http::{header, HeaderValue, Method, Request, Response, StatusCode};

use super::{exposition_response, html, text, text_owned, AppState, Body};
use crate::targets::{Fleet, Target};

/// Answers what the fleet changes; `None` leaves the request to the usual routes.
pub async fn handle<B>(
    state: &AppState,
    fleet: &Fleet,
    request: &Request<B>,
) -> Option<Response<Body>> {
    let path = request.uri().path();
    if path == "/-/reload" {
        return Some(reload(fleet, request.method()).await);
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return None;
    }
    let now = chrono::Utc::now();
    if path == state.telemetry_path {
        return Some(exposition_response(fleet.metrics.exposition(now), request.headers()).await);
    }
    let wanted = target_param(request.uri().query());
    Some(match path {
        "/probe" => match chosen(fleet, wanted, true) {
            Ok(Some(target)) => {
                exposition_response(target.metrics.exposition(now).await, request.headers()).await
            }
            Ok(None) => text(StatusCode::BAD_REQUEST, "the target parameter is missing\n"),
            Err((status, message)) => text_owned(status, message),
        },
        "/" => match chosen(fleet, wanted, false) {
            Ok(Some(target)) => {
                let probe = format!("/probe?target={}", target.spec.name);
                let page = crate::landing::render(&target.store.load(), &probe, now).replace(
                    "href=\"/calendar.ics\"",
                    &format!("href=\"/calendar.ics?target={}\"", target.spec.name),
                );
                html(page)
            }
            Ok(None) => html(crate::targets::page::render(
                &fleet.view(),
                &state.telemetry_path,
                fleet.shard,
                now,
            )),
            Err((status, message)) => text_owned(status, message),
        },
        "/calendar.ics" => match chosen(fleet, wanted, false) {
            Ok(Some(target)) => crate::calendar::response(&target.store.load(), now),
            Ok(None) => {
                let view = fleet.view();
                let snapshots: Vec<_> = view.targets.values().map(|t| t.store.load()).collect();
                let borrowed: Vec<&crate::snapshot::Snapshot> =
                    snapshots.iter().map(|s| s.as_ref()).collect();
                crate::calendar::feed_response(crate::calendar::render_many(
                    "Jamf Pro renewals",
                    &borrowed,
                    now,
                ))
            }
            Err((status, message)) => text_owned(status, message),
        },
        "/-/ready" => {
            if fleet.ready() {
                text(StatusCode::OK, "OK\n")
            } else {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "waiting for the first refresh of every target\n",
                )
            }
        }
        _ => return None,
    })
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
fn chosen(
    fleet: &Fleet,
    wanted: Wanted,
    required: bool,
) -> Result<Option<Arc<Target>>, (StatusCode, String)> {
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
