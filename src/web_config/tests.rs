#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http::HeaderValue;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

use super::*;

// ---------------------------------------------------------------------------------------
// Fixtures: a CA made at test time, a server certificate for localhost signed by it, and
// the files in a temporary directory next to the config file.

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: CertificateDer<'static>,
    pem: String,
}

fn new_ca(name: &str) -> Ca {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    Ca {
        der: certificate.der().clone(),
        pem: certificate.pem(),
        params,
        key,
    }
}

struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Leaf {
    fn identity(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (
            vec![self.der.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
        )
    }
}

fn new_leaf(ca: &Ca, sans: Vec<SanType>, usage: ExtendedKeyUsagePurpose) -> Leaf {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "leaf");
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let certificate = params.signed_by(&key, &issuer).unwrap();
    Leaf {
        cert_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
        der: certificate.der().clone(),
        key_der: key.serialize_der(),
    }
}

fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().unwrap())
}

fn client_leaf(ca: &Ca, sans: Vec<SanType>) -> Leaf {
    new_leaf(ca, sans, ExtendedKeyUsagePurpose::ClientAuth)
}

struct Fixture {
    dir: tempfile::TempDir,
    ca: Ca,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let ca = new_ca("test ca");
        let fixture = Fixture { dir, ca };
        fixture.write_server_pair();
        fixture.write("ca.crt", &fixture.ca.pem);
        fixture
    }

    /// A fresh server certificate and key in server.crt and server.key.
    fn write_server_pair(&self) {
        let server = new_leaf(
            &self.ca,
            vec![dns("localhost")],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        self.write("server.crt", &server.cert_pem);
        self.write("server.key", &server.key_pem);
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn config_path(&self) -> PathBuf {
        self.dir().join("web.yml")
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir().join(name), text).unwrap();
    }

    fn load(&self, yaml: &str) -> Result<WebConfig, WebConfigError> {
        self.write("web.yml", yaml);
        WebConfig::load(&self.config_path())
    }

    fn load_ok(&self, yaml: &str) -> WebConfig {
        self.load(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    fn client(
        &self,
        identity: Option<&Leaf>,
        versions: &[&'static SupportedProtocolVersion],
    ) -> ClientConfig {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.der.clone()).unwrap();
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(versions)
                .unwrap()
                .with_root_certificates(roots);
        let mut config = match identity {
            Some(leaf) => {
                let (chain, key) = leaf.identity();
                builder.with_client_auth_cert(chain, key).unwrap()
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}

const TLS_BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
const TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
const TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

const SERVER_TLS: &str = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

struct HandshakeOutcome {
    server: Result<(), String>,
    /// The negotiated ALPN protocol and cipher suite, when the client got the greeting.
    client: Result<(Option<Vec<u8>>, rustls::CipherSuite), String>,
}

/// One connection over loopback: the server side runs `accept_tls` and, if that passes,
/// sends a greeting; the client succeeds only if it reads the greeting.
async fn handshake(config: &WebConfig, client: ClientConfig) -> HandshakeOutcome {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let acceptor = config.tls_acceptor().expect("tls is configured");
    let server = async {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut stream = accept_tls(&acceptor, tcp, config).await?;
        stream
            .write_all(b"hello")
            .await
            .map_err(|e| e.to_string())?;
        stream.shutdown().await.map_err(|e| e.to_string())?;
        Ok(())
    };
    let client = async {
        let tcp = TcpStream::connect(address).await.unwrap();
        let connector = TlsConnector::from(Arc::new(client));
        let mut stream = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .map_err(|e| e.to_string())?;
        let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        let suite = stream
            .get_ref()
            .1
            .negotiated_cipher_suite()
            .map(|s| s.suite())
            .ok_or("no cipher suite")?;
        let mut greeting = Vec::new();
        stream
            .read_to_end(&mut greeting)
            .await
            .map_err(|e| e.to_string())?;
        if greeting != b"hello" {
            return Err(format!("no greeting, got {greeting:?}"));
        }
        Ok((alpn, suite))
    };
    let (server, client) = tokio::join!(server, client);
    HandshakeOutcome { server, client }
}

#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with log lines going to a buffer, and returns them too.
fn with_captured_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

// ---------------------------------------------------------------------------------------
// Decoding and validation.

#[test]
fn bad_configs_are_rejected_with_a_message_naming_file_and_key() {
    let fixture = Fixture::new();
    let dir = fixture.dir().display().to_string();
    fixture.write("other.key", &KeyPair::generate().unwrap().serialize_pem());
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown top-level key",
            "tls_server_confg: {}\n",
            "unknown field `tls_server_confg`, expected one of `tls_server_config`, `http_server_config`, `basic_auth_users`, `rate_limit`",
        ),
        (
            "unknown nested key",
            "tls_server_config:\n  cert_filse: server.crt\n",
            "tls_server_config: unknown field `cert_filse`, expected one of `cert`, `key`, `client_ca`, `cert_file`, `key_file`, `client_auth_type`, `client_ca_file`, `cipher_suites`, `curve_preferences`, `min_version`, `max_version`, `prefer_server_cipher_suites`, `client_allowed_sans` at line 2 column 3",
        ),
        (
            "missing key_file",
            "tls_server_config:\n  cert_file: server.crt\n",
            "tls_server_config: missing one of key or key_file",
        ),
        (
            "empty cert_file",
            "tls_server_config:\n  cert_file: \"\"\n  key_file: server.key\n",
            "tls_server_config: missing one of cert or cert_file",
        ),
        (
            "unreadable cert file",
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n",
            "tls_server_config.cert_file: cannot read {dir}/missing.crt: No such file or directory (os error 2)",
        ),
        (
            "key file without a key",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n",
            "tls_server_config.key_file ({dir}/server.crt): no valid PEM private key found (PKCS#8, PKCS#1 or SEC1)",
        ),
        (
            "key that does not belong to the certificate",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n",
            "tls_server_config: the private key does not belong to the certificate",
        ),
        (
            "bad client_auth_type",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireSomeClientCert\n",
            "tls_server_config.client_auth_type: unknown value \"RequireSomeClientCert\" (expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)",
        ),
        (
            "client CA without a client auth policy",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n",
            "tls_server_config: client_ca_file or client_ca is set but client_auth_type is NoClientCert; set client_auth_type: RequireAndVerifyClientCert",
        ),
        (
            "unreadable client CA file",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: nope.crt\n",
            "tls_server_config.client_ca_file: cannot read {dir}/nope.crt: No such file or directory (os error 2)",
        ),
        (
            "client CA file without a certificate",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: /dev/null\n",
            "tls_server_config.client_ca_file (/dev/null): no PEM certificate found",
        ),
        (
            "cipher list with nothing rustls has",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n    - TLS_RSA_WITH_AES_128_GCM_SHA256\n",
            "tls_server_config.cipher_suites: none of the listed TLS 1.2 suites is available in rustls; use some of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        (
            "unknown cipher suite",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048]\n",
            "tls_server_config.cipher_suites: unknown cipher suite \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048\"",
        ),
        (
            "unknown curve",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  curve_preferences: [CurveP257]\n",
            "tls_server_config.curve_preferences: unknown curve \"CurveP257\" (expected CurveP256, CurveP384, CurveP521 or X25519)",
        ),
        (
            "only a curve rustls lacks",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  curve_preferences: [CurveP521]\n",
            "tls_server_config.curve_preferences: none of the listed curves is available in rustls; use some of X25519, CurveP256, CurveP384",
        ),
        (
            "unknown TLS version",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS111\n",
            "tls_server_config.min_version: unknown TLS version \"TLS111\" (expected TLS10, TLS11, TLS12 or TLS13)",
        ),
        (
            "max_version below what rustls has",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS10\n  max_version: TLS11\n",
            "tls_server_config.max_version: TLS11 is not supported; rustls implements TLS 1.2 and TLS 1.3 only",
        ),
        (
            "min_version above max_version",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12\n",
            "tls_server_config: min_version TLS13 is above max_version TLS12",
        ),
        (
            "empty client_allowed_sans",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: []\n",
            "tls_server_config.client_allowed_sans: the list is empty, so no client could connect; list at least one SAN or remove the key",
        ),
        (
            "client_allowed_sans without asking for a certificate",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_allowed_sans: [client.example]\n",
            "tls_server_config.client_allowed_sans: needs a client_auth_type that asks for a client certificate, such as RequireAndVerifyClientCert",
        ),
        (
            "bad bcrypt hash",
            "basic_auth_users:\n  john: doe\n",
            "basic_auth_users: john: the password is not a valid bcrypt hash",
        ),
        (
            "header that can not be configured",
            "http_server_config:\n  headers:\n    Content-Type: foo\n",
            "http_server_config.headers: header \"Content-Type\" can not be configured (allowed: Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)",
        ),
        (
            "header name in the wrong case",
            "http_server_config:\n  headers:\n    x-frame-options: deny\n",
            "http_server_config.headers: header \"x-frame-options\" can not be configured (allowed: Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)",
        ),
        (
            "header value outside its enumeration",
            "http_server_config:\n  headers:\n    X-Frame-Options: foo\n",
            "http_server_config.headers: X-Frame-Options: invalid value \"foo\", expected one of deny, sameorigin",
        ),
        (
            "header value with a line break",
            "http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\nb\"\n",
            "http_server_config.headers: Content-Security-Policy: value is not a valid HTTP header value",
        ),
        (
            "http2 that is not a boolean",
            "http_server_config:\n  http2: maybe\n",
            "http_server_config.http2: invalid value: string \"maybe\", expected a boolean at line 2 column 10",
        ),
        (
            "rate limit interval that is not a duration",
            "rate_limit:\n  interval: 1 fortnight\n  burst: 3\n",
            "rate_limit.interval: invalid value: string \"1 fortnight\", expected a duration such as 1s or 500ms at line 2 column 13",
        ),
        (
            "a file that is not a mapping",
            "hWkNKCp3fvIx3jKnsaBI\nTuEjdwNS8A2vYdFbiKqr\n",
            "the file is not a YAML mapping of tls_server_config, http_server_config, basic_auth_users and rate_limit at line 1 column 1",
        ),
    ];
    let mut failures = Vec::new();
    for (name, yaml, expected) in cases {
        let expected = format!(
            "web config file {dir}/web.yml: {}",
            expected.replace("{dir}", &dir)
        );
        match fixture.load(yaml) {
            Ok(_) => failures.push(format!("{name}: loaded, expected: {expected}")),
            Err(error) if error.to_string() != expected => failures.push(format!(
                "{name}:\n  got:      {error}\n  expected: {expected}"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn missing_config_file_is_a_read_error() {
    let fixture = Fixture::new();
    let path = fixture.dir().join("absent.yml");
    let error = WebConfig::load(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read web config file {}: No such file or directory (os error 2)",
            path.display()
        )
    );
}

#[test]
fn decoding_errors_under_secret_keys_do_not_quote_the_value() {
    let fixture = Fixture::new();
    let hash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";
    let cases = [
        (
            format!("basic_auth_users: \"{hash}\"\n"),
            "basic_auth_users: invalid value at line 1 column 19, expected a map of user names to bcrypt hashes",
        ),
        (
            format!("basic_auth_users:\n  alice: [\"{hash}\"]\n"),
            "basic_auth_users.alice: invalid value at line 2 column 10, expected a string",
        ),
        (
            "tls_server_config:\n  key: [\"-----BEGIN PRIVATE KEY-----\"]\n".to_string(),
            "tls_server_config.key: invalid value at line 2 column 8, expected a string",
        ),
        (
            format!("{hash}\n"),
            "the file is not a YAML mapping of tls_server_config, http_server_config, basic_auth_users and rate_limit at line 1 column 1",
        ),
    ];
    for (yaml, expected) in cases {
        let message = fixture.load(&yaml).unwrap_err().to_string();
        assert!(!message.contains("X0h1g"), "{message}");
        assert!(!message.contains("BEGIN"), "{message}");
        assert_eq!(
            message,
            format!(
                "web config file {}: {expected}",
                fixture.config_path().display()
            )
        );
    }
}

#[test]
fn empty_file_means_plain_http_without_auth() {
    let fixture = Fixture::new();
    for yaml in [
        "",
        "# nothing here\n\n",
        "---\n",
        "tls_server_config:\nhttp_server_config:\n",
    ] {
        let config = fixture.load_ok(yaml);
        assert!(config.tls_acceptor().is_none());
        assert!(config.http2());
        assert!(config.response_headers().is_empty());
        assert_eq!(config.authorize(None), AuthDecision::Allowed);
        assert!(config.rate_limit_allows());
    }
}

#[test]
fn tls_settings_without_a_certificate_mean_plain_http_with_a_warning() {
    let fixture = Fixture::new();
    let (config, logs) =
        with_captured_logs(|| fixture.load("tls_server_config:\n  min_version: TLS13\n"));
    assert!(config.unwrap().tls_acceptor().is_none());
    assert!(logs.contains("serving plain HTTP"), "{logs}");
}

#[test]
fn allowed_headers_are_returned_for_every_response() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n    X-XSS-Protection: 1\n    Strict-Transport-Security: max-age=31536000; includeSubDomains\n    Content-Security-Policy: \"default-src 'self'\"\n",
    );
    let headers: Vec<(String, String)> = config
        .response_headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let expected = [
        ("content-security-policy", "default-src 'self'"),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "deny"),
        ("x-xss-protection", "1"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(headers, expected);
}

#[test]
fn yaml_1_1_booleans_are_read_as_the_toolkit_reads_them() {
    let fixture = Fixture::new();
    assert!(!fixture
        .load_ok("http_server_config:\n  http2: no\n")
        .http2());
    assert!(!fixture
        .load_ok("http_server_config:\n  http2: off\n")
        .http2());
    assert!(fixture
        .load_ok("http_server_config:\n  http2: yes\n")
        .http2());
    assert!(!fixture
        .load_ok("http_server_config:\n  http2: false\n")
        .http2());
}

#[test]
fn rate_limit_from_the_file_refuses_requests_past_the_burst() {
    let fixture = Fixture::new();
    let config = fixture.load_ok("rate_limit:\n  interval: 1m\n  burst: 2\n");
    assert!(config.rate_limit_allows());
    assert!(config.rate_limit_allows());
    assert!(!config.rate_limit_allows());
    let off = fixture.load_ok("rate_limit:\n  interval: 0\n  burst: 0\n");
    assert!((0..10).all(|_| off.rate_limit_allows()));
}

#[test]
fn go_durations_parse_like_time_parse_duration() {
    let cases = [
        ("0", Some(0.0)),
        ("1s", Some(1.0)),
        ("1m30s", Some(90.0)),
        ("500ms", Some(0.5)),
        ("1.5h", Some(5400.0)),
        (".5s", Some(0.5)),
        ("", None),
        ("1", None),
        ("1d", None),
        ("s", None),
        ("-1s", None),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_go_duration(text).map(|d| d.as_secs_f64()),
            expected,
            "{text}"
        );
    }
}

#[test]
fn debug_output_never_shows_password_hashes() {
    let fixture = Fixture::new();
    let hash = bcrypt::hash("secret", 4).unwrap();
    let config = fixture.load_ok(&format!("basic_auth_users:\n  alice: \"{hash}\"\n"));
    let debug = format!("{config:?}");
    assert!(debug.contains("alice"), "{debug}");
    assert!(!debug.contains(&hash[7..]), "{debug}");
}

// ---------------------------------------------------------------------------------------
// TLS over real loopback connections.

#[tokio::test]
async fn tls_handshake_over_loopback_succeeds_and_offers_http2() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(SERVER_TLS);
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
    let (alpn, _) = outcome.client.unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn http2_off_negotiates_http_1_1_only() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&format!(
        "{SERVER_TLS}http_server_config:\n  http2: false\n"
    ));
    assert!(!config.http2());
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    let (alpn, _) = outcome.client.unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn inline_certificate_and_key_work_like_files() {
    let fixture = Fixture::new();
    let indent = |text: &str| {
        text.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let cert = std::fs::read_to_string(fixture.dir().join("server.crt")).unwrap();
    let key = std::fs::read_to_string(fixture.dir().join("server.key")).unwrap();
    let config = fixture.load_ok(&format!(
        "tls_server_config:\n  cert: |\n{}  key: |\n{}",
        indent(&cert),
        indent(&key)
    ));
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
    assert!(outcome.client.is_ok(), "{:?}", outcome.client);
}

#[tokio::test]
async fn relative_paths_are_relative_to_the_config_file_not_the_working_directory() {
    let fixture = Fixture::new();
    std::fs::create_dir(fixture.dir().join("conf")).unwrap();
    let path = fixture.dir().join("conf").join("web.yml");
    std::fs::write(
        &path,
        "tls_server_config:\n  cert_file: ../server.crt\n  key_file: ../server.key\n",
    )
    .unwrap();
    assert_ne!(std::env::current_dir().unwrap(), fixture.dir().join("conf"));
    let config = WebConfig::load(&path).unwrap();
    assert!(config.tls_acceptor().is_some());
}

/// A ClientHello that offers TLS 1.1 at most, as an old client would send it.
fn tls11_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02]; // client_version: TLS 1.1
    body.extend([7u8; 32]); // random
    body.push(0); // no session id
    body.extend([0x00, 0x02, 0xc0, 0x09]); // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    body.extend([0x01, 0x00]); // null compression
                               // signature_algorithms: ecdsa_secp256r1_sha256; rustls wants it before it looks at
                               // the version.
    body.extend([0x00, 0x08, 0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03]);
    let mut handshake = vec![0x01, 0x00, 0x00, body.len() as u8];
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake.len() as u8];
    record.extend(handshake);
    record
}

#[tokio::test]
async fn min_version_tls10_is_accepted_with_a_warning_and_tls12_is_enforced() {
    let fixture = Fixture::new();
    let (config, logs) =
        with_captured_logs(|| fixture.load(&format!("{SERVER_TLS}  min_version: TLS10\n")));
    let config = config.unwrap();
    assert!(
        logs.contains("WARN")
            && logs.contains("min_version TLS10")
            && logs.contains("TLS 1.2 is the minimum"),
        "{logs}"
    );

    let outcome = handshake(&config, fixture.client(None, TLS12_ONLY)).await;
    assert_eq!(outcome.server, Ok(()));
    assert!(outcome.client.is_ok(), "{:?}", outcome.client);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let acceptor = config.tls_acceptor().unwrap();
    let server = async {
        let (tcp, _) = listener.accept().await.unwrap();
        accept_tls(&acceptor, tcp, &config).await.map(|_| ())
    };
    let old_client = async {
        let mut tcp = TcpStream::connect(address).await.unwrap();
        tcp.write_all(&tls11_client_hello()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        answer
    };
    let (server, answer) = tokio::join!(server, old_client);
    assert_eq!(
        server,
        Err("tls handshake failed: peer is incompatible: Tls12NotOffered".to_string())
    );
    // A fatal alert record: protocol_version (70).
    assert_eq!(answer.first(), Some(&0x15), "{answer:?}");
    assert_eq!(answer.last(), Some(&70), "{answer:?}");
}

#[tokio::test]
async fn max_version_tls12_refuses_a_tls13_only_client() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&format!("{SERVER_TLS}  max_version: TLS12\n"));
    let outcome = handshake(&config, fixture.client(None, TLS13_ONLY)).await;
    assert!(outcome.server.is_err());
    assert!(outcome.client.is_err());
    let outcome = handshake(&config, fixture.client(None, TLS12_ONLY)).await;
    assert_eq!(outcome.server, Ok(()));
}

#[tokio::test]
async fn cipher_suites_pick_the_tls12_suite_and_skip_cbc_with_a_warning() {
    let fixture = Fixture::new();
    let yaml = format!(
        "{SERVER_TLS}  max_version: TLS12\n  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n    - TLS_AES_128_GCM_SHA256\n"
    );
    let (config, logs) = with_captured_logs(|| fixture.load(&yaml));
    let config = config.unwrap();
    assert!(
        logs.contains("ignoring TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
        "{logs}"
    );
    let outcome = handshake(&config, fixture.client(None, TLS12_ONLY)).await;
    let (_, suite) = outcome.client.unwrap();
    assert_eq!(
        suite,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
}

#[tokio::test]
async fn curve_p521_is_skipped_with_a_warning_when_other_curves_remain() {
    let fixture = Fixture::new();
    let yaml = format!("{SERVER_TLS}  curve_preferences: [CurveP521, CurveP384]\n");
    let (config, logs) = with_captured_logs(|| fixture.load(&yaml));
    let config = config.unwrap();
    assert!(logs.contains("ignoring CurveP521"), "{logs}");
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
}

fn mtls_yaml(client_auth_type: &str, extra: &str) -> String {
    format!("{SERVER_TLS}  client_auth_type: {client_auth_type}\n  client_ca_file: ca.crt\n{extra}")
}

#[test]
fn verifying_without_a_client_ca_uses_the_system_trust_store_as_go_does() {
    let fixture = Fixture::new();
    let yaml = format!("{SERVER_TLS}  client_auth_type: RequireAndVerifyClientCert\n");
    let (config, logs) = with_captured_logs(|| fixture.load(&yaml));
    // Which branch runs depends on whether this machine has CA certificates installed.
    match config {
        Ok(_) => assert!(logs.contains("system trust store"), "{logs}"),
        Err(error) => assert_eq!(
            error.to_string(),
            format!(
                "web config file {}: tls_server_config.client_auth_type: RequireAndVerifyClientCert needs \
                 client_ca_file or client_ca (there is none, and the system trust store is empty)",
                fixture.config_path().display()
            )
        ),
    }
}

#[tokio::test]
async fn require_and_verify_rejects_a_client_without_a_certificate() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml("RequireAndVerifyClientCert", ""));
    for versions in [TLS12_ONLY, TLS13_ONLY] {
        let outcome = handshake(&config, fixture.client(None, versions)).await;
        let error = outcome.server.unwrap_err();
        assert!(error.contains("certificate"), "{error}");
        assert!(outcome.client.is_err());
    }
}

#[tokio::test]
async fn require_and_verify_accepts_a_certificate_signed_by_the_client_ca() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml("RequireAndVerifyClientCert", ""));
    let client = client_leaf(&fixture.ca, vec![dns("scraper.example")]);
    let outcome = handshake(&config, fixture.client(Some(&client), TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
    assert!(outcome.client.is_ok(), "{:?}", outcome.client);
}

#[tokio::test]
async fn require_and_verify_rejects_a_certificate_from_another_ca() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml("RequireAndVerifyClientCert", ""));
    let stranger = client_leaf(&new_ca("other ca"), vec![dns("scraper.example")]);
    let outcome = handshake(&config, fixture.client(Some(&stranger), TLS_BOTH)).await;
    let error = outcome.server.unwrap_err();
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn client_allowed_sans_rejects_a_certificate_without_a_listed_san() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml(
        "RequireAndVerifyClientCert",
        "  client_allowed_sans: [prometheus.example, 10.0.0.1]\n",
    ));
    let client = client_leaf(&fixture.ca, vec![dns("intruder.example")]);
    let outcome = handshake(&config, fixture.client(Some(&client), TLS_BOTH)).await;
    assert_eq!(
        outcome.server,
        Err(
            "client certificate has no SAN listed in client_allowed_sans (its SANs: intruder.example)"
                .to_string()
        )
    );
    assert!(outcome.client.is_err());
}

#[tokio::test]
async fn client_allowed_sans_matches_dns_email_uri_and_ip_names_exactly() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml(
        "RequireAndVerifyClientCert",
        "  client_allowed_sans:\n    - prometheus.example\n    - ops@example.org\n    - spiffe://example.org/prometheus\n    - 10.0.0.1\n    - 2001:db8::1\n",
    ));
    let sans = [
        dns("prometheus.example"),
        SanType::Rfc822Name("ops@example.org".try_into().unwrap()),
        SanType::URI("spiffe://example.org/prometheus".try_into().unwrap()),
        SanType::IpAddress("10.0.0.1".parse().unwrap()),
        SanType::IpAddress("2001:db8::1".parse().unwrap()),
    ];
    for san in sans {
        let client = client_leaf(&fixture.ca, vec![dns("other.example"), san.clone()]);
        let outcome = handshake(&config, fixture.client(Some(&client), TLS_BOTH)).await;
        assert_eq!(outcome.server, Ok(()), "{san:?}");
    }
    // Exact match only: a wildcard certificate does not stand for a listed name.
    let wildcard = client_leaf(&fixture.ca, vec![dns("*.example")]);
    let outcome = handshake(&config, fixture.client(Some(&wildcard), TLS_BOTH)).await;
    assert!(outcome.server.is_err());
}

#[tokio::test]
async fn require_any_client_cert_accepts_an_unverified_certificate_but_not_none() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&format!(
        "{SERVER_TLS}  client_auth_type: RequireAnyClientCert\n"
    ));
    let stranger = client_leaf(&new_ca("other ca"), vec![dns("scraper.example")]);
    let outcome = handshake(&config, fixture.client(Some(&stranger), TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    assert!(outcome.server.is_err());
}

#[tokio::test]
async fn verify_client_cert_if_given_lets_a_client_without_a_certificate_in() {
    let fixture = Fixture::new();
    let config = fixture.load_ok(&mtls_yaml("VerifyClientCertIfGiven", ""));
    let outcome = handshake(&config, fixture.client(None, TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
    let stranger = client_leaf(&new_ca("other ca"), vec![dns("scraper.example")]);
    let outcome = handshake(&config, fixture.client(Some(&stranger), TLS_BOTH)).await;
    assert!(outcome.server.is_err());
}

#[tokio::test]
async fn a_silent_client_does_not_hold_the_handshake_forever() {
    tokio::time::pause();
    let fixture = Fixture::new();
    let config = fixture.load_ok(SERVER_TLS);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let _silent = TcpStream::connect(address).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let error = accept_tls(&config.tls_acceptor().unwrap(), tcp, &config)
        .await
        .unwrap_err();
    assert_eq!(error, "tls handshake timed out after 10s");
}

// ---------------------------------------------------------------------------------------
// Basic auth.

fn basic(user: &str, password: &str) -> HeaderValue {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
}

fn users_config(fixture: &Fixture) -> WebConfig {
    // Cost 4 keeps the tests fast; the code path is the same at any cost.
    let alice = bcrypt::hash("alice's password", 4).unwrap();
    let bob = bcrypt::hash("bob's password", 4).unwrap();
    fixture.load_ok(&format!(
        "basic_auth_users:\n  alice: \"{alice}\"\n  bob: '{bob}'\n"
    ))
}

fn n_cached(config: &WebConfig) -> usize {
    config.basic_auth.as_ref().map_or(0, |b| b.n_cached())
}

#[test]
fn basic_auth_allows_the_right_password_and_remembers_it() {
    let fixture = Fixture::new();
    let config = users_config(&fixture);
    let header = basic("alice", "alice's password");
    assert_eq!(config.authorize(Some(&header)), AuthDecision::Allowed);
    assert_eq!(n_cached(&config), 1);
    assert_eq!(config.authorize(Some(&header)), AuthDecision::Allowed);
    assert_eq!(n_cached(&config), 1);
    assert_eq!(
        config.authorize(Some(&basic("bob", "bob's password"))),
        AuthDecision::Allowed
    );
    assert_eq!(n_cached(&config), 2);
}

#[test]
fn basic_auth_denies_a_wrong_password_and_does_not_remember_it() {
    let fixture = Fixture::new();
    let config = users_config(&fixture);
    let header = basic("alice", "bob's password");
    assert_eq!(config.authorize(Some(&header)), AuthDecision::Denied);
    assert_eq!(config.authorize(Some(&header)), AuthDecision::Denied);
    assert_eq!(n_cached(&config), 0);
}

#[test]
fn basic_auth_denies_an_unknown_user_even_with_a_known_password() {
    let fixture = Fixture::new();
    let config = users_config(&fixture);
    // The unknown user is checked against a real user's hash to spend the same time;
    // a password matching that hash must still not let the stranger in.
    for password in ["alice's password", "bob's password", "guess"] {
        assert_eq!(
            config.authorize(Some(&basic("mallory", password))),
            AuthDecision::Denied
        );
    }
    assert_eq!(n_cached(&config), 0);
}

#[test]
fn basic_auth_denies_requests_without_usable_credentials() {
    let fixture = Fixture::new();
    let config = users_config(&fixture);
    let encoded = base64::engine::general_purpose::STANDARD.encode("alice:alice's password");
    let headers = [
        None,
        Some(HeaderValue::from_static("")),
        Some(HeaderValue::from_static("Basic")),
        Some(HeaderValue::from_static("Basic !!!not-base64")),
        Some(HeaderValue::from_str(&format!("Bearer {encoded}")).unwrap()),
        Some(
            HeaderValue::from_str(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("no colon")
            ))
            .unwrap(),
        ),
    ];
    for header in headers {
        assert_eq!(
            config.authorize(header.as_ref()),
            AuthDecision::Denied,
            "{header:?}"
        );
    }
    // The scheme is case-insensitive, as in Go.
    let lower = HeaderValue::from_str(&format!("basic {encoded}")).unwrap();
    assert_eq!(config.authorize(Some(&lower)), AuthDecision::Allowed);
}

#[test]
fn without_users_every_request_is_allowed() {
    let fixture = Fixture::new();
    let config = fixture.load_ok("basic_auth_users: {}\n");
    assert_eq!(config.authorize(None), AuthDecision::Allowed);
    assert_eq!(WebConfig::plain().authorize(None), AuthDecision::Allowed);
}

#[tokio::test]
async fn authorize_async_gives_the_same_answers() {
    let fixture = Fixture::new();
    let config = Arc::new(users_config(&fixture));
    let right = basic("bob", "bob's password");
    let wrong = basic("bob", "alice's password");
    assert_eq!(
        config.clone().authorize_async(Some(right.clone())).await,
        AuthDecision::Allowed
    );
    assert_eq!(
        config.clone().authorize_async(Some(right)).await,
        AuthDecision::Allowed
    );
    assert_eq!(
        config.clone().authorize_async(Some(wrong)).await,
        AuthDecision::Denied
    );
    assert_eq!(
        config.clone().authorize_async(None).await,
        AuthDecision::Denied
    );
    assert_eq!(
        Arc::new(WebConfig::plain()).authorize_async(None).await,
        AuthDecision::Allowed
    );
}

#[test]
fn the_example_in_the_docs_loads_and_its_password_works() {
    let docs = include_str!("../../docs/web-config.md");
    let example = docs
        .split("## Example: TLS and basic auth")
        .nth(1)
        .and_then(|rest| rest.split("```yaml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("the example block");
    let fixture = Fixture::new();
    let config = fixture.load_ok(example);
    assert!(config.tls_acceptor().is_some());
    assert_eq!(
        config.authorize(Some(&basic("prometheus", "change me"))),
        AuthDecision::Allowed
    );
}

#[test]
fn www_authenticate_names_the_realm() {
    assert_eq!(WWW_AUTHENTICATE, "Basic realm=\"jamf_exporter\"");
}

// ---------------------------------------------------------------------------------------
// Reloading.

fn header_value(config: &WebConfig) -> Option<String> {
    config
        .response_headers()
        .first()
        .map(|(_, v)| v.to_str().unwrap().to_string())
}

const CONFIG_A: &str = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n";
const CONFIG_B: &str = "http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n";

#[tokio::test]
async fn hot_reload_swaps_in_a_new_file_and_keeps_the_last_good_one_on_error() {
    let fixture = Fixture::new();
    fixture.write("web.yml", CONFIG_A);
    let watcher = WebConfigWatcher::start(fixture.config_path(), Duration::ZERO).unwrap();
    assert_eq!(header_value(&watcher.current()).as_deref(), Some("deny"));
    assert!(!watcher.reload_now().unwrap());

    fixture.write("web.yml", CONFIG_B);
    assert!(watcher.reload_now().unwrap());
    assert_eq!(
        header_value(&watcher.current()).as_deref(),
        Some("sameorigin")
    );

    fixture.write("web.yml", "http_server_config: [garbage\n");
    let error = watcher.reload_now().unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "web config file {}:",
            fixture.config_path().display()
        )),
        "{error}"
    );
    assert_eq!(
        header_value(&watcher.current()).as_deref(),
        Some("sameorigin")
    );
    // Still bad: still an error, still the last good config.
    assert!(watcher.reload_now().is_err());
    assert_eq!(
        header_value(&watcher.current()).as_deref(),
        Some("sameorigin")
    );

    fixture.write("web.yml", CONFIG_A);
    assert!(watcher.reload_now().unwrap());
    assert_eq!(header_value(&watcher.current()).as_deref(), Some("deny"));
}

#[tokio::test]
async fn a_renewed_certificate_file_is_picked_up_without_touching_the_config() {
    let fixture = Fixture::new();
    fixture.write("web.yml", SERVER_TLS);
    let watcher = WebConfigWatcher::start(fixture.config_path(), Duration::ZERO).unwrap();
    let before = watcher.current();
    assert!(!watcher.reload_now().unwrap());
    fixture.write_server_pair();
    assert!(watcher.reload_now().unwrap());
    assert!(!Arc::ptr_eq(&before, &watcher.current()));
    let outcome = handshake(&watcher.current(), fixture.client(None, TLS_BOTH)).await;
    assert_eq!(outcome.server, Ok(()));
}

#[tokio::test]
async fn the_poll_task_reloads_on_its_own() {
    let fixture = Fixture::new();
    fixture.write("web.yml", CONFIG_A);
    let watcher =
        WebConfigWatcher::start(fixture.config_path(), Duration::from_millis(20)).unwrap();
    fixture.write("web.yml", CONFIG_B);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while header_value(&watcher.current()).as_deref() != Some("sameorigin") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reload within 10s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_bad_file_is_reported_once_and_retried_when_a_file_it_needs_appears() {
    let fixture = Fixture::new();
    fixture.write("web.yml", SERVER_TLS);
    let watcher = WebConfigWatcher::start(fixture.config_path(), Duration::ZERO).unwrap();
    let before = watcher.current();
    fixture.write(
        "web.yml",
        "tls_server_config:\n  cert_file: new.crt\n  key_file: new.key\n",
    );
    let ((), logs) = with_captured_logs(|| {
        for _ in 0..3 {
            watcher.inner.poll_once();
        }
    });
    assert_eq!(
        logs.matches("keeping the previous web config").count(),
        1,
        "{logs}"
    );
    assert!(logs.contains("new.crt"), "{logs}");
    assert!(Arc::ptr_eq(&before, &watcher.current()));

    let server = new_leaf(
        &fixture.ca,
        vec![dns("localhost")],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    fixture.write("new.crt", &server.cert_pem);
    fixture.write("new.key", &server.key_pem);
    let ((), logs) = with_captured_logs(|| watcher.inner.poll_once());
    assert!(logs.contains("web config reloaded"), "{logs}");
    assert!(!Arc::ptr_eq(&before, &watcher.current()));
}

#[tokio::test]
async fn the_watcher_will_not_start_on_a_bad_file() {
    let fixture = Fixture::new();
    fixture.write("web.yml", "basic_auth_users:\n  john: doe\n");
    let error = WebConfigWatcher::start(fixture.config_path(), Duration::ZERO)
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        format!(
            "web config file {}: basic_auth_users: john: the password is not a valid bcrypt hash",
            fixture.config_path().display()
        )
    );
}

#[test]
fn the_watcher_needs_a_tokio_runtime() {
    let fixture = Fixture::new();
    fixture.write("web.yml", CONFIG_A);
    let error = WebConfigWatcher::start(fixture.config_path(), Duration::ZERO)
        .err()
        .unwrap();
    assert!(matches!(error, WebConfigError::NoRuntime));
}
