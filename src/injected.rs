//! Panics injected on purpose, to test that a panicking collector is survived and that
//! a dead background task ends the process.
//!
//! Only debug builds (the tests' builds) read `JAMF_EXPORTER_INJECT_PANIC`; a release
//! build ignores it, so no setting of a user's can make the exporter panic.

use crate::snapshot::CollectorName;

/// Where to panic: a comma-separated list of `collector:NAME`, `refresh-loop` (after
/// the first refresh) and `server` (at its first connection).
pub const ENV: &str = "JAMF_EXPORTER_INJECT_PANIC";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InjectedPanics {
    pub collector: Option<CollectorName>,
    pub refresh_loop: bool,
    pub server: bool,
}

impl InjectedPanics {
    /// What the environment asks for, in a debug build; nothing in a release build.
    pub fn from_env() -> InjectedPanics {
        if !cfg!(debug_assertions) {
            return InjectedPanics::default();
        }
        std::env::var(ENV)
            .map(|value| InjectedPanics::parse(&value))
            .unwrap_or_default()
    }

    fn parse(value: &str) -> InjectedPanics {
        let mut injected = InjectedPanics::default();
        for item in value.split(',').map(str::trim) {
            match item {
                "refresh-loop" => injected.refresh_loop = true,
                "server" => injected.server = true,
                _ => {
                    if let Some(name) = item.strip_prefix("collector:") {
                        injected.collector = name.parse().ok();
                    }
                }
            }
        }
        injected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_injection_is_read() {
        assert_eq!(
            InjectedPanics::parse("collector:version, refresh-loop,server"),
            InjectedPanics {
                collector: Some(CollectorName::Version),
                refresh_loop: true,
                server: true
            }
        );
        assert_eq!(InjectedPanics::parse("nonsense"), InjectedPanics::default());
    }
}
