//! What the runtime runs, decided from the validated configuration: the targets, how
//! they are presented, and the file that reloads re-read.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::Mode;
use crate::bands::TokenBands;
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

/// The plan for `config`; with `--demo`, the simulators are started here on loopback,
/// and the caller keeps them running as long as the plan runs.
pub async fn plan(config: &Config) -> anyhow::Result<(Vec<demo::Simulator>, Plan)> {
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
        Source::Jamf(target) => (
            Vec::new(),
            single(single_spec(config, target.clone()), true),
        ),
        Source::Demo { targets } if *targets <= 1 => {
            let (simulator, target) = start_simulator(demo::SimulatorConfig::demo(), false).await?;
            tracing::info!(url = %target.url, "demo mode: serving a simulated Jamf Pro on loopback");
            (vec![simulator], single(single_spec(config, target), false))
        }
        Source::Demo { targets } => demo_fleet(config, *targets).await?,
        Source::Targets(source) => (
            Vec::new(),
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

/// How far apart the demo fleet's first refreshes are spread: the page fills at once.
const DEMO_SPREAD: Duration = Duration::from_secs(2);

/// `--demo --demo.targets N`: N simulators, run as `--config.file` would run them.
async fn demo_fleet(
    config: &Config,
    targets: usize,
) -> anyhow::Result<(Vec<demo::Simulator>, Plan)> {
    let mut simulators = Vec::with_capacity(targets);
    let mut mine = Vec::with_capacity(targets);
    for server in demo::fleet(targets, chrono::Utc::now()) {
        let (simulator, jamf) = start_simulator(server.simulator, server.wrong_secret).await?;
        let thresholds = match server.warning {
            Some(warning) => {
                TokenBands::new(warning, config.thresholds.critical()).unwrap_or(config.thresholds)
            }
            None => config.thresholds,
        };
        mine.push(TargetSpec {
            name: server.name,
            labels: server.labels,
            thresholds,
            ..single_spec(config, jamf)
        });
        simulators.push(simulator);
    }
    tracing::info!(
        targets,
        "demo mode: serving a fleet of simulated Jamf Pro servers on loopback; see /sd and /probe?target=demo-1"
    );
    let plan = Plan {
        mode: Mode::Fleet,
        loaded: Loaded {
            mine,
            elsewhere: Default::default(),
        },
        shard: Shard::WHOLE,
        concurrency: crate::config::DEFAULT_CONCURRENCY,
        spread: DEMO_SPREAD,
        file: None,
        warn_plain_http: false,
    };
    Ok((simulators, plan))
}

/// Starts one simulator and says how to log in to it (with a secret it refuses when
/// `wrong_secret`).
async fn start_simulator(
    simulator_config: demo::SimulatorConfig,
    wrong_secret: bool,
) -> anyhow::Result<(demo::Simulator, JamfTarget)> {
    let secret = if wrong_secret {
        format!("not-{}", simulator_config.credentials.client_secret)
    } else {
        simulator_config.credentials.client_secret.clone()
    };
    let auth = Auth::ClientCredentials {
        client_id: simulator_config.credentials.client_id.clone(),
        client_secret: Secret::new(secret),
    };
    let simulator = demo::Simulator::start(simulator_config)
        .await
        .context("cannot start the demo Jamf Pro simulator")?;
    let target = JamfTarget {
        url: simulator.base_url(),
        api: crate::jamf::Api::Pro,
        auth,
    };
    Ok((simulator, target))
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
        labels: Default::default(),
        thresholds: config.thresholds,
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
