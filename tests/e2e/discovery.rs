//! End to end through `/sd`: a real Prometheus finds two Jamf servers of one exporter with
//! `http_sd_configs` alone (no static list, no relabelling). Each target's `customer` label
//! from the exporter's file reaches its series and, through the shipped rules, its alerts in a
//! real Alertmanager; a reload that removes a target removes it from discovery.
//!
//! Like the demo scenario, it runs only with `JAMF_E2E=1` (`make e2e`).

use std::path::Path;
use std::time::{Duration, Instant};

use jamf_exporter::demo::Simulator;
use serde_json::Value;

use crate::api;
use crate::procs::{free_port, Stack, Tools};

const LIMIT: Duration = Duration::from_secs(90);
const STEP_LIMIT: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_discovers_targets_through_sd_and_labels_reach_alertmanager() {
    if std::env::var("JAMF_E2E").as_deref() != Ok("1") {
        return;
    }
    let tools = Tools::find().unwrap_or_else(|message| panic!("{message}"));
    let mut stack = Stack::new();
    let outcome = tokio::time::timeout(LIMIT, run(&tools, &mut stack))
        .await
        .unwrap_or_else(|_| Err(format!("the discovery run took longer than {LIMIT:?}")));
    if let Err(error) = outcome {
        panic!("e2e discovery: {error}\n\n{}", stack.logs(30));
    }
}

/// The exporter's file: `healthy` (customer lakeview) and, unless `only_healthy`, `refusing`
/// (customer acme), whose server wants another secret.
fn exporter_file(
    healthy: &Simulator,
    refusing: &Simulator,
    secret: &Path,
    only_healthy: bool,
) -> String {
    let mut text = format!(
        "defaults:\n  refresh_interval: 2s\ntargets:\n  - name: healthy\n    url: {}\n    client_id: demo-client\n    client_secret_file: {}\n    labels: {{customer: lakeview}}\n",
        healthy.base_url(),
        secret.display()
    );
    if !only_healthy {
        text.push_str(&format!(
            "  - name: refusing\n    url: {}\n    client_id: demo-client\n    client_secret_file: {}\n    labels: {{customer: acme}}\n",
            refusing.base_url(),
            secret.display()
        ));
    }
    text
}

async fn run(tools: &Tools, stack: &mut Stack) -> Result<(), String> {
    let begin = Instant::now();
    let http = crate::procs::http_client()?;
    let (healthy, refusing) = crate::procs::healthy_and_refusing().await?;
    let dir = stack.dir().to_owned();
    let secret = dir.join("secret");
    write(&secret, "demo-secret\n")?;
    let config = dir.join("jamf_exporter.yml");
    write(&config, &exporter_file(&healthy, &refusing, &secret, false))?;
    let exporter = stack
        .start_fleet_exporter(&http, &config, STEP_LIMIT)
        .await?;

    let alertmanager_port = free_port();
    let alertmanager_config = dir.join("alertmanager.yml");
    write(
        &alertmanager_config,
        "route: {receiver: discard, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}\nreceivers: [{name: discard}]\n",
    )?;
    stack.spawn(
        "alertmanager",
        &tools.alertmanager,
        &[
            format!("--config.file={}", alertmanager_config.display()),
            format!("--storage.path={}", dir.join("alertmanager-data").display()),
            format!("--web.listen-address=127.0.0.1:{alertmanager_port}"),
            "--cluster.listen-address=".to_owned(),
        ],
    );
    stack
        .wait_ready(
            &http,
            "Alertmanager",
            &format!("http://127.0.0.1:{alertmanager_port}/-/ready"),
            STEP_LIMIT,
        )
        .await?;

    let prometheus = stack
        .start_prometheus(
            tools,
            &http,
            &format!(
                r#"global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ['{{rules}}/*.yml']
alerting: {{alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]}}]}}
scrape_configs:
  - job_name: jamf
    scrape_timeout: 1s
    http_sd_configs:
      - url: http://{exporter}/sd
        refresh_interval: 1s
"#
            ),
            STEP_LIMIT,
        )
        .await?;

    // Each target's label is on its series...
    wait(
        stack,
        "the customer label on each target's jamf_up",
        || async {
            let lakeview = prometheus
                .query_count(r#"jamf_up{job="jamf",instance="healthy",customer="lakeview"} == 1"#)
                .await?;
            let acme = prometheus
                .query_count(r#"jamf_up{job="jamf",instance="refusing",customer="acme"} == 0"#)
                .await?;
            Ok((lakeview == 1 && acme == 1).then_some(()))
        },
    )
    .await?;
    // ... and on its alerts, as Alertmanager receives them.
    wait(
        stack,
        "each target's alert in Alertmanager with its customer",
        || async {
            let alerts = api::alertmanager_alerts(&http, alertmanager_port).await?;
            let has = |name: &str, instance: &str, customer: &str| {
                alerts.iter().any(|alert: &Value| {
                    let labels = &alert["labels"];
                    labels["alertname"] == name
                        && labels["instance"] == instance
                        && labels["customer"] == customer
                })
            };
            let stray = alerts
                .iter()
                .filter(|alert| alert["labels"]["alertname"] != "JamfExporterDown")
                .find(|alert| alert["labels"]["customer"].as_str().is_none());
            if let Some(alert) = stray {
                return Err(format!(
                    "an alert without its customer: {}",
                    api::series(&alert["labels"])
                ));
            }
            Ok((has("JamfApiDown", "refusing", "acme")
                && has("JamfVppTokenExpired", "healthy", "lakeview"))
            .then_some(()))
        },
    )
    .await?;

    // A reload that removes a target removes it from discovery.
    write(&config, &exporter_file(&healthy, &refusing, &secret, true))?;
    let reload = http
        .post(format!("http://{exporter}/-/reload"))
        .send()
        .await
        .map_err(|error| format!("POST /-/reload: {error}"))?;
    if !reload.status().is_success() {
        return Err(format!("POST /-/reload answered {}", reload.status()));
    }
    wait(
        stack,
        "only the remaining target among Prometheus' targets",
        || async {
            let targets = prometheus.active_targets("jamf").await?;
            Ok((targets.len() == 1 && targets[0].ends_with("target=healthy")).then_some(()))
        },
    )
    .await?;
    println!(
        "e2e discovery: passed in {:.1}s",
        begin.elapsed().as_secs_f64()
    );
    healthy.shutdown().await;
    refusing.shutdown().await;
    Ok(())
}

/// Polls `check` until it gives `Some`, a process exits, or `STEP_LIMIT` passes.
async fn wait<F, Fut>(stack: &mut Stack, what: &str, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<()>, String>>,
{
    let started = Instant::now();
    loop {
        if check().await?.is_some() {
            return Ok(());
        }
        if let Some(why) = stack.exited() {
            return Err(why);
        }
        if started.elapsed() > STEP_LIMIT {
            return Err(format!("no {what} within {STEP_LIMIT:?}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
