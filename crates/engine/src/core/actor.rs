//! The session actor: the thin async shell around the core's decisions.
//!
//! One prompt is one *turn*; a turn may take several *rounds* (model request → tool calls →
//! results → next request) up to `[agent] max_tool_rounds`. The actor polls its running
//! [`Activity`] (a stream, a tool, the test command) together with incoming ops, so a cancel or
//! an approval is handled whatever the turn is doing. Every input becomes [`Effect`]s, decided
//! by the pure functions of `core::machine`, and [`Actor::run`] executes them in order; an
//! effect never calls back into the loop, so nothing re-enters itself. Every event is committed
//! before it is applied or shown.
//!
//! Beside this file: `deps` (what a session needs), `start` (building the actor and what it
//! does before the first prompt), `activity` (what it is busy with and what wakes it), `outbox`
//! (events out, keys redacted), `instructions` (memory, skills, commands), `ops` (what the ops
//! ask for, run), `stream` (turns, streaming, cancel), `calls` (tool calls), `hooks` and
//! `hook_verdicts` (running hooks and what their verdict does), `review` (writing reviewed
//! changes, undo), `stages` (the pipeline's IO: skills, tests, commit), `context` (accounting,
//! compaction), `mcp` (servers), `probe` (the sandbox's verdict).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use activity::{Activity, checkpoint_due, probed, wake};
use gearshift_sandbox as sandbox;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::SessionState;
use super::machine::{self, ApprovalMode, Effect, Facts, gates, route, stage_gates};
use crate::context::{ContextReport, Ledger};
use crate::pipeline::{GateOp, StageEvent};
use crate::protocol::{CommandInfo, Event, Hint, NoticeLevel, Op};
use crate::provider::{ChatMessage, ToolCallRequest};
pub use deps::{ModelSwitch, SessionDeps};
use outbox::Outbox;

/// The most streamed text folded into one delta for the front end.
const MAX_DELTA_BYTES: usize = 64 * 1024;
/// A reply may stream this many bytes per token of the model's output limit (UTF-8 text and
/// JSON-escaped tool arguments run 3–6 bytes a token; the margin is for odd tokenizers)...
const BYTES_PER_OUTPUT_TOKEN: usize = 16;
/// ...but never less than this, for models with a tiny configured output.
const MIN_REPLY_CAP: usize = 256 * 1024;
/// How long an ending session waits for a cancelled subagent to record its end.
const SUBAGENT_END: Duration = Duration::from_secs(3);
/// A streaming reply is saved at least this often.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

mod activity;
mod agent_session;
mod calls;
mod context;
mod deps;
mod from_agents;
mod hook_verdicts;
mod hooks;
mod instructions;
mod mcp;
mod mcp_offers;
mod models;
mod nested;
mod ops;
mod outbox;
mod probe;
mod record;
mod review;
mod reviews;
mod stages;
mod start;
mod stream;
mod subagent;
mod subagent_tree;
mod watched;
mod watching;
mod workers;

struct Actor {
    deps: SessionDeps,
    state: SessionState,
    /// Every event bound for the front end passes here, keys redacted.
    events: Outbox,
    activity: Activity,
    /// Tool calls of the current round still to run.
    queue: VecDeque<ToolCallRequest>,
    round: u32,
    /// Prompts submitted while a turn was running, sent when it ends (recording them mid-turn
    /// would put a prompt between a tool call and its result).
    prompts: VecDeque<Op>,
    /// The project memory as last read (each turn).
    memory: String,
    /// The skill catalog as last found (each turn).
    catalog: String,
    /// What the system prompt holds of the two since its prefix began, and what the model was
    /// told since; `None` until the first request (and after a compaction or a model switch).
    frozen: Option<super::frozen::Frozen>,
    /// Skill problems already said, and the commands the front end was last sent: a skill
    /// found again each turn is not said again.
    skills_said: (Vec<String>, Vec<CommandInfo>),
    /// The user's commands and the skills, as last found (MCP prompts are added to them).
    listed_commands: Vec<CommandInfo>,
    /// The custom commands found at start (`/name args` prompt templates).
    custom: std::collections::BTreeMap<String, super::commands::CustomCommand>,
    /// Token accounting of the next request.
    ledger: Ledger,
    /// The raw estimate of the request in flight, to calibrate against its reported usage.
    sent_raw: u64,
    /// The last report sent, so an unchanged one is not sent again.
    last_report: Option<ContextReport>,
    /// The model ended the plan step (or proposed a plan): the turn ends after this round's
    /// calls instead of asking the model again.
    end_turn: bool,
    /// `G`: keep running approved steps, each once its changes are decided.
    run_all: bool,
    /// Whether the sandbox is in force, once the probe has said.
    sandbox: Option<sandbox::Status>,
    /// The probe started with the session (a process start, off the async threads).
    probe: Option<JoinHandle<sandbox::Status>>,
    /// The store failed: the session ends.
    stopped: bool,
    /// The front end asked the session to end (`Op::Quit`).
    quit: bool,
    /// How far the conversation was searched for folders the model opened files in, and the
    /// folders whose memory files were looked for (see `nested`).
    memory_scan: usize,
    folders_seen: std::collections::HashSet<std::path::PathBuf>,
    /// Skills loaded in this turn, whose `allowed-tools` pre-approve commands until the next
    /// prompt (as in Claude Code).
    granted: Vec<String>,
    /// Which model each request goes to (see `models`).
    models: models::Models,
    /// What hooks said for the model, said before its next request.
    hook_notes: Vec<String>,
    /// How often `Stop` hooks sent the model on in this turn.
    stop_continues: u32,
    /// The session as Claude Code's transcript, for hooks (`None` without hooks).
    transcript: Option<crate::hooks::transcript::Transcript>,
    /// A reply recorded after the hooks about it start (`Stop`): added to their transcript.
    pending_reply: Option<Arc<ChatMessage>>,
    /// The prompt being submitted is gearshift's (a plan revision quoting the model's plan),
    /// not typed: its `@server:uri` and `/name` are not acted on.
    generated: bool,
    /// The hooks that only watch, running beside the session (the next request waits for
    /// them, so what they say is in it).
    watching: tokio::task::JoinSet<Vec<crate::hooks::HookRun>>,
    /// The MCP servers, by name, and their background starts and watches.
    mcp: crate::mcp::servers::Servers,
    /// The agents a `task` call may start, and the subagents running (see `subagent`).
    agents: std::collections::BTreeMap<String, crate::agents::Agent>,
    subagents: Vec<subagent::Delegated>,
    /// The workers of plan steps running at the same time (see `workers`).
    workers: Vec<workers::Worker>,
    /// The last handle given to a subagent.
    handles: u64,
    /// What subagents say to the human comes in here, and their questions open with the
    /// human (see `from_agents`).
    forward_tx: mpsc::UnboundedSender<from_agents::Forwarded>,
    forward_rx: mpsc::UnboundedReceiver<from_agents::Forwarded>,
    asked: from_agents::Asked,
    /// The reviewing agents at work on changes, and those waiting (see `reviews`).
    reviews: reviews::Reviews,
    /// Cancelled subagents still recording their end: the session waits for them when it
    /// ends, so what they record is not cut short.
    /// Each with the id its spend is recorded under (its call's, or its worker's).
    ending: Vec<(String, JoinHandle<agent_session::Answer>)>,
}

/// Runs the session actor until it receives [`Op::Quit`] or every sender is dropped.
pub async fn run_session(
    deps: SessionDeps,
    state: SessionState,
    mut ops: mpsc::UnboundedReceiver<Op>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut actor = Actor::new(deps, state, events);
    actor.start().await;
    let ended = actor.serve(&mut ops).await;
    actor.finish(ended, &mut ops).await;
}

impl Actor {
    /// Takes ops and wakes until the session ends; how it ended, for `SessionEnd` hooks.
    async fn serve(&mut self, ops: &mut mpsc::UnboundedReceiver<Op>) -> &'static str {
        let mut ended = "other";
        loop {
            let checkpoint = checkpoint_due(&self.activity);
            let (mcp_busy, mcp_start) = (self.mcp.busy(), self.mcp.start_at());
            let delegating = matches!(self.activity, Activity::Delegating);
            tokio::select! {
                op = ops.recv() => {
                    let Some(op) = op else { break };
                    // An answer to a subagent's question is its subagent's; a cancel stops the
                    // reviews under way too.
                    let Some(op) = self.answer_agent(op) else { continue };
                    if matches!(op, Op::Cancel) {
                        self.cancel_reviews();
                    }
                    let effects = machine::ops::on_op(&self.state, &self.activity, self.facts(), op);
                    self.run(effects).await;
                    if self.quit {
                        if self.deps.interactive {
                            ended = "prompt_input_exit";
                        }
                        break;
                    }
                }
                w = wake(&mut self.activity) => self.on_wake(w).await,
                Some(said) = self.forward_rx.recv() => self.agent_said(said),
                Some(done) = self.reviews.running.join_next(), if !self.reviews.running.is_empty() => {
                    match done {
                        Ok(done) => self.review_done(done).await,
                        // It failed to run: the next waiting one starts all the same.
                        Err(_) => self.pump_reviews(),
                    }
                }
                // A subagent's answer is taken when the round waits for it.
                (i, done) = agent_session::first_answer(
                    self.subagents.iter_mut().map(|d| &mut d.task)
                ), if delegating => {
                    self.subagent_done(i, done).await;
                }
                (i, done) = agent_session::first_answer(
                    self.workers.iter_mut().map(|w| &mut w.task)
                ), if !self.workers.is_empty() => {
                    let effects = self.worker_done(i, done).await;
                    self.run(effects).await;
                }
                // Text that arrived is on disk within two seconds, however the stream goes on.
                () = tokio::time::sleep_until(checkpoint.unwrap_or_else(tokio::time::Instant::now)),
                    if checkpoint.is_some() => self.checkpoint(),
                status = probed(&mut self.probe), if self.probe.is_some() => {
                    self.probe = None;
                    self.sandbox_probed(status).await;
                }
                Some(done) = self.watching.join_next(), if !self.watching.is_empty() => {
                    self.watched_done(done.unwrap_or_default()).await;
                }
                Some(wake) = self.mcp.next(), if mcp_busy => {
                    self.mcp_woke(wake).await;
                }
                () = tokio::time::sleep_until(
                    mcp_start.unwrap_or_else(tokio::time::Instant::now)
                ), if mcp_start.is_some() => self.mcp.launch(),
            }
            if self.stopped {
                break;
            }
            if self.ready()
                && let Some(op) = self.prompts.pop_front()
            {
                // A queued prompt is the human's own.
                self.generated = false;
                let effects = self.submit(&op).await;
                self.run(effects).await;
            }
        }
        ended
    }

    /// Ends the session: what runs is cancelled unless a human holds it, the end hooks run,
    /// MCP servers stop, and everything queued is committed.
    /// `ops`: a cancel still stops the reviews it waits for.
    async fn finish(mut self, ended: &str, ops: &mut mpsc::UnboundedReceiver<Op>) {
        // A change under review and a command waiting for approval stay pending across a
        // restart: the gate holds until the human decides, in this process or the next. Anything
        // else running is cancelled.
        if !self.stopped && !self.activity.is_idle() && !self.activity.held_by_human() {
            self.cancel(self.activity.in_turn()).await;
        }
        // Subagents running beside a held call end too (the call waits for the human).
        if !self.stopped && !self.subagents.is_empty() {
            let results = self.cancel_subagents(&crate::tools::ToolOutcome::error(
                "cancelled: the session ended",
            ));
            self.record(results).await;
        }
        if !self.stopped {
            self.session_end_hooks(ended).await;
        }
        self.mcp.stop();
        self.end_reviews(ops).await;
        let root = self.deps.tools.workspace.root().to_path_buf();
        let mut spent = Vec::new();
        for (id, subagent) in std::mem::take(&mut self.ending) {
            if let Ok(Ok(mut answer)) = tokio::time::timeout(SUBAGENT_END, subagent).await {
                spent.extend(answer.spent.take().map(|s| s.event(&id)));
                subagent_tree::drop_tree(root.clone(), answer);
            }
        }
        // What the cancelled ones spent is the session's all the same.
        if !self.stopped && !spent.is_empty() {
            self.record(spent).await;
        }
        // Commit anything queued before the front end restores the terminal and exits.
        let store = self.deps.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.flush_blocking()).await;
    }

    /// Nothing runs and no change waits for review (after a resume, one may wait with the
    /// actor idle): a prompt can start a turn.
    fn ready(&self) -> bool {
        machine::activity::ready(&self.state, &self.activity)
    }

    /// What the decisions need to know beyond the recorded state.
    fn facts(&self) -> Facts {
        Facts {
            ready: self.ready(),
            run_all: self.run_all,
            policy: self.deps.policy,
            max_verify_rounds: self.deps.pipeline.max_verify_rounds,
            // Headless, a memory file is never written (it needs a human's review): no step.
            memory_step: self.deps.memory_step && self.deps.policy.changes == ApprovalMode::Ask,
            // A subagent's session runs no plan.
            parallel: if self.deps.parallel_steps && self.state.subagent.is_none() {
                self.deps.max_parallel
            } else {
                1
            },
        }
    }

    /// Executes effects in order. An effect that expands into more puts them first in line;
    /// a record that cannot be saved ends the chain (the session stops).
    async fn run(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            if self.stopped {
                return;
            }
            let Some(more) = self.execute(effect).await else {
                return;
            };
            for e in more.into_iter().rev() {
                queue.push_front(e);
            }
        }
    }

    /// Executes one effect; returns what follows from it, or `None` when the chain ends.
    async fn execute(&mut self, effect: Effect) -> Option<Vec<Effect>> {
        let facts = self.facts();
        let next = match effect {
            Effect::Record(events) => {
                let at_gate = events.iter().any(|e| {
                    matches!(
                        e,
                        Event::Stage {
                            event: StageEvent::AtGate { .. }
                        }
                    )
                });
                if !events.is_empty() && !self.record(events).await {
                    return None;
                }
                if at_gate {
                    vec![Effect::GateReached]
                } else {
                    Vec::new()
                }
            }
            Effect::Refuse { message, hint } => {
                let _ = self.events.send(Event::Refused { message, hint });
                Vec::new()
            }
            Effect::RunAll(all) => {
                self.set_run_all(all);
                Vec::new()
            }
            Effect::EndTurnAfterCalls => {
                self.end_turn = true;
                Vec::new()
            }
            Effect::StartTurn => return self.start_turn().await,
            Effect::ResumeTurn => {
                self.round = 1;
                if !self.reread_prompt_files().await {
                    return None;
                }
                vec![Effect::Request { may_compact: true }]
            }
            Effect::Request { may_compact } => return self.send_request(may_compact).await,
            Effect::Queue(calls) => {
                self.queue = calls.into();
                Vec::new()
            }
            Effect::NextCall => self.next_call().await,
            Effect::RunTool(call) => self.run_call(call),
            Effect::AwaitApproval(call) => {
                self.activity = Activity::Approving { call };
                Vec::new()
            }
            Effect::AwaitReview(call) => {
                self.activity = Activity::Reviewing { call };
                Vec::new()
            }
            Effect::DecideAll { change, verdict } => {
                route::decide_all(&self.state, &change, &verdict)
            }
            Effect::WriteReview(change) => self.write_review(&change).await,
            Effect::AfterReview => {
                if matches!(self.activity, Activity::Reviewing { .. }) {
                    self.activity = Activity::Idle;
                    vec![Effect::NextCall]
                } else {
                    vec![Effect::ResumeTurn]
                }
            }
            Effect::RunTests => {
                self.run_verify();
                Vec::new()
            }
            Effect::Commit(stage) => {
                self.ship(&stage).await;
                Vec::new()
            }
            Effect::AfterTurn => gates::after_turn(&self.state, facts),
            Effect::GateReached => gates::gate_reached(&self.state, facts),
            Effect::PassStage => stage_gates::stage_gate(&self.state, &GateOp::Pass, facts),
            Effect::Go { all } => gates::go(&self.state, all, facts),
            Effect::Work(steps) => return self.work_steps(steps).await,
            Effect::Merge(step) => return self.merge_step(step).await,
            Effect::AfterMerge => self.after_merge(),
            Effect::StartStage => stage_gates::start_stage(&self.state, facts),
            asked @ (Effect::Quit
            | Effect::Cancel { .. }
            | Effect::Answer { .. }
            | Effect::QueuePrompt(_)
            | Effect::Submit { .. }
            | Effect::Unqueue
            | Effect::SwitchModel(_)
            | Effect::RunShell(_)
            | Effect::Compact { .. }
            | Effect::Undo(_)
            | Effect::RestartMcp(_)) => return self.asked(asked).await,
        };
        Some(next)
    }

    /// Tells the front end an op was refused, without recording it: a refused op changes
    /// nothing.
    fn refuse(&self, message: impl Into<String>, hint: Option<Hint>) {
        let _ = self.events.send(Event::Refused {
            message: message.into(),
            hint,
        });
    }

    /// Warns the front end without recording it (a problem with this run's files).
    fn warn(&self, text: String) {
        let _ = self.events.send(Event::Notice {
            level: NoticeLevel::Warning,
            text,
        });
    }

    /// Runs every approved step by itself, or stops doing so; the front end is told.
    fn set_run_all(&mut self, on: bool) {
        if self.run_all != on {
            self.run_all = on;
            let _ = self.events.send(Event::RunningAll { on });
        }
    }
}
