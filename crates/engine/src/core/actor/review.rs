//! Hunk review of proposed changes, the IO around it: writing the decided hunks (unless the
//! file changed on disk), sending a change back, and undoing an applied one.

use super::Actor;
use crate::changes::FileChange;
use crate::core::machine::review::{self, Closed};
use crate::core::machine::{ApprovalMode, Effect, gates};
use crate::protocol::Event;
use crate::provider::ToolCallRequest;
use crate::tools;
use crate::tools::disk;
use crate::tools::disk::Submitted;

impl Actor {
    /// The call a change under review answers (see [`review::call_under_review`]).
    fn review_call(&self, change: &str) -> Option<ToolCallRequest> {
        review::call_under_review(&self.state, &self.activity, change)
    }

    /// What stops `change` now, decided again rather than taken from the record: where each
    /// of its paths really leads and what protects it there, and whether its new text holds
    /// a checkpointed pattern.
    fn stops_now(&self, change: &FileChange) -> Option<String> {
        let ws = &self.deps.tools.workspace;
        for path in std::iter::once(&change.path).chain(change.renamed_from.as_ref()) {
            let Ok(rel) = ws.resolve(path) else {
                return Some(format!("{path} is outside the workspace"));
            };
            match ws.gate_entry(&rel) {
                Err(e) => return Some(e.to_string()),
                Ok(g) => match g.protection {
                    Some(tools::Protected::Never(why) | tools::Protected::Review(why)) => {
                        return Some(why);
                    }
                    None => {}
                },
            }
        }
        let lossy = |n: &crate::changes::Node| n.lossy();
        let (before, after) = match &change.special {
            Some(s) => (s.before.as_ref().map(lossy), s.after.as_ref().map(lossy)),
            None => (change.before.clone(), change.after.clone()),
        };
        after.and_then(|after| ws.checkpoints().content(before.as_deref(), &after))
    }

    /// Changes left under review when the session stopped: a run without a human decides
    /// them as its flags say, as it would have when they were proposed — judged again now,
    /// not by the record (a protected path's is rejected: only a human writes one; one that
    /// came with an imported session is rejected: a record made elsewhere grants nothing) —
    /// or stops at a checkpoint rule it does not pass (the front end is told again). With a
    /// human, they wait for the diff pane.
    pub(super) async fn resume_review(&mut self) {
        let policy = self.facts().policy;
        let verdict = match policy.changes {
            ApprovalMode::Ask => return,
            ApprovalMode::Approve => crate::protocol::Verdict::Accept,
            ApprovalMode::Deny => crate::protocol::Verdict::Reject,
        };
        let open: Vec<(String, FileChange, Option<String>, bool)> = self
            .state
            .changes
            .entries
            .iter()
            .filter(|e| e.status.is_open())
            .map(|e| {
                (
                    e.id.clone(),
                    e.change.clone(),
                    e.checkpoint.clone(),
                    e.imported,
                )
            })
            .collect();
        for (id, change, recorded, imported) in open {
            // A merge conflict stays one, whatever a rule says now: never written headless.
            let conflict = recorded.as_deref().is_some_and(crate::changes::is_conflict);
            let why = if conflict {
                recorded
            } else {
                self.stops_now(&change).or(recorded)
            };
            let rule = why.as_deref().is_some_and(tools::checkpoints::is_rule);
            if rule && !policy.checkpoints && !imported {
                let _ = self.events.send(Event::ChangeProposed {
                    id,
                    change,
                    context: self.deps.context_lines,
                    checkpoint: why,
                });
                return;
            }
            let verdict = if imported || (why.is_some() && !rule) {
                crate::protocol::Verdict::Reject
            } else {
                verdict.clone()
            };
            self.run(vec![
                Effect::DecideAll {
                    change: id.clone(),
                    verdict,
                },
                Effect::WriteReview(id),
            ])
            .await;
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
            Ok(Submitted::Written(written)) => review::close(
                &self.state,
                &call,
                change,
                &Closed::Reviewed,
                vec![Event::ChangeApplied {
                    id: change.to_string(),
                    accepted,
                    rejected,
                    written,
                }],
            ),
            Err(message) => vec![Effect::Refuse {
                message,
                hint: None,
            }],
        }
    }

    /// Reverts written changes (see [`review::undoable`]), unless a file changed since (that
    /// one is left as it is, and said).
    pub(super) async fn undo(&mut self, set: Vec<(String, FileChange)>) {
        let ws = self.deps.tools.workspace.clone();
        let done = tokio::task::spawn_blocking(move || {
            set.into_iter()
                .map(|(id, written)| (id, disk::undo(&ws, &written)))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let mut undone = Vec::new();
        let mut failed = Vec::new();
        for (id, result) in done {
            match result {
                Ok(()) => undone.push(Event::ChangeUndone { id }),
                Err(message) => failed.push(message),
            }
        }
        if !undone.is_empty() {
            self.record(undone).await;
        }
        if !failed.is_empty() {
            self.refuse(failed.join("; "), None);
        }
    }
}
