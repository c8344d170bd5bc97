//! End to end with `--config.file`: the real binary serves two simulated Jamf Pro servers,
//! and a real Prometheus scrapes them as two probe targets through the relabelling users
//! copy (`__param_target` and `instance` from the target name, `__address__` the
//! exporter). The shipped rules then judge each Jamf server on its own: one refuses the
//! exporter's credentials and raises `JamfApiDown`, the other does not.
//!
//! Like the demo scenario, it runs only with `JAMF_E2E=1` (`make e2e`).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::api;
use crate::procs::{Stack, Tools};

/// The whole run normally takes about 15 seconds.
const LIMIT: Duration = Duration::from_secs(80);
const STEP_LIMIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(250);
/// How long the healthy target is watched for an alert it must not get.
const QUIET: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_probe_targets_are_judged_apart_by_real_prometheus() {
    if std::env::var("JAMF_E2E").as_deref() != Ok("1") {
        return;
    }
    let tools = Tools::find().unwrap_or_else(|message| panic!("{message}"));
    let mut stack = Stack::new();
    let outcome = tokio::time::timeout(LIMIT, run(&tools, &mut stack))
        .await
        .unwrap_or_else(|_| Err(format!("the multi-target run took longer than {LIMIT:?}")));
    if let Err(error) = outcome {
        panic!("e2e multi-target: {error}\n\n{}", stack.logs(30));
    }
}

async fn run(tools: &Tools, stack: &mut Stack) -> Result<(), String> {
    let begin = Instant::now();
    let http = crate::procs::http_client()?;
    let (healthy, refusing) = crate::procs::healthy_and_refusing().await?;
    let dir = stack.dir().to_owned();
    let secret = dir.join("secret");
    write(&secret, "demo-secret\n")?;
    let config = dir.join("jamf_exporter.yml");
    write(
        &config,
        &format!(
            r#"defaults:
  refresh_interval: 2s
targets:
  - name: healthy
    url: {}
    client_id: demo-client
    client_secret_file: {}
  - name: refusing
    url: {}
    client_id: demo-client
    client_secret_file: {}
"#,
            healthy.base_url(),
            secret.display(),
            refusing.base_url(),
            secret.display()
        ),
    )?;
    let exporter = stack
        .start_fleet_exporter(&http, &config, STEP_LIMIT)
        .await?;

    let prometheus = stack
        .start_prometheus(
            tools,
            &http,
            &format!(
                r#"global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ['{{rules}}/*.yml']
scrape_configs:
  - job_name: jamf
    metrics_path: /probe
    scrape_timeout: 1s
    static_configs: [{{targets: [healthy, refusing]}}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: '{exporter}'
"#
            ),
            STEP_LIMIT,
        )
        .await?;

    let started = Instant::now();
    loop {
        let down = firing(&prometheus, "JamfApiDown").await?;
        if down.contains("refusing") {
            break;
        }
        if let Some(why) = stack.exited() {
            return Err(why);
        }
        if started.elapsed() > STEP_LIMIT {
            return Err(format!(
                "JamfApiDown did not fire for instance=\"refusing\" within {STEP_LIMIT:?}; \
                 firing for {down:?}"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
    let quiet_from = Instant::now();
    while quiet_from.elapsed() < QUIET {
        let down = firing(&prometheus, "JamfApiDown").await?;
        if down != BTreeSet::from(["refusing".to_owned()]) {
            return Err(format!(
                "JamfApiDown fires for {down:?}; only instance=\"refusing\" refuses the credentials"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
    let up = prometheus
        .label_values("instance", r#"jamf_up{job="jamf"}"#)
        .await?;
    if up != ["healthy", "refusing"] {
        return Err(format!(
            "jamf_up instances are {up:?}, not the two target names"
        ));
    }
    if prometheus
        .query_count(r#"jamf_up{job="jamf",instance="healthy"} == 1"#)
        .await?
        != 1
    {
        return Err("the healthy target does not report jamf_up 1".to_owned());
    }
    println!(
        "e2e multi-target: passed in {:.1}s",
        begin.elapsed().as_secs_f64()
    );
    healthy.shutdown().await;
    refusing.shutdown().await;
    Ok(())
}

/// The `instance` of every firing alert called `name`.
async fn firing(prometheus: &api::Prometheus, name: &str) -> Result<BTreeSet<String>, String> {
    Ok(prometheus
        .alerts()
        .await?
        .iter()
        .filter(|alert| alert["labels"]["alertname"] == name && alert["state"] == "firing")
        .filter_map(|alert| alert["labels"]["instance"].as_str().map(str::to_owned))
        .collect())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
