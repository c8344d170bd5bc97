//! Every Jamf body a collector reads, decoded into its wire type as the client does and
//! turned into snapshot data by the collector's own conversion.
//!
//! The first byte picks the body (its value modulo 8; the seeds use the digits `0` to
//! `7`), the rest is the body. One target rather than eight: libFuzzer then shares its
//! time between the bodies by the coverage each one still yields, and `make fuzz` stays
//! one run per area.

#![no_main]

use std::collections::HashSet;

use jamf_exporter::collectors::{
    ade, builtin_ca, healthcheck, notifications, version, vpp, vpp_content,
};
use jamf_exporter::jamf::model;
use jamf_exporter::snapshot::{AdeInstance, VppLocation};
use jamf_exporter_fuzz::{check_count, check_optional_date};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    match kind % 8 {
        0 => vpp_locations(body),
        1 => vpp_content_items(body),
        2 => ade_instances(body),
        3 => ade_latest_sync(body),
        4 => notification_list(body),
        5 => certificate_authority(body),
        6 => jamf_version(body),
        _ => health_check(body),
    }
});

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

/// GET /api/v1/volume-purchasing-locations, one page.
fn vpp_locations(body: &[u8]) {
    let Some(page) = decode::<model::Page<model::VppLocation>>(body) else {
        return;
    };
    let locations = vpp::from_wire(page.results);
    let mut ids = HashSet::new();
    for location in &locations {
        assert!(!location.id.is_empty(), "a location without an id was kept");
        assert!(
            ids.insert(&location.id),
            "location id {:?} kept twice",
            location.id
        );
        check_optional_date("tokenExpiration", location.token_expiry);
        check_optional_date("lastSyncTime", location.last_sync);
        check_count("totalPurchasedLicenses", location.licenses_purchased);
        check_count("totalUsedLicenses", location.licenses_used);
    }
}

/// GET /api/v1/volume-purchasing-locations/{id}/content, one page.
fn vpp_content_items(body: &[u8]) {
    let Some(page) = decode::<model::Page<model::VppContent>>(body) else {
        return;
    };
    let location = VppLocation {
        id: "1".to_owned(),
        name: "Fuzz".to_owned(),
        asm_location: String::new(),
        organization: String::new(),
        country_code: String::new(),
        site_id: String::new(),
        token_expiry: None,
        licenses_purchased: None,
        licenses_used: None,
        last_sync: None,
        client_context_mismatch: None,
    };
    let items = vpp_content::from_wire(&location, page.results);
    let mut keys = HashSet::new();
    for item in &items {
        assert!(
            keys.insert((&item.adam_id, &item.name, &item.content_type)),
            "app {:?} kept twice",
            item.name
        );
        check_count("licenseCountTotal", item.licenses_purchased);
        check_count("licenseCountInUse", item.licenses_used);
    }
}

/// GET /api/v1/device-enrollments, one page.
fn ade_instances(body: &[u8]) {
    let Some(page) = decode::<model::Page<model::DeviceEnrollment>>(body) else {
        return;
    };
    let instances = ade::from_wire(page.results);
    let mut ids = HashSet::new();
    for instance in &instances {
        assert!(
            !instance.id.is_empty(),
            "an instance without an id was kept"
        );
        assert!(
            ids.insert(&instance.id),
            "instance id {:?} kept twice",
            instance.id
        );
        check_optional_date("tokenExpirationDate", instance.token_expiry);
    }
}

/// GET /api/v1/device-enrollments/{id}/syncs/latest
fn ade_latest_sync(body: &[u8]) {
    let Some(sync) = decode::<model::DeviceEnrollmentSync>(body) else {
        return;
    };
    let mut instance = AdeInstance {
        id: "1".to_owned(),
        name: String::new(),
        server_name: String::new(),
        token_expiry: None,
        last_sync: None,
        last_sync_success: None,
    };
    ade::apply_latest_sync(&mut instance, sync);
    check_optional_date("timestamp", instance.last_sync);
}

/// GET /api/v1/notifications
fn notification_list(body: &[u8]) {
    let Some(raw) = decode::<Vec<model::Notification>>(body) else {
        return;
    };
    let typed = raw
        .iter()
        .filter(|n| n.kind.as_deref().is_some_and(|kind| !kind.is_empty()))
        .count() as u64;
    let counts = notifications::count_by_type(raw);
    assert!(
        !counts.contains_key(""),
        "an empty notification type was counted"
    );
    assert_eq!(
        counts.values().sum::<u64>(),
        typed,
        "every notification with a type is counted once"
    );
}

/// GET /api/v1/pki/certificate-authority/active
fn certificate_authority(body: &[u8]) {
    let Some(raw) = decode::<model::CertificateAuthority>(body) else {
        return;
    };
    check_optional_date("notAfter", builtin_ca::from_wire(raw).not_after);
}

/// GET /api/v1/jamf-pro-version
fn jamf_version(body: &[u8]) {
    let Some(raw) = decode::<model::JamfProVersion>(body) else {
        return;
    };
    if let Some(version) = version::from_wire(raw).version {
        assert!(!version.is_empty(), "an empty version was kept");
        assert!(
            !version.contains('-'),
            "the build suffix was kept in {version:?}"
        );
    }
}

/// GET /healthCheck.html, read by the collector itself from the raw body.
fn health_check(body: &[u8]) {
    let _ = healthcheck::parse(body);
}
