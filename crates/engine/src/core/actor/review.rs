//! Hunk review of proposed changes, the IO around it: writing the decided hunks (unless the
//! file changed on disk), sending a change back, and undoing an applied one.

use super::*;
use crate::changes::FileChange;
use crate::core::machine::review::{self, Closed};

impl Actor {
    /// The call a change under review answers: the one the actor waits on, or after a resume
    /// the open change's own call (a change set's `CALL#n` answers `CALL`).
    fn review_call(&self, change: &str) -> Option<ToolCallRequest> {
        let call_id = route::call_of(change);
        match &self.activity {
            Activity::Reviewing { call } if call.id == call_id => Some(call.clone()),
            Activity::Idle => {
                let open = self.state.changes.get(change)?.status.is_open();
                open.then(|| ToolCallRequest {
                    id: call_id.to_string(),
                    name: String::new(),
                    arguments: String::new(),
                })
            }
            _ => None,
        }
    }

    /// Records `closed` (the events closing `change`) and, once every change of its call is
    /// closed, the call's result, and moves on.
    fn close(
        &self,
        call: &ToolCallRequest,
        change: &str,
        how: &Closed,
        closed: Vec<Event>,
    ) -> Vec<Effect> {
        let mut events = closed;
        match review::answered(&self.state, call, change, how) {
            Some(result) => {
                events.push(result);
                vec![Effect::Record(events), Effect::AfterReview]
            }
            None => vec![Effect::Record(events)],
        }
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
            let why = self.stops_now(&change).or(recorded);
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
            Ok(Submitted::Written(written)) => self.close(
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
        self.close(
            &call,
            change,
            &Closed::SentBack(text),
            vec![Event::ChangeWithdrawn {
                id: change.to_string(),
                reason: "sent back for a fresh proposal".into(),
            }],
        )
    }

    /// Reverts the newest applied change — every file of it, for a command's change set —
    /// unless a file changed since (that one is left as it is, and said).
    pub(super) async fn undo(&mut self) {
        if matches!(self.activity, Activity::Running { .. }) {
            self.refuse(
                "a tool is running; undo when it has finished",
                Some(Hint::Wait),
            );
            return;
        }
        let Some(newest) = self.state.changes.undoable() else {
            self.refuse("nothing to undo", None);
            return;
        };
        let call = route::call_of(&newest.id).to_string();
        let set: Vec<(String, FileChange)> = self
            .state
            .changes
            .entries
            .iter()
            .rev()
            .filter(|e| route::call_of(&e.id) == call && e.id.contains('#'))
            .chain(std::iter::once(newest).filter(|e| !e.id.contains('#')))
            .filter(|e| {
                matches!(
                    e.status,
                    crate::changes::review::ChangeStatus::Applied
                        | crate::changes::review::ChangeStatus::Reviewed { written: true }
                )
            })
            .filter_map(|e| Some((e.id.clone(), e.written.clone()?)))
            .collect();
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
