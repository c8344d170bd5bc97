//! Request handling: faults and latency first, then routing, auth, paging.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::codec::{base64_decode, parse_pairs};
use super::{Body, Dataset, Fault, RecordedRequest, Shared};

pub(super) const JSON: &str = "application/json;charset=UTF-8";

/// Token requests are tiny; anything bigger is refused rather than buffered.
const MAX_FORM_BYTES: usize = 64 * 1024;

const DEFAULT_PAGE_SIZE: usize = 100;

/// Returned to hyper to drop the connection without an answer.
#[derive(Debug)]
pub(super) struct ResetConnection;

impl fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

pub(super) async fn handle(
    shared: &Shared,
    request: Request<Incoming>,
) -> Result<Response<Body>, ResetConnection> {
    let path = request.uri().path().to_string();
    let (sequence, fault) = shared.arrive(RecordedRequest {
        method: request.method().to_string(),
        path: path.clone(),
        query: request.uri().query().unwrap_or_default().to_string(),
        status: 0,
        auth: auth_kind(request.headers()).to_string(),
    });
    if let Some(Fault::Delay(delay)) = &fault {
        pause(*delay).await;
    }
    pause(shared.latency).await;
    if let Some(Fault::Reset) = fault {
        return Err(ResetConnection);
    }
    let response = match fault.as_ref().and_then(Fault::response) {
        Some(response) => response,
        None => route(shared, request, &path).await,
    };
    shared.answered(sequence, response.status().as_u16());
    Ok(response)
}

async fn pause(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

fn auth_kind(headers: &HeaderMap) -> &'static str {
    let scheme = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_whitespace().next())
        .unwrap_or_default();
    if scheme.eq_ignore_ascii_case("bearer") {
        "bearer"
    } else if scheme.eq_ignore_ascii_case("basic") {
        "basic"
    } else {
        "none"
    }
}

/// The credentials part of `Authorization: <scheme> <credentials>`.
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (given, rest) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|rest| !rest.is_empty())
}

enum Endpoint<'a> {
    HealthCheckPage,
    ApiHealthCheck,
    OauthToken { versioned: bool },
    UserToken,
    KeepAlive,
    InvalidateToken,
    VppList,
    VppOne(&'a str),
    VppContent(&'a str),
    AdeList,
    AdeAllSyncs,
    AdeOne(&'a str),
    AdeSyncs(&'a str),
    AdeLatestSync(&'a str),
    Notifications,
    BuiltinCa,
    Version,
    SupervisionIdentities,
    CsaToken,
    SsoCert,
    CloudIdps,
    CloudLdap(&'a str),
    ComputersInventory(u8),
    MobileDevicesDetail,
    DeviceCommunicationSettings,
}

impl Endpoint<'_> {
    fn parse(path: &str) -> Option<(Endpoint<'_>, Method)> {
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let endpoint = match segments.as_slice() {
            ["healthCheck.html"] => (Endpoint::HealthCheckPage, Method::GET),
            ["api", "v1", "health-check"] => (Endpoint::ApiHealthCheck, Method::GET),
            ["api", "oauth", "token"] => (Endpoint::OauthToken { versioned: false }, Method::POST),
            ["api", "v1", "oauth", "token"] => {
                (Endpoint::OauthToken { versioned: true }, Method::POST)
            }
            ["api", "v1", "auth", "token"] => (Endpoint::UserToken, Method::POST),
            ["api", "v1", "auth", "keep-alive"] => (Endpoint::KeepAlive, Method::POST),
            ["api", "v1", "auth", "invalidate-token"] => (Endpoint::InvalidateToken, Method::POST),
            ["api", "v1", "volume-purchasing-locations"] => (Endpoint::VppList, Method::GET),
            ["api", "v1", "volume-purchasing-locations", id] if !id.is_empty() => {
                (Endpoint::VppOne(id), Method::GET)
            }
            ["api", "v1", "volume-purchasing-locations", id, "content"] if !id.is_empty() => {
                (Endpoint::VppContent(id), Method::GET)
            }
            ["api", "v1", "device-enrollments"] => (Endpoint::AdeList, Method::GET),
            ["api", "v1", "device-enrollments", "syncs"] => (Endpoint::AdeAllSyncs, Method::GET),
            ["api", "v1", "device-enrollments", id] if !id.is_empty() => {
                (Endpoint::AdeOne(id), Method::GET)
            }
            ["api", "v1", "device-enrollments", id, "syncs"] if !id.is_empty() => {
                (Endpoint::AdeSyncs(id), Method::GET)
            }
            ["api", "v1", "device-enrollments", id, "syncs", "latest"] if !id.is_empty() => {
                (Endpoint::AdeLatestSync(id), Method::GET)
            }
            ["api", "v1", "notifications"] => (Endpoint::Notifications, Method::GET),
            ["api", "v1", "pki", "certificate-authority", "active"] => {
                (Endpoint::BuiltinCa, Method::GET)
            }
            ["api", "v1", "jamf-pro-version"] => (Endpoint::Version, Method::GET),
            ["api", "v1", "supervision-identities"] => {
                (Endpoint::SupervisionIdentities, Method::GET)
            }
            ["api", "v1", "csa", "token"] => (Endpoint::CsaToken, Method::GET),
            ["api", "v2", "sso", "cert"] => (Endpoint::SsoCert, Method::GET),
            ["api", "v1", "cloud-idp"] => (Endpoint::CloudIdps, Method::GET),
            ["api", "v2", "cloud-ldaps", id] if !id.is_empty() => {
                (Endpoint::CloudLdap(id), Method::GET)
            }
            ["api", version, "computers-inventory"] => {
                let number = version.strip_prefix('v')?.parse::<u8>().ok()?;
                (Endpoint::ComputersInventory(number), Method::GET)
            }
            ["api", "v2", "mobile-devices", "detail"] => {
                (Endpoint::MobileDevicesDetail, Method::GET)
            }
            ["api", "v1", "device-communication-settings"] => {
                (Endpoint::DeviceCommunicationSettings, Method::GET)
            }
            _ => return None,
        };
        Some(endpoint)
    }

    /// Token endpoints authenticate by other means; a few reads are public.
    fn needs_bearer(&self) -> bool {
        !matches!(
            self,
            Endpoint::HealthCheckPage
                | Endpoint::ApiHealthCheck
                | Endpoint::OauthToken { .. }
                | Endpoint::UserToken
                | Endpoint::BuiltinCa
        )
    }
}

async fn route(shared: &Shared, request: Request<Incoming>, path: &str) -> Response<Body> {
    let Some((endpoint, method)) = Endpoint::parse(path) else {
        return envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0");
    };
    if request.method() != method {
        let mut response = envelope(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "Method Not Allowed",
            "0",
        );
        if let Ok(allow) = HeaderValue::from_str(method.as_str()) {
            response.headers_mut().insert(ALLOW, allow);
        }
        return response;
    }
    let bearer = authorization(request.headers(), "Bearer").map(str::to_string);
    if endpoint.needs_bearer() && !bearer.as_deref().is_some_and(|t| shared.token_valid(t)) {
        return envelope(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "Unauthorized",
            "0",
        );
    }
    let query = parse_pairs(request.uri().query().unwrap_or_default());
    let dataset = shared.dataset();
    match endpoint {
        Endpoint::HealthCheckPage => {
            let (status, body) = &dataset.healthcheck;
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            full(status, JSON, Bytes::from(body.clone()))
        }
        Endpoint::ApiHealthCheck => empty(StatusCode::NO_CONTENT),
        Endpoint::OauthToken { versioned } => {
            if !versioned && shared.oauth_unversioned_missing {
                return envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0");
            }
            oauth_token(shared, request).await
        }
        Endpoint::UserToken => {
            let given = authorization(request.headers(), "Basic")
                .and_then(base64_decode)
                .map(|raw| String::from_utf8_lossy(&raw).into_owned());
            let accepted = given
                .as_deref()
                .and_then(|g| g.split_once(':'))
                .is_some_and(|(user, password)| {
                    user == shared.credentials.username && password == shared.credentials.password
                });
            if accepted {
                user_token(shared)
            } else {
                json_response(
                    StatusCode::UNAUTHORIZED,
                    &json!({"httpStatus": 401, "errors": []}),
                )
            }
        }
        Endpoint::KeepAlive => {
            if let Some(old) = &bearer {
                shared.invalidate_token(old);
            }
            user_token(shared)
        }
        Endpoint::InvalidateToken => {
            if let Some(old) = &bearer {
                shared.invalidate_token(old);
            }
            empty(StatusCode::NO_CONTENT)
        }
        Endpoint::VppList => vpp_list(shared, &dataset, &query),
        Endpoint::VppOne(id) => {
            let answers = shared.lock().vpp_list_answers;
            match location(&dataset, id, answers) {
                Some(location) => {
                    let mut location = location.into_owned();
                    if let Some(object) = location.as_object_mut() {
                        let content = dataset.vpp_content.get(id).cloned().unwrap_or_default();
                        object.insert("content".to_string(), Value::Array(content));
                    }
                    json_response(StatusCode::OK, &location)
                }
                None => location_not_found(id),
            }
        }
        Endpoint::VppContent(id) => {
            if location(&dataset, id, 0).is_none() {
                return location_not_found(id);
            }
            let items: Vec<&Value> = dataset
                .vpp_content
                .get(id)
                .map(|items| items.iter().collect())
                .unwrap_or_default();
            paged(&query, shared.max_page_size, None, items)
        }
        Endpoint::AdeList => paged(
            &query,
            shared.max_page_size,
            Some("id:asc"),
            dataset.ade_instances.iter().collect(),
        ),
        Endpoint::AdeAllSyncs => {
            let syncs: Vec<&Value> = dataset.ade_latest_sync.values().collect();
            json_response(StatusCode::OK, &json!(syncs))
        }
        Endpoint::AdeOne(id) => match ade_instance(&dataset, id) {
            Some(instance) => json_response(StatusCode::OK, instance),
            None => ade_not_found(id),
        },
        Endpoint::AdeSyncs(id) => {
            if ade_instance(&dataset, id).is_none() {
                return ade_not_found(id);
            }
            let syncs: Vec<&Value> = dataset.ade_latest_sync.get(id).into_iter().collect();
            json_response(StatusCode::OK, &json!(syncs))
        }
        Endpoint::AdeLatestSync(id) => {
            match (ade_instance(&dataset, id), dataset.ade_latest_sync.get(id)) {
                (Some(_), Some(sync)) => json_response(StatusCode::OK, sync),
                _ => ade_not_found(id),
            }
        }
        Endpoint::Notifications => json_response(StatusCode::OK, &json!(dataset.notifications)),
        Endpoint::BuiltinCa => match &dataset.builtin_ca {
            Some(ca) => json_response(StatusCode::OK, ca),
            None => envelope(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "No active certificate authority",
                "0",
            ),
        },
        Endpoint::Version => json_response(StatusCode::OK, &json!({"version": dataset.version})),
        Endpoint::SupervisionIdentities => paged(
            &query,
            shared.max_page_size,
            Some("id:asc"),
            dataset.supervision_identities.iter().collect(),
        ),
        // Jamf answers 404 when no Cloud Services connection or SSO keystore is set up.
        Endpoint::CsaToken => match &dataset.csa_token {
            Some(token) => json_response(StatusCode::OK, token),
            None => envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0"),
        },
        Endpoint::SsoCert => match &dataset.sso_cert {
            Some(certificate) => json_response(StatusCode::OK, certificate),
            None => envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0"),
        },
        Endpoint::CloudIdps => paged(
            &query,
            shared.max_page_size,
            Some("id:asc"),
            dataset.cloud_idps.iter().collect(),
        ),
        Endpoint::CloudLdap(id) => match dataset.cloud_ldaps.get(id) {
            Some(ldap) => json_response(StatusCode::OK, ldap),
            None => envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", id),
        },
        Endpoint::ComputersInventory(version) => {
            if !dataset.computers_inventory_versions.contains(&version) {
                return envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0");
            }
            devices(
                &query,
                shared.max_page_size,
                &COMPUTER_FIELDS,
                dataset.computers.iter().collect(),
            )
        }
        Endpoint::MobileDevicesDetail => devices(
            &query,
            shared.max_page_size,
            &MOBILE_DEVICE_FIELDS,
            dataset.mobile_devices.iter().collect(),
        ),
        Endpoint::DeviceCommunicationSettings => match &dataset.device_communication_settings {
            Some(settings) => json_response(StatusCode::OK, settings),
            None => envelope(StatusCode::NOT_FOUND, "NOT_FOUND", "Not Found", "0"),
        },
    }
}

/// The sort and filter fields a device list knows, each with the record path it reads:
/// Jamf sorts computers by `general.mdmCertificateExpiration`, a name that differs
/// from the field it returns.
const COMPUTER_FIELDS: [(&str, &str); 4] = [
    ("id", "/id"),
    ("general.name", "/general/name"),
    (
        "general.mdmCertificateExpiration",
        "/general/mdmProfileExpiration",
    ),
    (
        "general.remoteManagement.managed",
        "/general/remoteManagement/managed",
    ),
];
const MOBILE_DEVICE_FIELDS: [(&str, &str); 4] = [
    ("mobileDeviceId", "/mobileDeviceId"),
    ("displayName", "/general/displayName"),
    (
        "mdmProfileExpirationDate",
        "/general/mdmProfileExpirationDate",
    ),
    ("managed", "/general/managed"),
];

/// A device list with Jamf's `filter=FIELD==VALUE` (the one form the exporter sends),
/// sort and paging. An unknown field answers 400 `INVALID_FIELD`, as Jamf does.
fn devices(
    query: &[(String, String)],
    max_page_size: usize,
    fields: &[(&str, &str)],
    items: Vec<&Value>,
) -> Response<Body> {
    let pointer = |field: &str| {
        fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, pointer)| *pointer)
    };
    let mut items = items;
    for (_, filter) in query.iter().filter(|(key, _)| key == "filter") {
        let Some((field, wanted)) = filter.split_once("==") else {
            return BadQuery("filter", "only FIELD==VALUE filters are simulated").response();
        };
        let Some(path) = pointer(field) else {
            return BadQuery("filter", "unknown filter field").response();
        };
        items.retain(|item| match item.pointer(path) {
            Some(Value::String(text)) => text == wanted,
            Some(Value::Bool(flag)) => wanted.parse::<bool>().ok() == Some(*flag),
            Some(Value::Number(number)) => number.to_string() == wanted,
            _ => false,
        });
    }
    let mut rewritten = Vec::with_capacity(query.len());
    for (key, value) in query {
        if key != "sort" {
            rewritten.push((key.clone(), value.clone()));
            continue;
        }
        let mut criteria = Vec::new();
        for criterion in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let (field, direction) = criterion.split_once(':').unwrap_or((criterion, "asc"));
            let Some(path) = pointer(field) else {
                return BadQuery("sort", "unknown sort field").response();
            };
            criteria.push(format!("{path}:{direction}"));
        }
        rewritten.push((key.clone(), criteria.join(",")));
    }
    paged(&rewritten, max_page_size, Some("/id:asc"), items)
}

async fn oauth_token(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let oauth_error = |error: &str, description: &str| {
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({
                "error": error,
                "error_description": description,
                "error_uri": "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2",
            }),
        )
    };
    let body = match Limited::new(request.into_body(), MAX_FORM_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return oauth_error("invalid_request", "request body unreadable or too large"),
    };
    let form = parse_pairs(&String::from_utf8_lossy(&body));
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if field("grant_type") != Some("client_credentials") {
        return oauth_error("unsupported_grant_type", "grant type not supported");
    }
    if field("client_id") != Some(shared.credentials.client_id.as_str())
        || field("client_secret") != Some(shared.credentials.client_secret.as_str())
    {
        return oauth_error("invalid_client", "client authentication failed");
    }
    let answer = json!({
        "access_token": shared.issue_token(),
        "scope": "api-role:1",
        "token_type": "Bearer",
        "expires_in": shared.token_lifetime.as_secs().saturating_sub(1),
    });
    let mut response = match &shared.raw_expires_in {
        Some(raw) => raw_field_response(&answer, "expires_in", raw),
        None => json_response(StatusCode::OK, &answer),
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn user_token(shared: &Shared) -> Response<Body> {
    let now = Utc::now();
    let expires = TimeDelta::from_std(shared.token_lifetime)
        .ok()
        .and_then(|lifetime| now.checked_add_signed(lifetime))
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
    let answer = json!({
        "token": shared.issue_token(),
        "expires": expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    });
    match &shared.raw_user_token_expires {
        Some(raw) => raw_field_response(&answer, "expires", raw),
        None => json_response(StatusCode::OK, &answer),
    }
}

/// A 200 JSON answer whose `field` is `raw` text spliced in verbatim, so that values a
/// JSON library would never write (1e400, -0, huge integers) reach the client.
fn raw_field_response(answer: &Value, field: &str, raw: &str) -> Response<Body> {
    let mut without = answer.clone();
    if let Some(object) = without.as_object_mut() {
        object.remove(field);
    }
    let rest = without.to_string();
    let inner = rest
        .strip_prefix('{')
        .and_then(|text| text.strip_suffix('}'))
        .unwrap_or_default();
    let separator = if inner.is_empty() { "" } else { "," };
    let body = format!("{{{inner}{separator}{}:{raw}}}", Value::from(field));
    full(StatusCode::OK, JSON, Bytes::from(body))
}

fn vpp_list(shared: &Shared, dataset: &Dataset, query: &[(String, String)]) -> Response<Body> {
    let paging = match Paging::parse(query, shared.max_page_size, Some("id:asc")) {
        Ok(paging) => paging,
        Err(bad) => return bad.response(),
    };
    // Page 0 starts a listing; its later pages see the script state it saw.
    let answers = {
        let mut state = shared.lock();
        if paging.page == 0 {
            state.vpp_list_answers += 1;
        }
        state.vpp_list_answers.saturating_sub(1)
    };
    let locations: Vec<Cow<'_, Value>> = dataset
        .vpp_locations
        .iter()
        .map(|location| {
            let mut location = scripted(dataset, location, answers);
            // The list view never carries content.
            if location.get("content").is_some() {
                if let Some(object) = location.to_mut().as_object_mut() {
                    object.remove("content");
                }
            }
            location
        })
        .collect();
    paging.answer(locations.iter().map(|cow| cow.as_ref()).collect())
}

fn id_of(record: &Value) -> Option<Cow<'_, str>> {
    match record.get("id")? {
        Value::String(id) => Some(Cow::Borrowed(id)),
        Value::Number(id) => Some(Cow::Owned(id.to_string())),
        _ => None,
    }
}

/// `location` with every script step due after `answers` listings merged in.
fn scripted<'a>(dataset: &Dataset, location: &'a Value, answers: usize) -> Cow<'a, Value> {
    let mut result = Cow::Borrowed(location);
    let Some(id) = id_of(location) else {
        return result;
    };
    for step in &dataset.vpp_script {
        if step.after_list_requests > answers || step.location_id != id {
            continue;
        }
        if let (Some(patch), Some(object)) =
            (step.patch.as_object(), result.to_mut().as_object_mut())
        {
            for (key, value) in patch {
                object.insert(key.clone(), value.clone());
            }
        }
    }
    result
}

fn location<'a>(dataset: &'a Dataset, id: &str, answers: usize) -> Option<Cow<'a, Value>> {
    dataset
        .vpp_locations
        .iter()
        .find(|location| id_of(location).is_some_and(|own| own == id))
        .map(|location| scripted(dataset, location, answers))
}

fn ade_instance<'a>(dataset: &'a Dataset, id: &str) -> Option<&'a Value> {
    dataset
        .ade_instances
        .iter()
        .find(|instance| id_of(instance).is_some_and(|own| own == id))
}

fn location_not_found(id: &str) -> Response<Body> {
    envelope(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Volume purchasing location {id} was not found"),
        id,
    )
}

fn ade_not_found(id: &str) -> Response<Body> {
    envelope(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Device enrollment instance {id} was not found"),
        id,
    )
}

fn paged(
    query: &[(String, String)],
    max_page_size: usize,
    default_sort: Option<&str>,
    items: Vec<&Value>,
) -> Response<Body> {
    match Paging::parse(query, max_page_size, default_sort) {
        Ok(paging) => paging.answer(items),
        Err(bad) => bad.response(),
    }
}

/// A query the server refuses: which parameter and why.
struct BadQuery(&'static str, &'static str);

impl BadQuery {
    fn response(&self) -> Response<Body> {
        envelope(StatusCode::BAD_REQUEST, "INVALID_FIELD", self.1, self.0)
    }
}

struct Paging {
    page: usize,
    size: usize,
    /// (field, descending)
    sort: Vec<(String, bool)>,
}

impl Paging {
    fn parse(
        query: &[(String, String)],
        max_page_size: usize,
        default_sort: Option<&str>,
    ) -> Result<Paging, BadQuery> {
        let value = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let page = match value("page") {
            None => 0,
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .map_err(|_| BadQuery("page", "page must be a non-negative integer"))?,
        };
        let size = match value("page-size") {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(size) if size > 0 => size,
                _ => {
                    return Err(BadQuery(
                        "page-size",
                        "page-size must be a positive integer",
                    ))
                }
            },
        };
        let mut criteria: Vec<&str> = query
            .iter()
            .filter(|(key, _)| key == "sort")
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|criterion| !criterion.is_empty())
            .collect();
        if criteria.is_empty() {
            criteria.extend(default_sort);
        }
        let sort = criteria
            .into_iter()
            .map(|criterion| {
                let (field, direction) = criterion.split_once(':').unwrap_or((criterion, "asc"));
                match direction.to_ascii_lowercase().as_str() {
                    _ if field.is_empty() => Err(BadQuery("sort", "sort field missing")),
                    "asc" => Ok((field.to_string(), false)),
                    "desc" => Ok((field.to_string(), true)),
                    _ => Err(BadQuery("sort", "sort direction must be asc or desc")),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Paging {
            page,
            size: size.min(max_page_size),
            sort,
        })
    }

    fn answer(&self, mut items: Vec<&Value>) -> Response<Body> {
        if !self.sort.is_empty() {
            // Keys are computed once per item: lists can hold thousands.
            let mut keyed: Vec<(Vec<SortKey>, &Value)> = items
                .into_iter()
                .map(|item| {
                    let keys = self.sort.iter();
                    (
                        keys.map(|(field, _)| SortKey::of(lookup(item, field)))
                            .collect(),
                        item,
                    )
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                a.iter()
                    .zip(b)
                    .zip(&self.sort)
                    .map(|((a, b), (_, descending))| if *descending { b.cmp(a) } else { a.cmp(b) })
                    .find(|order| order.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
            items = keyed.into_iter().map(|(_, item)| item).collect();
        }
        let total = items.len();
        let start = self.page.saturating_mul(self.size);
        let results: Vec<&Value> = items.into_iter().skip(start).take(self.size).collect();
        json_response(
            StatusCode::OK,
            &json!({ "totalCount": total, "results": results }),
        )
    }
}

/// A sort field: a top-level key, or a JSON pointer (`/general/name`).
fn lookup<'v>(item: &'v Value, field: &str) -> Option<&'v Value> {
    if field.starts_with('/') {
        item.pointer(field)
    } else {
        item.get(field)
    }
}

/// Numbers (and digit strings, so ids sort numerically) before other
/// strings, before anything else; strings case-insensitively.
#[derive(Debug)]
enum SortKey {
    Number(f64),
    Text { folded: String, exact: String },
    Other,
}

impl SortKey {
    fn of(value: Option<&Value>) -> SortKey {
        match value {
            Some(Value::Number(n)) => n.as_f64().map_or(SortKey::Other, SortKey::Number),
            Some(Value::String(s)) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                match s.parse::<f64>() {
                    Ok(n) if numeric => SortKey::Number(n),
                    _ => SortKey::Text {
                        folded: s.to_lowercase(),
                        exact: s.clone(),
                    },
                }
            }
            _ => SortKey::Other,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SortKey::Number(_) => 0,
            SortKey::Text { .. } => 1,
            SortKey::Other => 2,
        }
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (
                SortKey::Text { folded, exact },
                SortKey::Text {
                    folded: other_folded,
                    exact: other_exact,
                },
            ) => folded
                .cmp(other_folded)
                .then_with(|| exact.cmp(other_exact)),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for SortKey {}

pub(super) fn full(status: StatusCode, content_type: &str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).boxed_unsync());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Empty::new().boxed_unsync());
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => full(status, JSON, Bytes::from(body)),
        Err(_) => envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "serialization failed",
            "0",
        ),
    }
}

/// The Jamf Pro API error envelope.
fn envelope(status: StatusCode, code: &str, description: &str, id: &str) -> Response<Body> {
    let body = json!({
        "httpStatus": status.as_u16(),
        "errors": [{ "code": code, "description": description, "id": id, "field": null }],
    });
    // Serializing this literal cannot fail; fall back to an empty body anyway.
    let body = serde_json::to_vec(&body).unwrap_or_default();
    full(status, JSON, Bytes::from(body))
}
