//! What the telemetry path shows: every metric declared once (`families`), the
//! exporter's own counters, and one rendering path from a snapshot to bytes. `fleet` is
//! the telemetry path with `--config.file`, where each target's data is on its probe.
//!
//! Jamf data is never held in labelled gauges that are updated in place: each
//! exposition is written from the one current `Snapshot`, so series of deleted objects
//! vanish with the next successful refresh and days-until-expiry follow the clock.
//!
//! # Rendering and its cache
//! An exposition is the snapshot's families (written by `snapshot::write`), then the
//! counters and, on `/metrics`, the process metrics, both encoded by the prometheus
//! crate. It is rendered at most once per snapshot and wall-clock second, off the async
//! workers (`spawn_blocking`), in pieces of about 64 KiB, and compressed at most once,
//! when a client first asks for gzip. Every scrape in that second shares the same bytes:
//! counters and days until expiry may thus be up to one second old, about 1e-5 days.

pub mod families;
mod fleet;
mod snapshot;
mod text;

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use prometheus::{IntGaugeVec, Opts, Registry};
use tokio::sync::{Mutex, OnceCell};

use crate::bands::TokenBands;
use crate::jamf::{ClientCounters, Reason};
use crate::snapshot::{CollectorName, Snapshot, SnapshotStore};
use crate::tally::Tally;
pub use fleet::FleetMetrics;
pub use text::escape_into;
use text::TextWriter;

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot register metrics: {0}")]
    Register(#[from] prometheus::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot encode metrics: {0}")]
    Encode(#[from] prometheus::Error),
    #[error("cannot compress metrics: {0}")]
    Compress(#[from] std::io::Error),
    #[error("the rendering task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The counters one Jamf server's client and poller update while the exporter runs.
pub struct Counters {
    pub api_requests: Arc<Tally>,
    pub refresh_errors: Tally,
    pub skipped_records: Tally,
    /// `jamf_exporter_deprecated_responses_total{collector}`: one label, so the second
    /// of each series is empty.
    pub deprecated_responses: Arc<Tally>,
}

impl Counters {
    /// The error and skipped-record series of every enabled collector start at 0, so
    /// `rate()` and `increase()` see their first increment.
    pub fn new(enabled: &[CollectorName]) -> Counters {
        let refresh_errors = Tally::new();
        let skipped_records = Tally::new();
        let deprecated_responses = Tally::new();
        for collector in enabled {
            deprecated_responses.touch([collector.as_str(), ""]);
            for reason in Reason::ALL {
                refresh_errors.touch([collector.as_str(), reason.as_str()]);
            }
            if collector.has_record_ids() {
                for reason in SkipReason::ALL {
                    skipped_records.touch([collector.as_str(), reason.as_str()]);
                }
            }
        }
        Counters {
            api_requests: Arc::new(Tally::new()),
            refresh_errors,
            skipped_records,
            deprecated_responses: Arc::new(deprecated_responses),
        }
    }

    pub fn count_error(&self, collector: CollectorName, reason: Reason) {
        self.refresh_errors
            .inc([collector.as_str(), reason.as_str()]);
    }

    /// What the Jamf client updates itself.
    pub fn client_counters(&self) -> ClientCounters {
        ClientCounters {
            requests: self.api_requests.clone(),
            deprecated_responses: self.deprecated_responses.clone(),
        }
    }

    pub fn count_skipped(&self, collector: CollectorName, reason: SkipReason, n: u64) {
        if n > 0 {
            self.skipped_records
                .add([collector.as_str(), reason.as_str()], n);
        }
    }

    /// The counter families, as the exposition shows them.
    fn write(&self, out: &mut impl text::Sink) {
        let series = self.deprecated_responses.sorted();
        let deprecated = series
            .iter()
            .map(|(labels, count)| ([&*labels[0]], *count as f64));
        for (family, tally) in [
            (&families::API_REQUESTS, &*self.api_requests),
            (&families::REFRESH_ERRORS, &self.refresh_errors),
            (&families::SKIPPED_RECORDS, &self.skipped_records),
        ] {
            let series = tally.sorted();
            out.family(
                family,
                series
                    .iter()
                    .map(|(labels, count)| ([&*labels[0], &*labels[1]], *count as f64)),
            );
        }
        out.family(&families::DEPRECATED_RESPONSES, deprecated);
    }
}

/// The `reason` label of `jamf_exporter_skipped_records_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    NoId,
    DuplicateId,
}

impl SkipReason {
    pub const ALL: [SkipReason; 2] = [SkipReason::NoId, SkipReason::DuplicateId];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoId => "no_id",
            SkipReason::DuplicateId => "duplicate_id",
        }
    }
}

/// The exporter process itself: `process_*` and `jamf_exporter_build_info`.
pub struct ProcessMetrics {
    registry: Registry,
}

impl ProcessMetrics {
    pub fn new() -> Result<ProcessMetrics, MetricsError> {
        let registry = Registry::new();
        let build_info = IntGaugeVec::new(
            Opts::new(families::BUILD_INFO.name, families::BUILD_INFO.help),
            &families::BUILD_INFO.labels,
        )?;
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                env!("JAMF_EXPORTER_REVISION"),
                env!("JAMF_EXPORTER_RUSTC").trim_start_matches("rustc "),
            ])
            .set(1);
        registry.register(Box::new(build_info))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(ProcessMetrics { registry })
    }
}

/// One exposition source: a snapshot store with its counters and, for `/metrics`, the
/// process metrics. It keeps the last rendering for the scrapes of the same second.
pub struct Metrics {
    store: Arc<SnapshotStore>,
    pub counters: Arc<Counters>,
    process: Option<Arc<ProcessMetrics>>,
    refresh_interval: Duration,
    bands: TokenBands,
    cached_help: String,
    last: Mutex<Option<Arc<Exposition>>>,
}

/// One rendering, shared by every scrape of its snapshot and second.
pub struct Exposition {
    /// A `Weak` keeps the old snapshot's allocation, so a newer snapshot cannot reuse
    /// its address while this one is compared against it; its data is freed.
    snapshot: Weak<Snapshot>,
    second: i64,
    /// The text, in pieces.
    text: Vec<Bytes>,
    gzip: OnceCell<Bytes>,
}

impl Exposition {
    /// An exposition rendered for one request only (the process metrics of `/metrics`
    /// with `--config.file`).
    pub fn uncached(text: String, now: DateTime<Utc>) -> Exposition {
        Exposition {
            snapshot: Weak::new(),
            second: now.timestamp(),
            text: vec![Bytes::from(text)],
            gzip: OnceCell::new(),
        }
    }

    /// The text, in pieces to be sent one after the other (cheap: the pieces are shared).
    pub fn text(&self) -> Vec<Bytes> {
        self.text.clone()
    }

    /// The text, gzip-compressed once, off the async workers.
    pub async fn gzip(&self) -> Result<Bytes, RenderError> {
        self.gzip
            .get_or_try_init(|| {
                let text = self.text.clone();
                async move { tokio::task::spawn_blocking(move || compress(&text)).await? }
            })
            .await
            .cloned()
    }
}

impl Metrics {
    pub fn new(
        store: Arc<SnapshotStore>,
        counters: Arc<Counters>,
        process: Option<Arc<ProcessMetrics>>,
        refresh_interval: Duration,
        bands: TokenBands,
    ) -> Metrics {
        Metrics {
            store,
            counters,
            process,
            refresh_interval,
            bands,
            cached_help: format!(
                " Cached; refreshed every {}.",
                crate::duration::format(refresh_interval)
            ),
            last: Mutex::new(None),
        }
    }

    /// The exposition of the current snapshot at `now`, rendered at most once per
    /// snapshot and second. Concurrent scrapes wait for one rendering.
    pub async fn exposition(
        self: &Arc<Self>,
        now: DateTime<Utc>,
    ) -> Result<Arc<Exposition>, RenderError> {
        let snapshot = self.store.load();
        let second = now.timestamp();
        let mut last = self.last.lock().await;
        if let Some(exposition) = last.as_ref() {
            if exposition.second == second
                && std::ptr::eq(exposition.snapshot.as_ptr(), Arc::as_ptr(&snapshot))
            {
                return Ok(exposition.clone());
            }
        }
        // Let go of the old text before writing the new one: only scrapes still sending
        // it keep it alive.
        drop(last.take());
        let metrics = self.clone();
        let weak = Arc::downgrade(&snapshot);
        let text = tokio::task::spawn_blocking(move || metrics.render(&snapshot, now)).await??;
        let exposition = Arc::new(Exposition {
            snapshot: weak,
            second,
            text,
            gzip: OnceCell::new(),
        });
        *last = Some(exposition.clone());
        Ok(exposition)
    }

    /// Renders `snapshot` at `now` with the counters and process metrics as they are.
    pub fn render(
        &self,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Vec<Bytes>, prometheus::Error> {
        let mut out = TextWriter::new(&self.cached_help);
        snapshot::write(&mut out, snapshot, self.refresh_interval, self.bands, now);
        self.counters.write(&mut out);
        let encoder = prometheus::TextEncoder::new();
        if let Some(process) = &self.process {
            out.raw(&encoder.encode_to_string(&process.registry.gather())?);
        }
        Ok(out.finish())
    }
}

/// The exposition text of one snapshot at `now`, without counters or process metrics.
/// Pure.
pub fn render_snapshot(
    snapshot: &Snapshot,
    refresh_interval: Duration,
    bands: TokenBands,
    now: DateTime<Utc>,
) -> String {
    let cached_help = format!(
        " Cached; refreshed every {}.",
        crate::duration::format(refresh_interval)
    );
    let mut out = TextWriter::new(&cached_help);
    snapshot::write(&mut out, snapshot, refresh_interval, bands, now);
    out.finish()
        .iter()
        .map(|piece| String::from_utf8_lossy(piece))
        .collect()
}

fn compress(text: &[Bytes]) -> Result<Bytes, RenderError> {
    use std::io::Write as _;
    let length: usize = text.iter().map(Bytes::len).sum();
    let mut encoder = GzEncoder::new(Vec::with_capacity(length / 16), Compression::default());
    for piece in text {
        encoder.write_all(piece)?;
    }
    Ok(Bytes::from(encoder.finish()?))
}

#[cfg(test)]
mod tests;
