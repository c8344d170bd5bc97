//! The Prometheus text exposition format (version 0.0.4), written directly.

use std::fmt::Write as _;

use super::families::Family;

/// Where the families of a snapshot go: the text writer, or a test's reference.
pub trait Sink {
    /// One family with its samples, label values in the family's label order.
    fn family<'a, const N: usize>(
        &mut self,
        family: &Family<N>,
        samples: impl IntoIterator<Item = ([&'a str; N], f64)>,
    );
}

/// Writes families one after the other into one text.
pub struct TextWriter<'h> {
    out: String,
    /// Appended to the help of families whose values are cached between refreshes.
    cached_help: &'h str,
}

impl<'h> TextWriter<'h> {
    pub fn new(capacity: usize, cached_help: &'h str) -> TextWriter<'h> {
        TextWriter {
            out: String::with_capacity(capacity),
            cached_help,
        }
    }

    /// Text already in the exposition format (from the prometheus crate's encoder).
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub fn finish(self) -> String {
        self.out
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
