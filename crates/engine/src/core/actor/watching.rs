//! The hooks that only watch (a gate reached, a stage started or passed, a change applied):
//! told what was recorded, they run beside the session; their runs come back on a channel and
//! what they say reaches the model before its next request, which waits for them.

use serde_json::Value;

use super::activity::Activity;
use super::{Actor, watched};
use crate::core::machine::activity::AfterHooks;
use crate::hooks::{self, HookEvent, HookOutcome, HookRun};
use crate::protocol::Event;

impl Actor {
    /// The hooks of what was just recorded that only watch (a gate reached, a stage started
    /// or passed, a change applied): run beside the session; their runs come back on the
    /// channel.
    pub(super) fn watch_hooks(&mut self, recorded: &[Event]) {
        if self.deps.hooks.is_empty() {
            return;
        }
        for (hook, subject, fields) in recorded.iter().flat_map(watched::by) {
            self.watch(hook, subject, fields);
        }
    }

    /// Runs `hook`'s handlers on `subject` beside the session (their runs come back before
    /// the next request).
    pub(super) fn watch(&mut self, hook: HookEvent, subject: String, fields: Value) {
        let handlers = self.deps.hooks.matching(hook, Some(&subject));
        if handlers.is_empty() {
            return;
        }
        let (runner, input) = self.prepare_hooks(hook, fields);
        self.watching.spawn(async move {
            hooks::run::run_all(&runner, &handlers, Some(&subject), &input).await
        });
    }

    /// Before a request: the watching hooks still running are waited for (as the activity,
    /// so Esc stops them), so the model reads what they say. Returns whether it waits.
    pub(super) fn await_watching(&mut self, may_compact: bool) -> bool {
        if self.watching.is_empty() {
            return false;
        }
        let mut set = std::mem::take(&mut self.watching);
        // Dropping the set (a cancel aborts this task) aborts the hooks, which kills them.
        let task = tokio::spawn(async move {
            let mut runs = Vec::new();
            while let Some(done) = set.join_next().await {
                runs.extend(done.unwrap_or_default());
            }
            runs
        });
        self.activity = Activity::Hooking {
            task,
            then: AfterHooks::Request { may_compact },
        };
        true
    }

    /// Runs of watching hooks came back: recorded; what they say goes to the model before
    /// its next request.
    pub(super) async fn watched_done(&mut self, runs: Vec<HookRun>) {
        for run in &runs {
            let about = match &run.subject {
                Some(on) => format!("{} hook on {on}", run.event),
                None => format!("{} hook", run.event),
            };
            match &run.outcome {
                HookOutcome::Blocked { reason } => {
                    self.hook_notes.push(format!("A {about} objects: {reason}"));
                }
                HookOutcome::Passed {
                    output: Some(output),
                } => self.hook_notes.push(format!("A {about} adds: {output}")),
                HookOutcome::Context { text } => {
                    self.hook_notes.push(format!("A {about} adds: {text}"));
                }
                _ => {}
            }
        }
        let events = runs.into_iter().map(|run| Event::HookRan { run }).collect();
        self.record(events).await;
    }
}
