//! The views for people, against the demo district: the landing page's "Action needed"
//! and the renewal calendar, as the exporter serves them after real refreshes.

use jamf_exporter::demo::SimulatorConfig;

use crate::harness;

fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn action_needed_shows_the_wrong_token_upload_after_the_third_refresh() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let (_, page) = setup.get("/").await;
    let before = section(&page, "action-needed");
    assert!(before.starts_with(
        "<section id=\"action-needed\"><h2>Action needed</h2><ol><li data-state=\"critical\">"
    ));
    assert!(before.contains("Harbor Middle School: Volume Purchasing token expired 3 days ago"));
    assert!(!before.contains("District Office"));

    setup.refresh().await;
    setup.refresh().await;
    let (_, page) = setup.get("/").await;
    let after = section(&page, "action-needed");
    assert!(after.contains("District Office: purchased licences dropped from 1200 to 0"));
    assert!(after.contains(
        "District Office most likely holds Lakeview High School&#39;s Volume Purchasing token: \
         both report the Apple location &quot;Lakeview High School&quot;"
    ));
    assert!(after.contains("href=\"/runbooks/JamfVppLicensesDroppedToZero\""));
    assert!(after.contains("href=\"/runbooks/JamfVppAppleLocationShared\""));
    // Critical items come before every warning.
    let states: Vec<&str> = after
        .split("<li data-state=\"")
        .skip(1)
        .map(|item| item.split('"').next().unwrap())
        .collect();
    let first_warning = states.iter().position(|s| *s == "warning").unwrap();
    assert!(states[first_warning..].iter().all(|s| *s == "warning"));
    assert_eq!(states[..first_warning].len(), 6, "{states:?}");
    // The District Office row is no longer green, in any table.
    for table in ["vpp", "renewals"] {
        let rows = section(&page, table);
        let row = rows
            .split("<tr")
            .find(|row| row.contains(">District Office<"))
            .unwrap();
        assert!(
            row.contains("<span class=\"state critical\">Critical</span>"),
            "{table}: {row}"
        );
    }
    setup.stop().await;
}

#[tokio::test]
async fn every_link_of_the_landing_page_answers_from_the_exporter_itself() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let (_, page) = setup.get("/").await;
    let links: std::collections::BTreeSet<&str> = page
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(links.iter().any(|link| link.starts_with("/runbooks/Jamf")));
    for link in links {
        assert!(link.starts_with('/'), "{link} leaves the exporter");
        let (status, _) = setup.get(&link.replace("&amp;", "&")).await;
        assert_eq!(status, 200, "{link}");
    }
    setup.stop().await;
}

#[tokio::test]
async fn runbooks_are_served_as_pages_and_an_unknown_one_is_404() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let (status, page) = setup.get("/runbooks/JamfAppleTermsNotAccepted").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>JamfAppleTermsNotAccepted</h1>"));
    assert!(!page.contains("<script"));
    for missing in [
        "/runbooks/NoSuchAlert",
        "/runbooks/../Cargo.toml",
        "/runbooks/",
    ] {
        assert_eq!(setup.get(missing).await.0, 404, "{missing}");
    }
    setup.stop().await;
}

#[tokio::test]
async fn the_pages_are_gzip_compressed_when_the_browser_asks() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    for path in ["/", "/runbooks/JamfVppTokenExpired"] {
        let response = setup
            .http
            .get(setup.url(path))
            .header("Accept-Encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(response.headers()["vary"], "Accept-Encoding", "{path}");
        let compressed = response.bytes().await.unwrap();
        let mut page = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&compressed[..]),
            &mut page,
        )
        .unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{path}");
        let plain = setup.http.get(setup.url(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
    }
    setup.stop().await;
}

#[tokio::test]
async fn the_page_and_the_calendar_show_dates_in_the_zone_asked_for() {
    let setup = harness::start(
        SimulatorConfig::demo(),
        &["--web.timezone", "America/Chicago"],
    )
    .await;
    let (_, page) = setup.get("/").await;
    assert!(page.contains(" CST") || page.contains(" CDT"), "{page}");
    assert!(!page.contains(" UTC ("));
    setup.stop().await;
}

#[tokio::test]
async fn the_calendar_has_one_event_per_dated_renewal_with_stable_uids() {
    let setup = harness::start(SimulatorConfig::demo(), &[]).await;
    let response = setup
        .http
        .get(setup.url("/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let first = response.text().await.unwrap();
    let uids = |feed: &str| -> Vec<String> {
        feed.split("\r\n")
            .filter_map(|line| line.strip_prefix("UID:"))
            .map(str::to_owned)
            .collect()
    };
    // Nine of ten locations have a token date, two ADE instances, one built-in CA, two
    // supervision identities, the Cloud Services connection, the SSO certificate and one
    // cloud LDAP keystore; the demo is plain HTTP, so no server certificate.
    assert_eq!(uids(&first).len(), 17, "{first}");
    assert!(uids(&first).contains(&"vpp-4@127.0.0.1".to_owned()));
    assert!(uids(&first).contains(&"builtin_ca@127.0.0.1".to_owned()));
    assert!(first.contains("SUMMARY:Renew Volume Purchasing token: Harbor Middle School\r\n"));
    setup.refresh().await;
    let (_, second) = setup.get("/calendar.ics").await;
    assert_eq!(uids(&first), uids(&second));
    setup.stop().await;
}
