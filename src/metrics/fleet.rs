//! The telemetry path with `--config.file`: the process itself and the state of the
//! targets file. Each target's Jamf data is on its own probe, never here.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prometheus::{Gauge, IntGauge, Opts, Registry};

use super::families::{self, Family};
use super::{Exposition, MetricsError, ProcessMetrics, RenderError};

pub struct FleetMetrics {
    process: Arc<ProcessMetrics>,
    registry: Registry,
    targets: IntGauge,
    reload_successful: IntGauge,
    reload_timestamp: Gauge,
}

fn opts(family: &Family<0>) -> Opts {
    Opts::new(family.name, family.help)
}

impl FleetMetrics {
    pub fn new(process: Arc<ProcessMetrics>) -> Result<FleetMetrics, MetricsError> {
        let targets = IntGauge::with_opts(opts(&families::TARGETS))?;
        let reload_successful = IntGauge::with_opts(opts(&families::CONFIG_RELOAD_SUCCESS))?;
        let reload_timestamp = Gauge::with_opts(opts(&families::CONFIG_RELOAD_TIMESTAMP))?;
        let registry = Registry::new();
        registry.register(Box::new(targets.clone()))?;
        registry.register(Box::new(reload_successful.clone()))?;
        registry.register(Box::new(reload_timestamp.clone()))?;
        Ok(FleetMetrics {
            process,
            registry,
            targets,
            reload_successful,
            reload_timestamp,
        })
    }

    pub fn set_targets(&self, count: usize) {
        self.targets.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Records a load of the file: a success also moves the timestamp.
    pub fn reloaded(&self, success: bool) {
        self.reload_successful.set(i64::from(success));
        if success {
            self.reload_timestamp
                .set(Utc::now().timestamp_millis() as f64 / 1000.0);
        }
    }

    /// The exposition: small, so rendered for every scrape.
    pub fn exposition(&self, now: DateTime<Utc>) -> Result<Arc<Exposition>, RenderError> {
        let encoder = prometheus::TextEncoder::new();
        let mut text = encoder.encode_to_string(&self.registry.gather())?;
        text.push_str(&encoder.encode_to_string(&self.process.registry.gather())?);
        Ok(Arc::new(Exposition::uncached(text, now)))
    }
}
