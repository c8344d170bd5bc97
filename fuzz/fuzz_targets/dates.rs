//! The date parser: every form Jamf uses (`jamf::dates::parse`) and epoch numbers
//! (`jamf::dates::from_epoch`).
//!
//! Checks: no panic; every date kept is one a four-digit year spells and round-trips to
//! a finite Unix timestamp; an all-digit string is read exactly as the epoch number it
//! spells; an epoch above 10^11 is milliseconds, otherwise seconds.

#![no_main]

use jamf_exporter::jamf::dates;
use jamf_exporter_fuzz::check_date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        check_epoch(i64::from_le_bytes(bytes));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = dates::parse(text);
        if let Some(date) = parsed {
            check_date("parse", date);
        }
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let epoch = trimmed.parse::<i64>().ok().and_then(dates::from_epoch);
            assert_eq!(parsed, epoch, "{trimmed:?} is not read as its epoch number");
        }
    }
});

fn check_epoch(value: i64) {
    let Some(date) = dates::from_epoch(value) else {
        return;
    };
    check_date("from_epoch", date);
    assert!(value > 0, "epoch {value} gave {date}");
    if value > 100_000_000_000 {
        assert_eq!(
            date.timestamp_millis(),
            value,
            "epoch {value} as milliseconds"
        );
    } else {
        assert_eq!(date.timestamp(), value, "epoch {value} as seconds");
        assert_eq!(date.timestamp_subsec_nanos(), 0);
    }
}
