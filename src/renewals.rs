//! Every dated renewal in a snapshot: what expires, for what, and when.
//!
//! The landing page, `check` and `/calendar.ics` all read renewals from here, and judge
//! them through `findings`, so the three never disagree about what is due.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::snapshot::Snapshot;

/// The base of every `runbook_url` in `alerts/jamf.rules.yml` (docs/alerts.md says how
/// to point it elsewhere).
pub const RUNBOOK_BASE: &str =
    "https://github.com/jamf-exporter/jamf_exporter/blob/main/docs/runbooks/";

/// The runbook of an alert, at the documented base URL.
pub fn runbook_url(alert: &str) -> String {
    format!("{RUNBOOK_BASE}{alert}.md")
}

/// The kinds of dated renewal, in the order of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RenewalKind {
    Vpp,
    Ade,
    BuiltinCa,
    SupervisionIdentity,
    CloudServices,
    SsoCertificate,
    CloudLdap,
    ServerCertificate,
}

impl RenewalKind {
    pub const ALL: [RenewalKind; 8] = [
        RenewalKind::Vpp,
        RenewalKind::Ade,
        RenewalKind::BuiltinCa,
        RenewalKind::SupervisionIdentity,
        RenewalKind::CloudServices,
        RenewalKind::SsoCertificate,
        RenewalKind::CloudLdap,
        RenewalKind::ServerCertificate,
    ];

    /// The name used in `check`'s perfdata and JSON, and in calendar UIDs.
    pub fn as_str(self) -> &'static str {
        match self {
            RenewalKind::Vpp => "vpp",
            RenewalKind::Ade => "ade",
            RenewalKind::BuiltinCa => "builtin_ca",
            RenewalKind::SupervisionIdentity => "supervision_identity",
            RenewalKind::CloudServices => "cloud_services",
            RenewalKind::SsoCertificate => "sso_certificate",
            RenewalKind::CloudLdap => "cloud_ldap",
            RenewalKind::ServerCertificate => "server_certificate",
        }
    }

    /// What it is, for people: "Volume Purchasing token".
    pub fn noun(self) -> &'static str {
        match self {
            RenewalKind::Vpp => "Volume Purchasing token",
            RenewalKind::Ade => "Automated Device Enrollment token",
            RenewalKind::BuiltinCa => "built-in certificate authority",
            RenewalKind::SupervisionIdentity => "supervision identity",
            RenewalKind::CloudServices => "Cloud Services connection",
            RenewalKind::SsoCertificate => "SSO signing certificate",
            RenewalKind::CloudLdap => "cloud LDAP certificate",
            RenewalKind::ServerCertificate => "server TLS certificate",
        }
    }

    /// Whether there is one per location or instance (`true`) or one per Jamf server.
    pub fn has_id(self) -> bool {
        matches!(
            self,
            RenewalKind::Vpp
                | RenewalKind::Ade
                | RenewalKind::SupervisionIdentity
                | RenewalKind::CloudLdap
        )
    }

    /// Days before expiry at which the "expiring soon" alert fires.
    pub fn soon_days(self) -> f64 {
        match self {
            RenewalKind::BuiltinCa => 60.0,
            RenewalKind::ServerCertificate => 14.0,
            _ => 30.0,
        }
    }

    /// Days before expiry at which the "imminent" alert pages; only VPP and ADE have one.
    pub fn imminent_days(self) -> Option<f64> {
        match self {
            RenewalKind::Vpp | RenewalKind::Ade => Some(7.0),
            _ => None,
        }
    }

    /// `check`'s default critical threshold (contract, "One-shot check").
    pub fn check_critical_days(self) -> f64 {
        match self {
            RenewalKind::ServerCertificate => 3.0,
            _ => 7.0,
        }
    }

    /// The alert (and runbook) for this kind when it is due soon.
    pub fn soon_alert(self) -> &'static str {
        match self {
            RenewalKind::Vpp => "JamfVppTokenExpiringSoon",
            RenewalKind::Ade => "JamfAdeTokenExpiringSoon",
            RenewalKind::BuiltinCa => "JamfBuiltinCaExpiringSoon",
            RenewalKind::SupervisionIdentity => "JamfSupervisionIdentityExpiringSoon",
            RenewalKind::CloudServices => "JamfCloudServicesTokenExpiringSoon",
            RenewalKind::SsoCertificate => "JamfSsoCertificateExpiringSoon",
            RenewalKind::CloudLdap => "JamfCloudLdapCertificateExpiringSoon",
            RenewalKind::ServerCertificate => "JamfServerCertificateExpiringSoon",
        }
    }

    /// The alert for the imminent band, where the kind has one.
    pub fn imminent_alert(self) -> Option<&'static str> {
        match self {
            RenewalKind::Vpp => Some("JamfVppTokenExpiryImminent"),
            RenewalKind::Ade => Some("JamfAdeTokenExpiryImminent"),
            _ => None,
        }
    }

    /// The alert once expired. The built-in CA has none: Jamf renews it itself, and its
    /// "soon" alert keeps firing until then.
    pub fn expired_alert(self) -> &'static str {
        match self {
            RenewalKind::Vpp => "JamfVppTokenExpired",
            RenewalKind::Ade => "JamfAdeTokenExpired",
            RenewalKind::BuiltinCa => "JamfBuiltinCaExpiringSoon",
            RenewalKind::SupervisionIdentity => "JamfSupervisionIdentityExpired",
            RenewalKind::CloudServices => "JamfCloudServicesTokenExpired",
            RenewalKind::SsoCertificate => "JamfSsoCertificateExpired",
            RenewalKind::CloudLdap => "JamfCloudLdapCertificateExpired",
            RenewalKind::ServerCertificate => "JamfServerCertificateExpired",
        }
    }
}

impl fmt::Display for RenewalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One dated renewal.
#[derive(Debug, Clone, PartialEq)]
pub struct Renewal {
    pub kind: RenewalKind,
    /// The location, instance or identity id; `None` for one-per-server items.
    pub id: Option<String>,
    /// Who it is for ("Harbor Middle School"), or for one-per-server items what it is.
    pub name: String,
    pub expires: DateTime<Utc>,
}

impl Renewal {
    /// The noun with its owner, for sentences: "Harbor Middle School: Volume Purchasing
    /// token", or "Built-in certificate authority".
    pub fn subject(&self) -> String {
        if self.kind.has_id() {
            format!("{}: {}", self.name, self.kind.noun())
        } else {
            self.name.clone()
        }
    }
}

/// Every dated renewal in `snapshot`, earliest first (then by kind and id, so the order
/// is stable). Items without a date are not renewals; `findings` reports them.
pub fn renewals(snapshot: &Snapshot) -> Vec<Renewal> {
    let mut all: Vec<Renewal> = RenewalKind::ALL
        .into_iter()
        .flat_map(|kind| of_kind(snapshot, kind))
        .collect();
    all.sort_by(|a, b| {
        (a.expires, a.kind, &a.id, &a.name).cmp(&(b.expires, b.kind, &b.id, &b.name))
    });
    all
}

/// The one place per kind that reads it from the snapshot.
fn of_kind(snapshot: &Snapshot, kind: RenewalKind) -> Vec<Renewal> {
    match kind {
        RenewalKind::Vpp => snapshot
            .vpp
            .iter()
            .flat_map(|locations| locations.iter())
            .filter_map(|location| {
                Some(Renewal {
                    kind,
                    id: Some(location.id.clone()),
                    name: location.name.clone(),
                    expires: location.token_expiry?,
                })
            })
            .collect(),
        RenewalKind::Ade => snapshot
            .ade
            .iter()
            .flat_map(|instances| instances.iter())
            .filter_map(|instance| {
                Some(Renewal {
                    kind,
                    id: Some(instance.id.clone()),
                    name: instance.name.clone(),
                    expires: instance.token_expiry?,
                })
            })
            .collect(),
        RenewalKind::BuiltinCa => single(
            kind,
            "Built-in certificate authority",
            snapshot.builtin_ca.as_ref().and_then(|ca| ca.not_after),
        ),
        RenewalKind::SupervisionIdentity => snapshot
            .supervision_identities
            .iter()
            .flat_map(|identities| identities.iter())
            .filter_map(|identity| {
                Some(Renewal {
                    kind,
                    id: Some(identity.id.clone()),
                    name: identity.name.clone(),
                    expires: identity.expiry?,
                })
            })
            .collect(),
        RenewalKind::CloudServices => single(
            kind,
            "Cloud Services connection",
            snapshot
                .cloud_services
                .as_ref()
                .and_then(|c| c.token_expiry),
        ),
        RenewalKind::SsoCertificate => single(
            kind,
            "SSO signing certificate",
            snapshot.sso_certificate.as_ref().and_then(|c| c.expiry),
        ),
        RenewalKind::CloudLdap => snapshot
            .cloud_ldap
            .iter()
            .flat_map(|keystores| keystores.iter())
            .filter_map(|keystore| {
                Some(Renewal {
                    kind,
                    id: Some(keystore.id.clone()),
                    name: keystore.name.clone(),
                    expires: keystore.expiry?,
                })
            })
            .collect(),
        RenewalKind::ServerCertificate => single(
            kind,
            "Server TLS certificate",
            snapshot
                .server_certificate
                .as_ref()
                .and_then(|c| c.not_after),
        ),
    }
}

/// The renewal of a kind a Jamf server has one of, when its date is known.
fn single(kind: RenewalKind, name: &str, expires: Option<DateTime<Utc>>) -> Vec<Renewal> {
    expires
        .map(|expires| Renewal {
            kind,
            id: None,
            name: name.to_owned(),
            expires,
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
// A record whose every field is set still ends in `..Default::default()`, so a new
// field needs no change here.
#[allow(clippy::needless_update)]
mod tests {
    use super::*;
    use crate::snapshot::{AdeInstance, BuiltinCa, VppLocation};
    use chrono::TimeZone;

    fn location(id: &str, name: &str, expiry: Option<DateTime<Utc>>) -> VppLocation {
        VppLocation {
            id: id.into(),
            name: name.into(),
            token_expiry: expiry,
            ..Default::default()
        }
    }

    #[test]
    fn kinds_have_the_contract_perfdata_names() {
        let names: Vec<_> = RenewalKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "vpp",
                "ade",
                "builtin_ca",
                "supervision_identity",
                "cloud_services",
                "sso_certificate",
                "cloud_ldap",
                "server_certificate"
            ]
        );
    }

    #[test]
    fn renewals_are_sorted_by_expiry_and_skip_undated_items() {
        let day = |d| Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0).unwrap();
        let snapshot = Snapshot {
            vpp: Some(
                vec![
                    location("1", "Late", Some(day(20))),
                    location("2", "Undated", None),
                    location("3", "Early", Some(day(2))),
                ]
                .into(),
            ),
            ade: Some(
                vec![AdeInstance {
                    id: "7".into(),
                    name: "Devices".into(),
                    server_name: "MDM".into(),
                    token_expiry: Some(day(10)),
                    ..Default::default()
                }]
                .into(),
            ),
            builtin_ca: Some(BuiltinCa {
                not_after: Some(day(31)),
                ..Default::default()
            }),
            ..Snapshot::default()
        };
        let found: Vec<_> = renewals(&snapshot)
            .into_iter()
            .map(|r| (r.kind, r.id, r.name))
            .collect();
        assert_eq!(
            found,
            [
                (RenewalKind::Vpp, Some("3".into()), "Early".into()),
                (RenewalKind::Ade, Some("7".into()), "Devices".into()),
                (RenewalKind::Vpp, Some("1".into()), "Late".into()),
                (
                    RenewalKind::BuiltinCa,
                    None,
                    "Built-in certificate authority".into()
                ),
            ]
        );
    }

    #[test]
    fn an_empty_snapshot_has_no_renewals() {
        assert!(renewals(&Snapshot::default()).is_empty());
    }
}
