//! `--web.config.file` through the real exporter: TLS, client certificates, basic auth,
//! and a reload without a restart.

use std::path::Path;
use std::time::Duration;

use jamf_exporter::config::{self, Config};
use jamf_exporter::demo::{Simulator, SimulatorConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |sans: Vec<SanType>| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.subject_alt_names = sans;
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec![
        SanType::IpAddress("127.0.0.1".parse().unwrap()),
        SanType::DnsName("localhost".try_into().unwrap()),
    ]);
    let (client_cert, client_key) = leaf(vec![SanType::DnsName("prometheus".try_into().unwrap())]);
    Pki {
        ca_pem: ca.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn web_yaml(password_hash: &str, client_auth: &str) -> String {
    let client_ca = if client_auth == "NoClientCert" {
        ""
    } else {
        "  client_ca_file: ca.pem\n"
    };
    format!(
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: {client_auth}\n{client_ca}basic_auth_users:\n  prometheus: '{password_hash}'\n"
    )
}

/// A directory with the PKI's CA and server files and a `web.yml` of TLS and basic
/// auth (user `prometheus`, `password`) without client certificates.
fn tls_dir(pki: &Pki, password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ca.pem", &pki.ca_pem);
    write(dir.path(), "server.pem", &pki.server_cert);
    write(dir.path(), "server.key", &pki.server_key);
    write(
        dir.path(),
        "web.yml",
        &web_yaml(&bcrypt::hash(password, 4).unwrap(), "NoClientCert"),
    );
    dir
}

async fn exporter(web_config: &Path) -> (Simulator, jamf_exporter::Exporter) {
    exporter_with(web_config, &[]).await
}

async fn exporter_with(
    web_config: &Path,
    extra_flags: &[&str],
) -> (Simulator, jamf_exporter::Exporter) {
    let sim = SimulatorConfig::demo();
    let id = sim.credentials.client_id.clone();
    let secret = sim.credentials.client_secret.clone();
    let simulator = Simulator::start(sim).await.unwrap();
    let args = [
        "jamf_exporter".to_owned(),
        "--jamf.url".into(),
        simulator.base_url(),
        "--jamf.client-id".into(),
        id,
        "--web.listen-address".into(),
        "127.0.0.1:0".into(),
        "--web.config.file".into(),
        web_config.display().to_string(),
    ]
    .into_iter()
    .chain(extra_flags.iter().map(|flag| (*flag).to_owned()));
    let env: std::collections::HashMap<String, String> =
        [("JAMF_CLIENT_SECRET".to_owned(), secret)].into();
    let config = Config::from_raw(config::try_parse_from(args).unwrap(), &env).unwrap();
    let exporter = jamf_exporter::start(config).await.unwrap();
    assert!(
        exporter
            .wait_for_refreshes(1, Duration::from_secs(30))
            .await
    );
    (simulator, exporter)
}

fn client(pki: &Pki, with_certificate: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap());
    if with_certificate {
        let identity = format!("{}{}", pki.client_cert, pki.client_key);
        builder = builder.identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn tls_client_certificates_and_basic_auth_guard_every_endpoint() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ca.pem", &pki.ca_pem);
    write(dir.path(), "server.pem", &pki.server_cert);
    write(dir.path(), "server.key", &pki.server_key);
    let hash = bcrypt::hash("right horse", 4).unwrap();
    write(
        dir.path(),
        "web.yml",
        &web_yaml(&hash, "RequireAndVerifyClientCert"),
    );
    let (simulator, exporter) = exporter(&dir.path().join("web.yml")).await;
    let url = format!("https://127.0.0.1:{}/metrics", exporter.addresses[0].port());

    let good = client(&pki, true);
    let response = good
        .get(&url)
        .basic_auth("prometheus", Some("right horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("jamf_up 1"));

    let wrong = good
        .get(&url)
        .basic_auth("prometheus", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.headers()["www-authenticate"],
        "Basic realm=\"jamf_exporter\""
    );
    let anonymous = good.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let healthy = good
        .get(url.replace("/metrics", "/-/healthy"))
        .send()
        .await
        .unwrap();
    assert_eq!(healthy.status().as_u16(), 401, "every endpoint is guarded");
    let calendar_url = url.replace("/metrics", "/calendar.ics");
    let calendar = good.get(&calendar_url).send().await.unwrap();
    assert_eq!(calendar.status().as_u16(), 401, "the calendar is guarded");
    let calendar = good
        .get(&calendar_url)
        .basic_auth("prometheus", Some("right horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(calendar.status().as_u16(), 200);
    assert_eq!(
        calendar.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );

    let no_certificate = client(&pki, false)
        .get(&url)
        .basic_auth("prometheus", Some("right horse"))
        .send()
        .await;
    assert!(
        no_certificate.is_err(),
        "a client without a certificate is refused"
    );

    let plain = reqwest::get(url.replace("https://", "http://")).await;
    assert!(
        !plain.is_ok_and(|r| r.status().is_success()),
        "no plain HTTP"
    );

    exporter.stop().await;
    simulator.shutdown().await;
}

#[tokio::test]
async fn a_changed_file_is_picked_up_and_a_bad_one_ignored() {
    let pki = pki();
    let dir = tls_dir(&pki, "first");
    let (simulator, exporter) = exporter(&dir.path().join("web.yml")).await;
    let url = format!("https://127.0.0.1:{}/metrics", exporter.addresses[0].port());
    let http = client(&pki, false);
    let status = |password: &'static str| {
        let request = http.get(&url).basic_auth("prometheus", Some(password));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("first").await, 200);

    write(
        dir.path(),
        "web.yml",
        &web_yaml(&bcrypt::hash("second", 4).unwrap(), "NoClientCert"),
    );
    let mut reloaded = false;
    for _ in 0..100 {
        if status("second").await == 200 {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the new password works without a restart");
    assert_eq!(status("first").await, 401);

    write(
        dir.path(),
        "web.yml",
        "tls_server_config: [this is not valid\n",
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        status("second").await,
        200,
        "a bad file keeps the last good configuration"
    );

    exporter.stop().await;
    simulator.shutdown().await;
}

#[test]
fn a_bad_web_config_file_stops_start_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "web.yml",
        "basic_auth_users:\n  prometheus: not-a-bcrypt-hash\nunknown_key: 1\n",
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jamf_exporter"))
        .args([
            "--demo",
            "--web.listen-address",
            "127.0.0.1:0",
            "--web.config.file",
        ])
        .arg(dir.path().join("web.yml"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("web.yml"), "{stderr}");
    assert!(stderr.contains("unknown_key"), "{stderr}");
    assert!(!stderr.contains("not-a-bcrypt-hash"), "{stderr}");
}

/// More clients than `--web.max-requests` while each request is in its bcrypt check: the
/// permit is taken before authentication, so the extra clients get 503 at once instead
/// of queueing for the CPU; once the checks are done, permits are free again.
#[tokio::test]
async fn requests_in_authentication_count_against_max_requests() {
    let dir = tempfile::tempdir().unwrap();
    // A cost high enough that the checks overlap on any machine.
    let hash = bcrypt::hash("right", 10).unwrap();
    write(
        dir.path(),
        "web.yml",
        &format!("basic_auth_users:\n  prometheus: '{hash}'\n"),
    );
    let (simulator, exporter) =
        exporter_with(&dir.path().join("web.yml"), &["--web.max-requests", "2"]).await;
    let url = format!("http://{}/metrics", exporter.addresses[0]);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let attempts = (0..12).map(|n| {
        let request = http
            .get(&url)
            .basic_auth("prometheus", Some(format!("wrong-{n}")));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let refused = statuses.iter().filter(|status| **status == 503).count();
    assert!(
        statuses
            .iter()
            .all(|status| *status == 401 || *status == 503),
        "{statuses:?}"
    );
    assert!(refused >= 1, "no request was over the limit: {statuses:?}");
    assert!(
        refused <= 10,
        "at least the first two were checked: {statuses:?}"
    );
    let right = http
        .get(&url)
        .basic_auth("prometheus", Some("right"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200, "the permits came back");
    exporter.stop().await;
    simulator.shutdown().await;
}

#[tokio::test]
async fn sd_answers_under_tls_and_basic_auth_with_the_https_scheme() {
    let pki = pki();
    let dir = tls_dir(&pki, "right horse");
    let args = [
        "jamf_exporter",
        "--demo",
        "--demo.targets",
        "2",
        "--web.listen-address",
        "127.0.0.1:0",
        "--web.config.file",
        &dir.path().join("web.yml").display().to_string(),
    ]
    .map(str::to_owned);
    let env = std::collections::HashMap::<String, String>::new();
    let config = Config::from_raw(config::try_parse_from(args).unwrap(), &env).unwrap();
    let exporter = jamf_exporter::start(config).await.unwrap();
    let url = format!("https://localhost:{}/sd", exporter.addresses[0].port());
    let http = client(&pki, false);
    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let answer = http
        .get(&url)
        .basic_auth("prometheus", Some("right horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let groups: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    let address = format!("localhost:{}", exporter.addresses[0].port());
    for group in groups.as_array().unwrap() {
        assert_eq!(group["labels"]["__scheme__"], "https");
        assert_eq!(group["targets"], serde_json::json!([address]));
    }
    assert_eq!(groups.as_array().unwrap().len(), 2);
    exporter.stop().await;
}
