//! Subject alternative names of a client certificate, for `client_allowed_sans`.
//!
//! The toolkit matches exact strings over the DNS, e-mail, IP and URI SANs. rustls-webpki
//! can only test a DNS name or IP against a certificate (with wildcard rules, so not an
//! exact match) and has no e-mail or URI names; x509-parser would bring about ten crates
//! for one extension. So this walks the DER itself: only the path down to the SAN
//! extension, bounds-checked, and any malformed input is an error, which rejects the
//! client.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const TAG_SEQUENCE: u8 = 0x30;
const TAG_OID: u8 = 0x06;
const TAG_OCTET_STRING: u8 = 0x04;
/// `[3] EXPLICIT Extensions` inside TBSCertificate.
const TAG_EXTENSIONS: u8 = 0xa3;
/// id-ce-subjectAltName, 2.5.29.17.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
// GeneralName choices, context-specific and primitive.
const TAG_RFC822_NAME: u8 = 0x81;
const TAG_DNS_NAME: u8 = 0x82;
const TAG_URI: u8 = 0x86;
const TAG_IP_ADDRESS: u8 = 0x87;

/// One DER element: its tag, its contents and what follows it.
fn read_element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let (&tag, rest) = input.split_first().ok_or("truncated element")?;
    if tag & 0x1f == 0x1f {
        return Err("unsupported high tag number");
    }
    let (&first_length_byte, rest) = rest.split_first().ok_or("truncated length")?;
    let (length, rest) = if first_length_byte < 0x80 {
        (usize::from(first_length_byte), rest)
    } else {
        let n_bytes = usize::from(first_length_byte & 0x7f);
        if n_bytes == 0 || n_bytes > 4 {
            return Err("unsupported length encoding");
        }
        let length_bytes = rest.get(..n_bytes).ok_or("truncated length")?;
        let length = length_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (length, &rest[n_bytes..])
    };
    let contents = rest.get(..length).ok_or("element longer than its input")?;
    Ok((tag, contents, &rest[length..]))
}

fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), &'static str> {
    let (found, contents, rest) = read_element(input)?;
    if found != tag {
        return Err(what);
    }
    Ok((contents, rest))
}

/// The DNS, e-mail, IP and URI SANs as strings, formatted as Go formats them.
pub(super) fn subject_alt_names(der: &[u8]) -> Result<Vec<String>, &'static str> {
    let (certificate, _) = expect(der, TAG_SEQUENCE, "certificate is not a sequence")?;
    let (mut tbs, _) = expect(
        certificate,
        TAG_SEQUENCE,
        "tbsCertificate is not a sequence",
    )?;
    while !tbs.is_empty() {
        let (tag, contents, rest) = read_element(tbs)?;
        tbs = rest;
        if tag != TAG_EXTENSIONS {
            continue;
        }
        let (mut extensions, _) = expect(contents, TAG_SEQUENCE, "extensions are not a sequence")?;
        while !extensions.is_empty() {
            let (extension, rest) =
                expect(extensions, TAG_SEQUENCE, "extension is not a sequence")?;
            extensions = rest;
            let (oid, mut fields) = expect(extension, TAG_OID, "extension has no identifier")?;
            if oid != OID_SUBJECT_ALT_NAME {
                continue;
            }
            // Skip the optional `critical` BOOLEAN to reach the OCTET STRING.
            loop {
                let (tag, value, rest) = read_element(fields)?;
                fields = rest;
                if tag == TAG_OCTET_STRING {
                    return general_names(value);
                }
            }
        }
    }
    Ok(Vec::new())
}

fn general_names(value: &[u8]) -> Result<Vec<String>, &'static str> {
    let (mut names, _) = expect(value, TAG_SEQUENCE, "subjectAltName is not a sequence")?;
    let mut out = Vec::new();
    while !names.is_empty() {
        let (tag, contents, rest) = read_element(names)?;
        names = rest;
        match tag {
            TAG_RFC822_NAME | TAG_DNS_NAME | TAG_URI => {
                if !contents.is_ascii() {
                    return Err("SAN is not ASCII");
                }
                out.push(String::from_utf8_lossy(contents).into_owned());
            }
            TAG_IP_ADDRESS => out.push(format_ip(contents)?),
            // Other names, directory names and the like play no part in the match.
            _ => {}
        }
    }
    Ok(out)
}

fn format_ip(bytes: &[u8]) -> Result<String, &'static str> {
    let ip = match bytes.len() {
        4 => {
            let mut octets = [0u8; 4];
            octets.copy_from_slice(bytes);
            IpAddr::V4(Ipv4Addr::from(octets))
        }
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            let v6 = Ipv6Addr::from(octets);
            // Go prints an IPv4-mapped address in dotted form.
            match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            }
        }
        _ => return Err("IP address SAN of the wrong length"),
    };
    Ok(ip.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_overlong_input_is_an_error_not_a_panic() {
        let certificate = {
            let mut params = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
            params.subject_alt_names.push(rcgen::SanType::IpAddress(
                "::ffff:10.1.2.3".parse().unwrap(),
            ));
            let key = rcgen::KeyPair::generate().unwrap();
            params.self_signed(&key).unwrap()
        };
        let der = certificate.der().to_vec();
        assert_eq!(
            subject_alt_names(&der),
            Ok(vec!["a.example".to_string(), "10.1.2.3".to_string()])
        );
        for cut in 0..der.len() {
            assert!(subject_alt_names(&der[..cut]).is_err(), "cut at {cut}");
        }
        assert!(subject_alt_names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(subject_alt_names(&[0x1f, 0x00]).is_err());
    }
}
