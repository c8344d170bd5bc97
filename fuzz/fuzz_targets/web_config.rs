//! The `--web.config.file`: strict YAML decoding and validation (`WebConfig::from_yaml`,
//! which `WebConfig::load` calls with the file's text).
//!
//! Checks: no panic, whatever the text; a configuration that loads can be printed and
//! asked for its rate limit.
//!
//! No file I/O: the configuration's own path is in a directory that does not exist, so
//! relative file references fail at once, and an input that names a file of its own
//! (`*_file`) or asks for client certificate checks that may read the system trust store
//! is skipped, since it could read anything on this machine (`/dev/zero`, `/dev/stdin`).

#![no_main]

use std::path::Path;

use jamf_exporter::web_config::WebConfig;
use libfuzzer_sys::fuzz_target;
use serde_yaml_ng::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if may_read_files(text) {
        return;
    }
    let path = Path::new("/nonexistent-jamf-exporter-fuzz/web-config.yml");
    if let Ok(config) = WebConfig::from_yaml(path, text) {
        let _ = format!("{config:?}");
        let _ = config.rate_limit_allows();
    }
});

/// Decided on the YAML as parsed, so that escapes, anchors and tags cannot hide a key;
/// text the YAML parser refuses cannot reach a file either, unless a decoder that is
/// laxer than `Value` (duplicate keys in a map) reads it, so such text is skipped when it
/// could spell a file key.
fn may_read_files(text: &str) -> bool {
    match serde_yaml_ng::from_str::<Value>(text) {
        Ok(value) => {
            let mut keys = Vec::new();
            collect_keys(&value, &mut keys);
            let names_a_file = keys.iter().any(|key| key.contains("file"));
            let checks_clients = keys.iter().any(|key| key.contains("client_auth_type"));
            let has_inline_ca = keys.contains(&"client_ca");
            names_a_file || (checks_clients && !has_inline_ca)
        }
        Err(_) => text.contains('\\') || text.contains("file") || text.contains("auth_type"),
    }
}

fn collect_keys<'a>(value: &'a Value, keys: &mut Vec<&'a str>) {
    match value {
        Value::Mapping(mapping) => {
            for (key, child) in mapping {
                match key {
                    Value::String(name) => keys.push(name),
                    // A tagged key may still be read as the field it spells.
                    Value::Tagged(tagged) => match &tagged.value {
                        Value::String(name) => keys.push(name),
                        other => collect_keys(other, keys),
                    },
                    other => collect_keys(other, keys),
                }
                collect_keys(child, keys);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        Value::Tagged(tagged) => collect_keys(&tagged.value, keys),
        _ => {}
    }
}
