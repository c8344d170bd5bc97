//! The `--config.file` of many Jamf servers: strict YAML in, validated `TargetSpec`s out.
//!
//! Every error is one line that starts with `--config.file:` and names the target and
//! the key, so a typo in a file of sixty tenants is found at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{api_from, ApiKind, ApiNames, ConfigError, JamfTarget};
use crate::bands::TokenBands;
use crate::collectors::CollectorName;
use crate::jamf::{Api, Auth};

/// The longest wait before a target's first refresh after start-up or a reload.
pub const SPREAD: Duration = Duration::from_secs(30);

/// The longest target name; it ends up in a label value and a URL.
const MAX_NAME: usize = 64;

/// One Jamf server of the file, with every default applied and its secret read.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub name: String,
    pub jamf: JamfTarget,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub refresh_interval: Duration,
    pub refresh_timeout: Duration,
    pub collectors: BTreeSet<CollectorName>,
    /// `labels:`, checked: given to Prometheus through `/sd`.
    pub labels: BTreeMap<String, String>,
    /// This server's VPP and ADE token bands.
    pub thresholds: TokenBands,
    /// `--collector.mdm_profiles.window`.
    pub mdm_window: Duration,
}

impl TargetSpec {
    /// True when running this target would do exactly what running `other` does, so a
    /// reload can leave it alone. A changed secret file counts as a change.
    pub fn same_as(&self, other: &TargetSpec) -> bool {
        let same_auth = match (&self.jamf.auth, &other.jamf.auth) {
            (
                Auth::ClientCredentials {
                    client_id: a,
                    client_secret: x,
                },
                Auth::ClientCredentials {
                    client_id: b,
                    client_secret: y,
                },
            ) => a == b && x == y,
            (
                Auth::User {
                    username: a,
                    password: x,
                },
                Auth::User {
                    username: b,
                    password: y,
                },
            ) => a == b && x == y,
            _ => false,
        };
        same_auth
            && self.name == other.name
            && self.jamf.url == other.jamf.url
            && self.jamf.api == other.jamf.api
            && self.timeout == other.timeout
            && self.ca_file == other.ca_file
            && self.refresh_interval == other.refresh_interval
            && self.refresh_timeout == other.refresh_timeout
            && self.collectors == other.collectors
            && self.labels == other.labels
            && self.thresholds == other.thresholds
            && self.mdm_window == other.mdm_window
    }
}

/// What the command line contributes beneath the file's own `defaults:`.
#[derive(Debug, Clone)]
pub struct FlagDefaults {
    pub refresh_interval: Duration,
    pub refresh_timeout: Duration,
    pub collectors: BTreeSet<CollectorName>,
    pub thresholds: TokenBands,
    pub mdm_window: Duration,
}

/// Which share of the targets this replica polls and serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub total: u64,
    pub index: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { total: 1, index: 0 };

    pub fn of(&self, name: &str) -> u64 {
        hashmod(name, self.total)
    }
}

/// Prometheus' relabel action `hashmod`: the last 8 bytes of the MD5 of `value`, read
/// as a big-endian unsigned integer, modulo `modulus` (0 when `modulus` is 0).
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    use md5::Digest;
    let digest = md5::Md5::digest(value.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&digest[8..16]);
    u64::from_be_bytes(tail).checked_rem(modulus).unwrap_or(0)
}

/// A loaded file, split by shard.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The targets of this replica's shard, in file order.
    pub mine: Vec<TargetSpec>,
    /// Every other target's name and shard, so a probe for it can say where it lives.
    pub elsewhere: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: Option<Value>,
    targets: Vec<Value>,
}

/// The optional keys a target may set, and which `defaults:` may set for every target.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptional {
    api: Option<String>,
    timeout: Option<String>,
    ca_file: Option<PathBuf>,
    refresh_interval: Option<String>,
    refresh_timeout: Option<String>,
    collectors: Option<Vec<String>>,
    labels: Option<Value>,
    thresholds: Option<RawThresholds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    warning: Option<String>,
    critical: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    // Read from the mapping before decoding, so that every error can name the target.
    #[allow(dead_code)]
    name: String,
    url: String,
    api: Option<String>,
    environment_id: Option<String>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    timeout: Option<String>,
    ca_file: Option<PathBuf>,
    refresh_interval: Option<String>,
    refresh_timeout: Option<String>,
    collectors: Option<Vec<String>>,
    labels: Option<Value>,
    thresholds: Option<RawThresholds>,
}

/// Keys that would put a secret in the file itself, and the key to use instead.
const INLINE_SECRETS: [(&str, &str); 2] = [
    ("client_secret", "client_secret_file"),
    ("password", "password_file"),
];

fn error(message: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("--config.file: {message}"))
}

/// Reads and validates the file, keeping the targets of `shard`.
pub fn load(path: &Path, flags: &FlagDefaults, shard: Shard) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|problem| error(format!("cannot read {}: {problem}", path.display())))?;
    parse(&text, flags, shard)
}

/// Validates the text of a file (see [`load`]).
pub fn parse(text: &str, flags: &FlagDefaults, shard: Shard) -> Result<Loaded, ConfigError> {
    let raw: RawFile = serde_yaml_ng::from_str(text).map_err(error)?;
    let defaults: RawOptional = match raw.defaults {
        None | Some(Value::Null) => RawOptional::default(),
        Some(value) => {
            serde_yaml_ng::from_value(value).map_err(|e| error(format!("defaults: {e}")))?
        }
    };
    check_defaults(&defaults)?;
    let mut seen = BTreeSet::new();
    let mut mine = Vec::new();
    let mut elsewhere = BTreeMap::new();
    for (index, value) in raw.targets.into_iter().enumerate() {
        let spec = target(index, value, &defaults, flags)?;
        if !seen.insert(spec.name.clone()) {
            return Err(error(format!(
                "target {:?}: name: used by another target too; names must be unique",
                spec.name
            )));
        }
        let home = shard.of(&spec.name);
        if home == shard.index {
            mine.push(spec);
        } else {
            elsewhere.insert(spec.name, home);
        }
    }
    Ok(Loaded { mine, elsewhere })
}

fn target(
    index: usize,
    value: Value,
    defaults: &RawOptional,
    flags: &FlagDefaults,
) -> Result<TargetSpec, ConfigError> {
    let Value::Mapping(mapping) = &value else {
        return Err(error(format!(
            "targets[{index}]: expected a mapping with name, url and a login"
        )));
    };
    let name = match mapping.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(error(format!("targets[{index}]: name: must be a string"))),
        None => return Err(error(format!("targets[{index}]: name: missing"))),
    };
    if !valid_name(&name) {
        return Err(error(format!(
            "target {name:?}: name: must be 1 to {MAX_NAME} of A-Z, a-z, 0-9, '.', '_' and '-'"
        )));
    }
    let at = |key: &str, message: &dyn std::fmt::Display| {
        error(format!("target {name:?}: {key}: {message}"))
    };
    for (inline, file_key) in INLINE_SECRETS {
        if mapping.contains_key(inline) {
            return Err(at(
                inline,
                &format!("secrets are read from files only; put it in a file and name that file with {file_key}"),
            ));
        }
    }
    let raw: RawTarget = serde_yaml_ng::from_value(value.clone())
        .map_err(|e| error(format!("target {name:?}: {e}")))?;
    let url = super::validate_url(&raw.url).map_err(|e| {
        let message = e.0.trim_start_matches("--jamf.url: ").replace(
            "use --jamf.client-id or --jamf.username",
            "use client_id or username",
        );
        at("url", &message)
    })?;
    let kind = match raw.api.as_ref().or(defaults.api.as_ref()) {
        None => ApiKind::Pro,
        Some(text) => api_kind(text).map_err(|problem| at("api", &problem))?,
    };
    let api = api_from(
        kind,
        raw.environment_id,
        raw.tenant_id,
        &ApiNames {
            api: "api:",
            environment: "environment_id",
            tenant: "tenant_id",
        },
    )
    .map_err(|(key, problem)| at(key, &problem))?;
    if matches!(api, Api::Platform(_)) && raw.username.as_ref().is_some_and(|u| !u.is_empty()) {
        return Err(at(
            "username",
            &"the Jamf Platform API (api: platform) takes only an API client; use client_id with client_secret_file",
        ));
    }
    let secret =
        |key: &str, path: &Path| super::read_secret_file(path).map_err(|problem| at(key, &problem));
    let auth = match (
        raw.client_id.filter(|id| !id.is_empty()),
        raw.client_secret_file,
        raw.username.filter(|user| !user.is_empty()),
        raw.password_file,
    ) {
        (Some(client_id), Some(path), None, None) => Auth::ClientCredentials {
            client_id,
            client_secret: secret("client_secret_file", &path)?,
        },
        (None, None, Some(username), Some(path)) => Auth::User {
            username,
            password: secret("password_file", &path)?,
        },
        (Some(_), _, Some(_), _) => {
            return Err(at(
                "client_id",
                &"client_id and username are both set: configure exactly one login",
            ))
        }
        (Some(_), None, None, _) => {
            return Err(at("client_secret_file", &"missing: client_id needs it"))
        }
        (None, _, Some(_), None) => {
            return Err(at("password_file", &"missing: username needs it"))
        }
        (Some(_), Some(_), None, Some(_)) => {
            return Err(at(
                "password_file",
                &"set together with client_id: configure exactly one login",
            ))
        }
        (None, Some(_), Some(_), Some(_)) => {
            return Err(at(
                "client_secret_file",
                &"set together with username: configure exactly one login",
            ))
        }
        (None, Some(_), None, _) => return Err(at("client_id", &"missing: client_secret_file needs it")),
        (None, None, None, Some(_)) => return Err(at("username", &"missing: password_file needs it")),
        (None, None, None, None) => {
            return Err(error(format!(
                "target {name:?}: no login: set client_id with client_secret_file, or username with password_file"
            )))
        }
    };
    let duration = |key: &str, own: &Option<String>, default: &Option<String>, fallback| match own
        .as_ref()
        .or(default.as_ref())
    {
        None => Ok(fallback),
        Some(text) => match crate::duration::parse(text) {
            Ok(value) if value.is_zero() => {
                Err(at(key, &format!("must be greater than zero, got {text:?}")))
            }
            Ok(value) => Ok(value),
            Err(problem) => Err(at(key, &problem)),
        },
    };
    let timeout = duration(
        "timeout",
        &raw.timeout,
        &defaults.timeout,
        Duration::from_secs(30),
    )?;
    let refresh_interval = duration(
        "refresh_interval",
        &raw.refresh_interval,
        &defaults.refresh_interval,
        flags.refresh_interval,
    )?;
    let refresh_timeout = duration(
        "refresh_timeout",
        &raw.refresh_timeout,
        &defaults.refresh_timeout,
        flags.refresh_timeout,
    )?;
    let ca_file = raw.ca_file.or_else(|| defaults.ca_file.clone());
    if let Some(path) = &ca_file {
        std::fs::File::open(path).map_err(|problem| {
            at(
                "ca_file",
                &format!("cannot read {}: {problem}", path.display()),
            )
        })?;
    }
    let collectors = match raw.collectors.as_ref().or(defaults.collectors.as_ref()) {
        None => flags.collectors.clone(),
        Some(names) if names.is_empty() => {
            return Err(at(
                "collectors",
                &"empty; leave the key out for the default set",
            ))
        }
        Some(names) => names
            .iter()
            .map(|text| CollectorName::from_str(text).map_err(|e| at("collectors", &e)))
            .collect::<Result<BTreeSet<_>, _>>()?,
    };
    if matches!(api, Api::Platform(_)) {
        super::gateway_url(&url).map_err(|problem| at("url", &problem))?;
    }
    let jamf = JamfTarget { url, api, auth };
    // The target's labels go over those of `defaults:`, key by key.
    let mut labels = match &defaults.labels {
        Some(value) => {
            checked_labels(value).map_err(|e| error(format!("defaults: labels: {e}")))?
        }
        None => BTreeMap::new(),
    };
    if let Some(value) = &raw.labels {
        labels.extend(checked_labels(value).map_err(|e| at("labels", &e))?);
    }
    let thresholds = checked_thresholds(
        raw.thresholds.as_ref(),
        defaults.thresholds.as_ref(),
        flags.thresholds,
    )
    .map_err(|e| at("thresholds", &e))?;
    Ok(TargetSpec {
        name,
        collectors: jamf.collectors(&collectors),
        jamf,
        timeout,
        ca_file,
        refresh_interval,
        refresh_timeout,
        labels,
        thresholds,
        mdm_window: flags.mdm_window,
    })
}

/// Checks the values of `defaults:` where they stand, so that a mistake there is
/// reported as `defaults: KEY`, not under the first target that inherits it.
fn check_defaults(defaults: &RawOptional) -> Result<(), ConfigError> {
    let at =
        |key: &str, message: &dyn std::fmt::Display| error(format!("defaults: {key}: {message}"));
    if let Some(text) = &defaults.api {
        api_kind(text).map_err(|problem| at("api", &problem))?;
    }
    for (key, value) in [
        ("timeout", &defaults.timeout),
        ("refresh_interval", &defaults.refresh_interval),
        ("refresh_timeout", &defaults.refresh_timeout),
    ] {
        if let Some(text) = value {
            match crate::duration::parse(text) {
                Ok(value) if value.is_zero() => {
                    return Err(at(key, &format!("must be greater than zero, got {text:?}")))
                }
                Ok(_) => {}
                Err(problem) => return Err(at(key, &problem)),
            }
        }
    }
    if let Some(path) = &defaults.ca_file {
        std::fs::File::open(path).map_err(|problem| {
            at(
                "ca_file",
                &format!("cannot read {}: {problem}", path.display()),
            )
        })?;
    }
    if let Some(value) = &defaults.labels {
        checked_labels(value).map_err(|e| at("labels", &e))?;
    }
    if let Some(thresholds) = &defaults.thresholds {
        // Checked against the built-in bands only for its durations; the pair is
        // checked per target, where the flags and the target's own keys meet.
        for (key, text) in [
            ("warning", &thresholds.warning),
            ("critical", &thresholds.critical),
        ] {
            if let Some(text) = text {
                match crate::duration::parse(text) {
                    Ok(value) if value.is_zero() => {
                        return Err(at(
                            "thresholds",
                            &format!("{key}: must be greater than zero, got {text:?}"),
                        ))
                    }
                    Ok(_) => {}
                    Err(problem) => return Err(at("thresholds", &format!("{key}: {problem}"))),
                }
            }
        }
    }
    match &defaults.collectors {
        Some(names) if names.is_empty() => Err(at(
            "collectors",
            &"empty; leave the key out for the default set",
        )),
        Some(names) => names.iter().try_for_each(|text| {
            CollectorName::from_str(text)
                .map(|_| ())
                .map_err(|e| at("collectors", &e))
        }),
        None => Ok(()),
    }
}

/// The value of an `api:` key.
fn api_kind(text: &str) -> Result<ApiKind, String> {
    match text {
        "pro" => Ok(ApiKind::Pro),
        "platform" => Ok(ApiKind::Platform),
        other => Err(format!("{other:?} is neither pro nor platform")),
    }
}

/// Label names `/sd` may not set: Prometheus' own, and `instance`, which `/sd` sets to
/// the target's name so that the shipped rules and dashboards see one per server.
const RESERVED_LABELS: [&str; 2] = ["instance", "job"];

/// The labels of a `labels:` mapping: Prometheus label names with string values.
fn checked_labels(value: &Value) -> Result<BTreeMap<String, String>, String> {
    let Value::Mapping(mapping) = value else {
        return Err("expected a mapping of label names to strings, e.g. {customer: acme}".into());
    };
    let mut labels = BTreeMap::new();
    for (key, value) in mapping {
        let Value::String(key) = key else {
            return Err(format!("key {key:?} is not a string"));
        };
        if !valid_label_name(key) {
            return Err(format!(
                "key {key:?} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            ));
        }
        if key.starts_with("__") {
            return Err(format!(
                "key {key:?}: names starting with \"__\" are reserved for Prometheus"
            ));
        }
        if RESERVED_LABELS.contains(&key.as_str()) {
            return Err(format!(
                "key {key:?}: set by Prometheus and /sd; choose another name"
            ));
        }
        let Value::String(text) = value else {
            return Err(format!(
                "key {key:?}: the value must be a string (quote it)"
            ));
        };
        labels.insert(key.clone(), text.clone());
    }
    Ok(labels)
}

fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The token bands of `thresholds:`: each key from the target, else `defaults:`, else
/// the flags.
fn checked_thresholds(
    own: Option<&RawThresholds>,
    defaults: Option<&RawThresholds>,
    flags: TokenBands,
) -> Result<TokenBands, String> {
    let pick = |key: &str,
                get: fn(&RawThresholds) -> &Option<String>,
                fallback: Duration|
     -> Result<Duration, String> {
        match own
            .and_then(|t| get(t).as_ref())
            .or(defaults.and_then(|t| get(t).as_ref()))
        {
            None => Ok(fallback),
            Some(text) => match crate::duration::parse(text) {
                Ok(value) if value.is_zero() => {
                    Err(format!("{key}: must be greater than zero, got {text:?}"))
                }
                Ok(value) => Ok(value),
                Err(problem) => Err(format!("{key}: {problem}")),
            },
        }
    };
    let warning = pick("warning", |t| &t.warning, flags.warning())?;
    let critical = pick("critical", |t| &t.critical, flags.critical())?;
    TokenBands::new(warning, critical).map_err(|e| e.to_string())
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values computed the way Prometheus' relabel `hashmod` computes them (Go:
    /// `binary.BigEndian.Uint64(md5.Sum([]byte(s))[8:]) % mod`), here with Python's
    /// `int.from_bytes(hashlib.md5(s.encode()).digest()[8:], "big") % mod`.
    #[test]
    fn hashmod_matches_prometheus() {
        let cases: [(&str, u64, u64, u64, u64); 9] = [
            // name, last 8 bytes of the MD5, then that modulo 2, 3 and 10
            ("lakeview", 0x4809_568a_15ef_64ff, 1, 2, 5),
            ("hillside", 0x098f_c06b_7b44_8890, 0, 1, 2),
            ("t0", 0x5abc_38d5_8f77_f840, 0, 2, 6),
            ("t1", 0xe9d0_2dfd_85d3_e3f7, 1, 0, 7),
            ("t2", 0xc5f4_cf32_0c1a_5842, 0, 2, 0),
            ("t3", 0x5807_928d_2819_5609, 1, 2, 7),
            ("t4", 0xe99e_4242_795a_10ea, 0, 0, 4),
            ("t5", 0xf02f_74fb_0381_0020, 0, 2, 8),
            ("", 0xe980_0998_ecf8_427e, 0, 1, 8),
        ];
        for (name, tail, by2, by3, by10) in cases {
            assert_eq!(hashmod(name, u64::MAX), tail % u64::MAX, "{name:?}");
            assert_eq!(hashmod(name, 2), by2, "{name:?} % 2");
            assert_eq!(hashmod(name, 3), by3, "{name:?} % 3");
            assert_eq!(hashmod(name, 10), by10, "{name:?} % 10");
            assert_eq!(hashmod(name, 1), 0);
        }
        assert_eq!(hashmod("anything", 0), 0);
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("lakeview"));
        assert!(valid_name("a.b_c-D9"));
        assert!(valid_name(&"x".repeat(64)));
        assert!(!valid_name(&"x".repeat(65)));
        assert!(!valid_name(""));
        assert!(!valid_name("has space"));
        assert!(!valid_name("é"));
    }
}
