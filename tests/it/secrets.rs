//! Credentials and bearer tokens never leave the process: not in debug logs, not in
//! `/metrics`, not on the landing page, and not in the error texts it shows, even when
//! Jamf echoes them back in its error bodies.

use base64::Engine as _;
use jamf_exporter::demo::{Credentials, Fault, FaultRule, Simulator, SimulatorConfig};

use crate::harness::errors;
use crate::process;

const CLIENT_ID: &str = "lakeview-monitoring";
const CLIENT_SECRET: &str = "CANARY-client-secret-5f1e0c9a";
const USERNAME: &str = "svc-prometheus";
const PASSWORD: &str = "CANARY-password-83b2d4e7";

const ENVIRONMENT: &str = "0e7c2a44-1b9f-4c1d-9a3e-5d6f7a8b9c0d";

fn simulator_config() -> SimulatorConfig {
    SimulatorConfig {
        credentials: Credentials {
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            username: USERNAME.to_owned(),
            password: PASSWORD.to_owned(),
        },
        ..SimulatorConfig::demo()
    }
}

/// How the exporter reaches the simulator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pro,
    /// Through the Jamf Platform API gateway, where Jamf Pro's paths are under `/pro`.
    Platform,
}

/// A Jamf error body that quotes what it was sent, as a careless proxy or server might.
fn echo(status: u16, content_type: &str, body: String) -> Fault {
    Fault::Status {
        status,
        body,
        content_type: content_type.to_owned(),
        retry_after: None,
    }
}

/// Everything the exporter shows: its stderr (debug logs), `/metrics` and `/`.
async fn everything_shown(child: &process::Exporter) -> String {
    let (_, metrics) = child.get("/metrics").await;
    let (_, page) = child.get("/").await;
    format!(
        "--- stderr\n{}\n--- metrics\n{metrics}\n--- page\n{page}",
        child.stderr()
    )
}

fn assert_absent(shown: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        if let Some(at) = shown.find(secret.as_str()) {
            let start = shown[..at]
                .char_indices()
                .rev()
                .nth(80)
                .map_or(0, |(i, _)| i);
            panic!(
                "a secret leaked: …{}…",
                &shown[start..(at + secret.len()).min(shown.len())]
            );
        }
    }
}

/// Runs the binary against `simulator` through a good refresh, failing data requests
/// (401 and 500 bodies quoting the token and the credentials), and a token endpoint that
/// refuses the credentials while quoting them; returns everything it showed.
async fn run_through_failures(
    simulator: &Simulator,
    login_flag: [&str; 2],
    env: (&str, &str),
    token_path: &str,
    kind: Kind,
) -> String {
    let url = simulator.base_url();
    let mut args = vec![
        "--jamf.url",
        &url,
        login_flag[0],
        login_flag[1],
        "--log.level",
        "debug",
        "--refresh.interval",
        "1s",
        "--refresh.timeout",
        "3s",
        "--collector.vpp_content",
    ];
    let prefix = match kind {
        Kind::Pro => "/api",
        Kind::Platform => {
            args.extend([
                "--jamf.api",
                "platform",
                "--jamf.environment-id",
                ENVIRONMENT,
            ]);
            "/pro"
        }
    };
    let child = process::Exporter::spawn(&args, &[env]).await;
    child.wait_until_ready().await;
    let good = child.metrics().await;
    assert_eq!(good.value("jamf_up", &[]), Some(1.0), "{}", child.stderr());
    let mut shown = everything_shown(&child).await;

    let token = simulator.issued_tokens().last().cloned().unwrap();
    let quoted = format!(
        "Bearer {token} refused; client_secret={CLIENT_SECRET} password={PASSWORD} \
         basic={}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"))
    );
    if kind == Kind::Platform {
        // A gateway error whose code the exporter reads, quoting what it was sent.
        simulator.inject(FaultRule::always(
            "/pro/v1/supervision-identities",
            echo(
                404,
                "application/json",
                format!(r#"{{"code":"ENVIRONMENT_NOT_FOUND","message":"{quoted}"}}"#),
            ),
        ));
    }
    simulator.inject(FaultRule::always(
        format!("{prefix}/v1/volume-purchasing-locations"),
        echo(
            401,
            "application/json",
            format!(r#"{{"httpStatus":401,"errors":[{{"description":"{quoted}"}}]}}"#),
        ),
    ));
    simulator.inject(FaultRule::always(
        format!("{prefix}/v1/*"),
        echo(
            500,
            "text/html",
            format!("<html><body><pre>{quoted}</pre></body></html>"),
        ),
    ));
    simulator.inject(FaultRule::always(
        "/healthCheck.html",
        echo(503, "text/html", format!("<p>{quoted}</p>")),
    ));
    let failing: &[&str] = match kind {
        Kind::Pro => &["vpp", "ade", "healthcheck"],
        Kind::Platform => &["vpp", "ade", "supervision_identities"],
    };
    child
        .wait_for("data requests to fail", |metrics| {
            failing.iter().all(|collector| {
                metrics.value("jamf_collector_success", &[("collector", collector)]) == Some(0.0)
            })
        })
        .await;
    shown.push_str(&everything_shown(&child).await);

    simulator.clear_faults();
    simulator.revoke_tokens();
    simulator.inject(FaultRule::always(
        token_path,
        echo(
            401,
            "application/json",
            format!(r#"{{"error":"invalid_client","error_description":"{quoted}"}}"#),
        ),
    ));
    let before = errors(&child.metrics().await, "ade", "auth");
    child
        .wait_for("the credentials to be refused", |metrics| {
            errors(metrics, "ade", "auth") > before
        })
        .await;
    shown.push_str(&everything_shown(&child).await);
    assert!(
        shown.contains("msg=\"jamf request\""),
        "debug logging is on, so the test is not vacuous"
    );
    assert!(shown.contains("refused the credentials"));
    shown
}

fn tokens_and(simulator: &Simulator, secrets: &[&str]) -> Vec<String> {
    let mut all = simulator.issued_tokens();
    assert!(!all.is_empty());
    all.extend(secrets.iter().map(|s| (*s).to_owned()));
    all
}

#[tokio::test]
async fn the_client_secret_and_tokens_never_show() {
    let simulator = Simulator::start(simulator_config()).await.unwrap();
    let shown = run_through_failures(
        &simulator,
        ["--jamf.client-id", CLIENT_ID],
        ("JAMF_CLIENT_SECRET", CLIENT_SECRET),
        "/api/oauth/token",
        Kind::Pro,
    )
    .await;
    assert_absent(&shown, &tokens_and(&simulator, &[CLIENT_SECRET]));
}

#[tokio::test]
async fn the_platform_client_secret_and_tokens_never_show() {
    let simulator = Simulator::start(SimulatorConfig {
        gateway: SimulatorConfig::gateway(ENVIRONMENT).gateway,
        token_lifetime: std::time::Duration::from_secs(900),
        ..simulator_config()
    })
    .await
    .unwrap();
    let shown = run_through_failures(
        &simulator,
        ["--jamf.client-id", CLIENT_ID],
        ("JAMF_CLIENT_SECRET", CLIENT_SECRET),
        "/auth/token",
        Kind::Platform,
    )
    .await;
    assert!(
        shown.contains("ENVIRONMENT_NOT_FOUND"),
        "the code is logged"
    );
    assert_absent(&shown, &tokens_and(&simulator, &[CLIENT_SECRET]));
}

#[tokio::test]
async fn the_account_password_and_tokens_never_show() {
    let simulator = Simulator::start(simulator_config()).await.unwrap();
    let shown = run_through_failures(
        &simulator,
        ["--jamf.username", USERNAME],
        ("JAMF_PASSWORD", PASSWORD),
        "/api/v1/auth/token",
        Kind::Pro,
    )
    .await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    assert_absent(&shown, &tokens_and(&simulator, &[PASSWORD, &basic]));
}
