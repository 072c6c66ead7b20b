//! An OTLP exporter built on its first export and counted at every one: until a signal has
//! something to send, its HTTP client (or gRPC runtime) costs the process nothing — an idle
//! session with telemetry on holds no connection, certificate or runtime — and what a collector
//! refused or never answered is counted as dropped, its first failure kept to be said once,
//! the latest outcome kept for `gearshift telemetry test`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use crate::counters::Counters;
use crate::settings::Signal;

/// How an exporter is made, when it is first needed.
pub(crate) type Make<E> = Box<dyn FnOnce() -> Result<E, String> + Send>;

pub(crate) struct Counted<E> {
    make: Mutex<Option<Make<E>>>,
    made: OnceLock<Result<E, String>>,
    signal: Signal,
    endpoint: String,
    counters: Arc<Counters>,
    /// The metrics' temporality, said to the reader before any exporter is made.
    temporality: Temporality,
}

impl<E> std::fmt::Debug for Counted<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counted")
            .field("signal", &self.signal)
            .finish_non_exhaustive()
    }
}

impl<E> Counted<E> {
    pub(crate) fn new(
        make: Make<E>,
        signal: Signal,
        endpoint: String,
        counters: Arc<Counters>,
        temporality: Temporality,
    ) -> Self {
        Counted {
            make: Mutex::new(Some(make)),
            made: OnceLock::new(),
            signal,
            endpoint,
            counters,
            temporality,
        }
    }

    /// The exporter, made now if it was not.
    fn exporter(&self) -> Result<&E, OTelSdkError> {
        let made = self.made.get_or_init(|| {
            let make = self.make.lock().ok().and_then(|mut m| m.take());
            make.map_or_else(
                || Err("its exporter was already tried".into()),
                |make| make(),
            )
        });
        made.as_ref()
            .map_err(|e| OTelSdkError::InternalFailure(e.clone()))
    }

    /// The exporter, if one was made.
    fn made(&self) -> Option<&E> {
        self.made.get().and_then(|m| m.as_ref().ok())
    }

    /// Runs `export` on the exporter (made now if it was not), and counts its outcome for `n`
    /// records.
    async fn counted<'a, F>(&'a self, n: u64, export: impl FnOnce(&'a E) -> F) -> OTelSdkResult
    where
        F: Future<Output = OTelSdkResult>,
    {
        let result = match self.exporter() {
            Ok(e) => export(e).await,
            Err(e) => Err(e),
        };
        self.counters
            .outcome(self.signal, n, &result, &self.endpoint);
        result
    }
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        self.counted(n, |e| e.export(batch)).await
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.made()
            .map_or(Ok(()), |e| e.shutdown_with_timeout(timeout))
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.made().map_or(Ok(()), SpanExporter::force_flush)
    }
}

impl<E: LogExporter> LogExporter for Counted<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count() as u64;
        self.counted(n, |e| e.export(batch)).await
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.made()
            .map_or(Ok(()), |e| e.shutdown_with_timeout(timeout))
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Counted<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        self.counted(1, |e| e.export(metrics)).await
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.made().map_or(Ok(()), PushMetricExporter::force_flush)
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.made()
            .map_or(Ok(()), |e| e.shutdown_with_timeout(timeout))
    }
    fn temporality(&self) -> Temporality {
        self.temporality
    }
}

/// Applies the provider's resource to an exporter as it is made (the SDK sets it on the
/// wrapper before any exporter exists).
pub(crate) fn with_resource<E: 'static>(
    make: impl FnOnce() -> Result<E, String> + Send + 'static,
    resource: Resource,
    set: fn(&mut E, &Resource),
) -> Make<E> {
    Box::new(move || {
        let mut e = make()?;
        set(&mut e, &resource);
        Ok(e)
    })
}
