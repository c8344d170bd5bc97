//! A target reached through the Jamf Platform API gateway (`--jamf.api platform`): the
//! simulator's gateway mode over real HTTP, and deprecation headers on any target.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use jamf_exporter::config::{self, Config, Source};
use jamf_exporter::demo::{unix_seconds, Dataset, Fault, FaultRule, Simulator, SimulatorConfig};

use crate::harness::{errors, start, start_custom, Login, Metrics, Setup, LIMIT};

const ENVIRONMENT: &str = "6c1f0a2e-7f3b-4a55-9d0e-2b8c4e1a9f70";

/// Flags for a platform target asking for `environment`.
fn platform_flags(environment: &str) -> Vec<String> {
    vec![
        // Opt-in, so that every collector is compared.
        "--collector.mdm_profiles".into(),
        "--jamf.api".into(),
        "platform".into(),
        "--jamf.environment-id".into(),
        environment.into(),
    ]
}

async fn start_platform(sim: SimulatorConfig, environment: &str) -> Setup {
    let flags = platform_flags(environment);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    start_custom(sim, Login::Client, &flags, |_| {}).await
}

/// The Jamf data series (not the exporter's own), without the days until expiry,
/// which follow the clock.
fn jamf_data(metrics: &Metrics) -> BTreeSet<String> {
    metrics
        .0
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            !line.starts_with("jamf_up")
                && !line.starts_with("jamf_collector_")
                && !line.starts_with("jamf_exporter_")
                && !line.starts_with("jamf_healthcheck_")
                && !line.starts_with("jamf_server_certificate_")
                && !line.contains("_days_until_expiry")
                && line.starts_with("jamf_")
        })
        .map(str::to_owned)
        .collect()
}

fn collectors_reported(metrics: &Metrics) -> BTreeSet<String> {
    metrics
        .0
        .lines()
        .filter(|line| line.starts_with("jamf_collector_success{"))
        .filter_map(|line| line.split('"').nth(1).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_collector_reads_through_the_gateway_what_jamf_pro_serves() {
    let dataset = Dataset::demo(chrono::Utc::now());
    let pro = start(
        SimulatorConfig {
            dataset: dataset.clone(),
            ..SimulatorConfig::demo()
        },
        &["--collector.mdm_profiles"],
    )
    .await;
    let platform = start_platform(
        SimulatorConfig {
            dataset,
            ..SimulatorConfig::gateway(ENVIRONMENT)
        },
        ENVIRONMENT,
    )
    .await;
    let (pro_metrics, platform_metrics) = (pro.metrics().await, platform.metrics().await);

    let expected = jamf_data(&pro_metrics);
    assert!(expected.len() > 30, "the demo serves data: {expected:?}");
    assert!(
        expected
            .iter()
            .any(|line| line.starts_with("jamf_mdm_profiles_expiring")),
        "mdm_profiles is compared too"
    );
    assert_eq!(jamf_data(&platform_metrics), expected);
    assert_eq!(platform_metrics.value("jamf_up", &[]), Some(1.0));

    // healthcheck and server_certificate mean nothing through the gateway.
    let mut without = collectors_reported(&pro_metrics);
    without.remove("healthcheck");
    without.remove("server_certificate");
    assert_eq!(collectors_reported(&platform_metrics), without);
    for collector in &without {
        assert_eq!(
            platform_metrics.value("jamf_collector_success", &[("collector", collector)]),
            Some(1.0),
            "{collector}"
        );
    }
    assert!(!platform_metrics.0.contains("collector=\"healthcheck\"",));

    // Nothing under /api/; every Jamf Pro request under /pro with the header and a token.
    let seen = platform.simulator.gateway_requests();
    assert!(seen.iter().any(|request| request.path == "/auth/token"));
    for request in &seen {
        assert!(!request.path.starts_with("/api/"), "{request:?}");
        if request.path != "/auth/token" {
            assert!(request.path.starts_with("/pro/"), "{request:?}");
            assert_eq!(request.environment_id.as_deref(), Some(ENVIRONMENT));
            assert!(request.bearer, "{request:?}");
            assert_eq!(request.status, 200, "{request:?}");
        }
    }
    // The endpoints Jamf Pro serves to anyone carry the token here too.
    for path in [
        "/pro/v1/jamf-pro-version",
        "/pro/v1/pki/certificate-authority/active",
    ] {
        assert!(
            seen.iter()
                .any(|request| request.path == path && request.bearer),
            "{path}"
        );
    }

    // The pages name the environment and the gateway's host.
    let (_, landing) = platform.get("/").await;
    assert!(
        landing.contains(&format!("environment {ENVIRONMENT} at 127.0.0.1")),
        "landing page names the environment"
    );
    let (_, calendar) = platform.get("/calendar.ics").await;
    assert!(
        calendar.contains(&format!("@{ENVIRONMENT}.127.0.0.1")),
        "calendar UIDs name the environment"
    );
    pro.stop().await;
    platform.stop().await;
}

#[tokio::test]
async fn a_tenant_id_is_sent_as_x_tenant_id() {
    let sim = SimulatorConfig::gateway(ENVIRONMENT);
    let tenant = sim
        .gateway
        .as_ref()
        .map(|gateway| gateway.tenant_id.clone())
        .unwrap();
    let flags = [
        "--jamf.api",
        "platform",
        "--jamf.tenant-id",
        tenant.as_str(),
    ];
    let setup = start_custom(sim, Login::Client, &flags, |_| {}).await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    for request in setup.simulator.gateway_requests() {
        if request.path != "/auth/token" {
            assert_eq!(request.tenant_id.as_deref(), Some(tenant.as_str()));
            assert_eq!(request.environment_id, None);
        }
    }
    setup.stop().await;
}

#[tokio::test]
async fn the_wrong_environment_is_auth_until_the_gateway_accepts_it() {
    let setup = start_platform(SimulatorConfig::gateway(ENVIRONMENT), "another-environment").await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(errors(&metrics, "vpp", "auth"), 1.0);
    assert_eq!(errors(&metrics, "vpp", "not_found"), 0.0);
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "version")]),
        Some(0.0),
        "an ENVIRONMENT_NOT_FOUND 404 is not an older Jamf"
    );

    setup.simulator.gateway_accept("another-environment");
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "version")]),
        Some(1.0)
    );
    assert!(metrics.count("jamf_vpp_licenses_purchased") > 0);
    setup.stop().await;
}

#[tokio::test]
async fn gateway_error_codes_count_auth_or_forbidden_and_are_asked_again() {
    let setup = start_platform(SimulatorConfig::gateway(ENVIRONMENT), ENVIRONMENT).await;
    for code in [
        "REQUEST_CONTEXT_NOT_PROVIDED",
        "INVALID_REQUEST_CONTEXT_TYPE",
        "OWNERSHIP_FORBIDDEN",
        "ENVIRONMENT_NOT_FOUND",
    ] {
        setup.simulator.inject(FaultRule::times(
            "/pro/v1/supervision-identities",
            Fault::gateway_error(code),
            1,
        ));
    }
    setup.simulator.inject(FaultRule::always(
        "/pro/v1/device-enrollments",
        Fault::gateway_error("BAD_PERMISSIONS"),
    ));
    for _ in 0..4 {
        setup.refresh().await;
    }
    let metrics = setup.metrics().await;
    assert_eq!(errors(&metrics, "supervision_identities", "auth"), 4.0);
    assert_eq!(errors(&metrics, "supervision_identities", "not_found"), 0.0);
    assert_eq!(
        setup
            .simulator
            .request_count("/pro/v1/supervision-identities"),
        5,
        "asked on every refresh"
    );
    assert_eq!(errors(&metrics, "ade", "forbidden"), 4.0);
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value(
            "jamf_collector_success",
            &[("collector", "supervision_identities")]
        ),
        Some(1.0),
        "recovers once the gateway accepts the request"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_429_waits_for_the_reset_and_then_succeeds() {
    let setup = start_platform(SimulatorConfig::gateway(ENVIRONMENT), ENVIRONMENT).await;
    let before = setup.simulator.gateway_requests().len();
    let reset = unix_seconds(SystemTime::now()) + 2;
    setup.simulator.gateway_exhaust_until(reset);
    setup.refresh().await;

    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    for collector in ["vpp", "ade", "notifications", "version"] {
        assert_eq!(
            errors(&metrics, collector, "rate_limited"),
            0.0,
            "{collector}"
        );
        assert_eq!(
            metrics.value("jamf_collector_success", &[("collector", collector)]),
            Some(1.0),
            "{collector}"
        );
    }
    let requests = setup.simulator.gateway_requests().split_off(before);
    let early: Vec<_> = requests
        .iter()
        .filter(|request| request.second() < reset)
        .collect();
    assert!(!early.is_empty(), "the refresh began before the reset");
    assert!(
        early.iter().all(|request| request.status == 429),
        "no request before the reset but those in flight when the 429 came: {early:?}"
    );
    assert!(
        early.len() <= 4,
        "at most the requests in flight: {early:?}"
    );
    assert!(requests
        .iter()
        .filter(|request| request.second() >= reset)
        .all(|request| request.status == 200));
    setup.stop().await;
}

#[tokio::test]
async fn a_limit_of_5_requests_per_second_is_never_exceeded() {
    let mut sim = SimulatorConfig::gateway(ENVIRONMENT);
    if let Some(gateway) = sim.gateway.as_mut() {
        gateway.requests_per_second = 5;
    }
    let setup = start_platform(sim, ENVIRONMENT).await;
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    assert_eq!(errors(&metrics, "vpp", "rate_limited"), 0.0);
    let requests = setup.simulator.gateway_requests();
    assert!(requests.len() > 20, "enough requests to meet the limit");
    let mut per_second: BTreeMap<u64, usize> = BTreeMap::new();
    for request in &requests {
        *per_second.entry(request.second()).or_default() += 1;
    }
    assert!(
        per_second.values().all(|count| *count <= 5),
        "requests per second: {per_second:?}"
    );
    assert!(requests.iter().all(|request| request.status != 429));
    setup.stop().await;
}

/// An exporter over `text` as its config file (in `dir`), first refreshes at once.
async fn exporter_over(dir: &std::path::Path, text: &str) -> jamf_exporter::Exporter {
    let path = dir.join("jamf_exporter.yml");
    std::fs::write(&path, text).unwrap();
    let args = [
        "jamf_exporter",
        "--config.file",
        path.to_str().unwrap(),
        "--web.listen-address",
        "127.0.0.1:0",
    ];
    let parsed = config::try_parse_from(args).unwrap();
    let mut config = Config::from_raw(parsed, &HashMap::<String, String>::new()).unwrap();
    if let Source::Targets(source) = &mut config.source {
        source.spread = Duration::ZERO;
    }
    jamf_exporter::start(config).await.unwrap()
}

#[tokio::test]
async fn targets_sharing_a_gateway_and_api_client_share_its_limit() {
    let mut sim = SimulatorConfig::gateway(ENVIRONMENT);
    if let Some(gateway) = sim.gateway.as_mut() {
        gateway.requests_per_second = 5;
    }
    let gateway = Simulator::start(sim).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "demo-secret\n").unwrap();
    let target = |name: &str| {
        format!(
            "  - name: {name}\n    api: platform\n    url: {}\n    environment_id: {ENVIRONMENT}\n    client_id: demo-client\n    client_secret_file: {}\n",
            gateway.base_url(),
            secret.display()
        )
    };
    let exporter = exporter_over(
        dir.path(),
        &format!(
            "defaults:\n  refresh_interval: 1h\ntargets:\n{}{}",
            target("one"),
            target("two")
        ),
    )
    .await;
    for name in ["one", "two"] {
        let published = exporter.fleet.view().targets.get(name).cloned().unwrap();
        let mut store = published.store.subscribe();
        let done = tokio::time::timeout(LIMIT, store.wait_for(|s| s.refreshes >= 1)).await;
        assert!(matches!(done, Ok(Ok(_))), "{name} refreshed");
        assert!(published.store.load().up, "{name} is up");
    }
    let mut per_second: BTreeMap<u64, usize> = BTreeMap::new();
    for request in gateway.gateway_requests() {
        *per_second.entry(request.second()).or_default() += 1;
        assert_ne!(request.status, 429, "{request:?}");
    }
    assert!(
        per_second.values().all(|count| *count <= 5),
        "requests per second of both targets together: {per_second:?}"
    );
    exporter.stop().await;
    gateway.shutdown().await;
}

#[tokio::test]
async fn a_platform_and_a_jamf_pro_target_run_side_by_side() {
    let dataset = Dataset::demo(chrono::Utc::now());
    let pro = Simulator::start(SimulatorConfig {
        dataset: dataset.clone(),
        ..SimulatorConfig::demo()
    })
    .await
    .unwrap();
    let gateway = Simulator::start(SimulatorConfig {
        dataset,
        ..SimulatorConfig::gateway(ENVIRONMENT)
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "demo-secret\n").unwrap();
    let exporter = exporter_over(
        dir.path(),
        &format!(
            "defaults:\n  refresh_interval: 1h\ntargets:\n  - name: district\n    url: {}\n    client_id: demo-client\n    client_secret_file: {}\n  - name: acme-eu\n    api: platform\n    url: {}\n    environment_id: {ENVIRONMENT}\n    client_id: demo-client\n    client_secret_file: {}\n",
            pro.base_url(),
            secret.display(),
            gateway.base_url(),
            secret.display(),
        ),
    )
    .await;
    let http = reqwest::Client::new();
    let probe = |name: &'static str| {
        let url = format!("http://{}/probe?target={name}", exporter.addresses[0]);
        let http = http.clone();
        async move { Metrics(http.get(url).send().await.unwrap().text().await.unwrap()) }
    };
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let (district, acme) = (probe("district").await, probe("acme-eu").await);
        if district.value("jamf_up", &[]) == Some(1.0) && acme.value("jamf_up", &[]) == Some(1.0) {
            assert!(district.has("jamf_collector_success", &[("collector", "healthcheck")]));
            assert!(!acme.has("jamf_collector_success", &[("collector", "healthcheck")]));
            assert_eq!(jamf_data(&district), jamf_data(&acme));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "both targets up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fleet_page = http
        .get(format!("http://{}/", exporter.addresses[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fleet_page.contains(&format!("environment {ENVIRONMENT} at 127.0.0.1")),
        "the fleet page names the environment"
    );
    assert!(gateway
        .gateway_requests()
        .iter()
        .all(|request| !request.path.starts_with("/api/")));
    assert!(pro
        .requests()
        .iter()
        .any(|request| request.path == "/api/v1/volume-purchasing-locations"));
    exporter.stop().await;
    pro.shutdown().await;
    gateway.shutdown().await;
}

#[tokio::test]
async fn deprecation_headers_are_counted_per_collector() {
    let setup = start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    for collector in ["vpp", "notifications", "healthcheck"] {
        assert_eq!(
            metrics.value(
                "jamf_exporter_deprecated_responses_total",
                &[("collector", collector)]
            ),
            Some(0.0),
            "pre-initialised for {collector}"
        );
    }
    setup.simulator.add_header(
        "/api/v1/notifications",
        "Deprecation",
        "date=\"2026-06-01\"",
    );
    setup.simulator.add_header(
        "/api/v1/jamf-pro-version",
        "Sunset",
        "Sat, 01 Jan 2028 00:00:00 GMT",
    );
    setup.refresh().await;
    setup.refresh().await;
    let metrics = setup.metrics().await;
    let deprecated = |collector: &str| {
        metrics.value(
            "jamf_exporter_deprecated_responses_total",
            &[("collector", collector)],
        )
    };
    assert_eq!(deprecated("notifications"), Some(2.0));
    assert_eq!(deprecated("version"), Some(2.0));
    assert_eq!(deprecated("vpp"), Some(0.0));
    setup.stop().await;
}

#[tokio::test]
async fn the_first_deprecation_per_collector_is_logged_once_with_path_and_value() {
    let sim = Simulator::start(SimulatorConfig::gateway(ENVIRONMENT))
        .await
        .unwrap();
    sim.add_header(
        "/pro/v1/notifications",
        "Deprecation",
        "date=\"2026-06-01\"",
    );
    let url = sim.base_url();
    let exporter = crate::process::Exporter::spawn(
        &[
            "--jamf.url",
            &url,
            "--jamf.client-id",
            "demo-client",
            "--refresh.interval",
            "1s",
        ],
        &[
            ("JAMF_CLIENT_SECRET", "demo-secret"),
            // The platform settings from the environment, as the contract's table allows.
            ("JAMF_API", "platform"),
            ("JAMF_ENVIRONMENT_ID", ENVIRONMENT),
        ],
    )
    .await;
    exporter
        .wait_for("three deprecated answers", |metrics| {
            metrics
                .value(
                    "jamf_exporter_deprecated_responses_total",
                    &[("collector", "notifications")],
                )
                .is_some_and(|n| n >= 3.0)
        })
        .await;
    let log = exporter.stderr();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("announced the end of an endpoint"))
        .collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains("level=warn"), "{}", warnings[0]);
    assert!(
        warnings[0].contains("collector=notifications"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].contains("/pro/v1/notifications"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("2026-06-01"), "{}", warnings[0]);
    sim.shutdown().await;
}
