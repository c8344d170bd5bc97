//! The queries of the Grafana dashboards in `dashboards/`, with their variables replaced as
//! Grafana would for "job jamf, every exporter, every location".

use std::path::Path;

use serde_json::Value;

/// One `targets[].expr` of one panel.
pub struct PanelQuery {
    pub dashboard: String,
    pub panel: String,
    pub ref_id: String,
    pub expr: String,
}

/// A `label_values(selector, label)` template variable.
pub struct VariableQuery {
    pub dashboard: String,
    pub variable: String,
    pub selector: String,
    pub label: String,
}

fn dashboards(root: &Path) -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(root.join("dashboards"))
        .expect("dashboards/ is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("dashboard is readable");
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, json)
        })
        .collect()
}

/// Every panel query of every dashboard, panels inside rows (collapsed or not) included.
pub fn panel_queries(root: &Path) -> Vec<PanelQuery> {
    fn walk(dashboard: &str, panels: &Value, out: &mut Vec<PanelQuery>) {
        for panel in panels.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("(untitled)");
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(PanelQuery {
                        dashboard: dashboard.to_owned(),
                        panel: title.to_owned(),
                        ref_id: target["refId"].as_str().unwrap_or("?").to_owned(),
                        expr: expr.to_owned(),
                    });
                }
            }
            walk(dashboard, &panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    for (name, dashboard) in dashboards(root) {
        walk(&name, &dashboard["panels"], &mut out);
    }
    out
}

/// Every `label_values(…)` query variable of every dashboard.
pub fn variable_queries(root: &Path) -> Vec<VariableQuery> {
    let mut out = Vec::new();
    for (name, dashboard) in dashboards(root) {
        for variable in dashboard["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if variable["type"] != "query" {
                continue;
            }
            let query = match &variable["query"] {
                Value::String(text) => text.clone(),
                object => object["query"].as_str().unwrap_or_default().to_owned(),
            };
            let Some(inner) = query
                .trim()
                .strip_prefix("label_values(")
                .and_then(|rest| rest.strip_suffix(')'))
            else {
                continue;
            };
            let Some((selector, label)) = inner.rsplit_once(',') else {
                continue;
            };
            out.push(VariableQuery {
                dashboard: name.clone(),
                variable: variable["name"].as_str().unwrap_or("?").to_owned(),
                selector: selector.trim().to_owned(),
                label: label.trim().to_owned(),
            });
        }
    }
    out
}

/// Replaces Grafana variables: `$job` by `jamf`, Grafana's interval variables by one minute,
/// and every other variable (`$instance`, `$location`, …) by `.*`, the "All" value of the
/// dashboards' multi-value variables. `$var`, `${var}` and `${var:format}` are understood.
pub fn substitute(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => {
                    let inside = &braced[..end];
                    (inside.split(':').next().unwrap_or(""), end + 2)
                }
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(match name {
            "job" => "jamf",
            "__rate_interval" | "__interval" | "__range" => "1m",
            "__interval_ms" | "__range_ms" => "60000",
            "__range_s" => "60",
            _ => ".*",
        });
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

#[test]
fn substitute_replaces_every_form() {
    assert_eq!(
        substitute(
            r#"rate(x{job=~"$job",instance=~"${instance}",l=~"${location:regex}"}[$__rate_interval])"#
        ),
        r#"rate(x{job=~"jamf",instance=~".*",l=~".*"}[1m])"#
    );
    assert_eq!(substitute("$"), "$");
    assert_eq!(substitute("a $__range_s b"), "a 60 b");
}
