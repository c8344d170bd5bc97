//! The fault matrix, beyond the cases in `faults.rs`: in each, the process keeps
//! serving, `/metrics` answers quickly, the last good data survives, and the failure is
//! counted under the `reason` that contract.md gives it.

use std::time::{Duration, Instant};

use jamf_exporter::demo::{Fault, FaultRule, Simulator, SimulatorConfig};

use crate::harness::{
    self, assert_vpp_stale, closed_port_url, errors, status, Login, Metrics, Setup,
};
use crate::process;

const LOCATIONS: &str = "/api/v1/volume-purchasing-locations";

/// Every collector the harness enables.
const ALL: [&str; 7] = [
    "vpp",
    "vpp_content",
    "ade",
    "notifications",
    "builtin_ca",
    "version",
    "healthcheck",
];

fn not_found_envelope(what: &str) -> Fault {
    status(
        404,
        &format!(
            r#"{{"httpStatus":404,"errors":[{{"code":"NOT_FOUND","description":"{what} was not found","id":"0","field":null}}]}}"#
        ),
        "application/json",
    )
}

fn content_path(id: &str) -> String {
    format!("{LOCATIONS}/{id}/content")
}

fn location_ids() -> Vec<String> {
    SimulatorConfig::demo()
        .dataset
        .vpp_locations
        .iter()
        .filter_map(|location| location.get("id")?.as_str().map(str::to_owned))
        .collect()
}

/// Asserts every collector failed with `reason` in each of `refreshes` refreshes, and
/// that nothing was ever collected.
fn assert_all_failed(metrics: &Metrics, reason: &str, refreshes: f64) {
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    for collector in ALL {
        assert_eq!(
            metrics.value("jamf_collector_success", &[("collector", collector)]),
            Some(0.0),
            "{collector}"
        );
        assert_eq!(errors(metrics, collector, reason), refreshes, "{collector}");
        assert!(
            !metrics.has(
                "jamf_collector_last_success_timestamp_seconds",
                &[("collector", collector)]
            ),
            "{collector} never succeeded"
        );
    }
    assert_eq!(metrics.count("jamf_vpp_location_info"), 0, "no data");
}

/// Whether any per-app licence series is labelled with this location.
fn has_content_of(metrics: &Metrics, location_id: &str) -> bool {
    let label = format!("location_id=\"{location_id}\"");
    metrics.0.lines().any(|line| {
        line.starts_with("jamf_vpp_content_licenses_purchased{") && line.contains(&label)
    })
}

async fn n_locations(setup: &Setup) -> usize {
    let n = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    assert!(n > 0);
    n
}

#[tokio::test]
async fn connection_refused_from_the_start() {
    let url = closed_port_url();
    // Long enough for the token request's three retries (0.5 s, 1 s and 2 s, ±50 %)
    // even on a loaded machine, so every collector fails as `connect`.
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &["--refresh.timeout", "8s"],
        harness::point_at(&url),
    )
    .await;
    setup.assert_responsive().await;
    assert_all_failed(&setup.metrics().await, "connect", 1.0);
    setup.refresh().await;
    setup.assert_responsive().await;
    assert_all_failed(&setup.metrics().await, "connect", 2.0);
    let (status, page) = setup.get("/").await;
    assert_eq!(status, 200);
    assert!(page.contains("connect: "), "the landing page says why");
    assert_eq!(setup.get("/-/ready").await.0, 200, "failed refreshes count");
    setup.stop().await;
}

/// Every `jamf_collector_duration_seconds` sample, by collector.
fn collector_durations(metrics: &Metrics) -> Vec<(String, f64)> {
    metrics
        .0
        .lines()
        .filter_map(|line| line.strip_prefix("jamf_collector_duration_seconds{collector=\""))
        .filter_map(|rest| {
            let (collector, value) = rest.split_once("\"} ")?;
            Some((collector.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn against_a_refused_port_a_refresh_takes_as_long_as_its_token_attempts() {
    let url = closed_port_url();
    // Long enough that no backoff is cut short by the deadline.
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &["--refresh.timeout", "30s"],
        harness::point_at(&url),
    )
    .await;
    let started = Instant::now();
    setup.refresh().await;
    let refresh = started.elapsed().as_secs_f64();
    let metrics = setup.metrics().await;
    assert_all_failed(&metrics, "connect", 2.0);
    assert_eq!(
        metrics.value(
            "jamf_exporter_api_requests_total",
            &[("endpoint", "/api/oauth/token"), ("code", "error")]
        ),
        Some(8.0),
        "each refresh made its four token attempts, so they waited three backoffs"
    );
    let durations = collector_durations(&metrics);
    assert!(durations.len() >= ALL.len(), "{durations:?}");
    let duration_of = |name: &str| {
        durations
            .iter()
            .find(|(collector, _)| collector == name)
            .map(|(_, d)| *d)
            .unwrap_or_else(|| panic!("no duration for {name}: {durations:?}"))
    };
    // The collectors that need a token all waited for the same token attempts.
    let token_attempts = duration_of("vpp");
    // Three backoffs of at most 0.75 s, 1.5 s and 3 s (with jitter), plus slack for a
    // loaded machine: well below the 3.5 s more that each collector used to sleep.
    assert!(
        token_attempts < 5.25 + 1.0,
        "the token attempts took {token_attempts} s: {durations:?}"
    );
    // Served without a token, so not waiting for one: `builtin_ca` retries on its own
    // schedule, and `healthcheck` asks once.
    let tokenless = [
        "builtin_ca",
        "healthcheck",
        "server_certificate",
        "vpp_content",
    ];
    for (collector, duration) in &durations {
        if !tokenless.contains(&collector.as_str()) {
            assert!(
                (duration - token_attempts).abs() < 0.3,
                "{collector} took {duration} s, not the token attempts' {token_attempts} s"
            );
        }
    }
    assert!(
        duration_of("vpp_content") < 0.3,
        "vpp_content, run after the token failed, returns at once: {durations:?}"
    );
    let longest = durations.iter().map(|(_, d)| *d).fold(0.0, f64::max);
    assert!(
        refresh - longest < 0.5 && longest < 5.25 + 1.0,
        "the refresh ({refresh} s) took about as long as its longest series of attempts \
         ({longest} s): {durations:?}"
    );
    eprintln!("refresh {refresh:.2} s, token attempts {token_attempts:.2} s: {durations:?}");
    setup.stop().await;
}

#[tokio::test]
async fn connection_refused_after_good_data() {
    let jamf = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let url = jamf.base_url();
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &["--refresh.timeout", "2s"],
        harness::point_at(&url),
    )
    .await;
    let n = n_locations(&setup).await;
    jamf.shutdown().await;
    setup.refresh().await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(errors(&metrics, "vpp", "connect"), 1.0);
    assert_eq!(metrics.count("jamf_vpp_licenses_purchased"), n);
    assert!(metrics.count("jamf_vpp_content_licenses_purchased") > 0);
    setup.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_costs_one_token_request_per_refresh() {
    // A refused loopback port fails like a DNS failure (both are `connect`), without
    // resolving a name.
    let url = closed_port_url();
    let setup = harness::start_custom(
        SimulatorConfig::demo(),
        Login::Client,
        &["--refresh.timeout", "8s"],
        harness::point_at(&url),
    )
    .await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_all_failed(&metrics, "connect", 1.0);
    // One token request (with its retries) for all the collectors, not one each.
    let token_requests = metrics
        .value(
            "jamf_exporter_api_requests_total",
            &[("endpoint", "/api/oauth/token"), ("code", "error")],
        )
        .unwrap_or(0.0);
    assert!(
        (1.0..=4.0).contains(&token_requests),
        "{token_requests} token requests"
    );
    let (_, page) = setup.get("/").await;
    assert!(
        page.contains("Connection refused"),
        "the reason is on the landing page"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_401_that_survives_reauthentication_is_auth_without_a_loop() {
    let only_vpp = [
        "--no-collector.vpp_content",
        "--no-collector.ade",
        "--no-collector.notifications",
        "--no-collector.version",
        "--no-collector.builtin_ca",
        "--no-collector.supervision_identities",
        "--no-collector.cloud_services",
        "--no-collector.sso_certificate",
        "--no-collector.cloud_ldap",
    ];
    let setup = harness::start(SimulatorConfig::demo(), &only_vpp).await;
    let n = setup.metrics().await.count("jamf_vpp_licenses_purchased");
    assert_eq!(setup.simulator.tokens_issued(), 1);
    setup
        .simulator
        .inject(FaultRule::always(LOCATIONS, Fault::status(401)));

    setup.refresh().await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(errors(&metrics, "vpp", "auth"), 1.0);
    assert_eq!(metrics.count("jamf_vpp_licenses_purchased"), n, "data kept");
    // The cached token, refused; one new token, refused too; then it gives up.
    assert_eq!(setup.simulator.request_count(LOCATIONS), 1 + 2);
    assert_eq!(setup.simulator.tokens_issued(), 1 + 1);

    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(errors(&metrics, "vpp", "auth"), 2.0);
    // The refused token was forgotten: a fresh one, then one re-authentication.
    assert_eq!(setup.simulator.request_count(LOCATIONS), 1 + 2 + 2);
    assert_eq!(setup.simulator.tokens_issued(), 1 + 1 + 2);
    let (_, page) = setup.get("/").await;
    assert!(page.contains("HTTP 401 after re-authenticating"));

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

#[tokio::test]
async fn every_data_endpoint_401_stays_bounded() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let before_tokens = setup.simulator.tokens_issued();
    let before_requests = setup.simulator.requests().len();
    // Every bearer endpoint, not the (unversioned) token endpoint the harness uses.
    setup
        .simulator
        .inject(FaultRule::always("/api/v1/*", Fault::status(401)));
    setup
        .simulator
        .inject(FaultRule::always("/api/v2/*", Fault::status(401)));
    setup.refresh().await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    for collector in [
        "vpp",
        "vpp_content",
        "ade",
        "notifications",
        "version",
        "supervision_identities",
        "cloud_services",
        "sso_certificate",
        "cloud_ldap",
    ] {
        assert_eq!(errors(&metrics, collector, "auth"), 1.0, "{collector}");
    }
    let refused = setup.simulator.requests()[before_requests..]
        .iter()
        .filter(|r| r.status == 401)
        .count();
    let new_tokens = setup.simulator.tokens_issued() - before_tokens;
    // Each request is sent at most twice, and each re-sending follows at most one token.
    // Ten bearer requests at most: the six of before, and the first request of each of
    // the four renewal collectors that need a token.
    assert!(refused <= 2 * 10, "{refused} refused requests");
    assert!(
        new_tokens >= 1 && new_tokens <= refused / 2 + 1,
        "{new_tokens} tokens"
    );
    setup.stop().await;
}

#[tokio::test]
async fn an_older_jamf_without_content_reports_not_found_once() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    assert!(
        setup
            .metrics()
            .await
            .count("jamf_vpp_content_licenses_purchased")
            > 0
    );
    for id in location_ids() {
        setup.simulator.inject(FaultRule::always(
            content_path(&id),
            status(404, r#"{"httpStatus":404,"errors":[]}"#, "application/json"),
        ));
    }
    let content_requests = |setup: &Setup| -> usize {
        location_ids()
            .iter()
            .map(|id| setup.simulator.request_count(&content_path(id)))
            .sum()
    };
    let before = content_requests(&setup);
    setup.refresh().await;
    let asked = content_requests(&setup);
    assert!(asked > before);
    let checked: usize = location_ids()
        .iter()
        .map(|id| setup.simulator.request_count(&format!("{LOCATIONS}/{id}")))
        .sum();
    assert!(
        checked >= 1,
        "GET /{{id}} answered 200: the endpoint is missing, not the location"
    );
    setup.refresh().await;
    setup.assert_responsive().await;
    assert_eq!(content_requests(&setup), asked, "not asked again");
    let metrics = setup.metrics().await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp_content")]),
        Some(1.0)
    );
    assert_eq!(errors(&metrics, "vpp_content", "not_found"), 1.0);
    assert_eq!(metrics.count("jamf_vpp_content_licenses_purchased"), 0);
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0)
    );
    assert!(metrics.count("jamf_vpp_licenses_purchased") > 0);
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    let (_, page) = setup.get("/").await;
    assert!(page.contains("not supported by this Jamf Pro"));
    setup.stop().await;
}

/// Regression: a location deleted between the list and its `/content` request answered
/// 404, which switched per-app licences off for every location until restart.
#[tokio::test]
async fn a_location_deleted_during_a_refresh_does_not_disable_vpp_content() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let ids = location_ids();
    let (gone, kept) = (&ids[0], &ids[1]);
    assert!(has_content_of(&setup.metrics().await, gone));
    // Still listed, but gone by the time its content is asked for.
    setup.simulator.inject(FaultRule::always(
        content_path(gone),
        not_found_envelope(&format!("Volume purchasing location {gone}")),
    ));
    setup.simulator.inject(FaultRule::always(
        format!("{LOCATIONS}/{gone}"),
        not_found_envelope(&format!("Volume purchasing location {gone}")),
    ));
    for _ in 0..2 {
        setup.refresh().await;
        let metrics = setup.metrics().await;
        assert_eq!(
            metrics.value("jamf_collector_success", &[("collector", "vpp_content")]),
            Some(1.0)
        );
        assert_eq!(errors(&metrics, "vpp_content", "not_found"), 0.0);
        assert!(!has_content_of(&metrics, gone));
        assert!(has_content_of(&metrics, kept));
    }
    assert_eq!(
        setup.simulator.request_count(&content_path(kept)),
        3,
        "still collected on every refresh"
    );
    setup.stop().await;
}

#[tokio::test]
async fn persistent_rate_limiting_with_a_long_retry_after() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let n = n_locations(&setup).await;
    setup.simulator.inject(FaultRule::always(
        LOCATIONS,
        Fault::Status {
            status: 429,
            body: String::new(),
            content_type: "text/plain".to_owned(),
            retry_after: Some("3600".to_owned()),
        },
    ));
    let started = Instant::now();
    setup.refresh().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a Retry-After past the refresh deadline is not waited for"
    );
    setup.assert_responsive().await;
    assert_vpp_stale(&setup.metrics().await, "rate_limited", 1.0, n);
    assert_eq!(
        setup.simulator.request_count(LOCATIONS),
        1 + 2,
        "the first listing, then one refusal each for vpp and vpp_content: no retry"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_500_with_an_html_page_is_a_server_error() {
    let setup = harness::start(SimulatorConfig::demo(), &["--refresh.timeout", "3s"]).await;
    let n = n_locations(&setup).await;
    let page_body = "<!DOCTYPE html><html><head><title>Apache Tomcat - Error report</title></head>\
                     <body><h1>HTTP Status 500 – Internal Server Error</h1>\
                     <p>java.lang.NullPointerException at com.jamf.Secret</p></body></html>";
    setup.simulator.inject(FaultRule::always(
        LOCATIONS,
        status(500, page_body, "text/html;charset=utf-8"),
    ));
    setup.refresh().await;
    setup.assert_responsive().await;
    assert_vpp_stale(&setup.metrics().await, "server_error", 1.0, n);
    let (_, page) = setup.get("/").await;
    assert!(page.contains("unexpected HTTP status 500"));
    assert!(
        !page.contains("NullPointerException"),
        "response bodies are never quoted"
    );
    setup.stop().await;
}

#[tokio::test]
async fn a_body_cut_short_in_transit_is_a_decode_error() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let n = n_locations(&setup).await;
    setup.simulator.inject(FaultRule::always(
        LOCATIONS,
        Fault::CutShort {
            declared_bytes: 10_000,
            sent_bytes: 100,
        },
    ));
    setup.refresh().await;
    setup.assert_responsive().await;
    assert_vpp_stale(&setup.metrics().await, "decode", 1.0, n);
    setup.stop().await;
}

#[tokio::test]
async fn a_response_that_trickles_past_the_timeout_is_a_timeout() {
    let setup = harness::start(
        SimulatorConfig::demo(),
        &["--jamf.timeout", "300ms", "--refresh.timeout", "3s"],
    )
    .await;
    let n = n_locations(&setup).await;
    // Headers at once, then 16 bytes every 100 ms: 25 s for the whole body.
    setup.simulator.inject(FaultRule::always(
        LOCATIONS,
        Fault::Trickle {
            total_bytes: 4096,
            chunk: 16,
            every: Duration::from_millis(100),
        },
    ));
    let started = Instant::now();
    tokio::join!(setup.refresh(), async {
        // Scrapes stay fast while the refresh waits on Jamf.
        tokio::time::sleep(Duration::from_millis(200)).await;
        setup.assert_responsive().await;
    });
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_vpp_stale(&setup.metrics().await, "timeout", 1.0, n);
    setup.stop().await;
}

/// The 100 MB body of `faults::an_oversized_body_is_refused_as_decode`, in a process of
/// its own so its memory can be read: the body is refused at the 64 MiB cap, not read
/// whole.
#[tokio::test]
async fn an_oversized_body_stays_within_the_memory_cap() {
    const MIB: u64 = 1024 * 1024;
    let simulator = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let url = simulator.base_url();
    let child = process::Exporter::spawn(
        &[
            "--jamf.url",
            &url,
            "--jamf.client-id",
            "demo-client",
            "--refresh.interval",
            "1s",
        ],
        &[("JAMF_CLIENT_SECRET", "demo-secret")],
    )
    .await;
    child.wait_until_ready().await;
    let before = process::peak_rss_bytes(child.pid()).expect("VmHWM is readable");
    simulator.inject(FaultRule::always(
        LOCATIONS,
        Fault::Huge {
            bytes: 100 * 1024 * 1024,
        },
    ));
    let metrics = child
        .wait_for("the oversized body to be refused", |metrics| {
            errors(metrics, "vpp", "decode") >= 1.0
        })
        .await;
    assert!(
        metrics.count("jamf_vpp_licenses_purchased") > 0,
        "data kept"
    );
    let after = process::peak_rss_bytes(child.pid()).expect("VmHWM is readable");
    let growth = after.saturating_sub(before);
    eprintln!(
        "peak RSS {} MiB before, {} MiB after",
        before / MIB,
        after / MIB
    );
    assert!(
        growth < 90 * MIB,
        "peak RSS grew by {} MiB for a 100 MiB body",
        growth / MIB
    );
    let (status, _) = child.get("/-/healthy").await;
    assert_eq!(status, 200);
}
