//! The runbooks of `docs/runbooks/`, built into the binary at compile time and served
//! at `/runbooks/NAME` as self-contained HTML pages: the landing page's "what to do"
//! links then work on a school network without internet, and on any fork.
//!
//! Each runbook's "What to do" section opens with a line `In short: …`; that sentence
//! is the first step the landing page writes beside each finding.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

use crate::renewals::RUNBOOK_BASE;

// `RUNBOOKS: &[(&str, &str)]`, (name, Markdown), sorted by name; written by build.rs.
include!(concat!(env!("OUT_DIR"), "/runbooks.rs"));

/// The Markdown of runbook `name` (an alert name, or `README`).
pub fn markdown(name: &str) -> Option<&'static str> {
    RUNBOOKS
        .binary_search_by(|(candidate, _)| (*candidate).cmp(name))
        .ok()
        .and_then(|index| RUNBOOKS.get(index))
        .map(|(_, text)| *text)
}

/// The names of every runbook built in.
pub fn names() -> impl Iterator<Item = &'static str> {
    RUNBOOKS.iter().map(|(name, _)| *name)
}

const FIRST_STEP: &str = "In short: ";

/// The first step of an alert's runbook, in words: its `In short:` sentence.
pub fn first_step(alert: &str) -> Option<&'static str> {
    markdown(alert)?
        .lines()
        .find_map(|line| line.strip_prefix(FIRST_STEP))
        .map(str::trim)
        .filter(|step| !step.is_empty())
}

/// Where a link of a runbook points once served: a sibling runbook (`X.md`) is
/// `/runbooks/X`; another relative link is the documented copy of the repository.
fn served_link(destination: &str) -> String {
    if destination.contains("://") || destination.starts_with('#') {
        return destination.to_owned();
    }
    let (path, anchor) = destination
        .split_once('#')
        .map_or((destination, ""), |(path, anchor)| (path, anchor));
    let anchor = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    match path.strip_suffix(".md") {
        Some(name) if markdown(name).is_some() => format!("{name}{anchor}"),
        _ => format!("{RUNBOOK_BASE}{path}{anchor}"),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;padding:0 1rem;\
color:#1f2328;max-width:48rem;line-height:1.5;overflow-wrap:break-word}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}\
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}pre code{padding:0}\
table{border-collapse:collapse;display:block;overflow-x:auto}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left}\
nav{color:#57606a}";

/// Runbook `name` as one HTML page with no scripts and no outside assets; raw HTML in
/// the Markdown is shown as text.
pub fn html_page(name: &str) -> Option<String> {
    let text = markdown(name)?;
    let events = Parser::new_ext(text, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::from(served_link(&dest_url)),
            title,
            id,
        }),
        other => other,
    });
    let mut body = String::with_capacity(text.len() * 2);
    html::push_html(&mut body, events);
    // `name` is a known runbook's file name, so it needs no escaping.
    let title = name;
    Some(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · jamf_exporter runbook</title><style>{STYLE}</style></head><body>\
<nav><a href=\"/\">jamf_exporter</a> · <a href=\"README\">All runbooks</a></nav>{body}</body></html>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runbook_is_built_in_sorted_by_name() {
        let listed: Vec<&str> = names().collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
        assert!(listed.contains(&"JamfVppTokenExpired"));
        assert!(listed.contains(&"README"));
    }

    #[test]
    fn every_alert_runbook_has_a_first_step_in_words() {
        let missing: Vec<&str> = names()
            .filter(|name| *name != "README" && first_step(name).is_none())
            .collect();
        assert!(missing.is_empty(), "no `In short:` line in {missing:?}");
        assert_eq!(
            first_step("JamfVppTokenExpired"),
            Some(
                "Download the new token in Apple School Manager (or Business Manager) under \
                 Payments and Billing, upload it in Jamf Pro under Settings → Global → Volume \
                 Purchasing, then Sync."
            )
        );
    }

    #[test]
    fn a_runbook_page_is_self_contained_and_links_to_served_runbooks() {
        let page = html_page("JamfVppTokenExpired").unwrap_or_default();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<h1>JamfVppTokenExpired</h1>"));
        assert!(page.contains("href=\"JamfVppTokenExpiringSoon\""));
        assert!(!page.contains("<script"));
        assert!(!page.contains("src="));
        assert!(!page.contains("<link"));
    }

    #[test]
    fn an_unknown_runbook_is_none() {
        assert!(html_page("NoSuchAlert").is_none());
        assert!(html_page("../Cargo").is_none());
        assert!(first_step("NoSuchAlert").is_none());
    }

    #[test]
    fn links_outside_the_runbooks_go_to_the_documented_copy() {
        assert_eq!(served_link("JamfApiDown.md#x"), "JamfApiDown#x");
        assert_eq!(
            served_link("../alerts.md"),
            format!("{RUNBOOK_BASE}../alerts.md")
        );
        assert_eq!(served_link("https://example.org/"), "https://example.org/");
    }
}
