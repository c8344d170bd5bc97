//! Prometheus durations (`duration::parse` and `duration::format`), as the flags use them.
//!
//! Checks: no panic; whatever `parse` accepts, `format` writes back in a form `parse`
//! reads as the same duration; and any duration of whole milliseconds that fits the
//! parser's range survives `format` then `parse`.

#![no_main]

use std::time::Duration;

use jamf_exporter::duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = duration::parse(text) {
            let written = duration::format(parsed);
            assert_eq!(
                duration::parse(&written),
                Ok(parsed),
                "{text:?} was written back as {written:?}"
            );
        }
    }
    if let Some(bytes) = data.get(..12) {
        let mut seconds = [0u8; 8];
        let mut nanos = [0u8; 4];
        seconds.copy_from_slice(&bytes[..8]);
        nanos.copy_from_slice(&bytes[8..]);
        let any = Duration::new(
            u64::from_le_bytes(seconds),
            u32::from_le_bytes(nanos) % 1_000_000_000,
        );
        let written = duration::format(any);
        // The parser counts milliseconds in a u64; longer durations are out of its range.
        if let Ok(millis) = u64::try_from(any.as_millis()) {
            assert_eq!(
                duration::parse(&written),
                Ok(Duration::from_millis(millis)),
                "{any:?} was written as {written:?}"
            );
        }
    }
});
