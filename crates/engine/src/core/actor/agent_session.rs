//! A subagent's session, run to its answer: the prompt sent, its events followed — what its
//! parent's front end shows live passed on (see `from_agents`) — and its final reply, or why
//! there is none, with what it spent.

use tokio::sync::mpsc;

use super::SessionDeps;
use super::from_agents::Forward;
use crate::core::SessionState;
use crate::figures;
use crate::protocol::{Event, FinishReason, Op};
use crate::tools::ToolOutcome;

/// What a subagent's run comes to: the call's result, and what it spent (`None` when it
/// never ran).
pub(super) struct Answer {
    pub(super) outcome: ToolOutcome,
    pub(super) spent: Option<Spent>,
    /// The worktree it wrote in, whose change is still to come back (see `subagent_tree`).
    pub(super) tree: Option<crate::worktree::Tree>,
}

impl Answer {
    /// A call answered without running an agent.
    pub(super) fn refused(why: String) -> Answer {
        Answer {
            outcome: ToolOutcome::error(why),
            spent: None,
            tree: None,
        }
    }
}

/// A subagent's spend, as its parent records it ([`Event::AgentSpent`]).
#[derive(Default)]
pub(super) struct Spent {
    agent: String,
    session: String,
    requests: u32,
    input: u64,
    output: u64,
    cached: u64,
    cost: Option<f64>,
    /// Its latest request's prompt and reply: its context when it answered.
    context: u64,
}

impl Spent {
    pub(super) fn event(self, call: &str) -> Event {
        Event::AgentSpent {
            id: call.to_string(),
            agent: self.agent,
            session: self.session,
            requests: self.requests,
            input: self.input,
            output: self.output,
            cached: self.cached,
            cost: self.cost,
            context: self.context,
        }
    }
}

/// The first of `running` (subagents' or workers' sessions) to answer, by its place;
/// pending forever when none runs, so `select!` can always poll it.
pub(super) async fn first_answer<'a>(
    running: impl Iterator<Item = &'a mut tokio::task::JoinHandle<Answer>>,
) -> (usize, Result<Answer, tokio::task::JoinError>) {
    let running: Vec<_> = running.collect();
    if running.is_empty() {
        return std::future::pending().await;
    }
    let (done, i, _) = futures::future::select_all(running).await;
    (i, done)
}

/// Runs the agent's session to the end of its turn: sends the prompt, follows its events,
/// and answers with its final reply (or why there is none).
pub(super) async fn run(
    (deps, state, prompt): (SessionDeps, SessionState, String),
    ops: mpsc::UnboundedSender<Op>,
    ops_rx: mpsc::UnboundedReceiver<Op>,
    forward: Forward,
) -> Answer {
    let agent = state
        .subagent
        .as_ref()
        .map(|s| s.agent.clone())
        .unwrap_or_default();
    let session_id = state.id.clone();
    let (events, mut events_rx) = mpsc::unbounded_channel();
    let session = crate::core::run_session(deps, state, ops_rx, events);
    tokio::pin!(session);
    let _ = ops.send(Op::Submit {
        text: prompt,
        attachments: Vec::new(),
    });
    let mut end = End::default();
    loop {
        tokio::select! {
            () = &mut session => break,
            Some(event) = events_rx.recv() => {
                forward.pass(&agent, &event);
                if end.fold(&event) {
                    let _ = ops.send(Op::Quit);
                }
            }
        }
    }
    while let Ok(event) = events_rx.try_recv() {
        forward.pass(&agent, &event);
        end.fold(&event);
    }
    end.spent.agent.clone_from(&agent);
    end.spent.session = session_id;
    end.answer(&agent)
}

/// What a subagent's session said, as far as its answer goes.
#[derive(Default)]
struct End {
    reply: Option<String>,
    calls: usize,
    spent: Spent,
    reason: Option<FinishReason>,
    error: Option<String>,
}

impl End {
    /// Folds one event; true when the turn finished.
    fn fold(&mut self, event: &Event) -> bool {
        match event {
            Event::AssistantMessage { text, .. } if !text.trim().is_empty() => {
                self.reply = Some(text.clone());
            }
            Event::ToolResult { .. } => self.calls += 1,
            Event::Usage {
                input,
                output,
                cached,
                cost,
                ..
            } => {
                let s = &mut self.spent;
                s.requests += 1;
                s.input += input;
                s.output += output;
                s.cached += cached;
                s.context = input + output;
                if let Some(c) = cost {
                    *s.cost.get_or_insert(0.0) += c;
                }
            }
            Event::Error { message, .. } => self.error = Some(message.clone()),
            Event::TurnFinished { reason } => {
                self.reason = Some(*reason);
                return true;
            }
            // Its prompt was not taken: no turn will finish.
            Event::Refused { message, .. } => {
                self.error = Some(message.clone());
                return true;
            }
            _ => {}
        }
        false
    }

    fn answer(self, agent: &str) -> Answer {
        let mut calls = match self.calls {
            1 => "1 tool call".to_string(),
            n => format!("{n} tool calls"),
        };
        let tokens = self.spent.input + self.spent.output;
        calls.push_str(&format!(" · {} tokens", figures::tokens(tokens)));
        if let Some(cost) = self.spent.cost {
            calls.push_str(&format!(" · {}", figures::dollars(cost)));
        }
        let outcome = match (self.reason, self.reply) {
            (Some(FinishReason::Stop | FinishReason::Length), Some(reply)) => {
                ToolOutcome::ok(reply, format!("{agent} · {calls}"))
            }
            (reason, reply) => {
                let ended = |r: FinishReason| match r {
                    FinishReason::Cancelled => "it was cancelled",
                    FinishReason::ToolCalls => "it ran out of tool rounds",
                    FinishReason::Error => "an error ended it",
                    FinishReason::Stop | FinishReason::Length => "it gave no answer",
                };
                let why = self
                    .error
                    .or_else(|| reason.map(|r| ended(r).to_string()))
                    .unwrap_or_else(|| "it stopped before answering".into());
                let mut text = format!("the agent `{agent}` did not finish: {why}");
                if let Some(reply) = reply {
                    text.push_str("\n\nWhat it said last:\n");
                    text.push_str(&reply);
                }
                ToolOutcome::error(text)
            }
        };
        Answer {
            outcome,
            spent: Some(self.spent),
            tree: None,
        }
    }
}
