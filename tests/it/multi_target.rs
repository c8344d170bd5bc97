//! Many Jamf servers from one exporter (`--config.file`): several simulators over real
//! HTTP, each a target probed on `/probe?target=NAME`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jamf_exporter::config::{self, Config, Source};
use jamf_exporter::demo::{Fault, FaultRule, Simulator, SimulatorConfig};
use jamf_exporter::targets::Target;
use jamf_exporter::Exporter;

use crate::harness::{Metrics, LIMIT};

/// Simulators, one per target name, and the files that describe them.
struct Servers {
    sims: Vec<(String, Simulator)>,
    dir: tempfile::TempDir,
}

impl Servers {
    /// One simulator per name; each reports its own Jamf Pro version, `11.<i>.0`.
    async fn start(names: &[&str]) -> Servers {
        let mut sims = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut sim = SimulatorConfig::demo();
            sim.dataset.version = format!("11.{}.0", i + 1);
            let simulator = Simulator::start(sim).await.expect("simulator starts");
            sims.push(((*name).to_owned(), simulator));
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("secret"), "demo-secret\n").expect("secret written");
        Servers { sims, dir }
    }

    fn sim(&self, name: &str) -> &Simulator {
        &self
            .sims
            .iter()
            .find(|(n, _)| n == name)
            .expect("a simulator of that name")
            .1
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("jamf_exporter.yml")
    }

    /// Writes the config file with these targets (each must have a simulator).
    fn write(&self, names: &[&str]) {
        self.write_every(names, "1h");
    }

    /// Likewise, refreshing every `interval`.
    fn write_every(&self, names: &[&str], interval: &str) {
        let mut text = format!("defaults:\n  refresh_interval: {interval}\ntargets:\n");
        for name in names {
            text.push_str(&format!(
                "  - name: {name}\n    url: {}\n    client_id: demo-client\n    client_secret_file: {}\n",
                self.sim(name).base_url(),
                self.dir.path().join("secret").display()
            ));
        }
        std::fs::write(self.path(), text).expect("config written");
    }

    async fn stop(self) {
        for (_, sim) in self.sims {
            sim.shutdown().await;
        }
    }
}

/// An exporter over a config file, with the first refreshes at once.
async fn exporter(path: &std::path::Path, flags: &[&str]) -> Exporter {
    let mut args = vec![
        "jamf_exporter".to_owned(),
        "--config.file".to_owned(),
        path.display().to_string(),
        "--web.listen-address".to_owned(),
        "127.0.0.1:0".to_owned(),
    ];
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    let parsed = config::try_parse_from(&args).expect("flags parse");
    let mut config = Config::from_raw(parsed, &HashMap::<String, String>::new()).expect("valid");
    if let Source::Targets(source) = &mut config.source {
        source.spread = Duration::ZERO;
    }
    jamf_exporter::start(config).await.expect("exporter starts")
}

fn target(exporter: &Exporter, name: &str) -> Option<std::sync::Arc<Target>> {
    exporter.fleet.view().targets.get(name).cloned()
}

/// Waits until `name` has published at least `count` refreshes.
async fn refreshed(exporter: &Exporter, name: &str, count: u64) {
    let target = target(exporter, name).expect("a running target");
    let mut published = target.store.subscribe();
    let reached = tokio::time::timeout(LIMIT, published.wait_for(|s| s.refreshes >= count)).await;
    assert!(
        matches!(reached, Ok(Ok(_))),
        "{name} refreshed {count} times"
    );
}

async fn get(exporter: &Exporter, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{}{path}", exporter.addresses[0]))
        .await
        .expect("exporter answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn post(exporter: &Exporter, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{}{path}", exporter.addresses[0]))
        .send()
        .await
        .expect("exporter answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn probe(exporter: &Exporter, name: &str) -> Metrics {
    let (status, body) = get(exporter, &format!("/probe?target={name}")).await;
    assert_eq!(status, 200, "probe of {name}: {body}");
    Metrics(body)
}

fn requests(servers: &Servers) -> usize {
    servers
        .sims
        .iter()
        .map(|(_, sim)| sim.requests().len())
        .sum()
}

#[tokio::test]
async fn each_target_is_served_on_its_own_probe_only() {
    let servers = Servers::start(&["lakeview", "hillside", "harbor"]).await;
    servers.write(&["lakeview", "hillside", "harbor"]);
    let exporter = exporter(&servers.path(), &[]).await;
    for name in ["lakeview", "hillside", "harbor"] {
        refreshed(&exporter, name, 1).await;
    }
    for (name, version) in [
        ("lakeview", "11.1.0"),
        ("hillside", "11.2.0"),
        ("harbor", "11.3.0"),
    ] {
        let metrics = probe(&exporter, name).await;
        assert_eq!(metrics.count("jamf_version_info"), 1, "{name}");
        assert_eq!(
            metrics.value("jamf_version_info", &[("version", version)]),
            Some(1.0)
        );
        assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
        assert!(metrics.count("jamf_vpp_licenses_purchased") > 0);
        assert!(metrics.count("jamf_exporter_api_requests_total") > 0);
        assert!(metrics.has("jamf_exporter_last_refresh_timestamp_seconds", &[]));
        assert_eq!(metrics.count("process_cpu_seconds_total"), 0);
        assert_eq!(metrics.count("jamf_exporter_build_info"), 0);
    }

    let (status, body) = get(&exporter, "/metrics").await;
    assert_eq!(status, 200);
    let process = Metrics(body);
    assert_eq!(process.value("jamf_exporter_targets", &[]), Some(3.0));
    assert_eq!(
        process.value("jamf_exporter_config_last_reload_successful", &[]),
        Some(1.0)
    );
    assert!(process.has(
        "jamf_exporter_config_last_reload_success_timestamp_seconds",
        &[]
    ));
    assert_eq!(process.count("jamf_exporter_build_info"), 1);
    assert_eq!(process.count("jamf_up"), 0, "no Jamf data on /metrics");
    assert_eq!(process.count("jamf_version_info"), 0);

    let gzip = reqwest::Client::new()
        .get(format!(
            "http://{}/probe?target=hillside",
            exporter.addresses[0]
        ))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answer");
    assert_eq!(gzip.status(), 200);
    assert_eq!(
        gzip.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    assert_eq!(
        gzip.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );

    assert_eq!(get(&exporter, "/probe").await.0, 400);
    assert_eq!(
        get(&exporter, "/probe?target=lakeview&target=harbor")
            .await
            .0,
        400
    );
    let (status, body) = get(&exporter, "/probe?target=nowhere").await;
    assert_eq!(
        (status, body.as_str()),
        (404, "unknown target \"nowhere\"\n")
    );
    assert_eq!(get(&exporter, "/-/ready").await.0, 200);

    let (status, page) = get(&exporter, "/").await;
    assert_eq!(status, 200);
    for name in ["lakeview", "hillside", "harbor"] {
        assert!(
            page.contains(&format!("href=\"/probe?target={name}\"")),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/?target={name}\"")));
    }
    let (status, own) = get(&exporter, "/?target=hillside").await;
    assert_eq!(status, 200);
    assert!(own.contains(&servers.sim("hillside").base_url()));
    assert!(own.contains("/calendar.ics?target=hillside"));
    assert_eq!(get(&exporter, "/?target=nowhere").await.0, 404);

    let (status, one) = get(&exporter, "/calendar.ics?target=hillside").await;
    assert_eq!(status, 200);
    let (_, all) = get(&exporter, "/calendar.ics").await;
    let events = |feed: &str| feed.matches("BEGIN:VEVENT").count();
    assert!(events(&one) > 0);
    assert_eq!(events(&all), 3 * events(&one), "every target's renewals");

    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn probes_cause_no_jamf_request() {
    let servers = Servers::start(&["a", "b"]).await;
    servers.write(&["a", "b"]);
    let exporter = exporter(&servers.path(), &[]).await;
    refreshed(&exporter, "a", 1).await;
    refreshed(&exporter, "b", 1).await;
    let before = requests(&servers);
    for _ in 0..20 {
        probe(&exporter, "a").await;
        probe(&exporter, "b").await;
        get(&exporter, "/").await;
        get(&exporter, "/?target=a").await;
        get(&exporter, "/calendar.ics").await;
        get(&exporter, "/metrics").await;
    }
    assert_eq!(requests(&servers), before);
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn a_hanging_target_delays_no_other() {
    let servers = Servers::start(&["slow", "quick"]).await;
    servers.write(&["slow", "quick"]);
    let exporter = exporter(&servers.path(), &[]).await;
    refreshed(&exporter, "slow", 1).await;
    refreshed(&exporter, "quick", 1).await;

    // `slow` holds every answer for longer than the rest of the test takes.
    servers.sim("slow").inject(FaultRule::always(
        "*",
        Fault::Delay(Duration::from_secs(20)),
    ));
    servers
        .sim("quick")
        .update_dataset(|data| data.version = "12.0.0".to_owned());
    let slow = target(&exporter, "slow").expect("slow runs");
    let quick = target(&exporter, "quick").expect("quick runs");
    slow.wake.notify_one();
    // Let the slow refresh start and block first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    quick.wake.notify_one();
    refreshed(&exporter, "quick", 2).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let metrics = probe(&exporter, "quick").await;
    assert_eq!(
        metrics.value("jamf_version_info", &[("version", "12.0.0")]),
        Some(1.0)
    );
    assert_eq!(slow.store.load().refreshes, 1, "slow is still refreshing");
    let old = probe(&exporter, "slow").await;
    assert_eq!(
        old.value("jamf_version_info", &[("version", "11.1.0")]),
        Some(1.0),
        "slow serves its last snapshot meanwhile"
    );
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn reload_adds_and_drops_targets() {
    let servers = Servers::start(&["a", "b", "c"]).await;
    servers.write(&["a", "b"]);
    let exporter = exporter(&servers.path(), &[]).await;
    refreshed(&exporter, "a", 1).await;
    refreshed(&exporter, "b", 1).await;
    let b_before = target(&exporter, "b").expect("b runs");

    assert_eq!(get(&exporter, "/-/reload").await.0, 405);
    servers.write(&["b", "c"]);
    assert_eq!(post(&exporter, "/-/reload").await, (200, "OK\n".to_owned()));
    refreshed(&exporter, "c", 1).await;

    let (status, _) = get(&exporter, "/probe?target=a").await;
    assert_eq!(status, 404, "a removed target's series vanish");
    let c = probe(&exporter, "c").await;
    assert_eq!(
        c.value("jamf_version_info", &[("version", "11.3.0")]),
        Some(1.0)
    );
    let b_after = target(&exporter, "b").expect("b still runs");
    assert!(
        std::sync::Arc::ptr_eq(&b_before, &b_after),
        "an unchanged target keeps running untouched"
    );
    assert_eq!(
        b_after.store.load().refreshes,
        1,
        "and was not refreshed again"
    );
    let (_, body) = get(&exporter, "/metrics").await;
    assert_eq!(Metrics(body).value("jamf_exporter_targets", &[]), Some(2.0));

    // A changed target restarts: a new poller, a new store, a first refresh again.
    servers.write_every(&["b", "c"], "2h");
    assert_eq!(post(&exporter, "/-/reload").await.0, 200);
    let b_changed = target(&exporter, "b").expect("b runs");
    assert!(!std::sync::Arc::ptr_eq(&b_after, &b_changed));
    assert_eq!(b_changed.spec.refresh_interval, Duration::from_secs(7200));
    refreshed(&exporter, "b", 1).await;
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn a_bad_reload_keeps_serving() {
    let servers = Servers::start(&["a"]).await;
    servers.write(&["a"]);
    let exporter = exporter(&servers.path(), &[]).await;
    refreshed(&exporter, "a", 1).await;
    std::fs::write(
        servers.path(),
        "targets:\n  - name: a\n    url: http://127.0.0.1:1\n    client_id: x\n    client_secret: inline\n",
    )
    .expect("written");
    let (status, body) = post(&exporter, "/-/reload").await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        "failed to reload config: --config.file: target \"a\": client_secret: secrets are read from files only; put it in a file and name that file with client_secret_file\n"
    );
    let (_, metrics) = get(&exporter, "/metrics").await;
    assert_eq!(
        Metrics(metrics).value("jamf_exporter_config_last_reload_successful", &[]),
        Some(0.0)
    );
    assert_eq!(
        probe(&exporter, "a")
            .await
            .value("jamf_version_info", &[("version", "11.1.0")]),
        Some(1.0)
    );
    servers.write(&["a"]);
    assert_eq!(post(&exporter, "/-/reload").await.0, 200);
    let (_, metrics) = get(&exporter, "/metrics").await;
    assert_eq!(
        Metrics(metrics).value("jamf_exporter_config_last_reload_successful", &[]),
        Some(1.0)
    );
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn two_shard_replicas_split_six_targets_as_hashmod_says() {
    let names = ["t0", "t1", "t2", "t3", "t4", "t5"];
    let servers = Servers::start(&names).await;
    servers.write(&names);
    // Computed as Prometheus' hashmod does (see config::file's unit test): modulo 2,
    // t1 and t3 go to shard 1, the rest to shard 0.
    let expected: [(u64, &[&str]); 2] = [(0, &["t0", "t2", "t4", "t5"]), (1, &["t1", "t3"])];
    let zero = exporter(
        &servers.path(),
        &["--shard.total", "2", "--shard.index", "0"],
    )
    .await;
    let one = exporter(
        &servers.path(),
        &["--shard.total", "2", "--shard.index", "1"],
    )
    .await;
    for (shard, replica) in [(0u64, &zero), (1, &one)] {
        let mine = expected[shard as usize].1;
        let running: Vec<String> = replica.fleet.view().targets.keys().cloned().collect();
        assert_eq!(running, mine, "shard {shard}");
        for name in mine {
            refreshed(replica, name, 1).await;
            probe(replica, name).await;
        }
        let (_, body) = get(replica, "/metrics").await;
        assert_eq!(
            Metrics(body).value("jamf_exporter_targets", &[]),
            Some(mine.len() as f64)
        );
    }
    let (status, body) = get(&zero, "/probe?target=t1").await;
    assert_eq!(
        (status, body.as_str()),
        (
            404,
            "target \"t1\" belongs to shard 1 of 2; this replica serves shard 0\n"
        )
    );
    for (name, sim) in &servers.sims {
        assert_eq!(sim.tokens_issued(), 1, "{name} saw one login");
    }
    zero.stop().await;
    one.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn refresh_concurrency_limits_targets_refreshing_at_once() {
    let names = ["p", "q", "r", "s"];
    let servers = Servers::start(&names).await;
    servers.write(&names);
    // Every server holds its answers, so a target that has begun its refresh keeps its
    // place among those refreshing for the rest of the test.
    for (_, sim) in &servers.sims {
        sim.inject(FaultRule::always(
            "*",
            Fault::Delay(Duration::from_secs(20)),
        ));
    }
    let exporter = exporter(&servers.path(), &["--refresh.concurrency", "2"]).await;
    let asked = || {
        servers
            .sims
            .iter()
            .filter(|(_, sim)| !sim.requests().is_empty())
            .count()
    };
    let started = Instant::now();
    while asked() < 2 {
        assert!(started.elapsed() < LIMIT, "two targets began to refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(asked(), 2, "two at once, the others wait");
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn without_a_config_file_probe_and_reload_answer_404() {
    let setup = crate::harness::start(SimulatorConfig::demo(), &[]).await;
    assert_eq!(setup.get("/probe?target=a").await.0, 404);
    assert_eq!(setup.get("/-/reload").await.0, 404);
    assert_eq!(setup.get("/sd").await.0, 404);
    let reload = setup
        .http
        .post(setup.url("/-/reload"))
        .send()
        .await
        .expect("answer");
    assert_eq!(reload.status().as_u16(), 404);
    setup.stop().await;
}

/// Bad files, and the one line each gets.
#[test]
fn bad_config_files_name_the_target_and_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").expect("secret");
    let secret = secret.display().to_string();
    let login = format!("client_id: abc\n    client_secret_file: {secret}");
    let ok =
        |name: &str| format!("  - name: {name}\n    url: https://{name}.example\n    {login}\n");
    let cases: Vec<(String, String)> = vec![
        (
            format!("targets:\n  - name: hillside\n    url: https://h.example\n    {login}\n    refresh_interval: 10x\n"),
            "--config.file: target \"hillside\": refresh_interval: not a valid duration: \"10x\" (use e.g. 30s, 5m, 1h)".into(),
        ),
        (
            format!("targets:\n  - name: hillside\n    url: https://h.example\n    {login}\n    timeout: 0s\n"),
            "--config.file: target \"hillside\": timeout: must be greater than zero, got \"0s\"".into(),
        ),
        (
            "targets:\n  - name: lakeview\n    url: https://l.example\n    client_id: abc\n    client_secret: hunter2\n".into(),
            "--config.file: target \"lakeview\": client_secret: secrets are read from files only; put it in a file and name that file with client_secret_file".into(),
        ),
        (
            "targets:\n  - name: lakeview\n    url: https://l.example\n    username: me\n    password: hunter2\n".into(),
            "--config.file: target \"lakeview\": password: secrets are read from files only; put it in a file and name that file with password_file".into(),
        ),
        (
            format!("targets:\n  - name: lakeview\n    url: https://l.example\n    {login}\n    colectors: [vpp]\n"),
            "--config.file: target \"lakeview\": unknown field `colectors`, expected one of `name`, `url`, `api`, `environment_id`, `tenant_id`, `client_id`, `client_secret_file`, `username`, `password_file`, `timeout`, `ca_file`, `refresh_interval`, `refresh_timeout`, `collectors`, `labels`, `thresholds`".into(),
        ),
        (
            format!("targets:\n{}{}", ok("twin"), ok("twin")),
            "--config.file: target \"twin\": name: used by another target too; names must be unique".into(),
        ),
        (
            format!("targets:\n  - name: has space\n    url: https://x.example\n    {login}\n"),
            "--config.file: target \"has space\": name: must be 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'".into(),
        ),
        (
            format!("targets:\n  - url: https://x.example\n    {login}\n"),
            "--config.file: targets[0]: name: missing".into(),
        ),
        (
            format!("targets:\n  - name: ftp\n    url: ftp://x.example\n    {login}\n"),
            "--config.file: target \"ftp\": url: unsupported scheme \"ftp\"; use https:// (or http:// for a local test server)".into(),
        ),
        (
            "targets:\n  - name: nologin\n    url: https://x.example\n".into(),
            "--config.file: target \"nologin\": no login: set client_id with client_secret_file, or username with password_file".into(),
        ),
        (
            format!("targets:\n  - name: both\n    url: https://x.example\n    {login}\n    username: me\n"),
            "--config.file: target \"both\": client_id: client_id and username are both set: configure exactly one login".into(),
        ),
        (
            "targets:\n  - name: gone\n    url: https://x.example\n    username: me\n    password_file: /nonexistent/pw\n".into(),
            "--config.file: target \"gone\": password_file: cannot read /nonexistent/pw: No such file or directory (os error 2)".into(),
        ),
        (
            format!("targets:\n  - name: some\n    url: https://x.example\n    {login}\n    collectors: [vpp, nonsense]\n"),
            "--config.file: target \"some\": collectors: unknown collector \"nonsense\"".into(),
        ),
        (
            format!("defaults:\n  refresh_interval: 5m\n  url: https://x.example\ntargets:\n{}", ok("a")),
            "--config.file: defaults: unknown field `url`, expected one of `api`, `timeout`, `ca_file`, `refresh_interval`, `refresh_timeout`, `collectors`, `labels`, `thresholds`".into(),
        ),
        (
            format!("defaults:\n  refresh_interval: soon\ntargets:\n{}", ok("lakeview")),
            "--config.file: defaults: refresh_interval: not a valid duration: \"soon\" (use e.g. 30s, 5m, 1h)".into(),
        ),
        (
            format!("defaults:\n  timeout: 0s\ntargets:\n{}", ok("lakeview")),
            "--config.file: defaults: timeout: must be greater than zero, got \"0s\"".into(),
        ),
        (
            format!("defaults:\n  collectors: [vpp, nonsense]\ntargets:\n{}", ok("lakeview")),
            "--config.file: defaults: collectors: unknown collector \"nonsense\"".into(),
        ),
        (
            "targets:\n  - name: acme\n    api: platform\n    environment_id: e1\n    url: https://eu.api.jamfcloud.com\n    username: me\n    password_file: /nonexistent/pw\n".into(),
            "--config.file: target \"acme\": username: the Jamf Platform API (api: platform) takes only an API client; use client_id with client_secret_file".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    api: platform\n    url: https://eu.api.jamfcloud.com\n    {login}\n"),
            "--config.file: target \"acme\": environment_id: missing: api: platform needs environment_id (or tenant_id)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    api: platform\n    environment_id: e1\n    tenant_id: t1\n    url: https://eu.api.jamfcloud.com\n    {login}\n"),
            "--config.file: target \"acme\": environment_id: set together with tenant_id: the Jamf Platform API takes exactly one of them".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    tenant_id: t1\n    url: https://eu.api.jamfcloud.com\n    {login}\n"),
            "--config.file: target \"acme\": tenant_id: only used with api: platform".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    api: classic\n    url: https://x.example\n    {login}\n"),
            "--config.file: target \"acme\": api: \"classic\" is neither pro nor platform".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    api: platform\n    environment_id: e1\n    url: https://eu.api.jamfcloud.com/pro/\n    {login}\n"),
            "--config.file: target \"acme\": url: \"https://eu.api.jamfcloud.com/pro\" has a path; the Jamf Platform API gateway's URL is its host alone, e.g. https://eu.api.jamfcloud.com".into(),
        ),
        (
            format!("defaults:\n  api: gateway\ntargets:\n{}", ok("lakeview")),
            "--config.file: defaults: api: \"gateway\" is neither pro nor platform".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{__scheme__: http}}\n"),
            "--config.file: target \"acme\": labels: key \"__scheme__\": names starting with \"__\" are reserved for Prometheus".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{instance: other}}\n"),
            "--config.file: target \"acme\": labels: key \"instance\": set by Prometheus and /sd; choose another name".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{job: other}}\n"),
            "--config.file: target \"acme\": labels: key \"job\": set by Prometheus and /sd; choose another name".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{customer-name: acme}}\n"),
            "--config.file: target \"acme\": labels: key \"customer-name\" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{1tier: gold}}\n"),
            "--config.file: target \"acme\": labels: key \"1tier\" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: {{tier: 3}}\n"),
            "--config.file: target \"acme\": labels: key \"tier\": the value must be a string (quote it)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    labels: [customer]\n"),
            "--config.file: target \"acme\": labels: expected a mapping of label names to strings, e.g. {customer: acme}".into(),
        ),
        (
            format!("defaults:\n  labels: {{__x: y}}\ntargets:\n{}", ok("a")),
            "--config.file: defaults: labels: key \"__x\": names starting with \"__\" are reserved for Prometheus".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    thresholds: {{warning: 5d}}\n"),
            "--config.file: target \"acme\": thresholds: critical (1w) must be shorter than warning (5d)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    thresholds: {{warning: 45d, critical: soon}}\n"),
            "--config.file: target \"acme\": thresholds: critical: not a valid duration: \"soon\" (use e.g. 30s, 5m, 1h)".into(),
        ),
        (
            format!("targets:\n  - name: acme\n    url: https://x.example\n    {login}\n    thresholds: {{warning: 45d, imminent: 3d}}\n"),
            "--config.file: target \"acme\": unknown field `imminent`, expected `warning` or `critical`".into(),
        ),
        (
            format!("defaults:\n  thresholds: {{critical: 0d}}\ntargets:\n{}", ok("a")),
            "--config.file: defaults: thresholds: critical: must be greater than zero, got \"0d\"".into(),
        ),
    ];
    let path = dir.path().join("jamf_exporter.yml");
    let path_text = path.display().to_string();
    for (text, expected) in cases {
        std::fs::write(&path, &text).expect("written");
        let parsed = config::try_parse_from(["jamf_exporter", "--config.file", path_text.as_str()])
            .expect("flags parse");
        let error = Config::from_raw(parsed, &HashMap::<String, String>::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some(expected.as_str()), "{text}");
    }

    std::fs::write(&path, format!("targets:\n{}", ok("a"))).expect("written");
    let flag_cases: [(&[&str], &str); 8] = [
        (&["--web.sd-address", "exporter/sd:10052"], "--web.sd-address: \"exporter/sd:10052\" has no valid host; expected HOST:PORT, e.g. jamf-exporter-0.jamf-exporter:10052"),
        (&["--thresholds.warning", "7d"], "--thresholds.critical: critical (1w) must be shorter than warning (1w)"),
        (&["--jamf.url", "https://x.example"], "--config.file and --jamf.url cannot be used together: each target's settings come from the file"),
        (&["--jamf.api", "platform"], "--config.file and --jamf.api cannot be used together: each target's settings come from the file"),
        (&["--demo"], "--config.file and --demo cannot be used together: each target's settings come from the file"),
        (&["--jamf.timeout", "10s"], "--config.file and --jamf.timeout cannot be used together: each target's settings come from the file"),
        (&["--shard.total", "2", "--shard.index", "2"], "--shard.index: 2 is not below --shard.total 2; shards are numbered from 0"),
        (&["--refresh.concurrency", "0"], "--refresh.concurrency: must be at least 1"),
    ];
    for (flags, expected) in flag_cases {
        let mut args = vec!["jamf_exporter", "--config.file", path_text.as_str()];
        args.extend_from_slice(flags);
        let parsed = config::try_parse_from(args).expect("flags parse");
        let error = Config::from_raw(parsed, &HashMap::<String, String>::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some(expected), "{flags:?}");
    }
    let parsed = config::try_parse_from(["jamf_exporter", "--demo", "--shard.total", "2"])
        .expect("flags parse");
    assert_eq!(
        Config::from_raw(parsed, &HashMap::<String, String>::new())
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("--shard.total: only used with --config.file")
    );
    for (args, expected) in [
        (
            &["--demo", "--web.sd-address", "x:1"][..],
            "--web.sd-address: only used with --config.file",
        ),
        (
            &["--demo.targets", "3"][..],
            "--demo.targets: only used with --demo",
        ),
        (
            &["--demo", "--demo.targets", "0"][..],
            "--demo.targets: must be at least 1",
        ),
        (
            &["--demo", "--thresholds.critical", "0s"][..],
            "--thresholds.critical: must be greater than zero, got \"0s\"",
        ),
    ] {
        let parsed =
            config::try_parse_from(std::iter::once("jamf_exporter").chain(args.iter().copied()))
                .expect("flags parse");
        assert_eq!(
            Config::from_raw(parsed, &HashMap::<String, String>::new())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some(expected),
            "{args:?}"
        );
    }
}

/// `jamf_exporter check` with the real binary and `args`: exit status and stdout.
async fn run_check(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
            .arg("check")
            .args(&args)
            .env_clear()
            .output()
            .expect("the binary runs");
        (
            output.status.code().expect("an exit status"),
            String::from_utf8(output.stdout).expect("utf-8"),
        )
    })
    .await
    .expect("the check finishes")
}

#[tokio::test]
async fn check_takes_one_target_of_the_config_file() {
    let servers = Servers::start(&["lakeview", "hillside"]).await;
    servers.write(&["lakeview", "hillside"]);
    let path = servers.path().display().to_string();
    let args = |extra: &[&str]| {
        let mut args = vec!["--config.file".to_owned(), path.clone()];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };
    let (status, out) = run_check(args(&["--target", "hillside", "--output", "json"])).await;
    assert!(
        status == 1 || status == 2,
        "the demo data needs action: {out}"
    );
    assert_eq!(servers.sim("hillside").tokens_issued(), 1);
    assert_eq!(
        servers.sim("lakeview").tokens_issued(),
        0,
        "only the named target"
    );

    let (status, out) = run_check(args(&["--target", "nowhere"])).await;
    assert_eq!(
        (status, out.as_str()),
        (
            3,
            "JAMF UNKNOWN - --target: no target \"nowhere\" in --config.file\n"
        )
    );
    let (status, out) = run_check(args(&[])).await;
    assert_eq!(
        (status, out.as_str()),
        (
            3,
            "JAMF UNKNOWN - --target: required with --config.file: name the target to check\n"
        )
    );
    servers.stop().await;
}

#[tokio::test]
async fn sighup_reloads_the_file() {
    let servers = Servers::start(&["a", "b"]).await;
    servers.write_every(&["a"], "1s");
    let path = servers.path().display().to_string();
    let exporter = crate::process::Exporter::spawn(&["--config.file", &path], &[]).await;
    exporter.wait_until_ready().await;
    servers.write_every(&["a", "b"], "1s");
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &exporter.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    exporter
        .wait_for("two targets after SIGHUP", |metrics| {
            metrics.value("jamf_exporter_targets", &[]) == Some(2.0)
        })
        .await;
    servers.stop().await;
}

#[tokio::test]
async fn a_dead_target_task_ends_the_process_with_status_1() {
    let servers = Servers::start(&["a", "b"]).await;
    servers.write_every(&["a", "b"], "1s");
    let path = servers.path().display().to_string();
    let mut exporter = crate::process::Exporter::spawn(
        &["--config.file", &path],
        &[(jamf_exporter::injected::ENV, "refresh-loop")],
    )
    .await;
    let status = exporter.wait_for_exit().await;
    assert_eq!(status.code(), Some(1), "{}", exporter.stderr());
    let log = exporter.stderr();
    assert!(log.contains("the targets task stopped"), "{log}");
    servers.stop().await;
}

/// Fifty POSTs at once are answered by one or two reloads (three at most), each answer
/// tells what the reload that covered it did, and each reload is logged once.
#[tokio::test]
async fn concurrent_reloads_are_coalesced_and_answered_truthfully() {
    let servers = Servers::start(&["a", "b"]).await;
    servers.write(&["a"]);
    let path = servers.path().display().to_string();
    let exporter =
        crate::process::Exporter::spawn(&["--config.file", &path, "--web.max-requests", "0"], &[])
            .await;
    exporter.wait_until_ready().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://{}/-/reload", exporter.address);
    let burst = || {
        futures_util::future::join_all((0..50).map(|_| {
            let request = client.post(&url).send();
            async move {
                let response = request.await.expect("the exporter answers");
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
        }))
    };

    servers.write(&["a", "b"]);
    let answers = burst().await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let log = exporter.stderr();
    let reloads = log.matches("msg=\"--config.file reloaded\"").count();
    assert!((1..=3).contains(&reloads), "{reloads} reloads:\n{log}");
    exporter
        .wait_for("both targets", |m| {
            m.value("jamf_exporter_targets", &[]) == Some(2.0)
        })
        .await;

    std::fs::write(servers.path(), "targets: [").unwrap();
    let answers = burst().await;
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 500 && body.starts_with("failed to reload config: ")),
        "{answers:?}"
    );
    let log = exporter.stderr();
    let refused = log
        .matches("msg=\"--config.file not reloaded; the running targets are kept\"")
        .count();
    assert!(
        (1..=3).contains(&refused),
        "{refused} refused reloads:\n{log}"
    );
    let metrics = exporter.metrics().await;
    assert_eq!(metrics.value("jamf_exporter_targets", &[]), Some(2.0));
    assert_eq!(
        metrics.value("jamf_exporter_config_last_reload_successful", &[]),
        Some(0.0)
    );
    servers.stop().await;
}

/// A newcomer with several targets and one bad secret must see which target refuses it.
#[tokio::test]
async fn every_log_line_about_a_target_names_it() {
    let servers = Servers::start(&["lakeview", "hillside"]).await;
    servers.write(&["lakeview", "hillside"]);
    let wrong = servers.dir.path().join("wrong");
    std::fs::write(&wrong, "not-the-secret\n").unwrap();
    let text = std::fs::read_to_string(servers.path()).unwrap();
    let good = servers.dir.path().join("secret").display().to_string();
    // The second target (hillside) gets the wrong secret.
    let at = text.rfind(&good).unwrap();
    let text = format!(
        "{}{}{}",
        &text[..at],
        wrong.display(),
        &text[at + good.len()..]
    );
    std::fs::write(servers.path(), text).unwrap();
    let path = servers.path().display().to_string();
    for format in ["logfmt", "json"] {
        let exporter = crate::process::Exporter::spawn(
            &[
                "--config.file",
                &path,
                "--log.format",
                format,
                "--log.level",
                "debug",
            ],
            &[],
        )
        .await;
        exporter.wait_until_ready().await;
        let log = exporter.stderr();
        let refused: Vec<&str> = log
            .lines()
            .filter(|line| {
                line.contains("refused the credentials")
                    || line.contains("collector refresh failed")
            })
            .collect();
        assert!(!refused.is_empty(), "{log}");
        for line in &refused {
            let named = match format {
                "json" => line.contains("\"target\":\"hillside\""),
                _ => line.contains("target=hillside"),
            };
            assert!(named, "names the target: {line}");
        }
        for line in log.lines().filter(|line| line.contains("refresh finished")) {
            let named = line.contains("target=lakeview")
                || line.contains("target=hillside")
                || line.contains("\"target\":\"lakeview\"")
                || line.contains("\"target\":\"hillside\"");
            assert!(named, "names the target: {line}");
        }
    }
    servers.stop().await;
}

/// `examples/jamf_exporter.yml` is what users copy: it must load, once its secret files
/// exist, with the values its comments promise.
#[test]
fn the_example_configuration_file_loads() {
    use jamf_exporter::snapshot::CollectorName;
    use jamf_exporter::targets::{parse, FlagDefaults, Shard};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("examples/jamf_exporter.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["lakeview", "hillside", "acme"] {
        std::fs::write(dir.path().join(name), "secret\n").unwrap();
    }
    let pki = crate::tls::Pki::new(&["jamf.hillside.example"]);
    let text = example
        .replace(
            "/run/credentials/jamf_exporter.service/",
            &format!("{}/", dir.path().display()),
        )
        .replace(
            "/etc/jamf_exporter/hillside-ca.pem",
            &pki.ca_file().display().to_string(),
        );
    let flags = FlagDefaults {
        refresh_interval: std::time::Duration::from_secs(300),
        refresh_timeout: std::time::Duration::from_secs(120),
        collectors: CollectorName::ALL
            .into_iter()
            .filter(|name| name.enabled_by_default())
            .collect(),
        thresholds: jamf_exporter::bands::TokenBands::DEFAULT,
        mdm_window: std::time::Duration::from_secs(30 * 86_400),
    };
    let loaded = parse(&text, &flags, Shard::WHOLE).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = loaded.mine.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["lakeview", "hillside", "acme-eu"]);
    let acme = &loaded.mine[2];
    assert_eq!(
        acme.jamf.api,
        jamf_exporter::jamf::Api::Platform(jamf_exporter::jamf::Context::Environment(
            "6c1f0a2e-7f3b-4a55-9d0e-2b8c4e1a9f70".into()
        ))
    );
    assert!(!acme.collectors.contains(&CollectorName::Healthcheck));
    assert!(!acme.collectors.contains(&CollectorName::ServerCertificate));
    assert!(acme.collectors.contains(&CollectorName::Vpp));
    let hillside = &loaded.mine[1];
    assert_eq!(
        hillside.refresh_interval,
        std::time::Duration::from_secs(600)
    );
    assert!(hillside.collectors.contains(&CollectorName::VppContent));
    assert_eq!(hillside.collectors.len(), 4);
    assert_eq!(hillside.labels["customer"], "hillside");
    assert_eq!(hillside.labels["tier"], "gold");
    assert_eq!(hillside.thresholds.warning_days(), 45.0);
    assert_eq!(hillside.thresholds.critical_days(), 10.0);
    assert!(loaded.mine[0].labels.is_empty());
}

/// Writes a file of `targets` (name, extra YAML lines), each against its simulator.
fn write_with(servers: &Servers, targets: &[(&str, &str)]) {
    let mut text = "defaults:\n  refresh_interval: 1h\ntargets:\n".to_owned();
    for (name, extra) in targets {
        text.push_str(&format!(
            "  - name: {name}\n    url: {}\n    client_id: demo-client\n    client_secret_file: {}\n{extra}",
            servers.sim(name).base_url(),
            servers.dir.path().join("secret").display()
        ));
    }
    std::fs::write(servers.path(), text).expect("config written");
}

async fn discovered(exporter: &Exporter) -> serde_json::Value {
    let response = reqwest::get(format!("http://{}/sd", exporter.addresses[0]))
        .await
        .expect("exporter answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    serde_json::from_str(&response.text().await.expect("body")).expect("JSON")
}

#[tokio::test]
async fn sd_lists_each_target_with_its_labels_sorted_and_follows_reloads() {
    let servers = Servers::start(&["lakeview", "acme", "hillside"]).await;
    write_with(
        &servers,
        &[
            ("lakeview", "    labels: {customer: lakeview, tier: gold}\n"),
            ("acme", "    labels: {customer: acme}\n"),
            ("hillside", ""),
        ],
    );
    let exporter = exporter(&servers.path(), &[]).await;
    let address = exporter.addresses[0].to_string();
    let expected = serde_json::json!([
        {"targets": [address], "labels": {"__metrics_path__": "/probe", "__param_target": "acme", "instance": "acme", "customer": "acme"}},
        {"targets": [address], "labels": {"__metrics_path__": "/probe", "__param_target": "hillside", "instance": "hillside"}},
        {"targets": [address], "labels": {"__metrics_path__": "/probe", "__param_target": "lakeview", "instance": "lakeview", "customer": "lakeview", "tier": "gold"}},
    ]);
    assert_eq!(discovered(&exporter).await, expected);

    write_with(
        &servers,
        &[
            ("lakeview", "    labels: {customer: lakeview-east}\n"),
            ("acme", ""),
        ],
    );
    assert_eq!(post(&exporter, "/-/reload").await.0, 200);
    let after = discovered(&exporter).await;
    let names: Vec<&str> = after
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|group| group["labels"]["instance"].as_str())
        .collect();
    assert_eq!(
        names,
        ["acme", "lakeview"],
        "a removed target leaves at once"
    );
    assert_eq!(after[1]["labels"]["customer"], "lakeview-east");
    assert!(after[0]["labels"].get("customer").is_none());
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn sd_gives_the_configured_address_and_only_this_shards_targets() {
    let names = ["t0", "t1", "t2", "t3", "t4", "t5"];
    let servers = Servers::start(&names).await;
    servers.write(&names);
    let exporter = exporter(
        &servers.path(),
        &[
            "--shard.total",
            "2",
            "--shard.index",
            "1",
            "--web.sd-address",
            "jamf-exporter-1.jamf-exporter:10052",
        ],
    )
    .await;
    let groups = discovered(&exporter).await;
    let listed: Vec<&str> = groups
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|group| group["labels"]["__param_target"].as_str())
        .collect();
    // hashmod(name, 2) == 1 for t1 and t3 only (config::file's hashmod test).
    assert_eq!(listed, ["t1", "t3"]);
    for group in groups.as_array().expect("an array") {
        assert_eq!(
            group["targets"],
            serde_json::json!(["jamf-exporter-1.jamf-exporter:10052"])
        );
    }
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn sd_refuses_a_host_that_is_not_a_plain_address() {
    let servers = Servers::start(&["a"]).await;
    servers.write(&["a"]);
    let exporter = exporter(&servers.path(), &[]).await;
    let response = reqwest::Client::new()
        .get(format!("http://{}/sd", exporter.addresses[0]))
        .header("host", "evil.example/x?y=")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 400);
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn each_probe_exports_its_targets_token_bands() {
    let servers = Servers::start(&["strict", "plain"]).await;
    write_with(
        &servers,
        &[
            ("strict", "    thresholds: {warning: 45d, critical: 10d}\n"),
            ("plain", ""),
        ],
    );
    let exporter = exporter(&servers.path(), &["--thresholds.warning", "60d"]).await;
    refreshed(&exporter, "strict", 1).await;
    refreshed(&exporter, "plain", 1).await;
    let threshold = |metrics: &Metrics, severity| {
        metrics.value(
            "jamf_exporter_expiry_threshold_seconds",
            &[("severity", severity)],
        )
    };
    let strict = probe(&exporter, "strict").await;
    assert_eq!(threshold(&strict, "warning"), Some(45.0 * 86_400.0));
    assert_eq!(threshold(&strict, "critical"), Some(10.0 * 86_400.0));
    let plain = probe(&exporter, "plain").await;
    assert_eq!(threshold(&plain, "warning"), Some(60.0 * 86_400.0));
    assert_eq!(threshold(&plain, "critical"), Some(7.0 * 86_400.0));
    exporter.stop().await;
    servers.stop().await;
}

#[tokio::test]
async fn a_demo_fleet_of_three_shows_labels_thresholds_and_a_refused_login() {
    let parsed = config::try_parse_from([
        "jamf_exporter",
        "--demo",
        "--demo.targets",
        "3",
        "--web.listen-address",
        "127.0.0.1:0",
    ])
    .expect("flags parse");
    let config = Config::from_raw(parsed, &HashMap::<String, String>::new()).expect("valid");
    let exporter = jamf_exporter::start(config).await.expect("exporter starts");
    for name in ["demo-1", "demo-2", "demo-3"] {
        refreshed(&exporter, name, 1).await;
    }
    let groups = discovered(&exporter).await;
    let customers: Vec<(&str, &str)> = groups
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|g| {
            Some((
                g["labels"]["instance"].as_str()?,
                g["labels"]["customer"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        customers,
        [
            ("demo-1", "lakeview"),
            ("demo-2", "harbor"),
            ("demo-3", "northfield")
        ]
    );
    let district = probe(&exporter, "demo-1").await;
    assert_eq!(district.value("jamf_up", &[]), Some(1.0));
    assert!(district.count("jamf_vpp_token_expiry_timestamp_seconds") >= 5);
    let banded = probe(&exporter, "demo-2").await;
    assert_eq!(
        banded.value(
            "jamf_exporter_expiry_threshold_seconds",
            &[("severity", "warning")]
        ),
        Some(45.0 * 86_400.0)
    );
    let refused = probe(&exporter, "demo-3").await;
    assert_eq!(refused.value("jamf_up", &[]), Some(0.0));
    assert_eq!(
        refused.value(
            "jamf_exporter_refresh_errors_total",
            &[("collector", "vpp"), ("reason", "auth")]
        ),
        Some(1.0)
    );
    let (_, page) = get(&exporter, "/").await;
    for name in ["demo-1", "demo-2", "demo-3"] {
        assert!(page.contains(name), "{name} on the fleet page");
    }
    exporter.stop().await;
}

#[tokio::test]
async fn check_judges_tokens_by_the_targets_own_bands_unless_told_otherwise() {
    let servers = Servers::start(&["strict", "plain"]).await;
    write_with(
        &servers,
        &[
            (
                "strict",
                "    thresholds: {warning: 250d, critical: 210d}\n",
            ),
            ("plain", ""),
        ],
    );
    let path = servers.path().display().to_string();
    let check = |target: &str, extra: &[&str]| {
        let mut args = vec![
            "--config.file".to_owned(),
            path.clone(),
            "--target".to_owned(),
            target.to_owned(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        run_check(args)
    };
    // The perfdata item of the demo's healthy token (about 200 days out), without its days.
    let item = |out: &str| {
        out.split_once("'vpp:Lakeview High School'=")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|value| value.split_once(';').map(|(_, bands)| bands.to_owned()))
            .unwrap_or_else(|| panic!("no perfdata for the healthy token: {out}"))
    };
    let (_, strict) = check("strict", &[]).await;
    assert_eq!(item(&strict), "250:;210:");
    assert!(
        strict.contains("\nCRITICAL: Lakeview High School: Volume Purchasing token"),
        "{strict}"
    );
    let (_, plain) = check("plain", &[]).await;
    assert_eq!(item(&plain), "30:;7:");
    assert!(
        !plain.contains("\nCRITICAL: Lakeview High School"),
        "{plain}"
    );
    // --warning and --critical still win over the target's bands.
    let (_, told) = check("strict", &["--warning", "60", "--critical", "14"]).await;
    assert_eq!(item(&told), "60:;14:");
    servers.stop().await;
}

/// The fleet page and a target's own page count the days to a renewal the same way
/// ("expired 3 days ago" on both, never "-4 days" on one of them).
#[tokio::test]
async fn the_fleet_page_rounds_days_as_the_target_page_does() {
    let servers = Servers::start(&["lakeview"]).await;
    servers.write(&["lakeview"]);
    let exporter = exporter(&servers.path(), &[]).await;
    refreshed(&exporter, "lakeview", 1).await;
    let (_, fleet) = get(&exporter, "/").await;
    let (_, own) = get(&exporter, "/?target=lakeview").await;
    let soonest = fleet
        .split("data-label=\"Soonest renewal\">")
        .nth(1)
        .and_then(|cell| cell.split("</td>").next())
        .unwrap();
    let phrase = soonest
        .rsplit_once(" (")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{soonest}"));
    assert!(!phrase.contains('-'), "{phrase}");
    let words = phrase.strip_prefix("expires ").unwrap_or(phrase);
    assert!(own.contains(words), "{words} not on the target's page");
    exporter.stop().await;
    servers.stop().await;
}
