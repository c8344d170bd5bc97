#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end: the real `jamf_exporter --demo` binary, scraped by a real Prometheus that
//! evaluates the shipped alert rules and sends its alerts to a real Alertmanager, whose
//! notifications a webhook inside this test records. Every dashboard query runs on that
//! Prometheus too.
//!
//! It needs Prometheus and Alertmanager on `PATH` (`make deps`) and runs only with
//! `JAMF_E2E=1`, as `make e2e` does:
//!
//! ```sh
//! JAMF_E2E=1 cargo test --test e2e -- --nocapture
//! ```
//!
//! Without `JAMF_E2E=1` it prints how to run it and passes, so a plain `cargo test` stays fast.
//!
//! The configurations are the examples of the repository with their addresses and timings
//! replaced: `examples/prometheus.yml` (its `jamf` scrape job), `examples/alertmanager.yml`
//! (its routes and inhibitions, every receiver pointed at the webhook) and the rules of
//! `alerts/jamf.rules.yml` with short `for:` durations from `alerts/make-fast-rules.sh`.
//! Everything listens on 127.0.0.1 only.
//!
//! The order matters. Prometheus discovers its scrape target and its Alertmanager a few seconds
//! after it starts, so the test waits for both before it starts the exporter: Prometheus must
//! scrape the demo's first two refreshes, while location 9 still has its licences. The rules
//! are loaded only after the first successful scrape: before it, `absent(up{job="jamf"})` or
//! `up == 0` holds, and `JamfExporterDown` would fire with a `for:` of zero. Loading them
//! reloads the whole configuration, after which Prometheus takes a few seconds to find its
//! Alertmanager again; `--rules.alert.resend-delay=1s` makes it send the alerts that fired in
//! the meantime as soon as it has.

mod api;
mod dashboards;
mod discovery;
mod expected;
mod multi;
mod procs;
mod webhook;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_yaml_ng::Value as Yaml;

use crate::expected::{identity, identity_of_json, Expected, EXPORTER_DOWN};
use crate::procs::{free_port, Stack, Tools};
use crate::webhook::{Notified, Webhook};

/// The `for:` of every alert in the test, so that alerts fire at their first evaluation. The
/// rules are loaded only once Prometheus has scraped the exporter (see `load_rules`), so
/// `JamfExporterDown` does not fire for the time before that.
const FAST_FOR: &str = "0s";
/// The exporter's refresh interval: the demo drops the licences of location 9 at its third
/// refresh, six seconds after it starts.
const REFRESH_INTERVAL: &str = "3s";

/// The whole scenario normally takes about 15 seconds.
const TEST_LIMIT: Duration = Duration::from_secs(150);
const STARTUP_LIMIT: Duration = Duration::from_secs(15);
/// From the exporter's start until every demo alert has reached the webhook.
const ALERTS_LIMIT: Duration = Duration::from_secs(45);
/// Prometheus finds its target and Alertmanager at its discovery managers' first update,
/// about five seconds after it starts.
const DISCOVERY_LIMIT: Duration = Duration::from_secs(15);
const RULES_LIMIT: Duration = Duration::from_secs(10);
const DASHBOARDS_LIMIT: Duration = Duration::from_secs(15);
/// From stopping the exporter until `JamfExporterDown` has reached the webhook.
const EXPORTER_DOWN_LIMIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_alerts_and_dashboards_on_real_prometheus_and_alertmanager() {
    if std::env::var("JAMF_E2E").as_deref() != Ok("1") {
        // Written to stderr directly, not with `eprintln!`, so that the test harness does not
        // capture it and a plain `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "e2e: skipped; run `make e2e` (JAMF_E2E=1 cargo test --test e2e -- --nocapture) \
             to test the exporter, alert rules and dashboards with a real Prometheus and Alertmanager"
        );
        return;
    }
    let tools = Tools::find().unwrap_or_else(|message| panic!("{message}"));
    let mut world = World::new(tools).await;
    let outcome = tokio::time::timeout(TEST_LIMIT, scenario(&mut world))
        .await
        .unwrap_or_else(|_| Err(format!("the test took longer than {TEST_LIMIT:?}")));
    if let Err(error) = outcome {
        let diagnostics = world.diagnostics().await;
        panic!("e2e: {error}\n\n{diagnostics}");
    }
    // Dropping `world` kills every child process and removes the temporary directory, also
    // when a panic unwinds through here.
}

struct World {
    root: PathBuf,
    tools: Tools,
    stack: Stack,
    webhook: Webhook,
    http: reqwest::Client,
    alertmanager_port: u16,
    prometheus_port: u16,
    exporter_port: u16,
    prometheus: api::Prometheus,
    begin: Instant,
    /// When the exporter was stopped; notifications before it belong to the demo phase.
    exporter_stopped: Option<Instant>,
}

impl World {
    async fn new(tools: Tools) -> World {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .expect("HTTP client");
        let prometheus_port = free_port();
        World {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            tools,
            stack: Stack::new(),
            webhook: Webhook::start().await,
            prometheus: api::Prometheus::new(http.clone(), prometheus_port),
            http,
            alertmanager_port: free_port(),
            prometheus_port,
            exporter_port: free_port(),
            begin: Instant::now(),
            exporter_stopped: None,
        }
    }

    /// The exporter's scrape target, which is the `instance` label of its alerts.
    fn exporter(&self) -> String {
        format!("127.0.0.1:{}", self.exporter_port)
    }

    fn at(&self, instant: Instant) -> String {
        format!("+{:.1}s", instant.duration_since(self.begin).as_secs_f64())
    }

    /// Firing notifications that arrived before the exporter was stopped.
    fn demo_notifications(&self) -> Vec<Notified> {
        self.webhook
            .alerts()
            .into_iter()
            .filter(|n| n.status == "firing")
            .filter(|n| {
                self.exporter_stopped
                    .is_none_or(|stopped| n.received < stopped)
            })
            .collect()
    }

    /// What arrived, what Prometheus thinks, and the logs: printed when the test fails.
    async fn diagnostics(&mut self) -> String {
        let mut out = String::new();
        let notified = self.webhook.alerts();
        let _ = writeln!(out, "{} alerts reached the webhook:", notified.len());
        for n in &notified {
            let _ = writeln!(
                out,
                "  {} {} {} via {} {:?}",
                self.at(n.received),
                n.status,
                identity(&n.labels),
                n.receiver,
                n.labels
            );
        }
        for error in self.webhook.errors() {
            let _ = writeln!(out, "  webhook error: {error}");
        }
        match self.prometheus.alerts().await {
            Ok(alerts) => {
                let _ = writeln!(out, "Prometheus alerts ({}):", alerts.len());
                for alert in alerts {
                    let _ = writeln!(
                        out,
                        "  {} {}",
                        alert["state"].as_str().unwrap_or("?"),
                        api::series(&alert["labels"])
                    );
                }
            }
            Err(error) => {
                let _ = writeln!(out, "Prometheus alerts unavailable: {error}");
            }
        }
        match self.prometheus.rules().await {
            Ok(rules) => {
                let unhealthy: Vec<_> = rules.iter().filter(|r| r["health"] != "ok").collect();
                let _ = writeln!(
                    out,
                    "Prometheus rules: {} in all, {} not ok",
                    rules.len(),
                    unhealthy.len()
                );
                for rule in unhealthy {
                    let _ = writeln!(
                        out,
                        "  {} health={} lastError={}",
                        rule["name"].as_str().unwrap_or("?"),
                        rule["health"],
                        rule["lastError"]
                    );
                }
            }
            Err(error) => {
                let _ = writeln!(out, "Prometheus rules unavailable: {error}");
            }
        }
        if let Some(why) = self.stack.exited() {
            let _ = writeln!(out, "{why}");
        }
        let _ = writeln!(out, "{}", self.stack.logs(20));
        out
    }
}

async fn scenario(w: &mut World) -> Result<(), String> {
    start_alertmanager(w).await?;
    start_prometheus(w).await?;
    let exporter_started = start_exporter(w).await?;
    load_rules(w).await?;

    let arrived = wait_for_demo_alerts(w, exporter_started).await?;
    println!(
        "e2e: {} demo alerts reached the webhook {:.1}s after the exporter started",
        expected::demo_alerts().len(),
        arrived.as_secs_f64()
    );
    check_demo_notifications(w)?;
    check_prometheus_alerts(w).await?;
    check_rules_health(w).await?;
    let n_queries = check_dashboards(w).await?;
    println!("e2e: {n_queries} dashboard queries returned data");

    let down_after = check_exporter_down(w).await?;
    println!(
        "e2e: {EXPORTER_DOWN} reached the webhook {:.1}s after the exporter stopped",
        down_after.as_secs_f64()
    );
    check_held_alerts(w).await?;
    check_inhibition(w).await?;
    println!("e2e: passed in {:.1}s", w.begin.elapsed().as_secs_f64());
    Ok(())
}

fn read_yaml(path: &Path) -> Result<Yaml, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
}

fn yaml(text: &str) -> Yaml {
    serde_yaml_ng::from_str(text).expect("YAML literal")
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// `examples/alertmanager.yml` with short timings and every receiver that sends anything
/// replaced by the webhook at `/<receiver name>`. Routes and inhibitions stay as they are.
fn alertmanager_config(root: &Path, webhook: &Webhook) -> Result<String, String> {
    fn speed_up(route: &mut Yaml) {
        for (key, value) in [
            ("group_wait", "1s"),
            ("group_interval", "1s"),
            ("repeat_interval", "1h"),
        ] {
            if route.get(key).is_some() {
                route[key] = value.into();
            }
        }
        if let Some(routes) = route.get_mut("routes").and_then(Yaml::as_sequence_mut) {
            routes.iter_mut().for_each(speed_up);
        }
    }
    let mut config = read_yaml(&root.join("examples/alertmanager.yml"))?;
    speed_up(&mut config["route"]);
    let receivers = config
        .get_mut("receivers")
        .and_then(Yaml::as_sequence_mut)
        .ok_or("examples/alertmanager.yml has no receivers")?;
    for receiver in receivers {
        let name = receiver["name"].as_str().unwrap_or_default().to_owned();
        let mapping = receiver
            .as_mapping_mut()
            .ok_or("a receiver of examples/alertmanager.yml is not a mapping")?;
        let senders: Vec<Yaml> = mapping
            .keys()
            .filter(|key| key.as_str().is_some_and(|k| k.ends_with("_configs")))
            .cloned()
            .collect();
        if senders.is_empty() {
            continue;
        }
        for key in &senders {
            mapping.remove(key);
        }
        mapping.insert(
            "webhook_configs".into(),
            yaml(&format!(
                "[{{url: '{}', send_resolved: true}}]",
                webhook.url(&name)
            )),
        );
    }
    serde_yaml_ng::to_string(&config).map_err(|error| error.to_string())
}

/// `examples/prometheus.yml` with its `jamf` job pointed at the exporter, one-second scrape
/// and evaluation intervals, the rule files in `rules`, and the test's Alertmanager.
fn prometheus_config(w: &World, rules: &Path) -> Result<String, String> {
    let mut config = read_yaml(&w.root.join("examples/prometheus.yml"))?;
    config["global"]["scrape_interval"] = "1s".into();
    config["global"]["evaluation_interval"] = "1s".into();
    config["rule_files"] = yaml(&format!("['{}']", rules.join("*.yml").display()));
    config["alerting"] = yaml(&format!(
        "{{alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{}']}}]}}]}}",
        w.alertmanager_port
    ));
    let mut job = config["scrape_configs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|job| job["job_name"].as_str() == Some("jamf"))
        .cloned()
        .ok_or("examples/prometheus.yml has no scrape job named jamf, the job the rules select")?;
    job["scrape_interval"] = "1s".into();
    job["scrape_timeout"] = "1s".into();
    job["static_configs"] = yaml(&format!("[{{targets: ['{}']}}]", w.exporter()));
    config["scrape_configs"] = Yaml::Sequence(vec![job]);
    serde_yaml_ng::to_string(&config).map_err(|error| error.to_string())
}

async fn start_alertmanager(w: &mut World) -> Result<(), String> {
    let dir = w.stack.dir().to_owned();
    let config = dir.join("alertmanager.yml");
    write(&config, &alertmanager_config(&w.root, &w.webhook)?)?;
    let args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.join("alertmanager-data").display()),
        format!("--web.listen-address=127.0.0.1:{}", w.alertmanager_port),
        "--cluster.listen-address=".to_owned(),
    ];
    let program = w.tools.alertmanager.clone();
    w.stack.spawn("alertmanager", &program, &args);
    let url = format!("http://127.0.0.1:{}/-/ready", w.alertmanager_port);
    let took = w
        .stack
        .wait_ready(&w.http, "Alertmanager", &url, STARTUP_LIMIT)
        .await?;
    println!("e2e: Alertmanager ready after {:.1}s", took.as_secs_f64());
    Ok(())
}

async fn start_prometheus(w: &mut World) -> Result<(), String> {
    let dir = w.stack.dir().to_owned();
    // Empty until `load_rules` puts the fast rules there.
    let rules = dir.join("rules");
    std::fs::create_dir(&rules)
        .map_err(|error| format!("cannot create {}: {error}", rules.display()))?;
    let config = dir.join("prometheus.yml");
    write(&config, &prometheus_config(w, &rules)?)?;
    let args = vec![
        format!("--config.file={}", config.display()),
        format!(
            "--storage.tsdb.path={}",
            dir.join("prometheus-data").display()
        ),
        format!("--web.listen-address=127.0.0.1:{}", w.prometheus_port),
        "--web.enable-lifecycle".to_owned(),
        "--rules.alert.resend-delay=1s".to_owned(),
    ];
    let program = w.tools.prometheus.clone();
    w.stack.spawn("prometheus", &program, &args);
    let url = format!("http://127.0.0.1:{}/-/ready", w.prometheus_port);
    let took = w
        .stack
        .wait_ready(&w.http, "Prometheus", &url, STARTUP_LIMIT)
        .await?;
    println!("e2e: Prometheus ready after {:.1}s", took.as_secs_f64());

    let start = Instant::now();
    loop {
        let targets = w.prometheus.active_targets("jamf").await?;
        let alertmanagers = w.prometheus.alertmanagers().await?;
        if !targets.is_empty() && !alertmanagers.is_empty() {
            println!(
                "e2e: Prometheus found its target {targets:?} and Alertmanager {alertmanagers:?} \
                 after {:.1}s",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if let Some(why) = w.stack.exited() {
            return Err(why);
        }
        if start.elapsed() > DISCOVERY_LIMIT {
            return Err(format!(
                "Prometheus did not find its scrape target ({targets:?}) and Alertmanager \
                 ({alertmanagers:?}) within {DISCOVERY_LIMIT:?}"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn start_exporter(w: &mut World) -> Result<Instant, String> {
    let args: Vec<String> = [
        "--demo",
        "--collector.vpp_content",
        "--web.listen-address",
        &w.exporter(),
        "--refresh.interval",
        REFRESH_INTERVAL,
    ]
    .map(str::to_owned)
    .into();
    let started = Instant::now();
    w.stack.spawn(
        "exporter",
        Path::new(env!("CARGO_BIN_EXE_jamf_exporter")),
        &args,
    );
    let url = format!("http://{}/-/ready", w.exporter());
    let took = w
        .stack
        .wait_ready(&w.http, "the exporter", &url, STARTUP_LIMIT)
        .await?;
    println!("e2e: exporter ready after {:.1}s", took.as_secs_f64());

    // The licence drop of location 9 is an alert only if Prometheus stored a count above 0
    // before it.
    let before_drop = r#"jamf_vpp_licenses_purchased{job="jamf",location_id="9"} > 0"#;
    loop {
        if w.prometheus.query_count(before_drop).await? > 0 {
            println!(
                "e2e: Prometheus scraped the exporter {:.1}s after its start",
                started.elapsed().as_secs_f64()
            );
            return Ok(started);
        }
        if let Some(why) = w.stack.exited() {
            return Err(why);
        }
        if started.elapsed() > Duration::from_secs(5) {
            return Err(format!(
                "Prometheus did not scrape location 9 with its licences ({before_drop}) within \
                 5s of the exporter's start, before the demo drops them"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes the rules with every `for:` set to `FAST_FOR` where Prometheus reads them, and makes
/// it load them.
async fn load_rules(w: &mut World) -> Result<(), String> {
    let rules = w.stack.dir().join("rules").join("jamf.fast.rules.yml");
    let script = w.root.join("alerts/make-fast-rules.sh");
    let output = Command::new("sh")
        .arg(&script)
        .arg(w.root.join("alerts/jamf.rules.yml"))
        .arg(&rules)
        .arg(FAST_FOR)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    w.prometheus.reload().await?;
    let n_rules = w.prometheus.rules().await?.len();
    if n_rules == 0 {
        return Err(format!(
            "Prometheus loaded no rules from {}",
            rules.display()
        ));
    }
    println!("e2e: Prometheus loaded {n_rules} rules");
    Ok(())
}

/// a. Waits until every alert the demo implies has reached the webhook, firing.
async fn wait_for_demo_alerts(w: &mut World, since: Instant) -> Result<Duration, String> {
    let wanted: BTreeSet<String> = expected::demo_alerts()
        .iter()
        .map(Expected::identity)
        .collect();
    loop {
        let arrived: BTreeSet<String> = w
            .demo_notifications()
            .iter()
            .map(|n| identity(&n.labels))
            .collect();
        let missing: Vec<_> = wanted.difference(&arrived).collect();
        if missing.is_empty() {
            return Ok(since.elapsed());
        }
        if let Some(why) = w.stack.exited() {
            return Err(why);
        }
        if since.elapsed() > ALERTS_LIMIT {
            return Err(format!(
                "{} expected alerts did not reach the webhook within {ALERTS_LIMIT:?} of the \
                 exporter's start: {missing:?}",
                missing.len()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// a. and b. Every demo alert arrived with the right labels, route and annotations, and
/// nothing else arrived: nothing for the healthy locations 1 and 6 or ADE instance 1, no
/// licence drop for location 6, which never had licences, and no exporter or API alert.
fn check_demo_notifications(w: &World) -> Result<(), String> {
    let notified = w.demo_notifications();
    let expected = expected::demo_alerts();
    let mut problems = Vec::new();
    for alert in &expected {
        let id = alert.identity();
        for n in notified.iter().filter(|n| identity(&n.labels) == id) {
            for problem in alert.problems(n, &w.exporter(), &w.root) {
                problems.push(format!("{id}: {problem}"));
            }
        }
    }
    let wanted: BTreeSet<String> = expected.iter().map(Expected::identity).collect();
    for n in &notified {
        let id = identity(&n.labels);
        if !wanted.contains(&id) {
            problems.push(format!(
                "unexpected alert {id} at {}: {:?} {:?}",
                w.at(n.received),
                n.labels,
                n.annotations
            ));
        }
    }
    problems.extend(w.webhook.errors());
    if problems.is_empty() {
        Ok(())
    } else {
        problems.dedup();
        Err(format!(
            "the demo's notifications are not as expected:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// b. Prometheus has exactly the demo alerts, all firing: none pending that a longer `for:`
/// would still let fire.
async fn check_prometheus_alerts(w: &World) -> Result<(), String> {
    let alerts = w.prometheus.alerts().await?;
    let wanted: BTreeMap<String, &str> = expected::demo_alerts()
        .iter()
        .map(|alert| (alert.identity(), "firing"))
        .collect();
    let got: BTreeMap<String, &str> = alerts
        .iter()
        .map(|alert| {
            (
                identity_of_json(&alert["labels"]),
                alert["state"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    if got == wanted {
        return Ok(());
    }
    let mut differences = Vec::new();
    for (id, state) in &got {
        match wanted.get(id) {
            None => differences.push(format!("unexpected {state} alert {id}")),
            Some(want) if want != state => differences.push(format!("{id} is {state}")),
            Some(_) => {}
        }
    }
    for id in wanted.keys().filter(|id| !got.contains_key(*id)) {
        differences.push(format!("{id} is not active in Prometheus"));
    }
    Err(format!(
        "Prometheus's alerts differ from the demo's:\n  {}",
        differences.join("\n  ")
    ))
}

/// c. Every rule evaluates without error.
async fn check_rules_health(w: &World) -> Result<(), String> {
    let start = Instant::now();
    loop {
        let rules = w.prometheus.rules().await?;
        let unhealthy: Vec<String> = rules
            .iter()
            .filter(|rule| rule["health"] != "ok")
            .map(|rule| {
                format!(
                    "{} health={} lastError={}",
                    rule["name"].as_str().unwrap_or("?"),
                    rule["health"],
                    rule["lastError"]
                )
            })
            .collect();
        if rules.is_empty() {
            return Err("Prometheus loaded no rules".to_owned());
        }
        if unhealthy.is_empty() {
            println!("e2e: all {} rules evaluate without error", rules.len());
            return Ok(());
        }
        if start.elapsed() > RULES_LIMIT {
            return Err(format!(
                "rules not healthy after {RULES_LIMIT:?}:\n  {}",
                unhealthy.join("\n  ")
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// d. Every panel query and every `label_values` variable of every dashboard returns data.
async fn check_dashboards(w: &World) -> Result<usize, String> {
    enum Query {
        Panel(dashboards::PanelQuery),
        Variable(dashboards::VariableQuery),
    }
    let mut remaining: Vec<Query> = dashboards::panel_queries(&w.root)
        .into_iter()
        .map(Query::Panel)
        .chain(
            dashboards::variable_queries(&w.root)
                .into_iter()
                .map(Query::Variable),
        )
        .collect();
    if !remaining
        .iter()
        .any(|query| matches!(query, Query::Panel(_)))
    {
        return Err("no panel queries found in dashboards/".to_owned());
    }
    let total = remaining.len();
    let start = Instant::now();
    loop {
        let mut failures = Vec::new();
        for query in remaining {
            let failure = match &query {
                Query::Panel(panel) => {
                    let expr = dashboards::substitute(&panel.expr);
                    let what = format!(
                        "{} / panel {:?} / {}",
                        panel.dashboard, panel.panel, panel.ref_id
                    );
                    match w.prometheus.query_count(&expr).await {
                        Ok(0) => Some(format!("{what}: empty result: {expr}")),
                        Ok(_) => None,
                        Err(error) => Some(format!("{what}: {error}: {expr}")),
                    }
                }
                Query::Variable(variable) => {
                    let selector = dashboards::substitute(&variable.selector);
                    let what = format!("{} / variable {}", variable.dashboard, variable.variable);
                    match w.prometheus.label_values(&variable.label, &selector).await {
                        Ok(values) if values.is_empty() => Some(format!(
                            "{what}: no values of {} for {selector}",
                            variable.label
                        )),
                        Ok(values)
                            if variable.variable == "job"
                                && !values.contains(&"jamf".to_owned()) =>
                        {
                            Some(format!("{what}: no value jamf in {values:?}"))
                        }
                        Ok(_) => None,
                        Err(error) => Some(format!("{what}: {error}: {selector}")),
                    }
                }
            };
            if let Some(why) = failure {
                failures.push((query, why));
            }
        }
        if failures.is_empty() {
            return Ok(total);
        }
        if start.elapsed() > DASHBOARDS_LIMIT {
            let list: Vec<String> = failures.into_iter().map(|(_, why)| why).collect();
            return Err(format!(
                "{} dashboard queries return no data against the demo (a panel that can be \
                 legitimately empty should return 0 instead):\n  {}",
                list.len(),
                list.join("\n  ")
            ));
        }
        remaining = failures.into_iter().map(|(query, _)| query).collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// e. Stops the exporter and waits for `JamfExporterDown` at the webhook.
async fn check_exporter_down(w: &mut World) -> Result<Duration, String> {
    let stopped = Instant::now();
    w.exporter_stopped = Some(stopped);
    w.stack.kill("exporter");
    println!("e2e: exporter stopped");
    let alert = expected::exporter_down();
    loop {
        let down = w.webhook.alerts().into_iter().find(|n| {
            n.status == "firing"
                && n.received >= stopped
                && n.labels.get("alertname").map(String::as_str) == Some(EXPORTER_DOWN)
        });
        if let Some(n) = down {
            let problems = alert.problems(&n, &w.exporter(), &w.root);
            if !problems.is_empty() {
                return Err(format!("{EXPORTER_DOWN}: {}", problems.join("; ")));
            }
            return Ok(stopped.elapsed());
        }
        if stopped.elapsed() > EXPORTER_DOWN_LIMIT {
            return Err(format!(
                "{EXPORTER_DOWN} did not reach the webhook within {EXPORTER_DOWN_LIMIT:?} of \
                 stopping the exporter"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The alerts that read a held value (docs/alerts.md) keep firing while the exporter is down;
/// those on raw series resolve at the first evaluation after the failed scrape.
async fn check_held_alerts(w: &World) -> Result<(), String> {
    const HELD: [&str; 11] = [
        "JamfVppTokenExpiringSoon",
        "JamfVppTokenExpiryImminent",
        "JamfVppTokenExpired",
        "JamfVppLicensesDroppedToZero",
        "JamfVppClientContextMismatch",
        "JamfVppTokenLocationChanged",
        "JamfAdeTokenExpiringSoon",
        "JamfApnsCertificateExpiring",
        "JamfAppleTermsNotAccepted",
        "JamfSupervisionIdentityExpiringSoon",
        "JamfSsoCertificateExpiringSoon",
    ];
    let start = Instant::now();
    loop {
        let alerts = w.prometheus.alerts().await?;
        let firing: BTreeSet<String> = alerts
            .iter()
            .filter(|alert| alert["state"] == "firing")
            .map(|alert| identity_of_json(&alert["labels"]))
            .collect();
        let mut problems = Vec::new();
        for alert in expected::demo_alerts() {
            let id = alert.identity();
            let held = HELD.contains(&alert.alertname);
            if held && !firing.contains(&id) {
                problems.push(format!("{id} stopped firing while the exporter is down"));
            }
            if !held && firing.contains(&id) {
                problems.push(format!(
                    "{id} still fires while the exporter is down, from a series that is gone"
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!(
                "with the exporter down:\n  {}",
                problems.join("\n  ")
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The example Alertmanager configuration inhibits the other alerts of an exporter while
/// `JamfExporterDown` fires for it.
async fn check_inhibition(w: &World) -> Result<(), String> {
    let target = "JamfVppTokenExpired{location_id=\"4\"}";
    let start = Instant::now();
    loop {
        let alerts = api::alertmanager_alerts(&w.http, w.alertmanager_port).await?;
        let state = alerts
            .iter()
            .find(|alert| identity_of_json(&alert["labels"]) == target)
            .map(|alert| {
                (
                    alert["status"]["state"].as_str().unwrap_or("?").to_owned(),
                    alert["status"]["inhibitedBy"]
                        .as_array()
                        .is_some_and(|by| !by.is_empty()),
                )
            });
        if let Some((state, true)) = &state {
            if state == "suppressed" {
                return Ok(());
            }
        }
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!(
                "Alertmanager does not inhibit {target} while {EXPORTER_DOWN} fires: {state:?}"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}
