//! `/calendar.ics`: every dated renewal as an all-day event (RFC 5545), so admins can
//! plan the renewals into their calendar and get reminded 30 and 7 days ahead.

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use crate::renewals::{renewals, runbook_url, Renewal};
use crate::snapshot::Snapshot;

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Days before the expiry date at which the two reminders fire.
const REMINDERS: [u32; 2] = [30, 7];

/// Escapes a TEXT value (RFC 5545 §3.3.11). Control characters other than a newline
/// are not allowed in TEXT and become spaces.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character,
/// and ends it with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        // A continuation line starts with a space, which counts toward its 75 octets.
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// The host part of the Jamf URL, which keeps UIDs stable across restarts (the port of
/// the demo's loopback simulator changes; its host does not).
fn host(instance_url: &str) -> String {
    reqwest::Url::parse(instance_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "jamf".to_owned())
}

fn uid(renewal: &Renewal, host: &str) -> String {
    match &renewal.id {
        Some(id) => format!("{}-{id}@{host}", renewal.kind.as_str()),
        None => format!("{}@{host}", renewal.kind.as_str()),
    }
}

fn summary(renewal: &Renewal) -> String {
    if renewal.kind.has_id() {
        format!("Renew {}: {}", renewal.kind.noun(), renewal.name)
    } else {
        format!("Renew the {}", renewal.kind.noun())
    }
}

/// The feed for one snapshot; `now` is the `DTSTAMP`. Each event falls on the expiry's
/// day in `zone` (`--web.timezone`): a token that expires at 00:00 UTC is due on the
/// evening before in America, and the event says so.
pub fn render(snapshot: &Snapshot, now: DateTime<Utc>, zone: Tz) -> String {
    let title = format!("Jamf Pro renewals ({})", host(&snapshot.instance_url));
    render_many(&title, &[snapshot], now, zone)
}

/// One feed for several Jamf servers (`--config.file`); the `UID`s stay apart because
/// each names its server's host.
pub fn render_many(title: &str, snapshots: &[&Snapshot], now: DateTime<Utc>, zone: Tz) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    let mut line = |text: String| out.push_str(&fold(&text));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//jamf_exporter//Renewal calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(title)));
    // Calendar clients re-read a subscription at their own pace; these ask for twice a day.
    line("REFRESH-INTERVAL;VALUE=DURATION:PT12H".into());
    line("X-PUBLISHED-TTL:PT12H".into());
    for (snapshot, renewal) in snapshots
        .iter()
        .flat_map(|snapshot| renewals(snapshot).into_iter().map(move |r| (snapshot, r)))
    {
        let host = host(&snapshot.instance_url);
        let local = renewal.expires.with_timezone(&zone);
        let day = local.date_naive();
        let next_day = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let what = summary(&renewal);
        let description = format!(
            "{} {} expires on {}.\nHow to renew: {}",
            match &renewal.id {
                Some(_) => format!("The {} for {}", renewal.kind.noun(), renewal.name),
                None => format!("The {}", renewal.kind.noun()),
            },
            match &renewal.id {
                Some(id) => format!("(id {id})"),
                None => "of this Jamf Pro".to_owned(),
            },
            local.format("%a %Y-%m-%d %H:%M %Z"),
            runbook_url(renewal.kind.soon_alert()),
        );
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&uid(&renewal, &host))));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
        line(format!("DTEND;VALUE=DATE:{}", next_day.format("%Y%m%d")));
        line(format!("SUMMARY:{}", escape_text(&what)));
        line(format!("DESCRIPTION:{}", escape_text(&description)));
        line("TRANSP:TRANSPARENT".into());
        for days in REMINDERS {
            line("BEGIN:VALARM".into());
            line("ACTION:DISPLAY".into());
            line(format!(
                "DESCRIPTION:{}",
                escape_text(&format!("{what} (in {days} days)"))
            ));
            line(format!("TRIGGER:-P{days}D"));
            line("END:VALARM".into());
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{BuiltinCa, VppLocation};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap()
    }

    fn snapshot(name: &str) -> Snapshot {
        Snapshot {
            instance_url: "https://school.jamfcloud.com:8443".into(),
            vpp: Some(Arc::new(vec![VppLocation {
                id: "4".into(),
                name: name.into(),
                asm_location: name.into(),
                organization: "Org".into(),
                country_code: "US".into(),
                site_id: "-1".into(),
                // 23:30 UTC: the event is on the UTC date, whatever the viewer's zone.
                token_expiry: Some(Utc.with_ymd_and_hms(2027, 3, 7, 23, 30, 0).unwrap()),
                ..Default::default()
            }])),
            builtin_ca: Some(BuiltinCa {
                not_after: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
            }),
            ..Snapshot::default()
        }
    }

    /// The feed with folded lines joined again.
    fn unfolded(feed: &str) -> String {
        feed.replace("\r\n ", "")
    }

    #[test]
    fn text_escaping_covers_backslash_semicolon_comma_and_newlines() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\u{7}h"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng h"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(100));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for physical in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        assert_eq!(unfolded(&folded), format!("{line}\r\n"));
        assert_eq!(fold("SHORT"), "SHORT\r\n");
        let exactly = "X".repeat(75);
        assert_eq!(fold(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn each_renewal_is_an_all_day_event_with_a_stable_uid_and_two_reminders() {
        let feed = render(&snapshot("Harbor Middle School"), now(), Tz::UTC);
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(!feed.replace("\r\n", "").contains('\n'), "bare LF");
        let feed = unfolded(&feed);
        assert!(feed.contains("UID:vpp-4@school.jamfcloud.com\r\n"));
        assert!(feed.contains("UID:builtin_ca@school.jamfcloud.com\r\n"));
        assert!(feed.contains("DTSTART;VALUE=DATE:20270307\r\nDTEND;VALUE=DATE:20270308\r\n"));
        assert!(feed.contains("SUMMARY:Renew Volume Purchasing token: Harbor Middle School\r\n"));
        assert!(feed.contains("SUMMARY:Renew the built-in certificate authority\r\n"));
        assert!(feed.contains("DTSTAMP:20270310T120000Z\r\n"));
        assert!(feed.contains(
            "https://github.com/jamf-exporter/jamf_exporter/blob/main/docs/runbooks/JamfVppTokenExpiringSoon.md"
        ));
        assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(feed.matches("TRIGGER:-P30D").count(), 2);
        assert_eq!(feed.matches("TRIGGER:-P7D").count(), 2);
        assert_eq!(feed.matches("ACTION:DISPLAY").count(), 4);
    }

    #[test]
    fn events_fall_on_the_expiry_day_in_the_zone_asked_for() {
        // 23:30 UTC on Sunday 7 March is Monday morning in Tokyo.
        let feed = unfolded(&render(
            &snapshot("Harbor Middle School"),
            now(),
            chrono_tz::Asia::Tokyo,
        ));
        assert!(feed.contains("DTSTART;VALUE=DATE:20270308\r\nDTEND;VALUE=DATE:20270309\r\n"));
        assert!(
            feed.contains("expires on Mon 2027-03-08 08:30 JST"),
            "{feed}"
        );
    }

    #[test]
    fn hostile_names_cannot_add_properties() {
        let feed = render(&snapshot("Evil\r\nBEGIN:VEVENT;X,Y\\"), now(), Tz::UTC);
        let lines = unfolded(&feed);
        let events = lines.split("\r\n").filter(|l| *l == "BEGIN:VEVENT").count();
        assert_eq!(events, 2);
        assert!(unfolded(&feed).contains(
            "SUMMARY:Renew Volume Purchasing token: Evil\\nBEGIN:VEVENT\\;X\\,Y\\\\\r\n"
        ));
    }

    #[test]
    fn an_empty_snapshot_is_a_valid_empty_calendar() {
        let feed = render(&Snapshot::default(), now(), Tz::UTC);
        assert!(!feed.contains("VEVENT"));
        assert!(feed.contains("X-WR-CALNAME:Jamf Pro renewals (jamf)\r\n"));
    }
}
