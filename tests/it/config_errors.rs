//! Every configuration mistake gets one line naming the flag, and nothing listens.

use std::collections::HashMap;
use std::process::Command;

use jamf_exporter::config::{self, Config};

const URL: &str = "https://school.jamfcloud.com";

fn check(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
    let mut argv = vec!["jamf_exporter"];
    argv.extend_from_slice(args);
    let parsed = config::try_parse_from(argv).map_err(|e| format!("clap: {:?}", e.kind()))?;
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_raw(parsed, &env).map_err(|e| e.to_string())
}

fn secret_file(content: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), content).unwrap();
    file
}

/// Flags, environment, and the exact message expected.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, String);

#[test]
fn bad_configurations_name_the_flag() {
    let secret = secret_file("s3cret\n");
    let secret_path = secret.path().to_str().unwrap();
    let empty = secret_file("\n");
    let empty_path = empty.path().to_str().unwrap();
    let client = ["--jamf.client-id", "abc"];
    let cases: Vec<Case> = vec![
        (vec![], vec![], "--jamf.url is required (or set JAMF_URL), unless --demo is given".into()),
        (vec!["--jamf.url", URL], vec![], "no Jamf credentials: set --jamf.client-id with --jamf.client-secret-file (or JAMF_CLIENT_SECRET), or --jamf.username with --jamf.password-file (or JAMF_PASSWORD)".into()),
        (vec!["--jamf.url", URL, "--jamf.client-id", "abc", "--jamf.username", "me"], vec![("JAMF_CLIENT_SECRET", "x"), ("JAMF_PASSWORD", "y")], "--jamf.client-id and --jamf.username are both set: configure exactly one auth method".into()),
        (vec!["--jamf.url", URL, "--jamf.client-id", "abc"], vec![], "--jamf.client-id is set but its secret is missing: use --jamf.client-secret-file or JAMF_CLIENT_SECRET".into()),
        (vec!["--jamf.url", URL, "--jamf.username", "me"], vec![], "--jamf.username is set but its password is missing: use --jamf.password-file or JAMF_PASSWORD".into()),
        (vec!["--jamf.url", URL], vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.client-secret-file (or JAMF_CLIENT_SECRET) is set but --jamf.client-id is missing".into()),
        (vec!["--jamf.url", URL, "--jamf.client-id", "abc", "--jamf.client-secret-file", secret_path], vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.client-secret-file and JAMF_CLIENT_SECRET are both set: use only one".into()),
        (vec!["--jamf.url", URL, "--jamf.client-id", "abc", "--jamf.client-secret-file", "/nonexistent/secret"], vec![], "--jamf.client-secret-file: cannot read /nonexistent/secret: No such file or directory (os error 2)".into()),
        (vec!["--jamf.url", URL, "--jamf.client-id", "abc", "--jamf.client-secret-file", empty_path], vec![], format!("--jamf.client-secret-file: {empty_path} is empty")),
        (vec!["--jamf.url", "school.jamfcloud.com", "--jamf.client-id", "abc"], vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.url: not a valid URL (relative URL without a base); expected e.g. https://school.jamfcloud.com".into()),
        (vec!["--jamf.url", "ftp://school.example", "--jamf.client-id", "abc"], vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.url: unsupported scheme \"ftp\"; use https:// (or http:// for a local test server)".into()),
        (vec!["--jamf.url", "https://admin:pw@school.jamfcloud.com", "--jamf.client-id", "abc"], vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.url: credentials in the URL are not allowed; use --jamf.client-id or --jamf.username".into()),
        ([&["--jamf.url", URL][..], &client, &["--jamf.timeout", "30"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.timeout: not a valid duration: \"30\" (use e.g. 30s, 5m, 1h)".into()),
        ([&["--jamf.url", URL][..], &client, &["--refresh.interval", "0s"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--refresh.interval: must be greater than zero, got \"0s\"".into()),
        ([&["--jamf.url", URL][..], &client, &["--refresh.timeout", "soon"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--refresh.timeout: not a valid duration: \"soon\" (use e.g. 30s, 5m, 1h)".into()),
        ([&["--jamf.url", URL][..], &client, &["--web.timezone", "Mars/Olympus"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--web.timezone: unknown time zone \"Mars/Olympus\"; use an IANA name such as UTC or America/Chicago".into()),
        ([&["--jamf.url", URL][..], &client, &["--collector.mdm_profiles.window", "0d"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--collector.mdm_profiles.window: must be greater than zero, got \"0d\"".into()),
        ([&["--jamf.url", URL][..], &client, &["--web.listen-address", "10052"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--web.listen-address: \"10052\" has no port; expected e.g. :10052 or 127.0.0.1:10052".into()),
        ([&["--jamf.url", URL][..], &client, &["--web.listen-address", ":99999"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--web.listen-address: \":99999\" has no valid port; expected e.g. :10052 or 127.0.0.1:10052".into()),
        ([&["--jamf.url", URL][..], &client, &["--web.telemetry-path", "metrics"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--web.telemetry-path: \"metrics\" must start with '/' and must not be '/' or under '/-/'".into()),
        ([&["--jamf.url", URL][..], &client, &["--jamf.ca-file", "/nonexistent/ca.pem"]].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.ca-file: cannot read /nonexistent/ca.pem: No such file or directory (os error 2)".into()),
        (vec!["--demo", "--jamf.url", URL], vec![], "--demo and --jamf.url cannot be used together: the demo serves its own simulated Jamf Pro".into()),
        (vec!["--log.level", "loud", "--demo"], vec![], "clap: InvalidValue".into()),
        (vec!["--demo", "--collector.nonsense"], vec![], "clap: UnknownArgument".into()),
        (vec!["--jamf.url", URL, "--jamf.api", "platform", "--jamf.environment-id", "e1", "--jamf.username", "me"], vec![("JAMF_PASSWORD", "y")], "--jamf.username: the Jamf Platform API (--jamf.api platform) takes only an API client; use --jamf.client-id with --jamf.client-secret-file (or JAMF_CLIENT_SECRET)".into()),
        ([&["--jamf.url", URL, "--jamf.api", "platform"][..], &client].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.environment-id: missing: --jamf.api platform needs --jamf.environment-id (or --jamf.tenant-id)".into()),
        ([&["--jamf.url", URL, "--jamf.api", "platform", "--jamf.environment-id", "e1", "--jamf.tenant-id", "t1"][..], &client].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.environment-id: set together with --jamf.tenant-id: the Jamf Platform API takes exactly one of them".into()),
        ([&["--jamf.url", URL, "--jamf.tenant-id", "t1"][..], &client].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.tenant-id: only used with --jamf.api platform".into()),
        ([&["--jamf.url", URL, "--jamf.api", "platform", "--jamf.environment-id", "e 1"][..], &client].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.environment-id: must be 1 to 128 of A-Z, a-z, 0-9, '-', '_' and '.' (Jamf's ids are UUIDs)".into()),
        (vec!["--jamf.url", URL, "--jamf.api", "classic"], vec![], "clap: InvalidValue".into()),
        ([&["--jamf.url", "https://eu.api.jamfcloud.com/pro", "--jamf.api", "platform", "--jamf.environment-id", "e1"][..], &client].concat(), vec![("JAMF_CLIENT_SECRET", "x")], "--jamf.url: \"https://eu.api.jamfcloud.com/pro\" has a path; the Jamf Platform API gateway's URL is its host alone, e.g. https://eu.api.jamfcloud.com".into()),
    ];
    for (args, env, expected) in cases {
        let got = check(&args, &env)
            .err()
            .unwrap_or_else(|| "no error".to_owned());
        assert_eq!(got, expected, "for {args:?}");
    }
}

#[test]
fn secret_files_lose_one_trailing_newline() {
    let secret = secret_file("s3cret\n");
    let config = check(
        &[
            "--jamf.url",
            URL,
            "--jamf.client-id",
            "abc",
            "--jamf.client-secret-file",
            secret.path().to_str().unwrap(),
        ],
        &[],
    )
    .unwrap();
    match config.source {
        config::Source::Jamf(target) => match target.auth {
            jamf_exporter::jamf::Auth::ClientCredentials { client_secret, .. } => {
                assert_eq!(client_secret.expose(), "s3cret")
            }
            other => panic!("unexpected auth {other:?}"),
        },
        config::Source::Demo { .. } | config::Source::Targets(_) => panic!("not demo"),
    }
}

#[test]
fn collectors_follow_node_exporter_switches() {
    let config = check(
        &[
            "--demo",
            "--collector.vpp-content",
            "--no-collector.builtin-ca",
            "--no-collector.version",
            "--collector.version",
        ],
        &[],
    )
    .unwrap();
    let names: Vec<&str> = config.collectors.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "vpp",
            "vpp_content",
            "ade",
            "notifications",
            "version",
            "healthcheck",
            "supervision_identities",
            "cloud_services",
            "sso_certificate",
            "cloud_ldap",
            "server_certificate"
        ]
    );
}

#[test]
fn a_long_jamf_timeout_is_allowed() {
    assert!(check(
        &[
            "--demo",
            "--jamf.timeout",
            "10m",
            "--refresh.interval",
            "1m"
        ],
        &[]
    )
    .is_ok());
}

#[test]
fn the_binary_prints_one_line_and_exits_non_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
        .env_remove("JAMF_URL")
        .env_remove("JAMF_CLIENT_SECRET")
        .env_remove("JAMF_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "jamf_exporter: error: --jamf.url is required (or set JAMF_URL), unless --demo is given\n"
    );
}

#[test]
fn a_listen_address_in_use_fails_before_serving() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
        .args([
            "--demo",
            "--web.listen-address",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "--web.listen-address: cannot listen on 127.0.0.1:{port}"
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("cannot listen").count(),
        1,
        "the error is printed once: {stderr}"
    );
    assert_eq!(
        stderr.matches("os error").count(),
        1,
        "the OS error is not repeated: {stderr}"
    );
}

#[test]
fn version_is_one_line_with_revision_and_rustc() {
    let output = Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with(&format!(
        "jamf_exporter {} (revision: ",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(stdout.contains("rustc "));
}
