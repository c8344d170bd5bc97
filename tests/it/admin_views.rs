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
        "Lakeview High School and District Office report the same Apple location &quot;Lakeview High School&quot;"
    ));
    assert!(after.contains("docs/runbooks/JamfVppLicensesDroppedToZero.md"));
    assert!(after.contains("docs/runbooks/JamfVppAppleLocationShared.md"));
    // Critical items come before every warning.
    let states: Vec<&str> = after
        .split("<li data-state=\"")
        .skip(1)
        .map(|item| item.split('"').next().unwrap())
        .collect();
    let first_warning = states.iter().position(|s| *s == "warning").unwrap();
    assert!(states[first_warning..].iter().all(|s| *s == "warning"));
    assert_eq!(states[..first_warning].len(), 5, "{states:?}");
    // The District Office row is no longer green.
    let vpp = section(&page, "vpp");
    let row = vpp
        .split("<tr")
        .find(|row| row.contains(">District Office<"))
        .unwrap();
    assert!(row.contains("<span class=\"state critical\">Critical</span>"));
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
    // Eight of nine locations have a token date, two ADE instances, one built-in CA, two
    // supervision identities, the Cloud Services connection, the SSO certificate and one
    // cloud LDAP keystore; the demo is plain HTTP, so no server certificate.
    assert_eq!(uids(&first).len(), 16, "{first}");
    assert!(uids(&first).contains(&"vpp-4@127.0.0.1".to_owned()));
    assert!(uids(&first).contains(&"builtin_ca@127.0.0.1".to_owned()));
    assert!(first.contains("SUMMARY:Renew Volume Purchasing token: Harbor Middle School\r\n"));
    setup.refresh().await;
    let (_, second) = setup.get("/calendar.ics").await;
    assert_eq!(uids(&first), uids(&second));
    setup.stop().await;
}
