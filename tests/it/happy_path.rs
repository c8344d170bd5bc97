//! The demo district, scraped as Prometheus would.

use jamf_exporter::demo::SimulatorConfig;
use jamf_exporter::jamf::dates;

use crate::harness::{self, Metrics};

fn text<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

#[tokio::test]
async fn every_location_is_exported_with_jamf_values() {
    let sim = SimulatorConfig::demo();
    let locations = sim.dataset.vpp_locations.clone();
    let setup = harness::start(sim, &[]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    for location in &locations {
        let id = text(location, "id");
        let labels = [("location_id", id), ("location", text(location, "name"))];
        assert_eq!(
            metrics.value(
                "jamf_vpp_location_info",
                &[
                    ("location_id", id),
                    ("location", text(location, "name")),
                    ("asm_location", text(location, "locationName")),
                    ("organization", text(location, "organizationName")),
                    ("country_code", text(location, "countryCode")),
                ]
            ),
            Some(1.0),
            "info for location {id}"
        );
        let expiry = dates::parse(text(location, "tokenExpiration"));
        assert_eq!(
            metrics.value("jamf_vpp_token_expiry_timestamp_seconds", &labels),
            expiry.map(|e| e.timestamp_millis() as f64 / 1000.0),
            "expiry of location {id}"
        );
        assert_eq!(
            metrics.has("jamf_vpp_token_days_until_expiry", &labels),
            expiry.is_some(),
            "days left of location {id}"
        );
        assert_eq!(
            metrics.value("jamf_vpp_licenses_purchased", &labels),
            location
                .get("totalPurchasedLicenses")
                .and_then(|v| v.as_f64()),
            "purchased of location {id}"
        );
        assert_eq!(
            metrics.value("jamf_vpp_licenses_used", &labels),
            location.get("totalUsedLicenses").and_then(|v| v.as_f64()),
            "used of location {id}"
        );
        let mismatch = location
            .get("clientContextMismatch")
            .and_then(|v| v.as_bool());
        assert_eq!(
            metrics.value("jamf_vpp_client_context_mismatch", &labels),
            mismatch.map(|m| if m { 1.0 } else { 0.0 })
        );
    }
    setup.stop().await;
}

#[tokio::test]
async fn every_contract_metric_is_produced_by_the_demo() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    for name in [
        "jamf_vpp_location_info",
        "jamf_vpp_token_expiry_timestamp_seconds",
        "jamf_vpp_token_days_until_expiry",
        "jamf_vpp_licenses_purchased",
        "jamf_vpp_licenses_used",
        "jamf_vpp_last_sync_timestamp_seconds",
        "jamf_vpp_client_context_mismatch",
        "jamf_vpp_content_licenses_purchased",
        "jamf_vpp_content_licenses_used",
        "jamf_ade_token_expiry_timestamp_seconds",
        "jamf_ade_token_days_until_expiry",
        "jamf_ade_last_sync_timestamp_seconds",
        "jamf_ade_last_sync_success",
        "jamf_notification_active",
        "jamf_builtin_ca_expiry_timestamp_seconds",
        "jamf_version_info",
        "jamf_healthcheck_code",
        "jamf_supervision_identity_expiry_timestamp_seconds",
        "jamf_cloud_services_token_expiry_timestamp_seconds",
        "jamf_sso_certificate_expiry_timestamp_seconds",
        "jamf_cloud_ldap_certificate_expiry_timestamp_seconds",
        "jamf_up",
        "jamf_collector_success",
        "jamf_collector_duration_seconds",
        "jamf_collector_last_success_timestamp_seconds",
        "jamf_exporter_api_requests_total",
        "jamf_exporter_refresh_errors_total",
        "jamf_exporter_build_info",
    ] {
        assert!(metrics.count(name) > 0, "{name} missing");
    }
    assert_eq!(
        metrics.value(
            "jamf_notification_active",
            &[("type", "PUSH_CERT_WILL_EXPIRE")]
        ),
        Some(1.0)
    );
    assert_eq!(metrics.value("jamf_healthcheck_code", &[]), Some(0.0));
    assert_eq!(
        metrics.value("jamf_version_info", &[("version", "11.23.2")]),
        Some(1.0)
    );
    // The demo is plain HTTP: no server certificate (tests/it/renewals.rs covers TLS).
    assert_eq!(
        metrics.count("jamf_server_certificate_expiry_timestamp_seconds"),
        0
    );
    assert_eq!(metrics.count("jamf_collector_success"), 12);
    // Pre-initialised: 12 collectors × 10 reasons.
    assert_eq!(metrics.count("jamf_exporter_refresh_errors_total"), 120);
    // vpp, ade, supervision_identities and cloud_ldap label their records with ids:
    // 4 collectors × 2 reasons.
    assert_eq!(metrics.count("jamf_exporter_skipped_records_total"), 8);
    setup.stop().await;
}

#[tokio::test]
async fn days_until_expiry_matches_the_timestamp() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    let now = chrono::Utc::now().timestamp() as f64;
    let lines: Vec<&str> = metrics
        .0
        .lines()
        .filter(|l| l.starts_with("jamf_vpp_token_expiry_timestamp_seconds{"))
        .collect();
    assert!(!lines.is_empty());
    for line in lines {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let labels = series.trim_start_matches("jamf_vpp_token_expiry_timestamp_seconds");
        let days_line = metrics
            .0
            .lines()
            .find(|l| l.starts_with(&format!("jamf_vpp_token_days_until_expiry{labels} ")))
            .unwrap();
        let days: f64 = days_line.rsplit_once(' ').unwrap().1.parse().unwrap();
        let expiry: f64 = value.parse().unwrap();
        assert!(
            ((expiry - now) / 86400.0 - days).abs() < 0.01,
            "{line} vs {days_line}"
        );
    }
    setup.stop().await;
}

#[tokio::test]
async fn scrapes_never_reach_jamf() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let before = setup.simulator.requests().len();
    for _ in 0..20 {
        setup.metrics().await;
        setup.get("/").await;
    }
    assert_eq!(setup.simulator.requests().len(), before);
    setup.stop().await;
}

#[tokio::test]
async fn pagination_walks_every_page() {
    let mut sim = SimulatorConfig::demo();
    sim.max_page_size = 2;
    let n_locations = sim.dataset.vpp_locations.len();
    assert!(
        n_locations > 4,
        "the demo has enough locations for several pages"
    );
    let setup = harness::start(sim, &[]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count("jamf_vpp_location_info"), n_locations);
    assert_eq!(
        setup
            .simulator
            .request_count("/api/v1/volume-purchasing-locations"),
        n_locations.div_ceil(2)
    );
    setup.stop().await;
}

#[tokio::test]
async fn one_list_request_serves_many_locations() {
    let sim = SimulatorConfig {
        dataset: jamf_exporter::demo::Dataset::synthetic(1000, 0, chrono::Utc::now()),
        ..SimulatorConfig::demo()
    };
    let setup = harness::start(sim, &["--no-collector.vpp_content"]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count("jamf_vpp_location_info"), 1000);
    assert_eq!(
        setup
            .simulator
            .request_count("/api/v1/volume-purchasing-locations"),
        1
    );
    setup.stop().await;
}

#[tokio::test]
async fn deleted_location_disappears_after_the_next_refresh() {
    let sim = SimulatorConfig::demo();
    let first_id = text(&sim.dataset.vpp_locations[0], "id").to_owned();
    let setup = harness::start(sim, &[]).await;
    assert!(setup
        .metrics()
        .await
        .has("jamf_vpp_location_info", &[("location_id", &first_id)]));
    setup.simulator.update_dataset(|dataset| {
        dataset
            .vpp_locations
            .retain(|l| l.get("id").and_then(|v| v.as_str()) != Some(first_id.as_str()));
        dataset.vpp_content.remove(&first_id);
    });
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert!(!metrics.has("jamf_vpp_location_info", &[("location_id", &first_id)]));
    assert!(!metrics.has("jamf_vpp_licenses_purchased", &[("location_id", &first_id)]));
    assert!(!metrics.has(
        "jamf_vpp_content_licenses_purchased",
        &[("location_id", &first_id)]
    ));
    setup.stop().await;
}

#[tokio::test]
async fn label_values_are_passed_through_and_escaped() {
    let awkward = "Lycée \"Pierre\" d'Orléans\\Nord\nAnnex";
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.update_dataset(|dataset| {
        dataset.vpp_locations[0]["name"] = serde_json::Value::String(awkward.to_owned());
    });
    setup.refresh().await;
    let metrics = setup.metrics().await;
    let escaped = harness::escape(awkward);
    assert!(
        metrics.0.contains(&format!("location=\"{escaped}\"")),
        "escaped label present"
    );
    assert!(metrics.has("jamf_vpp_location_info", &[("location", awkward)]));
    // Every sample line still has exactly one name and one value.
    for line in metrics.0.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.rsplit_once(' ')
                .is_some_and(|(_, v)| v.parse::<f64>().is_ok()),
            "{line}"
        );
    }
    let (_, page) = setup.get("/").await;
    assert!(page.contains("Lycée &quot;Pierre&quot; d&#39;Orléans"));
    setup.stop().await;
}

#[tokio::test]
async fn health_ready_and_unknown_paths() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    assert_eq!(setup.get("/-/healthy").await.0, 200);
    assert_eq!(setup.get("/-/ready").await.0, 200);
    assert_eq!(setup.get("/nope").await.0, 404);
    let post = setup.http.post(setup.url("/metrics")).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
    setup.stop().await;
}

#[tokio::test]
async fn metrics_are_gzipped_when_asked() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let response = setup
        .http
        .get(setup.url("/metrics"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let compressed = response.bytes().await.unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut plain,
    )
    .unwrap();
    assert!(Metrics(plain).has("jamf_up", &[]));
    setup.stop().await;
}

#[tokio::test]
async fn landing_page_shows_tokens_and_collectors() {
    let sim = SimulatorConfig::demo();
    let secret = sim.credentials.client_secret.clone();
    let name = text(&sim.dataset.vpp_locations[0], "name").to_owned();
    let setup = harness::start(sim, &[]).await;
    let (status, page) = setup.get("/").await;
    assert_eq!(status, 200);
    assert!(page.contains(&jamf_exporter::landing::escape(&name)));
    assert!(page.contains("href=\"/metrics\""));
    assert!(page.contains("vpp_content"));
    assert!(!page.contains(&secret));
    setup.stop().await;
}

#[tokio::test]
async fn demo_licence_drop_appears_on_the_third_refresh() {
    let sim = SimulatorConfig::demo();
    let step = sim
        .dataset
        .vpp_script
        .first()
        .cloned()
        .expect("the demo scripts a licence drop");
    let setup = harness::start(sim, &[]).await;
    let labels = [("location_id", step.location_id.as_str())];
    assert!(
        setup
            .metrics()
            .await
            .value("jamf_vpp_licenses_purchased", &labels)
            .unwrap_or(0.0)
            > 0.0
    );
    setup.refresh().await;
    assert!(
        setup
            .metrics()
            .await
            .value("jamf_vpp_licenses_purchased", &labels)
            .unwrap_or(0.0)
            > 0.0
    );
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_vpp_licenses_purchased", &labels),
        Some(0.0)
    );
    setup.stop().await;
}
