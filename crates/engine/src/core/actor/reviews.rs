//! Review at the gates: each change that waits for the human's review is read, in the
//! background, by the reviewing agents (`[review] reviewer` and `security_reviewer`) — each a
//! subagent given what the change is for and its diff, never the conversation that wrote it.
//! Their findings are recorded for the human (shown on the hunks they concern), never sent to
//! the model; the human's decision is the only one that counts, and need not wait for them.

use tokio::sync::mpsc;

use super::Actor;
use super::agent_session::{self, Answer};
use super::from_agents::Forward;
use crate::agents;
use crate::protocol::{ChatMessage, Event, Op};

/// A review under way: its agent's session's ops, to cancel it.
pub(super) struct Reviewing {
    ops: mpsc::UnboundedSender<Op>,
}

/// A review done: the change, the agent, and its answer.
pub(super) type Reviewed = (String, String, Answer);

impl Actor {
    /// Starts the reviewing agents on the changes `ids` just proposed for review (not in a
    /// subagent's own session).
    pub(super) fn start_reviews(&mut self, ids: &[String]) {
        if self.deps.reviewers.is_empty() || self.state.subagent.is_some() {
            return;
        }
        let purpose = self.purpose();
        for id in ids {
            let Some(entry) = self.state.changes.get(id).cloned() else {
                continue;
            };
            for name in self.deps.reviewers.clone() {
                let Some(agent) = self.agents.get(&name) else {
                    self.warn(format!(
                        "[review] names the agent `{name}`, which is not defined \
                         (`gearshift agents` lists them): the change is not reviewed by it"
                    ));
                    continue;
                };
                let prompt = agents::review::prompt(&purpose, &entry);
                let session = self.child(agent, prompt);
                let (ops, ops_rx) = mpsc::unbounded_channel();
                let forward = Forward::quiet();
                let change = id.clone();
                let own = ops.clone();
                self.reviews.spawn(async move {
                    let answer = agent_session::run(session, own, ops_rx, forward).await;
                    (change, name, answer)
                });
                self.reviewing.push(Reviewing { ops });
            }
        }
    }

    /// What the change is for: the plan step running, else the pipeline stage's, else the
    /// prompt of the turn.
    fn purpose(&self) -> String {
        let step = self
            .state
            .plan
            .as_ref()
            .and_then(crate::plan::Plan::running);
        if let Some(step) = step {
            let mut text = format!("Plan step: {}\n{}", step.title, step.detail);
            if let Some(acceptance) = &step.acceptance {
                text.push_str(&format!("\nDone when: {acceptance}"));
            }
            return text;
        }
        let prompt = self
            .state
            .conversation
            .iter()
            .rev()
            .find_map(|m| match &**m {
                ChatMessage::User { text } => Some(text.clone()),
                _ => None,
            });
        let stage = self.stage_name();
        match (stage, prompt) {
            (Some(stage), Some(prompt)) => format!("The `{stage}` stage of:\n{prompt}"),
            (None, Some(prompt)) => prompt,
            (_, None) => "(not said)".into(),
        }
    }

    /// A reviewing agent answered: its spend and its findings are recorded.
    pub(super) async fn review_done(&mut self, (change, agent, answer): Reviewed) {
        self.reviewing.retain(|r| !r.ops.is_closed());
        let Some(entry) = self.state.changes.get(&change) else {
            return;
        };
        if !answer.outcome.ok {
            let path = entry.change.path.clone();
            self.warn(format!(
                "the {agent} could not review {path}: {}",
                answer.outcome.content
            ));
            return;
        }
        let findings = agents::review::findings(&agent, &answer.outcome.content, entry);
        let mut events: Vec<Event> = answer.spent.map(|s| s.event(&change)).into_iter().collect();
        events.push(Event::ChangeReviewed {
            id: change,
            agent,
            findings,
        });
        self.record(events).await;
    }

    /// Cancels the reviews under way (their sessions record it and end by themselves).
    pub(super) fn cancel_reviews(&mut self) {
        for r in self.reviewing.drain(..) {
            let _ = r.ops.send(Op::Cancel);
            let _ = r.ops.send(Op::Quit);
        }
    }
}
