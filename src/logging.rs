//! Log output in logfmt or JSON, as Prometheus exporters write it: every line carries
//! `ts`, `level` and `msg`, then the event's fields.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
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
        .event_format(LineFormat { format })
        .try_init();
}

pub struct LineFormat {
    pub format: LogFormat,
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
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
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

fn logfmt_line(ts: &str, level: &str, fields: &Fields) -> String {
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

fn json_line(ts: &str, level: &str, fields: &Fields) -> String {
    let mut object = serde_json::Map::new();
    object.insert("ts".into(), ts.into());
    object.insert("level".into(), level.into());
    object.insert("msg".into(), fields.message.clone().into());
    for (name, value) in &fields.pairs {
        object.insert((*name).to_owned(), value.clone().into());
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            message: "refresh finished".to_owned(),
            pairs: vec![
                ("collector", "vpp".to_owned()),
                ("error", "bad \"thing\"\nhere".to_owned()),
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
