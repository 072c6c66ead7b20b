//! What subagents say to the human, through their parent: their progress (tool calls and
//! results) for the `task` call's cell, and a command of theirs waiting for approval. The
//! parent passes each on as [`Event::FromAgent`], never recording it (the subagent's own
//! session holds it); an approval goes out under a name of the parent's, unique among the
//! questions open, so answering it (the usual ops) can only answer the question shown.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::Actor;
use super::activity::Activity;
use crate::protocol::{Event, Op};

/// A subagent's event on its way to the parent.
pub(super) struct Forwarded {
    /// The parent's `task` call that runs it.
    task: String,
    agent: String,
    event: Event,
}

/// A subagent's side of the way: which call it answers, and where its events go (`None`: a
/// reviewer's, which shows nothing as it goes and asks nothing).
pub(super) struct Forward {
    task: String,
    tx: Option<mpsc::UnboundedSender<Forwarded>>,
}

impl Forward {
    /// The way for a subagent that says nothing on the way.
    pub(super) fn quiet() -> Forward {
        Forward {
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
                task: self.task.clone(),
                agent: agent.to_string(),
                event: event.clone(),
            });
        }
    }
}

/// The questions of subagents open with the human: the parent's name for each, and whose
/// (the `task` call, the subagent's own id).
#[derive(Default)]
pub(super) struct Asked(HashMap<String, (String, String)>);

impl Actor {
    /// The way in for the subagent of `task`.
    pub(super) fn forward_for(&self, task: &str) -> Forward {
        Forward {
            task: task.to_string(),
            tx: Some(self.forward_tx.clone()),
        }
    }

    /// Shows what a subagent said; an approval under the parent's name for it.
    pub(super) fn agent_said(&mut self, f: Forwarded) {
        let event = match f.event {
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint,
            } => {
                let key = self.name_question(&f.task, &id);
                self.asked.0.insert(key.clone(), (f.task.clone(), id));
                Event::CommandApprovalRequested {
                    id: key,
                    command,
                    checkpoint,
                }
            }
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                let key = self.asked.0.iter().find_map(|(key, (task, own))| {
                    (*task == f.task && *own == id).then(|| key.clone())
                });
                let Some(key) = key else { return };
                self.asked.0.remove(&key);
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

    /// A name for a subagent's question that no other open question has — the parent's own
    /// included, whatever ids its model's calls carry.
    fn name_question(&self, task: &str, id: &str) -> String {
        let parents = match &self.activity {
            Activity::Approving { call } => Some(call.id.as_str()),
            _ => None,
        };
        let mut key = format!("{task}›{id}");
        while parents == Some(key.as_str()) || self.asked.0.contains_key(&key) {
            key.push('′');
        }
        key
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
        let Some((task, own)) = self.asked.0.get(call_id).cloned() else {
            return Some(op);
        };
        let Some(running) = self.subagents.iter().find(|d| d.call.id == task) else {
            // Its subagent has ended: the question went with it.
            self.asked.0.remove(call_id);
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
        let _ = running.ops.send(answer);
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
