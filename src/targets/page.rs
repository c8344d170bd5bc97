//! The landing page with `--config.file`: one row per target of this shard, with its
//! state, last refresh and soonest renewal, linking to its probe and its own page.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::View;
use crate::findings::expiry_phrase;
use crate::landing::{age, date, day, escape, STYLE};
use crate::renewals::renewals;
use crate::snapshot::days_until;

/// Renders the table of targets at `now`.
pub fn render(
    view: &View,
    telemetry_path: &str,
    shard: super::Shard,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> String {
    let mut page = String::with_capacity(4096 + view.targets.len() * 512);
    let shard_note = if shard.total > 1 {
        format!(" · shard {} of {}", shard.index, shard.total)
    } else {
        String::new()
    };
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>jamf_exporter</title><style>{STYLE}</style></head><body>\
<h1>jamf_exporter</h1><p class=\"meta\">Version {} · {} Jamf Pro servers{shard_note} · \
<a href=\"{}\">Metrics</a> · <a href=\"/calendar.ics\">Renewal calendar</a> · \
<a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Ready</a></p>\
<section id=\"targets\"><h2>Jamf Pro servers</h2>",
        escape(env!("CARGO_PKG_VERSION")),
        view.targets.len(),
        escape(telemetry_path),
    );
    if view.targets.is_empty() {
        page.push_str("<p>No targets in this shard.</p>");
    } else {
        page.push_str(
            "<table><thead><tr><th>Target</th><th>Jamf Pro</th><th>State</th>\
<th>Last refresh</th><th>Soonest renewal</th><th>Links</th></tr></thead><tbody>",
        );
        for (name, target) in &view.targets {
            let snapshot = target.store.load();
            let state = match (snapshot.refreshes, snapshot.up) {
                (0, _) => "<span class=\"stale\">waiting for the first refresh</span>",
                (_, true) => "<span class=\"good\">reachable</span>",
                (_, false) => "<span class=\"bad\">unreachable or refusing the credentials</span>",
            };
            let soonest = renewals(&snapshot)
                .into_iter()
                .min_by_key(|renewal| renewal.expires)
                .map_or_else(
                    || "—".to_owned(),
                    |renewal| {
                        // Rounded as everywhere else (`expiry_phrase`).
                        format!(
                            "{} on {} ({})",
                            escape(&renewal.subject()),
                            day(renewal.expires, zone),
                            expiry_phrase(days_until(renewal.expires, now)),
                        )
                    },
                );
            let name = escape(name);
            let _ = write!(
                page,
                "<tr><td data-label=\"Target\"><a href=\"/?target={name}\">{name}</a></td>\
<td data-label=\"Jamf Pro\"><code>{}</code></td><td data-label=\"State\">{state}</td>\
<td data-label=\"Last refresh\">{} ({})</td><td data-label=\"Soonest renewal\">{soonest}</td>\
<td data-label=\"Links\"><a href=\"/probe?target={name}\">probe</a> · \
<a href=\"/?target={name}\">tokens</a> · <a href=\"/calendar.ics?target={name}\">calendar</a></td></tr>",
                escape(&snapshot.instance_url),
                escape(&date(snapshot.last_refresh, zone)),
                escape(&age(snapshot.last_refresh, now)),
            );
        }
        page.push_str("</tbody></table>");
    }
    page.push_str("</section></body></html>\n");
    page
}
