//! What needs doing, judged from one snapshot: the single model behind the landing
//! page's "Action needed", `jamf_exporter check` and the calendar's reminders.
//!
//! Everything here is a pure function of the snapshot, the thresholds and `now`.
//! The bands follow the alert rules: soon for 7 d ≤ left < 30 d, imminent for
//! 0 < left < 7 d, expired for left ≤ 0.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::bands::TokenBands;
use crate::jamf::Reason;
use crate::renewals::{renewals, Renewal, RenewalKind};
use crate::snapshot::{days_until, MdmProfiles, Snapshot, VppLocation};

/// A monitoring-plugin state; the order is the exit status, so `max` is the worst.
/// `Unknown` is only for a check that could not run (a bad command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl State {
    /// `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`, as plugins print them.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// For people and CSS classes: `ok`, `warning`, `critical`, `unknown`.
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warning => "warning",
            State::Critical => "critical",
            State::Unknown => "unknown",
        }
    }

    pub fn exit_code(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    Renewal(RenewalKind),
    VppTokenMissing,
    VppLicensesExhausted,
    VppLicensesDropped,
    VppClientContextMismatch,
    VppSyncStale,
    VppAppleLocationShared,
    VppTokenRenewedNotSynced,
    AdeSyncFailing,
    Apns,
    AppleTermsNotAccepted,
    ProLicenceExceeded,
    ComplianceConnectionBroken,
    MdmProfilesExpired,
    MdmProfilesExpiringWithoutAutoRenew,
    JamfApi,
    Collector,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Renewal(kind) => kind.as_str(),
            FindingKind::VppTokenMissing => "vpp_token_missing",
            FindingKind::VppLicensesExhausted => "vpp_licenses_exhausted",
            FindingKind::VppLicensesDropped => "vpp_licenses_dropped",
            FindingKind::VppClientContextMismatch => "vpp_client_context_mismatch",
            FindingKind::VppSyncStale => "vpp_sync_stale",
            FindingKind::VppAppleLocationShared => "vpp_apple_location_shared",
            FindingKind::VppTokenRenewedNotSynced => "vpp_token_renewed_not_synced",
            FindingKind::AdeSyncFailing => "ade_sync_failing",
            FindingKind::Apns => "apns",
            FindingKind::AppleTermsNotAccepted => "apple_terms_not_accepted",
            FindingKind::ProLicenceExceeded => "pro_licence_exceeded",
            FindingKind::ComplianceConnectionBroken => "compliance_connection_broken",
            FindingKind::MdmProfilesExpired => "mdm_profiles_expired",
            FindingKind::MdmProfilesExpiringWithoutAutoRenew => {
                "mdm_profiles_expiring_without_auto_renew"
            }
            FindingKind::JamfApi => "jamf_api",
            FindingKind::Collector => "collector",
        }
    }
}

/// One thing that needs doing (or, for a renewal, its current standing).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub state: State,
    pub kind: FindingKind,
    pub id: Option<String>,
    pub name: String,
    pub expires: Option<DateTime<Utc>>,
    /// For an expiry without a published date (the APNs certificate): when Jamf's
    /// warning was seen, so that it ranks among the expiries.
    pub seen: Option<DateTime<Utc>>,
    /// Whole days left, counted as people do: 6.9 days is 6, and a token that expired
    /// 3.4 days ago is -3.
    pub days_left: Option<i64>,
    /// One plain-English sentence.
    pub message: String,
    /// The alert whose runbook says what to do.
    pub runbook: &'static str,
}

/// Expiry thresholds in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thresholds {
    /// Exactly the alert rules' bands, with the server's VPP and ADE token bands (the
    /// landing page and the calendar).
    Alerts(TokenBands),
    /// `check`: `--warning` and `--critical` for every kind, each defaulting per kind
    /// (the server's token bands for VPP and ADE).
    Check {
        warning_days: Option<f64>,
        critical_days: Option<f64>,
        bands: TokenBands,
    },
}

impl Thresholds {
    /// The alert rules' own thresholds with the default token bands.
    pub const ALERTS: Thresholds = Thresholds::Alerts(TokenBands::DEFAULT);

    fn bands(self) -> TokenBands {
        match self {
            Thresholds::Alerts(bands) | Thresholds::Check { bands, .. } => bands,
        }
    }

    /// The Soon threshold of `kind` as the rules see it.
    fn soon(self, kind: RenewalKind) -> f64 {
        match kind {
            RenewalKind::Vpp | RenewalKind::Ade => self.bands().warning_days(),
            _ => kind.soon_days(),
        }
    }

    /// The Imminent threshold of `kind` as the rules see it, where it has one.
    fn imminent(self, kind: RenewalKind) -> Option<f64> {
        kind.imminent_days().map(|_| self.bands().critical_days())
    }

    pub fn warning(self, kind: RenewalKind) -> f64 {
        match self {
            Thresholds::Alerts(_) => self.soon(kind),
            Thresholds::Check { warning_days, .. } => warning_days.unwrap_or(self.soon(kind)),
        }
    }

    /// Below this many days left (or once expired) the renewal is critical.
    pub fn critical(self, kind: RenewalKind) -> f64 {
        match self {
            Thresholds::Alerts(_) => self.imminent(kind).unwrap_or(0.0),
            Thresholds::Check { critical_days, .. } => {
                critical_days.unwrap_or(self.imminent(kind).unwrap_or(kind.check_critical_days()))
            }
        }
    }
}

/// Whole days toward zero; an `i64` cannot print as "-0.0". The cast saturates.
pub fn whole_days(days: f64) -> i64 {
    if days.is_finite() {
        days.trunc() as i64
    } else {
        0
    }
}

/// "expires in 5 days", "expired 3 days ago".
pub fn expiry_phrase(left: f64) -> String {
    let days = whole_days(left);
    if left > 0.0 {
        match days {
            0 => "expires in less than a day".to_owned(),
            1 => "expires in 1 day".to_owned(),
            n => format!("expires in {n} days"),
        }
    } else {
        match days.saturating_neg() {
            0 => "expired less than a day ago".to_owned(),
            1 => "expired 1 day ago".to_owned(),
            n => format!("expired {n} days ago"),
        }
    }
}

/// A renewal judged against `thresholds` at `now`; its state may be `Ok`.
pub fn assess(renewal: &Renewal, thresholds: Thresholds, now: DateTime<Utc>) -> Finding {
    let kind = renewal.kind;
    let left = days_until(renewal.expires, now);
    let critical = thresholds.critical(kind);
    let state = if left <= 0.0 || left < critical {
        State::Critical
    } else if left < thresholds.warning(kind) {
        State::Warning
    } else {
        State::Ok
    };
    let runbook = if left <= 0.0 {
        kind.expired_alert()
    } else {
        match kind.imminent_alert() {
            Some(alert) if left < thresholds.imminent(kind).unwrap_or(0.0) => alert,
            _ => kind.soon_alert(),
        }
    };
    Finding {
        state,
        kind: FindingKind::Renewal(kind),
        id: renewal.id.clone(),
        name: renewal.name.clone(),
        expires: Some(renewal.expires),
        seen: None,
        days_left: Some(whole_days(left)),
        message: format!("{} {}", renewal.subject(), expiry_phrase(left)),
        runbook,
    }
}

/// Every renewal with its standing, earliest first.
pub fn assessed_renewals(
    snapshot: &Snapshot,
    thresholds: Thresholds,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    renewals(snapshot)
        .iter()
        .map(|renewal| assess(renewal, thresholds, now))
        .collect()
}

/// How old a VPP sync may be before it counts as stale (`JamfVppSyncStale`).
const VPP_SYNC_STALE_DAYS: i64 = 2;

/// A token is valid for a year from its download; a last sync more than this many days
/// before its expiry predates the token (`JamfVppTokenRenewedNotSynced`).
const TOKEN_LIFETIME_DAYS: i64 = 366;

/// Jamf's notifications that no date predicts, and the alert of each (§5.6d).
const COMPLIANCE_CODES: [&str; 6] = [
    "DEVICE_COMPLIANCE_CONNECTION_ERROR",
    "CONDITIONAL_ACCESS_CONNECTION_ERROR",
    "MII_HEARTBEAT_FAILED_NOTIFICATION",
    "MII_INVENTORY_UPLOAD_FAILED_NOTIFICATION",
    "MII_UNATHORIZED_RESPONSE_NOTIFICATION",
    "BEYOND_CORP_CONNECTION_ERROR",
];

/// The finding for an active notification, when it is one the alert rules watch.
fn notification(code: &str, now: DateTime<Utc>) -> Option<Finding> {
    let (state, kind, name, runbook) = match code {
        "PUSH_CERT_WILL_EXPIRE" => (
            State::Warning,
            FindingKind::Apns,
            "Apple push certificate",
            "JamfApnsCertificateExpiring",
        ),
        "PUSH_CERT_EXPIRED" | "APNS_CERT_REVOKED" => (
            State::Critical,
            FindingKind::Apns,
            "Apple push certificate",
            "JamfApnsCertificateExpired",
        ),
        "DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED" | "APPLE_SCHOOL_MANAGER_T_C_NOT_SIGNED" => (
            State::Critical,
            FindingKind::AppleTermsNotAccepted,
            "Apple's terms and conditions",
            "JamfAppleTermsNotAccepted",
        ),
        "EXCEEDED_LICENSE_COUNT" => (
            State::Warning,
            FindingKind::ProLicenceExceeded,
            "Jamf Pro licence",
            "JamfProLicenceExceeded",
        ),
        code if COMPLIANCE_CODES.contains(&code) => (
            State::Warning,
            FindingKind::ComplianceConnectionBroken,
            "Compliance connection",
            "JamfComplianceConnectionBroken",
        ),
        _ => return None,
    };
    let sentence = notification_sentence(code)?;
    let mut finding = other(state, kind, Some(code), name, sentence.to_owned(), runbook);
    if kind == FindingKind::Apns {
        finding.seen = Some(now);
    }
    Some(finding)
}

/// Expired MDM profiles, and profiles expiring on a platform without auto-renew.
fn mdm_profiles(mdm: &MdmProfiles, found: &mut Vec<Finding>) {
    for (platform, counts) in mdm.platforms() {
        let devices = match platform {
            "computer" => "computers",
            _ => "mobile devices",
        };
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        if counts.expired > 0 {
            let n = counts.expired;
            found.push(other(
                State::Warning,
                FindingKind::MdmProfilesExpired,
                Some(platform),
                devices,
                format!(
                    "{n} managed {} with an expired MDM profile: Jamf Pro can no longer manage {}",
                    if n == 1 {
                        &devices[..devices.len() - 1]
                    } else {
                        devices
                    },
                    if n == 1 { "it" } else { "them" },
                ),
                "JamfMdmProfilesExpired",
            ));
        }
        if counts.expiring > 0 && counts.auto_renew == Some(false) {
            let n = counts.expiring;
            found.push(other(
                State::Warning,
                FindingKind::MdmProfilesExpiringWithoutAutoRenew,
                Some(platform),
                devices,
                format!(
                    "{n} MDM profile{} of managed {devices} expire{} soon, and Jamf Pro does not renew them automatically",
                    plural(n),
                    if n == 1 { "s" } else { "" },
                ),
                "JamfMdmProfilesExpiringWithoutAutoRenew",
            ));
        }
    }
}

/// Everything that needs doing, worst first, then soonest deadline.
pub fn findings(snapshot: &Snapshot, thresholds: Thresholds, now: DateTime<Utc>) -> Vec<Finding> {
    let mut found: Vec<Finding> = assessed_renewals(snapshot, thresholds, now)
        .into_iter()
        .filter(|finding| finding.state > State::Ok)
        .collect();
    if let Some(locations) = &snapshot.vpp {
        for location in locations.iter() {
            vpp_location(location, &snapshot.last_nonzero_purchased, now, &mut found);
        }
        apple_location_shared(locations, &snapshot.last_nonzero_purchased, &mut found);
    }
    for instance in snapshot.ade.iter().flat_map(|list| list.iter()) {
        if instance.last_sync_success == Some(false) {
            found.push(other(
                State::Warning,
                FindingKind::AdeSyncFailing,
                Some(&instance.id),
                &instance.name,
                format!(
                    "{}: the latest Automated Device Enrollment sync failed",
                    instance.name
                ),
                "JamfAdeSyncFailing",
            ));
        }
    }
    for (code, active) in snapshot.notifications.iter().flat_map(|map| map.iter()) {
        if *active > 0 {
            if let Some(finding) = notification(code, now) {
                found.push(finding);
            }
        }
    }
    if let Some(mdm) = &snapshot.mdm_profiles {
        mdm_profiles(mdm, &mut found);
    }
    collectors(snapshot, &mut found);
    found.sort_by(|a, b| {
        b.state
            .cmp(&a.state)
            .then_with(|| match (a.ranks_by(), b.ranks_by()) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    found
}

impl Finding {
    /// The instant a finding ranks by among those of its state: its expiry, or for the
    /// APNs certificate, whose date Jamf does not publish, the time Jamf's notification
    /// was seen, which ranks it with the expiries it belongs among instead of after them.
    fn ranks_by(&self) -> Option<DateTime<Utc>> {
        self.expires.or(self.seen)
    }
}

fn other(
    state: State,
    kind: FindingKind,
    id: Option<&str>,
    name: &str,
    message: String,
    runbook: &'static str,
) -> Finding {
    Finding {
        state,
        kind,
        id: id.map(str::to_owned),
        name: name.to_owned(),
        expires: None,
        seen: None,
        days_left: None,
        message,
        runbook,
    }
}

fn vpp_location(
    location: &VppLocation,
    last_nonzero_purchased: &BTreeMap<String, f64>,
    now: DateTime<Utc>,
    found: &mut Vec<Finding>,
) {
    let name = &location.name;
    let mut push = |state, kind, message: String, runbook| {
        found.push(other(
            state,
            kind,
            Some(&location.id),
            name,
            message,
            runbook,
        ));
    };
    if location.token_expiry.is_none() {
        push(
            State::Warning,
            FindingKind::VppTokenMissing,
            format!("{name}: Jamf Pro has no expiry date for the Volume Purchasing token"),
            "JamfVppTokenMissing",
        );
    }
    if location.client_context_mismatch == Some(true) {
        push(
            State::Critical,
            FindingKind::VppClientContextMismatch,
            format!("{name}: another MDM server is using this Volume Purchasing token"),
            "JamfVppClientContextMismatch",
        );
    }
    match (location.licenses_purchased, location.licenses_used) {
        (Some(purchased), Some(used)) if purchased > 0.0 && used >= purchased => {
            let message = if used > purchased {
                format!(
                    "{name}: {used:.0} licences are in use but only {purchased:.0} are purchased"
                )
            } else {
                format!("{name}: all {purchased:.0} purchased licences are in use")
            };
            push(
                State::Warning,
                FindingKind::VppLicensesExhausted,
                message,
                "JamfVppLicensesExhausted",
            );
        }
        _ => {}
    }
    if location.licenses_purchased == Some(0.0) {
        if let Some(before) = last_nonzero_purchased.get(&location.id) {
            push(
                State::Critical,
                FindingKind::VppLicensesDropped,
                format!("{name}: purchased licences dropped from {before:.0} to 0"),
                "JamfVppLicensesDroppedToZero",
            );
        }
    }
    if let (Some(expiry), Some(last_sync)) = (location.token_expiry, location.last_sync) {
        if expiry - last_sync > TimeDelta::days(TOKEN_LIFETIME_DAYS) {
            push(
                State::Warning,
                FindingKind::VppTokenRenewedNotSynced,
                format!(
                    "{name}: the renewed Volume Purchasing token was uploaded but has not been synced with Apple since"
                ),
                "JamfVppTokenRenewedNotSynced",
            );
        }
    }
    if let Some(last_sync) = location.last_sync {
        let age = now - last_sync;
        if age > TimeDelta::days(VPP_SYNC_STALE_DAYS) {
            push(
                State::Warning,
                FindingKind::VppSyncStale,
                format!(
                    "{name}: the last Volume Purchasing sync with Apple was {} days ago",
                    age.num_days()
                ),
                "JamfVppSyncStale",
            );
        }
    }
}

/// Two Jamf locations reporting one Apple location: one of them holds the other's token.
/// The line names the likely culprit: a location whose own name differs from the Apple
/// location it reports, or whose licences dropped to 0, preferring the latter; and the
/// location whose token it is, the one named like that Apple location.
fn apple_location_shared(
    locations: &[VppLocation],
    last_nonzero_purchased: &BTreeMap<String, f64>,
    found: &mut Vec<Finding>,
) {
    let mut by_apple: BTreeMap<(&str, &str), Vec<&VppLocation>> = BTreeMap::new();
    for location in locations {
        // An empty Apple name says nothing about which token is uploaded.
        if !location.asm_location.is_empty() {
            by_apple
                .entry((&location.organization, &location.asm_location))
                .or_default()
                .push(location);
        }
    }
    for ((_, apple_name), sharing) in by_apple {
        if sharing.len() < 2 {
            continue;
        }
        let ids: Vec<&str> = sharing.iter().map(|l| l.id.as_str()).collect();
        let dropped = |l: &&&VppLocation| {
            l.licenses_purchased == Some(0.0) && last_nonzero_purchased.contains_key(&l.id)
        };
        let suspect = sharing
            .iter()
            .find(dropped)
            .or_else(|| sharing.iter().find(|l| l.name != apple_name));
        let owner = suspect.and_then(|suspect| {
            sharing
                .iter()
                .filter(|l| l.id != suspect.id)
                .find(|l| l.name == apple_name)
                .or_else(|| sharing.iter().find(|l| l.id != suspect.id))
        });
        let message = match (suspect, owner) {
            (Some(suspect), Some(owner)) => format!(
                "{} most likely holds {}'s Volume Purchasing token: both report the Apple location \"{apple_name}\"",
                suspect.name, owner.name
            ),
            _ => {
                let names: Vec<&str> = sharing.iter().map(|l| l.name.as_str()).collect();
                let listed = match names.split_last() {
                    Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                    None => String::new(),
                };
                format!(
                    "{listed} report the same Apple location \"{apple_name}\": one of them holds another location's Volume Purchasing token"
                )
            }
        };
        found.push(other(
            State::Critical,
            FindingKind::VppAppleLocationShared,
            Some(&ids.join(",")),
            suspect.map_or(apple_name, |l| l.name.as_str()),
            message,
            "JamfVppAppleLocationShared",
        ));
    }
}

/// Jamf unreachable or refusing the credentials (`jamf_up` 0) is one critical finding;
/// otherwise each failing collector is a warning.
fn collectors(snapshot: &Snapshot, found: &mut Vec<Finding>) {
    if snapshot.refreshes == 0 {
        return;
    }
    let failing: Vec<_> = snapshot
        .collectors
        .iter()
        .filter(|status| !status.success && status.last_attempt.is_some())
        .collect();
    if !snapshot.up {
        let refused = failing
            .iter()
            .find(|status| matches!(&status.last_error, Some((Reason::Auth, _))));
        let (what, status) = match refused {
            Some(status) => ("Jamf Pro refuses the exporter's credentials", Some(*status)),
            None => ("Jamf Pro cannot be reached", failing.first().copied()),
        };
        let detail = status
            .and_then(|status| status.last_error.as_ref())
            .map_or_else(String::new, |(reason, message)| {
                format!(" ({reason}: {message})")
            });
        found.push(other(
            State::Critical,
            FindingKind::JamfApi,
            None,
            "Jamf Pro",
            format!("{what}{detail}"),
            "JamfApiDown",
        ));
        return;
    }
    for status in failing {
        let detail = status
            .last_error
            .as_ref()
            .map_or_else(String::new, |(reason, message)| {
                format!(" ({reason}: {message})")
            });
        found.push(other(
            State::Warning,
            FindingKind::Collector,
            Some(status.name.as_str()),
            status.name.as_str(),
            format!("The {} collector is failing{detail}", status.name),
            "JamfCollectorFailing",
        ));
    }
}

/// A Jamf notification code in plain English; `None` for codes this release does not
/// know (they are shown as the code alone).
pub fn notification_sentence(code: &str) -> Option<&'static str> {
    Some(match code {
        "PUSH_CERT_WILL_EXPIRE" => "The Apple push certificate expires soon",
        "PUSH_CERT_EXPIRED" => {
            "The Apple push certificate has expired: Jamf Pro cannot manage any device"
        }
        "APNS_CERT_REVOKED" => {
            "The Apple push certificate was revoked: Jamf Pro cannot manage any device"
        }
        "APNS_CONNECTION_FAILURE" => "Jamf Pro cannot connect to Apple's push notification service",
        "PUSH_PROXY_CERT_EXPIRED" => "The push proxy certificate has expired",
        "VPP_ACCOUNT_WILL_EXPIRE" => "A Volume Purchasing token expires soon",
        "VPP_ACCOUNT_EXPIRED" => "A Volume Purchasing token has expired",
        "VPP_TOKEN_REVOKED" => "A Volume Purchasing token was revoked",
        "DEP_INSTANCE_WILL_EXPIRE" => "An Automated Device Enrollment token expires soon",
        "DEP_INSTANCE_EXPIRED" => "An Automated Device Enrollment token has expired",
        "DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED" | "APPLE_SCHOOL_MANAGER_T_C_NOT_SIGNED" => {
            "Apple's new terms and conditions are not accepted: enrolments and new licences have stopped"
        }
        "EXCEEDED_LICENSE_COUNT" => "Jamf Pro manages more devices than its licence allows",
        "DEVICE_COMPLIANCE_CONNECTION_ERROR" => {
            "The device compliance connection to Microsoft Intune is broken"
        }
        "CONDITIONAL_ACCESS_CONNECTION_ERROR" => {
            "The conditional access connection to Microsoft Intune is broken"
        }
        "MII_HEARTBEAT_FAILED_NOTIFICATION" => {
            "Microsoft Intune no longer receives Jamf Pro's heartbeat"
        }
        "MII_INVENTORY_UPLOAD_FAILED_NOTIFICATION" => {
            "Uploading the inventory to Microsoft Intune failed"
        }
        "MII_UNATHORIZED_RESPONSE_NOTIFICATION" => {
            "Microsoft Intune refuses Jamf Pro's credentials"
        }
        "BEYOND_CORP_CONNECTION_ERROR" => "The connection to Google BeyondCorp is broken",
        "BUILT_IN_CA_EXPIRING" => "The built-in certificate authority expires soon",
        "BUILT_IN_CA_EXPIRED" => "The built-in certificate authority has expired",
        "BUILT_IN_CA_RENEWAL_FAILED" => "Renewing the built-in certificate authority failed",
        "BUILT_IN_CA_RENEWAL_SUCCESS" => "The built-in certificate authority was renewed",
        "TOMCAT_SSL_CERT_WILL_EXPIRE" => "The Jamf Pro server's TLS certificate expires soon",
        "TOMCAT_SSL_CERT_EXPIRED" => "The Jamf Pro server's TLS certificate has expired",
        "SSO_CERT_WILL_EXPIRE" => "The SSO signing certificate expires soon",
        "SSO_CERT_EXPIRED" => "The SSO signing certificate has expired",
        "SSO_IDP_CERT_WILL_EXPIRE" => "The identity provider's SSO certificate expires soon",
        "SSO_IDP_CERT_EXPIRED" => "The identity provider's SSO certificate has expired",
        "CLOUD_LDAP_CERT_WILL_EXPIRE" => "The cloud LDAP certificate expires soon",
        "CLOUD_LDAP_CERT_EXPIRED" => "The cloud LDAP certificate has expired",
        "GSX_CERT_WILL_EXPIRE" => "The Apple GSX certificate expires soon",
        "GSX_CERT_EXPIRED" => "The Apple GSX certificate has expired",
        "MDM_EXTERNAL_SIGNING_CERTIFICATE_EXPIRING" => {
            "The external MDM signing certificate expires soon"
        }
        "MDM_EXTERNAL_SIGNING_CERTIFICATE_EXPIRING_TODAY" => {
            "The external MDM signing certificate expires today"
        }
        "MDM_EXTERNAL_SIGNING_CERTIFICATE_EXPIRED" => {
            "The external MDM signing certificate has expired"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
