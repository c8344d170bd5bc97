//! Every Jamf body a collector reads, decoded into its wire type as the client does and
//! turned into snapshot data by the collector's own conversion.
//!
//! The first byte picks the body (its distance from `0`, modulo 14: the seeds use the
//! bytes `0` to `9` and `:` to `=`), the rest is the body. One target rather than eight: libFuzzer then shares its
//! time between the bodies by the coverage each one still yields, and `make fuzz` stays
//! one run per area.

#![no_main]

use std::collections::HashSet;

use jamf_exporter::collectors::{
    ade, builtin_ca, cloud_ldap, cloud_services, healthcheck, notifications, server_certificate,
    sso_certificate, supervision_identities, version, vpp, vpp_content, Skipped,
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
    match kind.wrapping_sub(b'0') % 14 {
        0 => vpp_locations(body),
        1 => vpp_content_items(body),
        2 => ade_instances(body),
        3 => ade_latest_sync(body),
        4 => notification_list(body),
        5 => certificate_authority(body),
        6 => jamf_version(body),
        7 => health_check(body),
        8 => supervision_identity_list(body),
        9 => cloud_services_token(body),
        10 => sso_certificate_details(body),
        11 => cloud_identity_providers(body),
        12 => cloud_ldap_details(body),
        _ => server_certificate_der(body),
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
    let mut skipped = Skipped::default();
    let n_records = page.results.len() as u64;
    let locations = vpp::from_wire(page.results, &mut skipped);
    assert_eq!(
        locations.len() as u64 + skipped.total(),
        n_records,
        "every record is kept or counted as skipped"
    );
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
        ..VppLocation::default()
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
    let mut skipped = Skipped::default();
    let n_records = page.results.len() as u64;
    let instances = ade::from_wire(page.results, &mut skipped);
    assert_eq!(
        instances.len() as u64 + skipped.total(),
        n_records,
        "every record is kept or counted as skipped"
    );
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
        ..AdeInstance::default()
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

/// GET /api/v1/supervision-identities, one page.
fn supervision_identity_list(body: &[u8]) {
    let Some(page) = decode::<model::Page<model::SupervisionIdentity>>(body) else {
        return;
    };
    let mut skipped = Skipped::default();
    let n_records = page.results.len() as u64;
    let identities = supervision_identities::from_wire(page.results, &mut skipped);
    assert_eq!(identities.len() as u64 + skipped.total(), n_records);
    let mut ids = HashSet::new();
    for identity in &identities {
        assert!(!identity.id.is_empty() && ids.insert(&identity.id));
        check_optional_date("expirationDate", identity.expiry);
    }
}

/// GET /api/v1/csa/token
fn cloud_services_token(body: &[u8]) {
    let Some(raw) = decode::<model::CloudServicesToken>(body) else {
        return;
    };
    check_optional_date("refreshExpiration", cloud_services::from_wire(raw).token_expiry);
}

/// GET /api/v2/sso/cert
fn sso_certificate_details(body: &[u8]) {
    let Some(raw) = decode::<model::SsoCertificate>(body) else {
        return;
    };
    check_optional_date("keystoreDetails.expiration", sso_certificate::from_wire(raw).expiry);
}

/// GET /api/v1/cloud-idp, one page.
fn cloud_identity_providers(body: &[u8]) {
    let Some(page) = decode::<model::Page<model::CloudIdentityProvider>>(body) else {
        return;
    };
    let mut skipped = Skipped::default();
    let keystores = cloud_ldap::from_wire(page.results, &mut skipped);
    let mut ids = HashSet::new();
    for keystore in &keystores {
        assert!(!keystore.id.is_empty() && ids.insert(&keystore.id));
    }
}

/// GET /api/v2/cloud-ldaps/{id}
fn cloud_ldap_details(body: &[u8]) {
    let Some(raw) = decode::<model::CloudLdap>(body) else {
        return;
    };
    check_optional_date("server.keystore.expirationDate", cloud_ldap::keystore_expiry(raw));
}

/// The leaf certificate of the TLS handshake, as DER.
fn server_certificate_der(body: &[u8]) {
    check_optional_date("notAfter", server_certificate::from_der(body));
}
