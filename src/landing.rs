//! The landing page at `/`, for a school admin who opens it once a month: what needs
//! doing first ("Action needed", from `findings`), then every dated renewal and the
//! details, with states in words as well as colours. One self-contained page with no
//! scripts, readable on a 390-px phone.
//!
//! Every piece of text from Jamf or the configuration is HTML-escaped. Credentials are
//! never part of the snapshot, so they cannot appear here.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::bands::TokenBands;
use crate::findings::{
    assessed_renewals, expiry_phrase, findings, notification_sentence, Finding, FindingKind, State,
    Thresholds,
};
use crate::renewals::RenewalKind;
use crate::snapshot::{days_until, AdeInstance, Snapshot, VppLocation};

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

/// The alert band of a token, as a row class; the thresholds match the alert rules.
fn urgency(days: Option<f64>, bands: TokenBands) -> &'static str {
    match days {
        None => "missing",
        Some(d) if d <= 0.0 => "expired",
        Some(d) if d < bands.critical_days() => "imminent",
        Some(d) if d < bands.warning_days() => "soon",
        Some(_) => "ok",
    }
}

/// A date and time with its weekday, in `zone`: "Sat 2026-12-12 14:03 CST".
pub fn date(instant: Option<DateTime<Utc>>, zone: Tz) -> String {
    instant.map_or_else(
        || "—".to_owned(),
        |i| {
            i.with_timezone(&zone)
                .format("%a %Y-%m-%d %H:%M %Z")
                .to_string()
        },
    )
}

/// A day with its weekday, in `zone`: "Sat 2026-12-12". A deadline at 00:00 UTC falls
/// on the evening before in America, and is shown so.
pub fn day(instant: DateTime<Utc>, zone: Tz) -> String {
    instant
        .with_timezone(&zone)
        .format("%a %Y-%m-%d")
        .to_string()
}

/// Where a finding's runbook is served: on the exporter itself.
pub fn runbook_link(alert: &str) -> String {
    format!("/runbooks/{alert}")
}

/// "2 critical, 9 warnings", or "Nothing needs action".
pub fn counts(found: &[Finding]) -> String {
    let critical = found.iter().filter(|f| f.state == State::Critical).count();
    let warning = found.iter().filter(|f| f.state == State::Warning).count();
    let mut parts = Vec::new();
    if critical > 0 {
        parts.push(format!("{critical} critical"));
    }
    match warning {
        0 => {}
        1 => parts.push("1 warning".to_owned()),
        n => parts.push(format!("{n} warnings")),
    }
    if parts.is_empty() {
        "Nothing needs action".to_owned()
    } else {
        parts.join(", ")
    }
}

/// "in 5 days", "expired 3 days ago", or "no date".
fn time_left(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    expiry.map_or_else(
        || "no date".to_owned(),
        |expiry| {
            let phrase = expiry_phrase(days_until(expiry, now));
            phrase
                .strip_prefix("expires ")
                .map_or(phrase.clone(), str::to_owned)
        },
    )
}

fn number(value: Option<f64>) -> String {
    // Adding 0.0 turns a negative zero into a positive one.
    value.map_or_else(|| "—".to_owned(), |n| format!("{:.0}", n + 0.0))
}

/// How long ago, in at most two units that roll over without jumps: "59 s ago",
/// "59 min ago", "1 h 59 min ago", "2 h ago", "1 day 3 h ago", "3 days ago".
pub(crate) fn age(instant: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(instant) = instant else {
        return "never".to_owned();
    };
    let seconds = (now - instant).num_seconds();
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match seconds {
        s if s < 0 => "just now".to_owned(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{minutes} min ago"),
        s if s < 86_400 && minutes == 0 => format!("{hours} h ago"),
        s if s < 86_400 => format!("{hours} h {minutes} min ago"),
        s if s < 172_800 && hours == 0 => "1 day ago".to_owned(),
        s if s < 172_800 => format!("1 day {hours} h ago"),
        _ => format!("{days} days ago"),
    }
}

fn took(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// The state in words, with its colour: "Critical", "Warning", "OK".
fn state_badge(state: State) -> String {
    let word = match state {
        State::Ok => "OK",
        State::Warning => "Warning",
        State::Critical => "Critical",
        State::Unknown => "Unknown",
    };
    format!("<span class=\"state {}\">{word}</span>", state.word())
}

/// A message without the leading "Name: " that the row already shows.
fn without_name<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(message)
}

/// A row's state and the reasons for it, from the findings about that row.
fn row_state(found: &[&Finding], name: &str) -> String {
    let state = found.iter().map(|f| f.state).max().unwrap_or(State::Ok);
    let mut cell = state_badge(state);
    for finding in found {
        let _ = write!(
            cell,
            "<span class=\"why\">{}</span>",
            escape(without_name(&finding.message, name))
        );
    }
    cell
}

/// Whether `finding`, of `kind`, is about the VPP location with id `id`.
fn about_location_id(kind: FindingKind, finding: &Finding, id: &str) -> bool {
    match kind {
        FindingKind::Renewal(RenewalKind::Vpp)
        | FindingKind::VppTokenMissing
        | FindingKind::VppLicensesExhausted
        | FindingKind::VppLicensesDropped
        | FindingKind::VppClientContextMismatch
        | FindingKind::VppSyncStale
        | FindingKind::VppTokenRenewedNotSynced => finding.id.as_deref() == Some(id),
        FindingKind::VppAppleLocationShared => finding
            .id
            .as_deref()
            .is_some_and(|ids| ids.split(',').any(|one| one == id)),
        _ => false,
    }
}

fn about_location<'a>(all: &'a [Finding], location: &VppLocation) -> Vec<&'a Finding> {
    all.iter()
        .filter(|finding| about_location_id(finding.kind, finding, &location.id))
        .collect()
}

fn about_instance<'a>(all: &'a [Finding], instance: &AdeInstance) -> Vec<&'a Finding> {
    all.iter()
        .filter(|finding| {
            matches!(
                finding.kind,
                FindingKind::Renewal(RenewalKind::Ade) | FindingKind::AdeSyncFailing
            ) && finding.id.as_deref() == Some(instance.id.as_str())
        })
        .collect()
}

/// Most urgent first: worst state, then earliest expiry, a missing date last.
fn by_urgency(
    a: (State, Option<DateTime<Utc>>),
    b: (State, Option<DateTime<Utc>>),
) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| match (a.1, b.1) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    })
}

/// The worst state among a row's findings (OK without any).
fn worst(found: &[&Finding]) -> State {
    found.iter().map(|f| f.state).max().unwrap_or(State::Ok)
}

/// A table's rows with their findings, most urgent first, and how many are OK.
fn ranked<'a, 'f, T>(
    items: &'a [T],
    findings: impl Fn(&T) -> Vec<&'f Finding>,
    expiry: impl Fn(&T) -> Option<DateTime<Utc>>,
) -> (Vec<(&'a T, Vec<&'f Finding>)>, usize) {
    let mut rows: Vec<(&T, Vec<&Finding>)> =
        items.iter().map(|item| (item, findings(item))).collect();
    rows.sort_by(|a, b| by_urgency((worst(&a.1), expiry(a.0)), (worst(&b.1), expiry(b.0))));
    let n_ok = rows.iter().filter(|row| worst(&row.1) == State::Ok).count();
    (rows, n_ok)
}

/// One table cell, labelled for the stacked phone layout. The explicit roles keep the
/// table a table for screen readers when the phone layout stacks its rows.
fn cell(label: &str, class: &str, html: &str) -> String {
    if class.is_empty() {
        format!("<td role=\"cell\" data-label=\"{label}\">{html}</td>")
    } else {
        format!("<td role=\"cell\" data-label=\"{label}\" class=\"{class}\">{html}</td>")
    }
}

/// A table's opening and header row. On a phone the headers are hidden from view but
/// stay in the accessibility tree; each cell shows its own label instead.
fn table_head(columns: &[&str]) -> String {
    let mut head = String::from("<table role=\"table\"><thead role=\"rowgroup\"><tr role=\"row\">");
    for column in columns {
        let _ = write!(
            head,
            "<th role=\"columnheader\" scope=\"col\">{column}</th>"
        );
    }
    head.push_str("</tr></thead><tbody role=\"rowgroup\">");
    head
}

/// The switch that folds a table's OK rows on a narrow screen, placed before the table:
/// a checkbox and its label, no script. Nothing when no row is OK.
fn fold(id: &str, n_ok: usize, what: &str) -> String {
    if n_ok == 0 {
        return String::new();
    }
    let (count, verb) = if n_ok == 1 {
        (format!("1 {what}"), "is")
    } else {
        (format!("{n_ok} {what}s"), "are")
    };
    format!(
        "<input type=\"checkbox\" id=\"{id}\" class=\"fold\">\
<label for=\"{id}\" class=\"fold\">{count} {verb} OK: show them</label>"
    )
}

/// A row's opening tag: its urgency class, and `okrow` for the folding.
fn row_open(class: &str, state: State) -> String {
    let ok = if state == State::Ok { " okrow" } else { "" };
    format!("<tr role=\"row\" class=\"{class}{ok}\">")
}

pub(crate) const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1f2328;max-width:80rem;overflow-wrap:break-word}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}\
.meta{color:#57606a}table{border-collapse:collapse;width:100%;margin-top:.5rem}\
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
.state{display:inline-block;padding:0 .4rem;border-radius:4px;font-weight:600}\
.state.ok{background:#dafbe1;color:#116329}.state.warning{background:#fff8c5;color:#7d4e00}\
.state.critical{background:#ffcecb;color:#a40e26}.state.unknown{background:#eaeef2}\
.why{display:block;font-size:.9em;color:#57606a}td.error{overflow-wrap:anywhere}\
#action-needed ol{padding-left:1.5rem}#action-needed li{margin:.4rem 0;padding:.3rem .5rem;border-left:4px solid #d0d7de}\
#action-needed li[data-state=critical]{border-color:#cf222e;background:#fff5f5}\
#action-needed li[data-state=warning]{border-color:#bf8700;background:#fffdf0}\
.deadline{color:#57606a;white-space:nowrap}.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}\
.stale{color:#9a6700}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px;word-break:break-all}\
.step{display:block;font-size:.92em;margin-top:.15rem}input.fold,label.fold{display:none}\
@media (max-width:600px){body{margin:1rem;overflow-wrap:anywhere}table,thead,tbody,tr,td{display:block}\
thead tr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}\
tr{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));grid-auto-flow:row dense;column-gap:.8rem;border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;padding:.3rem .6rem}\
td{border:0;padding:.1rem 0}td.wide{grid-column:1/-1}td.num{text-align:left;white-space:normal}td::before{content:attr(data-label) \": \";font-weight:600}\
label.fold{display:block;margin:.5rem 0;padding:.4rem .6rem;border:1px dashed #8c959f;border-radius:6px;color:#0969da;cursor:pointer}\
input.fold{display:inline;position:absolute;opacity:0;width:1px;height:1px}input.fold:checked+label.fold{display:none}input.fold:not(:checked)~table tr.okrow{display:none}\
input.fold:focus-visible+label.fold{outline:2px solid #0969da}}";

/// Where the page's header links point: the server's own endpoints, or one target's
/// forms of them (`/probe?target=NAME`, `/calendar.ics?target=NAME`).
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    pub metrics: &'a str,
    pub calendar: &'a str,
}

/// Renders the page for one snapshot at `now`, with dates in `zone`.
/// The VPP and ADE tokens are judged by `bands`.
pub fn render(
    snapshot: &Snapshot,
    links: Links<'_>,
    bands: TokenBands,
    now: DateTime<Utc>,
    zone: Tz,
) -> String {
    let all = findings(snapshot, Thresholds::Alerts(bands), now);
    let headline = if snapshot.refreshes == 0 {
        "Waiting for the first refresh".to_owned()
    } else {
        counts(&all)
    };
    let mut page = String::with_capacity(24 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} · jamf_exporter</title><style>{STYLE}</style></head><body>\
<h1>jamf_exporter</h1><p class=\"meta\">Version {} · Jamf Pro <code>{}</code> · \
<a href=\"{}\">Metrics</a> · <a href=\"{}\">Renewal calendar</a> · \
<a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Ready</a> · \
<a href=\"/runbooks/README\">Runbooks</a></p>",
        escape(&headline),
        escape(env!("CARGO_PKG_VERSION")),
        escape(&snapshot.server_name()),
        escape(links.metrics),
        escape(links.calendar),
    );
    let worst = all.iter().map(|f| f.state).max().unwrap_or(State::Ok);
    let headline_class = match worst {
        State::Critical => "bad",
        State::Warning => "stale",
        _ => "good",
    };
    let jamf_state = match (snapshot.refreshes, snapshot.up) {
        (0, _) => "waiting for the first refresh",
        (_, true) => "reachable",
        (_, false) => "unreachable or refusing the credentials",
    };
    let version = snapshot
        .version
        .as_ref()
        .and_then(|v| v.version.as_deref())
        .map_or_else(String::new, |v| format!(" · Jamf Pro {}", escape(v)));
    let health = match snapshot.healthcheck.as_ref().map(|h| h.code) {
        Some(0) => " · health check healthy".to_owned(),
        Some(code) => format!(" · health check <span class=\"bad\">code {code}</span>"),
        None => String::new(),
    };
    let data_from = match snapshot.last_refresh {
        Some(at) => format!(
            "data from {} ({})",
            escape(&date(Some(at), zone)),
            escape(&age(Some(at), now))
        ),
        None => "no data yet".to_owned(),
    };
    let _ = write!(
        page,
        "<p id=\"summary\"><strong class=\"{headline_class}\">{}</strong> · Jamf API {jamf_state} · {data_from}{version}{health}</p>",
        escape(&headline),
    );

    action_needed(&mut page, snapshot, &all, zone);
    renewal_table(&mut page, snapshot, &all, bands, now, zone);
    vpp_table(&mut page, snapshot, &all, bands, now, zone);
    ade_table(&mut page, snapshot, &all, bands, now, zone);
    notification_list(&mut page, snapshot);
    mdm_table(&mut page, snapshot, zone);
    collector_table(&mut page, snapshot, now);
    page.push_str("</body></html>\n");
    page
}

fn action_needed(page: &mut String, snapshot: &Snapshot, all: &[Finding], zone: Tz) {
    page.push_str("<section id=\"action-needed\"><h2>Action needed</h2>");
    if snapshot.refreshes == 0 {
        page.push_str("<p class=\"meta\">Waiting for the first refresh from Jamf Pro.</p>");
    } else if all.is_empty() {
        page.push_str("<p>Nothing needs action.</p>");
    } else {
        page.push_str("<ol>");
        for finding in all {
            let deadline = finding.expires.map_or_else(String::new, |at| {
                format!(
                    " <span class=\"deadline\">(deadline {})</span>",
                    day(at, zone)
                )
            });
            let step = crate::runbooks::first_step(finding.runbook)
                .map_or_else(String::new, |step| {
                    format!("<span class=\"step\">First step: {}</span>", escape(step))
                });
            let _ = write!(
                page,
                "<li data-state=\"{}\">{} {}{deadline}{step}<a href=\"{}\">What to do</a></li>",
                finding.state.word(),
                state_badge(finding.state),
                escape(&finding.message),
                escape(&runbook_link(finding.runbook)),
            );
        }
        page.push_str("</ol>");
    }
    page.push_str("</section>");
}

/// The findings that make a renewal row's state: its own expiry, and for a VPP
/// location or an ADE instance everything else found about it.
fn about_renewal<'a>(all: &'a [Finding], renewal: &'a Finding) -> Vec<&'a Finding> {
    let id = renewal.id.as_deref().unwrap_or_default();
    let mut found: Vec<&Finding> = all
        .iter()
        .filter(|finding| match (renewal.kind, finding.kind) {
            (FindingKind::Renewal(RenewalKind::Vpp), kind) => about_location_id(kind, finding, id),
            (FindingKind::Renewal(RenewalKind::Ade), FindingKind::AdeSyncFailing) => {
                finding.id.as_deref() == Some(id)
            }
            _ => false,
        })
        .collect();
    let listed = found
        .iter()
        .any(|f| f.kind == renewal.kind && f.id == renewal.id);
    if renewal.state > State::Ok && !listed {
        found.insert(0, renewal);
    }
    found
}

/// Every dated renewal, plus the APNs certificate, whose date Jamf does not publish;
/// most urgent first, each row as bad as the worst thing found about it.
fn renewal_table(
    page: &mut String,
    snapshot: &Snapshot,
    all: &[Finding],
    bands: TokenBands,
    now: DateTime<Utc>,
    zone: Tz,
) {
    page.push_str("<section id=\"renewals\"><h2>Renewals</h2>");
    let active = |code: &str| {
        snapshot
            .notifications
            .as_ref()
            .is_some_and(|map| map.get(code).is_some_and(|n| *n > 0))
    };
    let (apns_state, apns_words) = if snapshot.notifications.is_none() {
        (State::Unknown, "no data from Jamf Pro yet")
    } else if active("PUSH_CERT_EXPIRED") || active("APNS_CERT_REVOKED") {
        (
            State::Critical,
            "expired or revoked: Jamf Pro cannot manage any device",
        )
    } else if active("PUSH_CERT_WILL_EXPIRE") {
        (State::Warning, "expires soon, Jamf Pro warns")
    } else {
        (State::Ok, "no warning from Jamf Pro")
    };
    struct Row {
        state: State,
        ranks_by: Option<DateTime<Utc>>,
        html: String,
    }
    let mut rows: Vec<Row> = Vec::new();
    for renewal in assessed_renewals(snapshot, Thresholds::Alerts(bands), now) {
        let FindingKind::Renewal(kind) = renewal.kind else {
            continue;
        };
        let owner = if kind.has_id() {
            renewal.name.as_str()
        } else {
            "this Jamf Pro"
        };
        let found = about_renewal(all, &renewal);
        let state = found.iter().map(|f| f.state).max().unwrap_or(State::Ok);
        let html = format!(
            "{}{}{}{}{}{}</tr>",
            row_open("", state),
            cell("What", "wide", &escape(&capitalised(kind.noun()))),
            cell("For", "", &escape(owner)),
            cell("Expires", "wide", &escape(&date(renewal.expires, zone))),
            cell(
                "Time left",
                "num",
                &escape(&time_left(renewal.expires, now))
            ),
            cell("State", "wide", &row_state(&found, &renewal.name)),
        );
        rows.push(Row {
            state,
            ranks_by: renewal.expires,
            html,
        });
    }
    let apns_html = format!(
        "{}{}{}{}{}{}</tr>",
        row_open("", apns_state),
        cell("What", "wide", "Apple push certificate (APNs)"),
        cell("For", "", "this Jamf Pro"),
        cell("Expires", "", "not published by Jamf Pro"),
        cell("Time left", "num", apns_words),
        cell("State", "wide", &state_badge(apns_state)),
    );
    // Jamf warns about 30 days ahead without a date: a warning ranks first among the
    // warnings, like the findings.
    rows.push(Row {
        state: apns_state,
        ranks_by: (apns_state > State::Ok).then_some(now),
        html: apns_html,
    });
    rows.sort_by(|a, b| by_urgency((a.state, a.ranks_by), (b.state, b.ranks_by)));
    let n_ok = rows.iter().filter(|row| row.state == State::Ok).count();
    page.push_str(&fold("fold-renewals", n_ok, "renewal"));
    page.push_str(&table_head(&[
        "What",
        "For",
        "Expires",
        "Time left",
        "State",
    ]));
    for row in rows {
        page.push_str(&row.html);
    }
    page.push_str("</tbody></table></section>");
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn vpp_table(
    page: &mut String,
    snapshot: &Snapshot,
    all: &[Finding],
    bands: TokenBands,
    now: DateTime<Utc>,
    zone: Tz,
) {
    page.push_str("<section id=\"vpp\"><h2>Volume Purchasing</h2>");
    let locations = match &snapshot.vpp {
        None => {
            page.push_str("<p class=\"meta\">No data yet.</p></section>");
            return;
        }
        Some(locations) if locations.is_empty() => {
            page.push_str(
                "<p class=\"meta\">Jamf reports no Volume Purchasing locations.</p></section>",
            );
            return;
        }
        Some(locations) => locations,
    };
    let (rows, n_ok) = ranked(
        locations,
        |location| about_location(all, location),
        |location| location.token_expiry,
    );
    page.push_str(&fold("fold-vpp", n_ok, "location"));
    page.push_str(&table_head(&[
        "Location",
        "Apple location name",
        "Token expires",
        "Time left",
        "State",
        "Purchased",
        "Used",
        "Available",
        "Last sync",
        "Other MDM",
    ]));
    for (location, found) in rows {
        let left = location.token_expiry.map(|expiry| days_until(expiry, now));
        // Not clamped: a negative number shows over-assignment.
        let available = match (location.licenses_purchased, location.licenses_used) {
            (Some(p), Some(u)) => Some(p - u),
            _ => None,
        };
        let available_class = if available.is_some_and(|a| a < 0.0) {
            "num bad"
        } else {
            "num"
        };
        let mismatch = match location.client_context_mismatch {
            Some(true) => "<span class=\"bad\">yes</span>",
            Some(false) => "no",
            None => "—",
        };
        let _ = write!(
            page,
            "{}{}{}{}{}{}{}{}{}{}{}</tr>",
            row_open(urgency(left, bands), worst(&found)),
            cell("Location", "wide", &escape(&location.name)),
            cell(
                "Apple location name",
                "wide",
                &escape(&location.asm_location)
            ),
            cell(
                "Token expires",
                "wide",
                &escape(&date(location.token_expiry, zone))
            ),
            cell(
                "Time left",
                "days num",
                &escape(&time_left(location.token_expiry, now))
            ),
            cell("State", "wide", &row_state(&found, &location.name)),
            cell("Purchased", "num", &number(location.licenses_purchased)),
            cell("Used", "num", &number(location.licenses_used)),
            cell("Available", available_class, &number(available)),
            cell("Last sync", "", &escape(&age(location.last_sync, now))),
            cell("Other MDM", "", mismatch),
        );
    }
    page.push_str("</tbody></table></section>");
}

fn ade_table(
    page: &mut String,
    snapshot: &Snapshot,
    all: &[Finding],
    bands: TokenBands,
    now: DateTime<Utc>,
    zone: Tz,
) {
    let Some(instances) = &snapshot.ade else {
        return;
    };
    page.push_str("<section id=\"ade\"><h2>Automated Device Enrollment</h2>");
    if instances.is_empty() {
        page.push_str("<p class=\"meta\">Jamf reports no ADE instances.</p></section>");
        return;
    }
    let (rows, n_ok) = ranked(
        instances,
        |instance| about_instance(all, instance),
        |instance| instance.token_expiry,
    );
    page.push_str(&fold("fold-ade", n_ok, "instance"));
    page.push_str(&table_head(&[
        "Instance",
        "MDM server",
        "Token expires",
        "Time left",
        "State",
        "Latest sync",
        "Sync state",
    ]));
    for (instance, found) in rows {
        let left = instance.token_expiry.map(|expiry| days_until(expiry, now));
        let sync = match instance.last_sync_success {
            Some(true) => "<span class=\"good\">successful</span>",
            Some(false) => "<span class=\"bad\">failing</span>",
            None => "—",
        };
        let _ = write!(
            page,
            "{}{}{}{}{}{}{}{}</tr>",
            row_open(urgency(left, bands), worst(&found)),
            cell("Instance", "wide", &escape(&instance.name)),
            cell("MDM server", "", &escape(&instance.server_name)),
            cell(
                "Token expires",
                "wide",
                &escape(&date(instance.token_expiry, zone))
            ),
            cell(
                "Time left",
                "days num",
                &escape(&time_left(instance.token_expiry, now))
            ),
            cell("State", "wide", &row_state(&found, &instance.name)),
            cell("Latest sync", "", &escape(&age(instance.last_sync, now))),
            cell("Sync state", "", sync),
        );
    }
    page.push_str("</tbody></table></section>");
}

fn notification_list(page: &mut String, snapshot: &Snapshot) {
    let Some(notifications) = &snapshot.notifications else {
        return;
    };
    page.push_str("<section id=\"notifications\"><h2>Active Jamf notifications</h2>");
    if notifications.is_empty() {
        page.push_str("<p class=\"meta\">None.</p>");
    } else {
        page.push_str("<ul>");
        for (code, active) in notifications.iter() {
            let sentence = notification_sentence(code)
                .map_or_else(String::new, |sentence| format!("{sentence} "));
            let times = if *active > 1 {
                format!(" × {active}")
            } else {
                String::new()
            };
            let _ = write!(
                page,
                "<li>{}<code>{}</code>{times}</li>",
                escape(&sentence),
                escape(code)
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("</section>");
}

/// Managed devices' MDM profiles per platform (collector `mdm_profiles`).
fn mdm_table(page: &mut String, snapshot: &Snapshot, zone: Tz) {
    let Some(mdm) = &snapshot.mdm_profiles else {
        return;
    };
    page.push_str("<section id=\"mdm-profiles\"><h2>MDM profiles of managed devices</h2>");
    page.push_str(&table_head(&[
        "Devices",
        "Expired",
        "Expiring soon",
        "Next expiry",
        "Renewed automatically",
    ]));
    for (platform, counts) in mdm.platforms() {
        let devices = if platform == "computer" {
            "Computers"
        } else {
            "Mobile devices"
        };
        let renew = match counts.auto_renew {
            Some(true) => "yes",
            Some(false) => "<span class=\"bad\">no</span>",
            None => "unknown",
        };
        let _ = write!(
            page,
            "<tr role=\"row\">{}{}{}{}{}</tr>",
            cell("Devices", "wide", devices),
            cell("Expired", "num", &counts.expired.to_string()),
            cell("Expiring soon", "num", &counts.expiring.to_string()),
            cell("Next expiry", "", &escape(&date(counts.next_expiry, zone))),
            cell("Renewed automatically", "", renew),
        );
    }
    page.push_str("</tbody></table></section>");
}

fn collector_table(page: &mut String, snapshot: &Snapshot, now: DateTime<Utc>) {
    page.push_str("<section id=\"collectors\"><h2>Collectors</h2>");
    let healthy = |status: &crate::snapshot::CollectorStatus| {
        status.success && status.last_error.is_none() && status.last_attempt.is_some()
    };
    let n_ok = snapshot.collectors.iter().filter(|s| healthy(s)).count();
    page.push_str(&fold("fold-collectors", n_ok, "collector"));
    page.push_str(&table_head(&[
        "Collector",
        "State",
        "Last refresh",
        "Last success",
        "Duration",
        "Last error",
    ]));
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
            "{}{}{}{}{}{}{}</tr>",
            row_open(
                "",
                if healthy(status) {
                    State::Ok
                } else {
                    State::Warning
                }
            ),
            cell(
                "Collector",
                "wide",
                &format!("<code>{}</code>", status.name)
            ),
            cell("State", "", state),
            cell("Last refresh", "", &escape(&age(status.last_attempt, now))),
            cell("Last success", "", &escape(&age(status.last_success, now))),
            cell("Duration", "num", &took(status.duration)),
            cell("Last error", "error wide", &escape(&error)),
        );
    }
    page.push_str("</tbody></table></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKS: Links<'static> = Links {
        metrics: "/metrics",
        calendar: "/calendar.ics",
    };
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
                    token_expiry: Some(now + chrono::Duration::days(3)),
                    licenses_purchased: Some(10.0),
                    licenses_used: Some(4.0),
                    client_context_mismatch: Some(false),
                    ..Default::default()
                }]
                .into(),
            ),
            ..Snapshot::default()
        };
        let page = render(&snapshot, LINKS, TokenBands::DEFAULT, now, Tz::UTC);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("St. Mary&#39;s"));
        assert!(page.contains("class=\"imminent\""));
    }

    #[test]
    fn a_servers_own_bands_decide_what_is_soon_on_its_page() {
        let mut snapshot = demo_like();
        if let Some(locations) = snapshot.vpp.as_mut().map(std::sync::Arc::make_mut) {
            locations[0].token_expiry = Some(at() + chrono::Duration::days(40));
        }
        let day = std::time::Duration::from_secs(86_400);
        let longer = TokenBands::new(day * 45, day * 10).unwrap();
        let default = render(&snapshot, LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let banded = render(&snapshot, LINKS, longer, at(), Tz::UTC);
        let line = "Volume Purchasing token expires in 40 days";
        assert!(!default.contains(line), "40 days is fine under 30d/7d");
        assert!(banded.contains(line), "and due soon under a 45-day band");
    }

    fn at() -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap()
    }

    #[allow(clippy::needless_update)]
    fn demo_like() -> Snapshot {
        let now = at();
        let location = |id: &str, name: &str, days: Option<i64>| VppLocation {
            id: id.into(),
            name: name.into(),
            asm_location: name.into(),
            organization: "Lakeview".into(),
            country_code: "US".into(),
            site_id: "-1".into(),
            token_expiry: days
                .map(|d| now + chrono::Duration::days(d) + chrono::Duration::hours(1)),
            licenses_purchased: Some(100.0),
            licenses_used: Some(10.0),
            last_sync: Some(now - chrono::Duration::minutes(119)),
            client_context_mismatch: Some(false),
            // Every field is set on purpose; a new one takes its default here.
            ..Default::default()
        };
        let mut over = location("7", "West Elementary", Some(120));
        over.licenses_used = Some(120.0);
        Snapshot {
            instance_url: "https://school.jamfcloud.com".into(),
            refreshes: 3,
            up: true,
            last_refresh: Some(now - chrono::Duration::seconds(30)),
            vpp: Some(
                vec![
                    location("1", "Lakeview High School", Some(200)),
                    location("2", "North Elementary", Some(20)),
                    location("4", "Harbor Middle School", Some(-4)),
                    over,
                ]
                .into(),
            ),
            ade: Some(
                vec![
                    crate::snapshot::AdeInstance {
                        id: "1".into(),
                        name: "Healthy ADE".into(),
                        server_name: "MDM".into(),
                        token_expiry: Some(now + chrono::Duration::days(150)),
                        last_sync_success: Some(true),
                        ..Default::default()
                    },
                    crate::snapshot::AdeInstance {
                        id: "2".into(),
                        name: "Failing ADE".into(),
                        server_name: "MDM".into(),
                        token_expiry: Some(now + chrono::Duration::days(160)),
                        last_sync_success: Some(false),
                        ..Default::default()
                    },
                ]
                .into(),
            ),
            notifications: Some(
                [("PUSH_CERT_WILL_EXPIRE".to_owned(), 1)]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>()
                    .into(),
            ),
            ..Snapshot::default()
        }
    }

    #[test]
    fn action_needed_lists_findings_worst_first_with_deadline_and_runbook() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let start = page.find("<section id=\"action-needed\">").unwrap();
        let end = start + page[start..].find("</section>").unwrap();
        let section = &page[start..end];
        let states: Vec<&str> = section
            .split("<li data-state=\"")
            .skip(1)
            .map(|item| item.split('"').next().unwrap())
            .collect();
        assert_eq!(
            states,
            ["critical", "warning", "warning", "warning", "warning"]
        );
        let first = section.split("<li").nth(1).unwrap();
        assert!(first.contains("Harbor Middle School: Volume Purchasing token expired 3 days ago"));
        assert!(first.contains("(deadline Sat 2027-03-06)"));
        assert!(first.contains("href=\"/runbooks/JamfVppTokenExpired\""));
        assert!(first.contains(
            "First step: Download the new token in Apple School Manager (or Business Manager) \
             under Payments and Billing, upload it in Jamf Pro under Settings → Global → Volume \
             Purchasing, then Sync."
        ));
        assert!(!section.contains("PUSH_CERT_WILL_EXPIRE"));
        assert!(section.contains("The Apple push certificate expires soon"));
        assert!(section.contains("First step: Renew the push certificate in Jamf Pro under Settings → Global → Push Certificates with the same Apple Account"));
    }

    #[test]
    fn every_action_line_has_a_first_step_and_a_link_to_the_served_runbook() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let items: Vec<&str> = page.split("<li data-state=").skip(1).collect();
        assert!(!items.is_empty());
        for item in items {
            assert!(item.contains("First step: "), "{item}");
            assert!(item.contains("<a href=\"/runbooks/Jamf"), "{item}");
        }
        assert!(!page.contains("github.com"));
    }

    #[test]
    fn the_apns_warning_ranks_with_the_expiries_not_after_them() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let section = &page[..page.find("<section id=\"renewals\">").unwrap()];
        let apns = section.find("Apple push certificate").unwrap();
        let soon = section.find("North Elementary").unwrap();
        assert!(apns < soon);
    }

    #[test]
    fn the_title_and_first_line_count_what_needs_doing() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("<title>1 critical, 4 warnings · jamf_exporter</title>"));
        assert!(page.contains("<strong class=\"bad\">1 critical, 4 warnings</strong>"));
        let calm = Snapshot {
            refreshes: 1,
            up: true,
            ..Snapshot::default()
        };
        let page = render(&calm, LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("<title>Nothing needs action · jamf_exporter</title>"));
    }

    #[test]
    fn a_row_is_as_bad_as_the_worst_finding_about_it() {
        // District Office after the wrong upload: its token date is fine, its licences
        // dropped and it shares its Apple location.
        let mut snapshot = demo_like();
        let mut locations = snapshot.vpp.as_deref().cloned().unwrap_or_default();
        let mut office = locations[0].clone();
        office.id = "9".into();
        office.name = "District Office".into();
        office.licenses_purchased = Some(0.0);
        office.licenses_used = Some(0.0);
        locations.push(office);
        snapshot.vpp = Some(locations.into());
        snapshot.last_nonzero_purchased =
            std::sync::Arc::new([("9".to_owned(), 1200.0)].into_iter().collect());
        let page = render(&snapshot, LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let renewals = &page[page.find("<section id=\"renewals\">").unwrap()..];
        let renewals = &renewals[..renewals.find("</section>").unwrap()];
        let row = renewals
            .split("<tr role=\"row\"")
            .find(|row| row.contains(">District Office<"))
            .unwrap();
        assert!(row.contains("state critical"), "{row}");
        assert!(!row.contains("okrow"));
        assert!(page.contains(
            "District Office most likely holds Lakeview High School&#39;s Volume Purchasing token"
        ));
    }

    #[test]
    fn a_renewal_row_gives_each_reason_once() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let renewals = &page[page.find("<section id=\"renewals\">").unwrap()..];
        let row = renewals
            .split("<tr role=\"row\"")
            .find(|row| row.contains(">Harbor Middle School<"))
            .unwrap();
        assert_eq!(row.matches("token expired 3 days ago").count(), 1, "{row}");
    }

    #[test]
    fn ok_rows_can_fold_on_a_phone_and_headers_stay_headers() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("<input type=\"checkbox\" id=\"fold-vpp\" class=\"fold\">"));
        assert!(page.contains("1 location is OK: show them"));
        assert!(page.contains("class=\"ok okrow\""));
        assert!(page.contains("<th role=\"columnheader\" scope=\"col\">Location</th>"));
        assert!(!page.contains("thead{display:none}"));
    }

    #[test]
    fn dates_are_shown_in_the_zone_asked_for_with_their_weekday() {
        let page = render(
            &demo_like(),
            LINKS,
            TokenBands::DEFAULT,
            at(),
            chrono_tz::America::Chicago,
        );
        assert!(page.contains("data from Wed 2027-03-10 05:59 CST (30 s ago)"));
        // Harbor's token expired at 13:00 UTC on Saturday, 07:00 in Chicago.
        assert!(page.contains("(deadline Sat 2027-03-06)"));
    }

    #[test]
    fn nothing_needs_action_is_said_in_words() {
        let snapshot = Snapshot {
            refreshes: 1,
            up: true,
            ..Snapshot::default()
        };
        let page = render(&snapshot, LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("<section id=\"action-needed\"><h2>Action needed</h2><p>Nothing needs action.</p></section>"));
    }

    #[test]
    fn states_are_written_in_words_beside_the_colour() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("<span class=\"state critical\">Critical</span>"));
        assert!(page.contains("<span class=\"state warning\">Warning</span>"));
        assert!(page.contains("<span class=\"state ok\">OK</span>"));
        assert!(page.contains(">expired 3 days ago<"));
        assert!(page.contains(">in 20 days<"));
        assert!(!page.contains("-0.0") && !page.contains("-3.0"));
    }

    #[test]
    fn available_licences_may_be_negative() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("class=\"num bad\">-20</td>"));
    }

    #[test]
    fn apns_the_builtin_ca_and_notifications_read_in_plain_english() {
        let mut snapshot = demo_like();
        snapshot.builtin_ca = Some(crate::snapshot::BuiltinCa {
            not_after: Some(at() + chrono::Duration::days(400)),
        });
        let page = render(&snapshot, LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("Apple push certificate (APNs)"));
        assert!(page.contains("expires soon, Jamf Pro warns"));
        assert!(page.contains("Built-in certificate authority"));
        assert!(page.contains(
            "The Apple push certificate expires soon <code>PUSH_CERT_WILL_EXPIRE</code>"
        ));
    }

    #[test]
    fn ade_rows_are_sorted_by_urgency() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        let page = &page[page.find("<section id=\"ade\">").unwrap()..];
        let failing = page.find(">Failing ADE<").unwrap();
        let healthy = page.find(">Healthy ADE<").unwrap();
        assert!(failing < healthy);
    }

    #[test]
    fn the_data_time_is_absolute_and_relative() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert!(page.contains("data from Wed 2027-03-10 11:59 UTC (30 s ago)"));
    }

    #[test]
    fn ages_roll_over_without_jumps() {
        let ago = |s: i64| age(Some(at() - chrono::Duration::seconds(s)), at());
        assert_eq!(ago(59), "59 s ago");
        assert_eq!(ago(60), "1 min ago");
        assert_eq!(ago(3599), "59 min ago");
        assert_eq!(ago(3600), "1 h ago");
        assert_eq!(ago(119 * 60), "1 h 59 min ago");
        assert_eq!(ago(120 * 60), "2 h ago");
        assert_eq!(ago(86_399), "23 h 59 min ago");
        assert_eq!(ago(86_400), "1 day ago");
        assert_eq!(ago(86_400 + 3 * 3600), "1 day 3 h ago");
        assert_eq!(ago(3 * 86_400 + 5), "3 days ago");
        assert_eq!(ago(-5), "just now");
    }

    #[test]
    fn every_table_cell_is_labelled_for_the_phone_layout() {
        let page = render(&demo_like(), LINKS, TokenBands::DEFAULT, at(), Tz::UTC);
        assert_eq!(page.matches("<td>").count(), 0);
        assert!(page.contains("@media (max-width:600px)"));
        assert!(!page.contains("<script"));
    }
}
