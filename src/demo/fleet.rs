//! `--demo --demo.targets N`: a fleet of simulated Jamf Pro servers, so that `/probe`,
//! `/sd`, labels, per-target thresholds and a failing login can be tried with one
//! command. Names, labels and thresholds are the same on every start.
//!
//! - `demo-1` is the demo district ([`Dataset::demo`]);
//! - the others are small districts ([`Dataset::district`]) with their own dates;
//! - every server has a `customer` label;
//! - `demo-2` has a warning band of 45 days, so its ~40-day token is Soon there only;
//! - the last server's secret is wrong, so it shows `jamf_up 0` and `auth` errors.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Dataset, SimulatorConfig};

/// The customers of the fleet, in order; a fleet larger than this list numbers them.
const CUSTOMERS: [&str; 8] = [
    "lakeview",
    "harbor",
    "northfield",
    "riverside",
    "summit",
    "westbrook",
    "pinecrest",
    "eastgate",
];

/// The warning band of the server that shows per-target thresholds.
pub const THRESHOLD_WARNING: Duration = Duration::from_secs(45 * 86_400);

/// One simulated server of the fleet, and how the exporter is to reach it.
#[derive(Debug, Clone)]
pub struct DemoTarget {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// A warning band of its own (`thresholds: {warning: 45d}`), else the flags'.
    pub warning: Option<Duration>,
    /// The exporter is given a secret the simulator refuses.
    pub wrong_secret: bool,
    pub simulator: SimulatorConfig,
}

/// The `n` servers of `--demo.targets n` (n ≥ 2), at `now`.
pub fn fleet(n: usize, now: DateTime<Utc>) -> Vec<DemoTarget> {
    (1..=n)
        .map(|number| {
            let customer = match CUSTOMERS.get(number - 1) {
                Some(name) => (*name).to_owned(),
                None => format!("customer-{number}"),
            };
            let dataset = if number == 1 {
                Dataset::demo(now)
            } else {
                Dataset::district(&capitalised(&customer), number, 4, now)
            };
            DemoTarget {
                name: format!("demo-{number}"),
                labels: BTreeMap::from([("customer".to_owned(), customer)]),
                warning: (number == 2).then_some(THRESHOLD_WARNING),
                wrong_secret: number == n,
                simulator: SimulatorConfig {
                    dataset,
                    ..SimulatorConfig::demo()
                },
            }
        })
        .collect()
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_of_three_is_mixed_and_the_same_on_every_start() {
        let now = Utc::now();
        let fleet = fleet(3, now);
        let names: Vec<_> = fleet.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["demo-1", "demo-2", "demo-3"]);
        let customers: Vec<_> = fleet
            .iter()
            .map(|t| t.labels["customer"].as_str())
            .collect();
        assert_eq!(customers, ["lakeview", "harbor", "northfield"]);
        assert_eq!(fleet[0].simulator.dataset, Dataset::demo(now));
        assert_eq!(fleet[1].warning, Some(THRESHOLD_WARNING));
        assert_eq!(fleet[2].warning, None);
        let wrong: Vec<_> = fleet.iter().map(|t| t.wrong_secret).collect();
        assert_eq!(wrong, [false, false, true]);
        assert_ne!(fleet[1].simulator.dataset, fleet[2].simulator.dataset);
    }

    #[test]
    fn customers_beyond_the_list_are_numbered() {
        let fleet = fleet(10, Utc::now());
        assert_eq!(fleet[9].labels["customer"], "customer-10");
    }
}
