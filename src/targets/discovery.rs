//! `/sd`: Prometheus HTTP service discovery for the targets of this replica, so that
//! Prometheus needs no static list and no relabelling: each target group scrapes one
//! target's probe at this replica, with `instance` set to the target's name and the
//! target's `labels:` attached.

use serde::Serialize;
use std::collections::BTreeMap;

use super::View;

/// One target group of the answer.
#[derive(Serialize)]
struct Group<'a> {
    targets: [&'a str; 1],
    labels: BTreeMap<&'a str, &'a str>,
}

/// The JSON array for `view`, sorted by target name, every group pointing at
/// `address`; `tls` adds `__scheme__: https`.
pub fn discovery(view: &View, address: &str, tls: bool) -> String {
    // The view's map is ordered by name, so the groups are too.
    let groups: Vec<Group<'_>> = view
        .targets
        .values()
        .map(|target| {
            let spec = &target.spec;
            let mut labels: BTreeMap<&str, &str> = spec
                .labels
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str()))
                .collect();
            // The file's labels cannot use these names (config::file checks), so they
            // never override them.
            labels.insert("__metrics_path__", "/probe");
            labels.insert("__param_target", &spec.name);
            labels.insert("instance", &spec.name);
            if tls {
                labels.insert("__scheme__", "https");
            }
            Group {
                targets: [address],
                labels,
            }
        })
        .collect();
    // Serialising maps of strings cannot fail; an empty array is the safe answer anyway.
    serde_json::to_string(&groups).unwrap_or_else(|_| "[]".to_owned())
}
