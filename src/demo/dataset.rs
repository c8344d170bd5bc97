//! The records the simulator serves, and the demo district.
//!
//! Records are raw [`serde_json::Value`]s so tests can plant whatever a real
//! server might send: nulls, wrong types, missing fields, odd characters.
//!
//! # The demo district (`Dataset::demo`)
//!
//! An invented "Lakeview Unified School District". Every date is relative to
//! the `now` passed in, so the demo looks the same on any day. It shows every
//! kind of trouble the exporter and its alerts watch for at once.
//!
//! Volume purchasing locations:
//!
//! | id | name | demonstrates |
//! |---|---|---|
//! | 1 | Lakeview High School | healthy: token ~200 days out, 4850 purchased / 3912 used, synced an hour ago; shares its Apple location with 9 after the replayed upload |
//! | 2 | North Elementary | token expiring in ~20 days (`JamfVppTokenExpiringSoon`) |
//! | 3 | Escuela Peña Blanca | token expiring in ~5 days (`JamfVppTokenExpiryImminent`); non-ASCII name |
//! | 4 | Harbor Middle School | token expired ~3 days ago, last sync ~3 days old (`JamfVppTokenExpired`, `JamfVppSyncStale`) |
//! | 5 | St. Mary's Annex | no token date, `tokenExpiration: ""` (`JamfVppTokenMissing`); apostrophe in the name |
//! | 6 | Adult Education Center | never had licences: 0 purchased, 0 used; must raise no licence alert |
//! | 7 | West Elementary | used == purchased (`JamfVppLicensesExhausted`) |
//! | 8 | South Middle School | `clientContextMismatch: true` (`JamfVppClientContextMismatch`) |
//! | 9 | District Office | the worst case replayed: healthy with licences for the first two list answers, then 0 purchased / 0 used and `locationName` "Lakeview High School", i.e. location 1's token was uploaded; both then report the same organization and Apple location (`JamfVppLicensesDroppedToZero`, `JamfVppTokenLocationChanged`, `JamfVppAppleLocationShared` for 1 and 9) |
//!
//! | 10 | Riverside Elementary | token renewed yesterday (~364 days out) but last synced ~3 days ago (`JamfVppTokenRenewedNotSynced`, `JamfVppSyncStale`) |
//!
//! Sites: locations 1, 6 and 9 have no site (`siteId` "-1", `siteName` "None").
//!
//! Per-app content exists for locations 1, 2, 3, 7 and 9 (3–6 items each,
//! `IOS_APP`, `MAC_APP` and `BOOK`). "Code Builder for Mac" at location 1 has
//! more licences in use than owned (673 of 600); one title at location 2
//! contains double quotes.
//!
//! Automated Device Enrollment: instance 1 has a token ~150 days out and a
//! `SUCCESSFUL` latest sync (timestamp with a `+0000` offset); instance 2 has
//! a token ~25 days out (`JamfAdeTokenExpiringSoon`) and a `CONNECTION_ERROR`
//! latest sync with a zone-less timestamp (`JamfAdeSyncFailing`).
//!
//! Notifications: `PUSH_CERT_WILL_EXPIRE` (`JamfApnsCertificateExpiring`),
//! `VPP_ACCOUNT_WILL_EXPIRE` for locations 2 and 3, `VPP_ACCOUNT_EXPIRED` for
//! location 4, `DEP_INSTANCE_WILL_EXPIRE` for instance 2, and
//! `DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED` (`JamfAppleTermsNotAccepted`).
//!
//! MDM profiles (`mdm_profiles`): computers LAB-MAC-02, OFFICE-MAC-1 and
//! ART-MAC-01 expire within 30 days and LIB-MAC-01 has expired; OLD-IMAC is
//! unmanaged and OFFICE-MAC-2 has no date. iPads "Cart A iPad 01" and "Cart B
//! iPad 01" expire within 30 days; "Spare iPad" is unmanaged. Auto-renew is on
//! for computers and off for mobile devices
//! (`JamfMdmProfilesExpired`, `JamfMdmProfilesExpiringWithoutAutoRenew`).
//!
//! Also: a built-in CA valid for ~4 more years (`notAfter` in epoch
//! seconds), version `11.23.2-t1767621885710`, and a healthy `/healthCheck.html`
//! (`[]`).
//!
//! Renewals: supervision identity 1 "Lakeview Configurator Carts" expiring
//! in ~25 days (`JamfSupervisionIdentityExpiringSoon`; ADE instances point at
//! identity 2, "LUSD Supervision", ~2 years out); a Cloud Services connection
//! expiring in ~300 days; an SSO certificate expiring in ~10 days
//! (`JamfSsoCertificateExpiringSoon`); one Google cloud identity provider
//! (id 1001) whose LDAP keystore expires in ~200 days, beside an Entra ID one
//! (id 1002) that has none. The demo server is plain HTTP, so no server
//! certificate.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

/// The version string every built-in dataset reports.
pub const DEMO_VERSION: &str = "11.23.2-t1767621885710";

/// Everything the simulator serves. Fields are public so tests can build or
/// mutate any shape (see [`super::Simulator::update_dataset`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `GET /api/v1/volume-purchasing-locations` items, `id` as a digit string.
    pub vpp_locations: Vec<Value>,
    /// `/{id}/content` items, keyed by location id.
    pub vpp_content: BTreeMap<String, Vec<Value>>,
    /// `GET /api/v1/device-enrollments` items.
    pub ade_instances: Vec<Value>,
    /// Latest sync state per instance id, as `/{id}/syncs/latest` answers it.
    pub ade_latest_sync: BTreeMap<String, Value>,
    /// `GET /api/v1/notifications` items.
    pub notifications: Vec<Value>,
    /// `GET /api/v1/pki/certificate-authority/active` body; `None` answers 404.
    pub builtin_ca: Option<Value>,
    /// `GET /api/v1/jamf-pro-version` → `{"version": …}`.
    pub version: String,
    /// `/healthCheck.html` status and raw body.
    pub healthcheck: (u16, String),
    /// Scripted changes to VPP locations, applied after a number of list answers.
    pub vpp_script: Vec<VppScriptStep>,
    // Renewals (issue 9).
    /// `GET /api/v1/supervision-identities` items (paged).
    pub supervision_identities: Vec<Value>,
    /// `GET /api/v1/csa/token` body; `None` answers 404 (no Cloud Services connection).
    pub csa_token: Option<Value>,
    /// `GET /api/v2/sso/cert` body; `None` answers 404.
    pub sso_cert: Option<Value>,
    /// `GET /api/v1/cloud-idp` items (paged).
    pub cloud_idps: Vec<Value>,
    /// `GET /api/v2/cloud-ldaps/{id}` bodies by id; a missing id answers 404.
    pub cloud_ldaps: BTreeMap<String, Value>,
    // MDM profiles (issue 16).
    /// `GET /api/v{4,3,1}/computers-inventory` items, sorted and filtered on request.
    pub computers: Vec<Value>,
    /// Which computers-inventory versions answer; the others answer 404 (an older Jamf).
    pub computers_inventory_versions: Vec<u8>,
    /// `GET /api/v2/mobile-devices/detail` items, sorted and filtered on request.
    pub mobile_devices: Vec<Value>,
    /// `GET /api/v1/device-communication-settings` body; `None` answers 404.
    pub device_communication_settings: Option<Value>,
}

/// Once the VPP list has been answered `after_list_requests` times (counting
/// listings, i.e. answers to page 0), location `location_id` is shallow-merged
/// with `patch` in every later answer (list and single GET).
#[derive(Debug, Clone, PartialEq)]
pub struct VppScriptStep {
    pub after_list_requests: usize,
    pub location_id: String,
    pub patch: Value,
}

impl Default for Dataset {
    fn default() -> Self {
        Self::empty()
    }
}

/// Jamf's instant format: UTC, milliseconds, `Z`.
fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn date_only(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// `now` shifted by whole days and seconds, saturating instead of panicking
/// for absurd clocks.
fn shifted(now: DateTime<Utc>, days: i64, seconds: i64) -> DateTime<Utc> {
    let delta = TimeDelta::try_days(days)
        .zip(TimeDelta::try_seconds(seconds))
        .and_then(|(d, s)| d.checked_add(&s))
        .unwrap_or_default();
    now.checked_add_signed(delta).unwrap_or(now)
}

struct LocationSpec<'a> {
    id: &'a str,
    name: &'a str,
    slug: &'a str,
    purchased: u64,
    used: u64,
    token_expiration: String,
    site: (&'a str, &'a str),
    mismatch: bool,
    last_sync: DateTime<Utc>,
}

fn location(spec: LocationSpec<'_>) -> Value {
    json!({
        "name": spec.name,
        "totalPurchasedLicenses": spec.purchased,
        "totalUsedLicenses": spec.used,
        "id": spec.id,
        "appleId": format!("vpp.{}@lakeview-usd.example", spec.slug),
        "email": format!("{}-office@lakeview-usd.example", spec.slug),
        "organizationName": "Lakeview Unified School District",
        "tokenExpiration": spec.token_expiration,
        "countryCode": "US",
        "locationName": spec.name,
        "clientContextMismatch": spec.mismatch,
        "automaticallyPopulatePurchasedContent": true,
        "sendNotificationWhenNoLongerAssigned": false,
        "autoRegisterManagedUsers": false,
        "siteId": spec.site.0,
        "siteName": spec.site.1,
        "lastSyncTime": instant(spec.last_sync),
    })
}

fn content(
    name: &str,
    adam_id: &str,
    content_type: &str,
    total: u64,
    in_use: u64,
    reported: u64,
) -> Value {
    let device_types: &[&str] = match content_type {
        "MAC_APP" => &["MACOS"],
        "BOOK" => &["IOS", "MACOS"],
        _ => &["IOS"],
    };
    json!({
        "name": name,
        "licenseCountTotal": total,
        "licenseCountInUse": in_use,
        "licenseCountReported": reported,
        "iconUrl": format!("https://apple-cdn.example/icons/{adam_id}-512.png"),
        "deviceTypes": device_types,
        "contentType": content_type,
        "pricingParam": "STDQ",
        "adamId": adam_id,
    })
}

fn ade_instance(id: &str, name: &str, server_name: &str, admin: &str, expiry: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "supervisionIdentityId": "2",
        "siteId": "-1",
        "serverName": server_name,
        "serverUuid": format!("8F3C21D0A77E4B{id}"),
        "adminId": admin,
        "orgName": "Lakeview Unified School District",
        "orgEmail": "it-help@lakeview-usd.example",
        "orgPhone": "555-0142",
        "orgAddress": "400 Harbor Road, Lakeview, CA 90000",
        "tokenExpirationDate": expiry,
    })
}

/// A computer of `GET /api/v4/computers-inventory?section=GENERAL`.
pub fn computer(
    id: usize,
    name: &str,
    profile_expiry: Option<DateTime<Utc>>,
    managed: bool,
) -> Value {
    json!({
        "id": id.to_string(),
        "general": {
            "name": name,
            "mdmProfileExpiration": profile_expiry.map(instant),
            "remoteManagement": { "managed": managed },
        },
    })
}

/// A mobile device of `GET /api/v2/mobile-devices/detail?section=GENERAL`.
pub fn mobile_device(
    id: usize,
    name: &str,
    profile_expiry: Option<DateTime<Utc>>,
    managed: bool,
) -> Value {
    json!({
        "mobileDeviceId": id.to_string(),
        "general": {
            "displayName": name,
            "mdmProfileExpirationDate": profile_expiry.map(instant),
            "managed": managed,
        },
    })
}

fn device_communication_settings(computers: bool, mobile_devices: bool) -> Value {
    json!({
        "autoRenewMobileDeviceMdmProfileWhenCaRenewed": true,
        "autoRenewMobileDeviceMdmProfileWhenDeviceIdentityCertExpiring": mobile_devices,
        "autoRenewComputerMdmProfileWhenCaRenewed": true,
        "autoRenewComputerMdmProfileWhenDeviceIdentityCertExpiring": computers,
        "mdmProfileMobileDeviceExpirationLimitInDays": 180,
        "mdmProfileComputerExpirationLimitInDays": 180,
    })
}

fn notification(kind: &str, id: &str) -> Value {
    json!({ "type": kind, "id": id, "params": {} })
}

fn builtin_ca(now: DateTime<Utc>) -> Value {
    json!({
        "subjectX500Principal": "CN=Lakeview USD JSS Built-in Certificate Authority",
        "issuerX500Principal": "CN=Lakeview USD JSS Built-in Certificate Authority",
        "serialNumber": "5e1a07c3",
        "version": 3,
        "notAfter": shifted(now, 4 * 365, 0).timestamp(),
        "notBefore": shifted(now, -365, 0).timestamp(),
        "signature": {
            "algorithm": "SHA256withRSA",
            "algorithmOid": "1.2.840.113549.1.1.11",
            "value": "9c2f41d0",
        },
        "keyUsage": ["digitalSignature", "keyCertSign", "cRLSign"],
        "keyUsageExtended": [],
        "sha1Fingerprint": "0f3a7719",
        "sha256Fingerprint": "7b91c3e2",
    })
}

fn supervision_identity(id: i64, name: &str, expiry: &str) -> Value {
    json!({
        "id": id,
        "displayName": name,
        "commonName": format!("{name} Supervision Identity"),
        "expirationDate": expiry,
    })
}

fn csa_token(now: DateTime<Utc>) -> Value {
    json!({
        "refreshExpiration": shifted(now, 300, 0).timestamp(),
        "scopes": ["api-gateway", "app-catalog"],
        "tenantId": "5d0e3f1a-2b4c-4e6f-8a9b-0c1d2e3f4a5b",
        "subject": "lakeviewusd.jamfcloud.com",
    })
}

fn sso_cert(now: DateTime<Utc>) -> Value {
    json!({
        "keystore": {
            "key": " ",
            "keys": [{ "id": "jamf-sso", "valid": true }],
            "type": "PKCS12",
            "keystoreSetupType": "GENERATED",
            "keystoreFileName": "saml-signing.p12",
        },
        "keystoreDetails": {
            "keys": ["jamf-sso"],
            "serialNumber": 2_301_447_781_u64,
            "subject": "CN=SSO:lakeviewusd.jamfcloud.com",
            "issuer": "CN=Lakeview USD JSS Built-in Certificate Authority",
            // Jamf writes this one without a zone.
            "expiration": shifted(now, 10, 5 * 3600).format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        },
    })
}

fn cloud_idp(id: &str, name: &str, provider: &str) -> Value {
    json!({
        "id": id,
        "displayName": name,
        "enabled": true,
        "providerName": provider,
        "providerDescription": format!("{name} directory"),
    })
}

fn cloud_ldap(id: &str, name: &str, expiry: DateTime<Utc>) -> Value {
    json!({
        "cloudIdPCommon": { "id": id, "providerName": "GOOGLE", "displayName": name },
        "server": {
            "enabled": true,
            "serverUrl": "ldap.google.com",
            "port": 636,
            "keystore": {
                "type": "PKCS12",
                "expirationDate": instant(expiry),
                "subject": "CN=Google Cloud LDAP Client, O=Google Inc",
                "fileName": "google-ldap.p12",
            },
        },
    })
}

impl Dataset {
    /// No records at all, but a server that answers: version set, health
    /// check `[]`, no built-in CA (404).
    pub fn empty() -> Self {
        Dataset {
            vpp_locations: Vec::new(),
            vpp_content: BTreeMap::new(),
            ade_instances: Vec::new(),
            ade_latest_sync: BTreeMap::new(),
            notifications: Vec::new(),
            builtin_ca: None,
            version: DEMO_VERSION.to_string(),
            healthcheck: (200, "[]".to_string()),
            vpp_script: Vec::new(),
            supervision_identities: Vec::new(),
            csa_token: None,
            sso_cert: None,
            cloud_idps: Vec::new(),
            cloud_ldaps: BTreeMap::new(),
            computers: Vec::new(),
            computers_inventory_versions: vec![1, 3, 4],
            mobile_devices: Vec::new(),
            device_communication_settings: None,
        }
    }

    /// The demo district described in this module's documentation.
    pub fn demo(now: DateTime<Utc>) -> Self {
        let ago = |days: i64, seconds: i64| shifted(now, -days, -seconds);
        let ahead = |days: i64, seconds: i64| instant(shifted(now, days, seconds));
        let no_site = ("-1", "None");
        let vpp_locations = vec![
            location(LocationSpec {
                id: "1",
                name: "Lakeview High School",
                slug: "lhs",
                purchased: 4850,
                used: 3912,
                token_expiration: ahead(200, 4 * 3600),
                site: no_site,
                mismatch: false,
                last_sync: ago(0, 3600),
            }),
            location(LocationSpec {
                id: "2",
                name: "North Elementary",
                slug: "north",
                purchased: 1320,
                used: 1298,
                token_expiration: ahead(20, 3 * 3600),
                site: ("4", "North Elementary"),
                mismatch: false,
                last_sync: ago(0, 2 * 3600),
            }),
            location(LocationSpec {
                id: "3",
                name: "Escuela Peña Blanca",
                slug: "pena-blanca",
                purchased: 640,
                used: 512,
                token_expiration: ahead(5, 2 * 3600),
                site: ("5", "Escuela Peña Blanca"),
                mismatch: false,
                last_sync: ago(0, 50 * 60),
            }),
            location(LocationSpec {
                id: "4",
                name: "Harbor Middle School",
                slug: "harbor",
                purchased: 900,
                used: 870,
                token_expiration: instant(ago(3, 0)),
                site: ("6", "Harbor Middle School"),
                mismatch: false,
                last_sync: ago(3, 2 * 3600),
            }),
            location(LocationSpec {
                id: "5",
                name: "St. Mary's Annex",
                slug: "st-marys",
                purchased: 150,
                used: 96,
                token_expiration: String::new(),
                site: ("7", "St. Mary's Annex"),
                mismatch: false,
                last_sync: ago(0, 3 * 3600),
            }),
            location(LocationSpec {
                id: "6",
                name: "Adult Education Center",
                slug: "adult-ed",
                purchased: 0,
                used: 0,
                token_expiration: ahead(300, 0),
                site: no_site,
                mismatch: false,
                last_sync: ago(0, 90 * 60),
            }),
            location(LocationSpec {
                id: "7",
                name: "West Elementary",
                slug: "west",
                purchased: 800,
                used: 800,
                token_expiration: ahead(120, 0),
                site: ("8", "West Elementary"),
                mismatch: false,
                last_sync: ago(0, 40 * 60),
            }),
            location(LocationSpec {
                id: "8",
                name: "South Middle School",
                slug: "south",
                purchased: 210,
                used: 0,
                token_expiration: ahead(240, 0),
                site: ("9", "South Middle School"),
                mismatch: true,
                last_sync: ago(0, 5 * 3600),
            }),
            location(LocationSpec {
                id: "9",
                name: "District Office",
                slug: "district",
                purchased: 1200,
                used: 1045,
                token_expiration: ahead(180, 0),
                site: no_site,
                mismatch: false,
                last_sync: ago(0, 30 * 60),
            }),
            location(LocationSpec {
                id: "10",
                name: "Riverside Elementary",
                slug: "riverside",
                purchased: 430,
                used: 388,
                // Renewed yesterday, never synced since.
                token_expiration: ahead(364, 0),
                site: ("10", "Riverside Elementary"),
                mismatch: false,
                last_sync: ago(3, 3600),
            }),
        ];

        let mut vpp_content = BTreeMap::new();
        vpp_content.insert(
            "1".to_string(),
            vec![
                content("Atlas of the Oceans", "1600000204", "BOOK", 120, 37, 37),
                content("Sketch Pad Studio", "1400000378", "IOS_APP", 600, 588, 590),
                content(
                    "Code Builder for Mac",
                    "1450000915",
                    "MAC_APP",
                    600,
                    673,
                    673,
                ),
                content("Fraction Frenzy", "1500000011", "IOS_APP", 1500, 1210, 1208),
                content("Lab Notebook", "1450000422", "MAC_APP", 300, 122, 122),
            ],
        );
        vpp_content.insert(
            "2".to_string(),
            vec![
                content("Phonics Path", "1500000310", "IOS_APP", 700, 699, 699),
                content(
                    "The \"Write\" Stuff",
                    "1500000512",
                    "IOS_APP",
                    400,
                    380,
                    381,
                ),
                content("Kids' World Atlas", "1600000777", "BOOK", 220, 219, 219),
            ],
        );
        vpp_content.insert(
            "3".to_string(),
            vec![
                content("Lectura Fácil", "1500000640", "IOS_APP", 400, 350, 350),
                content("Números y Más", "1500000641", "IOS_APP", 240, 162, 160),
                content("Cuentos del Río", "1600000642", "BOOK", 60, 41, 41),
            ],
        );
        vpp_content.insert(
            "7".to_string(),
            vec![
                content("Phonics Path", "1500000310", "IOS_APP", 500, 500, 500),
                content("Sketch Pad Studio", "1400000378", "IOS_APP", 200, 200, 199),
                content("Atlas of the Oceans", "1600000204", "BOOK", 100, 100, 100),
                content("Typing Tutor Pro", "1450000108", "MAC_APP", 0, 0, 0),
            ],
        );
        vpp_content.insert(
            "9".to_string(),
            vec![
                content(
                    "Office Suite Viewer",
                    "1450000201",
                    "MAC_APP",
                    600,
                    512,
                    512,
                ),
                content("Board Minutes Reader", "1600000300", "BOOK", 100, 33, 33),
                content("Staff Planner", "1500000907", "IOS_APP", 500, 500, 498),
            ],
        );

        let ade_instances = vec![
            ade_instance(
                "1",
                "LUSD Apple School Manager",
                "Lakeview Jamf Pro",
                "asm.admin@lakeview-usd.example",
                &date_only(shifted(now, 150, 0)),
            ),
            ade_instance(
                "2",
                "LUSD Staff Macs (ABM)",
                "Lakeview Staff MDM",
                "abm.admin@lakeview-usd.example",
                &date_only(shifted(now, 25, 0)),
            ),
        ];
        let mut ade_latest_sync = BTreeMap::new();
        ade_latest_sync.insert(
            "1".to_string(),
            json!({
                "syncState": "SUCCESSFUL",
                "instanceId": "1",
                "timestamp": ago(0, 2 * 3600).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
            }),
        );
        ade_latest_sync.insert(
            "2".to_string(),
            json!({
                "syncState": "CONNECTION_ERROR",
                "instanceId": "2",
                "timestamp": ago(1, 2 * 3600).format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
            }),
        );

        Dataset {
            vpp_locations,
            vpp_content,
            ade_instances,
            ade_latest_sync,
            notifications: vec![
                notification("PUSH_CERT_WILL_EXPIRE", "0"),
                notification("VPP_ACCOUNT_WILL_EXPIRE", "2"),
                notification("VPP_ACCOUNT_WILL_EXPIRE", "3"),
                notification("VPP_ACCOUNT_EXPIRED", "4"),
                notification("DEP_INSTANCE_WILL_EXPIRE", "2"),
                notification("DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED", "1"),
            ],
            builtin_ca: Some(builtin_ca(now)),
            version: DEMO_VERSION.to_string(),
            healthcheck: (200, "[]".to_string()),
            vpp_script: vec![VppScriptStep {
                after_list_requests: 2,
                location_id: "9".to_string(),
                patch: json!({
                    "totalPurchasedLicenses": 0,
                    "totalUsedLicenses": 0,
                    "locationName": "Lakeview High School",
                    // The uploaded token is location 1's, so both now report the same Apple
                    // location of the same organization (`JamfVppAppleLocationShared`).
                    "organizationName": "Lakeview Unified School District",
                }),
            }],
            supervision_identities: vec![
                supervision_identity(
                    1,
                    "Lakeview Configurator Carts",
                    &date_only(shifted(now, 25, 0)),
                ),
                supervision_identity(2, "LUSD Supervision", &date_only(shifted(now, 730, 0))),
            ],
            csa_token: Some(csa_token(now)),
            sso_cert: Some(sso_cert(now)),
            cloud_idps: vec![
                cloud_idp("1001", "Google Workspace", "GOOGLE"),
                cloud_idp("1002", "Entra ID", "AZURE"),
            ],
            cloud_ldaps: BTreeMap::from([(
                "1001".to_string(),
                cloud_ldap("1001", "Google Workspace", shifted(now, 200, 0)),
            )]),
            computers: vec![
                computer(1, "LAB-MAC-01", Some(shifted(now, 400, 0)), true),
                computer(2, "LAB-MAC-02", Some(shifted(now, 12, 0)), true),
                computer(3, "LIB-MAC-01", Some(shifted(now, -6, 0)), true),
                computer(4, "OFFICE-MAC-1", Some(shifted(now, 3, 0)), true),
                computer(5, "OFFICE-MAC-2", None, true),
                computer(6, "ART-MAC-01", Some(shifted(now, 27, 0)), true),
                computer(7, "OLD-IMAC", Some(shifted(now, -40, 0)), false),
                computer(8, "MUSIC-MAC-01", Some(shifted(now, 610, 0)), true),
            ],
            computers_inventory_versions: vec![1, 3, 4],
            mobile_devices: vec![
                mobile_device(1, "Cart A iPad 01", Some(shifted(now, 9, 0)), true),
                mobile_device(2, "Cart A iPad 02", Some(shifted(now, 200, 0)), true),
                mobile_device(3, "Cart B iPad 01", Some(shifted(now, 21, 0)), true),
                mobile_device(4, "Library iPad", None, true),
                mobile_device(5, "Spare iPad", Some(shifted(now, 2, 0)), false),
            ],
            device_communication_settings: Some(device_communication_settings(true, false)),
        }
    }

    /// A small district of a demo fleet: `locations` healthy-looking locations named
    /// after `district`, whose dates depend on `seed`, so each district of the fleet
    /// has its own. Location 1's token expires in about 40 days: Soon only where a
    /// server's warning band is longer than the default 30 days.
    pub fn district(district: &str, seed: usize, locations: usize, now: DateTime<Utc>) -> Self {
        const DAYS: [i64; 5] = [40, 150, 250, 330, 90];
        let mut dataset = Dataset::empty();
        let offset = (seed % 5) as i64;
        for index in 1..=locations {
            let id = index.to_string();
            let days = DAYS[(index - 1) % DAYS.len()] + if index == 1 { 0 } else { offset * 3 };
            let purchased = 200 + ((seed * 31 + index * 17) % 400) as u64;
            dataset.vpp_locations.push(location(LocationSpec {
                id: &id,
                name: &format!("{district} School {index}"),
                slug: &format!("{}-{index}", district.to_lowercase()),
                purchased,
                used: purchased * 2 / 3,
                token_expiration: instant(shifted(now, days, 0)),
                site: ("-1", "None"),
                mismatch: false,
                last_sync: shifted(now, 0, -3600),
            }));
        }
        dataset.ade_instances.push(ade_instance(
            "1",
            &format!("{district} ADE"),
            &format!("{district} MDM"),
            "asm.admin@district.example",
            &date_only(shifted(now, 100 + offset * 20, 0)),
        ));
        dataset.ade_latest_sync.insert(
            "1".to_string(),
            json!({
                "syncState": "SUCCESSFUL",
                "instanceId": "1",
                "timestamp": shifted(now, 0, -3600).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
            }),
        );
        dataset.builtin_ca = Some(builtin_ca(now));
        dataset
    }

    /// A large, deterministic district for benchmarks: `n_locations`
    /// locations (ids "1"..), each with `n_apps_per_location` content items,
    /// expiries spread from 30 days ago to a year out.
    pub fn synthetic(n_locations: usize, n_apps_per_location: usize, now: DateTime<Utc>) -> Self {
        const CONTENT_TYPES: [&str; 3] = ["IOS_APP", "MAC_APP", "BOOK"];
        let mut dataset = Dataset::empty();
        for index in 1..=n_locations {
            let id = index.to_string();
            // Spread over -30..=364 days with a fixed stride so runs repeat exactly.
            let days = (index as i64 * 37) % 395 - 30;
            let purchased = (index as u64 * 53) % 5000;
            let used = purchased * ((index as u64 % 10) + 1) / 11;
            let name = format!("Synthetic School {index}");
            dataset.vpp_locations.push(location(LocationSpec {
                id: &id,
                name: &name,
                slug: &format!("school-{index}"),
                purchased,
                used,
                token_expiration: instant(shifted(now, days, 0)),
                site: ("-1", "None"),
                mismatch: index % 97 == 0,
                last_sync: shifted(now, 0, -((index as i64 * 61) % 7200)),
            }));
            let items = (0..n_apps_per_location)
                .map(|app| {
                    let total = ((index + app) as u64 * 29) % 1000;
                    content(
                        &format!("Synthetic App {app}"),
                        &(1_400_000_000 + app).to_string(),
                        CONTENT_TYPES[app % CONTENT_TYPES.len()],
                        total,
                        total * 3 / 4,
                        total * 3 / 4,
                    )
                })
                .collect();
            dataset.vpp_content.insert(id, items);
        }
        for (id, days) in [("1", 200), ("2", 20)] {
            dataset.ade_instances.push(ade_instance(
                id,
                &format!("Synthetic ADE {id}"),
                "Synthetic MDM",
                "asm.admin@synthetic.example",
                &date_only(shifted(now, days, 0)),
            ));
            dataset.ade_latest_sync.insert(
                id.to_string(),
                json!({
                    "syncState": "SUCCESSFUL",
                    "instanceId": id,
                    "timestamp": shifted(now, 0, -3600).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
                }),
            );
        }
        dataset.notifications = vec![
            notification("PUSH_CERT_WILL_EXPIRE", "0"),
            notification("DEP_INSTANCE_WILL_EXPIRE", "2"),
        ];
        dataset.builtin_ca = Some(builtin_ca(now));
        dataset
    }
}
