//! The five renewals of issue 9 against the simulator over real HTTP: values, missing
//! fields, 403 and 404 for each collector, and the server certificate over TLS.

use chrono::{DateTime, Utc};
use jamf_exporter::demo::{Fault, FaultRule, SimulatorConfig};
use jamf_exporter::snapshot::CollectorName;
use serde_json::json;

use crate::harness::{self, errors, Metrics, Setup};
use crate::tls::Pki;

const IDENTITIES: &str = "/api/v1/supervision-identities";
const CSA_TOKEN: &str = "/api/v1/csa/token";
const SSO_CERT: &str = "/api/v2/sso/cert";
const CLOUD_IDP: &str = "/api/v1/cloud-idp";

const IDENTITY_EXPIRY: &str = "jamf_supervision_identity_expiry_timestamp_seconds";
const CSA_EXPIRY: &str = "jamf_cloud_services_token_expiry_timestamp_seconds";
const SSO_EXPIRY: &str = "jamf_sso_certificate_expiry_timestamp_seconds";
const LDAP_EXPIRY: &str = "jamf_cloud_ldap_certificate_expiry_timestamp_seconds";
const SERVER_EXPIRY: &str = "jamf_server_certificate_expiry_timestamp_seconds";

fn seconds(rfc3339: &str) -> f64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
        .timestamp() as f64
}

fn success(metrics: &Metrics, collector: &str) -> Option<f64> {
    metrics.value("jamf_collector_success", &[("collector", collector)])
}

/// Demo data, with the simulator changed by `change` before the exporter's first refresh.
async fn start_with(change: impl FnOnce(&mut jamf_exporter::demo::Dataset)) -> Setup {
    let mut config = SimulatorConfig::demo();
    change(&mut config.dataset);
    harness::start(config, &[]).await
}

/// A 403 fails only this collector, counted as `forbidden`; the others and `jamf_up`
/// are untouched.
async fn assert_forbidden_alone(path: &str, collector: &str) {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    setup
        .simulator
        .inject(FaultRule::always(path, Fault::status(403)));
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(success(&metrics, collector), Some(0.0), "{collector}");
    assert_eq!(errors(&metrics, collector, "forbidden"), 1.0, "{collector}");
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    for other in [
        "vpp",
        "ade",
        "builtin_ca",
        "supervision_identities",
        "cloud_ldap",
    ] {
        if other != collector {
            assert_eq!(success(&metrics, other), Some(1.0), "{other}");
        }
    }
    setup.stop().await;
}

/// An endpoint an older Jamf lacks: one `not_found`, success 1 with no data, and not
/// asked again until restart.
async fn assert_not_found_disables(path: &str, collector: &str, metric: &str) {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    assert!(setup.metrics().await.count(metric) > 0, "{metric} before");
    setup
        .simulator
        .inject(FaultRule::always(path, Fault::status(404)));
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(success(&metrics, collector), Some(1.0), "{collector}");
    assert_eq!(errors(&metrics, collector, "not_found"), 1.0, "{collector}");
    assert_eq!(metrics.count(metric), 0, "{metric} gone");
    let asked = setup.simulator.request_count(path);
    setup.refresh().await;
    assert_eq!(
        setup.simulator.request_count(path),
        asked,
        "not asked again"
    );
    assert_eq!(
        errors(&setup.metrics().await, collector, "not_found"),
        1.0,
        "{collector}"
    );
    setup.stop().await;
}

/// Jamf's "not configured" 404: no sample, success 1, no error, asked again next
/// refresh, and a date as soon as one is set up.
async fn assert_not_configured(
    path: &str,
    collector: &str,
    metric: &str,
    clear: impl FnOnce(&mut jamf_exporter::demo::Dataset),
) {
    let setup = start_with(clear).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(metric), 0, "{metric}");
    assert_eq!(success(&metrics, collector), Some(1.0), "{collector}");
    for reason in ["not_found", "decode", "forbidden"] {
        assert_eq!(errors(&metrics, collector, reason), 0.0, "{reason}");
    }
    let asked = setup.simulator.request_count(path);
    assert!(asked >= 1);
    setup.simulator.update_dataset(|dataset| {
        *dataset = jamf_exporter::demo::Dataset::demo(Utc::now());
    });
    setup.refresh().await;
    assert_eq!(
        setup.simulator.request_count(path),
        asked + 1,
        "asked again"
    );
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(metric), 1, "{metric} once configured");
    assert_eq!(errors(&metrics, collector, "not_found"), 0.0);
    setup.stop().await;
}

#[tokio::test]
async fn supervision_identity_dates_are_midnight_utc_with_id_and_name() {
    let setup = start_with(|dataset| {
        dataset.supervision_identities = vec![
            json!({"id": 3, "displayName": "Cart \"B\"", "commonName": "x", "expirationDate": "2030-10-31"}),
            json!({"id": "4", "displayName": "Library", "expirationDate": "2027-01-02"}),
        ];
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(
            IDENTITY_EXPIRY,
            &[("identity_id", "3"), ("identity_name", "Cart \"B\"")]
        ),
        Some(seconds("2030-10-31T00:00:00Z"))
    );
    assert_eq!(
        metrics.value(IDENTITY_EXPIRY, &[("identity_id", "4")]),
        Some(seconds("2027-01-02T00:00:00Z"))
    );
    assert_eq!(success(&metrics, "supervision_identities"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn supervision_identities_without_a_date_or_an_id_export_nothing() {
    let setup = start_with(|dataset| {
        dataset.supervision_identities = vec![
            json!({"id": 1, "displayName": "No date"}),
            json!({"id": 2, "displayName": "Empty date", "expirationDate": ""}),
            json!({"id": 3, "displayName": "Null date", "expirationDate": null}),
            json!({"displayName": "No id", "expirationDate": "2030-01-01"}),
            json!({"id": 5, "displayName": "First", "expirationDate": "2030-01-01"}),
            json!({"id": "5", "displayName": "Repeated", "expirationDate": "2031-01-01"}),
        ];
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(IDENTITY_EXPIRY), 1);
    assert_eq!(
        metrics.value(IDENTITY_EXPIRY, &[("identity_name", "First")]),
        Some(seconds("2030-01-01T00:00:00Z"))
    );
    assert_eq!(success(&metrics, "supervision_identities"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn supervision_identities_forbidden_fails_only_that_collector() {
    assert_forbidden_alone(IDENTITIES, "supervision_identities").await;
}

#[tokio::test]
async fn supervision_identities_not_found_disables_the_collector_until_restart() {
    assert_not_found_disables(IDENTITIES, "supervision_identities", IDENTITY_EXPIRY).await;
}

#[tokio::test]
async fn cloud_services_refresh_expiration_is_exported_in_seconds() {
    let setup = start_with(|dataset| {
        dataset.csa_token = Some(json!({"refreshExpiration": 1_925_300_000, "scopes": []}));
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value(CSA_EXPIRY, &[]), Some(1_925_300_000.0));
    assert_eq!(success(&metrics, "cloud_services"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn cloud_services_without_a_refresh_expiration_exports_nothing() {
    for body in [
        json!({}),
        json!({"refreshExpiration": null}),
        json!({"refreshExpiration": 0}),
    ] {
        let setup = start_with(|dataset| dataset.csa_token = Some(body.clone())).await;
        let metrics = setup.metrics().await;
        assert_eq!(metrics.count(CSA_EXPIRY), 0, "{body}");
        assert_eq!(success(&metrics, "cloud_services"), Some(1.0), "{body}");
        setup.stop().await;
    }
}

#[tokio::test]
async fn cloud_services_forbidden_fails_only_that_collector() {
    assert_forbidden_alone(CSA_TOKEN, "cloud_services").await;
}

#[tokio::test]
async fn cloud_services_not_found_means_not_configured_and_is_asked_again() {
    assert_not_configured(CSA_TOKEN, "cloud_services", CSA_EXPIRY, |dataset| {
        dataset.csa_token = None;
    })
    .await;
}

#[tokio::test]
async fn sso_expiration_without_a_zone_is_read_as_utc() {
    let setup = start_with(|dataset| {
        dataset.sso_cert = Some(json!({
            "keystore": {"type": "PKCS12"},
            "keystoreDetails": {"keys": ["jamf-sso"], "expiration": "2031-01-15T08:00:00.000"}
        }));
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(SSO_EXPIRY, &[]),
        Some(seconds("2031-01-15T08:00:00Z"))
    );
    assert_eq!(success(&metrics, "sso_certificate"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn sso_without_keystore_details_or_expiration_exports_nothing() {
    for body in [
        json!({}),
        json!({"keystore": null, "keystoreDetails": null}),
        json!({"keystoreDetails": {"keys": []}}),
        json!({"keystoreDetails": {"expiration": ""}}),
    ] {
        let setup = start_with(|dataset| dataset.sso_cert = Some(body.clone())).await;
        let metrics = setup.metrics().await;
        assert_eq!(metrics.count(SSO_EXPIRY), 0, "{body}");
        assert_eq!(success(&metrics, "sso_certificate"), Some(1.0), "{body}");
        setup.stop().await;
    }
}

#[tokio::test]
async fn sso_forbidden_fails_only_that_collector() {
    assert_forbidden_alone(SSO_CERT, "sso_certificate").await;
}

#[tokio::test]
async fn sso_not_found_means_not_configured_and_is_asked_again() {
    assert_not_configured(SSO_CERT, "sso_certificate", SSO_EXPIRY, |dataset| {
        dataset.sso_cert = None;
    })
    .await;
}

#[tokio::test]
async fn cloud_ldap_keystores_of_google_providers_are_exported() {
    let setup = start_with(|dataset| {
        dataset.cloud_idps = vec![
            json!({"id": "1001", "displayName": "Google Workspace", "providerName": "GOOGLE"}),
            json!({"id": "1002", "displayName": "Entra ID", "providerName": "AZURE"}),
            json!({"id": "1003", "displayName": "Staff\nDirectory", "providerName": "GOOGLE"}),
        ];
        dataset.cloud_ldaps.insert(
            "1001".to_owned(),
            json!({"server": {"keystore": {"expirationDate": "2027-02-21T12:05:47.244Z"}}}),
        );
        dataset.cloud_ldaps.insert(
            "1003".to_owned(),
            json!({"server": {"keystore": {"expirationDate": "2028-03-01T00:00:00Z"}}}),
        );
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(LDAP_EXPIRY), 2);
    assert_eq!(
        metrics.value(
            LDAP_EXPIRY,
            &[("idp_id", "1001"), ("idp_name", "Google Workspace")]
        ),
        Some(seconds("2027-02-21T12:05:47Z") + 0.244)
    );
    assert_eq!(
        metrics.value(LDAP_EXPIRY, &[("idp_name", "Staff\nDirectory")]),
        Some(seconds("2028-03-01T00:00:00Z"))
    );
    // Entra ID has no keystore, and Jamf is not asked for one.
    assert_eq!(setup.simulator.request_count("/api/v2/cloud-ldaps/1002"), 0);
    assert_eq!(success(&metrics, "cloud_ldap"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn cloud_ldap_without_a_keystore_date_exports_nothing() {
    let setup = start_with(|dataset| {
        dataset.cloud_idps = vec![
            json!({"id": "1", "displayName": "No server", "providerName": "GOOGLE"}),
            json!({"id": "2", "displayName": "No keystore", "providerName": "GOOGLE"}),
            json!({"id": "3", "displayName": "No date", "providerName": "GOOGLE"}),
            json!({"id": "4", "displayName": "Gone", "providerName": "GOOGLE"}),
            json!({"displayName": "No id", "providerName": "GOOGLE"}),
        ];
        dataset.cloud_ldaps.clear();
        dataset.cloud_ldaps.insert("1".to_owned(), json!({}));
        dataset
            .cloud_ldaps
            .insert("2".to_owned(), json!({"server": {"keystore": null}}));
        dataset.cloud_ldaps.insert(
            "3".to_owned(),
            json!({"server": {"keystore": {"expirationDate": ""}}}),
        );
    })
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(LDAP_EXPIRY), 0);
    assert_eq!(success(&metrics, "cloud_ldap"), Some(1.0));
    setup.stop().await;
}

#[tokio::test]
async fn cloud_ldap_forbidden_fails_only_that_collector() {
    assert_forbidden_alone(CLOUD_IDP, "cloud_ldap").await;
    // The privilege covers the per-provider read too.
    assert_forbidden_alone("/api/v2/cloud-ldaps/*", "cloud_ldap").await;
}

#[tokio::test]
async fn cloud_ldap_not_found_disables_the_collector_until_restart() {
    assert_not_found_disables(CLOUD_IDP, "cloud_ldap", LDAP_EXPIRY).await;
}

#[tokio::test]
async fn server_certificate_not_after_is_read_from_the_tls_handshake() {
    let pki = Pki::with_not_after(&["127.0.0.1", "localhost"], Some((2031, 3, 14)));
    let ca_file = pki.ca_file();
    let setup = harness::start(
        pki.simulator(),
        &["--jamf.ca-file", ca_file.to_str().unwrap()],
    )
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(SERVER_EXPIRY, &[]),
        Some(seconds("2031-03-14T00:00:00Z"))
    );
    assert_eq!(success(&metrics, "server_certificate"), Some(1.0));
    // The certificate came with the refresh's own requests: nothing extra was asked.
    assert_eq!(setup.simulator.request_count("/api/v1/health-check"), 0);
    setup.stop().await;
}

#[tokio::test]
async fn server_certificate_alone_asks_for_the_unauthenticated_health_check() {
    let pki = Pki::with_not_after(&["127.0.0.1", "localhost"], Some((2030, 6, 1)));
    let ca_file = pki.ca_file();
    let mut flags = vec!["--jamf.ca-file", ca_file.to_str().unwrap()];
    for name in CollectorName::ALL
        .iter()
        .filter(|name| **name != CollectorName::ServerCertificate)
    {
        flags.push(Box::leak(format!("--no-collector.{name}").into_boxed_str()));
    }
    let setup = harness::start(pki.simulator(), &flags).await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(SERVER_EXPIRY, &[]),
        Some(seconds("2030-06-01T00:00:00Z"))
    );
    assert_eq!(success(&metrics, "server_certificate"), Some(1.0));
    assert_eq!(setup.simulator.request_count("/api/v1/health-check"), 1);
    assert_eq!(setup.simulator.tokens_issued(), 0, "no login needed");
    setup.stop().await;
}

#[tokio::test]
async fn server_certificate_over_plain_http_exports_nothing_and_succeeds() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(SERVER_EXPIRY), 0);
    assert_eq!(success(&metrics, "server_certificate"), Some(1.0));
    assert_eq!(setup.simulator.request_count("/api/v1/health-check"), 0);
    setup.stop().await;
}

#[tokio::test]
async fn server_certificate_of_an_untrusted_server_is_never_reported() {
    let pki = Pki::with_not_after(&["127.0.0.1", "localhost"], Some((2031, 3, 14)));
    let setup = harness::start(pki.simulator(), &["--refresh.timeout", "2s"]).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.count(SERVER_EXPIRY), 0);
    assert_eq!(success(&metrics, "server_certificate"), Some(0.0));
    assert_eq!(errors(&metrics, "server_certificate", "tls"), 1.0);
    setup.stop().await;
}

#[tokio::test]
async fn demo_renewals_match_the_documented_demo_data() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    let now = Utc::now().timestamp() as f64;
    let days = |value: Option<f64>| value.map(|at| ((at - now) / 86_400.0).round());
    // A date only: midnight of the day 25 days from now, so 24 to 25 days away.
    assert!(metrics
        .value(IDENTITY_EXPIRY, &[("identity_id", "1")])
        .map(|at| (at - now) / 86_400.0)
        .is_some_and(|left| left > 24.0 && left <= 25.0));
    assert_eq!(days(metrics.value(SSO_EXPIRY, &[])), Some(10.0));
    assert!(days(metrics.value(CSA_EXPIRY, &[])).is_some_and(|left| left > 30.0));
    assert_eq!(metrics.count(LDAP_EXPIRY), 1);
    assert!(
        days(metrics.value(LDAP_EXPIRY, &[("idp_name", "Google Workspace")]))
            .is_some_and(|left| left > 30.0)
    );
    setup.stop().await;
}
