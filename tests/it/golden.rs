//! The demo's `/metrics`, compared with `tests/golden/metrics.txt`.
//!
//! Values that change from run to run (timestamps, durations, process metrics, build
//! labels) are masked: the value is replaced by 1 so the file still parses and
//! `promtool check metrics` can lint it. Days until expiry are rounded down to whole days
//! instead, so the demo's 20-day, 5-day and expired tokens are still checked (the demo's
//! dates sit hours away from a whole day, so rounding down is stable).
//! `make golden` rewrites the file.

use jamf_exporter::demo::SimulatorConfig;

use crate::harness;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/metrics.txt");

/// Masks volatile values; see the module comment.
fn mask(exposition: &str) -> String {
    let volatile = |name: &str| {
        name.ends_with("_timestamp_seconds") || name == "jamf_collector_duration_seconds"
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
            } else if name.ends_with("_days_until_expiry") {
                let days = line
                    .rsplit_once(' ')
                    .and_then(|(_, value)| value.parse::<f64>().ok())
                    .map_or(f64::NAN, f64::floor);
                // `+ 0.0` turns a rounded -0 into 0.
                out.push_str(&format!("{series} {}", days + 0.0));
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
    // Every collector, the opt-in ones included.
    let setup = harness::start(SimulatorConfig::demo(), &["--collector.mdm_profiles"]).await;
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
        panic!(
            "/metrics differs from tests/golden/metrics.txt (run `make golden` if the change is intended):\n{}",
            diff(&expected, &actual)
        );
    }
}

/// A line diff of `expected` and `actual` (longest common subsequence), showing each
/// change with two lines of context.
fn diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    // common[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if j < new.len() && (i == old.len() || common[i][j + 1] >= common[i + 1][j]) {
            lines.push(('+', new[j]));
            j += 1;
        } else {
            lines.push(('-', old[i]));
            i += 1;
        }
    }
    let near_change = |at: usize| {
        lines[at.saturating_sub(2)..(at + 3).min(lines.len())]
            .iter()
            .any(|(mark, _)| *mark != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (at, (mark, line)) in lines.iter().enumerate() {
        if near_change(at) {
            out.push_str(&format!("{mark} {line}\n"));
            skipped = false;
        } else if !skipped {
            out.push_str("  …\n");
            skipped = true;
        }
    }
    out
}
