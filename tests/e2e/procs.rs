//! The child processes of the test: finding the tools, picking free ports, starting them with
//! their output in log files, waiting until they are ready, and killing all of them when the
//! test ends, also when it panics.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jamf_exporter::demo::{Simulator, SimulatorConfig};

/// The Prometheus and Alertmanager binaries, as Debian installs them.
pub struct Tools {
    pub prometheus: PathBuf,
    pub alertmanager: PathBuf,
}

impl Tools {
    /// Looks both up on `PATH`. Debian calls Alertmanager `prometheus-alertmanager`; the
    /// upstream name `alertmanager` is accepted too.
    pub fn find() -> Result<Tools, String> {
        let prometheus = which(&["prometheus"]);
        let alertmanager = which(&["prometheus-alertmanager", "alertmanager"]);
        match (prometheus, alertmanager) {
            (Some(prometheus), Some(alertmanager)) => Ok(Tools {
                prometheus,
                alertmanager,
            }),
            (prometheus, alertmanager) => {
                let mut missing = Vec::new();
                if prometheus.is_none() {
                    missing.push("prometheus");
                }
                if alertmanager.is_none() {
                    missing.push("prometheus-alertmanager (or alertmanager)");
                }
                Err(format!(
                    "e2e: {} not found on PATH; run `make deps` to install Debian's prometheus \
                     and prometheus-alertmanager packages",
                    missing.join(" and ")
                ))
            }
        }
    }
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The HTTP client of the tests: short timeouts, never a proxy.
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|error| error.to_string())
}

/// Two simulated Jamf Pro servers: one that accepts the demo secret, and one that wants
/// another secret than the one the exporter has.
pub async fn healthy_and_refusing() -> Result<(Simulator, Simulator), String> {
    let healthy = Simulator::start(SimulatorConfig::demo())
        .await
        .map_err(|error| format!("simulator: {error}"))?;
    let mut refusing = SimulatorConfig::demo();
    refusing.credentials.client_secret = "another-secret".to_owned();
    let refusing = Simulator::start(refusing)
        .await
        .map_err(|error| format!("simulator: {error}"))?;
    Ok((healthy, refusing))
}

/// A port on 127.0.0.1 that was free a moment ago: the kernel picks it for a listener on port
/// 0, which is closed again so a child process can bind it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

/// A temporary directory and the processes started in it. Dropping it kills every process
/// that still runs, then removes the directory.
pub struct Stack {
    procs: Vec<Proc>,
    dir: tempfile::TempDir,
}

impl Stack {
    pub fn new() -> Stack {
        let dir = tempfile::Builder::new()
            .prefix("jamf-e2e-")
            .tempdir()
            .expect("temporary directory");
        Stack {
            procs: Vec::new(),
            dir,
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts `program`, with stdout and stderr going to `<dir>/<name>.log`.
    pub fn spawn(&mut self, name: &str, program: &Path, args: &[String]) {
        let log = self.dir().join(format!("{name}.log"));
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut command = Command::new(program);
        // Everything talks to 127.0.0.1, and the exporter's client (also in --demo, towards
        // its own simulator) follows the proxy variables, which would send loopback requests
        // to a proxy.
        for variable in PROXY_VARIABLES {
            command.env_remove(variable);
        }
        let child = command
            .args(args)
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|error| panic!("e2e: cannot start {}: {error}", program.display()));
        println!("e2e: started {name} (pid {})", child.id());
        self.procs.push(Proc {
            name: name.to_owned(),
            child: Some(child),
            log,
        });
    }

    /// Kills the process `name` and waits for it.
    pub fn kill(&mut self, name: &str) {
        for proc in self.procs.iter_mut().filter(|p| p.name == name) {
            if let Some(mut child) = proc.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Why a process that should run has exited, if one has.
    pub fn exited(&mut self) -> Option<String> {
        for proc in &mut self.procs {
            if let Some(child) = proc.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    proc.child = None;
                    return Some(format!(
                        "{} exited early ({status}); its log ends with:\n{}",
                        proc.name,
                        tail(&proc.log, 30)
                    ));
                }
            }
        }
        None
    }

    /// The last lines of every process's log.
    pub fn logs(&self, lines: usize) -> String {
        self.procs
            .iter()
            .map(|proc| {
                format!(
                    "--- last {lines} lines of {} ({}):\n{}",
                    proc.name,
                    proc.log.display(),
                    tail(&proc.log, lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Polls `url` until it answers 200, failing early when a process exits.
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        what: &str,
        url: &str,
        limit: Duration,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        let mut last = String::from("no answer yet");
        while start.elapsed() < limit {
            if let Some(why) = self.exited() {
                return Err(format!("{what} is not ready: {why}"));
            }
            match http.get(url).send().await {
                Ok(response) if response.status().is_success() => return Ok(start.elapsed()),
                Ok(response) => last = format!("status {}", response.status()),
                Err(error) => last = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "{what} was not ready at {url} within {limit:?} (last: {last})"
        ))
    }
}

impl Stack {
    /// Starts the exporter over a `--config.file` on a free port and waits until every
    /// target has refreshed once (so no rule ever sees the time before); returns its
    /// address.
    pub async fn start_fleet_exporter(
        &mut self,
        http: &reqwest::Client,
        config: &Path,
        limit: Duration,
    ) -> Result<String, String> {
        let exporter = format!("127.0.0.1:{}", free_port());
        self.spawn(
            "exporter",
            Path::new(env!("CARGO_BIN_EXE_jamf_exporter")),
            &[
                "--config.file".to_owned(),
                config.display().to_string(),
                "--web.listen-address".to_owned(),
                exporter.clone(),
            ],
        );
        self.wait_ready(
            http,
            "the exporter",
            &format!("http://{exporter}/-/ready"),
            limit,
        )
        .await?;
        Ok(exporter)
    }
}

impl Stack {
    /// Writes `alerts/jamf.rules.yml` with every `for:` at 0s into `<dir>/rules/` (so alerts
    /// fire at their first evaluation), starts Prometheus with `config` (whose `rule_files`
    /// may name `{rules}`, replaced by that directory) and waits until it is ready.
    pub async fn start_prometheus(
        &mut self,
        tools: &Tools,
        http: &reqwest::Client,
        config: &str,
        limit: Duration,
    ) -> Result<crate::api::Prometheus, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = self.dir().to_owned();
        let rules = dir.join("rules");
        std::fs::create_dir(&rules).map_err(|error| format!("cannot create rules: {error}"))?;
        let script = root.join("alerts/make-fast-rules.sh");
        let output = Command::new("sh")
            .arg(&script)
            .arg(root.join("alerts/jamf.rules.yml"))
            .arg(rules.join("jamf.fast.rules.yml"))
            .arg("0s")
            .output()
            .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        let port = free_port();
        let path = dir.join("prometheus.yml");
        std::fs::write(
            &path,
            config.replace("{rules}", &rules.display().to_string()),
        )
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        self.spawn(
            "prometheus",
            &tools.prometheus,
            &[
                format!("--config.file={}", path.display()),
                format!(
                    "--storage.tsdb.path={}",
                    dir.join("prometheus-data").display()
                ),
                format!("--web.listen-address=127.0.0.1:{port}"),
            ],
        );
        self.wait_ready(
            http,
            "Prometheus",
            &format!("http://127.0.0.1:{port}/-/ready"),
            limit,
        )
        .await?;
        Ok(crate::api::Prometheus::new(http.clone(), port))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for proc in &mut self.procs {
            if let Some(mut child) = proc.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
