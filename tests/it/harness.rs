//! Starts a simulator and an exporter pointed at it, and reads what the exporter serves.

use std::time::Duration;

use jamf_exporter::config::{self, Config, Source};
use jamf_exporter::demo::{Fault, Simulator, SimulatorConfig};
use jamf_exporter::Exporter;

pub const LIMIT: Duration = Duration::from_secs(30);

pub struct Setup {
    pub simulator: Simulator,
    pub exporter: Exporter,
    pub http: reqwest::Client,
}

/// How the exporter logs in to the simulator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Client,
    User,
    WrongSecret,
    WrongPassword,
}

pub async fn start(sim: SimulatorConfig, extra_flags: &[&str]) -> Setup {
    start_with(sim, Login::Client, extra_flags).await
}

pub async fn start_with(sim: SimulatorConfig, login: Login, extra_flags: &[&str]) -> Setup {
    start_custom(sim, login, extra_flags, |_| {}).await
}

/// Like `start_with`, with a last word on the validated configuration: for settings that
/// have no flag (an explicit proxy) or values the flags would refuse.
pub async fn start_custom(
    sim: SimulatorConfig,
    login: Login,
    extra_flags: &[&str],
    customize: impl FnOnce(&mut Config),
) -> Setup {
    let credentials = (
        sim.credentials.client_id.clone(),
        sim.credentials.client_secret.clone(),
        sim.credentials.username.clone(),
        sim.credentials.password.clone(),
    );
    let simulator = Simulator::start(sim).await.expect("simulator starts");
    let url = simulator.base_url();
    let mut args: Vec<String> = vec![
        "jamf_exporter".into(),
        "--jamf.url".into(),
        url,
        "--web.listen-address".into(),
        "127.0.0.1:0".into(),
        "--refresh.interval".into(),
        "1h".into(),
        "--collector.vpp_content".into(),
    ];
    let secret = match login {
        Login::Client => credentials.1.clone(),
        Login::WrongSecret => "not-the-secret".to_owned(),
        Login::User => credentials.3.clone(),
        Login::WrongPassword => "not-the-password".to_owned(),
    };
    match login {
        Login::Client | Login::WrongSecret => {
            args.extend(["--jamf.client-id".into(), credentials.0.clone()])
        }
        Login::User | Login::WrongPassword => {
            args.extend(["--jamf.username".into(), credentials.2.clone()])
        }
    }
    args.extend(extra_flags.iter().map(|flag| (*flag).to_owned()));
    let parsed = config::try_parse_from(&args).expect("flags parse");
    let mut env = std::collections::HashMap::new();
    match login {
        Login::User | Login::WrongPassword => env.insert("JAMF_PASSWORD".to_owned(), secret),
        Login::Client | Login::WrongSecret => env.insert("JAMF_CLIENT_SECRET".to_owned(), secret),
    };
    let mut config = Config::from_raw(parsed, &env).expect("valid config");
    customize(&mut config);
    let exporter = jamf_exporter::start(config).await.expect("exporter starts");
    assert!(
        exporter.wait_for_refreshes(1, LIMIT).await,
        "first refresh finished"
    );
    Setup {
        simulator,
        exporter,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.exporter.addresses[0], path)
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("exporter answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn metrics(&self) -> Metrics {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200);
        Metrics(body)
    }

    /// The process keeps serving while Jamf misbehaves: `/metrics` and `/-/healthy`
    /// answer 200 within a second.
    pub async fn assert_responsive(&self) {
        for path in ["/metrics", "/-/healthy"] {
            let started = std::time::Instant::now();
            let (status, _) = self.get(path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{path} took {:?}",
                started.elapsed()
            );
        }
    }

    pub async fn refresh(&self) {
        assert!(
            self.exporter.refresh_now(LIMIT).await,
            "refresh finished in time"
        );
    }

    pub async fn stop(self) {
        self.exporter.stop().await;
        self.simulator.shutdown().await;
    }
}

/// Points the exporter at `url` instead of the simulator (for `start_custom`).
pub fn point_at(url: &str) -> impl FnOnce(&mut Config) + '_ {
    move |config| match &mut config.source {
        Source::Jamf(target) => target.url = url.to_owned(),
        Source::Demo { .. } | Source::Targets(_) => panic!("the harness starts one Jamf server"),
    }
}

/// An answer with this status, body and content type.
pub fn status(code: u16, body: &str, content_type: &str) -> Fault {
    Fault::Status {
        status: code,
        body: body.to_owned(),
        content_type: content_type.to_owned(),
        retry_after: None,
    }
}

/// A URL on loopback where nothing listens: connections are refused at once, with no
/// name to resolve.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    format!("http://{}", listener.local_addr().expect("its address"))
}

/// Asserts `vpp` failed with `reason` (`count` times so far) but still serves the
/// `n_locations` locations of its last good refresh, while the other collectors are fine
/// and still authenticate.
pub fn assert_vpp_stale(metrics: &Metrics, reason: &str, count: f64, n_locations: usize) {
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(0.0)
    );
    assert_eq!(errors(metrics, "vpp", reason), count);
    assert_eq!(
        metrics.count("jamf_vpp_licenses_purchased"),
        n_locations,
        "the last good data is kept"
    );
    assert!(metrics.has(
        "jamf_collector_last_success_timestamp_seconds",
        &[("collector", "vpp")]
    ));
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "notifications")]),
        Some(1.0)
    );
    assert_eq!(
        metrics.value("jamf_up", &[]),
        Some(1.0),
        "other collectors still authenticate fine"
    );
}

/// The sum of `jamf_exporter_refresh_errors_total` for `collector` and `reason`
/// (-1 when the series is missing).
pub fn errors(metrics: &Metrics, collector: &str, reason: &str) -> f64 {
    metrics
        .value(
            "jamf_exporter_refresh_errors_total",
            &[("collector", collector), ("reason", reason)],
        )
        .unwrap_or(-1.0)
}

/// An exposition text with helpers to find samples.
pub struct Metrics(pub String);

impl Metrics {
    /// The value of the one sample whose name is `name` and whose labels include every
    /// `key="value"` in `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut found = None;
        for line in self.0.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            if metric != name {
                continue;
            }
            if labels
                .iter()
                .all(|(k, v)| label_text.contains(&format!("{k}=\"{}\"", escape(v))))
            {
                assert!(
                    found.is_none(),
                    "more than one {name} sample matches {labels:?}"
                );
                found = value.parse::<f64>().ok();
            }
        }
        found
    }

    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.value(name, labels).is_some()
    }

    pub fn count(&self, name: &str) -> usize {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split(['{', ' ']).next() == Some(name))
            .count()
    }
}

/// Exposition-format escaping of a label value.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
