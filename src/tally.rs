//! Counters with two labels, kept small: one process may run a thousand targets, each
//! with about 150 pre-initialised `refresh_errors` series and its request counts.
//!
//! The prometheus crate's `IntCounterVec` keeps, for every series, a copy of the
//! family's description and protobuf label pairs: about 600 bytes a series, 87 kB a
//! target, which made the counters most of a large fleet's memory (docs/benchmarks.md).
//! Here a series is its two label values (borrowed when they are `'static`) and a count.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

/// The label values of one series, in the family's label order.
pub type Labels = [Cow<'static, str>; 2];

/// One counter family with two labels.
#[derive(Debug, Default)]
pub struct Tally {
    series: Mutex<Vec<(Labels, u64)>>,
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Makes the series exist at 0, so that `rate()` sees its first increment.
    pub fn touch(&self, labels: [&'static str; 2]) {
        let mut series = self.lock();
        if !series.iter().any(|(have, _)| same(have, &labels)) {
            series.push((labels.map(Cow::Borrowed), 0));
        }
    }

    /// Adds `n` to the series of `labels`, creating it if needed.
    pub fn add(&self, labels: [&str; 2], n: u64) {
        let mut series = self.lock();
        match series.iter_mut().find(|(have, _)| same(have, &labels)) {
            Some((_, count)) => *count = count.saturating_add(n),
            None => series.push((labels.map(|l| Cow::Owned(l.to_owned())), n)),
        }
    }

    pub fn inc(&self, labels: [&str; 2]) {
        self.add(labels, 1);
    }

    /// The count of one series (0 when it does not exist).
    pub fn get(&self, labels: [&str; 2]) -> u64 {
        self.lock()
            .iter()
            .find(|(have, _)| same(have, &labels))
            .map_or(0, |(_, count)| *count)
    }

    /// Every series, sorted by its label values.
    pub fn sorted(&self) -> Vec<(Labels, u64)> {
        let mut series = self.lock().clone();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        series
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Labels, u64)>> {
        // A count is a plain number: a panic elsewhere cannot leave it half written.
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn same(have: &Labels, labels: &[&str; 2]) -> bool {
    have[0] == labels[0] && have[1] == labels[1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_start_at_zero_count_and_come_out_sorted() {
        let tally = Tally::new();
        tally.touch(["vpp", "timeout"]);
        tally.touch(["ade", "auth"]);
        tally.touch(["ade", "auth"]);
        tally.inc(["vpp", "timeout"]);
        tally.add(["/api/x", "200"], 3);
        assert_eq!(tally.get(["vpp", "timeout"]), 1);
        assert_eq!(tally.get(["nothing", "here"]), 0);
        let labels: Vec<String> = tally
            .sorted()
            .iter()
            .map(|(labels, count)| format!("{}/{}={count}", labels[0], labels[1]))
            .collect();
        assert_eq!(labels, ["/api/x/200=3", "ade/auth=0", "vpp/timeout=1"]);
    }

    #[test]
    fn a_count_saturates_instead_of_wrapping() {
        let tally = Tally::new();
        tally.add(["a", "b"], u64::MAX);
        tally.inc(["a", "b"]);
        assert_eq!(tally.get(["a", "b"]), u64::MAX);
    }
}
