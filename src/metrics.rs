//! Metric names and help, the exporter's own counters, and the rendering of the
//! current snapshot on every scrape.
//!
//! Jamf data is never held in labelled gauges that are updated in place: each scrape
//! renders the one current `Snapshot`, so series of deleted objects vanish with the next
//! successful refresh and days-until-expiry is computed at scrape time.
//!
//! # Rendering and its caches
//! A scrape's exposition is the families rendered from the snapshot merged, in name
//! order, with the exporter's own: the request and error counters, read on every scrape,
//! build info, and the process metrics, read from `/proc` at most once per second. The
//! snapshot families are written as text directly, in exactly the format of the
//! prometheus crate's `TextEncoder` after a registry's gather (tests hold the two byte for
//! byte), and the text is reused while it cannot change:
//! - families that depend only on the snapshot are rendered once per snapshot;
//! - the two `*_days_until_expiry` families also depend on the time, and are rendered
//!   once per snapshot and wall-clock second, so a value may be up to one second old
//!   (about 1e-5 days).
//!
//! Every scrape still uses exactly one snapshot. For gzip, each reused piece of text is
//! compressed once into raw deflate blocks ended by a sync flush; a scrape joins those
//! pieces and the fresh ones into one gzip member, so it only compresses what is new.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::{Compress, Compression, Crc, FlushCompress};
use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::collectors::CollectorName;
use crate::jamf::Reason;
use crate::snapshot::{days_until, Snapshot, SnapshotStore};

/// The live counters the Jamf client and poller update, and the rendering of the
/// current snapshot and of everything else `/metrics` shows.
pub struct Metrics {
    pub api_requests: IntCounterVec,
    pub refresh_errors: IntCounterVec,
    live: Live,
    store: Arc<SnapshotStore>,
    help_suffix: String,
    /// Families that depend only on the snapshot.
    timeless: Mutex<Option<Arc<Part>>>,
    /// Families that also depend on the time (days until expiry), per second.
    dated: Mutex<Option<Arc<Part>>>,
    /// Recently compressed live pieces: they rarely change between scrapes.
    live_deflated: Mutex<Vec<Arc<Deflated>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot register metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Builds the counters and their private registries (never the global registry, so
    /// tests stay hermetic).
    pub fn new(
        store: Arc<SnapshotStore>,
        enabled: &[CollectorName],
        refresh_interval: std::time::Duration,
    ) -> Result<Metrics, MetricsError> {
        let api_requests = IntCounterVec::new(
            Opts::new(
                "jamf_exporter_api_requests_total",
                "Requests sent to the Jamf Pro API, by route template and HTTP status (or error).",
            ),
            &["endpoint", "code"],
        )?;
        let refresh_errors = IntCounterVec::new(
            Opts::new(
                "jamf_exporter_refresh_errors_total",
                "Failed collector refreshes, by collector and the first failing reason.",
            ),
            &["collector", "reason"],
        )?;
        let mut error_series = Vec::new();
        for collector in enabled {
            for reason in Reason::ALL {
                let (collector, reason) = (collector.as_str(), reason.as_str());
                let counter = refresh_errors.with_label_values(&[collector, reason]);
                let mut line = String::from("jamf_exporter_refresh_errors_total{collector=\"");
                escape_into(&mut line, collector, true);
                line.push_str("\",reason=\"");
                escape_into(&mut line, reason, true);
                line.push_str("\"} ");
                error_series.push(((collector, reason), line, counter));
            }
        }
        // In the order the registry's gather sorts them: by label values.
        error_series.sort_by(|a, b| a.0.cmp(&b.0));
        let build_info = IntGaugeVec::new(
            Opts::new(
                "jamf_exporter_build_info",
                "Build information of jamf_exporter; always 1.",
            ),
            &["version", "revision", "rustversion"],
        )?;
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                env!("JAMF_EXPORTER_REVISION"),
                env!("JAMF_EXPORTER_RUSTC").trim_start_matches("rustc "),
            ])
            .set(1);
        let requests = Registry::new();
        requests.register(Box::new(api_requests.clone()))?;
        let errors = Registry::new();
        errors.register(Box::new(refresh_errors.clone()))?;
        let build_info = prometheus::TextEncoder::new().encode_to_string(&build_info.collect())?;
        Ok(Metrics {
            live: Live {
                requests,
                errors,
                error_series: error_series
                    .into_iter()
                    .map(|(_, line, counter)| (line, counter))
                    .collect(),
                errors_checked: Mutex::new(None),
                build_info,
                #[cfg(target_os = "linux")]
                process: ProcessText {
                    collector: prometheus::process_collector::ProcessCollector::for_self(),
                    last: Mutex::new(None),
                },
            },
            api_requests,
            refresh_errors,
            store,
            help_suffix: format!(
                " Cached; refreshed every {}.",
                crate::duration::format(refresh_interval)
            ),
            timeless: Mutex::new(None),
            dated: Mutex::new(None),
            live_deflated: Mutex::new(Vec::new()),
        })
    }

    /// The text exposition of the current snapshot and everything else.
    pub fn encode(&self) -> Result<String, prometheus::Error> {
        Ok(self.exposition()?.text_string())
    }

    /// The current exposition, ready to be sent as text or gzip.
    pub fn exposition(&self) -> Result<Exposition<'_>, prometheus::Error> {
        self.exposition_at(Utc::now())
    }

    fn exposition_at(&self, now: DateTime<Utc>) -> Result<Exposition<'_>, prometheus::Error> {
        let snapshot = self.store.load();
        let timeless = cached_part(&self.timeless, &snapshot, &self.help_suffix, None);
        let dated = cached_part(&self.dated, &snapshot, &self.help_suffix, Some(now));
        let own = self.live.own_families()?;
        #[cfg(target_os = "linux")]
        let process = self.live.process.families(now.timestamp())?;
        #[cfg(not(target_os = "linux"))]
        let process: NamedTexts = Arc::default();

        // Every family and where its text is, sorted by name as the registry's gather
        // sorts them. The sort is stable and names are unique.
        let mut entries: Vec<(&str, Entry)> = Vec::with_capacity(SPECS.len() + 16);
        for part in [&timeless, &dated] {
            for (name, range) in &part.families {
                entries.push((name, Entry::Part(part.clone(), range.clone())));
            }
        }
        for (name, text) in own {
            entries.push((name, Entry::Live(text)));
        }
        for (name, text) in process.iter() {
            entries.push((name, Entry::Live(text.clone())));
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));

        // Neighbouring families from the same place become one piece.
        let mut pieces: Vec<Entry> = Vec::new();
        for (_, entry) in entries {
            match (pieces.last_mut(), entry) {
                (Some(Entry::Part(last, last_range)), Entry::Part(part, range))
                    if Arc::ptr_eq(last, &part) && last_range.end == range.start =>
                {
                    last_range.end = range.end;
                }
                (Some(Entry::Live(last)), Entry::Live(text)) => last.push_str(&text),
                (_, entry) => pieces.push(entry),
            }
        }
        Ok(Exposition {
            metrics: self,
            pieces,
        })
    }

    /// A live piece compressed, reusing a recent identical one. Short pieces are stored
    /// rather than compressed: that costs a few bytes and saves setting up a compressor.
    fn deflate_live(&self, text: &str) -> std::io::Result<Arc<Deflated>> {
        let mut recent = lock(&self.live_deflated);
        if let Some(found) = recent.iter().find(|d| d.source == text.as_bytes()) {
            return Ok(found.clone());
        }
        let deflated = Arc::new(if text.len() < STORE_BELOW {
            Deflated::stored(text.as_bytes())
        } else {
            Deflated::compressed(Bytes::from(text.to_owned()))?
        });
        if recent.len() >= LIVE_DEFLATED_KEPT {
            recent.remove(0);
        }
        recent.push(deflated.clone());
        Ok(deflated)
    }
}

/// The families that are not rendered from the snapshot, read fresh for every scrape
/// except the process metrics.
struct Live {
    /// Holds `api_requests` alone. Its series appear as Jamf answers, so it is gathered
    /// (and sorted) on every scrape.
    requests: Registry,
    /// Holds `refresh_errors` alone, to check `error_series` and as its fallback.
    errors: Registry,
    /// Every `refresh_errors` series the poller counts (each enabled collector and
    /// reason, created up front): its sample line up to the value, and its counter.
    error_series: Vec<(String, IntCounter)>,
    /// The second `error_series` was last checked in, and whether it still listed every
    /// series then.
    errors_checked: Mutex<Option<(i64, bool)>>,
    build_info: String,
    #[cfg(target_os = "linux")]
    process: ProcessText,
}

impl Live {
    /// The exporter's own families: request and error counters, build info.
    fn own_families(&self) -> Result<Vec<(&'static str, String)>, prometheus::Error> {
        let mut families = Vec::with_capacity(3);
        let mut requests = String::new();
        // Gather leaves out a family with no series; the encoder would refuse it.
        prometheus::TextEncoder::new().encode_utf8(&self.requests.gather(), &mut requests)?;
        if !requests.is_empty() {
            families.push(("jamf_exporter_api_requests_total", requests));
        }
        families.push(("jamf_exporter_build_info", self.build_info.clone()));
        let mut errors = String::new();
        if self.error_series_complete() {
            if !self.error_series.is_empty() {
                errors.push_str(
                    "# HELP jamf_exporter_refresh_errors_total Failed collector refreshes, by collector and the first failing reason.\n\
                     # TYPE jamf_exporter_refresh_errors_total counter\n",
                );
            }
            for (line, counter) in &self.error_series {
                errors.push_str(line);
                // As the encoder writes a counter: the value as an f64.
                let _ = writeln!(errors, "{}", counter.get() as f64);
            }
        } else {
            prometheus::TextEncoder::new().encode_utf8(&self.errors.gather(), &mut errors)?;
        }
        if !errors.is_empty() {
            families.push(("jamf_exporter_refresh_errors_total", errors));
        }
        Ok(families)
    }

    /// Whether `error_series` lists every `refresh_errors` series, checked at most once
    /// per second. Only a change elsewhere could add one; if it ever happens, the counter
    /// is gathered in full instead.
    fn error_series_complete(&self) -> bool {
        let second = Utc::now().timestamp();
        let mut checked = lock(&self.errors_checked);
        match *checked {
            Some((at, complete)) if at == second => complete,
            _ => {
                let n_series: usize = self
                    .errors
                    .gather()
                    .iter()
                    .map(|family| family.get_metric().len())
                    .sum();
                let complete = n_series == self.error_series.len();
                *checked = Some((second, complete));
                complete
            }
        }
    }
}

/// Families as (name, text), in the order they were read.
type NamedTexts = Arc<Vec<(String, String)>>;

/// The prometheus crate's process metrics as text, read at most once per wall-clock
/// second: reading `/proc` costs more than the rest of a scrape served from cache.
#[cfg(target_os = "linux")]
struct ProcessText {
    collector: prometheus::process_collector::ProcessCollector,
    /// The second it was read in, and each family's name and text.
    last: Mutex<Option<(i64, NamedTexts)>>,
}

#[cfg(target_os = "linux")]
impl ProcessText {
    fn families(&self, second: i64) -> Result<NamedTexts, prometheus::Error> {
        let mut last = lock(&self.last);
        if let Some((at, families)) = last.as_ref() {
            if *at == second {
                return Ok(families.clone());
            }
        }
        let mut families = Vec::new();
        for family in self.collector.collect() {
            if family.get_metric().is_empty() {
                continue;
            }
            let mut text = String::new();
            prometheus::TextEncoder::new().encode_utf8(std::slice::from_ref(&family), &mut text)?;
            families.push((family.name().to_owned(), text));
        }
        let families = Arc::new(families);
        *last = Some((second, families.clone()));
        Ok(families)
    }
}

/// Live pieces shorter than this are stored in the gzip stream, not compressed.
const STORE_BELOW: usize = 2048;
/// How many compressed live pieces are kept for reuse.
const LIVE_DEFLATED_KEPT: usize = 4;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves whole values behind.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The part in `slot` if it was rendered from `snapshot` (and in the second of `now`),
/// else a new rendering, which replaces it. Concurrent scrapes wait for one rendering.
fn cached_part(
    slot: &Mutex<Option<Arc<Part>>>,
    snapshot: &Arc<Snapshot>,
    help_suffix: &str,
    now: Option<DateTime<Utc>>,
) -> Arc<Part> {
    let second = now.map(|now| now.timestamp());
    let mut slot = lock(slot);
    if let Some(part) = slot.as_ref() {
        // The `Weak` keeps the old snapshot's allocation, so its address cannot be
        // reused by a newer snapshot while this comparison can still be made.
        if std::ptr::eq(part.snapshot.as_ptr(), Arc::as_ptr(snapshot)) && part.second == second {
            return part.clone();
        }
    }
    // Let go of the old text before writing the new one, which is likely as long: only
    // scrapes still sending it keep it alive.
    let size_hint = slot.take().map_or(0, |old| old.text.len());
    let (text, families) = match now {
        None => render(snapshot, Utc::now(), help_suffix, size_hint, |spec| {
            !spec.dated()
        }),
        Some(now) => render(snapshot, now, help_suffix, size_hint, Spec::dated),
    };
    let part = Arc::new(Part {
        snapshot: Arc::downgrade(snapshot),
        second,
        text: Bytes::from(text),
        families,
        deflated: Mutex::new(Vec::new()),
    });
    *slot = Some(part.clone());
    part
}

/// Families rendered from one snapshot (and, for the dated ones, in one second), kept
/// for the scrapes that follow.
struct Part {
    snapshot: Weak<Snapshot>,
    second: Option<i64>,
    text: Bytes,
    /// Each family's name and its bytes in `text`, in name order.
    families: Vec<(&'static str, Range<usize>)>,
    /// Ranges of `text` already compressed.
    deflated: Mutex<Vec<(Range<usize>, Arc<Deflated>)>>,
}

impl Part {
    fn deflate(&self, range: &Range<usize>) -> std::io::Result<Arc<Deflated>> {
        let mut done = lock(&self.deflated);
        if let Some((_, deflated)) = done.iter().find(|(r, _)| r == range) {
            return Ok(deflated.clone());
        }
        let deflated = Arc::new(Deflated::compressed(self.text.slice(range.clone()))?);
        done.push((range.clone(), deflated.clone()));
        Ok(deflated)
    }
}

enum Entry {
    /// Bytes of a cached part.
    Part(Arc<Part>, Range<usize>),
    /// Text gathered for this scrape.
    Live(String),
}

/// One scrape's exposition: pieces of text in order, most of them shared with other
/// scrapes.
pub struct Exposition<'m> {
    metrics: &'m Metrics,
    pieces: Vec<Entry>,
}

impl Exposition<'_> {
    /// The exposition as text, in pieces to be sent one after the other.
    pub fn text(&self) -> Vec<Bytes> {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Entry::Part(part, range) => part.text.slice(range.clone()),
                Entry::Live(text) => Bytes::from(text.clone()),
            })
            .filter(|bytes| !bytes.is_empty())
            .collect()
    }

    /// The exposition as one gzip member, in pieces to be sent one after the other.
    pub fn gzip(&self) -> std::io::Result<Vec<Bytes>> {
        // A gzip header with no name, time or flags, and OS "unknown".
        const HEADER: &[u8] = &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        // An empty final block with fixed Huffman codes: it ends the deflate stream.
        const LAST_BLOCK: &[u8] = &[0x03, 0x00];
        let mut out = vec![Bytes::from_static(HEADER)];
        let mut crc = Crc::new();
        let mut length: u64 = 0;
        for piece in &self.pieces {
            let deflated = match piece {
                Entry::Part(part, range) => part.deflate(range)?,
                Entry::Live(text) => self.metrics.deflate_live(text)?,
            };
            crc.combine(&deflated.crc);
            length += deflated.source.len() as u64;
            out.push(deflated.data.clone());
        }
        let mut trailer = Vec::with_capacity(LAST_BLOCK.len() + 8);
        trailer.extend_from_slice(LAST_BLOCK);
        trailer.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32.
        trailer.extend_from_slice(&(length as u32).to_le_bytes());
        out.push(Bytes::from(trailer));
        Ok(out)
    }

    fn text_string(&self) -> String {
        let mut text = String::new();
        for piece in &self.pieces {
            match piece {
                Entry::Part(part, range) => {
                    text.push_str(&String::from_utf8_lossy(&part.text[range.clone()]))
                }
                Entry::Live(live) => text.push_str(live),
            }
        }
        text
    }
}

/// A piece of text as a run of raw deflate blocks that ends on a byte boundary and is not
/// final, so such runs can follow one another in one deflate stream.
struct Deflated {
    source: Bytes,
    data: Bytes,
    crc: Crc,
}

impl Deflated {
    /// Compressed with a fresh compressor (no references to earlier pieces), ended by a
    /// sync flush.
    fn compressed(source: Bytes) -> std::io::Result<Deflated> {
        let mut compress = Compress::new(Compression::fast(), false);
        // The exposition usually shrinks ten to fifteen times.
        let mut data: Vec<u8> = Vec::with_capacity(source.len() / 8 + 64);
        let mut input: &[u8] = &source;
        loop {
            if data.capacity() - data.len() < 64 {
                data.reserve(data.capacity().max(4096));
            }
            let before = compress.total_in();
            compress
                .compress_vec(input, &mut data, FlushCompress::Sync)
                .map_err(std::io::Error::other)?;
            input = &input[(compress.total_in() - before) as usize..];
            // The flush is complete once input is used up and output space is left over.
            if input.is_empty() && data.len() < data.capacity() {
                break;
            }
        }
        // Kept for as long as the snapshot: give back the spare room.
        data.shrink_to_fit();
        Ok(Deflated {
            crc: crc_of(&source),
            source,
            data: Bytes::from(data),
        })
    }

    /// Stored (uncompressed) blocks of at most 65 535 bytes each.
    fn stored(source: &[u8]) -> Deflated {
        let mut data = Vec::with_capacity(source.len() + 5 * (source.len() / 65_535 + 1));
        for block in source.chunks(65_535) {
            let length = block.len() as u16;
            data.push(0x00);
            data.extend_from_slice(&length.to_le_bytes());
            data.extend_from_slice(&(!length).to_le_bytes());
            data.extend_from_slice(block);
        }
        Deflated {
            crc: crc_of(source),
            source: Bytes::copy_from_slice(source),
            data: Bytes::from(data),
        }
    }
}

fn crc_of(bytes: &[u8]) -> Crc {
    let mut crc = Crc::new();
    crc.update(bytes);
    crc
}

/// Name, help and label names of every metric rendered from the snapshot.
struct Spec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
}

const LOCATION: &[&str] = &["location_id", "location"];
const ADE_TOKEN: &[&str] = &["instance_id", "instance_name", "server_name"];
const ADE_SYNC: &[&str] = &["instance_id", "instance_name"];
const CONTENT: &[&str] = &[
    "location_id",
    "location",
    "adam_id",
    "content",
    "content_type",
];

const SPECS: &[Spec] = &[
    Spec { name: "jamf_vpp_location_info", help: "Volume Purchasing location; always 1. asm_location is Apple's location name.", labels: &["location_id", "location", "asm_location", "organization", "country_code", "site_id"] },
    Spec { name: "jamf_vpp_token_expiry_timestamp_seconds", help: "Expiry of the location's Volume Purchasing token, Unix seconds.", labels: LOCATION },
    Spec { name: "jamf_vpp_token_days_until_expiry", help: "Days until the Volume Purchasing token expires, computed at scrape time; negative once expired.", labels: LOCATION },
    Spec { name: "jamf_vpp_licenses_purchased", help: "Licences purchased under the location's token (totalPurchasedLicenses).", labels: LOCATION },
    Spec { name: "jamf_vpp_licenses_used", help: "Licences in use under the location's token (totalUsedLicenses).", labels: LOCATION },
    Spec { name: "jamf_vpp_last_sync_timestamp_seconds", help: "When Jamf last synced the location with Apple, Unix seconds.", labels: LOCATION },
    Spec { name: "jamf_vpp_client_context_mismatch", help: "1 when another MDM server is using this location's token.", labels: LOCATION },
    Spec { name: "jamf_vpp_content_licenses_purchased", help: "Licences purchased for one app or book under a location's token.", labels: CONTENT },
    Spec { name: "jamf_vpp_content_licenses_used", help: "Licences in use for one app or book under a location's token.", labels: CONTENT },
    Spec { name: "jamf_ade_token_expiry_timestamp_seconds", help: "Expiry of the Automated Device Enrollment token (a date, taken as 00:00 UTC), Unix seconds.", labels: ADE_TOKEN },
    Spec { name: "jamf_ade_token_days_until_expiry", help: "Days until the Automated Device Enrollment token expires, computed at scrape time; negative once expired.", labels: ADE_TOKEN },
    Spec { name: "jamf_ade_last_sync_timestamp_seconds", help: "Time of the latest Automated Device Enrollment sync, Unix seconds.", labels: ADE_SYNC },
    Spec { name: "jamf_ade_last_sync_success", help: "1 when the latest Automated Device Enrollment sync succeeded.", labels: ADE_SYNC },
    Spec { name: "jamf_notification_active", help: "Active Jamf Pro notifications by type (PUSH_CERT_WILL_EXPIRE watches the APNs certificate).", labels: &["type"] },
    Spec { name: "jamf_builtin_ca_expiry_timestamp_seconds", help: "Expiry of Jamf Pro's built-in certificate authority, Unix seconds.", labels: &[] },
    Spec { name: "jamf_version_info", help: "Jamf Pro version; always 1.", labels: &["version"] },
    Spec { name: "jamf_healthcheck_code", help: "Jamf Pro /healthCheck.html reading: 0 when healthy, else the healthCode.", labels: &[] },
    Spec { name: "jamf_up", help: "1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.", labels: &[] },
    Spec { name: "jamf_collector_success", help: "1 when the collector's last refresh succeeded.", labels: &["collector"] },
    Spec { name: "jamf_collector_duration_seconds", help: "How long the collector's last refresh took.", labels: &["collector"] },
    Spec { name: "jamf_collector_last_success_timestamp_seconds", help: "When the collector's data was last fresh, Unix seconds.", labels: &["collector"] },
];

impl Spec {
    /// Depends on the time of the scrape, not only on the snapshot.
    fn dated(&self) -> bool {
        self.name.ends_with("_days_until_expiry")
    }

    /// Its HELP says the value is cached between refreshes.
    fn cached(&self) -> bool {
        !self.name.starts_with("jamf_collector_") && self.name != "jamf_up"
    }
}

/// The most labels any snapshot metric has (`jamf_vpp_location_info`).
const MAX_LABELS: usize = 6;

/// What the snapshot walk hands out: one sample at a time.
trait Sink<'a> {
    fn push(&mut self, name: &'static str, labels: &[&'a str], value: f64);

    fn push_opt(&mut self, name: &'static str, labels: &[&'a str], value: Option<f64>) {
        if let Some(value) = value {
            self.push(name, labels, value);
        }
    }
}

struct Sample<'a> {
    /// In the order of `Spec::labels`; unused ones are empty.
    labels: [&'a str; MAX_LABELS],
    value: f64,
    /// Its place in the snapshot walk, which breaks ties when sorting.
    position: usize,
}

/// How many samples each metric has, in `SPECS` order.
struct Counts(Vec<usize>);

impl<'a> Sink<'a> for Counts {
    fn push(&mut self, name: &'static str, _: &[&'a str], _: f64) {
        if let Some(index) = SPECS.iter().position(|spec| spec.name == name) {
            self.0[index] += 1;
        }
    }
}

/// The samples of one metric.
struct Family<'a> {
    name: &'static str,
    samples: Vec<Sample<'a>>,
}

impl<'a> Sink<'a> for Family<'a> {
    fn push(&mut self, name: &'static str, labels: &[&'a str], value: f64) {
        if name != self.name {
            return;
        }
        let mut sample = Sample {
            labels: [""; MAX_LABELS],
            value,
            position: self.samples.len(),
        };
        for (slot, label) in sample.labels.iter_mut().zip(labels) {
            *slot = label;
        }
        self.samples.push(sample);
    }
}

/// The exposition text of every family of one snapshot at `now`, as a scrape would
/// render it (without the live counters and process metrics). Pure.
pub fn render_text(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
    render(snapshot, now, "", 0, |_| true).0
}

/// Renders the families of `snapshot` that `select` picks, in name order, in the
/// Prometheus text format. Returns the text and each family's name and bytes in it.
/// `size_hint` is the length the text is expected to have. Pure: `now` is passed in.
fn render(
    snapshot: &Snapshot,
    now: DateTime<Utc>,
    help_suffix: &str,
    size_hint: usize,
    select: impl Fn(&Spec) -> bool,
) -> (String, Vec<(&'static str, Range<usize>)>) {
    let mut counts = Counts(vec![0; SPECS.len()]);
    visit(snapshot, now, &mut counts);
    let mut order: Vec<usize> = (0..SPECS.len())
        .filter(|index| counts.0[*index] > 0 && select(&SPECS[*index]))
        .collect();
    order.sort_by_key(|index| SPECS[*index].name);
    // Room for a little growth, so a text as long as last time is written without
    // doubling its buffer.
    let mut text = String::with_capacity(size_hint + size_hint / 32);
    let mut ranges = Vec::new();
    for index in order {
        // One family at a time, so only its samples are held: walking the snapshot
        // again is cheaper than holding every sample of a large one at once.
        let mut family = Family {
            name: SPECS[index].name,
            samples: Vec::with_capacity(counts.0[index]),
        };
        visit(snapshot, now, &mut family);
        let start = text.len();
        write_family(&mut text, &SPECS[index], help_suffix, &mut family.samples);
        ranges.push((SPECS[index].name, start..text.len()));
    }
    (text, ranges)
}

/// One family, as the prometheus crate's `TextEncoder` writes a gauge family after the
/// registry's gather has sorted it.
fn write_family(out: &mut String, spec: &Spec, help_suffix: &str, samples: &mut [Sample<'_>]) {
    let n_labels = spec.labels.len().min(MAX_LABELS);
    // By label values in label order, as gather sorts. Gather's sort is stable; ties
    // broken by position give the same order without the buffer a stable sort needs.
    samples.sort_unstable_by(|a, b| {
        a.labels[..n_labels]
            .cmp(&b.labels[..n_labels])
            .then(a.position.cmp(&b.position))
    });
    out.push_str("# HELP ");
    out.push_str(spec.name);
    out.push(' ');
    escape_into(out, spec.help, false);
    if spec.cached() {
        escape_into(out, help_suffix, false);
    }
    out.push_str("\n# TYPE ");
    out.push_str(spec.name);
    out.push_str(" gauge\n");
    for sample in samples.iter() {
        out.push_str(spec.name);
        for (index, (name, value)) in spec.labels.iter().zip(&sample.labels).enumerate() {
            out.push(if index == 0 { '{' } else { ',' });
            out.push_str(name);
            out.push_str("=\"");
            escape_into(out, value, true);
            out.push('"');
        }
        if n_labels > 0 {
            out.push('}');
        }
        // `Display` for f64, as the encoder uses: "1", "0.25", "NaN", "inf".
        let _ = write!(out, " {}", sample.value);
        out.push('\n');
    }
}

/// Text-format escaping: backslash and newline always, double quotes in label values.
fn escape_into(out: &mut String, text: &str, label_value: bool) {
    let mut rest = text;
    while let Some(at) = rest
        .bytes()
        .position(|b| b == b'\\' || b == b'\n' || (label_value && b == b'"'))
    {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => "\\\"",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

fn seconds(instant: DateTime<Utc>) -> f64 {
    instant.timestamp_millis() as f64 / 1000.0
}

fn bool_value(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

/// Hands every sample of one snapshot to `out`. Pure: `now` is passed in.
fn visit<'a>(snapshot: &'a Snapshot, now: DateTime<Utc>, out: &mut impl Sink<'a>) {
    for location in snapshot.vpp.as_deref().into_iter().flatten() {
        let labels = [location.id.as_str(), location.name.as_str()];
        out.push(
            "jamf_vpp_location_info",
            &[
                location.id.as_str(),
                location.name.as_str(),
                location.asm_location.as_str(),
                location.organization.as_str(),
                location.country_code.as_str(),
                location.site_id.as_str(),
            ],
            1.0,
        );
        if let Some(expiry) = location.token_expiry {
            out.push(
                "jamf_vpp_token_expiry_timestamp_seconds",
                &labels,
                seconds(expiry),
            );
            out.push(
                "jamf_vpp_token_days_until_expiry",
                &labels,
                days_until(expiry, now),
            );
        }
        out.push_opt(
            "jamf_vpp_licenses_purchased",
            &labels,
            location.licenses_purchased,
        );
        out.push_opt("jamf_vpp_licenses_used", &labels, location.licenses_used);
        out.push_opt(
            "jamf_vpp_last_sync_timestamp_seconds",
            &labels,
            location.last_sync.map(seconds),
        );
        out.push_opt(
            "jamf_vpp_client_context_mismatch",
            &labels,
            location.client_context_mismatch.map(bool_value),
        );
    }
    for item in snapshot.vpp_content.as_deref().into_iter().flatten() {
        let labels = [
            item.location_id.as_str(),
            item.location.as_str(),
            item.adam_id.as_str(),
            item.name.as_str(),
            item.content_type.as_str(),
        ];
        out.push_opt(
            "jamf_vpp_content_licenses_purchased",
            &labels,
            item.licenses_purchased,
        );
        out.push_opt(
            "jamf_vpp_content_licenses_used",
            &labels,
            item.licenses_used,
        );
    }
    for instance in snapshot.ade.as_deref().into_iter().flatten() {
        let token_labels = [
            instance.id.as_str(),
            instance.name.as_str(),
            instance.server_name.as_str(),
        ];
        let sync_labels = [instance.id.as_str(), instance.name.as_str()];
        if let Some(expiry) = instance.token_expiry {
            out.push(
                "jamf_ade_token_expiry_timestamp_seconds",
                &token_labels,
                seconds(expiry),
            );
            out.push(
                "jamf_ade_token_days_until_expiry",
                &token_labels,
                days_until(expiry, now),
            );
        }
        out.push_opt(
            "jamf_ade_last_sync_timestamp_seconds",
            &sync_labels,
            instance.last_sync.map(seconds),
        );
        out.push_opt(
            "jamf_ade_last_sync_success",
            &sync_labels,
            instance.last_sync_success.map(bool_value),
        );
    }
    for (kind, active) in snapshot.notifications.as_deref().into_iter().flatten() {
        out.push("jamf_notification_active", &[kind.as_str()], *active as f64);
    }
    if let Some(expiry) = snapshot.builtin_ca.as_ref().and_then(|ca| ca.not_after) {
        out.push(
            "jamf_builtin_ca_expiry_timestamp_seconds",
            &[],
            seconds(expiry),
        );
    }
    if let Some(version) = snapshot.version.as_ref().and_then(|v| v.version.as_deref()) {
        out.push("jamf_version_info", &[version], 1.0);
    }
    if let Some(health) = &snapshot.healthcheck {
        out.push("jamf_healthcheck_code", &[], health.code as f64);
    }
    out.push("jamf_up", &[], bool_value(snapshot.up));
    for status in &snapshot.collectors {
        let labels = [status.name.as_str()];
        out.push(
            "jamf_collector_success",
            &labels,
            bool_value(status.success),
        );
        out.push(
            "jamf_collector_duration_seconds",
            &labels,
            status.duration.as_secs_f64(),
        );
        out.push_opt(
            "jamf_collector_last_success_timestamp_seconds",
            &labels,
            status.last_success.map(seconds),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;
    use std::time::Duration;

    use chrono::TimeZone;
    use prometheus::core::Desc;
    use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};

    use super::*;
    use crate::snapshot::{
        AdeInstance, BuiltinCa, CollectorStatus, HealthCheck, JamfVersion, VppContentItem,
        VppLocation,
    };

    const SUFFIX: &str = " Cached; refreshed every 5m.";

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0)
            .single()
            .unwrap_or_else(|| panic!("bad test time {seconds}"))
    }

    fn now() -> DateTime<Utc> {
        at(1_767_225_600) // 2026-01-01T00:00:00Z
    }

    /// The reference: the snapshot as protobuf-style metric families, built the way the
    /// exporter built them before it wrote text itself.
    #[derive(Default)]
    struct Reference {
        families: BTreeMap<usize, Vec<Metric>>,
    }

    impl<'a> Sink<'a> for Reference {
        fn push(&mut self, name: &'static str, labels: &[&'a str], value: f64) {
            let Some(index) = SPECS.iter().position(|spec| spec.name == name) else {
                return;
            };
            let pairs = SPECS[index]
                .labels
                .iter()
                .zip(labels)
                .map(|(label_name, label_value)| {
                    let mut pair = LabelPair::default();
                    pair.set_name((*label_name).to_owned());
                    pair.set_value((*label_value).to_owned());
                    pair
                })
                .collect();
            let mut gauge = Gauge::default();
            gauge.set_value(value);
            let mut metric = Metric::from_label(pairs);
            metric.set_gauge(gauge);
            self.families.entry(index).or_default().push(metric);
        }
    }

    /// A collector returning fixed families, so the registry's gather sorts them.
    struct Fixed {
        descs: Vec<Desc>,
        families: Vec<MetricFamily>,
    }

    impl Collector for Fixed {
        fn desc(&self) -> Vec<&Desc> {
            self.descs.iter().collect()
        }

        fn collect(&self) -> Vec<MetricFamily> {
            self.families.clone()
        }
    }

    fn reference_families(snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<MetricFamily> {
        let mut reference = Reference::default();
        visit(snapshot, now, &mut reference);
        let families = reference
            .families
            .into_iter()
            .map(|(index, metrics)| {
                let spec = &SPECS[index];
                let mut family = MetricFamily::default();
                family.set_name(spec.name.to_owned());
                family.set_help(if spec.cached() {
                    format!("{}{SUFFIX}", spec.help)
                } else {
                    spec.help.to_owned()
                });
                family.set_field_type(MetricType::GAUGE);
                family.set_metric(metrics);
                family
            })
            .collect();
        let descs = SPECS
            .iter()
            .map(|spec| {
                Desc::new(
                    spec.name.to_owned(),
                    spec.help.to_owned(),
                    spec.labels.iter().map(|l| (*l).to_owned()).collect(),
                    Default::default(),
                )
                .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        let registry = Registry::new();
        registry
            .register(Box::new(Fixed { descs, families }))
            .unwrap_or_else(|e| panic!("{e}"));
        registry.gather()
    }

    fn encode(families: &[MetricFamily]) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(families)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn render_all(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
        render(snapshot, now, SUFFIX, 0, |_| true).0
    }

    fn status(name: CollectorName, success: bool) -> CollectorStatus {
        CollectorStatus {
            success,
            duration: Duration::from_millis(1234),
            last_success: success.then(now),
            ..CollectorStatus::new(name)
        }
    }

    fn location(id: &str, name: &str) -> VppLocation {
        VppLocation {
            id: id.to_owned(),
            name: name.to_owned(),
            asm_location: format!("{name} (ASM)"),
            organization: "District \\ \"Org\"".to_owned(),
            country_code: "US".to_owned(),
            site_id: "-1".to_owned(),
            token_expiry: Some(at(1_780_000_000)),
            licenses_purchased: Some(100.0),
            licenses_used: Some(99.5),
            last_sync: Some(at(1_767_000_000)),
            client_context_mismatch: Some(false),
        }
    }

    /// Every kind of sample, with label values that need escaping and ids that sort
    /// differently as text and as numbers.
    fn tricky_snapshot() -> Snapshot {
        let mut unknown = location("3", "");
        unknown.token_expiry = None;
        unknown.licenses_purchased = None;
        unknown.licenses_used = None;
        unknown.last_sync = None;
        unknown.client_context_mismatch = None;
        Snapshot {
            instance_url: "http://127.0.0.1:1".to_owned(),
            refreshes: 3,
            last_refresh: Some(now()),
            up: true,
            collectors: CollectorName::ALL
                .iter()
                .map(|name| status(*name, *name != CollectorName::Ade))
                .collect(),
            vpp: Some(
                vec![
                    location("10", "St. Mary's \"Annex\"\nZürich"),
                    location("9", "Back\\slash"),
                    unknown,
                    location("1", "Escuela Peña Blanca"),
                ]
                .into(),
            ),
            vpp_content: Some(
                vec![
                    VppContentItem {
                        location_id: "10".to_owned(),
                        location: "B".to_owned(),
                        adam_id: "2".to_owned(),
                        name: "Say \"hi\"".to_owned(),
                        content_type: "IOS_APP".to_owned(),
                        licenses_purchased: Some(5.0),
                        licenses_used: None,
                    },
                    VppContentItem {
                        location_id: "1".to_owned(),
                        location: "A".to_owned(),
                        adam_id: "1".to_owned(),
                        name: "line\nbreak".to_owned(),
                        content_type: "".to_owned(),
                        licenses_purchased: Some(1e21),
                        licenses_used: Some(0.1),
                    },
                ]
                .into(),
            ),
            ade: Some(
                vec![AdeInstance {
                    id: "1".to_owned(),
                    name: "ABM".to_owned(),
                    server_name: "MDM {x=\"y\"}".to_owned(),
                    token_expiry: Some(at(1_770_000_000)),
                    last_sync: Some(at(1_767_225_000)),
                    last_sync_success: Some(true),
                }]
                .into(),
            ),
            notifications: Some(
                BTreeMap::from([
                    ("PUSH_CERT_WILL_EXPIRE".to_owned(), 1),
                    ("VPP_ACCOUNT_EXPIRED".to_owned(), 2),
                ])
                .into(),
            ),
            builtin_ca: Some(BuiltinCa {
                not_after: Some(at(1_900_000_000)),
            }),
            version: Some(JamfVersion {
                version: Some("11.23.2".to_owned()),
            }),
            healthcheck: Some(HealthCheck { code: 0 }),
            ..Snapshot::default()
        }
    }

    fn random_text(rng: &mut fastrand::Rng) -> String {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', '9', ' ', '"', '\\', '\n', '\r', '\t', ',', '=', '{', '}', 'é', '€',
            '😀',
        ];
        (0..rng.usize(0..6))
            .map(|_| ALPHABET[rng.usize(..ALPHABET.len())])
            .collect()
    }

    fn random_value(rng: &mut fastrand::Rng) -> Option<f64> {
        match rng.usize(0..10) {
            0 => None,
            1 => Some(f64::NAN),
            2 => Some(f64::INFINITY),
            3 => Some(-0.0),
            4 => Some(1e300),
            5 => Some(1.5e-9),
            6 => Some(rng.u32(..) as f64),
            _ => Some(rng.f64() * 1e6 - 5e5),
        }
    }

    fn random_time(rng: &mut fastrand::Rng) -> Option<DateTime<Utc>> {
        rng.bool().then(|| at(rng.i64(0..4_000_000_000)))
    }

    fn random_snapshot(rng: &mut fastrand::Rng) -> Snapshot {
        let vpp: Vec<VppLocation> = (0..rng.usize(0..5))
            .map(|_| VppLocation {
                id: random_text(rng),
                name: random_text(rng),
                asm_location: random_text(rng),
                organization: random_text(rng),
                country_code: random_text(rng),
                site_id: random_text(rng),
                token_expiry: random_time(rng),
                licenses_purchased: random_value(rng),
                licenses_used: random_value(rng),
                last_sync: random_time(rng),
                client_context_mismatch: rng.bool().then(|| rng.bool()),
            })
            .collect();
        let vpp_content: Vec<VppContentItem> = (0..rng.usize(0..5))
            .map(|_| VppContentItem {
                location_id: random_text(rng),
                location: random_text(rng),
                adam_id: random_text(rng),
                name: random_text(rng),
                content_type: random_text(rng),
                licenses_purchased: random_value(rng),
                licenses_used: random_value(rng),
            })
            .collect();
        let ade: Vec<AdeInstance> = (0..rng.usize(0..3))
            .map(|_| AdeInstance {
                id: random_text(rng),
                name: random_text(rng),
                server_name: random_text(rng),
                token_expiry: random_time(rng),
                last_sync: random_time(rng),
                last_sync_success: rng.bool().then(|| rng.bool()),
            })
            .collect();
        let mut collectors = Vec::new();
        for name in CollectorName::ALL {
            if rng.bool() {
                collectors.push(status(name, rng.bool()));
            }
        }
        Snapshot {
            up: rng.bool(),
            collectors,
            vpp: rng.bool().then_some(vpp.into()),
            vpp_content: rng.bool().then_some(vpp_content.into()),
            ade: rng.bool().then_some(ade.into()),
            notifications: rng.bool().then(|| {
                (0..rng.usize(0..3))
                    .map(|_| (random_text(rng), rng.u64(0..5)))
                    .collect::<BTreeMap<_, _>>()
                    .into()
            }),
            builtin_ca: rng.bool().then(|| BuiltinCa {
                not_after: random_time(rng),
            }),
            version: rng.bool().then(|| JamfVersion {
                version: rng.bool().then(|| random_text(rng)),
            }),
            healthcheck: rng.bool().then(|| HealthCheck {
                code: rng.i64(-5..5),
            }),
            ..Snapshot::default()
        }
    }

    #[test]
    fn text_matches_the_prometheus_encoder() {
        let snapshot = tricky_snapshot();
        let expected = encode(&reference_families(&snapshot, now()));
        assert_eq!(render_all(&snapshot, now()), expected);
        assert!(expected.contains(r#"location="St. Mary's \"Annex\"\nZürich""#));
        assert!(expected.contains(r#"location="Back\\slash""#));
    }

    #[test]
    fn text_matches_the_prometheus_encoder_for_random_snapshots() {
        let mut rng = fastrand::Rng::with_seed(20_260_101);
        for round in 0..500 {
            let snapshot = random_snapshot(&mut rng);
            let now = at(rng.i64(0..4_000_000_000));
            let expected = encode(&reference_families(&snapshot, now));
            assert_eq!(
                render_all(&snapshot, now),
                expected,
                "round {round}: {snapshot:?}"
            );
        }
    }

    #[test]
    fn an_empty_snapshot_renders_only_jamf_up() {
        assert_eq!(
            render_all(&Snapshot::default(), now()),
            "# HELP jamf_up 1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.\n\
             # TYPE jamf_up gauge\n\
             jamf_up 0\n"
        );
    }

    #[test]
    fn escaping_follows_the_text_format() {
        let check = |text: &str, label_value: bool, expected: &str| {
            let mut out = String::new();
            escape_into(&mut out, text, label_value);
            assert_eq!(out, expected, "{text:?}");
        };
        check("plain", true, "plain");
        check("", true, "");
        check("a\"b", true, "a\\\"b");
        check("a\"b", false, "a\"b");
        check("back\\slash", false, "back\\\\slash");
        check("two\nlines\n", true, "two\\nlines\\n");
        check("tab\tand\rreturn", true, "tab\tand\rreturn");
        check("\"\\\n", true, "\\\"\\\\\\n");
        check("Zürich 😀", true, "Zürich 😀");
    }

    #[test]
    fn specs_are_valid_and_unique() {
        let valid = |text: &str, colon: bool| {
            let mut chars = text.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
        };
        let mut names = std::collections::HashSet::new();
        for spec in SPECS {
            assert!(valid(spec.name, true), "{}", spec.name);
            assert!(names.insert(spec.name), "{} twice", spec.name);
            assert!(spec.labels.len() <= MAX_LABELS, "{}", spec.name);
            for label in spec.labels {
                assert!(valid(label, false) && !label.starts_with("__"), "{label}");
            }
        }
        let dated: Vec<&str> = SPECS.iter().filter(|s| s.dated()).map(|s| s.name).collect();
        assert_eq!(
            dated,
            [
                "jamf_vpp_token_days_until_expiry",
                "jamf_ade_token_days_until_expiry"
            ]
        );
    }

    fn metrics_for(snapshot: Snapshot) -> (Arc<SnapshotStore>, Metrics) {
        let store = Arc::new(SnapshotStore::new(snapshot));
        let metrics = Metrics::new(store.clone(), &CollectorName::ALL, Duration::from_secs(300))
            .unwrap_or_else(|e| panic!("{e}"));
        (store, metrics)
    }

    fn without_process_metrics(text: &str) -> String {
        text.lines()
            .filter(|line| {
                !(line.starts_with("process_")
                    || line.starts_with("# HELP process_")
                    || line.starts_with("# TYPE process_"))
            })
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// What the exporter served when one registry held the snapshot collector beside
    /// the counters, build info and process metrics: every family sorted by name.
    fn registry_rendering(metrics: &Metrics, snapshot: &Snapshot) -> String {
        let registry = Registry::new();
        let build_info = IntGaugeVec::new(
            Opts::new(
                "jamf_exporter_build_info",
                "Build information of jamf_exporter; always 1.",
            ),
            &["version", "revision", "rustversion"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                env!("JAMF_EXPORTER_REVISION"),
                env!("JAMF_EXPORTER_RUSTC").trim_start_matches("rustc "),
            ])
            .set(1);
        for collector in [
            Box::new(metrics.api_requests.clone()) as Box<dyn Collector>,
            Box::new(metrics.refresh_errors.clone()),
            Box::new(build_info),
        ] {
            registry
                .register(collector)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut by_name: BTreeMap<String, MetricFamily> = BTreeMap::new();
        for family in reference_families(snapshot, now())
            .into_iter()
            .chain(registry.gather())
        {
            by_name.insert(family.name().to_owned(), family);
        }
        encode(&by_name.into_values().collect::<Vec<_>>())
    }

    #[test]
    fn the_exposition_is_what_the_registry_would_have_gathered() {
        let (_, metrics) = metrics_for(tricky_snapshot());
        let scrape = || {
            metrics
                .exposition_at(now())
                .unwrap_or_else(|e| panic!("{e}"))
                .text_string()
        };
        let before = scrape();
        assert_eq!(
            without_process_metrics(&before),
            registry_rendering(&metrics, &tricky_snapshot())
        );
        assert!(!before.contains("jamf_exporter_api_requests_total"));
        metrics
            .api_requests
            .with_label_values(&["/api/v1/{id}", "200"])
            .inc_by(3);
        metrics
            .refresh_errors
            .with_label_values(&["vpp", "timeout"])
            .inc();
        let after = scrape();
        assert_eq!(
            without_process_metrics(&after),
            registry_rendering(&metrics, &tricky_snapshot())
        );
        assert!(after.contains(
            "jamf_exporter_api_requests_total{code=\"200\",endpoint=\"/api/v1/{id}\"} 3\n"
        ));
        assert!(after.contains(
            "jamf_exporter_refresh_errors_total{collector=\"vpp\",reason=\"timeout\"} 1\n"
        ));
        #[cfg(target_os = "linux")]
        assert!(after.contains("\nprocess_open_fds "));
    }

    #[test]
    fn an_error_series_nobody_created_up_front_is_still_shown() {
        let store = Arc::new(SnapshotStore::new(Snapshot::default()));
        let metrics = Metrics::new(store, &[CollectorName::Vpp], Duration::from_secs(300))
            .unwrap_or_else(|e| panic!("{e}"));
        metrics
            .refresh_errors
            .with_label_values(&["ade", "auth"])
            .inc();
        let text = metrics
            .exposition_at(now())
            .unwrap_or_else(|e| panic!("{e}"))
            .text_string();
        assert_eq!(
            without_process_metrics(&text),
            registry_rendering(&metrics, &Snapshot::default())
        );
        assert!(text.contains("{collector=\"ade\",reason=\"auth\"} 1\n"));
    }

    #[test]
    fn no_enabled_collector_means_no_error_family() {
        let store = Arc::new(SnapshotStore::new(Snapshot::default()));
        let metrics =
            Metrics::new(store, &[], Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e}"));
        let text = metrics.encode().unwrap_or_else(|e| panic!("{e}"));
        assert!(!text.contains("jamf_exporter_refresh_errors_total"));
        assert!(text.contains("jamf_exporter_build_info{"));
    }

    fn gunzip(chunks: &[Bytes]) -> String {
        let compressed: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{e}"));
        text
    }

    fn joined(chunks: &[Bytes]) -> String {
        String::from_utf8(chunks.iter().flat_map(|c| c.iter().copied()).collect())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn gzip_decodes_to_the_text_on_every_path() {
        let (store, metrics) = metrics_for(tricky_snapshot());
        for second in [0, 0, 1] {
            let exposition = metrics
                .exposition_at(now() + chrono::TimeDelta::seconds(second))
                .unwrap_or_else(|e| panic!("{e}"));
            let gzip = exposition.gzip().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(gunzip(&gzip), joined(&exposition.text()));
            assert_eq!(joined(&exposition.text()), exposition.text_string());
        }
        metrics
            .refresh_errors
            .with_label_values(&["vpp", "auth"])
            .inc();
        store.publish(Snapshot::default());
        let exposition = metrics
            .exposition_at(now())
            .unwrap_or_else(|e| panic!("{e}"));
        let gzip = exposition.gzip().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(gunzip(&gzip), joined(&exposition.text()));
        assert!(gunzip(&gzip).contains("reason=\"auth\"} 1\n"));
    }

    #[test]
    fn long_and_short_pieces_make_one_valid_gzip_member() {
        let (_, metrics) = metrics_for(Snapshot::default());
        let mut rng = fastrand::Rng::with_seed(7);
        let long: String = (0..200_000)
            .map(|_| char::from(b'a' + rng.u8(0..26)))
            .collect();
        let part = Arc::new(Part {
            snapshot: Weak::new(),
            second: None,
            text: Bytes::from(long.clone()),
            families: Vec::new(),
            deflated: Mutex::new(Vec::new()),
        });
        let exposition = Exposition {
            metrics: &metrics,
            pieces: vec![
                Entry::Live("short\n".to_owned()),
                Entry::Part(part.clone(), 0..150_000),
                Entry::Live(long.clone()),
                Entry::Live(String::new()),
                Entry::Part(part, 150_000..200_000),
            ],
        };
        let expected = format!("short\n{}{long}{}", &long[..150_000], &long[150_000..]);
        for _ in 0..2 {
            let gzip = exposition.gzip().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(gunzip(&gzip), expected);
        }
    }

    #[test]
    fn stored_blocks_split_long_text() {
        let text = vec![b'x'; 150_000];
        let mut stream = Deflated::stored(&text).data.to_vec();
        stream.extend_from_slice(&[0x03, 0x00]);
        let mut decoded = Vec::new();
        flate2::read::DeflateDecoder::new(&stream[..])
            .read_to_end(&mut decoded)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, text);
    }

    #[test]
    fn parts_are_reused_only_for_the_same_snapshot_and_second() {
        let (store, metrics) = metrics_for(tricky_snapshot());
        let parts = |seconds: i64| {
            let exposition = metrics
                .exposition_at(now() + chrono::TimeDelta::milliseconds(seconds))
                .unwrap_or_else(|e| panic!("{e}"));
            drop(exposition);
            let timeless = lock(&metrics.timeless).clone();
            let dated = lock(&metrics.dated).clone();
            (
                timeless.unwrap_or_else(|| panic!("no timeless part")),
                dated.unwrap_or_else(|| panic!("no dated part")),
            )
        };
        let (timeless, dated) = parts(0);
        let (same_timeless, same_dated) = parts(999);
        assert!(Arc::ptr_eq(&timeless, &same_timeless));
        assert!(Arc::ptr_eq(&dated, &same_dated));
        let (next_timeless, next_dated) = parts(1000);
        assert!(Arc::ptr_eq(&timeless, &next_timeless));
        assert!(!Arc::ptr_eq(&dated, &next_dated));
        store.publish(tricky_snapshot());
        let (new_timeless, new_dated) = parts(1000);
        assert!(!Arc::ptr_eq(&timeless, &new_timeless));
        assert!(!Arc::ptr_eq(&next_dated, &new_dated));
    }

    #[test]
    fn days_until_expiry_follow_the_scrape_time() {
        let (_, metrics) = metrics_for(tricky_snapshot());
        let expiry = at(1_770_000_000);
        for days in [0, 1, 40] {
            let scrape = now() + chrono::TimeDelta::days(days);
            let text = metrics
                .exposition_at(scrape)
                .unwrap_or_else(|e| panic!("{e}"))
                .text_string();
            let expected = format!(
                "jamf_ade_token_days_until_expiry{{instance_id=\"1\",instance_name=\"ABM\",server_name=\"MDM {{x=\\\"y\\\"}}\"}} {}\n",
                days_until(expiry, scrape)
            );
            assert!(text.contains(&expected), "{expected} not in {text}");
        }
    }
}

#[cfg(test)]
mod rendering_tests {
    use super::*;
    use crate::snapshot::{AdeInstance, CollectorStatus, HealthCheck, VppLocation};
    use chrono::TimeZone;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .unwrap()
    }

    fn location(id: &str, name: &str) -> VppLocation {
        VppLocation {
            id: id.into(),
            name: name.into(),
            asm_location: name.into(),
            organization: "Lakeview USD".into(),
            country_code: "US".into(),
            site_id: "-1".into(),
            token_expiry: None,
            licenses_purchased: None,
            licenses_used: None,
            last_sync: None,
            client_context_mismatch: None,
        }
    }

    fn text(snapshot: &Snapshot, now: DateTime<Utc>) -> String {
        render_text(snapshot, now)
    }

    #[test]
    fn renders_one_snapshot_with_days_from_the_injected_clock() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let mut healthy = location("1", "Main \"Campus\"\nNorth");
        healthy.token_expiry = Some(at("2026-12-06T12:00:00Z"));
        healthy.licenses_purchased = Some(100.0);
        healthy.licenses_used = Some(40.0);
        healthy.client_context_mismatch = Some(false);
        let unknown = location("2", "Zürich");
        let snapshot = Snapshot {
            up: true,
            refreshes: 1,
            vpp: Some(vec![healthy, unknown].into()),
            ade: Some(
                vec![AdeInstance {
                    id: "7".into(),
                    name: "ASM".into(),
                    server_name: "Jamf".into(),
                    token_expiry: Some(at("2026-11-25T00:00:00Z")),
                    last_sync: None,
                    last_sync_success: Some(false),
                }]
                .into(),
            ),
            healthcheck: Some(HealthCheck { code: 0 }),
            collectors: vec![CollectorStatus {
                success: true,
                duration: std::time::Duration::from_millis(250),
                last_success: Some(now),
                ..CollectorStatus::new(CollectorName::Vpp)
            }],
            ..Snapshot::default()
        };
        let expected = r#"# HELP jamf_ade_last_sync_success 1 when the latest Automated Device Enrollment sync succeeded.
# TYPE jamf_ade_last_sync_success gauge
jamf_ade_last_sync_success{instance_id="7",instance_name="ASM"} 0
# HELP jamf_ade_token_days_until_expiry Days until the Automated Device Enrollment token expires, computed at scrape time; negative once expired.
# TYPE jamf_ade_token_days_until_expiry gauge
jamf_ade_token_days_until_expiry{instance_id="7",instance_name="ASM",server_name="Jamf"} -1.5
# HELP jamf_ade_token_expiry_timestamp_seconds Expiry of the Automated Device Enrollment token (a date, taken as 00:00 UTC), Unix seconds.
# TYPE jamf_ade_token_expiry_timestamp_seconds gauge
jamf_ade_token_expiry_timestamp_seconds{instance_id="7",instance_name="ASM",server_name="Jamf"} 1795564800
# HELP jamf_collector_duration_seconds How long the collector's last refresh took.
# TYPE jamf_collector_duration_seconds gauge
jamf_collector_duration_seconds{collector="vpp"} 0.25
# HELP jamf_collector_last_success_timestamp_seconds When the collector's data was last fresh, Unix seconds.
# TYPE jamf_collector_last_success_timestamp_seconds gauge
jamf_collector_last_success_timestamp_seconds{collector="vpp"} 1795694400
# HELP jamf_collector_success 1 when the collector's last refresh succeeded.
# TYPE jamf_collector_success gauge
jamf_collector_success{collector="vpp"} 1
# HELP jamf_healthcheck_code Jamf Pro /healthCheck.html reading: 0 when healthy, else the healthCode.
# TYPE jamf_healthcheck_code gauge
jamf_healthcheck_code 0
# HELP jamf_up 1 when the last refresh obtained or reused a bearer token and got a successful authenticated answer.
# TYPE jamf_up gauge
jamf_up 1
# HELP jamf_vpp_client_context_mismatch 1 when another MDM server is using this location's token.
# TYPE jamf_vpp_client_context_mismatch gauge
jamf_vpp_client_context_mismatch{location_id="1",location="Main \"Campus\"\nNorth"} 0
# HELP jamf_vpp_licenses_purchased Licences purchased under the location's token (totalPurchasedLicenses).
# TYPE jamf_vpp_licenses_purchased gauge
jamf_vpp_licenses_purchased{location_id="1",location="Main \"Campus\"\nNorth"} 100
# HELP jamf_vpp_licenses_used Licences in use under the location's token (totalUsedLicenses).
# TYPE jamf_vpp_licenses_used gauge
jamf_vpp_licenses_used{location_id="1",location="Main \"Campus\"\nNorth"} 40
# HELP jamf_vpp_location_info Volume Purchasing location; always 1. asm_location is Apple's location name.
# TYPE jamf_vpp_location_info gauge
jamf_vpp_location_info{location_id="1",location="Main \"Campus\"\nNorth",asm_location="Main \"Campus\"\nNorth",organization="Lakeview USD",country_code="US",site_id="-1"} 1
jamf_vpp_location_info{location_id="2",location="Zürich",asm_location="Zürich",organization="Lakeview USD",country_code="US",site_id="-1"} 1
# HELP jamf_vpp_token_days_until_expiry Days until the Volume Purchasing token expires, computed at scrape time; negative once expired.
# TYPE jamf_vpp_token_days_until_expiry gauge
jamf_vpp_token_days_until_expiry{location_id="1",location="Main \"Campus\"\nNorth"} 10
# HELP jamf_vpp_token_expiry_timestamp_seconds Expiry of the location's Volume Purchasing token, Unix seconds.
# TYPE jamf_vpp_token_expiry_timestamp_seconds gauge
jamf_vpp_token_expiry_timestamp_seconds{location_id="1",location="Main \"Campus\"\nNorth"} 1796558400
"#;
        assert_eq!(text(&snapshot, now), expected);
    }

    #[test]
    fn an_empty_snapshot_renders_only_up() {
        let rendered = text(&Snapshot::default(), Utc::now());
        assert!(rendered.contains("jamf_up 0"));
        assert_eq!(rendered.lines().filter(|l| !l.starts_with('#')).count(), 1);
    }

    #[test]
    fn days_go_negative_after_expiry() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let mut expired = location("1", "A");
        expired.token_expiry = Some(at("2026-11-23T00:00:00Z"));
        let snapshot = Snapshot {
            vpp: Some(vec![expired].into()),
            ..Snapshot::default()
        };
        assert!(text(&snapshot, now)
            .contains("jamf_vpp_token_days_until_expiry{location_id=\"1\",location=\"A\"} -3\n"));
    }
}
