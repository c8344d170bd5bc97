//! Both login methods, token renewal and refused credentials.

use std::time::Duration;

use jamf_exporter::demo::SimulatorConfig;

use crate::harness::{self, Login};

#[tokio::test]
async fn api_client_credentials_log_in() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    assert_eq!(setup.metrics().await.value("jamf_up", &[]), Some(1.0));
    assert_eq!(setup.simulator.request_count("/api/oauth/token"), 1);
    assert_eq!(setup.simulator.request_count("/api/v1/auth/token"), 0);
    setup.stop().await;
}

#[tokio::test]
async fn user_account_logs_in_with_basic_auth() {
    let setup = harness::start_with(SimulatorConfig::demo(), Login::User, &[]).await;
    assert_eq!(setup.metrics().await.value("jamf_up", &[]), Some(1.0));
    assert_eq!(setup.simulator.request_count("/api/v1/auth/token"), 1);
    assert_eq!(setup.simulator.request_count("/api/oauth/token"), 0);
    let basic = setup
        .simulator
        .requests()
        .iter()
        .filter(|r| r.auth == "basic")
        .count();
    assert_eq!(basic, 1, "basic auth only for the token request");
    setup.stop().await;
}

#[tokio::test]
async fn oauth_falls_back_to_the_versioned_path() {
    let mut sim = SimulatorConfig::demo();
    sim.oauth_unversioned_missing = true;
    let setup = harness::start(sim, &[]).await;
    assert_eq!(setup.metrics().await.value("jamf_up", &[]), Some(1.0));
    assert_eq!(setup.simulator.request_count("/api/oauth/token"), 1);
    assert_eq!(setup.simulator.request_count("/api/v1/oauth/token"), 1);
    setup.refresh().await;
    assert_eq!(
        setup.simulator.request_count("/api/oauth/token"),
        1,
        "the fallback is remembered"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_cached_token_is_reused_across_refreshes() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.refresh().await;
    setup.refresh().await;
    assert_eq!(setup.simulator.tokens_issued(), 1);
    setup.stop().await;
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_before_they_expire() {
    let mut sim = SimulatorConfig::demo();
    sim.token_lifetime = Duration::from_secs(3);
    let setup = harness::start(sim, &[]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    setup.refresh().await;
    assert_eq!(
        setup.simulator.tokens_issued(),
        2,
        "renewed ahead of expiry"
    );
    let refused = setup
        .simulator
        .requests()
        .iter()
        .filter(|r| r.status == 401)
        .count();
    assert_eq!(refused, 0, "no request was made with an expired token");
    setup.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_replaced_and_the_request_retried_once() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup.simulator.revoke_tokens();
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    assert_eq!(
        setup.simulator.tokens_issued(),
        2,
        "parallel collectors share one renewal"
    );
    setup.stop().await;
}

#[tokio::test]
async fn refused_credentials_set_up_to_zero() {
    let setup = harness::start_with(SimulatorConfig::demo(), Login::WrongSecret, &[]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(0.0)
    );
    assert_eq!(
        metrics.value(
            "jamf_exporter_refresh_errors_total",
            &[("collector", "vpp"), ("reason", "auth")]
        ),
        Some(1.0)
    );
    // Endpoints Jamf serves without a token still report.
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "healthcheck")]),
        Some(1.0)
    );
    assert!(!metrics.0.contains("not-the-secret"));
    assert_eq!(
        setup.simulator.request_count("/api/oauth/token"),
        1,
        "refused credentials are tried once per refresh, not once per collector"
    );
    let (_, page) = setup.get("/").await;
    assert!(page.contains("refused the credentials"));
    assert!(!page.contains("not-the-secret"));
    setup.stop().await;
}

/// Regression: after the token endpoint refused the credentials, every collector that had
/// been waiting for the token asked again, so one refresh sent six failed logins (enough
/// to lock a local account on a server with a lockout policy).
#[tokio::test]
async fn refused_credentials_are_tried_once_per_refresh() {
    let setup = harness::start_with(SimulatorConfig::demo(), Login::WrongSecret, &[]).await;
    assert_eq!(setup.simulator.request_count("/api/oauth/token"), 1);
    setup.refresh().await;
    assert_eq!(setup.simulator.request_count("/api/oauth/token"), 2);
    let metrics = setup.metrics().await;
    for collector in ["vpp", "vpp_content", "ade", "notifications", "version"] {
        assert_eq!(
            metrics.value(
                "jamf_exporter_refresh_errors_total",
                &[("collector", collector), ("reason", "auth")]
            ),
            Some(2.0),
            "{collector}"
        );
    }
    setup.stop().await;
}

#[tokio::test]
async fn a_refused_password_is_tried_once_per_refresh() {
    let setup = harness::start_with(SimulatorConfig::demo(), Login::WrongPassword, &[]).await;
    setup.refresh().await;
    assert_eq!(setup.simulator.request_count("/api/v1/auth/token"), 2);
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(
        metrics.value(
            "jamf_exporter_refresh_errors_total",
            &[("collector", "ade"), ("reason", "auth")]
        ),
        Some(2.0)
    );
    setup.stop().await;
}
