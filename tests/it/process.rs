//! The real `jamf_exporter` binary as a child process: for what only a whole process
//! shows (its environment, its log output, its memory).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Metrics, LIMIT};

pub struct Exporter {
    child: std::process::Child,
    stderr: Arc<Mutex<String>>,
    pub address: SocketAddr,
    http: reqwest::Client,
}

impl Exporter {
    /// Starts the binary with `args` (a listen address on port 0 is added) and exactly
    /// the environment `env`: nothing is inherited, so no stray proxy or `JAMF_*`
    /// variable of the machine running the tests can change the outcome.
    pub async fn spawn(args: &[&str], env: &[(&str, &str)]) -> Exporter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
            .args(args)
            .args(["--web.listen-address", "127.0.0.1:0"])
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let deadline = std::time::Instant::now() + LIMIT;
        let address = loop {
            let found = stderr
                .lock()
                .unwrap()
                .lines()
                .filter(|line| {
                    line.contains("msg=listening") || line.contains("\"msg\":\"listening\"")
                })
                .find_map(
                    |line| match serde_json::from_str::<serde_json::Value>(line) {
                        Ok(json) => json["address"]
                            .as_str()
                            .and_then(|text| text.parse::<SocketAddr>().ok()),
                        Err(_) => line
                            .split(' ')
                            .find_map(|field| field.strip_prefix("address="))
                            .and_then(|text| text.parse::<SocketAddr>().ok()),
                    },
                );
            if let Some(address) = found {
                break address;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the exporter exited with {status}:\n{}",
                    stderr.lock().unwrap()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the exporter never said where it listens:\n{}",
                stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Exporter {
            child,
            stderr,
            address,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
        }
    }

    /// Everything the process has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("http://{}{path}", self.address))
            .send()
            .await
            .expect("the exporter answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn metrics(&self) -> Metrics {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200);
        Metrics(body)
    }

    /// Polls `/metrics` until `done` holds, and returns that exposition.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&Metrics) -> bool) -> Metrics {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            let metrics = self.metrics().await;
            if done(&metrics) {
                return metrics;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `/-/ready` says every collector has finished its first refresh.
    pub async fn wait_until_ready(&self) {
        let deadline = std::time::Instant::now() + LIMIT;
        while self.get("/-/ready").await.0 != 200 {
            assert!(
                std::time::Instant::now() < deadline,
                "never ready; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Exporter {
    /// Sends a signal (`TERM`, `INT`) with the system's `kill` and waits for the exit.
    pub async fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        self.wait_for_exit().await
    }
}

impl Exporter {
    /// Waits for the process to exit by itself.
    pub async fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the exporter did not exit; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        // Only this child, by its own handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The peak resident set size of a process, in bytes (`VmHWM` in `/proc/PID/status`).
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn sigterm_and_sigint_shut_down_gracefully() {
    for signal in ["TERM", "INT"] {
        let mut exporter = Exporter::spawn(&["--demo"], &[]).await;
        exporter.wait_until_ready().await;
        let status = exporter.signal_and_wait(signal).await;
        assert!(status.success(), "SIG{signal}: {status}");
        // The reader thread may still be draining the pipe after the exit.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut log = exporter.stderr();
        while !log.contains("msg=\"shutting down\"") && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log = exporter.stderr();
        }
        assert!(log.contains("msg=\"shutting down\""), "{log}");
        assert!(!log.contains("level=error"), "{log}");
    }
}

#[tokio::test]
async fn a_dead_refresh_loop_ends_the_process_with_status_1() {
    let mut exporter = Exporter::spawn(
        &["--demo"],
        &[(jamf_exporter::injected::ENV, "refresh-loop")],
    )
    .await;
    let status = exporter.wait_for_exit().await;
    assert_eq!(status.code(), Some(1), "{}", exporter.stderr());
    let log = exporter.stderr();
    assert!(log.contains("the refresh task stopped"), "{log}");
    assert!(
        log.contains("panic injected into the refresh loop") && log.contains("target=127.0.0.1"),
        "the log names the target whose loop died: {log}"
    );
}

#[tokio::test]
async fn a_dead_http_server_ends_the_process_with_status_1() {
    let mut exporter =
        Exporter::spawn(&["--demo"], &[(jamf_exporter::injected::ENV, "server")]).await;
    // The first connection panics the server task itself.
    let _ = exporter
        .http
        .get(format!("http://{}/-/healthy", exporter.address))
        .send()
        .await;
    let status = exporter.wait_for_exit().await;
    assert_eq!(status.code(), Some(1), "{}", exporter.stderr());
    let log = exporter.stderr();
    assert!(log.contains("the HTTP server task panicked"), "{log}");
}

#[tokio::test]
async fn a_panicking_collector_counts_internal_and_refreshes_go_on() {
    let exporter = Exporter::spawn(
        &["--demo", "--refresh.interval", "1s"],
        &[(jamf_exporter::injected::ENV, "collector:version")],
    )
    .await;
    let metrics = exporter
        .wait_for("two refreshes with the injected panic", |metrics| {
            metrics.value(
                "jamf_exporter_refresh_errors_total",
                &[("collector", "version"), ("reason", "internal")],
            ) >= Some(2.0)
        })
        .await;
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "version")]),
        Some(0.0)
    );
    assert_eq!(
        metrics.value("jamf_collector_success", &[("collector", "vpp")]),
        Some(1.0),
        "the other collectors are not touched"
    );
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
}
