//! The seed corpus of the fuzz targets (`fuzz/`, docs/fuzzing.md): the bodies the
//! simulator serves for the demo district, and a few hostile values picked by hand.
//!
//! `UPDATE_FUZZ_SEEDS=1 cargo test --lib fuzz_seeds` (or `make fuzz-seeds`) rewrites the
//! `seed-*` files under `fuzz/corpus/<target>/`. Without it, the test only checks that
//! every seed of `jamf_body` reaches the conversion it is meant for, so the seeds keep
//! exercising the collectors as the wire types change.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::dataset::Dataset;
use crate::jamf::model;

/// A fixed instant, so the demo's relative dates give the same seeds on any day.
fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default() // 2026-01-01
}

/// The body kinds of the `jamf_body` target, by the first byte of an input (its distance
/// from `0`, modulo 14: the bytes `0` to `=` are the kinds 0 to 13).
const VPP_LOCATIONS: u8 = b'0';
const VPP_CONTENT: u8 = b'1';
const ADE_INSTANCES: u8 = b'2';
const ADE_LATEST_SYNC: u8 = b'3';
const NOTIFICATIONS: u8 = b'4';
const BUILTIN_CA: u8 = b'5';
const VERSION: u8 = b'6';
const HEALTH_CHECK: u8 = b'7';
const SUPERVISION_IDENTITIES: u8 = b'8';
const CLOUD_SERVICES: u8 = b'9';
const SSO_CERTIFICATE: u8 = b':';
const CLOUD_IDPS: u8 = b';';
const CLOUD_LDAP: u8 = b'<';
const SERVER_CERTIFICATE: u8 = b'=';

struct Seed {
    target: &'static str,
    name: String,
    bytes: Vec<u8>,
}

fn seed(target: &'static str, name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Seed {
    Seed {
        target,
        name: name.into(),
        bytes: bytes.into(),
    }
}

fn body(kind: u8, value: &Value) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend(serde_json::to_vec(value).unwrap_or_default());
    bytes
}

/// The paged-list envelope the simulator answers with.
fn page(results: &[Value]) -> Value {
    json!({ "totalCount": results.len(), "results": results })
}

fn jamf_body_seeds() -> Vec<Seed> {
    let demo = Dataset::demo(fixed_now());
    let mut seeds = vec![seed(
        "jamf_body",
        "demo-vpp-locations",
        body(VPP_LOCATIONS, &page(&demo.vpp_locations)),
    )];
    for (id, items) in &demo.vpp_content {
        seeds.push(seed(
            "jamf_body",
            format!("demo-vpp-content-{id}"),
            body(VPP_CONTENT, &page(items)),
        ));
    }
    seeds.push(seed(
        "jamf_body",
        "demo-ade-instances",
        body(ADE_INSTANCES, &page(&demo.ade_instances)),
    ));
    for (id, sync) in &demo.ade_latest_sync {
        seeds.push(seed(
            "jamf_body",
            format!("demo-ade-latest-sync-{id}"),
            body(ADE_LATEST_SYNC, sync),
        ));
    }
    seeds.push(seed(
        "jamf_body",
        "demo-notifications",
        body(NOTIFICATIONS, &json!(demo.notifications)),
    ));
    if let Some(ca) = &demo.builtin_ca {
        seeds.push(seed("jamf_body", "demo-builtin-ca", body(BUILTIN_CA, ca)));
    }
    seeds.push(seed(
        "jamf_body",
        "demo-version",
        body(VERSION, &json!({ "version": demo.version })),
    ));
    let mut health = vec![HEALTH_CHECK];
    health.extend(demo.healthcheck.1.as_bytes());
    seeds.push(seed("jamf_body", "demo-healthcheck", health));
    seeds.push(seed(
        "jamf_body",
        "demo-supervision-identities",
        body(SUPERVISION_IDENTITIES, &page(&demo.supervision_identities)),
    ));
    if let Some(token) = &demo.csa_token {
        seeds.push(seed(
            "jamf_body",
            "demo-csa-token",
            body(CLOUD_SERVICES, token),
        ));
    }
    if let Some(certificate) = &demo.sso_cert {
        seeds.push(seed(
            "jamf_body",
            "demo-sso-cert",
            body(SSO_CERTIFICATE, certificate),
        ));
    }
    seeds.push(seed(
        "jamf_body",
        "demo-cloud-idps",
        body(CLOUD_IDPS, &page(&demo.cloud_idps)),
    ));
    for (id, ldap) in &demo.cloud_ldaps {
        seeds.push(seed(
            "jamf_body",
            format!("demo-cloud-ldap-{id}"),
            body(CLOUD_LDAP, ldap),
        ));
    }
    // Not a certificate: the DER parser must refuse it without panicking.
    seeds.push(seed(
        "jamf_body",
        "hostile-server-certificate",
        [
            SERVER_CERTIFICATE,
            0x30,
            0x82,
            0xff,
            0xff,
            0x30,
            0x03,
            0x02,
            0x01,
        ],
    ));

    // Hostile values: a year 99999, counts of 1e300, huge epoch numbers.
    seeds.extend([
        seed(
            "jamf_body",
            "hostile-vpp-locations",
            body(
                VPP_LOCATIONS,
                &page(&[
                    json!({"id": "1", "tokenExpiration": "99999-01-01T00:00:00Z",
                        "totalPurchasedLicenses": 1e300, "totalUsedLicenses": -1,
                        "lastSyncTime": "9223372036854775807"}),
                    json!({"id": 1e300, "tokenExpiration": "253402300800000",
                        "totalPurchasedLicenses": 9007199254740993u64,
                        "lastSyncTime": "+99999-12-31T23:59:59Z"}),
                    json!({"id": "", "name": null}),
                ]),
            ),
        ),
        seed(
            "jamf_body",
            "hostile-vpp-content",
            body(
                VPP_CONTENT,
                &page(&[
                    json!({"adamId": 1, "name": "A", "licenseCountTotal": 1e300,
                        "licenseCountInUse": 1.7976931348623157e308}),
                    json!({"adamId": 1, "name": "A", "licenseCountTotal": 1e300,
                        "licenseCountInUse": 1.7976931348623157e308}),
                ]),
            ),
        ),
        seed(
            "jamf_body",
            "hostile-ade-latest-sync",
            body(
                ADE_LATEST_SYNC,
                &json!({"syncState": "SUCCESSFUL", "timestamp": "99999-12-31T00:00:00.000+0000"}),
            ),
        ),
        seed(
            "jamf_body",
            "hostile-builtin-ca",
            body(
                BUILTIN_CA,
                &json!({"notAfter": 9_223_372_036_854_775_807i64}),
            ),
        ),
        seed(
            "jamf_body",
            "hostile-builtin-ca-float",
            body(BUILTIN_CA, &json!({"notAfter": 1e20})),
        ),
        seed(
            "jamf_body",
            "hostile-healthcheck",
            [
                &[HEALTH_CHECK][..],
                br#"[{"healthCode":-9223372036854775808}]"#,
            ]
            .concat(),
        ),
    ]);
    seeds
}

fn dates_seeds() -> Vec<Seed> {
    let demo = Dataset::demo(fixed_now());
    let mut seeds = Vec::new();
    // One of each form the demo serves.
    let forms = [
        (
            "demo-instant",
            demo.vpp_locations[0]["tokenExpiration"].clone(),
        ),
        (
            "demo-date-only",
            demo.ade_instances[0]["tokenExpirationDate"].clone(),
        ),
        (
            "demo-offset-without-colon",
            demo.ade_latest_sync["1"]["timestamp"].clone(),
        ),
        (
            "demo-zoneless",
            demo.ade_latest_sync["2"]["timestamp"].clone(),
        ),
        (
            "demo-epoch-seconds",
            Value::String(
                demo.builtin_ca
                    .as_ref()
                    .map(|ca| ca["notAfter"].to_string())
                    .unwrap_or_default(),
            ),
        ),
    ];
    for (name, value) in forms {
        seeds.push(seed("dates", name, value.as_str().unwrap_or_default()));
    }
    for (name, text) in [
        ("slash-date", "2026/06/19"),
        ("offset-with-colon", "2026-09-03T09:41:07-07:00"),
        ("epoch-milliseconds", "1798761600000"),
        ("hostile-year-99999", "99999-01-01T00:00:00Z"),
        ("hostile-signed-year", "+99999-01-01T00:00:00Z"),
        ("hostile-epoch-max", "9223372036854775807"),
        ("hostile-epoch-past-9999", "253402300800000"),
        ("hostile-epoch-overflow", "99999999999999999999"),
    ] {
        seeds.push(seed("dates", name, text));
    }
    seeds.push(seed("dates", "hostile-epoch-bytes", i64::MAX.to_le_bytes()));
    seeds
}

fn durations_seeds() -> Vec<Seed> {
    [
        ("refresh-interval", "5m"),
        ("timeout", "30s"),
        ("every-unit", "1y2w3d4h5m6s7ms"),
        ("zero", "0"),
        ("hostile-overflow", "99999999999999999999y"),
        ("hostile-near-limit", "584942417y"),
        ("hostile-max-millis", "18446744073709551615ms"),
    ]
    .into_iter()
    .map(|(name, text)| seed("durations", name, text))
    .collect()
}

fn web_config_seeds() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = [
        ("empty", ""),
        (
            "headers-and-http2",
            "http_server_config:\n  http2: no\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n",
        ),
        ("rate-limit", "rate_limit:\n  interval: 1m30s\n  burst: 10\n"),
        ("hostile-rate-limit", "rate_limit:\n  interval: 1\n  burst: 18446744073709551615\n"),
        ("hostile-interval", "rate_limit:\n  interval: 99999999999999999999h\n  burst: 1\n"),
    ]
    .into_iter()
    .map(|(name, text)| seed("web_config", name, text))
    .collect();
    if let Ok(hash) = bcrypt::hash("fuzz", 4) {
        let text = format!("basic_auth_users:\n  alice: {hash}\n");
        seeds.push(seed("web_config", "basic-auth", text));
    }
    // Inline PEM, so the target reaches the TLS settings without reading a file.
    if let Ok(identity) = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]) {
        let indent = |pem: String| {
            pem.lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        };
        let text = format!(
            "tls_server_config:\n  cert: |\n{}  key: |\n{}  min_version: TLS12\n  client_auth_type: RequestClientCert\n",
            indent(identity.cert.pem()),
            indent(identity.signing_key.serialize_pem()),
        );
        seeds.push(seed("web_config", "tls-inline", text));
    }
    seeds
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn all_seeds() -> Vec<Seed> {
    let mut seeds = jamf_body_seeds();
    seeds.extend(dates_seeds());
    seeds.extend(durations_seeds());
    seeds.extend(web_config_seeds());
    seeds
}

#[test]
fn fuzz_seeds_are_written_when_asked() {
    if std::env::var_os("UPDATE_FUZZ_SEEDS").is_none() {
        return;
    }
    let seeds = all_seeds();
    for target in ["jamf_body", "dates", "durations", "web_config"] {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        // Old seeds go, so a seed removed here does not linger; libFuzzer's own files stay.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let is_seed = path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("seed-"));
            if is_seed {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    for seed in seeds {
        let path = corpus_dir(seed.target).join(format!("seed-{}", seed.name));
        std::fs::write(&path, &seed.bytes).unwrap();
    }
}

/// Each demo seed must decode into its wire type, or the target would throw it away
/// at the first step and never reach the collector's conversion.
#[test]
fn demo_seeds_of_jamf_body_decode_into_their_wire_types() {
    fn decodes<T: serde::de::DeserializeOwned>(body: &[u8]) -> bool {
        serde_json::from_slice::<T>(body).is_ok()
    }
    let seeds = jamf_body_seeds();
    let demo: Vec<&Seed> = seeds
        .iter()
        .filter(|s| s.name.starts_with("demo-"))
        .collect();
    assert!(demo.len() >= 13, "one demo seed per body kind at least");
    for seed in demo {
        let (kind, body) = seed.bytes.split_first().unwrap();
        let ok = match *kind {
            VPP_LOCATIONS => decodes::<model::Page<model::VppLocation>>(body),
            VPP_CONTENT => decodes::<model::Page<model::VppContent>>(body),
            ADE_INSTANCES => decodes::<model::Page<model::DeviceEnrollment>>(body),
            ADE_LATEST_SYNC => decodes::<model::DeviceEnrollmentSync>(body),
            NOTIFICATIONS => decodes::<Vec<model::Notification>>(body),
            BUILTIN_CA => decodes::<model::CertificateAuthority>(body),
            VERSION => decodes::<model::JamfProVersion>(body),
            HEALTH_CHECK => crate::collectors::healthcheck::parse(body).is_some(),
            SUPERVISION_IDENTITIES => decodes::<model::Page<model::SupervisionIdentity>>(body),
            CLOUD_SERVICES => decodes::<model::CloudServicesToken>(body),
            SSO_CERTIFICATE => decodes::<model::SsoCertificate>(body),
            CLOUD_IDPS => decodes::<model::Page<model::CloudIdentityProvider>>(body),
            CLOUD_LDAP => decodes::<model::CloudLdap>(body),
            _ => false,
        };
        assert!(ok, "seed-{} does not decode as its body kind", seed.name);
    }
}
