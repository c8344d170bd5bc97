//! Jamf misbehaving: the exporter stays up, keeps the last good data, and says why.

use std::time::Duration;

use jamf_exporter::demo::{Fault, FaultRule, SimulatorConfig};

use crate::harness::{self, assert_vpp_stale, errors, status};

const LOCATIONS: &str = "/api/v1/volume-purchasing-locations";

fn rule(path: &str, fault: Fault) -> FaultRule {
    FaultRule {
        path: path.to_owned(),
        fault,
        times: None,
    }
}

#[tokio::test]
async fn forbidden_on_one_collector_leaves_the_others_alone() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.inject(rule(
        "/api/v1/device-enrollments",
        status(
            403,
            r#"{"httpStatus":403,"errors":[{"code":"INVALID_PRIVILEGE","description":"Forbidden","id":"0","field":null}]}"#,
            "application/json",
        ),
    ));
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "ade")]),
        Some(0.0)
    );
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(errors(&setup.metrics().await, "ade", "forbidden"), 1.0);
    // A 403 is not retried.
    let forbidden = setup
        .simulator
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/device-enrollments" && r.status == 403)
        .count();
    assert_eq!(forbidden, 1);
    setup.stop().await;
}

#[tokio::test]
async fn server_errors_keep_the_last_good_data() {
    let setup = harness::start(SimulatorConfig::demo(), &["--refresh.timeout", "4s"]).await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup.simulator.inject(rule(
        LOCATIONS,
        status(
            503,
            "<html><body>Service Unavailable</body></html>",
            "text/html",
        ),
    ));
    setup.refresh().await;
    assert_vpp_stale(&setup.metrics().await, "server_error", 1.0, purchased);
    let attempts = setup.simulator.request_count(LOCATIONS);
    assert!(attempts > 2, "5xx is retried ({attempts} requests)");
    setup.stop().await;
}

#[tokio::test]
async fn a_passing_server_error_is_retried_away() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.inject(FaultRule {
        times: Some(1),
        ..rule(LOCATIONS, status(500, "oops", "text/plain"))
    });
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    assert_eq!(errors(&setup.metrics().await, "vpp", "server_error"), 0.0);
    assert!(metrics.has(
        "jamf_exporter_api_requests_total",
        &[("endpoint", LOCATIONS), ("code", "500")]
    ));
    setup.stop().await;
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup.simulator.inject(rule(
        LOCATIONS,
        Fault::Body(r#"{"totalCount": 3, "results": [{"id": "1", "na"#.to_owned()),
    ));
    setup.refresh().await;
    assert_vpp_stale(&setup.metrics().await, "decode", 1.0, purchased);
    setup.stop().await;
}

#[tokio::test]
async fn wrong_json_types_are_a_decode_error() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup.simulator.inject(rule(
        LOCATIONS,
        Fault::Body(
            r#"{"totalCount":1,"results":[{"id":"1","totalPurchasedLicenses":"lots"}]}"#.to_owned(),
        ),
    ));
    setup.refresh().await;
    assert_vpp_stale(&setup.metrics().await, "decode", 1.0, purchased);
    let (_, page) = setup.get("/").await;
    assert!(
        page.contains("results[0].totalPurchasedLicenses"),
        "the landing page names the bad field"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_slow_jamf_is_a_timeout() {
    let setup = harness::start(
        SimulatorConfig::demo(),
        &["--jamf.timeout", "200ms", "--refresh.timeout", "3s"],
    )
    .await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup
        .simulator
        .inject(rule(LOCATIONS, Fault::Delay(Duration::from_secs(2))));
    let started = std::time::Instant::now();
    setup.refresh().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_vpp_stale(&setup.metrics().await, "timeout", 1.0, purchased);
    // Scrapes stay fast while Jamf is slow.
    let scrape = std::time::Instant::now();
    setup.metrics().await;
    assert!(scrape.elapsed() < Duration::from_secs(1));
    setup.stop().await;
}

#[tokio::test]
async fn a_missing_endpoint_is_reported_once_and_left_alone() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.inject(rule(
        "/api/v1/pki/certificate-authority/active",
        status(404, r#"{"httpStatus":404,"errors":[]}"#, "application/json"),
    ));
    setup.refresh().await;
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "builtin_ca")]),
        Some(1.0)
    );
    assert!(!metrics.has("jamf_builtin_ca_expiry_timestamp_seconds", &[]));
    assert_eq!(
        errors(&setup.metrics().await, "builtin_ca", "not_found"),
        1.0
    );
    let not_found = setup
        .simulator
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pki/certificate-authority/active" && r.status == 404)
        .count();
    assert_eq!(not_found, 1, "not asked again until restart");
    setup.stop().await;
}

#[tokio::test]
async fn healthcheck_503_with_a_reading_is_a_success() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.update_dataset(|dataset| {
        dataset.healthcheck = (
            503,
            r#"[{"healthCode":4,"httpCode":503,"description":"Initializing"}]"#.to_owned(),
        );
    });
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_healthcheck_code", &[]), Some(4.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "healthcheck")]),
        Some(1.0)
    );
    assert_eq!(
        setup.simulator.request_count("/healthCheck.html"),
        2,
        "never retried"
    );
    setup.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_as_decode() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup.simulator.inject(rule(
        LOCATIONS,
        Fault::Huge {
            bytes: 100 * 1024 * 1024,
        },
    ));
    setup.refresh().await;
    assert_vpp_stale(&setup.metrics().await, "decode", 1.0, purchased);
    setup.stop().await;
}

#[tokio::test]
async fn rate_limiting_honours_retry_after() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.inject(FaultRule {
        times: Some(1),
        ..rule(
            LOCATIONS,
            Fault::Status {
                status: 429,
                body: String::new(),
                content_type: "text/plain".to_owned(),
                retry_after: Some("1".to_owned()),
            },
        )
    });
    let started = std::time::Instant::now();
    setup.refresh().await;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After"
    );
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    setup.stop().await;
}

#[tokio::test]
async fn jamf_down_for_several_refreshes_then_back() {
    let setup = harness::start(SimulatorConfig::demo(), &["--refresh.timeout", "2s"]).await;
    let purchased = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    setup.simulator.inject(rule("*", Fault::Reset));
    for _ in 0..3 {
        setup.refresh().await;
        let metrics = setup.metrics().await;
        assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
        assert_eq!(metrics.count("jamf_vpp_licenses_purchased"), purchased);
    }
    setup.simulator.clear_faults();
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    setup.stop().await;
}

const IDENTITIES: &str = "/api/v1/supervision-identities";

/// A list whose `totalCount` is never reached: every page answers `results`, whatever
/// page was asked for.
fn endless_pages(results: &str) -> Fault {
    Fault::Body(format!(
        r#"{{"totalCount":1000000000000,"results":[{results}]}}"#
    ))
}

/// Runs one refresh while `supervision_identities` pages forever with `results` on each
/// page, and asserts the list failed once as `decode` naming `cap`, far within the
/// refresh's 2 minute deadline.
async fn refresh_against_endless_pages(results: &str, cap: &str) -> harness::Setup {
    let setup = harness::start(SimulatorConfig::demo(), &["--refresh.timeout", "2m"]).await;
    setup
        .simulator
        .inject(rule(IDENTITIES, endless_pages(results)));
    let started = std::time::Instant::now();
    assert!(
        setup.exporter.refresh_now(Duration::from_secs(120)).await,
        "the refresh ends"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(60),
        "a list that pages forever ends at its cap, not at the deadline: {elapsed:?}"
    );
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(
            "jamf_collector_success",
            &[("collector", "supervision_identities")]
        ),
        Some(0.0)
    );
    assert_eq!(errors(&metrics, "supervision_identities", "decode"), 1.0);
    let (_, page) = setup.get("/").await;
    assert!(page.contains(cap), "the landing page names the cap");
    setup
}

#[tokio::test]
async fn a_list_that_pages_forever_ends_as_decode_at_5000_pages() {
    // One record per page: the cost is in the round trips, and 5000 of them are quick.
    let setup = refresh_against_endless_pages(r#"{"id":1}"#, "the cap of 5000 pages").await;
    assert_eq!(
        setup.simulator.request_count(IDENTITIES),
        1 + 5000,
        "the first refresh's one page, then 5000 pages"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_list_that_pages_forever_ends_as_decode_past_256_mib() {
    // 32 MiB pages: the 9th takes the list past 256 MiB, long before 5000 pages.
    let padding = "x".repeat(32 * 1024 * 1024);
    let setup = refresh_against_endless_pages(
        &format!(r#"{{"id":1,"padding":"{padding}"}}"#),
        "the cap of 256 MiB",
    )
    .await;
    setup.stop().await;
}
