//! The Prometheus text exposition format (version 0.0.4), written directly.

use std::fmt::Write as _;

use bytes::Bytes;

use super::families::Family;

/// The size of the pieces an exposition is written in. A large exposition (12 MB at 200
/// locations with 200 apps each) written as one buffer is one large allocation per
/// rendering, which glibc serves from its heaps once its dynamic mmap threshold has
/// grown, and the heaps then fragment; pieces of this size are reused from one rendering
/// to the next instead.
const CHUNK: usize = 64 * 1024;

/// Where the families of a snapshot go: the text writer, or a test's reference.
pub trait Sink {
    /// One family with its samples, label values in the family's label order.
    fn family<'a, const N: usize>(
        &mut self,
        family: &Family<N>,
        samples: impl IntoIterator<Item = ([&'a str; N], f64)>,
    );
}

/// Writes families one after the other, in pieces of about `CHUNK` bytes.
pub struct TextWriter<'h> {
    done: Vec<Bytes>,
    out: String,
    /// Appended to the help of families whose values are cached between refreshes.
    cached_help: &'h str,
}

impl<'h> TextWriter<'h> {
    pub fn new(cached_help: &'h str) -> TextWriter<'h> {
        TextWriter {
            done: Vec::new(),
            out: String::with_capacity(CHUNK),
            cached_help,
        }
    }

    /// Text already in the exposition format (from the prometheus crate's encoder).
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
        self.end_piece_if_full();
    }

    /// The text, in pieces to be sent one after the other.
    pub fn finish(mut self) -> Vec<Bytes> {
        if !self.out.is_empty() {
            self.done.push(Bytes::from(self.out));
        }
        self.done
    }

    /// Starts a new piece once the current one is full; lines are never split.
    fn end_piece_if_full(&mut self) {
        if self.out.len() >= CHUNK {
            let full = std::mem::replace(&mut self.out, String::with_capacity(CHUNK + CHUNK / 8));
            self.done.push(Bytes::from(full));
        }
    }

    fn header<const N: usize>(&mut self, family: &Family<N>) {
        let out = &mut self.out;
        out.push_str("# HELP ");
        out.push_str(family.name);
        out.push(' ');
        escape_into(out, family.help, false);
        if family.cached {
            escape_into(out, self.cached_help, false);
        }
        out.push_str("\n# TYPE ");
        out.push_str(family.name);
        out.push(' ');
        out.push_str(family.kind.as_str());
        out.push('\n');
    }

    fn sample<const N: usize>(&mut self, family: &Family<N>, labels: &[&str; N], value: f64) {
        let out = &mut self.out;
        out.push_str(family.name);
        for (index, (name, value)) in family.labels.iter().zip(labels).enumerate() {
            out.push(if index == 0 { '{' } else { ',' });
            out.push_str(name);
            out.push_str("=\"");
            escape_into(out, value, true);
            out.push('"');
        }
        if N > 0 {
            out.push('}');
        }
        // Rust's shortest round-trip form, as the prometheus crate's encoder writes it.
        let _ = writeln!(out, " {value}");
        self.end_piece_if_full();
    }
}

impl Sink for TextWriter<'_> {
    /// A family without samples is left out, as a registry's gather leaves it out; a
    /// sample whose value is not finite is left out too, since no reading of Jamf's is
    /// NaN or infinite.
    fn family<'a, const N: usize>(
        &mut self,
        family: &Family<N>,
        samples: impl IntoIterator<Item = ([&'a str; N], f64)>,
    ) {
        let mut header_written = false;
        for (labels, value) in samples {
            if !value.is_finite() {
                continue;
            }
            if !header_written {
                self.header(family);
                header_written = true;
            }
            self.sample(family, &labels, value);
        }
    }
}

/// Text-format escaping: backslash and newline always, double quotes in label values.
pub fn escape_into(out: &mut String, text: &str, label_value: bool) {
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
