//! Records handed to the OpenTelemetry SDK: counters and histograms by name, events as log
//! records, spans kept open by the translator's ids until they end.

use std::collections::HashMap;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::{Counter, Histogram, Meter, MeterProvider as _};
use opentelemetry::trace::{Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::logs::SdkLogger;
use opentelemetry_sdk::trace::SdkTracer;

use crate::export::Providers;
use crate::names::SCOPE;
use crate::translate::Record;

/// Spans open at once, beyond which the oldest is ended: a session that stopped without ending
/// its turn leaves it open, and nothing may grow without bound.
const MAX_OPEN: usize = 4096;

pub struct Sink {
    meter: Meter,
    logger: SdkLogger,
    tracer: SdkTracer,
    counters: HashMap<&'static str, Counter<u64>>,
    dollars: HashMap<&'static str, Counter<f64>>,
    histograms: HashMap<&'static str, Histogram<u64>>,
    open: HashMap<u64, Context>,
}

impl Sink {
    #[must_use]
    pub fn new(providers: &Providers) -> Sink {
        Sink {
            meter: providers.meter.meter(SCOPE),
            logger: providers.logger.logger(SCOPE),
            tracer: providers.tracer.tracer(SCOPE),
            counters: HashMap::new(),
            dollars: HashMap::new(),
            histograms: HashMap::new(),
            open: HashMap::new(),
        }
    }

    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Count { name, value, attrs } => {
                let meter = &self.meter;
                let unit = if name.ends_with("token.usage") {
                    "tokens"
                } else {
                    "1"
                };
                self.counters
                    .entry(name)
                    .or_insert_with(|| meter.u64_counter(name).with_unit(unit).build())
                    .add(value, &attrs);
            }
            Record::Dollars { name, value, attrs } => {
                let meter = &self.meter;
                self.dollars
                    .entry(name)
                    .or_insert_with(|| meter.f64_counter(name).with_unit("USD").build())
                    .add(value, &attrs);
            }
            Record::Millis { name, value, attrs } => {
                let meter = &self.meter;
                self.histograms
                    .entry(name)
                    .or_insert_with(|| meter.u64_histogram(name).with_unit("ms").build())
                    .record(value, &attrs);
            }
            Record::Event { name, at, attrs } => {
                let mut record = self.logger.create_log_record();
                record.set_event_name(name);
                record.set_timestamp(at);
                record.set_observed_timestamp(at);
                record.set_severity_number(Severity::Info);
                record.set_body(AnyValue::from(name));
                record.add_attribute("event.name", name);
                record.add_attributes(attrs.into_iter().map(|kv| (kv.key, any(kv.value))));
                self.logger.emit(record);
            }
            Record::Open {
                id,
                parent,
                name,
                at,
                attrs,
            } => {
                if self.open.len() >= MAX_OPEN
                    && let Some(oldest) = self.open.keys().min().copied()
                {
                    self.close(oldest, at, Vec::new(), false);
                }
                let parent = parent
                    .and_then(|p| self.open.get(&p).cloned())
                    .unwrap_or_default();
                let span = self
                    .tracer
                    .span_builder(name)
                    .with_start_time(at)
                    .with_attributes(attrs)
                    .start_with_context(&self.tracer, &parent);
                self.open.insert(id, parent.with_span(span));
            }
            Record::Close {
                id,
                at,
                attrs,
                failed,
            } => self.close(id, at, attrs, failed),
        }
    }

    fn close(&mut self, id: u64, at: std::time::SystemTime, attrs: Vec<KeyValue>, failed: bool) {
        if let Some(cx) = self.open.remove(&id) {
            let span = cx.span();
            span.set_attributes(attrs);
            if failed {
                span.set_status(Status::error("failed"));
            }
            span.end_with_timestamp(at);
        }
    }

    /// Ends every span still open (the process is ending).
    pub fn close_all(&mut self, at: std::time::SystemTime) {
        let ids: Vec<u64> = self.open.keys().copied().collect();
        for id in ids {
            self.close(id, at, Vec::new(), false);
        }
    }
}

/// An attribute's value as a log record holds it.
fn any(value: opentelemetry::Value) -> AnyValue {
    match value {
        opentelemetry::Value::Bool(b) => AnyValue::Boolean(b),
        opentelemetry::Value::I64(i) => AnyValue::Int(i),
        opentelemetry::Value::F64(f) => AnyValue::Double(f),
        other => AnyValue::String(other.as_str().into_owned().into()),
    }
}
