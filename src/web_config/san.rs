//! Subject alternative names of a client certificate, for `client_allowed_sans`.
//!
//! The toolkit matches exact strings over the DNS, e-mail, IP and URI SANs. rustls-webpki
//! can only test a DNS name or IP against a certificate (with wildcard rules, so not an
//! exact match) and has no e-mail or URI names, so the certificate is read with
//! x509-parser. Any malformed input is an error, which rejects the client.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use x509_parser::extensions::GeneralName;

/// The DNS, e-mail, IP and URI SANs as strings, formatted as Go formats them.
pub(super) fn subject_alt_names(der: &[u8]) -> Result<Vec<String>, &'static str> {
    let (_, certificate) =
        x509_parser::parse_x509_certificate(der).map_err(|_| "not a DER certificate")?;
    // Two SAN extensions, or one that does not decode, are errors here as in Go.
    let Some(extension) = certificate
        .subject_alternative_name()
        .map_err(|_| "malformed or repeated subjectAltName extension")?
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in &extension.value.general_names {
        match name {
            GeneralName::RFC822Name(text) | GeneralName::DNSName(text) | GeneralName::URI(text) => {
                // x509-parser accepts UTF-8 where the RFC says IA5String; Go refuses it.
                if !text.is_ascii() {
                    return Err("SAN is not ASCII");
                }
                out.push((*text).to_owned());
            }
            GeneralName::IPAddress(bytes) => out.push(format_ip(bytes)?),
            // A DNS, e-mail or URI name that is not even UTF-8.
            GeneralName::Invalid(tag, _) if matches!(tag.0, 1 | 2 | 6) => {
                return Err("SAN is not ASCII");
            }
            // Other names, directory names and the like play no part in the match.
            _ => {}
        }
    }
    Ok(out)
}

fn format_ip(bytes: &[u8]) -> Result<String, &'static str> {
    let ip = if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
        IpAddr::V4(Ipv4Addr::from(octets))
    } else if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
        let v6 = Ipv6Addr::from(octets);
        // Go prints an IPv4-mapped address in dotted form.
        match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }
    } else {
        return Err("IP address SAN of the wrong length");
    };
    Ok(ip.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn certificate(sans: Vec<rcgen::SanType>) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::default();
        params.subject_alt_names = sans;
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn dns_email_ip_and_uri_names_are_read_as_go_prints_them() {
        let der = certificate(vec![
            rcgen::SanType::DnsName("a.example".try_into().unwrap()),
            rcgen::SanType::Rfc822Name("ops@example.org".try_into().unwrap()),
            rcgen::SanType::IpAddress("::ffff:10.1.2.3".parse().unwrap()),
            rcgen::SanType::IpAddress("2001:db8::1".parse().unwrap()),
            rcgen::SanType::URI("spiffe://example.org/prometheus".try_into().unwrap()),
        ]);
        assert_eq!(
            subject_alt_names(&der),
            Ok(vec![
                "a.example".to_string(),
                "ops@example.org".to_string(),
                "10.1.2.3".to_string(),
                "2001:db8::1".to_string(),
                "spiffe://example.org/prometheus".to_string(),
            ])
        );
    }

    #[test]
    fn a_certificate_without_sans_has_none() {
        assert_eq!(subject_alt_names(&certificate(Vec::new())), Ok(Vec::new()));
    }

    #[test]
    fn truncated_and_overlong_input_is_an_error_not_a_panic() {
        let der = certificate(vec![rcgen::SanType::DnsName(
            "a.example".try_into().unwrap(),
        )]);
        for cut in 0..der.len() {
            assert!(subject_alt_names(&der[..cut]).is_err(), "cut at {cut}");
        }
        assert!(subject_alt_names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(subject_alt_names(&[0x1f, 0x00]).is_err());
    }

    /// `name` replaced by `with` (of the same length) in a certificate for `name`; the
    /// signature no longer matches, which plays no part in reading the names.
    fn certificate_with_name_bytes(name: &str, with: &[u8]) -> Vec<u8> {
        let mut der = certificate(vec![rcgen::SanType::DnsName(name.try_into().unwrap())]);
        let at = der
            .windows(name.len())
            .position(|window| window == name.as_bytes())
            .unwrap();
        der[at..at + with.len()].copy_from_slice(with);
        der
    }

    #[test]
    fn a_name_that_is_not_ascii_is_an_error() {
        let utf8 = certificate_with_name_bytes("aa.example", "é.example".as_bytes());
        assert_eq!(subject_alt_names(&utf8), Err("SAN is not ASCII"));
        let not_utf8 = certificate_with_name_bytes("aa.example", b"\xff\xfe.example");
        assert_eq!(subject_alt_names(&not_utf8), Err("SAN is not ASCII"));
    }

    #[test]
    fn ip_addresses_of_the_wrong_length_are_refused() {
        assert_eq!(format_ip(&[10, 0, 0, 1]), Ok("10.0.0.1".to_string()));
        assert!(format_ip(&[10, 0, 0]).is_err());
        assert!(format_ip(&[0; 5]).is_err());
    }
}
