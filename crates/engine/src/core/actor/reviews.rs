//! Review at the gates: each change that waits for the human's review is read, in the
//! background, by the reviewing agents (`[review] reviewer` and `security_reviewer`) — each a
//! subagent given what the change is for and its diff, never the conversation that wrote it,
//! and only tools that read. Their findings are recorded for the human (shown on the hunks
//! they concern), never sent to the model; the human's decision is the only one that counts,
//! and need not wait for them. At most `[agents] max_parallel` run at once; the rest wait.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::agent_session::{self, Answer};
use super::from_agents::Forward;
use super::{Actor, SessionDeps};
use crate::agents;
use crate::core::SessionState;
use crate::protocol::{ChatMessage, Event, Op};

/// How long a run without a human waits, at its end, for the reviews under way.
const REVIEW_WAIT: Duration = Duration::from_secs(300);

/// A review done: the change, the agent, its answer, and the generation it started in (a
/// cancel starts a new one: an older review's end is no failure to report).
pub(super) type Reviewed = (String, String, Answer, u64);

/// A review waiting for a place: the change, the agent, and its session.
type Pending = (String, String, (SessionDeps, SessionState, String));

/// The reviews of a session: running, waiting, and what was said of them.
#[derive(Default)]
pub(super) struct Reviews {
    pub(super) running: JoinSet<Reviewed>,
    /// The running reviews' sessions, to cancel them.
    ops: Vec<mpsc::UnboundedSender<Op>>,
    waiting: VecDeque<Pending>,
    /// Reviewers `[review]` names that are not agents, said once each.
    unknown: HashSet<String>,
    /// Bumped by each cancel.
    generation: u64,
}

impl Actor {
    /// Queues the reviewing agents on the changes `ids` just proposed for review (not in a
    /// subagent's own session), and starts what has a place.
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
                    if self.reviews.unknown.insert(name.clone()) {
                        self.warn(format!(
                            "[review] names the agent `{name}`, which is not defined \
                             (`gearshift agents` lists them): changes are not reviewed by it"
                        ));
                    }
                    continue;
                };
                let prompt = agents::review::prompt(&purpose, &entry);
                let session = self.child(agent, prompt, true, false);
                self.reviews.waiting.push_back((id.clone(), name, session));
            }
        }
        self.pump_reviews();
    }

    /// Starts waiting reviews while fewer than `[agents] max_parallel` run.
    pub(super) fn pump_reviews(&mut self) {
        while self.reviews.running.len() < self.deps.max_parallel {
            let Some((change, name, session)) = self.reviews.waiting.pop_front() else {
                return;
            };
            let (ops, ops_rx) = mpsc::unbounded_channel();
            let own = ops.clone();
            let generation = self.reviews.generation;
            self.reviews.running.spawn(async move {
                let answer = agent_session::run(session, own, ops_rx, Forward::quiet()).await;
                (change, name, answer, generation)
            });
            self.reviews.ops.push(ops);
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

    /// A reviewing agent answered: its spend and its findings are recorded, and the next
    /// waiting review starts.
    pub(super) async fn review_done(&mut self, (change, agent, answer, generation): Reviewed) {
        self.reviews.ops.retain(|o| !o.is_closed());
        self.pump_reviews();
        let Some(entry) = self.state.changes.get(&change) else {
            return;
        };
        // What it spent is the session's, whatever came of it.
        let mut events: Vec<Event> = answer.spent.map(|s| s.event(&change)).into_iter().collect();
        // A reviewer's reading is not what the session saved by delegating.
        for e in &mut events {
            if let Event::AgentSpent { context, .. } = e {
                *context = 0;
            }
        }
        if !answer.outcome.ok {
            if generation == self.reviews.generation {
                let path = entry.change.path.clone();
                self.warn(format!(
                    "the {agent} could not review {path}: {}",
                    answer.outcome.content
                ));
            }
            self.record(events).await;
            return;
        }
        let findings = agents::review::findings(&agent, &answer.outcome.content, entry);
        events.push(Event::ChangeReviewed {
            id: change,
            agent,
            findings,
        });
        self.record(events).await;
    }

    /// Cancels the reviews under way and drops the waiting ones (their sessions record the
    /// cancel and end by themselves).
    pub(super) fn cancel_reviews(&mut self) {
        self.reviews.waiting.clear();
        self.reviews.generation += 1;
        for ops in self.reviews.ops.drain(..) {
            let _ = ops.send(Op::Cancel);
            let _ = ops.send(Op::Quit);
        }
    }

    /// At the session's end: a workbench closing cancels the reviews; a run without a human
    /// waits for them (up to five minutes, a cancel on `ops` — a signal to `exec` — ending the
    /// wait), so their findings are recorded and said.
    pub(super) async fn end_reviews(&mut self, ops: &mut mpsc::UnboundedReceiver<Op>) {
        if self.deps.interactive || self.stopped {
            self.cancel_reviews();
        }
        let deadline = tokio::time::Instant::now() + REVIEW_WAIT;
        let mut listening = true;
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout_at(deadline, self.reviews.running.join_next()) => next,
                op = ops.recv(), if listening => {
                    match op {
                        Some(Op::Cancel) => self.cancel_reviews(),
                        Some(_) => {}
                        None => listening = false,
                    }
                    continue;
                }
            };
            match next {
                Ok(Some(Ok(done))) if !self.stopped => self.review_done(done).await,
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(_) => {
                    self.cancel_reviews();
                    deadline_passed(&mut self.reviews.running).await;
                    return;
                }
            }
        }
    }
}

/// The reviews cancelled at the deadline end by themselves; a few seconds for them to record it.
async fn deadline_passed(running: &mut JoinSet<Reviewed>) {
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while running.join_next().await.is_some() {}
    })
    .await;
}
