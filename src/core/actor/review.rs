//! Hunk review of proposed changes, the IO around it: writing the decided hunks (unless the
//! file changed on disk), sending a change back, and undoing an applied one.

use super::*;

impl Actor {
    /// The call a change under review answers: the one the actor waits on, or after a resume
    /// the pending change's own call.
    fn review_call(&self, change: &str) -> Option<ToolCallRequest> {
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
    pub(super) async fn write_review(&mut self, change: &str) -> Vec<Effect> {
        let Some(call) = self.review_call(change) else {
            return Vec::new();
        };
        if let Err(refused) = gates::review_ready(&self.state, change) {
            return vec![refused];
        }
        let Some(entry) = self.state.changes.get(change).cloned() else {
            return Vec::new();
        };
        let ws = self.deps.tools.workspace.clone();
        let job = entry.clone();
        let outcome = tokio::task::spawn_blocking(move || disk::submit(&ws, &job))
            .await
            .unwrap_or_else(|e| Err(format!("the write failed: {e}")));
        let (accepted, rejected): (Vec<String>, Vec<String>) =
            entry.hunks.iter().map(|h| h.id.clone()).partition(|id| {
                entry
                    .verdicts
                    .get(id)
                    .is_some_and(crate::protocol::Verdict::writes)
            });
        match outcome {
            Ok(Submitted::Conflict { on_disk }) => {
                vec![Effect::Record(vec![Event::ChangeConflicted {
                    id: change.to_string(),
                    on_disk,
                }])]
            }
            Ok(Submitted::Written(written)) => vec![
                Effect::Record(vec![
                    Event::ChangeApplied {
                        id: change.to_string(),
                        accepted,
                        rejected,
                        written,
                    },
                    gates::result_event(
                        &call,
                        &ToolOutcome::ok(entry.report(), format!("reviewed {}", entry.change.path)),
                        Duration::ZERO,
                    ),
                ]),
                Effect::AfterReview,
            ],
            Err(message) => vec![Effect::Refuse {
                message,
                hint: None,
            }],
        }
    }

    /// Sends the change back unapplied and asks the model for a fresh proposal.
    pub(super) fn repropose(&mut self, change: &str) -> Vec<Effect> {
        let Some(call) = self.review_call(change) else {
            return Vec::new();
        };
        let Some(entry) = self.state.changes.get(change) else {
            return Vec::new();
        };
        let conflicted = matches!(
            entry.status,
            crate::changes::review::ChangeStatus::Conflicted { .. }
        );
        let comments: Vec<(usize, String, String)> = entry
            .hunks
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let c = entry.comments.get(&h.id)?;
                Some((i + 1, h.header(), c.clone()))
            })
            .collect();
        let text = crate::core::prompts::sent_back(&entry.change.path, conflicted, &comments);
        vec![
            Effect::Record(vec![
                Event::ChangeWithdrawn {
                    id: change.to_string(),
                    reason: "sent back for a fresh proposal".into(),
                },
                gates::result_event(&call, &ToolOutcome::error(text), Duration::ZERO),
            ]),
            Effect::AfterReview,
        ]
    }

    /// Reverts the newest applied change, unless its file changed since.
    pub(super) async fn undo(&mut self) {
        if matches!(self.activity, Activity::Running { .. }) {
            self.refuse(
                "a tool is running; undo when it has finished",
                Some(Hint::Wait),
            );
            return;
        }
        let Some(entry) = self.state.changes.undoable() else {
            self.refuse("nothing to undo", None);
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
            Err(message) => self.refuse(message, None),
        }
    }
}
