//! `jamf_exporter check` as a monitoring system runs it: the real binary, one refresh
//! against the simulator, a report on stdout and a plugin exit status.

use std::time::{Duration, Instant};

use jamf_exporter::demo::{Dataset, Simulator, SimulatorConfig};

const SECRET: &str = "CANARY-check-secret-7d41";

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `jamf_exporter check ARGS` with exactly `env`, without blocking the simulator.
async fn check(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
            .arg("check")
            .args(&args)
            .env_clear()
            .envs(env)
            .output()
            .expect("the binary runs");
        Run {
            status: output.status.code().expect("an exit status"),
            stdout: String::from_utf8(output.stdout).expect("utf-8"),
            stderr: String::from_utf8(output.stderr).expect("utf-8"),
            took: started.elapsed(),
        }
    })
    .await
    .expect("the check finishes")
}

async fn simulator(dataset: Dataset) -> Simulator {
    let mut config = SimulatorConfig::demo();
    config.dataset = dataset;
    config.credentials.client_secret = SECRET.to_owned();
    Simulator::start(config).await.expect("simulator starts")
}

/// Checks `simulator` with the given secret and extra flags.
async fn check_against(simulator: &Simulator, secret: &str, extra: &[&str]) -> Run {
    let url = simulator.base_url();
    let client_id = SimulatorConfig::demo().credentials.client_id;
    let mut args = vec!["--jamf.url", &url, "--jamf.client-id", &client_id];
    args.extend_from_slice(extra);
    let run = check(&args, &[("JAMF_CLIENT_SECRET", secret)]).await;
    assert!(
        !run.stdout.contains(SECRET),
        "secret in stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(SECRET),
        "secret in stderr:\n{}",
        run.stderr
    );
    run
}

/// The demo district's location `index` (0-based) alone, with nothing else wrong.
fn one_location(index: usize) -> Dataset {
    let demo = Dataset::demo(chrono::Utc::now());
    Dataset {
        vpp_locations: vec![demo.vpp_locations[index].clone()],
        ..Dataset::empty()
    }
}

#[tokio::test]
async fn a_healthy_server_is_ok_with_exit_status_0() {
    let simulator = simulator(one_location(0)).await;
    let run = check_against(&simulator, SECRET, &[]).await;
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout
            .lines()
            .next()
            .unwrap()
            .split(" | ")
            .next()
            .unwrap(),
        "JAMF OK - 1 renewal checked, nothing needs action"
    );
    assert!(run
        .stdout
        .contains("| 'vpp:Lakeview High School'=200d;30:;7:"));
    assert_eq!(run.stdout.lines().count(), 1);
    simulator.shutdown().await;
}

#[tokio::test]
async fn a_token_due_within_the_warning_days_is_warning_with_exit_status_1() {
    let simulator = simulator(one_location(1)).await;
    let run = check_against(&simulator, SECRET, &[]).await;
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(run.stdout.starts_with(
        "JAMF WARNING - 1 warning: North Elementary: Volume Purchasing token expires in 20 days |"
    ));
    // Thresholds from the command line apply to every kind.
    let run = check_against(&simulator, SECRET, &["--warning", "10", "--critical", "3"]).await;
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.contains("'vpp:North Elementary'=20d;10:;3:"));
    let run = check_against(&simulator, SECRET, &["--critical", "25"]).await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    simulator.shutdown().await;
}

#[tokio::test]
async fn the_demo_district_is_critical_with_exit_status_2() {
    let simulator = simulator(Dataset::demo(chrono::Utc::now())).await;
    let run = check_against(&simulator, SECRET, &[]).await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with(
        "JAMF CRITICAL - 4 critical, 11 warning: Harbor Middle School: Volume Purchasing token expired 3 days ago | "
    ));
    assert!(lines[0].contains("'vpp:Harbor Middle School'=-3d;30:;7:"));
    assert!(lines[0].contains("'builtin_ca:Built-in certificate authority'="));
    assert_eq!(
        lines[1],
        "CRITICAL: Harbor Middle School: Volume Purchasing token expired 3 days ago"
    );
    assert!(lines.contains(
        &"CRITICAL: South Middle School: another MDM server is using this Volume Purchasing token"
    ));
    simulator.shutdown().await;
}

#[tokio::test]
async fn the_demo_flag_checks_the_embedded_simulator() {
    let run = check(&["--demo", "--output", "json"], &[]).await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["state"], "CRITICAL");
}

#[tokio::test]
async fn an_unreachable_server_is_critical_within_the_refresh_timeout() {
    // A loopback port that refuses connections: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = check(
        &[
            "--jamf.url",
            &url,
            "--jamf.client-id",
            "x",
            "--refresh.timeout",
            "5s",
        ],
        &[("JAMF_CLIENT_SECRET", SECRET)],
    )
    .await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("JAMF CRITICAL - 1 critical: Jamf Pro cannot be reached (connect:"),
        "{}",
        run.stdout
    );
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
}

#[tokio::test]
async fn a_server_slower_than_the_refresh_timeout_is_cut_off() {
    let mut config = SimulatorConfig::demo();
    config.latency = Duration::from_secs(20);
    let simulator = Simulator::start(config).await.unwrap();
    let url = simulator.base_url();
    let credentials = SimulatorConfig::demo().credentials;
    let run = check(
        &[
            "--jamf.url",
            &url,
            "--jamf.client-id",
            &credentials.client_id,
            "--refresh.timeout",
            "2s",
        ],
        &[("JAMF_CLIENT_SECRET", &credentials.client_secret)],
    )
    .await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(run.took < Duration::from_secs(3), "took {:?}", run.took);
    simulator.shutdown().await;
}

#[tokio::test]
async fn refused_credentials_are_critical() {
    let simulator = simulator(one_location(0)).await;
    let run = check_against(&simulator, "not-the-secret", &[]).await;
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(
        run.stdout.starts_with(
            "JAMF CRITICAL - 1 critical: Jamf Pro refuses the exporter's credentials (auth:"
        ),
        "{}",
        run.stdout
    );
    simulator.shutdown().await;
}

#[tokio::test]
async fn a_bad_command_line_is_unknown_with_one_line_naming_the_flag() {
    for (args, flag) in [
        (&["--bogus"][..], "--bogus"),
        (&["--demo", "--warning", "soon"][..], "--warning"),
        (&["--demo", "--output", "xml"][..], "--output"),
        (
            &["--demo", "--refresh.timeout", "0s"][..],
            "--refresh.timeout",
        ),
        (&[][..], "--jamf.url"),
    ] {
        let run = check(args, &[]).await;
        assert_eq!(run.status, 3, "{args:?}: {}", run.stdout);
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: {}", run.stdout);
        assert!(run.stdout.starts_with("JAMF UNKNOWN - "), "{}", run.stdout);
        assert!(run.stdout.contains(flag), "{args:?}: {}", run.stdout);
    }
}

#[tokio::test]
async fn every_output_format_reports_the_same_state() {
    let simulator = simulator(Dataset::demo(chrono::Utc::now())).await;
    let json = check_against(&simulator, SECRET, &["--output", "json"]).await;
    assert_eq!(json.status, 2);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["state"], "CRITICAL");
    assert_eq!(value["findings"][0]["kind"], "vpp");
    assert_eq!(value["findings"][0]["id"], "4");
    assert_eq!(value["findings"][0]["days_left"], -3);
    let renewals = value["renewals"].as_array().unwrap();
    assert_eq!(renewals.len(), 17);
    let dates: Vec<&str> = renewals
        .iter()
        .map(|r| r["expires"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|pair| pair[0] <= pair[1]), "{dates:?}");

    let text = check_against(&simulator, SECRET, &["--output", "text"]).await;
    assert_eq!(text.status, 2);
    let renewals_at = text.stdout.find("Renewals, by date:").unwrap();
    let rest_at = text.stdout.find("Also needs doing:").unwrap();
    assert!(renewals_at < rest_at);
    assert!(text.stdout[rest_at..].contains("St. Mary's Annex: Jamf Pro has no expiry date"));
    assert!(text.stdout.contains("Overall: CRITICAL"));
    simulator.shutdown().await;
}

#[tokio::test]
async fn hostile_names_are_quoted_in_the_perfdata() {
    let mut dataset = one_location(1);
    dataset.vpp_locations[0]["name"] = "O'Brien = A|B\nC".into();
    let simulator = simulator(dataset).await;
    let run = check_against(&simulator, SECRET, &[]).await;
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0].matches(" | ").count(), 1, "{}", lines[0]);
    assert!(
        lines[0].ends_with("| 'vpp:O''Brien   A/B C'=20d;30:;7:"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "WARNING: O'Brien = A/B C: Volume Purchasing token expires in 20 days"
    );
    simulator.shutdown().await;
}

/// The README's `check` example is what `check --demo` prints: its summary, and each line
/// it shows (a line ending in "…" is cut short there and must start what the demo prints).
#[tokio::test]
async fn the_readme_example_matches_what_the_demo_prints() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```\nJAMF ")
        .expect("README has a check example")
        + 4;
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let run = check(&["--demo"], &[]).await;
    let printed: Vec<&str> = run.stdout.lines().collect();
    let shown: Vec<&str> = example
        .lines()
        .filter(|line| !line.trim().is_empty() && line.trim() != "…")
        .collect();
    assert!(shown.len() >= 2, "{example}");
    for (index, line) in shown.iter().enumerate() {
        let actual = printed.get(index).copied().unwrap_or_default();
        match line.strip_suffix('…') {
            Some(cut) => assert!(
                actual.starts_with(cut.trim_end()),
                "README line {index}: {line:?}\nthe demo prints: {actual:?}"
            ),
            None => assert_eq!(*line, actual, "README line {index}"),
        }
    }
}
