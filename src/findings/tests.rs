// Records end in `..Default::default()` even where every field is set today, so a new
// field of a snapshot record needs no change here.
#![allow(clippy::needless_update)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::collectors::CollectorName;
use crate::snapshot::{remember_purchased, AdeInstance, CollectorStatus, VppLocation};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap()
}

fn in_days(days: f64) -> DateTime<Utc> {
    now() + TimeDelta::milliseconds((days * 86_400_000.0).round() as i64)
}

fn location(id: &str, name: &str) -> VppLocation {
    VppLocation {
        id: id.into(),
        name: name.into(),
        asm_location: name.into(),
        organization: "Lakeview".into(),
        token_expiry: Some(in_days(200.0)),
        licenses_purchased: Some(100.0),
        licenses_used: Some(10.0),
        last_sync: Some(now() - TimeDelta::hours(1)),
        client_context_mismatch: Some(false),
        ..Default::default()
    }
}

fn with_locations(locations: Vec<VppLocation>) -> Snapshot {
    Snapshot {
        refreshes: 1,
        up: true,
        vpp: Some(Arc::new(locations)),
        ..Snapshot::default()
    }
}

fn token_in(days: f64) -> Snapshot {
    let mut l = location("4", "Harbor Middle School");
    l.token_expiry = Some(in_days(days));
    with_locations(vec![l])
}

fn only(snapshot: &Snapshot) -> Finding {
    let found = findings(snapshot, Thresholds::ALERTS, now());
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().unwrap()
}

#[test]
fn a_healthy_district_needs_nothing() {
    let snapshot = with_locations(vec![location("1", "A"), location("2", "B")]);
    assert_eq!(findings(&snapshot, Thresholds::ALERTS, now()), []);
}

#[test]
fn exactly_thirty_days_left_is_fine_and_just_under_is_a_warning() {
    assert_eq!(findings(&token_in(30.0), Thresholds::ALERTS, now()), []);
    let soon = only(&token_in(29.99));
    assert_eq!(soon.state, State::Warning);
    assert_eq!(soon.days_left, Some(29));
    assert_eq!(soon.runbook, "JamfVppTokenExpiringSoon");
}

#[test]
fn exactly_seven_days_left_is_a_warning_not_critical() {
    let finding = only(&token_in(7.0));
    assert_eq!(finding.state, State::Warning);
    assert_eq!(finding.days_left, Some(7));
    assert_eq!(
        finding.message,
        "Harbor Middle School: Volume Purchasing token expires in 7 days"
    );
}

#[test]
fn six_point_nine_days_reads_as_six_and_is_critical() {
    let finding = only(&token_in(6.9));
    assert_eq!(finding.state, State::Critical);
    assert_eq!(finding.days_left, Some(6));
    assert_eq!(finding.runbook, "JamfVppTokenExpiryImminent");
    assert!(finding.message.ends_with("expires in 6 days"));
}

#[test]
fn expiring_right_now_is_expired_and_never_minus_zero() {
    for days in [0.0, -0.0, -0.0001] {
        let finding = only(&token_in(days));
        assert_eq!(finding.state, State::Critical);
        assert_eq!(finding.days_left, Some(0));
        assert_eq!(finding.runbook, "JamfVppTokenExpired");
        assert!(
            finding.message.ends_with("expired less than a day ago"),
            "{}",
            finding.message
        );
        assert!(!finding.message.contains("-0"));
    }
    let soon = only(&token_in(0.5));
    assert!(soon.message.ends_with("expires in less than a day"));
}

#[test]
fn an_expired_token_says_how_many_days_ago() {
    let finding = only(&token_in(-3.2));
    assert_eq!(finding.days_left, Some(-3));
    assert_eq!(
        finding.message,
        "Harbor Middle School: Volume Purchasing token expired 3 days ago"
    );
}

#[test]
fn check_thresholds_override_every_kind() {
    let thresholds = Thresholds::Check {
        warning_days: Some(250.0),
        critical_days: Some(210.0),
        bands: crate::bands::TokenBands::DEFAULT,
    };
    let found = findings(&token_in(200.0), thresholds, now());
    assert_eq!(found[0].state, State::Critical);
    let defaults = Thresholds::Check {
        warning_days: None,
        critical_days: None,
        bands: crate::bands::TokenBands::DEFAULT,
    };
    assert_eq!(defaults.warning(RenewalKind::BuiltinCa), 60.0);
    assert_eq!(defaults.critical(RenewalKind::ServerCertificate), 3.0);
    assert_eq!(defaults.warning(RenewalKind::ServerCertificate), 14.0);
    // The landing page pages only where an alert pages: no imminent band here.
    assert_eq!(Thresholds::ALERTS.critical(RenewalKind::CloudServices), 0.0);
}

#[test]
fn the_builtin_ca_warns_sixty_days_ahead() {
    let snapshot = Snapshot {
        builtin_ca: Some(crate::snapshot::BuiltinCa {
            not_after: Some(in_days(45.0)),
            ..Default::default()
        }),
        ..Snapshot::default()
    };
    let finding = only(&snapshot);
    assert_eq!(finding.state, State::Warning);
    assert_eq!(finding.id, None);
    assert_eq!(
        finding.message,
        "Built-in certificate authority expires in 45 days"
    );
    assert_eq!(finding.runbook, "JamfBuiltinCaExpiringSoon");
}

#[test]
fn a_location_without_a_token_date_is_a_warning() {
    let mut l = location("5", "St. Mary's Annex");
    l.token_expiry = None;
    let finding = only(&with_locations(vec![l]));
    assert_eq!(finding.kind, FindingKind::VppTokenMissing);
    assert_eq!(finding.state, State::Warning);
}

#[test]
fn used_equal_to_purchased_is_exhausted_and_over_use_says_so() {
    let mut equal = location("7", "West Elementary");
    equal.licenses_used = Some(100.0);
    let finding = only(&with_locations(vec![equal]));
    assert_eq!(finding.kind, FindingKind::VppLicensesExhausted);
    assert_eq!(
        finding.message,
        "West Elementary: all 100 purchased licences are in use"
    );
    let mut over = location("7", "West Elementary");
    over.licenses_used = Some(120.0);
    assert!(only(&with_locations(vec![over]))
        .message
        .contains("120 licences are in use but only 100"));
}

#[test]
fn a_location_that_never_had_licences_raises_nothing() {
    let mut never = location("6", "Adult Education Center");
    never.licenses_purchased = Some(0.0);
    never.licenses_used = Some(0.0);
    let snapshot = with_locations(vec![never]);
    let next = Snapshot {
        last_nonzero_purchased: remember_purchased(&snapshot),
        ..snapshot
    };
    assert!(next.last_nonzero_purchased.is_empty());
    assert_eq!(findings(&next, Thresholds::ALERTS, now()), []);
}

#[test]
fn a_drop_to_zero_seen_by_the_process_is_critical() {
    let before = with_locations(vec![{
        let mut l = location("9", "District Office");
        l.licenses_purchased = Some(1200.0);
        l
    }]);
    let remembered = remember_purchased(&before);
    assert_eq!(remembered.get("9"), Some(&1200.0));
    let mut dropped = location("9", "District Office");
    dropped.licenses_purchased = Some(0.0);
    dropped.licenses_used = Some(0.0);
    let after = Snapshot {
        last_nonzero_purchased: remembered,
        ..with_locations(vec![dropped])
    };
    // The memory keeps the count from before the drop.
    assert_eq!(remember_purchased(&after).get("9"), Some(&1200.0));
    let finding = only(&after);
    assert_eq!(finding.kind, FindingKind::VppLicensesDropped);
    assert_eq!(finding.state, State::Critical);
    assert_eq!(
        finding.message,
        "District Office: purchased licences dropped from 1200 to 0"
    );
}

#[test]
fn the_memory_keeps_the_last_nonzero_count_and_forgets_unlisted_locations() {
    let mut old = BTreeMap::new();
    old.insert("9".to_owned(), 1200.0);
    old.insert("gone".to_owned(), 5.0);
    let mut l = location("9", "District Office");
    l.licenses_purchased = Some(800.0);
    let snapshot = Snapshot {
        last_nonzero_purchased: Arc::new(old),
        ..with_locations(vec![l])
    };
    let remembered = remember_purchased(&snapshot);
    assert_eq!(remembered.get("9"), Some(&800.0));
    assert_eq!(remembered.get("gone"), None);
    // Without VPP data (the collector never succeeded) nothing changes.
    let empty = Snapshot::default();
    assert!(Arc::ptr_eq(
        &remember_purchased(&empty),
        &empty.last_nonzero_purchased
    ));
}

#[test]
fn another_mdm_using_the_token_is_critical() {
    let mut l = location("8", "South Middle School");
    l.client_context_mismatch = Some(true);
    let finding = only(&with_locations(vec![l]));
    assert_eq!(finding.kind, FindingKind::VppClientContextMismatch);
    assert_eq!(finding.state, State::Critical);
}

#[test]
fn a_sync_older_than_two_days_is_stale() {
    let mut l = location("4", "Harbor");
    l.last_sync = Some(now() - TimeDelta::hours(49));
    let finding = only(&with_locations(vec![l]));
    assert_eq!(finding.kind, FindingKind::VppSyncStale);
    let mut fresh = location("4", "Harbor");
    fresh.last_sync = Some(now() - TimeDelta::hours(47));
    assert_eq!(
        findings(&with_locations(vec![fresh]), Thresholds::ALERTS, now()),
        []
    );
}

#[test]
fn two_locations_with_one_apple_location_are_critical_but_not_across_organizations() {
    let mut wrong = location("9", "District Office");
    wrong.asm_location = "Lakeview High School".into();
    let right = location("1", "Lakeview High School");
    let finding = only(&with_locations(vec![right.clone(), wrong.clone()]));
    assert_eq!(finding.kind, FindingKind::VppAppleLocationShared);
    assert_eq!(finding.state, State::Critical);
    assert_eq!(finding.id.as_deref(), Some("1,9"));
    assert_eq!(
        finding.message,
        "District Office most likely holds Lakeview High School's Volume Purchasing token: \
         both report the Apple location \"Lakeview High School\""
    );
    assert_eq!(finding.name, "District Office");
    let mut elsewhere = wrong;
    elsewhere.organization = "Another District".into();
    assert_eq!(
        findings(
            &with_locations(vec![right, elsewhere]),
            Thresholds::ALERTS,
            now()
        ),
        []
    );
}

#[test]
fn a_failing_ade_sync_is_a_warning() {
    let snapshot = Snapshot {
        ade: Some(Arc::new(vec![AdeInstance {
            id: "2".into(),
            name: "Lakeview Macs".into(),
            server_name: "MDM".into(),
            token_expiry: Some(in_days(100.0)),
            last_sync_success: Some(false),
            ..Default::default()
        }])),
        ..Snapshot::default()
    };
    let finding = only(&snapshot);
    assert_eq!(finding.kind, FindingKind::AdeSyncFailing);
    assert_eq!(finding.runbook, "JamfAdeSyncFailing");
}

#[test]
fn the_location_whose_licences_dropped_is_named_as_holding_the_wrong_token() {
    // Both carry their own names, so only the drop tells them apart.
    let mut dropped = location("9", "Lakeview High School");
    dropped.licenses_purchased = Some(0.0);
    let right = location("1", "Lakeview High School");
    let mut snapshot = with_locations(vec![right, dropped]);
    snapshot.last_nonzero_purchased = Arc::new(BTreeMap::from([("9".to_owned(), 1200.0)]));
    let shared = findings(&snapshot, Thresholds::ALERTS, now())
        .into_iter()
        .find(|f| f.kind == FindingKind::VppAppleLocationShared)
        .unwrap();
    assert_eq!(shared.id.as_deref(), Some("1,9"));
    assert!(shared.message.contains("most likely holds"));
    let suspect_first = shared.message.split(" most likely").next();
    assert_eq!(suspect_first, Some("Lakeview High School"));
}

#[test]
fn a_token_uploaded_without_a_sync_since_is_renewed_but_not_synced() {
    let mut renewed = location("10", "Riverside");
    renewed.token_expiry = Some(in_days(364.0));
    renewed.last_sync = Some(now() - TimeDelta::days(3));
    let found = findings(&with_locations(vec![renewed]), Thresholds::ALERTS, now());
    let kinds: Vec<FindingKind> = found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::VppSyncStale,
            FindingKind::VppTokenRenewedNotSynced
        ]
    );
    assert_eq!(found[1].runbook, "JamfVppTokenRenewedNotSynced");

    let mut synced = location("10", "Riverside");
    synced.token_expiry = Some(in_days(364.0));
    synced.last_sync = Some(now() - TimeDelta::hours(1));
    assert_eq!(
        findings(&with_locations(vec![synced]), Thresholds::ALERTS, now()),
        []
    );
    let mut never = location("10", "Riverside");
    never.token_expiry = Some(in_days(364.0));
    never.last_sync = None;
    assert_eq!(
        findings(&with_locations(vec![never]), Thresholds::ALERTS, now()),
        []
    );
}

#[test]
fn notifications_without_a_date_become_findings_in_words() {
    let active: BTreeMap<String, u64> = [
        ("APPLE_SCHOOL_MANAGER_T_C_NOT_SIGNED", 1),
        ("EXCEEDED_LICENSE_COUNT", 1),
        ("MII_UNATHORIZED_RESPONSE_NOTIFICATION", 2),
        ("BEYOND_CORP_CONNECTION_ERROR", 0),
    ]
    .into_iter()
    .map(|(code, n)| (code.to_owned(), n))
    .collect();
    let snapshot = Snapshot {
        notifications: Some(Arc::new(active)),
        ..Snapshot::default()
    };
    let found = findings(&snapshot, Thresholds::ALERTS, now());
    let summary: Vec<(State, &str)> = found.iter().map(|f| (f.state, f.runbook)).collect();
    assert_eq!(
        summary,
        [
            (State::Critical, "JamfAppleTermsNotAccepted"),
            (State::Warning, "JamfProLicenceExceeded"),
            (State::Warning, "JamfComplianceConnectionBroken"),
        ]
    );
    assert!(found.iter().all(|f| !f.message.contains('_')));
}

#[test]
fn expired_mdm_profiles_and_expiring_ones_without_auto_renew_are_warnings() {
    use crate::snapshot::{MdmPlatform, MdmProfiles};
    let snapshot = Snapshot {
        mdm_profiles: Some(MdmProfiles {
            computers: MdmPlatform {
                expiring: 3,
                expired: 1,
                next_expiry: Some(in_days(3.0)),
                auto_renew: Some(true),
            },
            mobile_devices: MdmPlatform {
                expiring: 2,
                expired: 0,
                next_expiry: Some(in_days(9.0)),
                auto_renew: Some(false),
            },
        }),
        ..Snapshot::default()
    };
    let found = findings(&snapshot, Thresholds::ALERTS, now());
    let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "1 managed computer with an expired MDM profile: Jamf Pro can no longer manage it",
            "2 MDM profiles of managed mobile devices expire soon, and Jamf Pro does not renew them automatically",
        ]
    );
    // Unknown auto-renew (no privilege for the settings) raises nothing.
    let mut unknown = snapshot.clone();
    if let Some(mdm) = unknown.mdm_profiles.as_mut() {
        mdm.mobile_devices.auto_renew = None;
        mdm.computers.expired = 0;
    }
    assert_eq!(findings(&unknown, Thresholds::ALERTS, now()), []);
}

#[test]
fn apns_notifications_become_sentences_in_words() {
    let mut active = BTreeMap::new();
    active.insert("PUSH_CERT_WILL_EXPIRE".to_owned(), 1);
    active.insert("VPP_ACCOUNT_EXPIRED".to_owned(), 1);
    let snapshot = Snapshot {
        notifications: Some(Arc::new(active.clone())),
        ..Snapshot::default()
    };
    let finding = only(&snapshot);
    assert_eq!(finding.state, State::Warning);
    assert_eq!(finding.message, "The Apple push certificate expires soon");
    assert_eq!(finding.id.as_deref(), Some("PUSH_CERT_WILL_EXPIRE"));
    active.insert("APNS_CERT_REVOKED".to_owned(), 1);
    let snapshot = Snapshot {
        notifications: Some(Arc::new(active)),
        ..Snapshot::default()
    };
    let found = findings(&snapshot, Thresholds::ALERTS, now());
    assert_eq!(found[0].state, State::Critical);
    assert_eq!(found[0].runbook, "JamfApnsCertificateExpired");
    assert_eq!(notification_sentence("SOMETHING_NEW"), None);
}

fn failed(name: CollectorName, reason: Reason) -> CollectorStatus {
    CollectorStatus {
        success: false,
        duration: Duration::ZERO,
        last_attempt: Some(now()),
        last_error: Some((reason, "detail".into())),
        ..CollectorStatus::new(name)
    }
}

#[test]
fn refused_credentials_and_an_unreachable_jamf_are_one_critical_finding() {
    let refused = Snapshot {
        refreshes: 1,
        up: false,
        collectors: vec![
            failed(CollectorName::Vpp, Reason::Auth),
            failed(CollectorName::Ade, Reason::Auth),
        ],
        ..Snapshot::default()
    };
    let finding = only(&refused);
    assert_eq!(finding.kind, FindingKind::JamfApi);
    assert_eq!(finding.state, State::Critical);
    assert!(finding
        .message
        .starts_with("Jamf Pro refuses the exporter's credentials (auth"));
    let unreachable = Snapshot {
        collectors: vec![failed(CollectorName::Vpp, Reason::Connect)],
        ..refused
    };
    assert!(only(&unreachable)
        .message
        .starts_with("Jamf Pro cannot be reached (connect"));
}

#[test]
fn a_collector_failing_for_another_reason_is_a_warning() {
    let snapshot = Snapshot {
        refreshes: 1,
        up: true,
        collectors: vec![
            CollectorStatus::new(CollectorName::Vpp),
            failed(CollectorName::BuiltinCa, Reason::Forbidden),
        ],
        ..Snapshot::default()
    };
    let finding = only(&snapshot);
    assert_eq!(finding.kind, FindingKind::Collector);
    assert_eq!(finding.state, State::Warning);
    assert_eq!(
        finding.message,
        "The builtin_ca collector is failing (forbidden: detail)"
    );
}

#[test]
fn nothing_is_judged_before_the_first_refresh() {
    let snapshot = Snapshot {
        collectors: vec![CollectorStatus::new(CollectorName::Vpp)],
        ..Snapshot::default()
    };
    assert_eq!(findings(&snapshot, Thresholds::ALERTS, now()), []);
}

#[test]
fn findings_are_worst_first_then_soonest_deadline() {
    let mut expired = location("4", "Harbor");
    expired.token_expiry = Some(in_days(-3.0));
    let mut imminent = location("3", "Peña");
    imminent.token_expiry = Some(in_days(5.0));
    let mut soon = location("2", "North");
    soon.token_expiry = Some(in_days(20.0));
    let mut missing = location("5", "St. Mary's");
    missing.token_expiry = None;
    let mut mismatch = location("8", "South");
    mismatch.client_context_mismatch = Some(true);
    let snapshot = with_locations(vec![soon, missing, mismatch, imminent, expired]);
    let order: Vec<_> = findings(&snapshot, Thresholds::ALERTS, now())
        .into_iter()
        .map(|f| (f.state, f.name))
        .collect();
    assert_eq!(
        order,
        [
            (State::Critical, "Harbor".to_owned()),
            (State::Critical, "Peña".to_owned()),
            (State::Critical, "South".to_owned()),
            (State::Warning, "North".to_owned()),
            (State::Warning, "St. Mary's".to_owned()),
        ]
    );
}

#[test]
fn absurd_days_do_not_panic() {
    assert_eq!(whole_days(f64::NAN), 0);
    assert_eq!(whole_days(1e300), i64::MAX);
    assert_eq!(
        expiry_phrase(-1e300),
        format!("expired {} days ago", i64::MAX)
    );
}

#[test]
fn every_runbook_link_uses_the_rules_base_and_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("alerts/jamf.rules.yml")).unwrap();
    let urls: Vec<&str> = rules
        .lines()
        .filter_map(|line| line.trim().strip_prefix("runbook_url: "))
        .collect();
    assert!(!urls.is_empty());
    for url in urls {
        assert!(url.starts_with(crate::renewals::RUNBOOK_BASE), "{url}");
    }
    let mut named: Vec<&str> = vec![
        "JamfVppTokenMissing",
        "JamfVppClientContextMismatch",
        "JamfVppLicensesExhausted",
        "JamfVppLicensesDroppedToZero",
        "JamfVppSyncStale",
        "JamfVppAppleLocationShared",
        "JamfAdeSyncFailing",
        "JamfApnsCertificateExpiring",
        "JamfApnsCertificateExpired",
        "JamfApiDown",
        "JamfCollectorFailing",
    ];
    for kind in RenewalKind::ALL {
        named.push(kind.soon_alert());
        named.push(kind.expired_alert());
        named.extend(kind.imminent_alert());
    }
    for alert in named {
        assert!(
            root.join(format!("docs/runbooks/{alert}.md")).exists(),
            "no runbook for {alert}"
        );
    }
}

#[test]
fn a_servers_token_bands_move_the_vpp_and_ade_states_only() {
    let day = std::time::Duration::from_secs(86_400);
    let bands = crate::bands::TokenBands::new(day * 45, day * 10).unwrap();
    let alerts = Thresholds::Alerts(bands);
    assert_eq!(alerts.warning(RenewalKind::Vpp), 45.0);
    assert_eq!(alerts.critical(RenewalKind::Ade), 10.0);
    assert_eq!(alerts.warning(RenewalKind::BuiltinCa), 60.0);
    assert_eq!(alerts.critical(RenewalKind::CloudServices), 0.0);
    assert_eq!(findings(&token_in(40.0), Thresholds::ALERTS, now()), []);
    let found = findings(&token_in(40.0), alerts, now());
    assert_eq!(found[0].state, State::Warning);
    let found = findings(&token_in(9.0), alerts, now());
    assert_eq!(found[0].state, State::Critical);
    assert_eq!(found[0].runbook, "JamfVppTokenExpiryImminent");
    let check = Thresholds::Check {
        warning_days: None,
        critical_days: None,
        bands,
    };
    assert_eq!(check.warning(RenewalKind::Vpp), 45.0);
    assert_eq!(check.critical(RenewalKind::Vpp), 10.0);
    assert_eq!(check.critical(RenewalKind::ServerCertificate), 3.0);
}
