//! Rendering: the same samples as the prometheus crate's encoder, escaping, the cache,
//! gzip, the clock, and docs/metrics.md held to the declared families.

// Records end in `..Default::default()` even where every field is set today, so a new
// field of a snapshot record needs no change here.
#![allow(clippy::needless_update)]

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::Registry;

use super::families::{Family, Kind};
use super::text::Sink;
use super::*;
use crate::bands::TokenBands;
use crate::snapshot::{
    AdeInstance, BuiltinCa, CloudLdapKeystore, CloudServices, CollectorStatus, HealthCheck,
    JamfVersion, ServerCertificate, SsoCertificate, SupervisionIdentity, VppContentItem,
    VppLocation,
};

const INTERVAL: Duration = Duration::from_secs(300);
const SUFFIX: &str = " Cached; refreshed every 5m.";

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .unwrap_or_else(|| panic!("bad test time {seconds}"))
}

fn now() -> DateTime<Utc> {
    at(1_767_225_600) // 2026-01-01T00:00:00Z
}

/// The reference: the snapshot as protobuf-style metric families, as a registry's
/// gather would hand them to the prometheus crate's encoder.
#[derive(Default)]
struct Reference {
    families: Vec<MetricFamily>,
    descs: Vec<Desc>,
}

impl Sink for Reference {
    fn family<'a, const N: usize>(
        &mut self,
        family: &Family<N>,
        samples: impl IntoIterator<Item = ([&'a str; N], f64)>,
    ) {
        let metrics: Vec<Metric> = samples
            .into_iter()
            .filter(|(_, value)| value.is_finite())
            .map(|(labels, value)| {
                let pairs = family
                    .labels
                    .iter()
                    .zip(labels)
                    .map(|(name, value)| {
                        let mut pair = LabelPair::default();
                        pair.set_name((*name).to_owned());
                        pair.set_value(value.to_owned());
                        pair
                    })
                    .collect();
                let mut metric = Metric::from_label(pairs);
                match family.kind {
                    Kind::Gauge => {
                        let mut gauge = Gauge::default();
                        gauge.set_value(value);
                        metric.set_gauge(gauge);
                    }
                    Kind::Counter => {
                        let mut counter = Counter::default();
                        counter.set_value(value);
                        metric.set_counter(counter);
                    }
                }
                metric
            })
            .collect();
        let help = if family.cached {
            format!("{}{SUFFIX}", family.help)
        } else {
            family.help.to_owned()
        };
        self.descs.push(
            Desc::new(
                family.name.to_owned(),
                help.clone(),
                family.labels.iter().map(|l| (*l).to_owned()).collect(),
                Default::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", family.name)),
        );
        if metrics.is_empty() {
            return;
        }
        let mut out = MetricFamily::default();
        out.set_name(family.name.to_owned());
        out.set_help(help);
        out.set_field_type(match family.kind {
            Kind::Gauge => MetricType::GAUGE,
            Kind::Counter => MetricType::COUNTER,
        });
        out.set_metric(metrics);
        self.families.push(out);
    }
}

impl Collector for Reference {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.families.clone()
    }
}

/// What the prometheus crate's encoder writes for the snapshot's families.
fn encoder_text(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
    let mut reference = Reference::default();
    snapshot::write(&mut reference, snapshot, INTERVAL, TokenBands::DEFAULT, now);
    let registry = Registry::new();
    registry
        .register(Box::new(reference))
        .unwrap_or_else(|e| panic!("the families are not valid: {e}"));
    prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Families in name order, each with its header and its sample lines sorted: the
/// encoder sorts by name and label values, the exporter keeps the snapshot's order.
fn normalised(text: &str) -> Vec<(String, Vec<String>)> {
    let mut families: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            current = rest.split(' ').next().unwrap_or_default().to_owned();
        }
        families
            .entry(current.clone())
            .or_default()
            .push(line.to_owned());
    }
    families
        .into_iter()
        .map(|(name, mut lines)| {
            let header: Vec<String> = lines.drain(..2.min(lines.len())).collect();
            lines.sort();
            (name, header.into_iter().chain(lines).collect())
        })
        .collect()
}

fn text(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
    render_snapshot(snapshot, INTERVAL, TokenBands::DEFAULT, now)
}

fn status(name: CollectorName, success: bool) -> CollectorStatus {
    CollectorStatus {
        success,
        duration: Duration::from_millis(1234),
        last_success: success.then(now),
        ..CollectorStatus::new(name)
    }
}

fn location(id: &str, name: &str) -> VppLocation {
    VppLocation {
        id: id.to_owned(),
        name: name.to_owned(),
        asm_location: format!("{name} (ASM)"),
        organization: "District \\ \"Org\"".to_owned(),
        country_code: "US".to_owned(),
        site_id: "-1".to_owned(),
        token_expiry: Some(at(1_780_000_000)),
        licenses_purchased: Some(100.0),
        licenses_used: Some(99.5),
        last_sync: Some(at(1_767_000_000)),
        client_context_mismatch: Some(false),
        ..Default::default()
    }
}

/// Every kind of sample, with label values that need escaping and ids that sort
/// differently as text and as numbers.
fn tricky_snapshot() -> Snapshot {
    let mut unknown = location("3", "");
    unknown.token_expiry = None;
    unknown.licenses_purchased = None;
    unknown.licenses_used = None;
    unknown.last_sync = None;
    unknown.client_context_mismatch = None;
    Snapshot {
        instance_url: "http://127.0.0.1:1".to_owned(),
        refreshes: 3,
        last_refresh: Some(now()),
        up: true,
        collectors: CollectorName::ALL
            .iter()
            .map(|name| status(*name, *name != CollectorName::Ade))
            .collect(),
        vpp: Some(
            vec![
                location("10", "St. Mary's \"Annex\"\nZürich"),
                location("9", "Back\\slash"),
                unknown,
                location("1", "Escuela Peña Blanca"),
            ]
            .into(),
        ),
        vpp_content: Some(
            vec![
                VppContentItem {
                    location_id: "10".to_owned(),
                    location: "B".to_owned(),
                    adam_id: "2".to_owned(),
                    name: "Say \"hi\"".to_owned(),
                    content_type: "IOS_APP".to_owned(),
                    licenses_purchased: Some(5.0),
                    ..Default::default()
                },
                VppContentItem {
                    location_id: "1".to_owned(),
                    location: "A".to_owned(),
                    adam_id: "1".to_owned(),
                    name: "line\nbreak".to_owned(),
                    content_type: "".to_owned(),
                    licenses_purchased: Some(1e21),
                    licenses_used: Some(0.1),
                    ..Default::default()
                },
            ]
            .into(),
        ),
        ade: Some(
            vec![AdeInstance {
                id: "1".to_owned(),
                name: "ABM".to_owned(),
                server_name: "MDM {x=\"y\"}".to_owned(),
                token_expiry: Some(at(1_770_000_000)),
                last_sync: Some(at(1_767_225_000)),
                last_sync_success: Some(true),
                ..Default::default()
            }]
            .into(),
        ),
        notifications: Some(
            BTreeMap::from([
                ("PUSH_CERT_WILL_EXPIRE".to_owned(), 1),
                ("VPP_ACCOUNT_EXPIRED".to_owned(), 2),
            ])
            .into(),
        ),
        builtin_ca: Some(BuiltinCa {
            not_after: Some(at(1_900_000_000)),
            ..Default::default()
        }),
        version: Some(JamfVersion {
            version: Some("11.23.2".to_owned()),
            ..Default::default()
        }),
        healthcheck: Some(HealthCheck {
            code: 0,
            ..Default::default()
        }),
        supervision_identities: Some(
            vec![
                SupervisionIdentity {
                    id: "2".to_owned(),
                    name: "Cart \"B\"\nRoom 4".to_owned(),
                    expiry: Some(at(1_780_000_000)),
                    ..Default::default()
                },
                SupervisionIdentity {
                    id: "1".to_owned(),
                    name: "No date".to_owned(),
                    ..Default::default()
                },
            ]
            .into(),
        ),
        cloud_services: Some(CloudServices {
            configured: true,
            token_expiry: Some(at(1_790_000_000)),
            ..Default::default()
        }),
        sso_certificate: Some(SsoCertificate::default()),
        cloud_ldap: Some(
            vec![CloudLdapKeystore {
                id: "1001".to_owned(),
                name: "Google\\Workspace".to_owned(),
                expiry: Some(at(1_800_000_000)),
                ..Default::default()
            }]
            .into(),
        ),
        server_certificate: Some(ServerCertificate {
            not_after: Some(at(1_770_500_000)),
            ..Default::default()
        }),
        ..Snapshot::default()
    }
}

fn random_text(rng: &mut fastrand::Rng) -> String {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', ' ', '"', '\\', '\n', '\r', '\t', ',', '=', '{', '}', 'é', '€', '😀',
    ];
    (0..rng.usize(0..6))
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())])
        .collect()
}

fn random_value(rng: &mut fastrand::Rng) -> Option<f64> {
    match rng.usize(0..10) {
        0 => None,
        1 => Some(f64::NAN),
        2 => Some(f64::INFINITY),
        3 => Some(-0.0),
        4 => Some(1e300),
        5 => Some(1.5e-9),
        6 => Some(rng.u32(..) as f64),
        _ => Some(rng.f64() * 1e6 - 5e5),
    }
}

fn random_time(rng: &mut fastrand::Rng) -> Option<DateTime<Utc>> {
    rng.bool().then(|| at(rng.i64(0..4_000_000_000)))
}

fn random_snapshot(rng: &mut fastrand::Rng) -> Snapshot {
    let vpp: Vec<VppLocation> = (0..rng.usize(0..5))
        .map(|_| VppLocation {
            id: random_text(rng),
            name: random_text(rng),
            asm_location: random_text(rng),
            organization: random_text(rng),
            country_code: random_text(rng),
            site_id: random_text(rng),
            token_expiry: random_time(rng),
            licenses_purchased: random_value(rng),
            licenses_used: random_value(rng),
            last_sync: random_time(rng),
            client_context_mismatch: rng.bool().then(|| rng.bool()),
            ..Default::default()
        })
        .collect();
    let vpp_content: Vec<VppContentItem> = (0..rng.usize(0..5))
        .map(|_| VppContentItem {
            location_id: random_text(rng),
            location: random_text(rng),
            adam_id: random_text(rng),
            name: random_text(rng),
            content_type: random_text(rng),
            licenses_purchased: random_value(rng),
            licenses_used: random_value(rng),
            ..Default::default()
        })
        .collect();
    let ade: Vec<AdeInstance> = (0..rng.usize(0..3))
        .map(|_| AdeInstance {
            id: random_text(rng),
            name: random_text(rng),
            server_name: random_text(rng),
            token_expiry: random_time(rng),
            last_sync: random_time(rng),
            last_sync_success: rng.bool().then(|| rng.bool()),
            ..Default::default()
        })
        .collect();
    let mut collectors = Vec::new();
    for name in CollectorName::ALL {
        if rng.bool() {
            collectors.push(status(name, rng.bool()));
        }
    }
    Snapshot {
        up: rng.bool(),
        collectors,
        vpp: rng.bool().then_some(vpp.into()),
        vpp_content: rng.bool().then_some(vpp_content.into()),
        ade: rng.bool().then_some(ade.into()),
        notifications: rng.bool().then(|| {
            (0..rng.usize(0..3))
                .map(|_| (random_text(rng), rng.u64(0..5)))
                .collect::<BTreeMap<_, _>>()
                .into()
        }),
        builtin_ca: rng.bool().then(|| BuiltinCa {
            not_after: random_time(rng),
            ..Default::default()
        }),
        version: rng.bool().then(|| JamfVersion {
            version: rng.bool().then(|| random_text(rng)),
            ..Default::default()
        }),
        healthcheck: rng.bool().then(|| HealthCheck {
            code: rng.i64(-5..5),
            ..Default::default()
        }),
        supervision_identities: rng.bool().then(|| {
            (0..rng.usize(0..3))
                .map(|index| SupervisionIdentity {
                    id: index.to_string(),
                    name: random_text(rng),
                    expiry: random_time(rng),
                    ..Default::default()
                })
                .collect::<Vec<_>>()
                .into()
        }),
        cloud_services: rng.bool().then(|| CloudServices {
            configured: rng.bool(),
            token_expiry: random_time(rng),
            ..Default::default()
        }),
        sso_certificate: rng.bool().then(|| SsoCertificate {
            configured: rng.bool(),
            expiry: random_time(rng),
            ..Default::default()
        }),
        cloud_ldap: rng.bool().then(|| {
            (0..rng.usize(0..3))
                .map(|index| CloudLdapKeystore {
                    id: index.to_string(),
                    name: random_text(rng),
                    expiry: random_time(rng),
                    ..Default::default()
                })
                .collect::<Vec<_>>()
                .into()
        }),
        server_certificate: rng.bool().then(|| ServerCertificate {
            not_after: random_time(rng),
            ..Default::default()
        }),
        ..Snapshot::default()
    }
}

#[test]
fn text_has_the_samples_the_prometheus_encoder_writes() {
    let snapshot = tricky_snapshot();
    assert_eq!(
        normalised(&text(&snapshot, now())),
        normalised(&encoder_text(&snapshot, now()))
    );
}

#[test]
fn text_has_the_samples_the_prometheus_encoder_writes_for_random_snapshots() {
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..300 {
        let snapshot = random_snapshot(&mut rng);
        assert_eq!(
            normalised(&text(&snapshot, now())),
            normalised(&encoder_text(&snapshot, now())),
            "round {round}"
        );
    }
}

#[test]
fn an_empty_snapshot_renders_up_the_interval_and_the_bands_only() {
    assert_eq!(
        text(&Snapshot::default(), now()),
        "# HELP jamf_up 1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.\n\
         # TYPE jamf_up gauge\n\
         jamf_up 0\n\
         # HELP jamf_exporter_refresh_interval_seconds The configured interval between refreshes from Jamf.\n\
         # TYPE jamf_exporter_refresh_interval_seconds gauge\n\
         jamf_exporter_refresh_interval_seconds 300\n\
         # HELP jamf_exporter_expiry_threshold_seconds The VPP and ADE token bands in force for this server (--thresholds.* or the target's thresholds:), by severity.\n\
         # TYPE jamf_exporter_expiry_threshold_seconds gauge\n\
         jamf_exporter_expiry_threshold_seconds{severity=\"warning\"} 2592000\n\
         jamf_exporter_expiry_threshold_seconds{severity=\"critical\"} 604800\n"
    );
}

#[test]
fn escaping_follows_the_text_format() {
    let mut out = String::new();
    escape_into(&mut out, "a\\b\"c\nd", true);
    assert_eq!(out, "a\\\\b\\\"c\\nd");
    let mut help = String::new();
    escape_into(&mut help, "a\\b\"c\nd", false);
    assert_eq!(help, "a\\\\b\"c\\nd");
    let rendered = text(&tricky_snapshot(), now());
    assert!(
        rendered.contains(r#"location="St. Mary's \"Annex\"\nZürich""#),
        "{rendered}"
    );
    assert!(rendered.contains(r#"location="Back\\slash""#), "{rendered}");
}

#[test]
fn days_until_expiry_follow_the_injected_clock() {
    let mut snapshot = Snapshot::default();
    let mut location = location("1", "A");
    location.token_expiry = Some(at(1_767_225_600 + 3 * 86_400));
    snapshot.vpp = Some(vec![location].into());
    let days = |now: DateTime<Utc>| {
        text(&snapshot, now)
            .lines()
            .find(|line| line.starts_with("jamf_vpp_token_days_until_expiry{"))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse::<f64>().ok())
    };
    assert_eq!(days(now()), Some(3.0));
    assert_eq!(days(at(1_767_225_600 + 4 * 86_400)), Some(-1.0));
    assert_eq!(days(at(1_767_225_600 + 43_200)), Some(2.5));
}

#[test]
fn liveness_gauges_follow_the_last_refresh() {
    let mut snapshot = Snapshot::default();
    assert!(!text(&snapshot, now()).contains("jamf_exporter_last_refresh_timestamp_seconds "));
    snapshot.last_refresh = Some(at(1_767_225_000));
    let rendered = text(&snapshot, now());
    assert!(
        rendered.contains("\njamf_exporter_last_refresh_timestamp_seconds 1767225000\n"),
        "{rendered}"
    );
    assert!(rendered.contains("\njamf_exporter_refresh_interval_seconds 300\n"));
}

fn metrics_for(snapshot: Snapshot) -> (Arc<SnapshotStore>, Arc<Metrics>) {
    let store = Arc::new(SnapshotStore::new(snapshot));
    let counters = Arc::new(Counters::new(&[CollectorName::Vpp, CollectorName::Version]));
    let process = Arc::new(ProcessMetrics::new().unwrap_or_else(|e| panic!("{e}")));
    let metrics = Arc::new(Metrics::new(
        store.clone(),
        counters,
        Some(process),
        INTERVAL,
        TokenBands::DEFAULT,
    ));
    (store, metrics)
}

async fn exposition(metrics: &Arc<Metrics>, now: DateTime<Utc>) -> Arc<Exposition> {
    metrics
        .exposition(now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn as_text(exposition: &Exposition) -> String {
    let bytes: Vec<u8> = exposition
        .text()
        .iter()
        .flat_map(|piece| piece.to_vec())
        .collect();
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_exposition_holds_counters_build_info_and_process_metrics() {
    let (_, metrics) = metrics_for(tricky_snapshot());
    metrics
        .counters
        .api_requests
        .inc(["/api/v1/jamf-pro-version", "200"]);
    let rendered = as_text(&*exposition(&metrics, now()).await);
    for wanted in [
        "jamf_exporter_api_requests_total{endpoint=\"/api/v1/jamf-pro-version\",code=\"200\"} 1",
        "jamf_exporter_refresh_errors_total{collector=\"vpp\",reason=\"internal\"} 0",
        "jamf_exporter_refresh_errors_total{collector=\"version\",reason=\"tls\"} 0",
        "jamf_exporter_skipped_records_total{collector=\"vpp\",reason=\"no_id\"} 0",
        "jamf_exporter_skipped_records_total{collector=\"vpp\",reason=\"duplicate_id\"} 0",
        "# TYPE jamf_exporter_build_info gauge",
        "jamf_up 1",
    ] {
        assert!(
            rendered.contains(wanted),
            "{wanted} missing from\n{rendered}"
        );
    }
    assert!(
        !rendered.contains("skipped_records_total{collector=\"version\""),
        "version records have no ids"
    );
    #[cfg(target_os = "linux")]
    assert!(rendered.contains("process_resident_memory_bytes"));
}

#[tokio::test]
async fn one_rendering_serves_a_snapshot_for_one_second() {
    let (store, metrics) = metrics_for(tricky_snapshot());
    let first = exposition(&metrics, now()).await;
    let same = exposition(&metrics, now() + chrono::TimeDelta::milliseconds(900)).await;
    assert!(Arc::ptr_eq(&first, &same));
    let next_second = exposition(&metrics, now() + chrono::TimeDelta::seconds(1)).await;
    assert!(!Arc::ptr_eq(&first, &next_second));
    store.publish(Snapshot::default());
    let new_snapshot = exposition(&metrics, now() + chrono::TimeDelta::seconds(1)).await;
    assert!(!Arc::ptr_eq(&next_second, &new_snapshot));
    assert!(!as_text(&new_snapshot).contains("jamf_vpp_location_info"));
}

#[tokio::test]
async fn gzip_decodes_to_the_text_and_is_compressed_once() {
    let (_, metrics) = metrics_for(tricky_snapshot());
    let exposition = exposition(&metrics, now()).await;
    let compressed = exposition.gzip().await.unwrap_or_else(|e| panic!("{e}"));
    let again = exposition.gzip().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compressed.as_ptr(), again.as_ptr());
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(compressed.as_ref())
        .read_to_string(&mut decoded)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded, as_text(&exposition));
}

#[tokio::test]
async fn a_large_exposition_is_sent_in_whole_lines_of_about_64_kib() {
    let mut snapshot = tricky_snapshot();
    snapshot.vpp = Some(
        (0..2000)
            .map(|n| location(&n.to_string(), &format!("School {n}")))
            .collect::<Vec<_>>()
            .into(),
    );
    let (_, metrics) = metrics_for(snapshot);
    let exposition = exposition(&metrics, now()).await;
    let pieces = exposition.text();
    assert!(pieces.len() > 4, "{} pieces", pieces.len());
    for piece in &pieces {
        assert!(piece.ends_with(b"\n"), "a piece ends inside a line");
        assert!(piece.len() < 80 * 1024, "a piece of {} bytes", piece.len());
    }
    let text = as_text(&exposition);
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("jamf_vpp_location_info{"))
            .count(),
        2000
    );
    let compressed = exposition.gzip().await.unwrap_or_else(|e| panic!("{e}"));
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(compressed.as_ref())
        .read_to_string(&mut decoded)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded, text);
}

/// The rows of docs/metrics.md's tables headed `| metric |`: name, first word of the
/// type column, and the label names (backticked; "same" repeats the row above; values
/// in parentheses, such as a reason's values, are not label names).
fn documented_families(docs: &str) -> Vec<(String, String, Vec<String>)> {
    let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut in_table = false;
    for line in docs.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if line.starts_with("| metric |") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let kind = cells[2]
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default()
            .to_owned();
        let labels = if cells[3] == "same" {
            rows.last()
                .map(|row| row.2.clone())
                .unwrap_or_else(|| panic!("{name}: \"same\" in a table's first row"))
        } else {
            let mut outside = String::new();
            let mut depth = 0usize;
            for c in cells[3].chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ if depth == 0 => outside.push(c),
                    _ => {}
                }
            }
            outside
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        rows.push((name, kind, labels));
    }
    rows
}

#[test]
fn docs_document_every_declared_family_with_its_type_and_labels() {
    let docs = include_str!("../../docs/metrics.md");
    let documented = documented_families(docs);
    let mut problems = Vec::new();
    for family in families::ALL {
        let rows: Vec<_> = documented
            .iter()
            .filter(|row| row.0 == family.name)
            .collect();
        match rows.as_slice() {
            [] => problems.push(format!("{} is not documented", family.name)),
            [(_, kind, labels)] => {
                if kind != family.kind.as_str() {
                    problems.push(format!(
                        "{}: documented as {kind}, declared as {}",
                        family.name,
                        family.kind.as_str()
                    ));
                }
                if labels != family.labels {
                    problems.push(format!(
                        "{}: documented labels {labels:?}, declared {:?}",
                        family.name, family.labels
                    ));
                }
            }
            _ => problems.push(format!(
                "{} is documented {} times",
                family.name,
                rows.len()
            )),
        }
    }
    for (name, _, _) in &documented {
        if !families::ALL.iter().any(|family| family.name == name) {
            problems.push(format!("{name} is documented but not declared"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/metrics.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn all_lists_every_family_declared_once() {
    let source = include_str!("families.rs");
    let declared = source
        .lines()
        .filter(|line| line.starts_with("pub const ") && line.contains(": Family<"))
        .count();
    let mut names: Vec<&str> = families::ALL.iter().map(|family| family.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), families::ALL.len(), "a family is listed twice");
    assert_eq!(
        declared,
        families::ALL.len(),
        "families::ALL misses a family"
    );
}

#[test]
fn docs_name_every_collector() {
    let docs = include_str!("../../docs/metrics.md");
    let line = docs
        .lines()
        .find(|line| line.starts_with("Collector names: "))
        .unwrap_or_else(|| panic!("docs/metrics.md has no line of collector names"));
    let documented: Vec<&str> = line.split('`').skip(1).step_by(2).collect();
    let declared: Vec<&str> = CollectorName::ALL
        .iter()
        .map(|name| name.as_str())
        .collect();
    assert_eq!(documented, declared);
}
