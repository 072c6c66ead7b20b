//! The OpenTelemetry SDK's providers, each with an OTLP exporter for its signal's protocol,
//! wrapped so that every export's outcome is known: what a collector refused or never
//! answered is counted as dropped, its first failure kept to be said once, and the latest
//! outcome of each signal kept for `gearshift telemetry test`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};

use crate::settings::{Protocol, Settings, Signal};

/// What export has dropped and said, shared by the exporters and the handle.
#[derive(Default)]
pub struct Counters {
    /// By signal, in [`Signal::ALL`]'s order: records a collector did not take.
    pub failed: [AtomicU64; 3],
    /// Events the queue to the export thread had no room for.
    pub queue_full: AtomicU64,
    /// The first failure, until it is said.
    problem: Mutex<Option<String>>,
    said: AtomicBool,
    /// By signal: the latest export's outcome (`None`: none yet).
    pub last: Mutex<[Option<Result<(), String>>; 3]>,
}

impl Counters {
    /// Keeps `why` to be said, when nothing has been said yet.
    pub fn fail(&self, why: String) {
        self.fail_with(|| why);
    }

    /// [`Counters::fail`], making the words only when they will be said.
    pub fn fail_with(&self, why: impl FnOnce() -> String) {
        if !self.said.swap(true, Ordering::SeqCst)
            && let Ok(mut p) = self.problem.lock()
        {
            *p = Some(why());
        }
    }

    /// The first failure, once.
    pub fn take_problem(&self) -> Option<String> {
        self.problem.lock().ok()?.take()
    }

    fn outcome(&self, signal: Signal, n: u64, result: &OTelSdkResult, endpoint: &str) {
        let i = signal as usize;
        if let Err(e) = result {
            self.failed[i].fetch_add(n, Ordering::Relaxed);
            self.fail(format!(
                "telemetry: the collector ({endpoint}) did not take {}: {e}; what it does not \
                 take is dropped and counted in {}",
                signal.as_str(),
                crate::names::metric::DROPPED
            ));
        }
        if let Ok(mut last) = self.last.lock() {
            last[i] = Some(result.as_ref().map(|_| ()).map_err(ToString::to_string));
        }
    }
}

/// An exporter whose every outcome is counted.
#[derive(Debug)]
struct Counted<E> {
    inner: E,
    signal: Signal,
    endpoint: String,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters").finish_non_exhaustive()
    }
}

impl<E> Counted<E> {
    fn new(inner: E, (signal, endpoint, counters): (Signal, String, Arc<Counters>)) -> Self {
        Counted {
            inner,
            signal,
            endpoint,
            counters,
        }
    }
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        self.counters
            .outcome(self.signal, n, &result, &self.endpoint);
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: LogExporter> LogExporter for Counted<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count() as u64;
        let result = self.inner.export(batch).await;
        self.counters
            .outcome(self.signal, n, &result, &self.endpoint);
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Counted<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        self.counters
            .outcome(self.signal, 1, &result, &self.endpoint);
        result
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

/// The SDK's batch queues, spans and events, unless `OTEL_BSP_MAX_QUEUE_SIZE` or
/// `OTEL_BLRP_MAX_QUEUE_SIZE` say: its default (2,048) preallocates about a megabyte for
/// what a session makes in a minute (a turn of 50 tool calls is about 100 spans).
const QUEUE: usize = 512;

/// The three providers.
pub struct Providers {
    pub tracer: SdkTracerProvider,
    pub meter: SdkMeterProvider,
    pub logger: SdkLoggerProvider,
}

fn build_error(signal: Signal, e: impl std::fmt::Display) -> String {
    format!("telemetry: cannot export {}: {e}", signal.as_str())
}

/// The OTLP exporter `$builder` makes for `$signal`'s protocol; HTTP ones share `$http`, one
/// client (one connection pool, one TLS configuration) for the three signals.
macro_rules! exporter {
    ($builder:expr, $settings:expr, $signal:expr, $http:expr) => {{
        let i = $signal as usize;
        let builder = $builder;
        let http = |protocol| {
            let b = builder.clone().with_http().with_protocol(protocol);
            match $http {
                Some(client) => b.with_http_client(client.clone()),
                None => b,
            }
        };
        match $settings.protocols[i] {
            Protocol::Grpc => builder.with_tonic().build(),
            Protocol::HttpProtobuf => http(opentelemetry_otlp::Protocol::HttpBinary).build(),
            Protocol::HttpJson => http(opentelemetry_otlp::Protocol::HttpJson).build(),
        }
        .map_err(|e| build_error($signal, e))?
    }};
}

impl Providers {
    /// Builds the providers; a gRPC exporter needs to be built inside `runtime`, whose
    /// threads carry its connections (none is needed without one); HTTP exporters send
    /// through `http`.
    pub fn build(
        settings: &Settings,
        counters: &Arc<Counters>,
        runtime: Option<&tokio::runtime::Runtime>,
        http: Option<&reqwest::blocking::Client>,
    ) -> Result<Providers, String> {
        let resource = Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        let _inside = runtime.map(tokio::runtime::Runtime::enter);
        let counted = |signal: Signal| (signal, settings.endpoint(signal), counters.clone());
        let on = |signal: Signal| settings.exported[signal as usize];
        // A signal that is off gets a provider with no exporter: what it records goes nowhere.
        let mut tracer = SdkTracerProvider::builder().with_resource(resource.clone());
        if on(Signal::Traces) {
            let spans = exporter!(
                opentelemetry_otlp::SpanExporter::builder(),
                settings,
                Signal::Traces,
                http
            );
            let exporter = Counted::new(spans, counted(Signal::Traces));
            let mut config = opentelemetry_sdk::trace::BatchConfigBuilder::default();
            if !settings.own_queues {
                config = config
                    .with_max_queue_size(QUEUE)
                    .with_max_export_batch_size(QUEUE);
            }
            let processor = opentelemetry_sdk::trace::BatchSpanProcessor::builder(exporter)
                .with_batch_config(config.build())
                .build();
            tracer = tracer.with_span_processor(processor);
        }
        let mut logger = SdkLoggerProvider::builder().with_resource(resource.clone());
        if on(Signal::Logs) {
            let logs = exporter!(
                opentelemetry_otlp::LogExporter::builder(),
                settings,
                Signal::Logs,
                http
            );
            let exporter = Counted::new(logs, counted(Signal::Logs));
            let mut config = opentelemetry_sdk::logs::BatchConfigBuilder::default();
            if !settings.own_queues {
                config = config
                    .with_max_queue_size(QUEUE)
                    .with_max_export_batch_size(QUEUE);
            }
            let processor = opentelemetry_sdk::logs::BatchLogProcessor::builder(exporter)
                .with_batch_config(config.build())
                .build();
            logger = logger.with_log_processor(processor);
        }
        let mut meter = SdkMeterProvider::builder().with_resource(resource);
        if on(Signal::Metrics) {
            let temporality = if settings.delta {
                Temporality::Delta
            } else {
                Temporality::Cumulative
            };
            let metrics = exporter!(
                opentelemetry_otlp::MetricExporter::builder().with_temporality(temporality),
                settings,
                Signal::Metrics,
                http
            );
            let exporter = Counted::new(metrics, counted(Signal::Metrics));
            meter = meter.with_reader(PeriodicReader::builder(exporter).build());
        }
        let (tracer, logger, meter) = (tracer.build(), logger.build(), meter.build());
        Ok(Providers {
            tracer,
            meter,
            logger,
        })
    }

    /// Sends what waits, then stops; each provider's own limit bounds how long.
    /// The three at once, so that the end of a run waits for the slowest, not their sum.
    pub fn shutdown(&self) {
        let limit = Duration::from_secs(2);
        std::thread::scope(|s| {
            s.spawn(|| self.tracer.shutdown_with_timeout(limit));
            s.spawn(|| self.logger.shutdown_with_timeout(limit));
            s.spawn(|| self.meter.shutdown_with_timeout(limit));
        });
    }

    /// Sends what waits now, saying how each signal went.
    pub fn flush(&self) -> [Result<(), OTelSdkError>; 3] {
        [
            self.tracer.force_flush(),
            self.meter.force_flush(),
            self.logger.force_flush(),
        ]
    }
}
