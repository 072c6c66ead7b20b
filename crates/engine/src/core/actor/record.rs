//! Recording: events committed to the store, then applied to the state and shown — and what
//! happens when the store fails (the session stops, saying what was kept).

use super::Actor;
use super::activity::{Activity, abort};
use super::outbox::scrub;
use crate::protocol::{ErrorKind, Event, FinishReason};

impl Actor {
    /// Commits events, then applies and emits them. Returns whether they were saved. What an
    /// event tells the model (a step or a stage starting) is recorded with it, in the same
    /// batch, as the words sent.
    pub(super) async fn record(&mut self, new: Vec<Event>) -> bool {
        let secrets = &self.deps.tools.runner.secrets;
        let new: Vec<Event> = self
            .with_instructions(new)
            .into_iter()
            .map(|e| scrub(e, secrets))
            .collect();
        // A new session is written with its first prompt: what comes before (a gear change,
        // a sandbox warning) waits to be written with it.
        let first_prompt = new.iter().any(|e| matches!(e, Event::UserMessage { .. }));
        let written = if self.state.unsaved.is_empty() {
            new.clone()
        } else if first_prompt {
            let mut all = std::mem::take(&mut self.state.unsaved);
            all.extend(new.iter().cloned());
            all
        } else {
            self.state.unsaved.extend(new.iter().cloned());
            Vec::new()
        };
        let stored = if written.is_empty() {
            Ok(Ok(Vec::new()))
        } else {
            self.deps.store.append_acked(&self.state.id, written).await
        };
        match stored {
            Ok(Ok(_)) => {
                let gear_changed = new.iter().any(|e| matches!(e, Event::GearChanged { .. }));
                let proposed: Vec<String> = new
                    .iter()
                    .filter_map(|e| match e {
                        Event::ChangeProposed { id, .. } => Some(id.clone()),
                        _ => None,
                    })
                    .collect();
                self.watch_hooks(&new);
                for e in new {
                    self.state.apply(&e);
                    let _ = self.events.send(e);
                }
                self.report_context();
                if gear_changed {
                    self.preview_pipeline();
                }
                self.start_reviews(&proposed);
                true
            }
            Ok(Err(e)) => {
                self.report(&e.to_string());
                false
            }
            Err(_) => {
                self.report("the session store stopped; nothing more is saved");
                false
            }
        }
    }

    /// The store failed: nothing more can be recorded, so the session stops — whatever runs
    /// is stopped, the front end is told what failed and what was kept, and the turn is closed
    /// for it (unrecorded) so nothing waits for an end that cannot be saved.
    pub(super) fn report(&mut self, message: &str) {
        tracing::error!(message, "store failure");
        self.cancel_subagents(&crate::tools::ToolOutcome::error("cancelled"));
        self.stop_workers();
        let streaming = abort(std::mem::replace(&mut self.activity, Activity::Idle));
        self.queue.clear();
        self.prompts.clear();
        let kept = if streaming {
            " The reply on screen was saved up to its last checkpoint (at most two seconds old)."
        } else {
            " Everything before this message was saved."
        };
        let _ = self.events.send(Event::Error {
            kind: ErrorKind::Store,
            message: format!(
                "not saved: {message}. The session stops here, since nothing more can be \
                 saved.{kept} Resume it with --continue once the problem is fixed."
            ),
        });
        let _ = self.events.send(Event::TurnFinished {
            reason: FinishReason::Error,
        });
        self.stopped = true;
    }
}
