//! What the runtime runs, decided from the validated configuration: the targets, how
//! they are presented, and the file that reloads re-read.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::Mode;
use crate::config::{Config, FlagDefaults, JamfTarget, Loaded, Shard, Source, TargetSpec};
use crate::demo;
use crate::jamf::Auth;
use crate::secret::Secret;

/// The targets to start with, and what the supervisor needs to keep them running.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub loaded: Loaded,
    pub shard: Shard,
    /// How many targets refresh at once.
    pub concurrency: usize,
    /// The window over which first refreshes are spread (zero: at once).
    pub spread: Duration,
    /// The file that a reload re-reads, with the flags beneath its `defaults:`; `None`
    /// for a single server, which has nothing to reload.
    pub file: Option<(PathBuf, FlagDefaults)>,
    /// Warn about targets reached over plain HTTP (not for the demo's own loopback).
    pub warn_plain_http: bool,
}

/// The plan for `config`; with `--demo`, the simulator is started here on loopback,
/// and the caller keeps it running as long as the plan runs.
pub async fn plan(config: &Config) -> anyhow::Result<(Option<demo::Simulator>, Plan)> {
    let single = |spec: TargetSpec, warn_plain_http| Plan {
        mode: Mode::Single,
        loaded: Loaded {
            mine: vec![spec],
            elsewhere: Default::default(),
        },
        shard: Shard::WHOLE,
        concurrency: 1,
        spread: Duration::ZERO,
        file: None,
        warn_plain_http,
    };
    Ok(match &config.source {
        Source::Jamf(target) => (None, single(single_spec(config, target.clone()), true)),
        Source::Demo => {
            let simulator_config = demo::SimulatorConfig::demo();
            let auth = Auth::ClientCredentials {
                client_id: simulator_config.credentials.client_id.clone(),
                client_secret: Secret::new(simulator_config.credentials.client_secret.clone()),
            };
            let simulator = demo::Simulator::start(simulator_config)
                .await
                .context("cannot start the demo Jamf Pro simulator")?;
            let target = JamfTarget {
                url: simulator.base_url(),
                api: crate::jamf::Api::Pro,
                auth,
            };
            tracing::info!(url = %target.url, "demo mode: serving a simulated Jamf Pro on loopback");
            (Some(simulator), single(single_spec(config, target), false))
        }
        Source::Targets(source) => (
            None,
            Plan {
                mode: Mode::Fleet,
                loaded: source.loaded.clone(),
                shard: source.shard,
                concurrency: source.concurrency,
                spread: source.spread,
                file: Some((source.path.clone(), source.flags.clone())),
                warn_plain_http: true,
            },
        ),
    })
}

/// The one target of the `--jamf.*` flags, named after its URL's host.
pub fn single_spec(config: &Config, jamf: JamfTarget) -> TargetSpec {
    let name = reqwest::Url::parse(&jamf.url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| jamf.url.clone());
    TargetSpec {
        name,
        timeout: config.jamf_timeout,
        ca_file: config.jamf_ca_file.clone(),
        refresh_interval: config.refresh_interval,
        refresh_timeout: config.refresh_timeout,
        collectors: jamf.collectors(&config.collectors),
        mdm_window: config.mdm_window,
        jamf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_server_is_named_after_its_host() {
        let parsed = crate::config::try_parse_from([
            "jamf_exporter",
            "--jamf.url",
            "https://school.jamfcloud.com:8443/",
            "--jamf.client-id",
            "id",
        ])
        .unwrap();
        let config = Config::from_raw(parsed, &[("JAMF_CLIENT_SECRET", "s")]).unwrap();
        let Source::Jamf(target) = &config.source else {
            panic!("one server");
        };
        let spec = single_spec(&config, target.clone());
        assert_eq!(spec.name, "school.jamfcloud.com");
        assert_eq!(spec.refresh_interval, config.refresh_interval);
    }
}
