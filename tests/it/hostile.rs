//! Absurd values from a hostile Jamf, sent by the simulator over real HTTP and read by
//! the real client: none may panic the exporter or stop its refreshes. Decoding alone
//! cannot panic, so these drive the arithmetic the client and collectors do with what
//! they decoded: token lifetimes, `Retry-After` waits, counts and dates.

use jamf_exporter::demo::{Fault, FaultRule, SimulatorConfig};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use crate::harness::{self, errors, Login, Metrics, Setup};

const LOCATIONS: &str = "/api/v1/volume-purchasing-locations";

fn config() -> ProptestConfig {
    ProptestConfig {
        // Each case starts a simulator and an exporter.
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Refreshes once more after the harness' first refresh and checks that the exporter
/// is still refreshing and serving; returns what it then serves.
async fn refresh_and_read(setup: &Setup) -> Metrics {
    setup.refresh().await;
    setup.assert_responsive().await;
    setup.metrics().await
}

/// Numbers as JSON text, from the ordinary to the absurd.
fn json_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(|n| format!("{n:e}")),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..400).prop_map(|exponent| format!("1e{exponent}")),
        Just("1e20".to_owned()),
        Just("1.8e19".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("1e400".to_owned()),
        Just("-0".to_owned()),
        Just("null".to_owned()),
        Just("\"soon\"".to_owned()),
    ]
}

/// Dates as JSON values: far past and future years, epochs of every size, junk.
fn json_date() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..300_000).prop_map(|year| format!("\"{year:04}-06-30T12:00:00.000Z\"")),
        (0u32..300_000).prop_map(|year| format!("\"+{year}-01-01T00:00:00Z\"")),
        any::<i64>().prop_map(|n| format!("\"{n}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9TZ:+./ -]{0,30}".prop_map(|text| format!("{text:?}")),
        Just("\"9999-12-31T23:59:59.999Z\"".to_owned()),
        Just("\"262143-12-31T23:59:59Z\"".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_oauth_token_lifetime_keeps_refreshes_going(raw in json_number()) {
        block_on(async {
            let setup = harness::start(
                SimulatorConfig { raw_expires_in: Some(raw.clone()), ..SimulatorConfig::demo() },
                &[],
            )
            .await;
            let metrics = refresh_and_read(&setup).await;
            let up = metrics.value("jamf_up", &[]) == Some(1.0);
            let refused = errors(&metrics, "vpp", "decode") >= 1.0;
            assert!(up != refused, "{raw}: up {up}, decode errors {refused}");
            setup.stop().await;
        });
    }

    #[test]
    fn any_user_token_expiry_keeps_refreshes_going(raw in json_date()) {
        block_on(async {
            let setup = harness::start_with(
                SimulatorConfig { raw_user_token_expires: Some(raw.clone()), ..SimulatorConfig::demo() },
                Login::User,
                &[],
            )
            .await;
            let metrics = refresh_and_read(&setup).await;
            assert_eq!(metrics.value("jamf_up", &[]), Some(1.0), "{raw}");
            setup.stop().await;
        });
    }

    #[test]
    fn any_retry_after_is_waited_at_most_until_the_deadline(
        raw in prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            Just("9300000000000000000".to_owned()),
            Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
            Just("Thu, 01 Jan 1970 00:00:00 GMT".to_owned()),
            "[ -~]{0,20}",
        ]
    ) {
        block_on(async {
            let setup = harness::start(SimulatorConfig::demo(), &["--refresh.timeout", "3s"]).await;
            setup.simulator.inject(FaultRule::times(
                LOCATIONS,
                Fault::Status {
                    status: 429,
                    body: String::new(),
                    content_type: "text/plain".to_owned(),
                    retry_after: Some(raw.clone()),
                },
                1,
            ));
            let started = std::time::Instant::now();
            let metrics = refresh_and_read(&setup).await;
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{raw}");
            let vpp = metrics.value("jamf_collector_success", &[("collector", "vpp")]);
            let limited = errors(&metrics, "vpp", "rate_limited");
            assert!(vpp == Some(1.0) || limited == 1.0, "{raw}: {vpp:?} {limited}");
            setup.stop().await;
        });
    }

    #[test]
    fn any_rate_limit_reset_is_waited_at_most_until_the_deadline(
        reset in prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("18446744073709551615".to_owned()),
            // A year ahead: clamped, and never past the refresh's deadline.
            Just((jamf_exporter::demo::unix_seconds(std::time::SystemTime::now()) + 31_536_000).to_string()),
            Just("0".to_owned()),
            "[ -~]{0,20}",
        ],
        rate_limited in any::<bool>(),
    ) {
        block_on(async {
            const ENVIRONMENT: &str = "env-1";
            let setup = harness::start_custom(
                SimulatorConfig::gateway(ENVIRONMENT),
                Login::Client,
                &["--jamf.api", "platform", "--jamf.environment-id", ENVIRONMENT, "--refresh.timeout", "3s"],
                |_| {},
            )
            .await;
            let path = "/pro/v1/volume-purchasing-locations";
            setup.simulator.add_header(path, "x-ratelimit-reset", &reset);
            if rate_limited {
                setup.simulator.inject(FaultRule::times(path, Fault::status(429), 1));
            } else {
                setup.simulator.add_header(path, "x-ratelimit-remaining", "0");
            }
            let started = std::time::Instant::now();
            let metrics = refresh_and_read(&setup).await;
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{reset}");
            let vpp = metrics.value("jamf_collector_success", &[("collector", "vpp")]);
            let limited = errors(&metrics, "vpp", "rate_limited");
            assert!(vpp == Some(1.0) || limited == 1.0, "{reset}: {vpp:?} {limited}");
            setup.stop().await;
        });
    }

    #[test]
    fn any_count_or_date_in_a_record_costs_only_that_sample(
        purchased in json_number(),
        expiry in json_date(),
        synced in json_date(),
    ) {
        block_on(async {
            let setup = harness::start(SimulatorConfig::demo(), &[]).await;
            let body = format!(
                r#"{{"totalCount":1,"results":[{{"id":"1","name":"Lakeview High School","totalPurchasedLicenses":{purchased},"totalUsedLicenses":3,"tokenExpiration":{expiry},"lastSyncTime":{synced}}}]}}"#
            );
            setup.simulator.inject(FaultRule::always(LOCATIONS, Fault::Body(body)));
            let metrics = refresh_and_read(&setup).await;
            let case = format!("{purchased} {expiry} {synced}");
            let location = [("location_id", "1")];
            // A number of the wrong JSON type fails the whole answer; anything else keeps
            // the record and drops only what is absurd.
            if metrics.value("jamf_collector_success", &[("collector", "vpp")]) == Some(1.0) {
                assert_eq!(metrics.value("jamf_vpp_licenses_used", &location), Some(3.0), "{case}");
                if let Some(count) = metrics.value("jamf_vpp_licenses_purchased", &location) {
                    assert!((0.0..=9_007_199_254_740_992.0).contains(&count), "{case}: {count}");
                }
                for name in ["jamf_vpp_token_expiry_timestamp_seconds", "jamf_vpp_last_sync_timestamp_seconds"] {
                    if let Some(seconds) = metrics.value(name, &location) {
                        assert!((0.0..253_402_300_800.0).contains(&seconds), "{case}: {name} {seconds}");
                    }
                }
            } else {
                assert_eq!(errors(&metrics, "vpp", "decode"), 1.0, "{case}");
            }
            setup.stop().await;
        });
    }
}
