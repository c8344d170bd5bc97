//! `jamf_exporter_bench`: the helper the scripts in `bench/` drive.
//!
//! - `sim` serves a simulated Jamf Pro with a synthetic dataset (and optional latency)
//!   in its own process, so the exporter under test can be measured alone. It writes
//!   its URL and credentials as shell assignments, and answers `GET /stats` on a
//!   second loopback port with the requests it has received.
//! - `scrape` scrapes a URL at a fixed rate (or as fast as it can) and checks every
//!   answer: status, content type, a gzip body that decodes, and an exposition that
//!   ends with a newline and reports `jamf_up 1`.
//!
//! Built only with `--features bench`; see `docs/benchmarks.md`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jamf_exporter::demo::{Dataset, Simulator, SimulatorConfig};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "jamf_exporter_bench",
    about = "benchmark helper for jamf_exporter"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a synthetic Jamf Pro on loopback until SIGINT or SIGTERM.
    Sim {
        /// Volume purchasing locations.
        #[arg(long, default_value_t = 1000)]
        locations: usize,
        /// Content items (apps and books) per location.
        #[arg(long, default_value_t = 0)]
        apps: usize,
        /// Added before every answer, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Written once serving: SIM_URL, SIM_CLIENT_ID, SIM_CLIENT_SECRET and
        /// SIM_CONTROL as shell assignments.
        #[arg(long)]
        env_file: PathBuf,
    },
    /// Scrape a URL repeatedly and check every answer.
    Scrape {
        #[arg(long)]
        url: String,
        /// Stop after this many scrapes.
        #[arg(long)]
        count: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
        /// Scrapers running at once. Even-numbered ones keep their connection open,
        /// odd-numbered ones open a new connection for every scrape.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Scrapes per second over all scrapers; 0 means as fast as possible.
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// `always`, `never`, or `alternate` between gzip and identity.
        #[arg(long, default_value = "alternate")]
        gzip: String,
        /// Rewritten every 10 s with the running totals (JSON).
        #[arg(long)]
        progress_file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("jamf_exporter_bench: error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match args.command {
            Command::Sim {
                locations,
                apps,
                latency_ms,
                env_file,
            } => sim(locations, apps, Duration::from_millis(latency_ms), env_file).await,
            Command::Scrape {
                url,
                count,
                seconds,
                concurrency,
                rate,
                gzip,
                progress_file,
            } => {
                let gzip = match gzip.as_str() {
                    "always" => GzipMode::Always,
                    "never" => GzipMode::Never,
                    "alternate" => GzipMode::Alternate,
                    other => {
                        anyhow::bail!("--gzip: expected always, never or alternate, not {other:?}")
                    }
                };
                let plan = ScrapePlan {
                    url,
                    count,
                    seconds: seconds.map(Duration::from_secs),
                    concurrency: concurrency.max(1),
                    rate,
                    gzip,
                    progress_file,
                };
                scrape(plan).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("jamf_exporter_bench: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn sim(
    n_locations: usize,
    n_apps: usize,
    latency: Duration,
    env_file: PathBuf,
) -> anyhow::Result<()> {
    let mut config = SimulatorConfig::demo();
    config.dataset = Dataset::synthetic(n_locations, n_apps, chrono::Utc::now());
    config.latency = latency;
    // Long-lived tokens: a benchmark measures refreshes, not token churn.
    config.token_lifetime = Duration::from_secs(24 * 3600);
    let credentials = config.credentials.clone();
    let simulator = Arc::new(Simulator::start(config).await?);
    let control = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let control_url = format!("http://{}", control.local_addr()?);
    let assignments = format!(
        "SIM_URL={}\nSIM_CLIENT_ID={}\nSIM_CLIENT_SECRET={}\nSIM_CONTROL={}\n",
        simulator.base_url(),
        credentials.client_id,
        credentials.client_secret,
        control_url
    );
    // Written whole and then renamed, so a script polling for the file never reads half.
    let partial = env_file.with_extension("partial");
    std::fs::write(&partial, assignments)?;
    std::fs::rename(&partial, &env_file)?;

    let serve_control = {
        let simulator = simulator.clone();
        async move {
            loop {
                let Ok((stream, _)) = control.accept().await else {
                    continue;
                };
                let simulator = simulator.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_request| {
                        let body = stats(&simulator).to_string();
                        async move {
                            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    };
    tokio::select! {
        () = serve_control => {}
        () = shutdown_signal() => {}
    }
    Ok(())
}

/// Requests received so far, by route template. The simulator keeps the most recent
/// 100 000 requests; `complete` says whether every request is still counted.
fn stats(simulator: &Simulator) -> serde_json::Value {
    let requests = simulator.requests();
    let mut by_route: BTreeMap<String, u64> = BTreeMap::new();
    let mut list_queries: BTreeMap<String, u64> = BTreeMap::new();
    for request in &requests {
        *by_route.entry(route_template(&request.path)).or_insert(0) += 1;
        if request.path == "/api/v1/volume-purchasing-locations" {
            *list_queries.entry(request.query.clone()).or_insert(0) += 1;
        }
    }
    json!({
        "total": requests.len(),
        "complete": requests.len() < 100_000,
        "by_route": by_route,
        "vpp_list_queries": list_queries,
        "vpp_list_requests": simulator.request_count("/api/v1/volume-purchasing-locations"),
        "tokens_issued": simulator.tokens_issued(),
    })
}

/// `/api/v1/volume-purchasing-locations/17/content` → `…/{id}/content`.
fn route_template(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GzipMode {
    Always,
    Never,
    Alternate,
}

struct ScrapePlan {
    url: String,
    count: Option<u64>,
    seconds: Option<Duration>,
    concurrency: usize,
    rate: f64,
    gzip: GzipMode,
    progress_file: Option<PathBuf>,
}

#[derive(Default)]
struct Totals {
    started: AtomicU64,
    ok: AtomicU64,
    errors: AtomicU64,
    bytes_on_wire: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Totals {
    fn report(&self, elapsed: Duration) -> serde_json::Value {
        let first_error = self
            .first_error
            .lock()
            .map(|guard| guard.clone())
            .unwrap_or_default();
        json!({
            "ok": self.ok.load(Ordering::Relaxed),
            "errors": self.errors.load(Ordering::Relaxed),
            "bytes_on_wire": self.bytes_on_wire.load(Ordering::Relaxed),
            "seconds": elapsed.as_secs_f64(),
            "first_error": first_error,
        })
    }

    fn fail(&self, why: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first_error.lock() {
            first.get_or_insert(why);
        }
    }
}

async fn scrape(plan: ScrapePlan) -> anyhow::Result<()> {
    if plan.count.is_none() && plan.seconds.is_none() {
        anyhow::bail!("give --count or --seconds");
    }
    let keep_alive = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()?;
    let totals = Arc::new(Totals::default());
    let started = Instant::now();
    let deadline = plan.seconds.map(|seconds| started + seconds);
    let period =
        (plan.rate > 0.0).then(|| Duration::from_secs_f64(plan.concurrency as f64 / plan.rate));
    let plan = Arc::new(plan);

    let mut workers = Vec::new();
    for worker in 0..plan.concurrency {
        let client = if worker % 2 == 0 {
            keep_alive.clone()
        } else {
            fresh.clone()
        };
        let totals = totals.clone();
        let plan = plan.clone();
        workers.push(tokio::spawn(async move {
            let mut ticker = period.map(|period| {
                let mut ticker = tokio::time::interval(period);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticker
            });
            loop {
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    return;
                }
                let sequence = totals.started.fetch_add(1, Ordering::Relaxed);
                if plan.count.is_some_and(|count| sequence >= count) {
                    return;
                }
                if let Some(ticker) = ticker.as_mut() {
                    ticker.tick().await;
                }
                let gzip = match plan.gzip {
                    GzipMode::Always => true,
                    GzipMode::Never => false,
                    GzipMode::Alternate => sequence % 2 == 0,
                };
                match scrape_once(&client, &plan.url, gzip).await {
                    Ok(wire_bytes) => {
                        totals.ok.fetch_add(1, Ordering::Relaxed);
                        totals
                            .bytes_on_wire
                            .fetch_add(wire_bytes, Ordering::Relaxed);
                    }
                    Err(why) => totals.fail(why),
                }
            }
        }));
    }
    let progress = plan.progress_file.clone().map(|path| {
        let totals = totals.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let _ = write_atomically(&path, &totals.report(started.elapsed()).to_string());
            }
        })
    });
    for worker in workers {
        worker.await?;
    }
    if let Some(progress) = progress {
        progress.abort();
    }
    let report = totals.report(started.elapsed()).to_string();
    if let Some(path) = &plan.progress_file {
        write_atomically(path, &report)?;
    }
    println!("{report}");
    Ok(())
}

fn write_atomically(path: &PathBuf, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{text}\n"))?;
    std::fs::rename(&partial, path)
}

/// One checked scrape; returns the body size on the wire.
async fn scrape_once(client: &reqwest::Client, url: &str, gzip: bool) -> Result<u64, String> {
    let mut request = client.get(url);
    if gzip {
        request = request.header("Accept-Encoding", "gzip");
    }
    let response = request.send().await.map_err(|e| format!("request: {e}"))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!("status {}", response.status()));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if header("content-type") != jamf_exporter::server::METRICS_CONTENT_TYPE {
        return Err(format!("content-type {:?}", header("content-type")));
    }
    let compressed = header("content-encoding") == "gzip";
    if compressed != gzip {
        return Err(format!(
            "asked gzip={gzip}, got content-encoding {compressed}"
        ));
    }
    let body = response.bytes().await.map_err(|e| format!("body: {e}"))?;
    let text = if compressed {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .map_err(|e| format!("gzip body: {e}"))?;
        text
    } else {
        String::from_utf8(body.to_vec()).map_err(|e| format!("body is not UTF-8: {e}"))?
    };
    if !text.ends_with('\n') || !text.contains("\njamf_up 1\n") {
        return Err("exposition without a final newline or without jamf_up 1".to_owned());
    }
    Ok(body.len() as u64)
}
