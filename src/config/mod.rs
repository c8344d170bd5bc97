//! Command-line input, and the validated `Config` built from it.
//!
//! `RawArgs` is what clap parses; `Config::from_raw` checks every value once, at start-up,
//! so the rest of the program only ever sees typed, valid settings.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, ValueEnum};

use crate::bands::TokenBands;
use crate::collectors::CollectorName;
use crate::duration;
use crate::jamf::{Api, Auth, Context, ProxySettings};
use crate::secret::Secret;

mod file;
pub use file::{hashmod, load, parse, FlagDefaults, Loaded, Shard, TargetSpec, SPREAD};

/// The version line printed by `--version`.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision: ",
    env!("JAMF_EXPORTER_REVISION"),
    ", ",
    env!("JAMF_EXPORTER_RUSTC"),
    ")"
);

#[derive(Debug, Args)]
pub struct RawArgs {
    /// Jamf Pro base URL, e.g. https://school.jamfcloud.com
    // The doc comment is clap's help text, where angle brackets would show.
    #[allow(rustdoc::bare_urls)]
    #[arg(long = "jamf.url", env = "JAMF_URL", value_name = "URL")]
    pub jamf_url: Option<String>,
    /// API client id (OAuth client credentials; recommended)
    #[arg(long = "jamf.client-id", env = "JAMF_CLIENT_ID", value_name = "ID")]
    pub jamf_client_id: Option<String>,
    /// File holding the API client secret (or set JAMF_CLIENT_SECRET to the value)
    #[arg(long = "jamf.client-secret-file", value_name = "PATH")]
    pub jamf_client_secret_file: Option<PathBuf>,
    /// Local Jamf account name (alternative to an API client)
    #[arg(long = "jamf.username", env = "JAMF_USERNAME", value_name = "USER")]
    pub jamf_username: Option<String>,
    /// File holding the account password (or set JAMF_PASSWORD to the value)
    #[arg(long = "jamf.password-file", value_name = "PATH")]
    pub jamf_password_file: Option<PathBuf>,
    /// What --jamf.url is: a Jamf Pro server, or a Jamf Platform API gateway (https://{us,eu,apac}.api.jamfcloud.com)
    #[allow(rustdoc::bare_urls)]
    #[arg(long = "jamf.api", env = "JAMF_API", value_enum, default_value_t = ApiKind::Pro)]
    pub jamf_api: ApiKind,
    /// With --jamf.api platform: the environment the gateway serves, sent as X-Environment-Id
    #[arg(
        long = "jamf.environment-id",
        env = "JAMF_ENVIRONMENT_ID",
        value_name = "ID"
    )]
    pub jamf_environment_id: Option<String>,
    /// With --jamf.api platform: the tenant, sent as X-Tenant-Id (instead of an environment id)
    #[arg(long = "jamf.tenant-id", env = "JAMF_TENANT_ID", value_name = "ID")]
    pub jamf_tenant_id: Option<String>,
    /// Timeout of one request to Jamf
    #[arg(long = "jamf.timeout", default_value = "30s", value_name = "DURATION")]
    pub jamf_timeout: String,
    /// Extra trusted CA certificate (PEM) for a Jamf server with a private CA
    #[arg(long = "jamf.ca-file", value_name = "PATH")]
    pub jamf_ca_file: Option<PathBuf>,
    /// How often Jamf is polled (15s with --demo unless given); scrapes are served from the last snapshot
    #[arg(
        long = "refresh.interval",
        default_value = "5m",
        value_name = "DURATION"
    )]
    pub refresh_interval: Option<String>,
    /// Hard limit on one whole refresh, retries included
    #[arg(
        long = "refresh.timeout",
        default_value = "2m",
        value_name = "DURATION"
    )]
    pub refresh_timeout: String,
    /// Address to listen on; may be repeated
    #[arg(
        long = "web.listen-address",
        default_value = ":10052",
        value_name = "ADDR"
    )]
    pub web_listen_address: Vec<String>,
    /// Path under which to expose metrics
    #[arg(
        long = "web.telemetry-path",
        default_value = "/metrics",
        value_name = "PATH"
    )]
    pub web_telemetry_path: String,
    /// Web configuration file (TLS, client certificates, basic auth) in the exporter-toolkit format
    #[arg(long = "web.config.file", value_name = "PATH")]
    pub web_config_file: Option<PathBuf>,
    /// Concurrent HTTP requests served; more get 503; 0 means no limit
    #[arg(long = "web.max-requests", default_value_t = 40, value_name = "N")]
    pub web_max_requests: usize,
    /// Only log messages with the given severity or above
    #[arg(long = "log.level", value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
    /// Output format of log messages
    #[arg(long = "log.format", value_enum, default_value_t = LogFormat::Logfmt)]
    pub log_format: LogFormat,
    /// Serve from an embedded simulated Jamf Pro on loopback; no credentials needed
    #[arg(long = "demo")]
    pub demo: bool,
    /// Several Jamf servers from one YAML file, probed at /probe?target=NAME; excludes every --jamf.* flag and --demo
    #[arg(long = "config.file", value_name = "PATH")]
    pub config_file: Option<PathBuf>,
    /// With --config.file: how many targets refresh at once
    #[arg(long = "refresh.concurrency", default_value_t = DEFAULT_CONCURRENCY, value_name = "N")]
    pub refresh_concurrency: usize,
    /// With --config.file: the number of replicas the targets are split over (Prometheus' hashmod)
    #[arg(long = "shard.total", default_value_t = 1, value_name = "N")]
    pub shard_total: u64,
    /// With --config.file: which of the --shard.total shards this replica polls and serves
    #[arg(long = "shard.index", default_value_t = 0, value_name = "I")]
    pub shard_index: u64,
    /// With --demo: how many simulated Jamf Pro servers to serve as a fleet (/probe, /sd)
    #[arg(long = "demo.targets", default_value_t = 1, value_name = "N")]
    pub demo_targets: usize,
    /// VPP and ADE tokens within this are Soon (landing page, check, rules); a target's thresholds: overrides it
    #[arg(
        long = "thresholds.warning",
        default_value = "30d",
        value_name = "DURATION"
    )]
    pub thresholds_warning: String,
    /// VPP and ADE tokens within this are Imminent (landing page, check, rules)
    #[arg(
        long = "thresholds.critical",
        default_value = "7d",
        value_name = "DURATION"
    )]
    pub thresholds_critical: String,
    /// With --config.file: the HOST:PORT that /sd gives Prometheus for this replica (default: the request's Host)
    #[arg(long = "web.sd-address", value_name = "HOST:PORT")]
    pub web_sd_address: Option<String>,
    /// How far ahead the mdm_profiles collector counts expiring MDM profiles
    #[arg(
        long = "collector.mdm_profiles.window",
        alias = "collector.mdm-profiles.window",
        default_value = "30d",
        value_name = "DURATION"
    )]
    pub mdm_profiles_window: String,
    /// IANA time zone (e.g. America/Chicago) for the dates on the landing page, in check's text and in the calendar
    #[arg(long = "web.timezone", default_value = "UTC", value_name = "ZONE")]
    pub web_timezone: String,
}

/// `--jamf.api`: what kind of server the URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiKind {
    Pro,
    Platform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Logfmt,
    Json,
}

/// The clap command: the derived flags plus one `--[no-]collector.NAME` pair per collector.
pub fn command() -> Command {
    with_exporter_args(
        Command::new("jamf_exporter")
            .version(VERSION_LINE)
            .about("Prometheus exporter for Jamf Pro: Volume Purchasing tokens and licences, ADE tokens, APNs and server health")
            .after_help("Subcommand: jamf_exporter check [OPTIONS] runs one refresh and exits with a monitoring-plugin status (see jamf_exporter check --help)."),
    )
}

/// Adds the exporter's flags to `command`; `jamf_exporter check` takes the same ones.
pub fn with_exporter_args(command: Command) -> Command {
    let mut command = RawArgs::augment_args(command);
    for name in CollectorName::ALL {
        let enable = format!("collector.{}", name.as_str());
        let disable = format!("no-collector.{}", name.as_str());
        let default = if name.enabled_by_default() {
            "enabled"
        } else {
            "disabled"
        };
        let mut enable_arg = Arg::new(enable.clone())
            .long(enable.clone())
            .action(ArgAction::SetTrue)
            .overrides_with(disable.clone())
            .help(format!(
                "Enable the {} collector (default: {default})",
                name.as_str()
            ));
        let mut disable_arg = Arg::new(disable.clone())
            .long(disable.clone())
            .action(ArgAction::SetTrue)
            .overrides_with(enable.clone())
            .help(format!("Disable the {} collector", name.as_str()));
        if name.as_str().contains('_') {
            let hyphenated = name.as_str().replace('_', "-");
            enable_arg = enable_arg.alias(format!("collector.{hyphenated}"));
            disable_arg = disable_arg.alias(format!("no-collector.{hyphenated}"));
        }
        command = command.arg(enable_arg).arg(disable_arg);
    }
    command
}

/// Parses the process arguments. clap prints help, the version, or a usage error and exits.
pub fn parse_args() -> Parsed {
    parse_matches(command().get_matches())
}

/// Parses an explicit argument list (tests).
pub fn try_parse_from<I, T>(args: I) -> Result<Parsed, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    command().try_get_matches_from(args).map(parse_matches)
}

/// The raw flags and the collectors switched on or off by them.
#[derive(Debug)]
pub struct Parsed {
    pub raw: RawArgs,
    pub collectors: BTreeSet<CollectorName>,
    refresh_interval_given: bool,
    jamf_url_given: bool,
    /// The ids of the arguments given on the command line (not from a default or the
    /// environment).
    given: BTreeSet<String>,
}

/// The flags from matches of a command built with [`with_exporter_args`].
pub fn parse_matches(matches: ArgMatches) -> Parsed {
    let refresh_interval_given =
        matches.value_source("refresh_interval") == Some(clap::parser::ValueSource::CommandLine);
    // A JAMF_URL left in the environment does not stop `--demo`; a flag does.
    let jamf_url_given =
        matches.value_source("jamf_url") == Some(clap::parser::ValueSource::CommandLine);
    let given = matches
        .ids()
        .filter(|id| {
            matches.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|id| id.as_str().to_owned())
        .collect();
    let collectors = CollectorName::ALL
        .into_iter()
        .filter(|name| {
            if matches.get_flag(&format!("collector.{}", name.as_str())) {
                true
            } else if matches.get_flag(&format!("no-collector.{}", name.as_str())) {
                false
            } else {
                name.enabled_by_default()
            }
        })
        .collect();
    // Derived args cannot fail to extract once clap has matched them.
    let raw = match RawArgs::from_arg_matches(&matches) {
        Ok(raw) => raw,
        Err(error) => error.exit(),
    };
    Parsed {
        raw,
        collectors,
        refresh_interval_given,
        jamf_url_given,
        given,
    }
}

/// Where the exporter gets its data.
#[derive(Debug, Clone)]
pub enum Source {
    Jamf(JamfTarget),
    /// The embedded simulator, started by `run`: one server, or `targets` of them as a
    /// fleet (`--demo.targets`).
    Demo {
        targets: usize,
    },
    /// Many Jamf servers from `--config.file`.
    Targets(TargetsSource),
}

/// `--config.file` and the flags that go with it, and the file as read at start-up.
#[derive(Debug, Clone)]
pub struct TargetsSource {
    pub path: PathBuf,
    pub concurrency: usize,
    pub shard: Shard,
    /// What the command line sets beneath the file's `defaults:`.
    pub flags: FlagDefaults,
    pub loaded: Loaded,
    /// The window over which first refreshes are spread ([`SPREAD`]);
    /// tests set a shorter one here.
    pub spread: Duration,
}

/// The flags `--config.file` excludes, by clap id, as the user writes them.
const EXCLUDED_BY_CONFIG_FILE: [(&str, &str); 11] = [
    ("jamf_api", "--jamf.api"),
    ("jamf_environment_id", "--jamf.environment-id"),
    ("jamf_tenant_id", "--jamf.tenant-id"),
    ("jamf_url", "--jamf.url"),
    ("jamf_client_id", "--jamf.client-id"),
    ("jamf_client_secret_file", "--jamf.client-secret-file"),
    ("jamf_username", "--jamf.username"),
    ("jamf_password_file", "--jamf.password-file"),
    ("jamf_timeout", "--jamf.timeout"),
    ("jamf_ca_file", "--jamf.ca-file"),
    ("demo", "--demo"),
];

/// The flags that mean something only with `--config.file`.
const ONLY_WITH_CONFIG_FILE: [(&str, &str); 4] = [
    ("web_sd_address", "--web.sd-address"),
    ("refresh_concurrency", "--refresh.concurrency"),
    ("shard_total", "--shard.total"),
    ("shard_index", "--shard.index"),
];

/// One Jamf Pro server, how to reach it and how to log in to it.
#[derive(Debug, Clone)]
pub struct JamfTarget {
    /// Base URL without a trailing slash.
    pub url: String,
    pub api: Api,
    pub auth: Auth,
}

impl JamfTarget {
    /// The collectors of `wanted` that mean something for this kind of server: the
    /// gateway serves no `/healthCheck.html`, and its certificate is not Jamf Pro's.
    pub fn collectors(&self, wanted: &BTreeSet<CollectorName>) -> BTreeSet<CollectorName> {
        wanted
            .iter()
            .copied()
            .filter(|name| {
                matches!(self.api, Api::Pro)
                    || !matches!(
                        name,
                        CollectorName::Healthcheck | CollectorName::ServerCertificate
                    )
            })
            .collect()
    }
}

/// How the settings of a target's kind are spelt where they were written: flags, or
/// keys of the config file.
pub(crate) struct ApiNames {
    pub api: &'static str,
    pub environment: &'static str,
    pub tenant: &'static str,
}

/// A gateway's URL is its host alone: Jamf Pro's paths go under its `/pro`.
pub(crate) fn gateway_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.path() == "/" || parsed.path().is_empty() => Ok(()),
        _ => Err(format!(
            "{url:?} has a path; the Jamf Platform API gateway's URL is its host alone, e.g. https://eu.api.jamfcloud.com"
        )),
    }
}

/// The longest environment or tenant id; Jamf's are UUIDs.
const MAX_CONTEXT_ID: usize = 128;

/// The kind of target from its settings, or the name of the setting at fault and why.
pub(crate) fn api_from(
    kind: ApiKind,
    environment: Option<String>,
    tenant: Option<String>,
    names: &ApiNames,
) -> Result<Api, (&'static str, String)> {
    let environment = environment.filter(|id| !id.is_empty());
    let tenant = tenant.filter(|id| !id.is_empty());
    let checked = |name: &'static str, id: String| {
        let valid = id.len() <= MAX_CONTEXT_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if valid {
            Ok(id)
        } else {
            Err((
                name,
                format!(
                    "must be 1 to {MAX_CONTEXT_ID} of A-Z, a-z, 0-9, '-', '_' and '.' (Jamf's ids are UUIDs)"
                ),
            ))
        }
    };
    match (kind, environment, tenant) {
        (ApiKind::Pro, None, None) => Ok(Api::Pro),
        (ApiKind::Pro, Some(_), _) => Err((
            names.environment,
            format!("only used with {} platform", names.api),
        )),
        (ApiKind::Pro, None, Some(_)) => Err((
            names.tenant,
            format!("only used with {} platform", names.api),
        )),
        (ApiKind::Platform, Some(_), Some(_)) => Err((
            names.environment,
            format!(
                "set together with {}: the Jamf Platform API takes exactly one of them",
                names.tenant
            ),
        )),
        (ApiKind::Platform, None, None) => Err((
            names.environment,
            format!(
                "missing: {} platform needs {} (or {})",
                names.api, names.environment, names.tenant
            ),
        )),
        (ApiKind::Platform, Some(id), None) => Ok(Api::Platform(Context::Environment(checked(
            names.environment,
            id,
        )?))),
        (ApiKind::Platform, None, Some(id)) => {
            Ok(Api::Platform(Context::Tenant(checked(names.tenant, id)?)))
        }
    }
}

/// The validated configuration. There is no `Default`: every value comes from `from_raw`.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: Source,
    pub jamf_timeout: Duration,
    pub jamf_ca_file: Option<PathBuf>,
    /// Always [`ProxySettings::FromEnv`] from the command line: proxies come from the
    /// standard environment variables. Tests set an explicit proxy here.
    pub jamf_proxy: ProxySettings,
    pub refresh_interval: Duration,
    pub refresh_timeout: Duration,
    pub listen_addresses: Vec<ListenAddress>,
    pub telemetry_path: String,
    pub web_config_file: Option<PathBuf>,
    pub max_requests: usize,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    pub collectors: BTreeSet<CollectorName>,
    /// `--thresholds.*`: the token bands of a single server, and of every target without
    /// its own `thresholds:`.
    pub thresholds: TokenBands,
    /// `--web.sd-address`: what `/sd` names this replica; `None`: the request's `Host`.
    pub sd_address: Option<String>,
    /// `--collector.mdm_profiles.window`.
    pub mdm_window: Duration,
    /// `--web.timezone`.
    pub timezone: chrono_tz::Tz,
}

/// A `--web.listen-address` value, resolved to the sockets to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddress {
    pub text: String,
    /// Several for `:port` (all IPv6 and IPv4 interfaces) or a host name with several addresses.
    pub sockets: Vec<SocketAddr>,
    /// The sockets are alternatives: bind the first that works. `[::]` also takes IPv4 on a
    /// dual-stack host, and `0.0.0.0` is the fallback where IPv6 is off.
    pub alternatives: bool,
}

/// A configuration mistake. The message names the flag and the problem, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn error(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// How the environment is read; tests pass a map instead of the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

/// The refresh interval `--demo` uses unless one is given, so the demo shows its whole
/// story (including the licence drop after two refreshes) within a minute.
pub const DEMO_REFRESH_INTERVAL: Duration = Duration::from_secs(15);

impl Config {
    pub fn from_raw(parsed: Parsed, env: &dyn Env) -> Result<Config, ConfigError> {
        let raw = parsed.raw;
        let refresh_timeout_early = positive_duration("--refresh.timeout", &raw.refresh_timeout);
        let thresholds = token_bands(&raw)?;
        let sd_address = raw
            .web_sd_address
            .as_deref()
            .map(validate_sd_address)
            .transpose()?;
        if parsed.given.contains("demo_targets") {
            if !raw.demo {
                return Err(error("--demo.targets: only used with --demo"));
            }
            if raw.demo_targets == 0 {
                return Err(error("--demo.targets: must be at least 1"));
            }
            if raw.demo_targets > MAX_DEMO_TARGETS {
                return Err(error(format!(
                    "--demo.targets: at most {MAX_DEMO_TARGETS}, got {}",
                    raw.demo_targets
                )));
            }
        }
        let mdm_window =
            positive_duration("--collector.mdm_profiles.window", &raw.mdm_profiles_window)?;
        let timezone = parse_timezone(&raw.web_timezone)?;
        let source = if let Some(path) = &raw.config_file {
            if let Some((_, flag)) = EXCLUDED_BY_CONFIG_FILE
                .iter()
                .find(|(id, _)| parsed.given.contains(*id))
            {
                return Err(error(format!(
                    "--config.file and {flag} cannot be used together: each target's settings come from the file"
                )));
            }
            if raw.refresh_concurrency == 0 {
                return Err(error("--refresh.concurrency: must be at least 1"));
            }
            if raw.shard_total == 0 {
                return Err(error("--shard.total: must be at least 1"));
            }
            if raw.shard_index >= raw.shard_total {
                return Err(error(format!(
                    "--shard.index: {} is not below --shard.total {}; shards are numbered from 0",
                    raw.shard_index, raw.shard_total
                )));
            }
            let flags = FlagDefaults {
                refresh_interval: match &raw.refresh_interval {
                    Some(text) => positive_duration("--refresh.interval", text)?,
                    None => Duration::from_secs(300),
                },
                refresh_timeout: refresh_timeout_early.clone()?,
                collectors: parsed.collectors.clone(),
                thresholds,
                mdm_window,
            };
            let shard = Shard {
                total: raw.shard_total,
                index: raw.shard_index,
            };
            let loaded = load(path, &flags, shard)?;
            Source::Targets(TargetsSource {
                path: path.clone(),
                concurrency: raw.refresh_concurrency,
                shard,
                flags,
                loaded,
                spread: SPREAD,
            })
        } else if let Some((_, flag)) = ONLY_WITH_CONFIG_FILE
            .iter()
            // A demo fleet has `/sd` too.
            .filter(|(id, _)| !(raw.demo && raw.demo_targets > 1 && *id == "web_sd_address"))
            .find(|(id, _)| parsed.given.contains(*id))
        {
            return Err(error(format!("{flag}: only used with --config.file")));
        } else if raw.demo {
            if parsed.jamf_url_given {
                return Err(error(
                    "--demo and --jamf.url cannot be used together: the demo serves its own simulated Jamf Pro",
                ));
            }
            Source::Demo {
                targets: raw.demo_targets,
            }
        } else {
            let url = raw.jamf_url.as_deref().ok_or_else(|| {
                error("--jamf.url is required (or set JAMF_URL), unless --demo is given")
            })?;
            let api = api_from(
                raw.jamf_api,
                raw.jamf_environment_id.clone(),
                raw.jamf_tenant_id.clone(),
                &ApiNames {
                    api: "--jamf.api",
                    environment: "--jamf.environment-id",
                    tenant: "--jamf.tenant-id",
                },
            )
            .map_err(|(flag, problem)| error(format!("{flag}: {problem}")))?;
            let auth = auth_from(&raw, env)?;
            if matches!(api, Api::Platform(_)) && matches!(auth, Auth::User { .. }) {
                return Err(error(
                    "--jamf.username: the Jamf Platform API (--jamf.api platform) takes only an API client; use --jamf.client-id with --jamf.client-secret-file (or JAMF_CLIENT_SECRET)",
                ));
            }
            let url = validate_url(url)?;
            if matches!(api, Api::Platform(_)) {
                gateway_url(&url).map_err(|problem| error(format!("--jamf.url: {problem}")))?;
            }
            Source::Jamf(JamfTarget { url, api, auth })
        };
        let jamf_timeout = positive_duration("--jamf.timeout", &raw.jamf_timeout)?;
        let refresh_interval = match (
            &raw.refresh_interval,
            raw.demo && !parsed.refresh_interval_given,
        ) {
            (_, true) => DEMO_REFRESH_INTERVAL,
            (Some(text), false) => positive_duration("--refresh.interval", text)?,
            (None, false) => Duration::from_secs(300),
        };
        let refresh_timeout = refresh_timeout_early?;
        if let Some(path) = &raw.jamf_ca_file {
            check_readable("--jamf.ca-file", path)?;
        }
        if let Some(path) = &raw.web_config_file {
            check_readable("--web.config.file", path)?;
        }
        let listen_addresses = raw
            .web_listen_address
            .iter()
            .map(|text| parse_listen_address(text))
            .collect::<Result<Vec<_>, _>>()?;
        let telemetry_path = validate_telemetry_path(&raw.web_telemetry_path)?;
        Ok(Config {
            source,
            jamf_timeout,
            jamf_ca_file: raw.jamf_ca_file,
            jamf_proxy: ProxySettings::FromEnv,
            refresh_interval,
            refresh_timeout,
            listen_addresses,
            telemetry_path,
            web_config_file: raw.web_config_file,
            max_requests: raw.web_max_requests,
            log_level: raw.log_level,
            log_format: raw.log_format,
            collectors: parsed.collectors,
            thresholds,
            sd_address,
            mdm_window,
            timezone,
        })
    }
}

/// How many targets refresh at once unless `--refresh.concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The most simulated servers `--demo.targets` starts: enough for a benchmark-sized
/// fleet page, few enough that a typo cannot exhaust the machine.
pub const MAX_DEMO_TARGETS: usize = 1000;

/// `--thresholds.warning` and `--thresholds.critical`, checked together.
fn token_bands(raw: &RawArgs) -> Result<TokenBands, ConfigError> {
    let warning = positive_duration("--thresholds.warning", &raw.thresholds_warning)?;
    let critical = positive_duration("--thresholds.critical", &raw.thresholds_critical)?;
    TokenBands::new(warning, critical)
        .map_err(|problem| error(format!("--thresholds.critical: {problem}")))
}

/// `--web.sd-address`: a host (name, IPv4, or bracketed IPv6) and a port, nothing else,
/// since Prometheus puts it in `__address__` as it is.
fn validate_sd_address(text: &str) -> Result<String, ConfigError> {
    let bad = |why: &str| {
        error(format!(
            "--web.sd-address: {text:?} {why}; expected HOST:PORT, e.g. jamf-exporter-0.jamf-exporter:10052"
        ))
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    match port.parse::<u16>() {
        Ok(port) if port > 0 => {}
        _ => return Err(bad("has no valid port")),
    }
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    };
    if !host_ok {
        return Err(bad("has no valid host"));
    }
    Ok(text.to_owned())
}

/// An IANA zone name, as `--web.timezone` takes it.
fn parse_timezone(text: &str) -> Result<chrono_tz::Tz, ConfigError> {
    text.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        error(format!(
            "--web.timezone: unknown time zone {text:?}; use an IANA name such as UTC or America/Chicago"
        ))
    })
}

fn positive_duration(flag: &str, text: &str) -> Result<Duration, ConfigError> {
    match duration::parse(text) {
        Ok(value) if value.is_zero() => Err(error(format!(
            "{flag}: must be greater than zero, got {text:?}"
        ))),
        Ok(value) => Ok(value),
        Err(problem) => Err(error(format!("{flag}: {problem}"))),
    }
}

pub(crate) fn validate_url(text: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(text.trim()).map_err(|problem| {
        error(format!(
            "--jamf.url: not a valid URL ({problem}); expected e.g. https://school.jamfcloud.com"
        ))
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(error(format!(
            "--jamf.url: unsupported scheme {:?}; use https:// (or http:// for a local test server)",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(error("--jamf.url: the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(error(
            "--jamf.url: credentials in the URL are not allowed; use --jamf.client-id or --jamf.username",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(error(
            "--jamf.url: the URL must not have a query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A secret given either as a file (flag) or as a value (environment variable), never both.
fn secret_from(
    flag: &str,
    file: Option<&Path>,
    env_name: &str,
    env: &dyn Env,
) -> Result<Option<Secret>, ConfigError> {
    let from_env = env.var(env_name).filter(|value| !value.is_empty());
    match (file, from_env) {
        (Some(_), Some(_)) => Err(error(format!(
            "{flag} and {env_name} are both set: use only one"
        ))),
        (Some(path), None) => read_secret_file(path)
            .map(Some)
            .map_err(|problem| error(format!("{flag}: {problem}"))),
        (None, Some(value)) => Ok(Some(Secret::new(value))),
        (None, None) => Ok(None),
    }
}

/// Reads a secret file; the error says what is wrong with it, for the caller to prefix
/// with the flag or key.
pub(crate) fn read_secret_file(path: &Path) -> Result<Secret, String> {
    let mut text = std::fs::read_to_string(path)
        .map_err(|problem| format!("cannot read {}: {problem}", path.display()))?;
    // A trailing newline is ignored, as Prometheus does for its *_file settings.
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Secret::new(text))
}

fn auth_from(raw: &RawArgs, env: &dyn Env) -> Result<Auth, ConfigError> {
    let client_secret = secret_from(
        "--jamf.client-secret-file",
        raw.jamf_client_secret_file.as_deref(),
        "JAMF_CLIENT_SECRET",
        env,
    )?;
    let password = secret_from(
        "--jamf.password-file",
        raw.jamf_password_file.as_deref(),
        "JAMF_PASSWORD",
        env,
    )?;
    let client_id = raw.jamf_client_id.clone().filter(|id| !id.is_empty());
    let username = raw.jamf_username.clone().filter(|name| !name.is_empty());
    match (client_id, client_secret, username, password) {
        (Some(_), _, Some(_), _) => Err(error(
            "--jamf.client-id and --jamf.username are both set: configure exactly one auth method",
        )),
        (Some(client_id), Some(client_secret), None, None) => Ok(Auth::ClientCredentials {
            client_id,
            client_secret,
        }),
        (Some(_), None, None, _) => Err(error(
            "--jamf.client-id is set but its secret is missing: use --jamf.client-secret-file or JAMF_CLIENT_SECRET",
        )),
        (Some(_), Some(_), None, Some(_)) => Err(error(
            "--jamf.password-file (or JAMF_PASSWORD) is set together with --jamf.client-id: configure exactly one auth method",
        )),
        (None, _, Some(username), Some(password)) => match raw.jamf_client_secret_file {
            Some(_) => Err(error(
                "--jamf.client-secret-file is set together with --jamf.username: configure exactly one auth method",
            )),
            None => Ok(Auth::User { username, password }),
        },
        (None, _, Some(_), None) => Err(error(
            "--jamf.username is set but its password is missing: use --jamf.password-file or JAMF_PASSWORD",
        )),
        (None, Some(_), None, _) => Err(error(
            "--jamf.client-secret-file (or JAMF_CLIENT_SECRET) is set but --jamf.client-id is missing",
        )),
        (None, None, None, Some(_)) => Err(error(
            "--jamf.password-file (or JAMF_PASSWORD) is set but --jamf.username is missing",
        )),
        (None, None, None, None) => Err(error(
            "no Jamf credentials: set --jamf.client-id with --jamf.client-secret-file (or JAMF_CLIENT_SECRET), or --jamf.username with --jamf.password-file (or JAMF_PASSWORD)",
        )),
    }
}

fn check_readable(flag: &str, path: &Path) -> Result<(), ConfigError> {
    std::fs::File::open(path)
        .map(drop)
        .map_err(|problem| error(format!("{flag}: cannot read {}: {problem}", path.display())))
}

fn validate_telemetry_path(path: &str) -> Result<String, ConfigError> {
    if !path.starts_with('/')
        || path == "/"
        || path.starts_with("/-/")
        || path.contains(char::is_whitespace)
    {
        return Err(error(format!(
            "--web.telemetry-path: {path:?} must start with '/' and must not be '/' or under '/-/'"
        )));
    }
    Ok(path.to_owned())
}

/// Parses `:10052`, `0.0.0.0:10052`, `[::1]:10052` or `localhost:10052`.
pub fn parse_listen_address(text: &str) -> Result<ListenAddress, ConfigError> {
    let bad = |why: &str| {
        error(format!(
            "--web.listen-address: {text:?} {why}; expected e.g. :10052 or 127.0.0.1:10052"
        ))
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    let port: u16 = port.parse().map_err(|_| bad("has no valid port"))?;
    let alternatives = host.is_empty();
    let sockets = if host.is_empty() {
        vec![
            SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, port)),
            SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, port)),
        ]
    } else {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            vec![SocketAddr::from((ip, port))]
        } else {
            use std::net::ToSocketAddrs;
            let resolved: Vec<SocketAddr> = (host, port)
                .to_socket_addrs()
                .map_err(|problem| bad(&format!("cannot be resolved ({problem})")))?
                .collect();
            if resolved.is_empty() {
                return Err(bad("resolves to no address"));
            }
            resolved
        }
    };
    Ok(ListenAddress {
        text: text.to_owned(),
        sockets,
        alternatives,
    })
}
