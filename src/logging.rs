//! Log output in logfmt or JSON, as Prometheus exporters write it: every line carries
//! `ts`, `level` and `msg`, then the event's fields.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::config::{LogFormat, LogLevel};

/// Installs the global subscriber. Safe to call more than once (tests): later calls do nothing.
pub fn init(level: LogLevel, format: LogFormat) {
    let max = match level {
        LogLevel::Debug => Level::DEBUG,
        LogLevel::Info => Level::INFO,
        LogLevel::Warn => Level::WARN,
        LogLevel::Error => Level::ERROR,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(max)
        .with_writer(std::io::stderr)
        .fmt_fields(SpanFields)
        .event_format(LineFormat { format })
        .try_init();
}

pub struct LineFormat {
    pub format: LogFormat,
}

/// Stores a span's fields as a JSON object, so that every event inside the span (a
/// target's refresh) can repeat them: `target=lakeview` on each of its lines.
pub struct SpanFields;

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visited = Fields::default();
        fields.record(&mut visited);
        let object: serde_json::Map<String, serde_json::Value> = visited
            .pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.into()))
            .collect();
        write!(writer, "{}", serde_json::Value::Object(object))
    }
}

/// The fields of the spans an event happens in, outermost first.
fn span_pairs<S, N>(ctx: &FmtContext<'_, S, N>) -> Vec<(String, String)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let mut pairs = Vec::new();
    let Some(scope) = ctx.event_scope() else {
        return pairs;
    };
    for span in scope.from_root() {
        let extensions = span.extensions();
        let Some(stored) = extensions.get::<FormattedFields<N>>() else {
            continue;
        };
        if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(stored.as_str()) {
            for (name, value) in object {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                };
                pairs.push((name, text));
            }
        }
    }
    pairs
}

/// Collects an event's fields as (name, value) text pairs.
#[derive(Default)]
struct Fields {
    message: String,
    pairs: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.pairs.push((field.name(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.pairs.push((field.name(), text));
        }
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut pairs = span_pairs(ctx);
        // An event's own field wins over a span's of the same name.
        pairs.retain(|(name, _)| !fields.pairs.iter().any(|(own, _)| own == name));
        pairs.extend(
            fields
                .pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        let fields = Line {
            message: fields.message,
            pairs,
        };
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        let line = match self.format {
            LogFormat::Logfmt => logfmt_line(&ts, &level, &fields),
            LogFormat::Json => json_line(&ts, &level, &fields),
        };
        writeln!(writer, "{line}")
    }
}

fn logfmt_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && c != '"' && c != '=' && c != '\\' && !c.is_control());
    if plain {
        value.to_owned()
    } else {
        let mut quoted = String::with_capacity(value.len() + 2);
        quoted.push('"');
        for c in value.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\n' => quoted.push_str("\\n"),
                '\r' => quoted.push_str("\\r"),
                '\t' => quoted.push_str("\\t"),
                c if c.is_control() => quoted.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    }
}

/// One line's message and fields, spans' first.
struct Line {
    message: String,
    pairs: Vec<(String, String)>,
}

fn logfmt_line(ts: &str, level: &str, fields: &Line) -> String {
    let mut line = format!(
        "ts={ts} level={level} msg={}",
        logfmt_value(&fields.message)
    );
    for (name, value) in &fields.pairs {
        line.push(' ');
        line.push_str(name);
        line.push('=');
        line.push_str(&logfmt_value(value));
    }
    line
}

fn json_line(ts: &str, level: &str, fields: &Line) -> String {
    let mut object = serde_json::Map::new();
    object.insert("ts".into(), ts.into());
    object.insert("level".into(), level.into());
    object.insert("msg".into(), fields.message.clone().into());
    for (name, value) in &fields.pairs {
        object.insert(name.clone(), value.clone().into());
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Line {
        Line {
            message: "refresh finished".to_owned(),
            pairs: vec![
                ("collector".to_owned(), "vpp".to_owned()),
                ("error".to_owned(), "bad \"thing\"\nhere".to_owned()),
            ],
        }
    }

    #[test]
    fn logfmt_lines_quote_what_needs_it() {
        assert_eq!(
            logfmt_line("T", "info", &fields()),
            r#"ts=T level=info msg="refresh finished" collector=vpp error="bad \"thing\"\nhere""#
        );
    }

    #[test]
    fn json_lines_carry_level_and_msg() {
        let line = json_line("T", "warn", &fields());
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(value["level"], "warn");
        assert_eq!(value["msg"], "refresh finished");
        assert_eq!(value["collector"], "vpp");
    }
}

#[cfg(test)]
mod span_tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .fmt_fields(SpanFields)
            .event_format(LineFormat { format })
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("target", target = "lakeview");
            let _inside = span.enter();
            tracing::warn!(collector = "vpp", "authentication failed");
        });
        let bytes = capture.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn lines_inside_a_target_span_name_the_target_in_logfmt() {
        let line = logged(LogFormat::Logfmt);
        assert!(
            line.contains("msg=\"authentication failed\" target=lakeview collector=vpp"),
            "{line}"
        );
    }

    #[test]
    fn lines_inside_a_target_span_name_the_target_in_json() {
        let line = logged(LogFormat::Json);
        let value: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(value["target"], "lakeview");
        assert_eq!(value["collector"], "vpp");
    }
}
