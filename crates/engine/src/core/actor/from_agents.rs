//! What subagents say to the human, through their parent: their progress (tool calls and
//! results) for the `task` call's cell, and a command of theirs waiting for approval. The
//! parent passes each on as [`Event::FromAgent`], never recording it (the subagent's own
//! session holds it).
//!
//! Nothing here trusts an id the model chose: each subagent is known by a handle of the
//! parent's making, and each question goes out under a fresh name no model can guess (a
//! random per-session prefix and a counter), mapped to the handle and the subagent's own id —
//! so answering it (the usual ops) can only answer the question shown.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Actor;
use super::activity::Activity;
use crate::protocol::{Event, Op};

/// A subagent's event on its way to the parent.
pub(super) struct Forwarded {
    /// The subagent, by the parent's handle, and the `task` call it answers.
    handle: u64,
    task: String,
    agent: String,
    event: Event,
}

/// A subagent's side of the way: who it is, which call it answers, and where its events go
/// (`None`: a reviewer's, which shows nothing as it goes and asks nothing).
pub(super) struct Forward {
    handle: u64,
    task: String,
    tx: Option<mpsc::UnboundedSender<Forwarded>>,
}

impl Forward {
    /// The way for a subagent that says nothing on the way.
    pub(super) fn quiet() -> Forward {
        Forward {
            handle: 0,
            task: String::new(),
            tx: None,
        }
    }

    /// Passes `event` on when the parent's front end shows it.
    pub(super) fn pass(&self, agent: &str, event: &Event) {
        let Some(tx) = &self.tx else {
            return;
        };
        let shown = matches!(
            event,
            Event::ToolCall { .. }
                | Event::ToolResult { .. }
                | Event::CommandApprovalRequested { .. }
                | Event::CommandDecided { .. }
        );
        if shown {
            let _ = tx.send(Forwarded {
                handle: self.handle,
                task: self.task.clone(),
                agent: agent.to_string(),
                event: event.clone(),
            });
        }
    }
}

/// The questions of subagents open with the human, by the name the human sees: whose (the
/// subagent's handle) and its own id for it.
pub(super) struct Asked {
    open: HashMap<String, (u64, String)>,
    /// Unguessable: the names are never sent to a model.
    prefix: String,
    next: u64,
}

impl Default for Asked {
    fn default() -> Asked {
        Asked {
            open: HashMap::new(),
            prefix: format!("agent-{:016x}", fastrand::u64(..)),
            next: 0,
        }
    }
}

impl Asked {
    /// A fresh name for the subagent `handle`'s question `own`.
    fn name(&mut self, handle: u64, own: String) -> String {
        self.next += 1;
        let key = format!("{}-{}", self.prefix, self.next);
        self.open.insert(key.clone(), (handle, own));
        key
    }

    /// The name under which `handle`'s question `own` went out, taken off the open ones.
    fn close(&mut self, handle: u64, own: &str) -> Option<String> {
        let key = self
            .open
            .iter()
            .find(|(_, (h, o))| *h == handle && o == own)
            .map(|(key, _)| key.clone())?;
        self.open.remove(&key);
        Some(key)
    }
}

impl Actor {
    /// The way in for the subagent `handle`, which answers the `task` call `task`.
    pub(super) fn forward_for(&self, handle: u64, task: &str) -> Forward {
        Forward {
            handle,
            task: task.to_string(),
            tx: Some(self.forward_tx.clone()),
        }
    }

    /// Shows what a subagent said; an approval under a name of the parent's.
    pub(super) fn agent_said(&mut self, f: Forwarded) {
        let event = match f.event {
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint,
            } => Event::CommandApprovalRequested {
                id: self.asked.name(f.handle, id),
                command,
                checkpoint,
            },
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                let Some(key) = self.asked.close(f.handle, &id) else {
                    return;
                };
                Event::CommandDecided {
                    id: key,
                    command,
                    decision,
                }
            }
            other => other,
        };
        let _ = self.events.send(Event::FromAgent {
            id: f.task,
            agent: f.agent,
            event: Box::new(event),
        });
    }

    /// An answer to a subagent's question goes to it (under its own id); any other op is
    /// the parent's. The parent's own question comes first, should a name repeat.
    pub(super) fn answer_agent(&mut self, op: Op) -> Option<Op> {
        let (Op::ApproveCommand { call_id, .. } | Op::DenyCommand { call_id, .. }) = &op else {
            return Some(op);
        };
        let parents = matches!(&self.activity, Activity::Approving { call } if call.id == *call_id);
        if parents {
            return Some(op);
        }
        let Some((handle, own)) = self.asked.open.get(call_id).cloned() else {
            return Some(op);
        };
        let running = self
            .subagents
            .iter()
            .find(|d| d.handle == handle)
            .map(|d| &d.ops)
            .or_else(|| {
                self.workers
                    .iter()
                    .find(|w| w.handle == handle)
                    .map(|w| &w.ops)
            });
        let Some(running) = running else {
            // Its subagent has ended: the question went with it.
            self.asked.open.remove(call_id);
            return None;
        };
        let answer = match op {
            Op::ApproveCommand { always, .. } => Op::ApproveCommand {
                call_id: own,
                always,
            },
            Op::DenyCommand { reason, .. } => Op::DenyCommand {
                call_id: own,
                reason,
            },
            other => other,
        };
        let _ = running.send(answer);
        None
    }
}

/// The parent's end of the way, and the way in for its subagents.
pub(super) fn channel() -> (
    mpsc::UnboundedSender<Forwarded>,
    mpsc::UnboundedReceiver<Forwarded>,
) {
    mpsc::unbounded_channel()
}
