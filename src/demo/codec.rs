//! Tiny decoders for what clients send: URL-encoded forms and queries, and
//! the base64 of HTTP basic auth. Hand-written to avoid two crates for a
//! few lines; invalid input degrades to "no match", never to a panic.

/// Decodes `%XX` escapes and, when `plus_as_space`, `+` (form and query
/// encoding). A malformed escape is kept literally, as lenient servers do.
pub(super) fn percent_decode(input: &str, plus_as_space: bool) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex_value(*b)),
                bytes.get(i + 2).and_then(|b| hex_value(*b)),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Splits `a=1&b=2` (a query string or a form body) into decoded pairs,
/// keeping repeated keys.
pub(super) fn parse_pairs(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

/// Standard base64 (RFC 4648 alphabet), padding optional, whitespace not
/// allowed. `None` for anything else.
pub(super) fn base64_decode(input: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::{DecodePaddingMode, Engine as _};
    const LENIENT_PADDING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT_PADDING.decode(input).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_handles_plus_escapes_and_bad_escapes() {
        assert_eq!(percent_decode("a+b%2Bc%3d%", true), "a b+c=%");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("Pe%C3%B1a", true), "Peña");
    }

    #[test]
    fn parse_pairs_keeps_repeats_and_bare_keys() {
        assert_eq!(
            parse_pairs("sort=id%3Aasc&sort=name:desc&flag&&x="),
            vec![
                ("sort".to_string(), "id:asc".to_string()),
                ("sort".to_string(), "name:desc".to_string()),
                ("flag".to_string(), String::new()),
                ("x".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(
            base64_decode("ZGVtbzpkZW1v").as_deref(),
            Some(&b"demo:demo"[..])
        );
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YWI=").as_deref(), Some(&b"ab"[..]));
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("Y"), None);
        assert_eq!(base64_decode("Y Q=="), None);
        assert_eq!(base64_decode("YQ==="), None);
    }
}
