//! Jamf over HTTPS: a private CA given with `--jamf.ca-file` is trusted, and without it
//! the certificate is refused, counted as `tls` and not retried, while the exporter keeps
//! serving.

use std::path::PathBuf;

use jamf_exporter::demo::{SimulatorConfig, TlsIdentity};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::harness::{self, errors};

/// A private CA and a server certificate it signed.
pub struct Pki {
    pub identity: TlsIdentity,
    /// Holds `ca.pem`; removed on drop.
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// A certificate for `names`; those that parse as IP addresses become IP SANs.
    pub fn new(names: &[&str]) -> Pki {
        Pki::with_not_after(names, None)
    }

    /// As `new`, with the server certificate valid until 00:00 UTC of the date
    /// `not_after` (year, month, day); rcgen's default when `None`.
    pub fn with_not_after(names: &[&str], not_after: Option<(i32, u8, u8)>) -> Pki {
        let mut ca_params = CertificateParams::default();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Lakeview test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_certificate = ca_params.self_signed(&ca_key).unwrap();

        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "jamf.lakeview.test");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if let Some((year, month, day)) = not_after {
            params.not_after = rcgen::date_time_ymd(year, month, day);
        }
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let certificate = params.signed_by(&key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca_certificate.pem()).unwrap();
        Pki {
            identity: TlsIdentity {
                cert_pem: certificate.pem(),
                key_pem: key.serialize_pem(),
            },
            dir,
        }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn simulator(&self) -> SimulatorConfig {
        SimulatorConfig {
            tls: Some(self.identity.clone()),
            ..SimulatorConfig::demo()
        }
    }
}

#[tokio::test]
async fn a_private_ca_given_with_ca_file_is_trusted() {
    let pki = Pki::new(&["127.0.0.1", "localhost"]);
    let ca_file = pki.ca_file();
    let setup = harness::start(
        pki.simulator(),
        &["--jamf.ca-file", ca_file.to_str().unwrap()],
    )
    .await;
    assert!(setup.simulator.base_url().starts_with("https://127.0.0.1:"));
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(1.0));
    for collector in ["vpp", "vpp_content", "ade", "healthcheck"] {
        assert_eq!(
            metrics.value("jamf_collector_success", &[("collector", collector)]),
            Some(1.0),
            "{collector}"
        );
        assert_eq!(errors(&metrics, collector, "connect"), 0.0, "{collector}");
    }
    assert!(metrics.count("jamf_vpp_licenses_purchased") > 0);
    setup.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_failure_without_retries() {
    let pki = Pki::new(&["127.0.0.1", "localhost"]);
    let setup = harness::start(pki.simulator(), &["--refresh.timeout", "2s"]).await;
    setup.assert_responsive().await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    for collector in ["vpp", "vpp_content", "ade", "healthcheck", "version"] {
        assert_eq!(
            metrics.value("jamf_collector_success", &[("collector", collector)]),
            Some(0.0),
            "{collector}"
        );
        assert_eq!(errors(&metrics, collector, "tls"), 1.0, "{collector}");
    }
    assert_eq!(metrics.count("jamf_vpp_licenses_purchased"), 0, "no data");
    // A certificate does not fix itself in seconds: one token attempt, no retries.
    assert_eq!(
        metrics.value(
            "jamf_exporter_api_requests_total",
            &[("endpoint", "/api/oauth/token"), ("code", "error")],
        ),
        Some(1.0)
    );
    // The handshake fails before any request reaches the simulator.
    assert!(setup.simulator.requests().is_empty());
    assert_eq!(setup.simulator.tokens_issued(), 0);
    let (_, page) = setup.get("/").await;
    assert!(
        page.contains("tls: ") && page.contains("invalid peer certificate: UnknownIssuer"),
        "the reason is on the landing page"
    );
    // A second refresh fails the same way; the process is fine.
    setup.refresh().await;
    let metrics = setup.metrics().await;
    assert_eq!(errors(&metrics, "vpp", "tls"), 2.0);
    setup.assert_responsive().await;
    setup.stop().await;
}

#[tokio::test]
async fn the_ca_of_another_server_is_not_enough() {
    let pki = Pki::new(&["127.0.0.1", "localhost"]);
    let other = Pki::new(&["127.0.0.1", "localhost"]);
    let ca_file = other.ca_file();
    let setup = harness::start(
        pki.simulator(),
        &[
            "--jamf.ca-file",
            ca_file.to_str().unwrap(),
            "--refresh.timeout",
            "2s",
        ],
    )
    .await;
    let metrics = setup.metrics().await;
    assert_eq!(metrics.value("jamf_up", &[]), Some(0.0));
    assert_eq!(errors(&metrics, "vpp", "tls"), 1.0);
    setup.stop().await;
}
