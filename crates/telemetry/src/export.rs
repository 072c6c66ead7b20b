//! The OpenTelemetry SDK's providers, each with an OTLP exporter for its signal's protocol
//! ([`Counted`]: made on its first export, counted at every one). The HTTP exporters share one
//! client, and the gRPC ones one runtime for their connections, each made when first needed.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _, WithTonicConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::logs::{LogExporter as _, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter as _};

use crate::counted::{Counted, with_resource};
use crate::counters::Counters;
use crate::settings::{Protocol, Settings, Signal};

/// The SDK's batch queues, spans and events, unless `OTEL_BSP_MAX_QUEUE_SIZE` (spans) or
/// `OTEL_BLRP_MAX_QUEUE_SIZE` (events) say: its default (2,048) preallocates about a megabyte
/// for what a session makes in a minute (a turn of 50 tool calls is about 100 spans). Its
/// default batch, 512, still fits.
const QUEUE: usize = 512;

/// What the exporters share, made when the first needs it.
struct Shared {
    settings: Settings,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
    /// gRPC's connections live on a runtime of their own: one thread, off every session's.
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl Shared {
    fn client(&self) -> Result<reqwest::blocking::Client, String> {
        self.client
            .get_or_init(|| {
                let mut builder =
                    reqwest::blocking::Client::builder().timeout(self.settings.timeout);
                // Plain HTTP to a collector needs no certificates: the platform's root store (a
                // megabyte and more, parsed) is read only for https.
                let s = &self.settings;
                let tls = (0..3).any(|i| {
                    s.exported[i]
                        && s.protocols[i] != Protocol::Grpc
                        && s.endpoints[i]
                            .trim()
                            .to_ascii_lowercase()
                            .starts_with("https:")
                });
                if !tls {
                    builder = builder.tls_certs_only(std::iter::empty());
                }
                builder
                    .build()
                    .map_err(|e| format!("cannot make its HTTP client: {e}"))
            })
            .clone()
    }

    /// Runs `f` inside the gRPC runtime, starting it if it was not.
    fn in_runtime<T>(&self, f: impl FnOnce() -> T) -> Result<T, String> {
        let mut runtime = self
            .runtime
            .lock()
            .map_err(|_| "its runtime's lock is poisoned".to_string())?;
        if runtime.is_none() {
            let made = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("gearshift-telemetry-io")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start its runtime: {e}"))?;
            *runtime = Some(made);
        }
        let runtime = runtime.as_ref().ok_or("no runtime")?;
        let _inside = runtime.enter();
        Ok(f())
    }
}

/// What every exporter is counted with.
struct Wrap<'a> {
    settings: &'a Settings,
    counters: &'a Arc<Counters>,
    temporality: Temporality,
}

impl Wrap<'_> {
    fn counted<E>(&self, make: crate::counted::Make<E>, signal: Signal) -> Counted<E> {
        let endpoint = self.settings.endpoint(signal);
        Counted::new(
            make,
            signal,
            endpoint,
            self.counters.clone(),
            self.temporality,
        )
    }
}

/// The three providers.
pub struct Providers {
    pub tracer: SdkTracerProvider,
    pub meter: SdkMeterProvider,
    pub logger: SdkLoggerProvider,
    shared: Arc<Shared>,
}

fn build_error(signal: Signal, e: impl std::fmt::Display) -> String {
    format!("telemetry: cannot export {}: {e}", signal.as_str())
}

/// How the OTLP exporter `$builder` is made for `$signal`'s protocol, when first needed.
macro_rules! maker {
    ($builder:expr, $signal:expr, $shared:expr) => {{
        let shared = $shared.clone();
        move || {
            let builder = $builder;
            let http = |protocol| -> Result<_, String> {
                Ok(builder
                    .clone()
                    .with_http()
                    .with_protocol(protocol)
                    .with_http_client(shared.client()?)
                    .build())
            };
            let built = match shared.settings.protocols[$signal as usize] {
                Protocol::Grpc => shared.in_runtime(|| {
                    let tonic = builder.clone().with_tonic();
                    // tonic trusts no certificate unless told to: an https collector is
                    // checked against the platform's roots.
                    if shared.settings.endpoints[$signal as usize]
                        .trim()
                        .to_ascii_lowercase()
                        .starts_with("https:")
                    {
                        let tls =
                            opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new()
                                .with_native_roots();
                        tonic.with_tls_config(tls).build()
                    } else {
                        tonic.build()
                    }
                })?,
                Protocol::HttpProtobuf => http(opentelemetry_otlp::Protocol::HttpBinary)?,
                Protocol::HttpJson => http(opentelemetry_otlp::Protocol::HttpJson)?,
            };
            // The library's words may quote the endpoint as given, credentials and all.
            let raw = shared.settings.endpoints[$signal as usize].clone();
            let shown = shared.settings.endpoint($signal);
            built.map_err(|e| build_error($signal, e).replace(&raw, &shown))
        }
    }};
}

impl Providers {
    /// Builds the providers; no exporter is made until it has something to send.
    #[must_use]
    pub fn build(settings: &Settings, counters: &Arc<Counters>) -> Providers {
        let resource = Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        let shared = Arc::new(Shared {
            settings: settings.clone(),
            client: OnceLock::new(),
            runtime: Mutex::new(None),
        });
        let temporality = if settings.delta {
            Temporality::Delta
        } else {
            Temporality::Cumulative
        };
        let wrap = Wrap {
            settings,
            counters,
            temporality,
        };
        let on = |signal: Signal| settings.exported[signal as usize];
        // A signal that is off gets a provider with no exporter: what it records goes nowhere.
        let mut tracer = SdkTracerProvider::builder().with_resource(resource.clone());
        if on(Signal::Traces) {
            let make = maker!(
                opentelemetry_otlp::SpanExporter::builder(),
                Signal::Traces,
                shared
            );
            let make = with_resource(make, resource.clone(), |e, r| e.set_resource(r));
            let mut config = opentelemetry_sdk::trace::BatchConfigBuilder::default();
            if !settings.own_queues[Signal::Traces as usize] {
                config = config.with_max_queue_size(QUEUE);
            }
            let processor = opentelemetry_sdk::trace::BatchSpanProcessor::builder(
                wrap.counted(make, Signal::Traces),
            )
            .with_batch_config(config.build())
            .build();
            tracer = tracer.with_span_processor(processor);
        }
        let mut logger = SdkLoggerProvider::builder().with_resource(resource.clone());
        if on(Signal::Logs) {
            let make = maker!(
                opentelemetry_otlp::LogExporter::builder(),
                Signal::Logs,
                shared
            );
            let make = with_resource(make, resource.clone(), |e, r| e.set_resource(r));
            let mut config = opentelemetry_sdk::logs::BatchConfigBuilder::default();
            if !settings.own_queues[Signal::Logs as usize] {
                config = config.with_max_queue_size(QUEUE);
            }
            let processor = opentelemetry_sdk::logs::BatchLogProcessor::builder(
                wrap.counted(make, Signal::Logs),
            )
            .with_batch_config(config.build())
            .build();
            logger = logger.with_log_processor(processor);
        }
        let mut meter = SdkMeterProvider::builder().with_resource(resource);
        if on(Signal::Metrics) {
            let make = maker!(
                opentelemetry_otlp::MetricExporter::builder().with_temporality(temporality),
                Signal::Metrics,
                shared
            );
            let exporter = wrap.counted(Box::new(make), Signal::Metrics);
            meter = meter.with_reader(PeriodicReader::builder(exporter).build());
        }
        Providers {
            tracer: tracer.build(),
            meter: meter.build(),
            logger: logger.build(),
            shared,
        }
    }

    /// Sends what waits, then stops; each provider's own limit bounds how long. The three at
    /// once, so that the end of a run waits for the slowest, not their sum. Then the gRPC
    /// runtime, if one was started, stops.
    pub fn shutdown(&self) {
        let limit = Duration::from_secs(2);
        std::thread::scope(|s| {
            s.spawn(|| self.tracer.shutdown_with_timeout(limit));
            s.spawn(|| self.logger.shutdown_with_timeout(limit));
            s.spawn(|| self.meter.shutdown_with_timeout(limit));
        });
        if let Some(runtime) = self.shared.runtime.lock().ok().and_then(|mut r| r.take()) {
            runtime.shutdown_background();
        }
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
