#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tidy checks on the dashboards and alert rules, which users import as they are: every
//! dashboard is well formed and portable, every alert is complete, and every metric name they
//! use is one the exporter serves, as `tests/golden/metrics.txt` shows.
//!
//! These read files only and run with every `cargo test`. `tests/e2e` runs the same rules and
//! queries on a real Prometheus.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

/// The alerts of `contract.md`, with their severity.
const CONTRACT_ALERTS: &[(&str, &str)] = &[
    ("JamfVppTokenExpiringSoon", "warning"),
    ("JamfVppTokenExpiryImminent", "critical"),
    ("JamfVppTokenExpired", "critical"),
    ("JamfVppTokenMissing", "warning"),
    ("JamfVppLicensesDroppedToZero", "critical"),
    ("JamfVppLicensesExhausted", "warning"),
    ("JamfVppClientContextMismatch", "critical"),
    ("JamfVppSyncStale", "warning"),
    ("JamfVppTokenLocationChanged", "warning"),
    ("JamfVppAppleLocationShared", "critical"),
    ("JamfAdeTokenExpiringSoon", "warning"),
    ("JamfAdeTokenExpiryImminent", "critical"),
    ("JamfAdeTokenExpired", "critical"),
    ("JamfAdeSyncFailing", "warning"),
    ("JamfApnsCertificateExpiring", "warning"),
    ("JamfApnsCertificateExpired", "critical"),
    ("JamfBuiltinCaExpiringSoon", "warning"),
    ("JamfApiDown", "critical"),
    ("JamfCollectorFailing", "warning"),
    ("JamfExporterDown", "critical"),
    ("JamfExporterStalled", "critical"),
    ("JamfApiEndpointDeprecated", "info"),
    ("JamfSupervisionIdentityExpiringSoon", "warning"),
    ("JamfSupervisionIdentityExpired", "critical"),
    ("JamfCloudServicesTokenExpiringSoon", "warning"),
    ("JamfCloudServicesTokenExpired", "critical"),
    ("JamfSsoCertificateExpiringSoon", "warning"),
    ("JamfSsoCertificateExpired", "critical"),
    ("JamfCloudLdapCertificateExpiringSoon", "warning"),
    ("JamfCloudLdapCertificateExpired", "critical"),
    ("JamfServerCertificateExpiringSoon", "warning"),
    ("JamfServerCertificateExpired", "critical"),
    ("JamfAppleTermsNotAccepted", "critical"),
    ("JamfProLicenceExceeded", "warning"),
    ("JamfComplianceConnectionBroken", "warning"),
    ("JamfVppTokenRenewedNotSynced", "warning"),
    ("JamfMdmProfilesExpired", "warning"),
    ("JamfMdmProfilesExpiringWithoutAutoRenew", "warning"),
];

/// Metrics the exporter serves that the demo, and so the golden file, cannot show: the demo's
/// simulated Jamf Pro is plain HTTP (contract.md, "Demo data"). `tests/it/renewals.rs` checks
/// this one over TLS.
const NOT_IN_DEMO: &[&str] = &["jamf_server_certificate_expiry_timestamp_seconds"];

/// Panel types that need Grafana's Angular support, which Grafana 11 removed.
const ANGULAR_PANELS: &[&str] = &[
    "graph",
    "singlestat",
    "table-old",
    "grafana-piechart-panel",
    "grafana-singlestat-panel",
    "grafana-worldmap-panel",
    "natel-discrete-panel",
    "natel-plotly-panel",
    "briangann-gauge-panel",
    "briangann-datatable-panel",
    "vonage-status-panel",
    "btplc-status-dot-panel",
    "michaeldmoore-annunciator-panel",
    "savantly-heatmap-panel",
    "neocat-cal-heatmap-panel",
];

/// The two spellings Grafana accepts for the data source variable.
const DATASOURCE_REFERENCES: [&str; 2] = ["${datasource}", "$datasource"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files directly in `dir` whose name ends with one of `extensions`, sorted.
fn files(dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|error| panic!("{dir} is readable: {error}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            extensions.iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Fails with every problem found, one per line.
fn assert_none(problems: Vec<String>, what: &str) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

// ---------------------------------------------------------------------------------------------
// Dashboards

fn dashboards() -> Vec<(String, Json)> {
    let files = files("dashboards", &[".json"]);
    assert!(!files.is_empty(), "dashboards/ has no dashboard");
    files
        .iter()
        .map(|path| {
            let json = serde_json::from_str(&read(path))
                .unwrap_or_else(|error| panic!("{} is not valid JSON: {error}", path.display()));
            (file_name(path), json)
        })
        .collect()
}

/// Every panel, panels inside rows (collapsed or not) included.
fn panels(dashboard: &Json) -> Vec<&Json> {
    fn walk<'a>(panels: &'a Json, out: &mut Vec<&'a Json>) {
        for panel in panels.as_array().into_iter().flatten() {
            out.push(panel);
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

fn title(panel: &Json) -> String {
    format!(
        "panel {:?} (id {})",
        panel["title"].as_str().unwrap_or(""),
        panel["id"]
    )
}

#[test]
fn dashboards_parse_with_unique_stable_uids() {
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    let docs = read(&root().join("docs/dashboards.md"));
    for (file, dashboard) in dashboards() {
        let uid = dashboard["uid"].as_str().unwrap_or("");
        // Links, bookmarks and re-imports find a dashboard by its uid, so it never changes:
        // it is the file name, and docs/dashboards.md lists it.
        let stem = file.trim_end_matches(".json");
        if uid != stem {
            problems.push(format!("{file}: uid {uid:?} is not the file name {stem:?}"));
        }
        if uid.len() > 40
            || !uid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push(format!(
                "{file}: uid {uid:?} is not up to 40 letters, digits, - and _"
            ));
        }
        if !docs.contains(&format!("`{uid}`")) {
            problems.push(format!("{file}: uid {uid:?} is not in docs/dashboards.md"));
        }
        if let Some(other) = seen.insert(uid.to_owned(), file.clone()) {
            problems.push(format!("{file}: uid {uid:?} is also the uid of {other}"));
        }
        if !dashboard["id"].is_null() {
            problems.push(format!(
                "{file}: id is {}, not null: an exported id clashes on import",
                dashboard["id"]
            ));
        }
        match dashboard["schemaVersion"].as_u64() {
            Some(version) if version >= 36 => {}
            other => problems.push(format!("{file}: schemaVersion {other:?} is below 36")),
        }
        if dashboard["title"].as_str().unwrap_or("").is_empty() {
            problems.push(format!("{file}: no title"));
        }
    }
    assert_none(problems, "dashboard identity");
}

#[test]
fn dashboards_use_only_the_datasource_variable() {
    /// Every `datasource` value in the tree, with a path for messages.
    fn walk(value: &Json, path: String, out: &mut Vec<(String, Json)>) {
        match value {
            Json::Object(map) => {
                for (key, child) in map {
                    let child_path = format!("{path}.{key}");
                    if key == "datasource" {
                        out.push((child_path.clone(), child.clone()));
                    }
                    walk(child, child_path, out);
                }
            }
            Json::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(child, format!("{path}[{index}]"), out);
                }
            }
            _ => {}
        }
    }
    let references_variable = |datasource: &Json| match datasource {
        Json::String(text) => DATASOURCE_REFERENCES.contains(&text.as_str()),
        Json::Object(map) => {
            map.get("type").and_then(Json::as_str) == Some("prometheus")
                && map
                    .get("uid")
                    .and_then(Json::as_str)
                    .is_some_and(|uid| DATASOURCE_REFERENCES.contains(&uid))
        }
        _ => false,
    };
    let mut problems = Vec::new();
    for (file, dashboard) in dashboards() {
        let variables = dashboard["templating"]["list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let datasource_variable = variables.iter().find(|v| v["name"] == "datasource");
        match datasource_variable {
            Some(v) if v["type"] == "datasource" && v["query"] == "prometheus" => {}
            Some(v) => problems.push(format!(
                "{file}: variable datasource is of type {} over {}, not a prometheus data source variable",
                v["type"], v["query"]
            )),
            None => problems.push(format!("{file}: no datasource template variable")),
        }
        // Every data source in the dashboard is the variable, except Grafana's own built-in
        // annotation source.
        let mut found = Vec::new();
        walk(&dashboard, String::new(), &mut found);
        for (path, datasource) in found {
            let builtin_annotation = path.starts_with(".annotations.list")
                && datasource["type"] == "grafana"
                && datasource["uid"] == "-- Grafana --";
            if !builtin_annotation && !references_variable(&datasource) {
                problems.push(format!(
                    "{file}: {path} is {datasource}, not {{\"type\": \"prometheus\", \"uid\": \"${{datasource}}\"}}"
                ));
            }
        }
        // A panel or query without one would use Grafana's default data source.
        for panel in panels(&dashboard) {
            let targets = panel["targets"].as_array().cloned().unwrap_or_default();
            if !targets.is_empty() && panel.get("datasource").is_none() {
                problems.push(format!("{file}: {} has no datasource", title(panel)));
            }
            for target in &targets {
                if target.get("datasource").is_none() {
                    problems.push(format!(
                        "{file}: {} query {} has no datasource",
                        title(panel),
                        target["refId"]
                    ));
                }
            }
        }
        for variable in variables.iter().filter(|v| v["type"] == "query") {
            if variable.get("datasource").is_none() {
                problems.push(format!(
                    "{file}: variable {} has no datasource",
                    variable["name"]
                ));
            }
        }
    }
    assert_none(problems, "dashboard data sources");
}

#[test]
fn dashboards_declare_inputs_and_requires() {
    let mut problems = Vec::new();
    for (file, dashboard) in dashboards() {
        let inputs = dashboard["__inputs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !inputs
            .iter()
            .any(|input| input["type"] == "datasource" && input["pluginId"] == "prometheus")
        {
            problems.push(format!(
                "{file}: __inputs has no prometheus data source input"
            ));
        }
        let requires = dashboard["__requires"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if requires.is_empty() {
            problems.push(format!("{file}: no __requires"));
        }
        let required = |kind: &str, id: &str| {
            requires
                .iter()
                .any(|entry| entry["type"] == kind && entry["id"] == id)
        };
        for (kind, id) in [("grafana", "grafana"), ("datasource", "prometheus")] {
            if !required(kind, id) {
                problems.push(format!("{file}: __requires does not list {kind} {id}"));
            }
        }
        let used: BTreeSet<&str> = panels(&dashboard)
            .iter()
            .filter_map(|panel| panel["type"].as_str())
            .filter(|kind| *kind != "row")
            .collect();
        for kind in used {
            if !required("panel", kind) {
                problems.push(format!("{file}: __requires does not list panel {kind}"));
            }
        }
    }
    assert_none(problems, "dashboard __inputs and __requires");
}

#[test]
fn dashboards_have_no_angular_panels() {
    let mut problems = Vec::new();
    for (file, dashboard) in dashboards() {
        for panel in panels(&dashboard) {
            let kind = panel["type"].as_str().unwrap_or("");
            if ANGULAR_PANELS.contains(&kind) {
                problems.push(format!(
                    "{file}: {} is of the Angular type {kind:?}",
                    title(panel)
                ));
            }
            if kind.is_empty() {
                problems.push(format!("{file}: {} has no type", title(panel)));
            }
        }
    }
    assert_none(problems, "Angular panels, which Grafana 11 no longer shows");
}

// ---------------------------------------------------------------------------------------------
// Alert rules

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    alert: Option<String>,
    record: Option<String>,
    expr: String,
    #[serde(rename = "for")]
    for_duration: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Every rule of every rule file in `alerts/`, with its file name.
fn rules() -> Vec<(String, Rule)> {
    let files = files("alerts", &[".yml", ".yaml"]);
    assert!(!files.is_empty(), "alerts/ has no rule file");
    let mut out = Vec::new();
    for path in files {
        let file: RuleFile = serde_yaml_ng::from_str(&read(&path))
            .unwrap_or_else(|error| panic!("{} is not a rule file: {error}", path.display()));
        for group in file.groups {
            assert!(
                !group.name.is_empty(),
                "{}: a group has no name",
                path.display()
            );
            for rule in group.rules {
                out.push((file_name(&path), rule));
            }
        }
    }
    out
}

fn alerts() -> Vec<(String, Rule)> {
    rules()
        .into_iter()
        .filter(|(_, rule)| rule.alert.is_some())
        .collect()
}

/// `30s`, `5m`, `1h30m`: one or more numbers, each with a unit.
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|unit| rest.starts_with(unit));
        match unit {
            Some(unit) => rest = &rest[unit.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn every_alert_is_complete_and_has_a_runbook() {
    let mut problems = Vec::new();
    let mut bases = BTreeSet::new();
    for (file, rule) in alerts() {
        let name = rule.alert.as_deref().unwrap();
        if rule.record.is_some() {
            problems.push(format!(
                "{file}: {name} is both an alert and a recording rule"
            ));
        }
        match rule.labels.get("severity").map(String::as_str) {
            Some("critical" | "warning" | "info") => {}
            other => problems.push(format!(
                "{file}: {name} has severity {other:?}, not critical, warning or info"
            )),
        }
        for key in ["summary", "description", "runbook_url"] {
            if rule
                .annotations
                .get(key)
                .is_none_or(|text| text.trim().is_empty())
            {
                problems.push(format!("{file}: {name} has no {key} annotation"));
            }
        }
        match rule.for_duration.as_deref() {
            Some(duration) if is_duration(duration) => {}
            other => problems.push(format!("{file}: {name} has no valid for: ({other:?})")),
        }
        let page = format!("docs/runbooks/{name}.md");
        if !root().join(&page).is_file() {
            problems.push(format!("{file}: {name} has no runbook {page}"));
        }
        let url = rule
            .annotations
            .get("runbook_url")
            .cloned()
            .unwrap_or_default();
        match url.strip_suffix(&format!("/{page}")) {
            Some(base) => {
                bases.insert(base.to_owned());
            }
            None => problems.push(format!(
                "{file}: {name} has runbook_url {url:?}, which does not end with /{page}"
            )),
        }
    }
    if bases.len() > 1 {
        problems.push(format!(
            "runbook_url uses more than one base URL: {bases:?}"
        ));
    }
    let docs = read(&root().join("docs/alerts.md"));
    for base in &bases {
        if !docs.contains(base.as_str()) {
            problems.push(format!(
                "the runbook base URL {base} is not documented in docs/alerts.md"
            ));
        }
    }
    assert_none(problems, "incomplete alerts");
}

#[test]
fn alerts_are_those_of_the_contract() {
    let mut problems = Vec::new();
    let mut names = BTreeMap::new();
    for (file, rule) in alerts() {
        let name = rule.alert.clone().unwrap();
        let severity = rule.labels.get("severity").cloned().unwrap_or_default();
        if names.insert(name.clone(), severity).is_some() {
            problems.push(format!("{file}: alert {name} is defined twice"));
        }
    }
    let contract: BTreeMap<String, String> = CONTRACT_ALERTS
        .iter()
        .map(|(name, severity)| (name.to_string(), severity.to_string()))
        .collect();
    for (name, severity) in &contract {
        match names.get(name) {
            None => problems.push(format!("alert {name} of the contract is missing")),
            Some(got) if got != severity => problems.push(format!(
                "alert {name} has severity {got}, the contract says {severity}"
            )),
            Some(_) => {}
        }
    }
    for name in names.keys().filter(|name| !contract.contains_key(*name)) {
        problems.push(format!("alert {name} is not in the contract"));
    }
    assert_none(problems, "alerts differ from contract.md");
}

#[derive(Deserialize)]
struct RuleTestFile {
    #[serde(default)]
    tests: Vec<RuleTest>,
}

#[derive(Deserialize)]
struct RuleTest {
    #[serde(default)]
    alert_rule_test: Vec<AlertRuleTest>,
}

#[derive(Deserialize)]
struct AlertRuleTest {
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<serde_yaml_ng::Value>,
}

#[test]
fn every_alert_has_a_firing_and_a_silent_rule_test() {
    let mut fires = BTreeSet::new();
    let mut silent = BTreeSet::new();
    let mut problems = Vec::new();
    let names: BTreeSet<String> = alerts()
        .into_iter()
        .filter_map(|(_, rule)| rule.alert)
        .collect();
    for path in files("alerts/tests", &[".yml", ".yaml"]) {
        let file: RuleTestFile = serde_yaml_ng::from_str(&read(&path))
            .unwrap_or_else(|error| panic!("{} is not a rule test file: {error}", path.display()));
        for case in file.tests.iter().flat_map(|test| &test.alert_rule_test) {
            // A misspelt alert name never fires, so a test expecting silence would pass.
            if !names.contains(&case.alertname) {
                problems.push(format!(
                    "{}: tests {}, which is not an alert",
                    file_name(&path),
                    case.alertname
                ));
            }
            if case.exp_alerts.is_empty() {
                silent.insert(case.alertname.clone());
            } else {
                fires.insert(case.alertname.clone());
            }
        }
    }
    for name in &names {
        if !fires.contains(name) {
            problems.push(format!("{name} has no rule test in which it fires"));
        }
        if !silent.contains(name) {
            problems.push(format!("{name} has no rule test in which it does not fire"));
        }
    }
    assert_none(problems, "alerts/tests");
}

#[test]
fn every_runbook_belongs_to_an_alert() {
    let names: BTreeSet<String> = alerts()
        .into_iter()
        .filter_map(|(_, rule)| rule.alert)
        .collect();
    let problems = files("docs/runbooks", &[".md"])
        .iter()
        .map(|path| file_name(path))
        .filter(|name| name != "README.md")
        .filter(|name| !names.contains(name.trim_end_matches(".md")))
        .map(|name| format!("docs/runbooks/{name} is the runbook of no alert"))
        .collect();
    assert_none(problems, "orphan runbooks");
}

// ---------------------------------------------------------------------------------------------
// Metric names

/// PromQL words that are not metric names when they are not followed by `(`.
const PROMQL_WORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
    "atan2",
    "inf",
    "nan",
];

/// Words after which a parenthesised list holds label names.
const LABEL_LIST_WORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The metric names in a PromQL expression: identifiers that are not followed by `(`, are not
/// PromQL words, and are not inside strings, label matchers `{…}`, ranges `[…]` or the label
/// lists of `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`. Grafana
/// variables (`$job`, `${job}`) are skipped too.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let is_ident_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    // The index just past the string that opens at `start`.
    let skip_string = |start: usize| {
        let quote = chars[start];
        let mut i = start + 1;
        while i < chars.len() && chars[i] != quote {
            if chars[i] == '\\' && quote != '`' {
                i += 1;
            }
            i += 1;
        }
        i + 1
    };
    // The index just past the bracket that closes the one at `start`.
    let skip_bracketed = |start: usize| {
        let (open, close) = match chars[start] {
            '{' => ('{', '}'),
            '[' => ('[', ']'),
            _ => ('(', ')'),
        };
        let mut depth = 0;
        let mut i = start;
        while i < chars.len() {
            match chars[i] {
                '"' | '\'' | '`' => {
                    i = skip_string(i);
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        i
    };
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(i);
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '{' || c == '[' {
            i = skip_bracketed(i);
        } else if c.is_ascii_digit() || c == '$' {
            // A number or duration (1e3, 0x1f, 5m), or a Grafana variable.
            i += 1;
            if i < chars.len() && chars[i] == '{' {
                i = skip_bracketed(i);
            }
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let called = next < chars.len() && chars[next] == '(';
            if LABEL_LIST_WORDS.contains(&word.as_str()) {
                if called {
                    i = skip_bracketed(next);
                }
            } else if !called && !PROMQL_WORDS.contains(&word.to_ascii_lowercase().as_str()) {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn metric_names_are_found_in_promql() {
    let names = |expr| metric_names(expr).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(
            r#"count by (job, instance) (group by (job, asm_location) (last_over_time(jamf_vpp_location_info{job="jamf", location=~"a|b"}[1d]))) > 1"#
        ),
        ["jamf_vpp_location_info"]
    );
    assert_eq!(
        names("a_total{x=\"}\"} >= on(job, instance) group_left(location) (b:c:held > bool 0) or vector(0)"),
        ["a_total", "b:c:held"]
    );
    assert_eq!(
        names(
            r#"sum(rate(x_total{job=~"$job"}[$__rate_interval])) by (reason) / 1e3 unless up offset 5m"#
        ),
        ["up", "x_total"]
    );
    assert_eq!(names("time() - y # a comment naming z\n* 86400"), ["y"]);
    assert_eq!(
        names("label_replace(m, \"dst\", \"$1\", \"src\", \"(.*)\")"),
        ["m"]
    );
}

/// The metric names of the exposition in `tests/golden/metrics.txt`, and the few in
/// `NOT_IN_DEMO`.
fn golden_metric_names() -> BTreeSet<String> {
    read(&root().join("tests/golden/metrics.txt"))
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split(['{', ' ']).next().unwrap_or_default().to_owned())
        .chain(NOT_IN_DEMO.iter().map(|name| (*name).to_owned()))
        .collect()
}

/// Metric names inside the `query` calls of alert annotation templates, such as
/// `printf "jamf_vpp_licenses_purchased{job=%q,…}" … | query`: a name with a selector.
fn annotation_metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("jamf_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let after = &tail[end..];
        if after.starts_with('{') && !after.starts_with("{{") {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

#[test]
fn every_metric_used_by_dashboards_and_rules_is_exported() {
    let golden = golden_metric_names();
    assert!(
        golden.contains("jamf_up"),
        "tests/golden/metrics.txt has no jamf_up"
    );
    let rules = rules();
    let recorded: BTreeSet<String> = rules
        .iter()
        .filter_map(|(_, rule)| rule.record.clone())
        .collect();
    // What Prometheus itself adds to every target.
    let known = |name: &str| {
        golden.contains(name) || name == "up" || (name.contains(':') && recorded.contains(name))
    };
    let mut problems = Vec::new();
    for (file, rule) in &rules {
        let rule_name = rule
            .alert
            .as_deref()
            .or(rule.record.as_deref())
            .unwrap_or("?");
        for name in metric_names(&rule.expr) {
            if !known(&name) {
                problems.push(format!("{file}: rule {rule_name} uses {name}"));
            }
        }
        for (key, text) in &rule.annotations {
            for name in annotation_metric_names(text) {
                if !known(&name) {
                    problems.push(format!(
                        "{file}: annotation {key} of {rule_name} queries {name}"
                    ));
                }
            }
        }
    }
    for (file, dashboard) in dashboards() {
        for panel in panels(&dashboard) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap_or("");
                for name in metric_names(expr) {
                    // Recording rules may not exist in every Prometheus (docs/dashboards.md).
                    if !golden.contains(&name) && name != "up" {
                        problems.push(format!(
                            "{file}: {} query {} uses {name}",
                            title(panel),
                            target["refId"]
                        ));
                    }
                }
            }
        }
        for variable in dashboard["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if variable["type"] != "query" {
                continue;
            }
            let query = match &variable["query"] {
                Json::String(text) => text.clone(),
                object => object["query"].as_str().unwrap_or_default().to_owned(),
            };
            // label_values(selector, label): the label is not a metric.
            let selector = query
                .trim()
                .strip_prefix("label_values(")
                .and_then(|inner| inner.rsplit_once(','))
                .map(|(selector, _)| selector.to_owned())
                .unwrap_or(query);
            for name in metric_names(&selector) {
                if !golden.contains(&name) && name != "up" {
                    problems.push(format!("{file}: variable {} uses {name}", variable["name"]));
                }
            }
        }
    }
    assert_none(
        problems,
        "metric names that tests/golden/metrics.txt does not have",
    );
}

#[test]
fn example_scrape_job_is_the_one_the_rules_select() {
    let config: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&read(&root().join("examples/prometheus.yml"))).unwrap();
    let jobs: Vec<&str> = config["scrape_configs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|job| job["job_name"].as_str())
        .collect();
    assert!(
        jobs.contains(&"jamf"),
        "examples/prometheus.yml has no job jamf, which the rules select: {jobs:?}"
    );
    let rule_files: Vec<&str> = config["rule_files"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|file| file.as_str())
        .collect();
    for path in files("alerts", &[".yml", ".yaml"]) {
        let relative = format!("../alerts/{}", file_name(&path));
        assert!(
            rule_files.contains(&relative.as_str()),
            "examples/prometheus.yml does not load {relative}: {rule_files:?}"
        );
    }
}

/// `examples/prometheus-sd.yml` finds the Jamf servers through the exporters' `/sd` alone: no
/// static list of targets and no relabelling, under the job the rules select.
#[test]
fn discovery_example_needs_no_static_list_and_no_relabelling() {
    let config: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&read(&root().join("examples/prometheus-sd.yml"))).unwrap();
    let job = config["scrape_configs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|job| job["job_name"].as_str() == Some("jamf"))
        .expect("examples/prometheus-sd.yml has a job jamf");
    let urls: Vec<&str> = job["http_sd_configs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|sd| sd["url"].as_str())
        .collect();
    assert!(!urls.is_empty(), "no http_sd_configs");
    assert!(urls.iter().all(|url| url.ends_with("/sd")), "{urls:?}");
    for key in [
        "static_configs",
        "relabel_configs",
        "metrics_path",
        "params",
    ] {
        assert!(job.get(key).is_none(), "the jamf job sets {key}");
    }
}

/// The README's `cargo run --release -- --demo` needs cargo to know which binary to run,
/// since the benchmark helper is a second one.
#[test]
fn cargo_run_starts_the_exporter() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(
        manifest
            .lines()
            .any(|line| line.trim() == "default-run = \"jamf_exporter\""),
        "Cargo.toml must set default-run = \"jamf_exporter\""
    );
}

/// The top-level modules of `src/` and the modules each one names: a `use crate::X` or a
/// `crate::X::` path in `src/Y.rs` or under `src/Y/` counts as Y → X; a `crate::item` that
/// is no module counts as Y → lib, the crate root.
fn module_edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir()
            || (path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main")
        {
            modules.insert(name);
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for module in &modules {
        let mut files = Vec::new();
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        collect_rs(&src.join(module), &mut files);
        let targets = edges.entry(module.clone()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for named in crate_paths(&text) {
                let target = if modules.contains(&named) {
                    named
                } else {
                    "lib".to_owned()
                };
                if &target != module {
                    targets.insert(target);
                }
            }
        }
    }
    edges
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The first segment of every `crate::` path in `text`, braces of a `use` included
/// (`use crate::{a::B, c}` names `a` and `c`).
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `jamf_exporter_crate::`, not a path of this crate
        }
        if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut item = String::new();
            for c in inner[..end].chars().chain(std::iter::once(',')) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let first = item
                            .trim()
                            .split("::")
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_owned();
                        if !first.is_empty() && first != "self" {
                            found.push(first);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn crate_paths_are_read_from_uses_and_expressions() {
    let text = "use crate::config::{self, Config};\nuse crate::{jamf::{Auth, X}, snapshot};\nlet x = crate::poller_for(1);\nother_crate::y";
    assert_eq!(
        crate_paths(text),
        ["config", "jamf", "snapshot", "poller_for"]
    );
}

/// Dependencies point one way (ARCHITECTURE.md): no module of `src/` reaches, through
/// any chain of others, back to itself.
#[test]
fn top_level_modules_form_no_cycle() {
    let edges = module_edges();
    let mut cycles = Vec::new();
    for start in edges.keys() {
        // Depth-first from `start`, looking for a path back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(start.clone());
                    cycles.push(cycle.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
    let poller = &edges["poller"];
    assert!(
        !poller.contains("findings"),
        "the data layer does not call the judgement layer: poller uses {poller:?}"
    );
}
