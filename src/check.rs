//! `jamf_exporter check`: one refresh with the exporter's own code, then a report and a
//! monitoring-plugin exit status (Nagios, Icinga, Checkmk, cron, the yearly review).
//!
//! Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a bad command line). Only
//! `findings` decides what is wrong; this module parses flags and formats.

use std::ffi::OsString;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{ArgMatches, Args, Command, FromArgMatches, ValueEnum};
use serde_json::{json, Value};

use crate::bands::TokenBands;
use crate::config::{self, Config, ProcessEnv};
use crate::findings::{assessed_renewals, findings, Finding, FindingKind, State, Thresholds};
use crate::injected::InjectedPanics;
use crate::renewals::RenewalKind;
use crate::snapshot::Snapshot;
use tracing::Instrument;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Warning when a renewal expires within DAYS (default per kind: 30; 60 for the built-in CA; 14 for the server certificate)
    #[arg(long = "warning", value_name = "DAYS")]
    pub warning: Option<u32>,
    /// Critical when a renewal expires within DAYS (default: 7; 3 for the server certificate)
    #[arg(long = "critical", value_name = "DAYS")]
    pub critical: Option<u32>,
    /// Report format
    #[arg(long = "output", value_enum, default_value_t = Output::Nagios)]
    pub output: Output,
    /// With --config.file: the name of the target to check
    #[arg(long = "target", value_name = "NAME")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// First line `JAMF <STATE> - <summary> | <perfdata>`, then one line per finding
    Nagios,
    /// One JSON object: state, findings and renewals
    Json,
    /// The renewal report for people: every renewal by date, then everything else
    Text,
}

/// Flags of the exporter that mean nothing to a single refresh; accepted, not shown.
const HIDDEN: [&str; 8] = [
    "web_listen_address",
    "web_telemetry_path",
    "web_config_file",
    "web_max_requests",
    "refresh_interval",
    "refresh_concurrency",
    "shard_total",
    "shard_index",
];

/// The `check` command: the exporter's flags plus the check's own.
pub fn command() -> Command {
    let mut command = CheckArgs::augment_args(config::with_exporter_args(
        Command::new("check")
            .bin_name("jamf_exporter check")
            .about("Runs one refresh against Jamf Pro, prints a report and exits with a monitoring-plugin status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"),
    ));
    for id in HIDDEN {
        command = command.mut_arg(id, |arg| arg.hide(true));
    }
    // A plugin's stderr is noise to most monitoring systems: warnings only, unless asked.
    command
        .mut_arg("log_level", |arg| arg.default_value("warn"))
        .mut_arg("demo", |arg| {
            arg.help("Check an embedded simulated Jamf Pro on loopback; no credentials needed")
        })
}

/// Runs `jamf_exporter check` with `args` (the program name first, then `check`'s own
/// arguments) and returns the exit status. Prints the report on stdout.
pub fn main(args: impl IntoIterator<Item = OsString>) -> u8 {
    let matches = match command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                let _ = error.print();
                return 0;
            }
            return unknown(&first_line(&error.render().to_string()));
        }
    };
    let (check, config) = match configure(matches) {
        Ok(parts) => parts,
        Err(message) => return unknown(&message),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return unknown(&format!("cannot start the async runtime: {error}")),
    };
    let (snapshot, bands) = match runtime.block_on(one_refresh(&config, check.target.as_deref())) {
        Ok(found) => found,
        Err(message) => return unknown(&message),
    };
    // Without --warning/--critical, VPP and ADE tokens are judged by the server's bands.
    let thresholds = Thresholds::Check {
        warning_days: check.warning.map(f64::from),
        critical_days: check.critical.map(f64::from),
        bands,
    };
    let report = Report::new(&snapshot, thresholds, Utc::now());
    let out = match check.output {
        Output::Nagios => nagios(&report),
        Output::Json => json(&report),
        Output::Text => text(&report, config.timezone),
    };
    print!("{out}");
    report.state.exit_code()
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    line.trim_start_matches("error: ").to_owned()
}

fn unknown(message: &str) -> u8 {
    println!("JAMF UNKNOWN - {}", one_line(message));
    State::Unknown.exit_code()
}

fn configure(matches: ArgMatches) -> Result<(CheckArgs, Config), String> {
    let check =
        CheckArgs::from_arg_matches(&matches).map_err(|error| first_line(&error.to_string()))?;
    let parsed = config::parse_matches(matches);
    let config = Config::from_raw(parsed, &ProcessEnv).map_err(|error| error.to_string())?;
    match (&config.source, &check.target) {
        (config::Source::Targets(source), Some(name)) => {
            if !source.loaded.mine.iter().any(|spec| &spec.name == name) {
                return Err(format!("--target: no target {name:?} in --config.file"));
            }
        }
        (config::Source::Targets(_), None) => {
            return Err("--target: required with --config.file: name the target to check".into())
        }
        (_, Some(_)) => return Err("--target: only used with --config.file".into()),
        (_, None) => {}
    }
    crate::logging::init(config.log_level, config.log_format);
    Ok((check, config))
}

/// One refresh of the chosen target with the exporter's poller, done within its
/// refresh timeout.
async fn one_refresh(
    config: &Config,
    wanted: Option<&str>,
) -> Result<(Arc<Snapshot>, TokenBands), String> {
    let (simulators, plan) = crate::targets::plan(config)
        .await
        .map_err(|error| format!("{error:#}"))?;
    let spec = plan
        .loaded
        .mine
        .into_iter()
        .find(|spec| wanted.is_none_or(|name| spec.name == name))
        .ok_or_else(|| "no target to check".to_owned())?;
    let limit = spec.refresh_timeout;
    let bands = spec.thresholds;
    // The poller's own deadline leaves a little of the limit for starting and reporting.
    let margin = (limit / 10).min(Duration::from_secs(1));
    let span = tracing::info_span!("target", target = %spec.name);
    let refresh = async {
        let poller = crate::targets::poller_for(
            &spec,
            &config.jamf_proxy,
            limit.saturating_sub(margin),
            InjectedPanics::default(),
            &crate::jamf::SharedHttp::default(),
        )
        .map_err(|error| format!("{error:#}"))?;
        let store = poller.store.clone();
        poller.refresh_once().await;
        Ok(store.load())
    }
    .instrument(span);
    let outcome = tokio::time::timeout(limit, refresh)
        .await
        .unwrap_or_else(|_| Err("the refresh did not finish within --refresh.timeout".to_owned()));
    for simulator in simulators {
        simulator.shutdown().await;
    }
    outcome.map(|snapshot| (snapshot, bands))
}

/// What one check found, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub state: State,
    pub thresholds: Thresholds,
    /// Worst first.
    pub findings: Vec<Finding>,
    /// Every dated renewal with its state, earliest first.
    pub renewals: Vec<Finding>,
    pub instance_url: String,
    pub data_from: Option<DateTime<Utc>>,
}

impl Report {
    pub fn new(snapshot: &Snapshot, thresholds: Thresholds, now: DateTime<Utc>) -> Report {
        let findings = findings(snapshot, thresholds, now);
        let state = findings
            .iter()
            .map(|finding| finding.state)
            .max()
            .unwrap_or(State::Ok);
        Report {
            state,
            thresholds,
            findings,
            renewals: assessed_renewals(snapshot, thresholds, now),
            instance_url: snapshot.server_name(),
            data_from: snapshot.last_refresh,
        }
    }
}

/// Text on one line: control characters (newlines too) become spaces, and `|`, which
/// starts the perfdata, becomes `/`.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            '|' => '/',
            c => c,
        })
        .collect()
}

/// A perfdata label, quoted as the plugin guidelines ask: `=` cannot appear, and a
/// quote is doubled.
pub fn perfdata_label(kind: RenewalKind, name: &str) -> String {
    let name = one_line(name).replace('=', " ").replace('\'', "''");
    format!("'{}:{name}'", kind.as_str())
}

/// The guidelines' range for a value that alerts when low: `30:` alerts below 30.
fn low_range(days: f64) -> String {
    format!("{}:", crate::findings::whole_days(days))
}

/// `JAMF <STATE> - <summary> | <perfdata>`, then one line per finding, worst first.
pub fn nagios(report: &Report) -> String {
    let count = |state| report.findings.iter().filter(|f| f.state == state).count();
    let summary = match report.findings.first() {
        None => match report.renewals.len() {
            0 => "nothing needs action".to_owned(),
            1 => "1 renewal checked, nothing needs action".to_owned(),
            n => format!("{n} renewals checked, nothing needs action"),
        },
        Some(worst) => {
            let counts: Vec<String> = [State::Critical, State::Warning]
                .into_iter()
                .filter_map(|state| match count(state) {
                    0 => None,
                    n => Some(format!("{n} {}", state.word())),
                })
                .collect();
            format!("{}: {}", counts.join(", "), worst.message)
        }
    };
    let perfdata: Vec<String> = report
        .renewals
        .iter()
        .filter_map(|renewal| {
            let FindingKind::Renewal(kind) = renewal.kind else {
                return None;
            };
            Some(format!(
                "{}={}d;{};{}",
                perfdata_label(kind, &renewal.name),
                renewal.days_left?,
                low_range(report.thresholds.warning(kind)),
                low_range(report.thresholds.critical(kind)),
            ))
        })
        .collect();
    let mut out = format!("JAMF {} - {}", report.state, one_line(&summary));
    if !perfdata.is_empty() {
        let _ = write!(out, " | {}", perfdata.join(" "));
    }
    out.push('\n');
    for finding in &report.findings {
        let _ = writeln!(out, "{}: {}", finding.state, one_line(&finding.message));
    }
    out
}

fn finding_json(finding: &Finding) -> Value {
    json!({
        "kind": finding.kind.as_str(),
        "id": finding.id,
        "name": finding.name,
        "state": finding.state.as_str(),
        "expires": finding.expires.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "days_left": finding.days_left,
        "message": finding.message,
    })
}

/// `{"state", "findings": [...], "renewals": [...]}` as the contract defines it.
pub fn json(report: &Report) -> String {
    let value = json!({
        "state": report.state.as_str(),
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "renewals": report.renewals.iter().map(finding_json).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// The renewal report for a person: every renewal by date, then everything else, with
/// dates in `zone` (`--web.timezone`).
pub fn text(report: &Report, zone: chrono_tz::Tz) -> String {
    let mut out = format!(
        "Jamf Pro renewal report for {}\n",
        one_line(&report.instance_url)
    );
    if let Some(at) = report.data_from {
        let _ = writeln!(out, "Data from {}", crate::landing::date(Some(at), zone));
    }
    let _ = writeln!(out, "Overall: {}\n", report.state);
    out.push_str("Renewals, by date:\n");
    if report.renewals.is_empty() {
        out.push_str("  none found\n");
    }
    for renewal in &report.renewals {
        let date = renewal
            .expires
            .map_or_else(String::new, |at| crate::landing::day(at, zone));
        let _ = writeln!(
            out,
            "  {date}  {:<8}  {}",
            renewal.state.as_str(),
            one_line(&renewal.message)
        );
    }
    out.push_str("\nAlso needs doing:\n");
    let others: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|finding| !matches!(finding.kind, FindingKind::Renewal(_)))
        .collect();
    if others.is_empty() {
        out.push_str("  nothing\n");
    }
    for finding in others {
        let _ = writeln!(
            out,
            "  {:<8}  {}",
            finding.state.as_str(),
            one_line(&finding.message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::VppLocation;
    use chrono::{TimeDelta, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap()
    }

    fn report(names_and_days: &[(&str, i64)], thresholds: Thresholds) -> Report {
        let locations = names_and_days
            .iter()
            .enumerate()
            .map(|(i, (name, days))| VppLocation {
                id: (i + 1).to_string(),
                name: (*name).into(),
                asm_location: format!("apple {i}"),
                organization: "Org".into(),
                token_expiry: Some(now() + TimeDelta::days(*days) + TimeDelta::hours(2)),
                licenses_purchased: Some(10.0),
                licenses_used: Some(1.0),
                client_context_mismatch: Some(false),
                ..Default::default()
            })
            .collect::<Vec<_>>();
        let snapshot = Snapshot {
            instance_url: "https://school.jamfcloud.com".into(),
            refreshes: 1,
            up: true,
            last_refresh: Some(now()),
            vpp: Some(Arc::new(locations)),
            ..Snapshot::default()
        };
        Report::new(&snapshot, thresholds, now())
    }

    const DEFAULTS: Thresholds = Thresholds::Check {
        warning_days: None,
        critical_days: None,
        bands: crate::bands::TokenBands::DEFAULT,
    };

    #[test]
    fn an_ok_check_has_one_line_with_perfdata() {
        let out = nagios(&report(&[("Lakeview High", 200)], DEFAULTS));
        assert_eq!(
            out,
            "JAMF OK - 1 renewal checked, nothing needs action | 'vpp:Lakeview High'=200d;30:;7:\n"
        );
    }

    #[test]
    fn problems_are_counted_in_the_summary_and_listed_worst_first() {
        let out = nagios(&report(&[("North", 20), ("Harbor", -4)], DEFAULTS));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "JAMF CRITICAL - 1 critical, 1 warning: Harbor: Volume Purchasing token expired 3 days ago | 'vpp:Harbor'=-3d;30:;7: 'vpp:North'=20d;30:;7:",
                "CRITICAL: Harbor: Volume Purchasing token expired 3 days ago",
                "WARNING: North: Volume Purchasing token expires in 20 days",
            ]
        );
    }

    #[test]
    fn given_thresholds_are_written_as_low_ranges() {
        let thresholds = Thresholds::Check {
            warning_days: Some(60.0),
            critical_days: Some(14.0),
            bands: crate::bands::TokenBands::DEFAULT,
        };
        let out = nagios(&report(&[("A", 40)], thresholds));
        assert!(out.starts_with("JAMF WARNING - 1 warning: "), "{out}");
        assert!(out.contains("'vpp:A'=40d;60:;14:"), "{out}");
    }

    #[test]
    fn hostile_names_cannot_break_the_plugin_output() {
        let out = nagios(&report(&[("O'Brien = A|B\nC\r\t", 3)], DEFAULTS));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0].matches('|').count(), 1, "{out}");
        assert!(
            lines[0].ends_with("| 'vpp:O''Brien   A/B C  '=3d;30:;7:"),
            "{out}"
        );
        assert_eq!(
            lines[1],
            "CRITICAL: O'Brien = A/B C  : Volume Purchasing token expires in 3 days"
        );
    }

    #[test]
    fn json_has_the_contract_keys() {
        let out = json(&report(&[("A", 200), ("B", 5)], DEFAULTS));
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["state"], "CRITICAL");
        assert_eq!(value["findings"].as_array().unwrap().len(), 1);
        let finding = &value["findings"][0];
        for key in [
            "kind",
            "id",
            "name",
            "state",
            "expires",
            "days_left",
            "message",
        ] {
            assert!(finding.get(key).is_some(), "{key}");
        }
        assert_eq!(finding["kind"], "vpp");
        assert_eq!(finding["days_left"], 5);
        assert_eq!(finding["expires"], "2027-03-15T14:00:00Z");
        let renewals = value["renewals"].as_array().unwrap();
        assert_eq!(renewals.len(), 2);
        assert_eq!(renewals[0]["name"], "B");
        assert_eq!(renewals[1]["state"], "OK");
    }

    #[test]
    fn text_lists_renewals_by_date_then_the_rest() {
        let out = text(
            &report(&[("Late", 200), ("Soon", 20)], DEFAULTS),
            chrono_tz::Tz::UTC,
        );
        assert_eq!(
            out,
            "Jamf Pro renewal report for https://school.jamfcloud.com\n\
             Data from Wed 2027-03-10 12:00 UTC\n\
             Overall: WARNING\n\n\
             Renewals, by date:\n  \
             Tue 2027-03-30  WARNING   Soon: Volume Purchasing token expires in 20 days\n  \
             Sun 2027-09-26  OK        Late: Volume Purchasing token expires in 200 days\n\n\
             Also needs doing:\n  nothing\n"
        );
    }

    #[test]
    fn text_dates_are_in_the_zone_asked_for() {
        // 12:00 UTC on Wednesday is 06:00 in Chicago; a 00:00 UTC deadline is the evening before.
        let report = report(&[("Soon", 20)], DEFAULTS);
        let out = text(&report, chrono_tz::America::Chicago);
        assert!(out.contains("Data from Wed 2027-03-10 06:00 CST"), "{out}");
        let midnight = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 3, 30, 0, 0, 0).unwrap();
        assert_eq!(
            crate::landing::day(midnight, chrono_tz::America::Chicago),
            "Mon 2027-03-29"
        );
    }
}
