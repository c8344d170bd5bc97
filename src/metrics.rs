//! Metric names and help, the registry, and the collector that renders the current
//! snapshot on every scrape.
//!
//! Jamf data is never held in labelled gauges that are updated in place: each scrape
//! turns the one current `Snapshot` into fresh metric families, so series of deleted
//! objects vanish with the next successful refresh and days-until-expiry is computed at
//! scrape time.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::collectors::CollectorName;
use crate::jamf::Reason;
use crate::snapshot::{days_until, Snapshot, SnapshotStore};

/// The exporter's registry and the live counters the Jamf client and poller update.
pub struct Metrics {
    pub registry: Registry,
    pub api_requests: IntCounterVec,
    pub refresh_errors: IntCounterVec,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot register metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Builds an explicit registry (never the global one, so tests stay hermetic).
    pub fn new(
        store: Arc<SnapshotStore>,
        enabled: &[CollectorName],
        refresh_interval: std::time::Duration,
    ) -> Result<Metrics, MetricsError> {
        let registry = Registry::new();
        let api_requests = IntCounterVec::new(
            Opts::new(
                "jamf_exporter_api_requests_total",
                "Requests sent to the Jamf Pro API, by route template and HTTP status (or error).",
            ),
            &["endpoint", "code"],
        )?;
        let refresh_errors = IntCounterVec::new(
            Opts::new(
                "jamf_exporter_refresh_errors_total",
                "Failed collector refreshes, by collector and the first failing reason.",
            ),
            &["collector", "reason"],
        )?;
        for collector in enabled {
            for reason in Reason::ALL {
                refresh_errors.with_label_values(&[collector.as_str(), reason.as_str()]);
            }
        }
        let build_info = IntGaugeVec::new(
            Opts::new(
                "jamf_exporter_build_info",
                "Build information of jamf_exporter; always 1.",
            ),
            &["version", "revision", "rustversion"],
        )?;
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                env!("JAMF_EXPORTER_REVISION"),
                env!("JAMF_EXPORTER_RUSTC").trim_start_matches("rustc "),
            ])
            .set(1);
        registry.register(Box::new(api_requests.clone()))?;
        registry.register(Box::new(refresh_errors.clone()))?;
        registry.register(Box::new(build_info))?;
        registry.register(Box::new(SnapshotCollector::new(store, refresh_interval)?))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            registry,
            api_requests,
            refresh_errors,
        })
    }

    /// The text exposition of everything registered.
    pub fn encode(&self) -> Result<String, prometheus::Error> {
        prometheus::TextEncoder::new().encode_to_string(&self.registry.gather())
    }
}

/// Name, help and label names of every metric rendered from the snapshot.
struct Spec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
}

const LOCATION: &[&str] = &["location_id", "location"];
const ADE_TOKEN: &[&str] = &["instance_id", "instance_name", "server_name"];
const ADE_SYNC: &[&str] = &["instance_id", "instance_name"];
const CONTENT: &[&str] = &[
    "location_id",
    "location",
    "adam_id",
    "content",
    "content_type",
];

const SPECS: &[Spec] = &[
    Spec { name: "jamf_vpp_location_info", help: "Volume Purchasing location; always 1. asm_location is Apple's location name.", labels: &["location_id", "location", "asm_location", "organization", "country_code", "site_id"] },
    Spec { name: "jamf_vpp_token_expiry_timestamp_seconds", help: "Expiry of the location's Volume Purchasing token, Unix seconds.", labels: LOCATION },
    Spec { name: "jamf_vpp_token_days_until_expiry", help: "Days until the Volume Purchasing token expires, computed at scrape time; negative once expired.", labels: LOCATION },
    Spec { name: "jamf_vpp_licenses_purchased", help: "Licences purchased under the location's token (totalPurchasedLicenses).", labels: LOCATION },
    Spec { name: "jamf_vpp_licenses_used", help: "Licences in use under the location's token (totalUsedLicenses).", labels: LOCATION },
    Spec { name: "jamf_vpp_last_sync_timestamp_seconds", help: "When Jamf last synced the location with Apple, Unix seconds.", labels: LOCATION },
    Spec { name: "jamf_vpp_client_context_mismatch", help: "1 when another MDM server is using this location's token.", labels: LOCATION },
    Spec { name: "jamf_vpp_content_licenses_purchased", help: "Licences purchased for one app or book under a location's token.", labels: CONTENT },
    Spec { name: "jamf_vpp_content_licenses_used", help: "Licences in use for one app or book under a location's token.", labels: CONTENT },
    Spec { name: "jamf_ade_token_expiry_timestamp_seconds", help: "Expiry of the Automated Device Enrollment token (a date, taken as 00:00 UTC), Unix seconds.", labels: ADE_TOKEN },
    Spec { name: "jamf_ade_token_days_until_expiry", help: "Days until the Automated Device Enrollment token expires, computed at scrape time; negative once expired.", labels: ADE_TOKEN },
    Spec { name: "jamf_ade_last_sync_timestamp_seconds", help: "Time of the latest Automated Device Enrollment sync, Unix seconds.", labels: ADE_SYNC },
    Spec { name: "jamf_ade_last_sync_success", help: "1 when the latest Automated Device Enrollment sync succeeded.", labels: ADE_SYNC },
    Spec { name: "jamf_notification_active", help: "Active Jamf Pro notifications by type (PUSH_CERT_WILL_EXPIRE watches the APNs certificate).", labels: &["type"] },
    Spec { name: "jamf_builtin_ca_expiry_timestamp_seconds", help: "Expiry of Jamf Pro's built-in certificate authority, Unix seconds.", labels: &[] },
    Spec { name: "jamf_version_info", help: "Jamf Pro version; always 1.", labels: &["version"] },
    Spec { name: "jamf_healthcheck_code", help: "Jamf Pro /healthCheck.html reading: 0 when healthy, else the healthCode.", labels: &[] },
    Spec { name: "jamf_up", help: "1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.", labels: &[] },
    Spec { name: "jamf_collector_success", help: "1 when the collector's last refresh succeeded.", labels: &["collector"] },
    Spec { name: "jamf_collector_duration_seconds", help: "How long the collector's last refresh took.", labels: &["collector"] },
    Spec { name: "jamf_collector_last_success_timestamp_seconds", help: "When the collector's data was last fresh, Unix seconds.", labels: &["collector"] },
];

/// Renders the current snapshot on each `collect()`.
pub struct SnapshotCollector {
    store: Arc<SnapshotStore>,
    descs: Vec<Desc>,
    help_suffix: String,
}

impl SnapshotCollector {
    fn new(
        store: Arc<SnapshotStore>,
        refresh_interval: std::time::Duration,
    ) -> Result<SnapshotCollector, prometheus::Error> {
        let descs = SPECS
            .iter()
            .map(|spec| {
                Desc::new(
                    spec.name.to_owned(),
                    spec.help.to_owned(),
                    spec.labels.iter().map(|l| (*l).to_owned()).collect(),
                    Default::default(),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SnapshotCollector {
            store,
            descs,
            help_suffix: format!(
                " Cached; refreshed every {}.",
                crate::duration::format(refresh_interval)
            ),
        })
    }
}

impl Collector for SnapshotCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        render(&self.store.load(), Utc::now(), &self.help_suffix)
    }
}

/// Accumulates samples per metric name, in `SPECS` order.
struct Families {
    families: Vec<(usize, Vec<Metric>)>,
}

impl Families {
    fn new() -> Families {
        Families {
            families: (0..SPECS.len()).map(|index| (index, Vec::new())).collect(),
        }
    }

    fn push(&mut self, name: &'static str, labels: &[&str], value: f64) {
        let Some(index) = SPECS.iter().position(|spec| spec.name == name) else {
            return;
        };
        let spec = &SPECS[index];
        let pairs = spec
            .labels
            .iter()
            .zip(labels)
            .map(|(label_name, label_value)| {
                let mut pair = LabelPair::default();
                pair.set_name((*label_name).to_owned());
                pair.set_value((*label_value).to_owned());
                pair
            })
            .collect();
        let mut gauge = Gauge::default();
        gauge.set_value(value);
        let mut metric = Metric::from_label(pairs);
        metric.set_gauge(gauge);
        self.families[index].1.push(metric);
    }

    fn push_opt(&mut self, name: &'static str, labels: &[&str], value: Option<f64>) {
        if let Some(value) = value {
            self.push(name, labels, value);
        }
    }

    fn finish(self, help_suffix: &str) -> Vec<MetricFamily> {
        self.families
            .into_iter()
            .filter(|(_, metrics)| !metrics.is_empty())
            .map(|(index, metrics)| {
                let spec = &SPECS[index];
                let mut family = MetricFamily::default();
                family.set_name(spec.name.to_owned());
                let cached = !spec.name.starts_with("jamf_collector_") && spec.name != "jamf_up";
                family.set_help(if cached {
                    format!("{}{help_suffix}", spec.help)
                } else {
                    spec.help.to_owned()
                });
                family.set_field_type(MetricType::GAUGE);
                family.set_metric(metrics);
                family
            })
            .collect()
    }
}

fn seconds(instant: DateTime<Utc>) -> f64 {
    instant.timestamp_millis() as f64 / 1000.0
}

fn bool_value(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

/// Turns one snapshot into metric families. Pure: `now` is passed in.
pub fn render(snapshot: &Snapshot, now: DateTime<Utc>, help_suffix: &str) -> Vec<MetricFamily> {
    let mut out = Families::new();
    for location in snapshot.vpp.iter().flatten() {
        let labels = [location.id.as_str(), location.name.as_str()];
        out.push(
            "jamf_vpp_location_info",
            &[
                &location.id,
                &location.name,
                &location.asm_location,
                &location.organization,
                &location.country_code,
                &location.site_id,
            ],
            1.0,
        );
        if let Some(expiry) = location.token_expiry {
            out.push(
                "jamf_vpp_token_expiry_timestamp_seconds",
                &labels,
                seconds(expiry),
            );
            out.push(
                "jamf_vpp_token_days_until_expiry",
                &labels,
                days_until(expiry, now),
            );
        }
        out.push_opt(
            "jamf_vpp_licenses_purchased",
            &labels,
            location.licenses_purchased,
        );
        out.push_opt("jamf_vpp_licenses_used", &labels, location.licenses_used);
        out.push_opt(
            "jamf_vpp_last_sync_timestamp_seconds",
            &labels,
            location.last_sync.map(seconds),
        );
        out.push_opt(
            "jamf_vpp_client_context_mismatch",
            &labels,
            location.client_context_mismatch.map(bool_value),
        );
    }
    for item in snapshot.vpp_content.iter().flatten() {
        let labels = [
            item.location_id.as_str(),
            item.location.as_str(),
            item.adam_id.as_str(),
            item.name.as_str(),
            item.content_type.as_str(),
        ];
        out.push_opt(
            "jamf_vpp_content_licenses_purchased",
            &labels,
            item.licenses_purchased,
        );
        out.push_opt(
            "jamf_vpp_content_licenses_used",
            &labels,
            item.licenses_used,
        );
    }
    for instance in snapshot.ade.iter().flatten() {
        let token_labels = [
            instance.id.as_str(),
            instance.name.as_str(),
            instance.server_name.as_str(),
        ];
        let sync_labels = [instance.id.as_str(), instance.name.as_str()];
        if let Some(expiry) = instance.token_expiry {
            out.push(
                "jamf_ade_token_expiry_timestamp_seconds",
                &token_labels,
                seconds(expiry),
            );
            out.push(
                "jamf_ade_token_days_until_expiry",
                &token_labels,
                days_until(expiry, now),
            );
        }
        out.push_opt(
            "jamf_ade_last_sync_timestamp_seconds",
            &sync_labels,
            instance.last_sync.map(seconds),
        );
        out.push_opt(
            "jamf_ade_last_sync_success",
            &sync_labels,
            instance.last_sync_success.map(bool_value),
        );
    }
    for (kind, active) in snapshot.notifications.iter().flatten() {
        out.push("jamf_notification_active", &[kind], *active as f64);
    }
    if let Some(expiry) = snapshot.builtin_ca.as_ref().and_then(|ca| ca.not_after) {
        out.push(
            "jamf_builtin_ca_expiry_timestamp_seconds",
            &[],
            seconds(expiry),
        );
    }
    if let Some(version) = snapshot.version.as_ref().and_then(|v| v.version.as_deref()) {
        out.push("jamf_version_info", &[version], 1.0);
    }
    if let Some(health) = &snapshot.healthcheck {
        out.push("jamf_healthcheck_code", &[], health.code as f64);
    }
    out.push("jamf_up", &[], bool_value(snapshot.up));
    for status in &snapshot.collectors {
        let labels = [status.name.as_str()];
        out.push(
            "jamf_collector_success",
            &labels,
            bool_value(status.success),
        );
        out.push(
            "jamf_collector_duration_seconds",
            &labels,
            status.duration.as_secs_f64(),
        );
        out.push_opt(
            "jamf_collector_last_success_timestamp_seconds",
            &labels,
            status.last_success.map(seconds),
        );
    }
    out.finish(help_suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{AdeInstance, CollectorStatus, HealthCheck, VppLocation};
    use chrono::TimeZone;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .unwrap()
    }

    fn location(id: &str, name: &str) -> VppLocation {
        VppLocation {
            id: id.into(),
            name: name.into(),
            asm_location: name.into(),
            organization: "Lakeview USD".into(),
            country_code: "US".into(),
            site_id: "-1".into(),
            token_expiry: None,
            licenses_purchased: None,
            licenses_used: None,
            last_sync: None,
            client_context_mismatch: None,
        }
    }

    fn text(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&render(snapshot, now, ""))
            .unwrap()
    }

    #[test]
    fn renders_one_snapshot_with_days_from_the_injected_clock() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let mut healthy = location("1", "Main \"Campus\"\nNorth");
        healthy.token_expiry = Some(at("2026-12-06T12:00:00Z"));
        healthy.licenses_purchased = Some(100.0);
        healthy.licenses_used = Some(40.0);
        healthy.client_context_mismatch = Some(false);
        let unknown = location("2", "Zürich");
        let snapshot = Snapshot {
            up: true,
            refreshes: 1,
            vpp: Some(vec![healthy, unknown]),
            ade: Some(vec![AdeInstance {
                id: "7".into(),
                name: "ASM".into(),
                server_name: "Jamf".into(),
                token_expiry: Some(at("2026-11-25T00:00:00Z")),
                last_sync: None,
                last_sync_success: Some(false),
            }]),
            healthcheck: Some(HealthCheck { code: 0 }),
            collectors: vec![CollectorStatus {
                success: true,
                duration: std::time::Duration::from_millis(250),
                last_success: Some(now),
                ..CollectorStatus::new(CollectorName::Vpp)
            }],
            ..Snapshot::default()
        };
        let expected = r#"# HELP jamf_vpp_location_info Volume Purchasing location; always 1. asm_location is Apple's location name.
# TYPE jamf_vpp_location_info gauge
jamf_vpp_location_info{location_id="1",location="Main \"Campus\"\nNorth",asm_location="Main \"Campus\"\nNorth",organization="Lakeview USD",country_code="US",site_id="-1"} 1
jamf_vpp_location_info{location_id="2",location="Zürich",asm_location="Zürich",organization="Lakeview USD",country_code="US",site_id="-1"} 1
# HELP jamf_vpp_token_expiry_timestamp_seconds Expiry of the location's Volume Purchasing token, Unix seconds.
# TYPE jamf_vpp_token_expiry_timestamp_seconds gauge
jamf_vpp_token_expiry_timestamp_seconds{location_id="1",location="Main \"Campus\"\nNorth"} 1796558400
# HELP jamf_vpp_token_days_until_expiry Days until the Volume Purchasing token expires, computed at scrape time; negative once expired.
# TYPE jamf_vpp_token_days_until_expiry gauge
jamf_vpp_token_days_until_expiry{location_id="1",location="Main \"Campus\"\nNorth"} 10
# HELP jamf_vpp_licenses_purchased Licences purchased under the location's token (totalPurchasedLicenses).
# TYPE jamf_vpp_licenses_purchased gauge
jamf_vpp_licenses_purchased{location_id="1",location="Main \"Campus\"\nNorth"} 100
# HELP jamf_vpp_licenses_used Licences in use under the location's token (totalUsedLicenses).
# TYPE jamf_vpp_licenses_used gauge
jamf_vpp_licenses_used{location_id="1",location="Main \"Campus\"\nNorth"} 40
# HELP jamf_vpp_client_context_mismatch 1 when another MDM server is using this location's token.
# TYPE jamf_vpp_client_context_mismatch gauge
jamf_vpp_client_context_mismatch{location_id="1",location="Main \"Campus\"\nNorth"} 0
# HELP jamf_ade_token_expiry_timestamp_seconds Expiry of the Automated Device Enrollment token (a date, taken as 00:00 UTC), Unix seconds.
# TYPE jamf_ade_token_expiry_timestamp_seconds gauge
jamf_ade_token_expiry_timestamp_seconds{instance_id="7",instance_name="ASM",server_name="Jamf"} 1795564800
# HELP jamf_ade_token_days_until_expiry Days until the Automated Device Enrollment token expires, computed at scrape time; negative once expired.
# TYPE jamf_ade_token_days_until_expiry gauge
jamf_ade_token_days_until_expiry{instance_id="7",instance_name="ASM",server_name="Jamf"} -1.5
# HELP jamf_ade_last_sync_success 1 when the latest Automated Device Enrollment sync succeeded.
# TYPE jamf_ade_last_sync_success gauge
jamf_ade_last_sync_success{instance_id="7",instance_name="ASM"} 0
# HELP jamf_healthcheck_code Jamf Pro /healthCheck.html reading: 0 when healthy, else the healthCode.
# TYPE jamf_healthcheck_code gauge
jamf_healthcheck_code 0
# HELP jamf_up 1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.
# TYPE jamf_up gauge
jamf_up 1
# HELP jamf_collector_success 1 when the collector's last refresh succeeded.
# TYPE jamf_collector_success gauge
jamf_collector_success{collector="vpp"} 1
# HELP jamf_collector_duration_seconds How long the collector's last refresh took.
# TYPE jamf_collector_duration_seconds gauge
jamf_collector_duration_seconds{collector="vpp"} 0.25
# HELP jamf_collector_last_success_timestamp_seconds When the collector's data was last fresh, Unix seconds.
# TYPE jamf_collector_last_success_timestamp_seconds gauge
jamf_collector_last_success_timestamp_seconds{collector="vpp"} 1795694400
"#;
        assert_eq!(text(&snapshot, now), expected);
    }

    #[test]
    fn an_empty_snapshot_renders_only_up() {
        let rendered = text(&Snapshot::default(), Utc::now());
        assert!(rendered.contains("jamf_up 0"));
        assert_eq!(rendered.lines().filter(|l| !l.starts_with('#')).count(), 1);
    }

    #[test]
    fn days_go_negative_after_expiry() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let mut expired = location("1", "A");
        expired.token_expiry = Some(at("2026-11-23T00:00:00Z"));
        let snapshot = Snapshot {
            vpp: Some(vec![expired]),
            ..Snapshot::default()
        };
        assert!(text(&snapshot, now)
            .contains("jamf_vpp_token_days_until_expiry{location_id=\"1\",location=\"A\"} -3\n"));
    }
}
