//! Hunk review of proposed changes: submitting decisions (written unless the file changed),
//! sending a change back, and undoing an applied one.

use super::*;

impl Actor {
    /// The call a change under review answers: the one the actor waits on, or after a resume
    /// the pending change's own call.
    pub(super) fn review_call(&self, change: &str) -> Option<ToolCallRequest> {
        match &self.activity {
            Activity::Reviewing { call } if call.id == change => Some(call.clone()),
            Activity::Idle => {
                let pending = self.state.changes.pending()?;
                (pending.id == change).then(|| ToolCallRequest {
                    id: pending.id.clone(),
                    name: String::new(),
                    arguments: String::new(),
                })
            }
            _ => None,
        }
    }

    /// Writes the accepted hunks (unless the file changed on disk), tells the model, moves on.
    pub(super) async fn submit_review(&mut self, change: &str) {
        let Some(call) = self.review_call(change) else {
            return;
        };
        let Some(entry) = self.state.changes.get(change).cloned() else {
            return;
        };
        if entry.undecided() > 0 {
            self.notify(format!(
                "{} hunks of {} are undecided; decide each one (a accept, x reject) first",
                entry.undecided(),
                entry.change.path
            ));
            return;
        }
        let ws = self.deps.tools.workspace.clone();
        let job = entry.clone();
        let outcome = tokio::task::spawn_blocking(move || disk::submit(&ws, &job))
            .await
            .unwrap_or_else(|e| Err(format!("the write failed: {e}")));
        let (accepted, rejected): (Vec<String>, Vec<String>) = entry
            .hunks
            .iter()
            .map(|h| h.id.clone())
            .partition(|id| entry.verdicts.get(id).is_some_and(Verdict::writes));
        match outcome {
            Ok(Submitted::Conflict { on_disk }) => {
                self.record(vec![Event::ChangeConflicted {
                    id: change.to_string(),
                    on_disk,
                }])
                .await;
            }
            Ok(Submitted::Written(written)) => {
                let events = vec![
                    Event::ChangeApplied {
                        id: change.to_string(),
                        accepted,
                        rejected,
                        written,
                    },
                    result_event(
                        &call,
                        &ToolOutcome::ok(entry.report(), format!("reviewed {}", entry.change.path)),
                        Duration::ZERO,
                    ),
                ];
                if self.record(events).await {
                    self.after_review().await;
                }
            }
            Err(message) => self.notify(message),
        }
    }

    /// Sends the change back unapplied and asks the model for a fresh proposal.
    pub(super) async fn repropose(&mut self, change: &str) {
        let Some(call) = self.review_call(change) else {
            return;
        };
        let Some(entry) = self.state.changes.get(change) else {
            return;
        };
        let mut text = format!(
            "The user sent your change to {} back without applying any of it",
            entry.change.path
        );
        if matches!(
            entry.status,
            crate::changes::review::ChangeStatus::Conflicted { .. }
        ) {
            text.push_str(": the file changed on disk after you read it");
        }
        text.push_str(". Read the file again and propose the change afresh.");
        for (i, h) in entry.hunks.iter().enumerate() {
            if let Some(c) = entry.comments.get(&h.id) {
                text.push_str(&format!("\n- on hunk {} {}: {c}", i + 1, h.header()));
            }
        }
        let events = vec![
            Event::ChangeWithdrawn {
                id: change.to_string(),
                reason: "sent back for a fresh proposal".into(),
            },
            result_event(&call, &ToolOutcome::error(text), Duration::ZERO),
        ];
        if self.record(events).await {
            self.after_review().await;
        }
    }

    /// Carries on after a review: the next tool call, or, when the review was resumed in a new
    /// process, a new model request for the turn it interrupted.
    pub(super) async fn after_review(&mut self) {
        if matches!(self.activity, Activity::Reviewing { .. }) {
            self.activity = Activity::Idle;
            self.next_call().await;
        } else {
            self.round = 1;
            self.memory = turn::project_memory(self.deps.tools.workspace.root());
            self.start_stream().await;
        }
    }

    /// Reverts the newest applied change, unless its file changed since.
    pub(super) async fn undo(&mut self) {
        if matches!(self.activity, Activity::Running { .. }) {
            self.notify("a tool is running; undo when it has finished".into());
            return;
        }
        let Some(entry) = self.state.changes.undoable() else {
            self.notify("nothing to undo".into());
            return;
        };
        let (id, Some(written)) = (entry.id.clone(), entry.written.clone()) else {
            return;
        };
        let ws = self.deps.tools.workspace.clone();
        let done = tokio::task::spawn_blocking(move || disk::undo(&ws, &written))
            .await
            .unwrap_or_else(|e| Err(format!("the undo failed: {e}")));
        match done {
            Ok(()) => {
                self.record(vec![Event::ChangeUndone { id }]).await;
            }
            Err(message) => self.notify(message),
        }
    }
}
