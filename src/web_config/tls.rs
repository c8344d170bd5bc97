//! `tls_server_config` → a rustls `ServerConfig`, and the post-handshake SAN check.
//!
//! rustls implements TLS 1.2 and 1.3 only, and no CBC suites. Where a config asks for
//! what rustls lacks, we keep the file valid (the same file must work for node_exporter)
//! and log a warning, except when nothing usable would be left.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, SupportedKxGroup, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, ProtocolVersion, RootCertStore, ServerConfig,
    SignatureScheme, SupportedCipherSuite, SupportedProtocolVersion,
};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{RawTls, WebConfig};

/// How long a client gets to finish the TLS handshake, so a silent peer cannot hold a
/// connection slot forever.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct TlsSettings {
    pub(super) acceptor: TlsAcceptor,
    allowed_sans: Option<Vec<String>>,
}

/// TLS handshake with a time limit, then `client_allowed_sans`. The server calls this
/// for each accepted TCP connection, with the `WebConfig` the acceptor came from.
pub async fn accept_tls(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    config: &WebConfig,
) -> Result<TlsStream<TcpStream>, String> {
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| {
            format!(
                "tls handshake timed out after {}s",
                HANDSHAKE_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| format!("tls handshake failed: {e}"))?;
    config.check_peer(stream.get_ref().1)?;
    Ok(stream)
}

impl TlsSettings {
    pub(super) fn check_peer(
        &self,
        certificates: Option<&[CertificateDer<'_>]>,
    ) -> Result<(), String> {
        let Some(allowed) = &self.allowed_sans else {
            return Ok(());
        };
        // Fail closed: with client_allowed_sans set, a client without a certificate
        // cannot match.
        let Some(leaf) = certificates.and_then(|c| c.first()) else {
            return Err("client sent no certificate, but client_allowed_sans is set".to_string());
        };
        let names = super::san::subject_alt_names(leaf).map_err(|e| {
            format!("cannot read the client certificate's subject alternative names: {e}")
        })?;
        if names.iter().any(|name| allowed.contains(name)) {
            return Ok(());
        }
        Err(format!(
            "client certificate has no SAN listed in client_allowed_sans (its SANs: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ClientAuth {
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

const CLIENT_AUTH_TYPES: &str = "NoClientCert, RequestClientCert, RequireAnyClientCert, \
                                 VerifyClientCertIfGiven, RequireAndVerifyClientCert";

fn parse_client_auth(text: &str) -> Option<ClientAuth> {
    Some(match text {
        "" | "NoClientCert" => ClientAuth::NoClientCert,
        "RequestClientCert" => ClientAuth::RequestClientCert,
        // The toolkit keeps the old spelling RequireClientCert working.
        "RequireAnyClientCert" | "RequireClientCert" => ClientAuth::RequireAnyClientCert,
        "VerifyClientCertIfGiven" => ClientAuth::VerifyClientCertIfGiven,
        "RequireAndVerifyClientCert" => ClientAuth::RequireAndVerifyClientCert,
        _ => return None,
    })
}

/// Go's `tls.CipherSuites()` names (what the toolkit accepts) with their IANA ids.
/// Anything else is an unknown suite, as in the toolkit.
const GO_CIPHER_SUITES: &[(&str, u16)] = &[
    ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("TLS_AES_256_GCM_SHA384", 0x1302),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9),
    // Older Go releases list these too; accepting them keeps older files valid.
    ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f),
    ("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d),
];

const TLS13_SUITE_IDS: &[u16] = &[0x1301, 0x1302, 0x1303];

fn parse_version(key: &str, text: &str) -> Result<u8, String> {
    // The minor number of TLS 1.x.
    match text {
        "TLS10" => Ok(0),
        "TLS11" => Ok(1),
        "TLS12" => Ok(2),
        "TLS13" => Ok(3),
        _ => Err(format!(
            "tls_server_config.{key}: unknown TLS version {text:?} (expected TLS10, TLS11, TLS12 or TLS13)"
        )),
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// Like the toolkit: a relative path is relative to the config file's directory.
fn resolve(base_dir: &Path, file: &str) -> PathBuf {
    let file = Path::new(file);
    if file.is_absolute() {
        file.to_path_buf()
    } else {
        base_dir.join(file)
    }
}

fn read_referenced(
    key: &str,
    file: &str,
    base_dir: &Path,
    referenced_files: &mut Vec<PathBuf>,
) -> Result<(PathBuf, Vec<u8>), String> {
    let path = resolve(base_dir, file);
    referenced_files.push(path.clone());
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "tls_server_config.{key}: cannot read {}: {e}",
            path.display()
        )
    })?;
    Ok((path, bytes))
}

/// The PEM source of one setting: a file (`*_file`) or inline text, file first as in
/// the toolkit. `None` when neither is set.
fn pem_source(
    inline_key: &str,
    inline: &Option<String>,
    file_key: &str,
    file: &Option<String>,
    base_dir: &Path,
    referenced_files: &mut Vec<PathBuf>,
) -> Result<Option<(String, Vec<u8>)>, String> {
    if let Some(file) = non_empty(file) {
        if non_empty(inline).is_some() {
            tracing::warn!(
                "tls_server_config sets both {inline_key} and {file_key}: using {file_key}, as the exporter toolkit does"
            );
        }
        let (path, bytes) = read_referenced(file_key, file, base_dir, referenced_files)?;
        return Ok(Some((format!("{file_key} ({})", path.display()), bytes)));
    }
    Ok(non_empty(inline).map(|text| (inline_key.to_string(), text.as_bytes().to_vec())))
}

fn parse_certificates(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tls_server_config.{what}: not valid PEM: {e}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "tls_server_config.{what}: no PEM certificate found"
        ));
    }
    Ok(certificates)
}

/// `None` when the section configures no TLS at all, which means plain HTTP.
pub(super) fn build(
    raw: &RawTls,
    http2: bool,
    base_dir: &Path,
    referenced_files: &mut Vec<PathBuf>,
) -> Result<Option<TlsSettings>, String> {
    // The toolkit's rule for "TLS is on".
    let enabled = [
        &raw.cert,
        &raw.key,
        &raw.cert_file,
        &raw.key_file,
        &raw.client_ca,
        &raw.client_ca_file,
        &raw.client_auth_type,
    ]
    .into_iter()
    .any(|v| non_empty(v).is_some());
    if !enabled {
        let other_settings = raw.cipher_suites.is_some()
            || raw.curve_preferences.is_some()
            || raw.min_version.is_some()
            || raw.max_version.is_some()
            || raw.client_allowed_sans.is_some();
        if other_settings {
            tracing::warn!("tls_server_config has no certificate or key: serving plain HTTP");
        }
        return Ok(None);
    }

    // Both checked before any file is read, as the toolkit does.
    const MISSING_CERT: &str = "tls_server_config: missing one of cert or cert_file";
    const MISSING_KEY: &str = "tls_server_config: missing one of key or key_file";
    if non_empty(&raw.cert).is_none() && non_empty(&raw.cert_file).is_none() {
        return Err(MISSING_CERT.to_string());
    }
    if non_empty(&raw.key).is_none() && non_empty(&raw.key_file).is_none() {
        return Err(MISSING_KEY.to_string());
    }
    let (cert_what, cert_pem) = pem_source(
        "cert",
        &raw.cert,
        "cert_file",
        &raw.cert_file,
        base_dir,
        referenced_files,
    )?
    .ok_or(MISSING_CERT)?;
    let (key_what, key_pem) = pem_source(
        "key",
        &raw.key,
        "key_file",
        &raw.key_file,
        base_dir,
        referenced_files,
    )?
    .ok_or(MISSING_KEY)?;
    let certificates = parse_certificates(&cert_what, &cert_pem)?;
    // No PEM error detail here: it could quote part of the key.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        format!(
            "tls_server_config.{key_what}: no valid PEM private key found (PKCS#8, PKCS#1 or SEC1)"
        )
    })?;

    let client_auth_text = raw.client_auth_type.as_deref().unwrap_or("");
    let client_auth = parse_client_auth(client_auth_text).ok_or_else(|| {
        format!(
            "tls_server_config.client_auth_type: unknown value {client_auth_text:?} (expected one of {CLIENT_AUTH_TYPES})"
        )
    })?;
    let client_cas = match pem_source(
        "client_ca",
        &raw.client_ca,
        "client_ca_file",
        &raw.client_ca_file,
        base_dir,
        referenced_files,
    )? {
        Some((what, pem)) => Some((what.clone(), parse_certificates(&what, &pem)?)),
        None => None,
    };
    if client_cas.is_some() && client_auth == ClientAuth::NoClientCert {
        return Err(
            "tls_server_config: client_ca_file or client_ca is set but client_auth_type is NoClientCert; \
             set client_auth_type: RequireAndVerifyClientCert"
                .to_string(),
        );
    }

    let allowed_sans = match &raw.client_allowed_sans {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(
                "tls_server_config.client_allowed_sans: the list is empty, so no client could connect; \
                 list at least one SAN or remove the key"
                    .to_string(),
            )
        }
        Some(_) if client_auth == ClientAuth::NoClientCert => {
            return Err(
                "tls_server_config.client_allowed_sans: needs a client_auth_type that asks for a client \
                 certificate, such as RequireAndVerifyClientCert"
                    .to_string(),
            )
        }
        Some(list) => Some(list.clone()),
    };

    let versions = protocol_versions(raw)?;
    let tls12_enabled = versions
        .iter()
        .any(|v| v.version == ProtocolVersion::TLSv1_2);
    let base = rustls::crypto::ring::default_provider();
    let cipher_suites = cipher_suites(raw, &base.cipher_suites, tls12_enabled)?;
    let kx_groups = kx_groups(raw, &base.kx_groups)?;
    let provider = Arc::new(CryptoProvider {
        cipher_suites,
        kx_groups,
        ..base
    });

    let verifier = client_verifier(client_auth, client_cas, &provider)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("tls_server_config: {e}"))?;
    let builder = match verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut server_config = builder
        .with_single_cert(certificates, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                "tls_server_config: the private key does not belong to the certificate".to_string()
            }
            e => format!("tls_server_config: cannot use the certificate and key: {e}"),
        })?;
    server_config.ignore_client_order =
        raw.prefer_server_cipher_suites.as_ref().is_none_or(|b| b.0);
    server_config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };

    Ok(Some(TlsSettings {
        acceptor: TlsAcceptor::from(Arc::new(server_config)),
        allowed_sans,
    }))
}

fn protocol_versions(raw: &RawTls) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let min = match non_empty(&raw.min_version) {
        Some(text) => parse_version("min_version", text)?,
        None => 2,
    };
    let max = match non_empty(&raw.max_version) {
        Some(text) => parse_version("max_version", text)?,
        None => 3,
    };
    if min > max {
        return Err(format!(
            "tls_server_config: min_version TLS1{min} is above max_version TLS1{max}"
        ));
    }
    if max < 2 {
        return Err(format!(
            "tls_server_config.max_version: TLS1{max} is not supported; rustls implements TLS 1.2 and TLS 1.3 only"
        ));
    }
    if min < 2 {
        tracing::warn!(
            "tls_server_config.min_version TLS1{min}: rustls implements TLS 1.2 and TLS 1.3 only, so TLS 1.2 is the minimum"
        );
    }
    let mut versions = Vec::new();
    if min <= 2 {
        versions.push(&rustls::version::TLS12);
    }
    if max >= 3 {
        versions.push(&rustls::version::TLS13);
    }
    Ok(versions)
}

fn cipher_suites(
    raw: &RawTls,
    available: &[SupportedCipherSuite],
    tls12_enabled: bool,
) -> Result<Vec<SupportedCipherSuite>, String> {
    let listed = match &raw.cipher_suites {
        Some(list) if !list.is_empty() => list,
        // An empty or missing list means the defaults, as in the toolkit.
        _ => return Ok(available.to_vec()),
    };
    // As in Go, the list governs TLS 1.2 only; TLS 1.3 suites are always on.
    let mut chosen: Vec<SupportedCipherSuite> = available
        .iter()
        .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)))
        .copied()
        .collect();
    let mut n_tls12 = 0;
    for name in listed {
        let Some((_, id)) = GO_CIPHER_SUITES.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "tls_server_config.cipher_suites: unknown cipher suite {name:?}"
            ));
        };
        if TLS13_SUITE_IDS.contains(id) {
            continue;
        }
        match available.iter().find(|s| u16::from(s.suite()) == *id) {
            Some(suite) => {
                if !chosen.contains(suite) {
                    chosen.push(*suite);
                    n_tls12 += 1;
                }
            }
            None => tracing::warn!(
                "tls_server_config.cipher_suites: ignoring {name}: rustls does not implement it (it has no CBC or RSA key exchange suites)"
            ),
        }
    }
    if tls12_enabled && n_tls12 == 0 {
        let usable: Vec<&str> = GO_CIPHER_SUITES
            .iter()
            .filter(|(_, id)| {
                !TLS13_SUITE_IDS.contains(id)
                    && available.iter().any(|s| u16::from(s.suite()) == *id)
            })
            .map(|(name, _)| *name)
            .collect();
        return Err(format!(
            "tls_server_config.cipher_suites: none of the listed TLS 1.2 suites is available in rustls; use some of {}",
            usable.join(", ")
        ));
    }
    Ok(chosen)
}

fn kx_groups(
    raw: &RawTls,
    available: &[&'static dyn SupportedKxGroup],
) -> Result<Vec<&'static dyn SupportedKxGroup>, String> {
    use rustls::crypto::ring::kx_group;
    let listed = match &raw.curve_preferences {
        Some(list) if !list.is_empty() => list,
        _ => return Ok(available.to_vec()),
    };
    let mut chosen: Vec<&'static dyn SupportedKxGroup> = Vec::new();
    for name in listed {
        let group = match name.as_str() {
            "X25519" => Some(kx_group::X25519),
            "CurveP256" => Some(kx_group::SECP256R1),
            "CurveP384" => Some(kx_group::SECP384R1),
            // Valid for the toolkit, but ring has no P-521.
            "CurveP521" => None,
            _ => {
                return Err(format!(
                    "tls_server_config.curve_preferences: unknown curve {name:?} (expected CurveP256, CurveP384, CurveP521 or X25519)"
                ))
            }
        };
        match group {
            Some(group) if !chosen.iter().any(|g| g.name() == group.name()) => chosen.push(group),
            Some(_) => {}
            None => tracing::warn!(
                "tls_server_config.curve_preferences: ignoring {name}: rustls with ring does not implement it"
            ),
        }
    }
    if chosen.is_empty() {
        return Err(
            "tls_server_config.curve_preferences: none of the listed curves is available in rustls; use some of X25519, CurveP256, CurveP384"
                .to_string(),
        );
    }
    Ok(chosen)
}

fn client_verifier(
    client_auth: ClientAuth,
    client_cas: Option<(String, Vec<CertificateDer<'static>>)>,
    provider: &Arc<CryptoProvider>,
) -> Result<Option<Arc<dyn ClientCertVerifier>>, String> {
    let verify = match client_auth {
        ClientAuth::NoClientCert => return Ok(None),
        // Go neither verifies these nor uses the CA for them.
        ClientAuth::RequestClientCert | ClientAuth::RequireAnyClientCert => {
            return Ok(Some(Arc::new(AnyClientCert {
                mandatory: client_auth == ClientAuth::RequireAnyClientCert,
                algorithms: provider.signature_verification_algorithms,
            })))
        }
        ClientAuth::VerifyClientCertIfGiven | ClientAuth::RequireAndVerifyClientCert => client_auth,
    };
    let mut roots = RootCertStore::empty();
    match client_cas {
        Some((what, certificates)) => {
            for (index, certificate) in certificates.into_iter().enumerate() {
                roots.add(certificate).map_err(|e| {
                    format!(
                        "tls_server_config.{what}: certificate {} cannot be a trust anchor: {e}",
                        index + 1
                    )
                })?;
            }
        }
        None => {
            // Go verifies against the system's roots when no client CA is given.
            let native = rustls_native_certs::load_native_certs();
            let (n_added, _) = roots.add_parsable_certificates(native.certs);
            if n_added == 0 {
                return Err(format!(
                    "tls_server_config.client_auth_type: {verify:?} needs client_ca_file or client_ca \
                     (there is none, and the system trust store is empty)"
                ));
            }
            tracing::warn!(
                "tls_server_config.client_auth_type {verify:?} without client_ca_file: client certificates are checked \
                 against the system trust store, as Go does; set client_ca_file to trust only your own CA"
            );
        }
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let builder = if verify == ClientAuth::VerifyClientCertIfGiven {
        builder.allow_unauthenticated()
    } else {
        builder
    };
    builder.build().map(Some).map_err(|e| {
        format!("tls_server_config: cannot build the client certificate verifier: {e}")
    })
}

/// Go's RequestClientCert and RequireAnyClientCert: the client proves it holds the key
/// of whatever certificate it sends, and the certificate itself is not checked.
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
