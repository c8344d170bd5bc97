//! The demo's `/metrics`, compared with `tests/golden/metrics.txt`.
//!
//! Values that change from run to run (timestamps, days left, durations, process
//! metrics, build labels) are masked: the value is replaced by 1 so the file still parses
//! and `promtool check metrics` can lint it. `make golden` rewrites the file.

use jamf_exporter::demo::SimulatorConfig;

use crate::harness;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/metrics.txt");

/// Masks volatile values; see the module comment.
fn mask(exposition: &str) -> String {
    let volatile = |name: &str| {
        name.ends_with("_timestamp_seconds")
            || name.ends_with("_days_until_expiry")
            || name == "jamf_collector_duration_seconds"
    };
    let mut out = String::new();
    for line in exposition.lines() {
        if line.starts_with('#') {
            out.push_str(line);
        } else if let Some((series, _)) = line.rsplit_once(' ') {
            let name = series.split('{').next().unwrap_or_default();
            if name == "jamf_exporter_build_info" {
                out.push_str("jamf_exporter_build_info{revision=\"MASKED\",rustversion=\"MASKED\",version=\"MASKED\"} 1");
            } else if volatile(name) {
                out.push_str(series);
                out.push_str(" 1");
            } else {
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn golden_demo_metrics() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let metrics = setup.metrics().await;
    setup.stop().await;
    // Process metrics differ between platforms; keep only the exporter's own.
    let own: String = metrics
        .0
        .lines()
        .filter(|line| {
            !(line.starts_with("process_")
                || line.starts_with("# HELP process_")
                || line.starts_with("# TYPE process_"))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let actual = mask(&own);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    if actual != expected {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(10)
            .map(|(e, a)| format!("- {e}\n+ {a}"))
            .collect();
        panic!(
            "/metrics differs from tests/golden/metrics.txt (run `make golden` if the change is intended):\n{}\n(expected {} lines, got {})",
            diff.join("\n"),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}
