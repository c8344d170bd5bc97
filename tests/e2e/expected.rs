//! The alerts the demo district must raise, and nothing else (see `src/demo/dataset.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::webhook::Notified;

/// What an alert is about.
pub enum Object {
    Location {
        id: &'static str,
        name: &'static str,
    },
    AdeInstance {
        id: &'static str,
        name: &'static str,
    },
    Notification(&'static str),
    SupervisionIdentity {
        id: &'static str,
        name: &'static str,
    },
    /// Something Jamf Pro has once (the SSO certificate): no label beyond the exporter's.
    JamfServer,
    Exporter,
}

pub struct Expected {
    pub alertname: &'static str,
    pub severity: &'static str,
    pub object: Object,
    /// Text the description must contain, beyond the object's name.
    pub mentions: &'static [&'static str],
}

/// What both District Office and Lakeview High School say once the token swap is replayed.
const SHARED_APPLE_LOCATION: &str = r#"reports the Apple location "Lakeview High School" of organization "Lakeview Unified School District", and so do 2 Jamf locations in all: "Lakeview High School" (id 1), "District Office" (id 9)."#;

/// The alert the test raises itself by stopping the exporter.
pub const EXPORTER_DOWN: &str = "JamfExporterDown";

/// Every alert the demo raises while the exporter runs, once it has replayed the token swap of
/// location 9. Location 6 (never had licences) and ADE instance 1 raise none; location 1
/// (healthy) raises only the shared Apple location, together with 9, whose token it holds;
/// location 7 raises only the licence one; location 10 raises renewed-but-not-synced and, its
/// sync being 3 days old, the stale sync; the exporter and Jamf are healthy. Of the other
/// renewals, supervision identity 1 (~25 days) and the SSO certificate (~10 days) raise their
/// Soon warnings; Cloud Services and the cloud LDAP keystore are healthy, and the demo's plain
/// HTTP has no server certificate.
pub fn demo_alerts() -> Vec<Expected> {
    use Object::*;
    let location = |id, name| Location { id, name };
    vec![
        Expected {
            alertname: "JamfVppTokenExpiringSoon",
            severity: "warning",
            object: location("2", "North Elementary"),
            mentions: &["expires on 20"],
        },
        Expected {
            alertname: "JamfVppTokenExpiryImminent",
            severity: "critical",
            object: location("3", "Escuela Peña Blanca"),
            mentions: &["expires on 20"],
        },
        Expected {
            alertname: "JamfVppTokenExpired",
            severity: "critical",
            object: location("4", "Harbor Middle School"),
            mentions: &["expired on 20"],
        },
        Expected {
            alertname: "JamfVppSyncStale",
            severity: "warning",
            object: location("4", "Harbor Middle School"),
            mentions: &["last synced with Apple 3d "],
        },
        Expected {
            alertname: "JamfVppTokenRenewedNotSynced",
            severity: "warning",
            object: location("10", "Riverside Elementary"),
            mentions: &["before its token expires, so before the token was uploaded"],
        },
        Expected {
            alertname: "JamfVppSyncStale",
            severity: "warning",
            object: location("10", "Riverside Elementary"),
            mentions: &["last synced with Apple 3d "],
        },
        Expected {
            alertname: "JamfVppTokenMissing",
            severity: "warning",
            object: location("5", "St. Mary's Annex"),
            mentions: &["without a token expiry date"],
        },
        Expected {
            alertname: "JamfVppLicensesExhausted",
            severity: "warning",
            object: location("7", "West Elementary"),
            mentions: &["has 800 licences in use out of 800 purchased."],
        },
        Expected {
            alertname: "JamfVppClientContextMismatch",
            severity: "critical",
            object: location("8", "South Middle School"),
            mentions: &["bound to a different MDM server"],
        },
        Expected {
            alertname: "JamfVppLicensesDroppedToZero",
            severity: "critical",
            object: location("9", "District Office"),
            mentions: &[
                "now reports 0 purchased licences, after reporting 1200 within the last day",
            ],
        },
        Expected {
            alertname: "JamfVppTokenLocationChanged",
            severity: "warning",
            object: location("9", "District Office"),
            mentions: &[
                r#"reported 2 different Apple locations within the last day: "District Office", "Lakeview High School"."#,
            ],
        },
        Expected {
            alertname: "JamfVppAppleLocationShared",
            severity: "critical",
            object: location("1", "Lakeview High School"),
            mentions: &[SHARED_APPLE_LOCATION],
        },
        Expected {
            alertname: "JamfVppAppleLocationShared",
            severity: "critical",
            object: location("9", "District Office"),
            mentions: &[SHARED_APPLE_LOCATION],
        },
        Expected {
            alertname: "JamfAdeTokenExpiringSoon",
            severity: "warning",
            object: AdeInstance {
                id: "2",
                name: "LUSD Staff Macs (ABM)",
            },
            mentions: &["Lakeview Staff MDM", "expires on 20", " 00:00 UTC"],
        },
        Expected {
            alertname: "JamfAdeSyncFailing",
            severity: "warning",
            object: AdeInstance {
                id: "2",
                name: "LUSD Staff Macs (ABM)",
            },
            mentions: &["was not successful (sync at 20"],
        },
        Expected {
            alertname: "JamfAppleTermsNotAccepted",
            severity: "critical",
            object: Notification("DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED"),
            mentions: &["must accept in Apple School Manager or Apple Business Manager"],
        },
        Expected {
            alertname: "JamfApnsCertificateExpiring",
            severity: "warning",
            object: Notification("PUSH_CERT_WILL_EXPIRE"),
            mentions: &["PUSH_CERT_WILL_EXPIRE"],
        },
        Expected {
            alertname: "JamfSupervisionIdentityExpiringSoon",
            severity: "warning",
            object: SupervisionIdentity {
                id: "1",
                name: "Lakeview Configurator Carts",
            },
            mentions: &["expires on 20", " 00:00 UTC"],
        },
        Expected {
            alertname: "JamfSsoCertificateExpiringSoon",
            severity: "warning",
            object: JamfServer,
            mentions: &["SAML signing certificate", "expires on 20"],
        },
    ]
}

pub fn exporter_down() -> Expected {
    Expected {
        alertname: EXPORTER_DOWN,
        severity: "critical",
        object: Object::Exporter,
        mentions: &["Prometheus cannot scrape the jamf_exporter target"],
    }
}

/// An alert's name and the label of the object it is about: what tells two alerts apart here.
pub fn identity(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("alertname").map(String::as_str).unwrap_or("");
    for key in [
        "location_id",
        "instance_id",
        "type",
        "collector",
        "identity_id",
        "idp_id",
    ] {
        if let Some(value) = labels.get(key) {
            return format!("{name}{{{key}=\"{value}\"}}");
        }
    }
    name.to_owned()
}

/// The same for the label object of a Prometheus or Alertmanager API answer.
pub fn identity_of_json(labels: &serde_json::Value) -> String {
    let map = labels
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
        .collect();
    identity(&map)
}

impl Expected {
    pub fn identity(&self) -> String {
        let name = self.alertname;
        match self.object {
            Object::Location { id, .. } => format!("{name}{{location_id=\"{id}\"}}"),
            Object::AdeInstance { id, .. } => format!("{name}{{instance_id=\"{id}\"}}"),
            Object::Notification(kind) => format!("{name}{{type=\"{kind}\"}}"),
            Object::SupervisionIdentity { id, .. } => format!("{name}{{identity_id=\"{id}\"}}"),
            Object::JamfServer | Object::Exporter => name.to_owned(),
        }
    }

    /// What is wrong with a notification of this alert: labels, route and annotations.
    pub fn problems(&self, notified: &Notified, exporter: &str, root: &Path) -> Vec<String> {
        let mut problems = Vec::new();
        let labels = &notified.labels;
        let mut want = vec![
            ("alertname", self.alertname),
            ("severity", self.severity),
            ("job", "jamf"),
            ("instance", exporter),
        ];
        let name = match self.object {
            Object::Location { id, name } => {
                want.extend([("location_id", id), ("location", name)]);
                name
            }
            Object::AdeInstance { id, name } => {
                want.extend([("instance_id", id), ("instance_name", name)]);
                name
            }
            Object::Notification(kind) => {
                want.push(("type", kind));
                kind
            }
            Object::SupervisionIdentity { id, name } => {
                want.extend([("identity_id", id), ("identity_name", name)]);
                name
            }
            Object::JamfServer | Object::Exporter => exporter,
        };
        for (key, value) in want {
            let got = labels.get(key).map(String::as_str);
            if got != Some(value) {
                problems.push(format!("label {key} is {got:?}, expected {value:?}"));
            }
        }
        // The receivers of examples/alertmanager.yml: critical pages, warning opens a ticket.
        let receiver = match self.severity {
            "critical" => "pager",
            "warning" => "ticket",
            _ => "blackhole",
        };
        if notified.receiver != receiver || notified.path != format!("/{receiver}") {
            problems.push(format!(
                "routed to receiver {:?} (posted to {}), expected {receiver:?} for severity {}",
                notified.receiver, notified.path, self.severity
            ));
        }
        for key in ["summary", "description", "runbook_url"] {
            let text = notified
                .annotations
                .get(key)
                .map(String::as_str)
                .unwrap_or("");
            if text.trim().is_empty() {
                problems.push(format!("annotation {key} is missing or empty"));
            }
            for bad in ["<no value>", "error expanding", "error executing", "%!"] {
                if text.contains(bad) {
                    problems.push(format!("annotation {key} has a template error: {text:?}"));
                }
            }
        }
        let description = notified
            .annotations
            .get("description")
            .map(String::as_str)
            .unwrap_or("");
        for mention in std::iter::once(&name).chain(self.mentions) {
            if !description.contains(mention) {
                problems.push(format!(
                    "description does not mention {mention:?}: {description:?}"
                ));
            }
        }
        let runbook = notified
            .annotations
            .get("runbook_url")
            .map(String::as_str)
            .unwrap_or("");
        let page = format!("/docs/runbooks/{}.md", self.alertname);
        if !runbook.ends_with(&page) {
            problems.push(format!(
                "runbook_url {runbook:?} does not end with {page:?}"
            ));
        } else if !root.join(&page[1..]).is_file() {
            problems.push(format!("runbook {} does not exist", &page[1..]));
        }
        problems
    }
}
