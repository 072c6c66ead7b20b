//! Subagents: a `task` call runs its agent as a session of its own — recorded in the store
//! under the parent's, with a fresh context (the agent's instructions, the project memory and
//! the prompt), a subset of the parent's tools and the parent's model — in the background;
//! its final answer is the call's result. The `task` calls of one reply run together, up to
//! `[agents] max_parallel`; the round's other calls wait for them (`Activity::Delegating`).
//! Cancelling the parent cancels them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::activity::Activity;
use super::{Actor, SessionDeps};
use crate::agents::{self, Agent};
use crate::core::machine::{ApprovalMode, gates};
use crate::core::{SessionState, routing, shape};
use crate::figures;
use crate::hooks::HookEvent;
use crate::protocol::{Event, FinishReason, Gear, Op, Subagent};
use crate::provider::ToolCallRequest;
use crate::tools::task::{self, TASK, TaskTool};
use crate::tools::{ToolKind, ToolOutcome};

impl Actor {
    /// Finds the agents and offers the `task` tool when there are any (never in a subagent's
    /// own session: subagents do not start subagents); says once what is wrong with any.
    pub(super) fn find_agents(&mut self) {
        if self.state.subagent.is_some() {
            return;
        }
        let found = agents::discover(agents::Roots {
            config_dir: self.deps.config_dir.as_deref(),
            home: self.deps.home_dir.as_deref(),
            workspace: self.deps.tools.workspace.root(),
        });
        for text in found.problems() {
            self.warn(text);
        }
        if found.agents.is_empty() {
            return;
        }
        let listed: Vec<(&str, &str)> = found
            .agents
            .values()
            .map(|a| (a.name.as_str(), a.description.as_str()))
            .collect();
        let tool = Arc::new(TaskTool::new(&listed));
        let registry = &mut Arc::make_mut(&mut self.deps.tools).registry;
        registry.remove_where(|n| n == TASK);
        if let Err(e) = registry.register(tool) {
            self.warn(format!("subagents are unavailable: {e}"));
            return;
        }
        self.agents = found.agents;
    }

    /// Starts a `task` call's agent in the background (see the module's header); a call that
    /// names no agent, or gives no prompt, is answered as soon as the round waits.
    pub(super) fn run_subagent(&mut self, call: ToolCallRequest) {
        let started = Instant::now();
        let prepared = task::args(&call).and_then(|(name, prompt)| {
            let agent = self.agents.get(&name).ok_or_else(|| {
                let known: Vec<&str> = self.agents.keys().map(String::as_str).collect();
                format!("no agent `{name}`; the agents are: {}", known.join(", "))
            })?;
            Ok(self.child(agent, prompt))
        });
        let (ops, ops_rx) = mpsc::unbounded_channel();
        let task = match prepared {
            Ok((deps, state, prompt)) => {
                tokio::spawn(run(deps, state, prompt, ops.clone(), ops_rx))
            }
            Err(why) => tokio::spawn(async move {
                Answer {
                    outcome: ToolOutcome::error(why),
                    spent: None,
                }
            }),
        };
        self.activity = Activity::Idle;
        self.subagents.push(Delegated {
            call,
            started,
            ops,
            task,
        });
    }

    /// A subagent answered while the round waited: what it spent is recorded, then
    /// `PostToolUse` hooks see its result, which goes to the model with the round's others.
    pub(super) async fn subagent_done(
        &mut self,
        i: usize,
        result: Result<Answer, tokio::task::JoinError>,
    ) {
        let done = self.subagents.remove(i);
        self.activity = Activity::Idle;
        let answer = result.unwrap_or_else(|e| Answer {
            outcome: ToolOutcome::error(format!("the agent failed: {e}")),
            spent: None,
        });
        if let Some(spent) = answer.spent
            && !self.record(vec![spent.event(&done.call.id)]).await
        {
            return;
        }
        let effects = self.post_tool(done.call, answer.outcome, done.started.elapsed());
        self.run(effects).await;
    }

    /// The agent's session: its deps (the parent's, narrowed) and its opened state.
    fn child(&self, agent: &Agent, prompt: String) -> (SessionDeps, SessionState, String) {
        let registry = &self.deps.tools.registry;
        let offered: Vec<String> = shape::offered_specs(&self.state, registry)
            .into_iter()
            .map(|s| s.name)
            .collect();
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        // For now, only what reads: a subagent's approvals and reviews do not reach the human
        // yet, so it is given nothing that would need them.
        let reads = |name: &&str| match registry.get(name) {
            Some(tool) => match tool.kind() {
                ToolKind::ReadOnly => true,
                ToolKind::External => !tool.mutates(),
                _ => false,
            },
            None => false,
        };
        let tools: Vec<&str> = agent.tools_of(&offered).into_iter().filter(reads).collect();
        let mut deps = self.deps.for_subagent(&tools);
        let route = routing::for_agent(
            &self.deps.routing.routes,
            &agent.name,
            agent.model.as_deref(),
            &self.choice(false),
        );
        deps.routing.routes.insert("default".into(), route);
        let state = crate::core::new_session(
            &self.state.workspace,
            // Its tools are already the parent's of this gear; its own gear only runs a turn
            // (a pipeline's or a plan's machinery is not a subagent's).
            Gear::Vibe,
            &deps.provider,
            Some(Subagent {
                parent: self.state.id.clone(),
                agent: agent.name.clone(),
                prompt: self.deps.tools.runner.secrets.redact(&agent.prompt),
            }),
        );
        (deps, state, prompt)
    }

    /// Cancels the subagents running: each session records its cancellation and ends by
    /// itself (its task is let go, not aborted, so nothing it holds is cut short; the
    /// session's end waits for it). Returns their calls' results, `outcome` each.
    pub(super) fn cancel_subagents(&mut self, outcome: &ToolOutcome) -> Vec<Event> {
        self.ending.retain(|t| !t.is_finished());
        let mut results = Vec::new();
        for d in std::mem::take(&mut self.subagents) {
            let _ = d.ops.send(Op::Cancel);
            let _ = d.ops.send(Op::Quit);
            self.ending.push(d.task);
            results.push(gates::result_event(&d.call, outcome, d.started.elapsed()));
        }
        results
    }
}

/// A subagent running: its call, since when, its session's ops, and its answer to come.
pub(super) struct Delegated {
    call: ToolCallRequest,
    started: Instant,
    ops: mpsc::UnboundedSender<Op>,
    task: JoinHandle<Answer>,
}

/// What a subagent's run comes to: the call's result, and what it spent (`None` when it
/// never ran).
pub(super) struct Answer {
    outcome: ToolOutcome,
    spent: Option<Spent>,
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
    fn event(self, call: &str) -> Event {
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

/// The next subagent to answer, by its place among `running`; pending forever when none
/// runs, so `select!` can always poll it.
pub(super) async fn finished(
    running: &mut [Delegated],
) -> (usize, Result<Answer, tokio::task::JoinError>) {
    if running.is_empty() {
        return std::future::pending().await;
    }
    let (done, i, _) = futures::future::select_all(running.iter_mut().map(|d| &mut d.task)).await;
    (i, done)
}

impl SessionDeps {
    /// A subagent's deps: the parent's store, models, sandbox and tool hooks, only `tools` of
    /// its registry, and nothing that would act beyond them — no session hooks, MCP servers of
    /// its own or routes (the caller gives it the one route it takes); whatever would need a
    /// human is refused.
    #[must_use]
    pub fn for_subagent(&self, tools: &[&str]) -> SessionDeps {
        let mut deps = self.clone();
        let ctx = Arc::make_mut(&mut deps.tools);
        ctx.registry.remove_where(|n| !tools.contains(&n));
        // Nothing of it reaches a human yet: what would ask one is refused, a checkpoint's
        // stop and a hook's `ask` included (never waited for).
        deps.policy.commands = ApprovalMode::Deny;
        deps.policy.changes = ApprovalMode::Deny;
        deps.policy.plan = false;
        deps.policy.gates = false;
        deps.policy.checkpoints = true;
        deps.skill_grants = false;
        deps.run_tests = false;
        deps.memory_step = false;
        deps.routing = crate::config::Routing {
            cooldown: self.routing.cooldown,
            routes: BTreeMap::new(),
        };
        // The user's tool hooks guard its calls as they guard the parent's.
        deps.hooks = Arc::new(
            self.hooks
                .only(&[HookEvent::PreToolUse, HookEvent::PostToolUse]),
        );
        deps.mcp_servers = BTreeMap::new();
        deps.mcp_problems = Vec::new();
        deps.config_problems = Vec::new();
        deps.transcripts = None;
        deps.interactive = false;
        deps
    }
}

/// Runs the agent's session to the end of its turn: sends the prompt, follows its events,
/// and answers with its final reply (or why there is none).
async fn run(
    deps: SessionDeps,
    state: SessionState,
    prompt: String,
    ops: mpsc::UnboundedSender<Op>,
    ops_rx: mpsc::UnboundedReceiver<Op>,
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
                if end.fold(&event) {
                    let _ = ops.send(Op::Quit);
                }
            }
        }
    }
    while let Ok(event) = events_rx.try_recv() {
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
        }
    }
}
