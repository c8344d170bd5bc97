//! The opt-in `mdm_profiles` collector against the simulator: the demo's counts, the cost
//! of a large fleet with few devices due, and the computers inventory fallback.

use chrono::{TimeDelta, Utc};
use jamf_exporter::demo::dataset::{computer, mobile_device};
use jamf_exporter::demo::SimulatorConfig;

use crate::harness::{self, errors};

const V4: &str = "/api/v4/computers-inventory";
const V3: &str = "/api/v3/computers-inventory";
const V1: &str = "/api/v1/computers-inventory";
const MOBILE: &str = "/api/v2/mobile-devices/detail";

#[tokio::test]
async fn the_demo_counts_expiring_and_expired_profiles_per_platform() {
    let setup = harness::start(SimulatorConfig::demo(), &["--collector.mdm_profiles"]).await;
    let metrics = setup.metrics().await;
    let value = |name: &str, platform: &str| metrics.value(name, &[("platform", platform)]);
    assert_eq!(value("jamf_mdm_profiles_expiring", "computer"), Some(3.0));
    assert_eq!(value("jamf_mdm_profiles_expired", "computer"), Some(1.0));
    assert_eq!(
        value("jamf_mdm_profiles_expiring", "mobile_device"),
        Some(2.0)
    );
    assert_eq!(
        value("jamf_mdm_profiles_expired", "mobile_device"),
        Some(0.0)
    );
    assert_eq!(value("jamf_mdm_profile_auto_renew", "computer"), Some(1.0));
    assert_eq!(
        value("jamf_mdm_profile_auto_renew", "mobile_device"),
        Some(0.0)
    );
    let next = value("jamf_mdm_profile_next_expiry_timestamp_seconds", "computer").unwrap();
    let in_three_days = (Utc::now() + TimeDelta::days(3)).timestamp() as f64;
    assert!((next - in_three_days).abs() < 3600.0, "{next}");
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "mdm_profiles")]),
        Some(1.0)
    );
    setup.stop().await;
}

#[tokio::test]
async fn ten_thousand_managed_devices_with_five_due_cost_one_or_two_pages_each() {
    let now = Utc::now();
    let mut config = SimulatorConfig::demo();
    let dataset = &mut config.dataset;
    dataset.computers.clear();
    dataset.mobile_devices.clear();
    for id in 1..=10_000usize {
        // Five due within the window, the rest spread over the next two years.
        let days = if id % 2_000 == 0 {
            (id / 2_000) as i64 * 4
        } else {
            40 + (id as i64 * 7) % 700
        };
        let expiry = Some(now + TimeDelta::days(days));
        dataset
            .computers
            .push(computer(id, &format!("MAC-{id}"), expiry, true));
        dataset
            .mobile_devices
            .push(mobile_device(id, &format!("IPAD-{id}"), expiry, true));
    }
    let setup = harness::start(config, &["--collector.mdm_profiles"]).await;
    let metrics = setup.metrics().await;
    for platform in ["computer", "mobile_device"] {
        assert_eq!(
            metrics.value("jamf_mdm_profiles_expiring", &[("platform", platform)]),
            Some(5.0),
            "{platform}"
        );
    }
    let computer_pages = setup.simulator.request_count(V4);
    let mobile_pages = setup.simulator.request_count(MOBILE);
    assert!(
        (1..=2).contains(&computer_pages),
        "{computer_pages} computer pages"
    );
    assert!(
        (1..=2).contains(&mobile_pages),
        "{mobile_pages} mobile pages"
    );
    setup.stop().await;
}

#[tokio::test]
async fn an_older_jamf_is_asked_the_older_inventory_and_keeps_it_until_restart() {
    let mut config = SimulatorConfig::demo();
    config.dataset.computers_inventory_versions = vec![1];
    let setup = harness::start(config, &["--collector.mdm_profiles"]).await;
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_mdm_profiles_expired", &[("platform", "computer")]),
        Some(1.0)
    );
    assert_eq!(setup.simulator.request_count(V4), 1, "v4 asked once");
    assert_eq!(setup.simulator.request_count(V3), 1, "v3 asked once");
    assert_eq!(setup.simulator.request_count(V1), 2, "v1 every refresh");
    assert_eq!(errors(&metrics, "mdm_profiles", "not_found"), 0.0);
    setup.stop().await;
}

#[tokio::test]
async fn without_the_settings_privilege_auto_renew_is_unknown_and_the_counts_stay() {
    let mut config = SimulatorConfig::demo();
    config.dataset.device_communication_settings = None;
    let setup = harness::start(config, &["--collector.mdm_profiles"]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count("jamf_mdm_profile_auto_renew"), 0);
    assert_eq!(
        metrics.value("jamf_mdm_profiles_expiring", &[("platform", "computer")]),
        Some(3.0)
    );
    setup.stop().await;
}

#[tokio::test]
async fn the_collector_is_off_unless_asked_for() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count("jamf_mdm_profiles_expiring"), 0);
    assert!(!metrics.has("jamf_collector_success", &[("collector", "mdm_profiles")]));
    assert_eq!(setup.simulator.request_count(V4), 0);
    setup.stop().await;
}

#[tokio::test]
async fn a_server_that_refuses_the_sort_field_fails_the_collector_alone() {
    use jamf_exporter::demo::FaultRule;
    let setup = harness::start(SimulatorConfig::demo(), &["--collector.mdm_profiles"]).await;
    setup.simulator.inject(FaultRule::always(
        MOBILE,
        harness::status(
            400,
            r#"{"httpStatus":400,"errors":[{"code":"INVALID_FIELD","field":"sort"}]}"#,
            "application/json",
        ),
    ));
    setup.refresh().await;
    let metrics = setup.metrics().await;
    let success =
        |collector: &str| metrics.value("jamf_collector_success", &[("collector", collector)]);
    assert_eq!(success("mdm_profiles"), Some(0.0));
    assert_eq!(errors(&metrics, "mdm_profiles", "server_error"), 1.0);
    assert_eq!(success("vpp"), Some(1.0));
    // The last good counts are kept.
    assert_eq!(
        metrics.value(
            "jamf_mdm_profiles_expiring",
            &[("platform", "mobile_device")]
        ),
        Some(2.0)
    );
    setup.stop().await;
}
