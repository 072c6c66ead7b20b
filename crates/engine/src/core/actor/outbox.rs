//! Events on their way to the front end, every key redacted.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::mpsc;

use crate::protocol::tap::{Origin, Started, Tap};
use crate::protocol::{Event, NoticeLevel};
use crate::tools::Secrets;

/// The front end's side of the core: whatever the core tells it — recorded or not (the
/// commands it offers, a notice, a delta) — has every key redacted on the way, so no printer
/// (`exec --json` in a CI log, say) ever sees one.
pub(super) struct Outbox {
    pub(super) tx: mpsc::UnboundedSender<Event>,
    pub(super) secrets: Secrets,
    /// What else hears every event (telemetry), and this session as it knows it.
    pub(super) tap: Option<(Arc<dyn Tap>, Origin)>,
}

impl Outbox {
    /// Sends `event` (a front end that went away misses it: nothing waits on it). The tap
    /// hears it as the front end does, keys redacted; at a turn's end, what the tap has to say
    /// (once) follows it as a notice.
    pub(super) fn send(&self, event: Event) -> Option<()> {
        let event = scrub(event, &self.secrets);
        if let Some((tap, origin)) = &self.tap {
            tap.event(origin, &event, SystemTime::now());
            // Said in the session the human watches: a subagent's notices reach no one.
            if origin.parent.is_none() && matches!(event, Event::TurnFinished { .. }) {
                let sent = self.tx.send(event).ok();
                if let Some(problem) = tap.problem() {
                    let _ = self.tx.send(Event::Notice {
                        level: NoticeLevel::Warning,
                        text: problem,
                    });
                }
                return sent;
            }
        }
        self.tx.send(event).ok()
    }

    /// Tells the tap the session's actor started.
    pub(super) fn started(&self, started: &Started) {
        if let Some((tap, origin)) = &self.tap {
            tap.started(origin, started, SystemTime::now());
        }
    }
}

/// `event` with every form of a key in its text redacted, before it is recorded, shown or
/// sent: the last net under the tools' own redaction (a hook's words, a notice quoting a
/// command's output, a file the model wrote a key into — whose review then writes the redacted
/// text, the same as the record).
pub(super) fn scrub(event: Event, secrets: &Secrets) -> Event {
    if secrets.is_empty() {
        return event;
    }
    // The usual case — no key anywhere — costs one scan of the event's text.
    if !serde_json::to_string(&event).is_ok_and(|text| secrets.finds(&text)) {
        return event;
    }
    let Ok(mut value) = serde_json::to_value(&event) else {
        return event;
    };
    fn walk(v: &mut serde_json::Value, secrets: &Secrets, found: &mut bool) {
        match v {
            serde_json::Value::String(s) if secrets.finds(s) => {
                *s = secrets.redact(s);
                *found = true;
            }
            serde_json::Value::Array(items) => {
                for i in items {
                    walk(i, secrets, found);
                }
            }
            serde_json::Value::Object(fields) => {
                for (_, f) in fields.iter_mut() {
                    walk(f, secrets, found);
                }
            }
            _ => {}
        }
    }
    let mut found = false;
    walk(&mut value, secrets, &mut found);
    if !found {
        return event;
    }
    serde_json::from_value(value).unwrap_or(event)
}
