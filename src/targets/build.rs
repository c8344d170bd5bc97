//! One target's client and poller, as the runtime and `check` both run them.

use std::sync::Arc;
use std::time::Duration;

use crate::config::TargetSpec;
use crate::injected::InjectedPanics;
use crate::jamf::client::DEFAULT_MAX_BODY_BYTES;
use crate::jamf::{Api, ClientSettings, ProxySettings, SharedHttp};
use crate::metrics::Counters;
use crate::poller::Poller;
use crate::snapshot::{CollectorName, SnapshotStore};

/// The client and poller for one target, with an empty store and new counters.
/// `timeout` bounds each refresh. Reads the CA file and builds an HTTP client where
/// `http` has none for these settings yet: blocking work, for start-up or a blocking
/// thread.
pub fn poller_for(
    spec: &TargetSpec,
    proxy: &ProxySettings,
    timeout: Duration,
    injected: InjectedPanics,
    http: &SharedHttp,
) -> anyhow::Result<Poller> {
    let enabled: Vec<CollectorName> = spec.collectors.iter().copied().collect();
    let store = Arc::new(SnapshotStore::new(Poller::initial_snapshot(
        &spec.jamf.url,
        match &spec.jamf.api {
            Api::Pro => None,
            Api::Platform(context) => Some(context.clone()),
        },
        &enabled,
    )));
    let counters = Arc::new(Counters::new(&enabled));
    let client = http.client(
        ClientSettings {
            base_url: spec.jamf.url.clone(),
            api: spec.jamf.api.clone(),
            auth: spec.jamf.auth.clone(),
            timeout: spec.timeout,
            ca_file: spec.ca_file.clone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            proxy: proxy.clone(),
        },
        counters.client_counters(),
    )?;
    Ok(Poller {
        client: Arc::new(client),
        store,
        enabled,
        interval: spec.refresh_interval,
        timeout,
        counters,
        wake: Arc::new(tokio::sync::Notify::new()),
        injected,
        mdm_profiles: Arc::new(crate::collectors::mdm_profiles::Settings::new(
            spec.mdm_window,
        )),
    })
}
