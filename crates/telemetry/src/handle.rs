//! The running export: a bounded queue the sessions' taps copy onto, and the one thread that
//! owns the translator and the SDK's providers (built, flushed and shut down there, never on an
//! async runtime's thread, which the blocking HTTP client may not be dropped on).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use gearshift_protocol::Event;
use gearshift_protocol::tap::{Origin, Started, Tap};

use crate::counters::Counters;
use crate::export::Providers;
use crate::settings::{Settings, Signal};
use crate::sink::Sink;
use crate::translate::{Record, Translator};

/// How long the export thread lets start-up have the machine before it builds anything.
const SETTLE: Duration = Duration::from_millis(150);

enum Message {
    Started(Box<(Origin, Started)>),
    /// Boxed whole, so that each of the queue's slots (made up front) is small.
    Event(Box<(Origin, Event, SystemTime)>),
    /// `gearshift telemetry test`'s metric, event and span.
    Probe,
    /// Export what waits now; the outcome of each signal's latest export comes back.
    Flush(Sender<()>),
    Stop(Sender<()>),
}

/// Telemetry, running. Cheap to share: sessions hold it as their [`Tap`].
pub struct Telemetry {
    tx: Sender<Message>,
    counters: Arc<Counters>,
    settings: Settings,
}

impl Telemetry {
    /// Starts the export thread; each signal's exporter is made on its first export, so
    /// nothing here waits for one. One that cannot be made (a bad endpoint) is said as any
    /// export failure is, once.
    pub fn start(settings: Settings) -> Result<Arc<Telemetry>, String> {
        let (tx, rx) = crossbeam_channel::bounded(settings.queue);
        let counters = Arc::new(Counters::default());
        let thread_settings = settings.clone();
        let thread_counters = counters.clone();
        std::thread::Builder::new()
            .name("gearshift-telemetry".into())
            .spawn(move || run(&thread_settings, &thread_counters, &rx))
            .map_err(|e| format!("telemetry: cannot start its thread: {e}"))?;
        Ok(Arc::new(Telemetry {
            tx,
            counters,
            settings,
        }))
    }

    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Exports what waits, waiting at most `wait`; then each signal's latest outcome (`None`:
    /// none yet, or the collector did not answer in time).
    pub fn flush(&self, wait: Duration) -> [Option<Result<(), String>>; 3] {
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let deadline = std::time::Instant::now() + wait;
        if self
            .tx
            .send_deadline(Message::Flush(done_tx), deadline)
            .is_ok()
        {
            let _ = done_rx.recv_deadline(deadline);
        }
        self.counters
            .last
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Sends what waits and stops, waiting at most `wait`: a collector that does not answer
    /// never holds the process. Whether all was sent (or refused) in time.
    pub fn shutdown(&self, wait: Duration) -> bool {
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let deadline = std::time::Instant::now() + wait;
        self.tx
            .send_deadline(Message::Stop(done_tx), deadline)
            .is_ok()
            && done_rx.recv_deadline(deadline).is_ok()
    }

    /// Queues one metric, one event and one span named `gearshift.telemetry.test`.
    pub fn probe(&self) {
        self.queue(Message::Probe);
    }

    fn queue(&self, message: Message) {
        let Err(refused) = self.tx.try_send(message) else {
            return;
        };
        self.counters.queue_full.fetch_add(1, Ordering::Relaxed);
        if let TrySendError::Disconnected(_) = refused {
            self.counters
                .fail_with(|| "telemetry: its export thread stopped; nothing more is sent".into());
            return;
        }
        self.counters.fail_with(|| {
            format!(
                "telemetry: its queue is full ({} events waiting to be exported); what does not \
                 fit is dropped and counted in {}",
                self.settings.queue,
                crate::names::metric::DROPPED
            )
        });
    }
}

/// Whether telemetry makes anything of `event`: checked on the session's path, so streamed
/// text and the context's accounting are never copied.
fn wanted(event: &Event) -> bool {
    matches!(
        event,
        Event::GearChanged { .. }
            | Event::McpStatus { .. }
            | Event::UserMessage { .. }
            | Event::TurnStarted { .. }
            | Event::TurnFinished { .. }
            | Event::Usage {
                request: Some(_),
                ..
            }
            | Event::ToolCall { .. }
            | Event::ToolResult { .. }
            | Event::ModelFellBack { .. }
            | Event::Compacted { .. }
            | Event::FileChanged { .. }
            | Event::ChangeProposed { .. }
            | Event::HunkDecided { .. }
            | Event::ChangeApplied { .. }
            | Event::ChangeWithdrawn { .. }
            | Event::ChangeConflicted { .. }
            | Event::ChangeUndone { .. }
            | Event::CommandApprovalRequested { .. }
            | Event::CommandDecided { .. }
            | Event::StepStatusChanged { .. }
            | Event::PlanEdited { .. }
            | Event::Stage { .. }
            | Event::Shipped { .. }
    )
}

/// `event` without what telemetry never reads — a tool's output, a summary, a provider's
/// words, what is on disk, and a call's arguments unless they may leave — so the copy made on
/// the session's path stays small. (A change's texts stay: its lines are counted off the path.)
fn slim(event: &Event, details: bool) -> Event {
    match event {
        Event::ToolCall { id, name, .. } if !details => Event::ToolCall {
            id: id.clone(),
            name: name.clone(),
            arguments: String::new(),
        },
        Event::ToolResult {
            id,
            ok,
            duration_ms,
            ..
        } => Event::ToolResult {
            id: id.clone(),
            ok: *ok,
            content: String::new(),
            summary: String::new(),
            duration_ms: *duration_ms,
        },
        Event::Compacted {
            through,
            before,
            after,
            ..
        } => Event::Compacted {
            through: *through,
            summary: String::new(),
            before: *before,
            after: *after,
        },
        Event::ModelFellBack { from, to, .. } => Event::ModelFellBack {
            from: from.clone(),
            to: to.clone(),
            reason: String::new(),
        },
        Event::ChangeConflicted { id, .. } => Event::ChangeConflicted {
            id: id.clone(),
            on_disk: None,
        },
        other => other.clone(),
    }
}

impl Tap for Telemetry {
    fn started(&self, origin: &Origin, started: &Started, at: SystemTime) {
        let _ = at;
        self.queue(Message::Started(Box::new((
            origin.clone(),
            started.clone(),
        ))));
    }

    fn event(&self, origin: &Origin, event: &Event, at: SystemTime) {
        if wanted(event) {
            let details = self.settings.options.log_tool_details;
            let queued = (origin.clone(), slim(event, details), at);
            self.queue(Message::Event(Box::new(queued)));
        }
    }

    fn problem(&self) -> Option<String> {
        self.counters.take_problem()
    }
}

/// The export thread: builds the providers (each exporter is made when it first has
/// something to send), then turns what arrives into records until told to stop.
fn run(settings: &Settings, counters: &Arc<Counters>, rx: &Receiver<Message>) {
    // The providers start three threads of the SDK's: not while the workbench draws its first
    // frame on this machine's few cores. What arrives meanwhile waits in the queue.
    std::thread::sleep(SETTLE);
    let providers = Providers::build(settings, counters);
    let mut translator = Translator::new(settings.options);
    let mut sink = Sink::new(&providers);
    let _dropped = dropped_counter(&providers, counters);
    let stop = loop {
        let Ok(message) = rx.recv() else {
            break None;
        };
        let records = match message {
            Message::Started(queued) => translator.started(&queued.0, &queued.1),
            Message::Event(queued) => {
                let (origin, event, at) = *queued;
                translator.event(&origin, &event, at)
            }
            Message::Probe => probe(SystemTime::now()),
            Message::Flush(done) => {
                let _ = providers.flush();
                let _ = done.send(());
                continue;
            }
            Message::Stop(done) => break Some(done),
        };
        for record in records {
            sink.apply(record);
        }
    };
    sink.close_all(SystemTime::now());

    providers.shutdown();
    if let Some(done) = stop {
        let _ = done.send(());
    }
}

/// `gearshift telemetry test`'s records: one of each signal, counted under no session.
fn probe(at: SystemTime) -> Vec<Record> {
    use crate::names::{event, metric, span};
    // An id no translator reaches.
    let id = u64::MAX;
    vec![
        Record::Count {
            name: metric::TEST,
            value: 1,
            attrs: Vec::new(),
        },
        Record::Event {
            name: event::TEST,
            at,
            attrs: Vec::new(),
        },
        Record::Open {
            id,
            parent: None,
            name: span::TEST,
            at,
            attrs: Vec::new(),
        },
        Record::Close {
            id,
            at,
            attrs: Vec::new(),
            failed: false,
        },
    ]
}

/// `gearshift.telemetry.dropped`, read from the counters whenever metrics are collected.
fn dropped_counter(
    providers: &Providers,
    counters: &Arc<Counters>,
) -> opentelemetry::metrics::ObservableCounter<u64> {
    use opentelemetry::metrics::MeterProvider as _;
    let counters = counters.clone();
    providers
        .meter
        .meter(crate::names::SCOPE)
        .u64_observable_counter(crate::names::metric::DROPPED)
        .with_callback(move |observer| {
            for (i, signal) in Signal::ALL.into_iter().enumerate() {
                let mut n = counters.failed[i].load(Ordering::Relaxed);
                if signal == Signal::Logs {
                    n += counters.queue_full.load(Ordering::Relaxed);
                }
                // Nothing dropped, nothing said: an idle session exports nothing at all.
                if n > 0 {
                    let signal = opentelemetry::KeyValue::new("signal", signal.as_str());
                    observer.observe(n, &[signal]);
                }
            }
        })
        .build()
}
