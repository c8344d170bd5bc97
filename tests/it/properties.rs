//! Property tests: generated input that no hand-written fixture would think of.
//!
//! Each property runs 256 cases, so the whole file stays within a few seconds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use jamf_exporter::config::{self, Config};
use jamf_exporter::jamf::dates;
use jamf_exporter::jamf::model::{
    CertificateAuthority, CloudIdentityProvider, CloudLdap, CloudServicesToken, DeviceEnrollment,
    DeviceEnrollmentSync, HealthCheckEntry, JamfProVersion, Notification, OAuthToken, Page,
    SsoCertificate, SupervisionIdentity, UserToken, VppContent, VppLocation,
};
use jamf_exporter::snapshot::{self, Snapshot};
use proptest::prelude::*;
use proptest::sample::select;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Dates (jamf-pro-api.md §8.4)

/// Instants from year 1 to year 9999, with nanoseconds.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..=253_402_300_799i64, 0u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Utc.timestamp_opt(seconds, nanos).unwrap())
}

/// An offset of at most ±23:59, in whole minutes.
fn offset() -> impl Strategy<Value = FixedOffset> {
    (-(23 * 60 + 59)..=(23 * 60 + 59))
        .prop_map(|minutes: i32| FixedOffset::east_opt(minutes * 60).unwrap())
}

/// The instant with its fraction cut to `digits` digits, and that fraction's text.
fn cut(instant: DateTime<Utc>, digits: usize) -> (DateTime<Utc>, String) {
    let nanos = instant.timestamp_subsec_nanos();
    let text = format!("{nanos:09}")[..digits].to_owned();
    let kept = if digits == 0 {
        0
    } else {
        text.parse::<u32>().unwrap() * 10u32.pow(9 - digits as u32)
    };
    let truncated = Utc
        .timestamp_opt(instant.timestamp(), kept)
        .single()
        .unwrap();
    let fraction = if digits == 0 {
        String::new()
    } else {
        format!(".{text}")
    };
    (truncated, fraction)
}

/// The zone suffixes Jamf is seen to send (§8.4).
#[derive(Debug, Clone, Copy)]
enum Zone {
    Z,
    Plus0000,
    Colon,
    NoColon,
    None,
}

fn zone() -> impl Strategy<Value = Zone> {
    select(vec![
        Zone::Z,
        Zone::Plus0000,
        Zone::Colon,
        Zone::NoColon,
        Zone::None,
    ])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn date_parsing_never_panics(text in any::<String>()) {
        let _ = dates::parse(&text);
    }

    #[test]
    fn date_parsing_never_panics_on_date_like_text(text in "[0-9TZz:+./ -]{0,40}") {
        let _ = dates::parse(&text);
    }

    #[test]
    fn date_times_round_trip(
        instant in instant(),
        offset in offset(),
        digits in 0usize..=9,
        zone in zone(),
    ) {
        let (expected, fraction) = cut(instant, digits);
        let text = match zone {
            Zone::Z => format!("{}{fraction}Z", expected.format("%Y-%m-%dT%H:%M:%S")),
            Zone::Plus0000 => format!("{}{fraction}+0000", expected.format("%Y-%m-%dT%H:%M:%S")),
            Zone::None => format!("{}{fraction}", expected.format("%Y-%m-%dT%H:%M:%S")),
            Zone::Colon | Zone::NoColon => {
                let local = expected.with_timezone(&offset);
                let zone_text = local.format(if matches!(zone, Zone::Colon) { "%:z" } else { "%z" });
                format!("{}{fraction}{zone_text}", local.format("%Y-%m-%dT%H:%M:%S"))
            }
        };
        prop_assert_eq!(dates::parse(&text), Some(expected), "{}", text);
    }

    #[test]
    fn dates_round_trip_as_midnight_utc(instant in instant(), slash in any::<bool>()) {
        let date = instant.date_naive();
        let text = date.format(if slash { "%Y/%m/%d" } else { "%Y-%m-%d" }).to_string();
        let midnight = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap());
        prop_assert_eq!(dates::parse(&text), Some(midnight), "{}", text);
    }

    #[test]
    fn epoch_numbers_round_trip(seconds in 1i64..100_000_000_000, millis in 0i64..1000) {
        prop_assert_eq!(
            dates::parse(&seconds.to_string()).map(|d| d.timestamp()),
            Some(seconds)
        );
        let in_millis = seconds.max(100_000_001) * 1000 + millis;
        prop_assert_eq!(
            dates::parse(&in_millis.to_string()).map(|d| d.timestamp_millis()),
            Some(in_millis)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Wire types (src/jamf/model.rs)

/// Every field name of every wire type, so generated objects often hit real fields.
const KNOWN_KEYS: &[&str] = &[
    "id",
    "name",
    "totalPurchasedLicenses",
    "totalUsedLicenses",
    "organizationName",
    "tokenExpiration",
    "countryCode",
    "locationName",
    "clientContextMismatch",
    "siteId",
    "lastSyncTime",
    "licenseCountTotal",
    "licenseCountInUse",
    "contentType",
    "adamId",
    "serverName",
    "tokenExpirationDate",
    "syncState",
    "timestamp",
    "type",
    "notAfter",
    "version",
    "healthCode",
    "access_token",
    "expires_in",
    "token",
    "expires",
    "totalCount",
    "results",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KNOWN_KEYS).prop_map(str::to_owned),
        1 => "\\PC{0,10}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Decodes as the client does (through `serde_path_to_error`, from bytes) and as a
/// value; either may fail, neither may panic.
fn decode<T: DeserializeOwned>(value: &Value) -> Option<T> {
    let bytes = serde_json::to_vec(value).unwrap();
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let from_bytes: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let from_value: Result<T, _> = serde_json::from_value(value.clone());
    assert_eq!(from_bytes.is_ok(), from_value.is_ok(), "{value}");
    from_value.ok()
}

fn decode_every_wire_type(value: &Value) {
    let _ = decode::<Page<VppLocation>>(value);
    let _ = decode::<VppLocation>(value);
    let _ = decode::<Page<VppContent>>(value);
    let _ = decode::<VppContent>(value);
    let _ = decode::<Page<DeviceEnrollment>>(value);
    let _ = decode::<DeviceEnrollment>(value);
    let _ = decode::<DeviceEnrollmentSync>(value);
    let _ = decode::<Vec<Notification>>(value);
    let _ = decode::<Notification>(value);
    let _ = decode::<CertificateAuthority>(value);
    let _ = decode::<JamfProVersion>(value);
    let _ = decode::<Vec<HealthCheckEntry>>(value);
    let _ = decode::<OAuthToken>(value);
    let _ = decode::<UserToken>(value);
    // Renewals (issue 9).
    let _ = decode::<Page<SupervisionIdentity>>(value);
    let _ = decode::<CloudServicesToken>(value);
    let _ = decode::<SsoCertificate>(value);
    let _ = decode::<Page<CloudIdentityProvider>>(value);
    let _ = decode::<CloudLdap>(value);
}

/// An object with each of `fields` absent or null, plus unknown fields with any value.
fn empty_object(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(any::<bool>(), fields.len()),
        prop::collection::btree_map("[a-zA-Z_]{1,12}", json(), 0..4),
    )
        .prop_map(move |(nulls, extra)| {
            let mut object = Map::new();
            for (key, value) in extra {
                if !fields.contains(&key.as_str()) {
                    object.insert(key, value);
                }
            }
            for (field, null) in fields.iter().zip(nulls) {
                if null {
                    object.insert((*field).to_owned(), Value::Null);
                }
            }
            Value::Object(object)
        })
}

const LOCATION_FIELDS: &[&str] = &[
    "id",
    "name",
    "totalPurchasedLicenses",
    "totalUsedLicenses",
    "organizationName",
    "tokenExpiration",
    "countryCode",
    "locationName",
    "clientContextMismatch",
    "siteId",
    "lastSyncTime",
];
const CONTENT_FIELDS: &[&str] = &[
    "name",
    "licenseCountTotal",
    "licenseCountInUse",
    "contentType",
    "adamId",
];
const ENROLLMENT_FIELDS: &[&str] = &["id", "name", "serverName", "tokenExpirationDate"];
const SYNC_FIELDS: &[&str] = &["syncState", "timestamp"];
const PAGE_FIELDS: &[&str] = &["totalCount", "results"];

/// A well-typed location: each field absent, null, or a value of its JSON type.
#[derive(Debug, Clone)]
struct GeneratedLocation {
    id: Option<Value>,
    name: Option<String>,
    purchased: Option<f64>,
    used: Option<f64>,
    token_expiration: Option<String>,
    mismatch: Option<bool>,
    site_id: Option<Value>,
    null_for_none: bool,
}

fn id_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[0-9]{1,6}".prop_map(Value::String),
        (-1i64..1_000_000).prop_map(Value::from),
    ]
}

fn generated_location() -> impl Strategy<Value = GeneratedLocation> {
    (
        proptest::option::of(id_value()),
        proptest::option::of("\\PC{0,16}"),
        proptest::option::of(0u32..100_000),
        proptest::option::of(0u32..100_000),
        proptest::option::of("\\PC{0,24}"),
        proptest::option::of(any::<bool>()),
        proptest::option::of(id_value()),
        any::<bool>(),
    )
        .prop_map(
            |(id, name, purchased, used, token_expiration, mismatch, site_id, null_for_none)| {
                GeneratedLocation {
                    id,
                    name,
                    purchased: purchased.map(f64::from),
                    used: used.map(f64::from),
                    token_expiration,
                    mismatch,
                    site_id,
                    null_for_none,
                }
            },
        )
}

impl GeneratedLocation {
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        let mut put = |key: &str, value: Option<Value>| match value {
            Some(value) => {
                object.insert(key.to_owned(), value);
            }
            None if self.null_for_none => {
                object.insert(key.to_owned(), Value::Null);
            }
            None => {}
        };
        put("id", self.id.clone());
        put("name", self.name.clone().map(Value::String));
        put("totalPurchasedLicenses", self.purchased.map(Value::from));
        put("totalUsedLicenses", self.used.map(Value::from));
        put(
            "tokenExpiration",
            self.token_expiration.clone().map(Value::String),
        );
        put("clientContextMismatch", self.mismatch.map(Value::Bool));
        put("siteId", self.site_id.clone());
        Value::Object(object)
    }
}

/// An id as the wire types keep it: the string itself, or the integer's digits.
fn id_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(|value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn server_certificate_parsing_never_panics(
        der in prop::collection::vec(any::<u8>(), 0..600),
        prefix in select(vec![vec![], vec![0x30, 0x82, 0x01, 0x00], vec![0x30, 0x81, 0x80, 0x30]]),
    ) {
        // The certificate comes from Jamf's server too: any bytes are no date, never a panic.
        let bytes: Vec<u8> = prefix.into_iter().chain(der).collect();
        let _ = jamf_exporter::collectors::server_certificate::from_der(&bytes);
    }

    #[test]
    fn wire_types_never_panic_on_any_json(value in json()) {
        decode_every_wire_type(&value);
        // And inside the envelopes and arrays they arrive in.
        let mut page = Map::new();
        page.insert("totalCount".to_owned(), Value::from(1));
        page.insert("results".to_owned(), Value::Array(vec![value.clone()]));
        decode_every_wire_type(&Value::Object(page));
        decode_every_wire_type(&Value::Array(vec![value]));
    }

    #[test]
    fn missing_or_null_location_fields_are_none(value in empty_object(LOCATION_FIELDS)) {
        let location: VppLocation = decode(&value).expect("decodes");
        prop_assert!(location.id.is_none() && location.name.is_none());
        prop_assert!(location.total_purchased_licenses.is_none());
        prop_assert!(location.total_used_licenses.is_none());
        prop_assert!(location.organization_name.is_none() && location.token_expiration.is_none());
        prop_assert!(location.country_code.is_none() && location.location_name.is_none());
        prop_assert!(location.client_context_mismatch.is_none() && location.site_id.is_none());
        prop_assert!(location.last_sync_time.is_none());
    }

    #[test]
    fn missing_or_null_content_fields_are_none(value in empty_object(CONTENT_FIELDS)) {
        let item: VppContent = decode(&value).expect("decodes");
        prop_assert!(item.name.is_none() && item.content_type.is_none() && item.adam_id.is_none());
        prop_assert!(item.license_count_total.is_none() && item.license_count_in_use.is_none());
    }

    #[test]
    fn missing_or_null_enrollment_fields_are_none(
        instance in empty_object(ENROLLMENT_FIELDS),
        sync in empty_object(SYNC_FIELDS),
    ) {
        let instance: DeviceEnrollment = decode(&instance).expect("decodes");
        prop_assert!(instance.id.is_none() && instance.name.is_none());
        prop_assert!(instance.server_name.is_none() && instance.token_expiration_date.is_none());
        let sync: DeviceEnrollmentSync = decode(&sync).expect("decodes");
        prop_assert!(sync.sync_state.is_none() && sync.timestamp.is_none());
    }

    #[test]
    fn missing_or_null_single_fields_are_none(
        notification in empty_object(&["type"]),
        ca in empty_object(&["notAfter"]),
        version in empty_object(&["version"]),
        health in empty_object(&["healthCode"]),
        page in empty_object(PAGE_FIELDS),
    ) {
        prop_assert!(decode::<Notification>(&notification).expect("decodes").kind.is_none());
        prop_assert!(decode::<CertificateAuthority>(&ca).expect("decodes").not_after.is_none());
        prop_assert!(decode::<JamfProVersion>(&version).expect("decodes").version.is_none());
        prop_assert!(decode::<HealthCheckEntry>(&health).expect("decodes").health_code.is_none());
        let page: Page<VppLocation> = decode(&page).expect("decodes");
        prop_assert!(page.total_count.is_none() && page.results.is_empty());
    }

    #[test]
    fn token_lifetimes_may_be_missing_or_null(
        oauth in empty_object(&["expires_in"]),
        user in empty_object(&["expires"]),
        token in "\\PC{1,40}",
    ) {
        let mut oauth = oauth;
        oauth.as_object_mut().unwrap().insert("access_token".to_owned(), Value::String(token.clone()));
        prop_assert!(decode::<OAuthToken>(&oauth).expect("decodes").expires_in.is_none());
        let mut user = user;
        user.as_object_mut().unwrap().insert("token".to_owned(), Value::String(token));
        let decoded: UserToken = decode(&user).expect("decodes");
        prop_assert!(decoded.expires.is_none() || decoded.expires == Some(Value::Null));
    }

    #[test]
    fn well_typed_locations_decode_to_their_values(generated in generated_location()) {
        let value = generated.to_json();
        let location: VppLocation = decode(&value).expect("decodes");
        prop_assert_eq!(location.id, id_text(&generated.id));
        prop_assert_eq!(location.name, generated.name.clone());
        prop_assert_eq!(location.total_purchased_licenses, generated.purchased);
        prop_assert_eq!(location.total_used_licenses, generated.used);
        prop_assert_eq!(location.token_expiration, generated.token_expiration.clone());
        prop_assert_eq!(location.client_context_mismatch, generated.mismatch);
        prop_assert_eq!(location.site_id, id_text(&generated.site_id));
    }
}

// ---------------------------------------------------------------------------------------
// Label escaping: snapshot → metrics::render → TextEncoder → parsed back

/// Label values with the characters the exposition format escapes, and any others.
fn label_value() -> impl Strategy<Value = String> {
    prop_oneof!["[\"\\\\\n\r\t a-zA-Z0-9{}=,é€ñ😀]{0,24}", any::<String>(),]
}

/// Parses `name{k="v",...} value` (or `name value`) into the name and the unescaped
/// labels.
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>)> {
    let Some((name, rest)) = line.split_once('{') else {
        let (name, _) = line.split_once(' ')?;
        return Some((name.to_owned(), BTreeMap::new()));
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars();
    loop {
        let mut key = String::new();
        loop {
            match chars.next()? {
                '}' if key.is_empty() => return Some((name.to_owned(), labels)),
                '=' => break,
                c => key.push(c),
            }
        }
        if chars.next()? != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()? {
                '\\' => match chars.next()? {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    _ => return None,
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        match chars.next()? {
            ',' => continue,
            '}' => return Some((name.to_owned(), labels)),
            _ => return None,
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn label_values_survive_the_exposition_format(
        values in prop::collection::vec(label_value(), 6),
    ) {
        let location = snapshot::VppLocation {
            id: values[0].clone(),
            name: values[1].clone(),
            asm_location: values[2].clone(),
            organization: values[3].clone(),
            country_code: values[4].clone(),
            site_id: values[5].clone(),
            licenses_purchased: Some(3.0),
            ..Default::default()
        };
        let snapshot = Snapshot {
            vpp: Some(vec![location].into()),
            ..Snapshot::default()
        };
        let text = jamf_exporter::metrics::render_snapshot(&snapshot, std::time::Duration::from_secs(300), jamf_exporter::bands::TokenBands::DEFAULT, Utc::now());
        let expected: BTreeMap<String, String> = [
            "location_id",
            "location",
            "asm_location",
            "organization",
            "country_code",
            "site_id",
        ]
        .iter()
        .map(|name| (*name).to_owned())
        .zip(values.iter().cloned())
        .collect();
        let samples: Vec<_> = text
            .split('\n')
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("unparseable line {line:?}")))
            .collect();
        let info: Vec<_> = samples
            .iter()
            .filter(|(name, _)| name == "jamf_vpp_location_info")
            .collect();
        prop_assert_eq!(info.len(), 1);
        prop_assert_eq!(&info[0].1, &expected);
        let purchased: Vec<_> = samples
            .iter()
            .filter(|(name, _)| name == "jamf_vpp_licenses_purchased")
            .collect();
        prop_assert_eq!(purchased.len(), 1);
        prop_assert_eq!(purchased[0].1.get("location"), Some(&values[1]));
    }
}

// ---------------------------------------------------------------------------------------
// Flags: arbitrary argument lists never make parsing or validation panic

/// Every long flag, with values that are valid, invalid, or odd. Listen addresses are
/// kept to forms that need no name lookup, and paths to ones that are safe to read.
fn flag_and_value(paths: Vec<String>) -> impl Strategy<Value = Vec<String>> {
    let duration = select(vec![
        "30s",
        "0s",
        "5m",
        "1h",
        "1.5h",
        "-1s",
        "10",
        "s",
        "",
        "1y",
        "1d2h",
        "999999999999h",
        "1ms",
        "0.1s",
    ]);
    let url = select(vec![
        "https://lakeviewusd.jamfcloud.com",
        "http://127.0.0.1:8080/",
        "https://user:pw@jamf.example.org",
        "ftp://jamf.example.org",
        "https://",
        "jamf.example.org",
        "https://jamf.example.org/?q=1",
        "",
        "https://[::1]:8443",
    ]);
    let listen = select(vec![
        ":10052",
        "127.0.0.1:0",
        "[::1]:0",
        "0.0.0.0:99999",
        "nowhere",
        ":",
        "",
        "1.2.3.4:x",
    ]);
    let path = select(paths);
    let text = "\\PC{0,12}";
    prop_oneof![
        (
            select(vec![
                "--jamf.timeout",
                "--refresh.interval",
                "--refresh.timeout"
            ]),
            duration
        )
            .prop_map(|(f, v)| vec![f.to_owned(), v.to_owned()]),
        url.prop_map(|v| vec!["--jamf.url".to_owned(), v.to_owned()]),
        listen.prop_map(|v| vec!["--web.listen-address".to_owned(), v.to_owned()]),
        (
            select(vec![
                "--jamf.client-secret-file",
                "--jamf.password-file",
                "--jamf.ca-file",
                "--web.config.file",
            ]),
            path
        )
            .prop_map(|(f, v)| vec![f.to_owned(), v]),
        (
            select(vec![
                "--jamf.client-id",
                "--jamf.username",
                "--web.telemetry-path",
                "--web.max-requests",
                "--log.level",
                "--log.format",
            ]),
            text
        )
            .prop_map(|(f, v)| vec![f.to_owned(), v]),
        select(vec![
            "--demo",
            "--collector.vpp_content",
            "--collector.vpp-content",
            "--no-collector.vpp",
            "--no-collector.builtin-ca",
            "--collector.healthcheck",
            "--log.level=debug",
            "--web.telemetry-path=/",
            "--",
            "-",
            "--jamf.url",
        ])
        .prop_map(|f| vec![f.to_owned()]),
        // Junk that is not a listen address (which would be looked up by name).
        text.prop_filter("not a listen address", |t| !t.contains("listen"))
            .prop_map(|t| vec![t]),
    ]
}

#[test]
fn flag_parsing_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let paths = vec![
        secret.display().to_string(),
        empty.display().to_string(),
        dir.path().display().to_string(),
        dir.path().join("missing").display().to_string(),
        String::new(),
    ];
    let envs = select(vec![
        vec![],
        vec![("JAMF_CLIENT_SECRET", "s")],
        vec![("JAMF_PASSWORD", "p")],
        vec![("JAMF_CLIENT_SECRET", "s"), ("JAMF_PASSWORD", "p")],
        vec![("JAMF_CLIENT_SECRET", "")],
    ]);
    let strategy = (prop::collection::vec(flag_and_value(paths), 0..8), envs);
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&strategy, |(groups, env)| {
            let mut args = vec!["jamf_exporter".to_owned()];
            args.extend(groups.into_iter().flatten());
            if let Ok(parsed) = config::try_parse_from(&args) {
                let env: HashMap<String, String> = env
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                let _ = Config::from_raw(parsed, &env);
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// The web configuration file (exporter-toolkit format)

/// YAML built from the file's real keys with arbitrary values, so decoding gets past the
/// unknown-key check and into validation.
fn web_yaml() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        "[a-zA-Z0-9_./:$ -]{0,20}".prop_map(|text| format!("'{text}'")),
        (0i64..100_000).prop_map(|n| n.to_string()),
    ];
    let tls_key = select(vec![
        "cert_file",
        "key_file",
        "cert",
        "key",
        "client_auth_type",
        "client_ca_file",
        "client_allowed_sans",
        "min_version",
        "max_version",
        "cipher_suites",
        "curve_preferences",
        "prefer_server_cipher_suites",
    ]);
    let top_key = select(vec![
        "tls_server_config",
        "http_server_config",
        "basic_auth_users",
        "rate_limit",
    ]);
    (
        prop::collection::vec((tls_key, value.clone()), 0..5),
        prop::collection::vec((top_key, value), 0..3),
    )
        .prop_map(|(tls, top)| {
            let mut text = String::new();
            if !tls.is_empty() {
                text.push_str("tls_server_config:\n");
                for (key, value) in tls {
                    text.push_str(&format!("  {key}: {value}\n"));
                }
            }
            for (key, value) in top {
                text.push_str(&format!("{key}: {value}\n"));
            }
            text
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn web_config_decoding_never_panics(text in any::<String>()) {
        let _ = jamf_exporter::web_config::WebConfig::from_yaml(std::path::Path::new("/nonexistent/web.yml"), &text);
    }

    #[test]
    fn web_config_validation_never_panics(text in web_yaml()) {
        let _ = jamf_exporter::web_config::WebConfig::from_yaml(std::path::Path::new("/nonexistent/web.yml"), &text);
    }
}
