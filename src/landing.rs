//! The landing page at `/`: what is configured and how the tokens look, at a glance.
//!
//! Every piece of text from Jamf or the configuration is HTML-escaped. Credentials are
//! never part of the snapshot, so they cannot appear here.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::snapshot::{days_until, Snapshot};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Urgency classes shared by the token tables; the thresholds match the alert rules.
fn urgency(days: Option<f64>) -> &'static str {
    match days {
        None => "missing",
        Some(d) if d <= 0.0 => "expired",
        Some(d) if d < 7.0 => "imminent",
        Some(d) if d < 30.0 => "soon",
        Some(_) => "ok",
    }
}

fn date(instant: Option<DateTime<Utc>>) -> String {
    instant.map_or_else(
        || "—".to_owned(),
        |i| i.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "no date".to_owned(), |d| format!("{d:.1}"))
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |n| format!("{n:.0}"))
}

fn age(instant: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(instant) = instant else {
        return "never".to_owned();
    };
    let seconds = (now - instant).num_seconds();
    match seconds {
        s if s < 0 => "just now".to_owned(),
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

fn took(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1f2328;max-width:80rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}\
.meta{color:#57606a}table{border-collapse:collapse;width:100%;margin-top:.5rem}\
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.ok td.days{background:#dafbe1}tr.soon td.days{background:#fff8c5}\
tr.imminent td.days{background:#ffd8b5}tr.expired td.days{background:#ffcecb;font-weight:600}\
tr.missing td.days{background:#eaeef2}.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}\
.stale{color:#9a6700}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}";

/// Renders the page for one snapshot at `now`.
pub fn render(snapshot: &Snapshot, telemetry_path: &str, now: DateTime<Utc>) -> String {
    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>jamf_exporter</title><style>{STYLE}</style></head><body>\
<h1>jamf_exporter</h1><p class=\"meta\">Version {} · Jamf Pro <code>{}</code> · \
<a href=\"{}\">Metrics</a> · <a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Ready</a></p>",
        escape(env!("CARGO_PKG_VERSION")),
        escape(&snapshot.instance_url),
        escape(telemetry_path),
    );
    let jamf_state = match (snapshot.refreshes, snapshot.up) {
        (0, _) => "<span class=\"stale\">waiting for the first refresh</span>".to_owned(),
        (_, true) => "<span class=\"good\">reachable</span>".to_owned(),
        (_, false) => {
            "<span class=\"bad\">unreachable or refusing the credentials</span>".to_owned()
        }
    };
    let version = snapshot
        .version
        .as_ref()
        .and_then(|v| v.version.as_deref())
        .map_or_else(String::new, |v| format!(" · Jamf Pro {}", escape(v)));
    let health = match snapshot.healthcheck.as_ref().map(|h| h.code) {
        Some(0) => " · health check <span class=\"good\">healthy</span>".to_owned(),
        Some(code) => format!(" · health check <span class=\"bad\">code {code}</span>"),
        None => String::new(),
    };
    let _ = write!(
        page,
        "<p>Jamf API: {jamf_state} · last refresh {}{version}{health}</p>",
        escape(&age(snapshot.last_refresh, now))
    );

    page.push_str("<h2>Volume Purchasing tokens</h2>");
    match &snapshot.vpp {
        None => page.push_str("<p class=\"meta\">No data yet.</p>"),
        Some(locations) if locations.is_empty() => {
            page.push_str("<p class=\"meta\">Jamf reports no Volume Purchasing locations.</p>")
        }
        Some(locations) => {
            page.push_str(
                "<table><thead><tr><th>Location</th><th>Apple location name</th><th>Token expires</th>\
<th>Days left</th><th>Purchased</th><th>Used</th><th>Available</th><th>Last sync</th><th>Other MDM</th></tr></thead><tbody>",
            );
            let mut rows: Vec<_> = locations.iter().collect();
            rows.sort_by(|a, b| {
                let key = |l: &crate::snapshot::VppLocation| {
                    l.token_expiry.map_or(f64::MIN, |e| e.timestamp() as f64)
                };
                key(a).total_cmp(&key(b))
            });
            for location in rows {
                let left = location.token_expiry.map(|expiry| days_until(expiry, now));
                let available = match (location.licenses_purchased, location.licenses_used) {
                    (Some(p), Some(u)) => Some((p - u).max(0.0)),
                    _ => None,
                };
                let mismatch = match location.client_context_mismatch {
                    Some(true) => "<span class=\"bad\">yes</span>",
                    Some(false) => "no",
                    None => "—",
                };
                let _ = write!(
                    page,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"days num\">{}</td>\
<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                    urgency(left),
                    escape(&location.name),
                    escape(&location.asm_location),
                    escape(&date(location.token_expiry)),
                    escape(&days(left)),
                    number(location.licenses_purchased),
                    number(location.licenses_used),
                    number(available),
                    escape(&age(location.last_sync, now)),
                    mismatch,
                );
            }
            page.push_str("</tbody></table>");
        }
    }

    if let Some(instances) = &snapshot.ade {
        page.push_str("<h2>Automated Device Enrollment tokens</h2>");
        if instances.is_empty() {
            page.push_str("<p class=\"meta\">Jamf reports no ADE instances.</p>");
        } else {
            page.push_str(
                "<table><thead><tr><th>Instance</th><th>MDM server</th><th>Token expires</th><th>Days left</th>\
<th>Latest sync</th><th>Sync state</th></tr></thead><tbody>",
            );
            for instance in instances.iter() {
                let left = instance.token_expiry.map(|expiry| days_until(expiry, now));
                let state = match instance.last_sync_success {
                    Some(true) => "<span class=\"good\">successful</span>",
                    Some(false) => "<span class=\"bad\">failing</span>",
                    None => "—",
                };
                let _ = write!(
                    page,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"days num\">{}</td><td>{}</td><td>{}</td></tr>",
                    urgency(left),
                    escape(&instance.name),
                    escape(&instance.server_name),
                    escape(&date(instance.token_expiry)),
                    escape(&days(left)),
                    escape(&age(instance.last_sync, now)),
                    state,
                );
            }
            page.push_str("</tbody></table>");
        }
    }

    if let Some(notifications) = &snapshot.notifications {
        page.push_str("<h2>Active Jamf notifications</h2>");
        if notifications.is_empty() {
            page.push_str("<p class=\"meta\">None.</p>");
        } else {
            page.push_str("<ul>");
            for (kind, active) in notifications.iter() {
                let _ = write!(page, "<li><code>{}</code> × {active}</li>", escape(kind));
            }
            page.push_str("</ul>");
        }
    }

    page.push_str(
        "<h2>Collectors</h2><table><thead><tr><th>Collector</th><th>State</th><th>Last refresh</th>\
<th>Last success</th><th>Duration</th><th>Last error</th></tr></thead><tbody>",
    );
    for status in &snapshot.collectors {
        let state = if status.last_attempt.is_none() {
            "<span class=\"stale\">waiting</span>"
        } else if status.unsupported {
            "<span class=\"stale\">not supported by this Jamf Pro</span>"
        } else if status.success {
            "<span class=\"good\">ok</span>"
        } else if status.stale() {
            "<span class=\"bad\">failing; serving stale data</span>"
        } else {
            "<span class=\"bad\">failing</span>"
        };
        let error = status
            .last_error
            .as_ref()
            .map_or_else(String::new, |(reason, message)| {
                format!("{reason}: {message}")
            });
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td>{state}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            status.name,
            escape(&age(status.last_attempt, now)),
            escape(&age(status.last_success, now)),
            took(status.duration),
            escape(&error),
        );
    }
    page.push_str("</tbody></table></body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::VppLocation;

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Zürich"), "Zürich");
    }

    #[test]
    fn location_names_are_escaped_in_the_page() {
        let now = Utc::now();
        let snapshot = Snapshot {
            refreshes: 1,
            vpp: Some(
                vec![VppLocation {
                    id: "1".into(),
                    name: "<script>alert(1)</script>".into(),
                    asm_location: "St. Mary's".into(),
                    organization: String::new(),
                    country_code: String::new(),
                    site_id: String::new(),
                    token_expiry: Some(now + chrono::Duration::days(3)),
                    licenses_purchased: Some(10.0),
                    licenses_used: Some(4.0),
                    last_sync: None,
                    client_context_mismatch: Some(false),
                }]
                .into(),
            ),
            ..Snapshot::default()
        };
        let page = render(&snapshot, "/metrics", now);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("St. Mary&#39;s"));
        assert!(page.contains("class=\"imminent\""));
    }
}
