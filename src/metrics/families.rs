//! Every metric the exporter publishes, declared once: name, type, help and label names.
//! Only the prometheus crate's `process_*` metrics are not declared here.
//!
//! Renderers refer to these constants, never to names as strings, so a misspelt metric
//! is a compile error and the number of label values is checked by the type. `ALL`
//! lists them for the test that holds docs/metrics.md to them.

/// A metric family: what `# HELP` and `# TYPE` say, and its label names.
#[derive(Debug)]
pub struct Family<const N: usize> {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub labels: [&'static str; N],
    /// Its value comes from Jamf and is cached between refreshes; the help says so.
    pub cached: bool,
}

/// A family with its label count erased, so families of any count fit in one list.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
}

impl<const N: usize> Family<N> {
    const fn declared(&'static self) -> Declared {
        Declared {
            name: self.name,
            kind: self.kind,
            labels: &self.labels,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

const fn jamf<const N: usize>(
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
) -> Family<N> {
    Family {
        name,
        help,
        kind: Kind::Gauge,
        labels,
        cached: true,
    }
}

const fn gauge<const N: usize>(
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
) -> Family<N> {
    Family {
        name,
        help,
        kind: Kind::Gauge,
        labels,
        cached: false,
    }
}

const fn counter<const N: usize>(
    name: &'static str,
    help: &'static str,
    labels: [&'static str; N],
) -> Family<N> {
    Family {
        name,
        help,
        kind: Kind::Counter,
        labels,
        cached: false,
    }
}

const LOCATION: [&str; 2] = ["location_id", "location"];
const CONTENT: [&str; 5] = [
    "location_id",
    "location",
    "adam_id",
    "content",
    "content_type",
];
const ADE_TOKEN: [&str; 3] = ["instance_id", "instance_name", "server_name"];
const ADE_SYNC: [&str; 2] = ["instance_id", "instance_name"];

// Volume purchasing.
pub const VPP_LOCATION_INFO: Family<6> = jamf(
    "jamf_vpp_location_info",
    "Volume Purchasing location; always 1. asm_location is Apple's location name.",
    [
        "location_id",
        "location",
        "asm_location",
        "organization",
        "country_code",
        "site_id",
    ],
);
pub const VPP_TOKEN_EXPIRY: Family<2> = jamf(
    "jamf_vpp_token_expiry_timestamp_seconds",
    "Expiry of the location's Volume Purchasing token, Unix seconds.",
    LOCATION,
);
pub const VPP_TOKEN_DAYS: Family<2> = jamf(
    "jamf_vpp_token_days_until_expiry",
    "Days until the Volume Purchasing token expires, computed at scrape time; negative once expired.",
    LOCATION,
);
pub const VPP_LICENSES_PURCHASED: Family<2> = jamf(
    "jamf_vpp_licenses_purchased",
    "Licences purchased under the location's token (totalPurchasedLicenses).",
    LOCATION,
);
pub const VPP_LICENSES_USED: Family<2> = jamf(
    "jamf_vpp_licenses_used",
    "Licences in use under the location's token (totalUsedLicenses).",
    LOCATION,
);
pub const VPP_LAST_SYNC: Family<2> = jamf(
    "jamf_vpp_last_sync_timestamp_seconds",
    "When Jamf last synced the location with Apple, Unix seconds.",
    LOCATION,
);
pub const VPP_CLIENT_CONTEXT_MISMATCH: Family<2> = jamf(
    "jamf_vpp_client_context_mismatch",
    "1 when another MDM server is using this location's token.",
    LOCATION,
);
pub const VPP_CONTENT_PURCHASED: Family<5> = jamf(
    "jamf_vpp_content_licenses_purchased",
    "Licences purchased for one app or book under a location's token.",
    CONTENT,
);
pub const VPP_CONTENT_USED: Family<5> = jamf(
    "jamf_vpp_content_licenses_used",
    "Licences in use for one app or book under a location's token.",
    CONTENT,
);

// Automated Device Enrollment.
pub const ADE_TOKEN_EXPIRY: Family<3> = jamf(
    "jamf_ade_token_expiry_timestamp_seconds",
    "Expiry of the Automated Device Enrollment token (a date, taken as 00:00 UTC), Unix seconds.",
    ADE_TOKEN,
);
pub const ADE_TOKEN_DAYS: Family<3> = jamf(
    "jamf_ade_token_days_until_expiry",
    "Days until the Automated Device Enrollment token expires, computed at scrape time; negative once expired.",
    ADE_TOKEN,
);
pub const ADE_LAST_SYNC: Family<2> = jamf(
    "jamf_ade_last_sync_timestamp_seconds",
    "Time of the latest Automated Device Enrollment sync, Unix seconds.",
    ADE_SYNC,
);
pub const ADE_LAST_SYNC_SUCCESS: Family<2> = jamf(
    "jamf_ade_last_sync_success",
    "1 when the latest Automated Device Enrollment sync succeeded.",
    ADE_SYNC,
);

// Other renewals and server state.
pub const NOTIFICATION_ACTIVE: Family<1> = jamf(
    "jamf_notification_active",
    "Active Jamf Pro notifications by type (PUSH_CERT_WILL_EXPIRE watches the APNs certificate).",
    ["type"],
);
pub const BUILTIN_CA_EXPIRY: Family<0> = jamf(
    "jamf_builtin_ca_expiry_timestamp_seconds",
    "Expiry of Jamf Pro's built-in certificate authority, Unix seconds.",
    [],
);
pub const VERSION_INFO: Family<1> = jamf(
    "jamf_version_info",
    "Jamf Pro version; always 1.",
    ["version"],
);
pub const HEALTHCHECK_CODE: Family<0> = jamf(
    "jamf_healthcheck_code",
    "Jamf Pro /healthCheck.html reading: 0 when healthy, else the healthCode.",
    [],
);

// The other dated renewals.
pub const SUPERVISION_IDENTITY_EXPIRY: Family<2> = jamf(
    "jamf_supervision_identity_expiry_timestamp_seconds",
    "Expiry of the Apple Configurator supervision identity (a date, taken as 00:00 UTC), Unix seconds.",
    ["identity_id", "identity_name"],
);
pub const CLOUD_SERVICES_EXPIRY: Family<0> = jamf(
    "jamf_cloud_services_token_expiry_timestamp_seconds",
    "Expiry of the Jamf Cloud Services connection token (refreshExpiration), Unix seconds.",
    [],
);
pub const SSO_CERTIFICATE_EXPIRY: Family<0> = jamf(
    "jamf_sso_certificate_expiry_timestamp_seconds",
    "Expiry of the SAML signing certificate used for single sign-on, Unix seconds.",
    [],
);
pub const CLOUD_LDAP_EXPIRY: Family<2> = jamf(
    "jamf_cloud_ldap_certificate_expiry_timestamp_seconds",
    "Expiry of the cloud identity provider's Google Secure LDAP keystore, Unix seconds.",
    ["idp_id", "idp_name"],
);
pub const SERVER_CERTIFICATE_EXPIRY: Family<0> = jamf(
    "jamf_server_certificate_expiry_timestamp_seconds",
    "Expiry (notAfter) of the TLS certificate the Jamf URL presented, Unix seconds.",
    [],
);

// MDM profiles of managed devices (collector mdm_profiles), per platform.
pub const MDM_PROFILES_EXPIRING: Family<1> = jamf(
    "jamf_mdm_profiles_expiring",
    "Managed devices whose MDM profile expires within --collector.mdm_profiles.window and has not expired.",
    ["platform"],
);
pub const MDM_PROFILES_EXPIRED: Family<1> = jamf(
    "jamf_mdm_profiles_expired",
    "Managed devices whose MDM profile has expired.",
    ["platform"],
);
pub const MDM_PROFILE_NEXT_EXPIRY: Family<1> = jamf(
    "jamf_mdm_profile_next_expiry_timestamp_seconds",
    "Earliest MDM profile expiry still in the future among managed devices, Unix seconds.",
    ["platform"],
);
pub const MDM_PROFILE_AUTO_RENEW: Family<1> = jamf(
    "jamf_mdm_profile_auto_renew",
    "1 when Jamf Pro renews MDM profiles before the device identity certificate expires.",
    ["platform"],
);

// Refresh health, from the snapshot.
pub const UP: Family<0> = gauge(
    "jamf_up",
    "1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.",
    [],
);
pub const COLLECTOR_SUCCESS: Family<1> = gauge(
    "jamf_collector_success",
    "1 when the collector's last refresh succeeded.",
    ["collector"],
);
pub const COLLECTOR_DURATION: Family<1> = gauge(
    "jamf_collector_duration_seconds",
    "How long the collector's last refresh took.",
    ["collector"],
);
pub const COLLECTOR_LAST_SUCCESS: Family<1> = gauge(
    "jamf_collector_last_success_timestamp_seconds",
    "When the collector's data was last fresh, Unix seconds.",
    ["collector"],
);
pub const REFRESH_INTERVAL: Family<0> = gauge(
    "jamf_exporter_refresh_interval_seconds",
    "The configured interval between refreshes from Jamf.",
    [],
);
pub const EXPIRY_THRESHOLD: Family<1> = gauge(
    "jamf_exporter_expiry_threshold_seconds",
    "The VPP and ADE token bands in force for this server (--thresholds.* or the target's thresholds:), by severity.",
    ["severity"],
);
pub const LAST_REFRESH: Family<0> = gauge(
    "jamf_exporter_last_refresh_timestamp_seconds",
    "When the last refresh ended, successful or not, Unix seconds.",
    [],
);

// Counters kept while the exporter runs.
pub const API_REQUESTS: Family<2> = counter(
    "jamf_exporter_api_requests_total",
    "Requests sent to the Jamf Pro API, by route template and HTTP status (or error).",
    ["endpoint", "code"],
);
pub const REFRESH_ERRORS: Family<2> = counter(
    "jamf_exporter_refresh_errors_total",
    "Failed collector refreshes, by collector and the first failing reason.",
    ["collector", "reason"],
);
pub const SKIPPED_RECORDS: Family<2> = counter(
    "jamf_exporter_skipped_records_total",
    "Records Jamf sent that cannot become series (no id, or an id seen before), by collector and reason.",
    ["collector", "reason"],
);
pub const DEPRECATED_RESPONSES: Family<1> = counter(
    "jamf_exporter_deprecated_responses_total",
    "Jamf answers that carried a Deprecation or Sunset header: Jamf has announced the end of an endpoint this collector uses.",
    ["collector"],
);

// The process.
pub const BUILD_INFO: Family<3> = gauge(
    "jamf_exporter_build_info",
    "Build information of jamf_exporter; always 1.",
    ["version", "revision", "rustversion"],
);

// With --config.file, on the telemetry path.
pub const TARGETS: Family<0> = gauge(
    "jamf_exporter_targets",
    "Jamf servers of --config.file that this replica polls (its shard).",
    [],
);
pub const CONFIG_RELOAD_SUCCESS: Family<0> = gauge(
    "jamf_exporter_config_last_reload_successful",
    "1 when the last load of --config.file succeeded, else 0.",
    [],
);
pub const CONFIG_RELOAD_TIMESTAMP: Family<0> = gauge(
    "jamf_exporter_config_last_reload_success_timestamp_seconds",
    "When --config.file was last loaded successfully, Unix seconds.",
    [],
);

/// Every family above, in the order of this file.
pub const ALL: &[Declared] = &[
    VPP_LOCATION_INFO.declared(),
    VPP_TOKEN_EXPIRY.declared(),
    VPP_TOKEN_DAYS.declared(),
    VPP_LICENSES_PURCHASED.declared(),
    VPP_LICENSES_USED.declared(),
    VPP_LAST_SYNC.declared(),
    VPP_CLIENT_CONTEXT_MISMATCH.declared(),
    VPP_CONTENT_PURCHASED.declared(),
    VPP_CONTENT_USED.declared(),
    ADE_TOKEN_EXPIRY.declared(),
    ADE_TOKEN_DAYS.declared(),
    ADE_LAST_SYNC.declared(),
    ADE_LAST_SYNC_SUCCESS.declared(),
    NOTIFICATION_ACTIVE.declared(),
    BUILTIN_CA_EXPIRY.declared(),
    VERSION_INFO.declared(),
    HEALTHCHECK_CODE.declared(),
    SUPERVISION_IDENTITY_EXPIRY.declared(),
    CLOUD_SERVICES_EXPIRY.declared(),
    SSO_CERTIFICATE_EXPIRY.declared(),
    CLOUD_LDAP_EXPIRY.declared(),
    SERVER_CERTIFICATE_EXPIRY.declared(),
    MDM_PROFILES_EXPIRING.declared(),
    MDM_PROFILES_EXPIRED.declared(),
    MDM_PROFILE_NEXT_EXPIRY.declared(),
    MDM_PROFILE_AUTO_RENEW.declared(),
    UP.declared(),
    COLLECTOR_SUCCESS.declared(),
    COLLECTOR_DURATION.declared(),
    COLLECTOR_LAST_SUCCESS.declared(),
    REFRESH_INTERVAL.declared(),
    EXPIRY_THRESHOLD.declared(),
    LAST_REFRESH.declared(),
    API_REQUESTS.declared(),
    REFRESH_ERRORS.declared(),
    SKIPPED_RECORDS.declared(),
    DEPRECATED_RESPONSES.declared(),
    BUILD_INFO.declared(),
    TARGETS.declared(),
    CONFIG_RELOAD_SUCCESS.declared(),
    CONFIG_RELOAD_TIMESTAMP.declared(),
];
