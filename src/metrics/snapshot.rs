//! The one walk from a snapshot to its families. Pure: the time is passed in.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::families::*;
use super::text::Sink;
use crate::bands::TokenBands;
use crate::snapshot::{days_until, AdeInstance, Snapshot, VppContentItem, VppLocation};

/// Writes every family of `snapshot` at `now`: Jamf's data, `jamf_up`, the collector
/// gauges and the refresh liveness gauges.
pub fn write(
    out: &mut impl Sink,
    snapshot: &Snapshot,
    refresh_interval: Duration,
    bands: TokenBands,
    now: DateTime<Utc>,
) {
    let locations = snapshot
        .vpp
        .as_deref()
        .map(Vec::as_slice)
        .unwrap_or_default();
    fn key(l: &VppLocation) -> [&str; 2] {
        [l.id.as_str(), l.name.as_str()]
    }
    out.family(
        &VPP_LOCATION_INFO,
        locations.iter().map(|l| {
            (
                [
                    l.id.as_str(),
                    l.name.as_str(),
                    l.asm_location.as_str(),
                    l.organization.as_str(),
                    l.country_code.as_str(),
                    l.site_id.as_str(),
                ],
                1.0,
            )
        }),
    );
    out.family(
        &VPP_TOKEN_EXPIRY,
        locations
            .iter()
            .filter_map(|l| Some((key(l), seconds(l.token_expiry?)))),
    );
    out.family(
        &VPP_TOKEN_DAYS,
        locations
            .iter()
            .filter_map(|l| Some((key(l), days_until(l.token_expiry?, now)))),
    );
    out.family(
        &VPP_LICENSES_PURCHASED,
        locations
            .iter()
            .filter_map(|l| Some((key(l), l.licenses_purchased?))),
    );
    out.family(
        &VPP_LICENSES_USED,
        locations
            .iter()
            .filter_map(|l| Some((key(l), l.licenses_used?))),
    );
    out.family(
        &VPP_LAST_SYNC,
        locations
            .iter()
            .filter_map(|l| Some((key(l), seconds(l.last_sync?)))),
    );
    out.family(
        &VPP_CLIENT_CONTEXT_MISMATCH,
        locations
            .iter()
            .filter_map(|l| Some((key(l), flag(l.client_context_mismatch?)))),
    );

    let content = snapshot
        .vpp_content
        .as_deref()
        .map(Vec::as_slice)
        .unwrap_or_default();
    fn content_key(c: &VppContentItem) -> [&str; 5] {
        [
            c.location_id.as_str(),
            c.location.as_str(),
            c.adam_id.as_str(),
            c.name.as_str(),
            c.content_type.as_str(),
        ]
    }
    out.family(
        &VPP_CONTENT_PURCHASED,
        content
            .iter()
            .filter_map(|c| Some((content_key(c), c.licenses_purchased?))),
    );
    out.family(
        &VPP_CONTENT_USED,
        content
            .iter()
            .filter_map(|c| Some((content_key(c), c.licenses_used?))),
    );

    let instances = snapshot
        .ade
        .as_deref()
        .map(Vec::as_slice)
        .unwrap_or_default();
    fn token_key(i: &AdeInstance) -> [&str; 3] {
        [i.id.as_str(), i.name.as_str(), i.server_name.as_str()]
    }
    fn sync_key(i: &AdeInstance) -> [&str; 2] {
        [i.id.as_str(), i.name.as_str()]
    }
    out.family(
        &ADE_TOKEN_EXPIRY,
        instances
            .iter()
            .filter_map(|i| Some((token_key(i), seconds(i.token_expiry?)))),
    );
    out.family(
        &ADE_TOKEN_DAYS,
        instances
            .iter()
            .filter_map(|i| Some((token_key(i), days_until(i.token_expiry?, now)))),
    );
    out.family(
        &ADE_LAST_SYNC,
        instances
            .iter()
            .filter_map(|i| Some((sync_key(i), seconds(i.last_sync?)))),
    );
    out.family(
        &ADE_LAST_SYNC_SUCCESS,
        instances
            .iter()
            .filter_map(|i| Some((sync_key(i), flag(i.last_sync_success?)))),
    );

    out.family(
        &NOTIFICATION_ACTIVE,
        snapshot
            .notifications
            .as_deref()
            .into_iter()
            .flatten()
            .map(|(kind, active)| ([kind.as_str()], *active as f64)),
    );
    out.family(
        &BUILTIN_CA_EXPIRY,
        snapshot
            .builtin_ca
            .as_ref()
            .and_then(|ca| ca.not_after)
            .map(|expiry| ([], seconds(expiry))),
    );
    out.family(
        &VERSION_INFO,
        snapshot
            .version
            .as_ref()
            .and_then(|v| v.version.as_deref())
            .map(|version| ([version], 1.0)),
    );
    out.family(
        &HEALTHCHECK_CODE,
        snapshot
            .healthcheck
            .as_ref()
            .map(|health| ([], health.code as f64)),
    );

    out.family(
        &SUPERVISION_IDENTITY_EXPIRY,
        snapshot
            .supervision_identities
            .as_deref()
            .into_iter()
            .flatten()
            .filter_map(|i| Some(([i.id.as_str(), i.name.as_str()], seconds(i.expiry?)))),
    );
    out.family(
        &CLOUD_SERVICES_EXPIRY,
        snapshot
            .cloud_services
            .as_ref()
            .and_then(|token| token.token_expiry)
            .map(|expiry| ([], seconds(expiry))),
    );
    out.family(
        &SSO_CERTIFICATE_EXPIRY,
        snapshot
            .sso_certificate
            .as_ref()
            .and_then(|certificate| certificate.expiry)
            .map(|expiry| ([], seconds(expiry))),
    );
    out.family(
        &CLOUD_LDAP_EXPIRY,
        snapshot
            .cloud_ldap
            .as_deref()
            .into_iter()
            .flatten()
            .filter_map(|k| Some(([k.id.as_str(), k.name.as_str()], seconds(k.expiry?)))),
    );
    out.family(
        &SERVER_CERTIFICATE_EXPIRY,
        snapshot
            .server_certificate
            .as_ref()
            .and_then(|certificate| certificate.not_after)
            .map(|expiry| ([], seconds(expiry))),
    );
    let platforms = snapshot
        .mdm_profiles
        .as_ref()
        .map(|mdm| mdm.platforms())
        .into_iter()
        .flatten();
    out.family(
        &MDM_PROFILES_EXPIRING,
        platforms
            .clone()
            .map(|(platform, p)| ([platform], p.expiring as f64)),
    );
    out.family(
        &MDM_PROFILES_EXPIRED,
        platforms
            .clone()
            .map(|(platform, p)| ([platform], p.expired as f64)),
    );
    out.family(
        &MDM_PROFILE_NEXT_EXPIRY,
        platforms
            .clone()
            .filter_map(|(platform, p)| Some(([platform], seconds(p.next_expiry?)))),
    );
    out.family(
        &MDM_PROFILE_AUTO_RENEW,
        platforms.filter_map(|(platform, p)| Some(([platform], flag(p.auto_renew?)))),
    );

    out.family(&UP, [([], flag(snapshot.up))]);
    let statuses = &snapshot.collectors;
    out.family(
        &COLLECTOR_SUCCESS,
        statuses
            .iter()
            .map(|s| ([s.name.as_str()], flag(s.success))),
    );
    out.family(
        &COLLECTOR_DURATION,
        statuses
            .iter()
            .map(|s| ([s.name.as_str()], s.duration.as_secs_f64())),
    );
    out.family(
        &COLLECTOR_LAST_SUCCESS,
        statuses
            .iter()
            .filter_map(|s| Some(([s.name.as_str()], seconds(s.last_success?)))),
    );
    out.family(&REFRESH_INTERVAL, [([], refresh_interval.as_secs_f64())]);
    out.family(
        &EXPIRY_THRESHOLD,
        [
            (["warning"], bands.warning().as_secs_f64()),
            (["critical"], bands.critical().as_secs_f64()),
        ],
    );
    out.family(
        &LAST_REFRESH,
        snapshot.last_refresh.map(|at| ([], seconds(at))),
    );
}

fn seconds(instant: DateTime<Utc>) -> f64 {
    instant.timestamp_millis() as f64 / 1000.0
}

fn flag(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}
