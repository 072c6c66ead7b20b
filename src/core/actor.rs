//! The session actor: turns ops into model requests, tool calls and recorded events.
//!
//! One prompt is one *turn*; a turn may take several *rounds* (model request → tool calls →
//! results → next request) up to `[agent] max_tool_rounds`. The actor is a small state machine
//! ([`Activity`]) polled together with incoming ops, so a cancel or an approval is handled
//! whatever the turn is doing. Every event is committed before it is applied or shown.
//!
//! This file holds the loop, turns, streaming and tool calls; the gates live beside it:
//! `review` (hunk decisions, conflicts, undo), `plan` (the plan gear's steps), `stages` (the
//! pipeline gear) and `context` (accounting and compaction).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::shape;
use super::turn::{self, TurnEnd, TurnProgress};
use super::{Decision, SessionState, decide};
use std::path::Path;

use crate::changes::disk::{self, Submitted};
use crate::config::{ActiveProvider, Config, PipelineConfig, VibeEdits};
use crate::context::{ContextReport, Ledger};
use crate::pipeline::{self, GateOp, StageEvent, StageKind, StageStatus};
use crate::plan::{Plan, StepSpec, StepStatus};
use crate::protocol::{
    CommandDecision, ErrorKind, Event, FinishReason, Gear, NoticeLevel, Op, Verdict,
};
use crate::provider::{
    ChatMessage, ModelClient, ModelStream, ProviderError, StreamEvent, ToolCallRequest,
};
use crate::sandbox::{self, Sandbox};
use crate::store::Store;
use crate::tools::command::Allowlist;
use crate::tools::{
    self, CommandRunner, Guard, Secrets, ToolContext, ToolKind, ToolLimits, ToolOutcome, Workspace,
    Writes,
};

/// The most streamed text folded into one delta for the front end.
const MAX_DELTA_BYTES: usize = 64 * 1024;
/// A reply may stream this many bytes per token of the model's output limit (UTF-8 text and
/// JSON-escaped tool arguments run 3–6 bytes a token; the margin is for odd tokenizers)...
const BYTES_PER_OUTPUT_TOKEN: usize = 16;
/// ...but never less than this, for models with a tiny configured output.
const MIN_REPLY_CAP: usize = 256 * 1024;
/// A streaming reply is saved at least this often.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

mod context;
mod plan;
mod review;
mod stages;

/// What happens when the model asks to run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalMode {
    /// Ask the human (the TUI's modal).
    Ask,
    /// Run it (headless with `--approve-commands`).
    Approve,
    /// Refuse it, telling the model why (headless without the flag).
    Deny,
}

/// Why a session cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("cannot open the workspace {0}: {1}")]
    Workspace(String, std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// What a session actor needs besides its state.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: Store,
    pub client: Arc<dyn ModelClient>,
    pub provider: ActiveProvider,
    pub tools: Arc<ToolContext>,
    /// `[approvals] allow_commands`, compiled: commands that run without asking (only while the
    /// sandbox is in force).
    pub allowlist: Allowlist,
    pub approval_mode: ApprovalMode,
    /// Who decides proposed changes: the human (`Ask`), or headless accept-all / reject-all.
    pub review_mode: ApprovalMode,
    /// Whether the vibe gear writes edits at once or proposes them for review.
    pub vibe_edits: VibeEdits,
    pub context_lines: u32,
    pub max_tool_rounds: u32,
    /// Fill of the window at which older turns are compacted first (0: never automatically).
    pub compact_at: f64,
    /// `[agent] max_reply_bytes`.
    pub max_reply_bytes: usize,
    pub pipeline: PipelineConfig,
    /// The user's config dir, where their skills and pipelines live.
    pub config_dir: Option<std::path::PathBuf>,
}

impl SessionDeps {
    /// Everything from the configuration; the workspace must exist. Commands get this
    /// process's environment, scrubbed of keys; the sandbox helper is this binary when it is
    /// gearshift (see [`SessionDeps::with_sandbox_helper`]).
    pub fn new(
        store: Store,
        client: Arc<dyn ModelClient>,
        provider: ActiveProvider,
        config: &Config,
        workspace: &Path,
        approval_mode: ApprovalMode,
    ) -> Result<SessionDeps, DepsError> {
        let agent = &config.agent;
        let limits = ToolLimits {
            // Validated ranges (config::validate); the floors only guard a hand-built Config.
            read_max_bytes: agent.read_max_bytes.max(1024),
            command_timeout: Duration::from_secs_f64(agent.command_timeout.clamp(1.0, 86_400.0)),
            ..ToolLimits::default()
        };
        let ws = Workspace::new(workspace)
            .map_err(|e| DepsError::Workspace(workspace.display().to_string(), e))?
            .with_guard(Guard {
                protect_env: config.files.protect_env,
                read_hard_links: config.files.read_hard_links,
                own: Vec::new(),
            });
        let env = std::env::vars().collect();
        let sandbox = Sandbox::for_workspace(
            config.sandbox.mode,
            config.sandbox.network,
            ws.root(),
            &[],
            sandbox::this_binary(),
        );
        Ok(SessionDeps {
            store,
            client,
            provider,
            tools: Arc::new(ToolContext {
                workspace: ws,
                limits,
                runner: CommandRunner {
                    sandbox,
                    secrets: Secrets::new(&env, config),
                },
            }),
            allowlist: Allowlist::new(&config.approvals.allow_commands)
                .map_err(DepsError::Config)?,
            approval_mode,
            review_mode: approval_mode,
            vibe_edits: config.review.vibe,
            context_lines: config.review.context_lines,
            max_tool_rounds: agent.max_tool_rounds.max(1),
            compact_at: config.context.compact_at,
            max_reply_bytes: agent.max_reply_bytes.max(64 * 1024),
            pipeline: config.pipeline.clone(),
            config_dir: None,
        })
    }

    /// Runs commands through `helper` (a gearshift binary), or unconfined with `None`.
    #[must_use]
    pub fn with_sandbox_helper(mut self, helper: Option<std::path::PathBuf>) -> SessionDeps {
        Arc::make_mut(&mut self.tools).runner.sandbox.helper = helper;
        self
    }

    /// gearshift's own files (config, database, trust record): if they lie inside the
    /// workspace, the model's tools never write them and its commands see them read-only.
    #[must_use]
    pub fn protecting(mut self, own: &[std::path::PathBuf]) -> SessionDeps {
        let tools = Arc::make_mut(&mut self.tools);
        let root = tools.workspace.root().to_path_buf();
        let mut guard = tools.workspace.guard().clone();
        // A directory holding the workspace is represented by its files, not by itself.
        guard.own = own
            .iter()
            .filter(|p| !root.starts_with(p))
            .filter_map(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
            .collect();
        tools.workspace = tools.workspace.clone().with_guard(guard);
        let policy = &mut tools.runner.sandbox.policy;
        for p in own {
            let writable = policy.writable.iter().any(|w| p.starts_with(w));
            if writable && !root.starts_with(p) && !policy.protected.contains(p) {
                policy.protected.push(p.clone());
            }
        }
        self
    }

    /// The most one reply may stream: the configured cap, or less when the model's output
    /// limit says a real reply cannot be that long.
    #[must_use]
    pub fn reply_cap(&self) -> usize {
        let by_model = usize::try_from(self.provider.max_output_tokens)
            .unwrap_or(usize::MAX)
            .saturating_mul(BYTES_PER_OUTPUT_TOKEN)
            .max(MIN_REPLY_CAP);
        self.max_reply_bytes.min(by_model)
    }

    /// Whether write tools write or propose in this gear. Every gear but vibe gates edits;
    /// vibe does when `[review] vibe = "review"`.
    #[must_use]
    pub fn writes(&self, gear: Gear) -> Writes {
        if gear == Gear::Vibe && self.vibe_edits == VibeEdits::Apply {
            Writes::Apply
        } else {
            Writes::Propose
        }
    }
}

enum Activity {
    Idle,
    Streaming {
        stream: ModelStream,
        progress: TurnProgress,
        last_checkpoint: Instant,
        /// Bytes of the reply already in a checkpoint.
        saved: usize,
    },
    Approving {
        call: ToolCallRequest,
    },
    Running {
        call: ToolCallRequest,
        task: JoinHandle<ToolOutcome>,
        started: Instant,
    },
    /// A proposed change waits for the human's decisions.
    Reviewing {
        call: ToolCallRequest,
    },
    /// The pipeline's test command runs (the verify stage).
    Verifying {
        task: JoinHandle<(bool, String)>,
    },
    /// The model summarises the turns before `through`; `resume` continues the turn after.
    Compacting {
        stream: ModelStream,
        progress: TurnProgress,
        through: usize,
        before: u64,
        resume: bool,
    },
}

enum Wake {
    Stream(Option<Result<StreamEvent, ProviderError>>),
    ToolDone(Result<ToolOutcome, tokio::task::JoinError>),
    Verified(Result<(bool, String), tokio::task::JoinError>),
}

/// When a checkpoint is owed: unsaved reply text, two seconds after the last checkpoint.
fn checkpoint_due(activity: &Activity) -> Option<tokio::time::Instant> {
    match activity {
        Activity::Streaming {
            progress,
            last_checkpoint,
            saved,
            ..
        } if progress.text.len() > *saved => Some((*last_checkpoint + CHECKPOINT_EVERY).into()),
        _ => None,
    }
}

/// The next thing the running activity produces; pending forever when it produces nothing,
/// so `select!` can always poll it.
async fn wake(activity: &mut Activity) -> Wake {
    match activity {
        Activity::Streaming { stream, .. } | Activity::Compacting { stream, .. } => {
            Wake::Stream(stream.next().await)
        }
        Activity::Running { task, .. } => Wake::ToolDone(task.await),
        Activity::Verifying { task } => Wake::Verified(task.await),
        Activity::Idle | Activity::Approving { .. } | Activity::Reviewing { .. } => {
            std::future::pending().await
        }
    }
}

/// The sandbox probe's verdict; pending forever when there is no probe, so `select!` can
/// always poll it.
async fn probed(probe: &mut Option<JoinHandle<sandbox::Status>>) -> sandbox::Status {
    match probe {
        Some(handle) => handle.await.unwrap_or_else(|e| {
            sandbox::Status::Unavailable(format!(
                "the command sandbox is not in force: its probe failed ({e}); every command \
                 will ask"
            ))
        }),
        None => std::future::pending().await,
    }
}

struct Actor {
    deps: SessionDeps,
    state: SessionState,
    events: mpsc::UnboundedSender<Event>,
    activity: Activity,
    /// Tool calls of the current round still to run.
    queue: VecDeque<ToolCallRequest>,
    round: u32,
    /// Prompts submitted while a turn was running, sent when it ends (recording them mid-turn
    /// would put a prompt between a tool call and its result).
    prompts: VecDeque<Op>,
    memory: String,
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
}

/// Runs the session actor until it receives [`Op::Quit`] or every sender is dropped.
pub async fn run_session(
    deps: SessionDeps,
    state: SessionState,
    mut ops: mpsc::UnboundedReceiver<Op>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut actor = Actor {
        deps,
        state,
        events,
        activity: Activity::Idle,
        queue: VecDeque::new(),
        round: 0,
        prompts: VecDeque::new(),
        memory: String::new(),
        ledger: Ledger::default(),
        sent_raw: 0,
        last_report: None,
        end_turn: false,
        run_all: false,
        sandbox: None,
        probe: None,
        stopped: false,
    };
    let runner = actor.deps.tools.runner.clone();
    actor.probe = Some(tokio::task::spawn_blocking(move || runner.sandbox.probe()));
    // A model the catalog does not know runs on the provider's figures: said once, at start,
    // and not stored (it describes this run's configuration, not the session).
    if let Some(text) = actor.deps.provider.unknown_model_notice() {
        let _ = actor.events.send(Event::Notice {
            level: NoticeLevel::Info,
            text,
        });
    }
    // What fills the window is on screen before the first prompt.
    actor.memory = turn::project_memory(actor.deps.tools.workspace.root());
    actor.report_context();
    loop {
        let checkpoint = checkpoint_due(&actor.activity);
        tokio::select! {
            op = ops.recv() => {
                let Some(op) = op else { break };
                if !actor.on_op(op).await {
                    break;
                }
            }
            w = wake(&mut actor.activity) => actor.on_wake(w).await,
            // Text that arrived is on disk within two seconds, however the stream goes on.
            () = tokio::time::sleep_until(checkpoint.unwrap_or_else(tokio::time::Instant::now)),
                if checkpoint.is_some() => actor.checkpoint(),
            status = probed(&mut actor.probe), if actor.probe.is_some() => {
                actor.probe = None;
                actor.sandbox_probed(status).await;
            }
        }
        if actor.stopped {
            break;
        }
        if actor.ready()
            && let Some(op) = actor.prompts.pop_front()
        {
            actor.submit(&op).await;
        }
    }
    // A change under review stays pending across a restart: the gate holds until the human
    // decides, in this process or the next. Anything else running is cancelled.
    if !actor.stopped && !matches!(actor.activity, Activity::Reviewing { .. }) {
        actor.cancel().await;
    }
    // Commit anything queued before the front end restores the terminal and exits.
    let store = actor.deps.store.clone();
    let _ = tokio::task::spawn_blocking(move || store.flush_blocking()).await;
}

impl Actor {
    /// The probe's verdict arrived: the front end shows it, and a sandbox that is not in
    /// force is said in the session, once.
    async fn sandbox_probed(&mut self, status: sandbox::Status) {
        let policy = &self.deps.tools.runner.sandbox.policy;
        let problem = match &status {
            sandbox::Status::Unavailable(why) => Some(why.clone()),
            _ => None,
        };
        let _ = self.events.send(Event::SandboxStatus {
            mode: policy.mode.as_str().to_string(),
            network: policy.network,
            enforced: status.enforced(),
            problem: problem.clone(),
        });
        tracing::info!(?status, "sandbox probed");
        self.sandbox = Some(status);
        if let Some(text) = problem {
            self.record(vec![Event::Notice {
                level: NoticeLevel::Warning,
                text,
            }])
            .await;
        }
    }

    /// Whether the sandbox is in force, waiting for the probe if it has not answered yet.
    async fn sandbox_enforced(&mut self) -> bool {
        if let Some(probe) = self.probe.take() {
            let mut probe = Some(probe);
            let status = probed(&mut probe).await;
            self.sandbox_probed(status).await;
        }
        self.sandbox.as_ref().is_some_and(sandbox::Status::enforced)
    }

    /// Nothing runs and no change waits for review (after a resume, one may wait with the
    /// actor idle): a prompt can start a turn.
    fn ready(&self) -> bool {
        matches!(self.activity, Activity::Idle) && self.state.changes.pending().is_none()
    }

    /// Handles an op; returns false to stop the session.
    async fn on_op(&mut self, op: Op) -> bool {
        match op {
            Op::Cancel => self.cancel().await,
            Op::ApproveCommand { call_id, always } => {
                if let Activity::Approving { call } = &self.activity
                    && call.id == call_id
                {
                    let call = call.clone();
                    let decision = if always {
                        CommandDecision::Always
                    } else {
                        CommandDecision::Once
                    };
                    if self.decided(&call, decision).await {
                        self.run_call(call);
                    }
                }
            }
            Op::DenyCommand { call_id, reason } => {
                if let Activity::Approving { call } = &self.activity
                    && call.id == call_id
                {
                    let call = call.clone();
                    let text = match &reason {
                        Some(r) => format!("The user denied running this command: {r}"),
                        None => "The user denied running this command.".to_string(),
                    };
                    self.decided(&call, CommandDecision::Denied { reason })
                        .await;
                    self.finish_call(&call, ToolOutcome::error(text), Duration::ZERO)
                        .await;
                }
            }
            Op::Submit { .. } if !self.ready() => {
                self.prompts.push_back(op);
            }
            Op::SubmitReview { change } => self.submit_review(&change).await,
            Op::Go { all } => self.go(all).await,
            Op::PassGate => self.gate(GateOp::Pass).await,
            Op::SendBack { comments } => self.gate(GateOp::SendBack(comments)).await,
            Op::SkipStage => self.gate(GateOp::Skip).await,
            Op::RevisePlan => self.revise_plan().await,
            Op::Compact => {
                if !self.ready() {
                    self.notify("compact when the model has finished and no review waits".into());
                } else if !self.start_compaction(false) {
                    self.notify(
                        "nothing to compact yet: compaction summarises the turns before the \
                         latest prompt"
                            .into(),
                    );
                }
            }
            Op::Repropose { change } => self.repropose(&change).await,
            Op::Undo => self.undo().await,
            Op::Submit { .. } => self.submit(&op).await,
            other => match decide(&self.state, &other) {
                Decision::Ignore => {}
                Decision::Stop => return false,
                Decision::Record(new) => {
                    self.record(new).await;
                }
            },
        }
        true
    }

    async fn submit(&mut self, op: &Op) {
        if let Decision::Record(new) = decide(&self.state, op)
            && self.record(new).await
        {
            // In the pipeline gear a prompt starts a run, unless one is under way.
            let running = self
                .state
                .pipeline
                .as_ref()
                .is_some_and(|p| !p.run.finished());
            if self.state.gear == Gear::Pipeline && !running {
                if let Op::Submit { text, .. } = op {
                    self.start_pipeline(text).await;
                }
                return;
            }
            self.start_turn().await;
        }
    }

    async fn start_turn(&mut self) {
        // The sandbox's state is known (and shown) before the model can ask for a command.
        self.sandbox_enforced().await;
        let number = self.state.turns + 1;
        if !self.record(vec![Event::TurnStarted { turn: number }]).await {
            return;
        }
        self.round = 1;
        // Read once per turn, so edits to AGENTS.md apply from the next prompt.
        self.memory = turn::project_memory(self.deps.tools.workspace.root());
        tracing::info!(turn = number, provider = %self.deps.client.provider(), "turn started");
        self.start_stream().await;
    }

    /// Sends the next request of the turn: compacting first when the window is filling up,
    /// refusing when it would not fit and nothing is left to compact.
    async fn start_stream(&mut self) {
        self.send_request(true).await;
    }

    async fn send_request(&mut self, may_compact: bool) {
        let report = self.report_context();
        let threshold = self.deps.compact_at;
        if may_compact
            && (report.over() || (threshold > 0.0 && report.fill() >= threshold))
            && self.start_compaction(true)
        {
            return;
        }
        if report.over() {
            let message = format!(
                "not sent: the request needs about {} tokens plus {} kept for the reply, over \
                 the model's window of {}, and nothing is left to compact. Drop large items in \
                 the context pane (d), or start a new session.",
                report.used(),
                report.reserved,
                report.window
            );
            tracing::warn!("{message}");
            self.activity = Activity::Idle;
            let events = vec![
                Event::Error {
                    kind: ErrorKind::Context,
                    message,
                },
                Event::TurnFinished {
                    reason: FinishReason::Error,
                },
            ];
            self.record(events).await;
            return;
        }
        self.sent_raw = self.ledger.last_raw();
        let request = turn::build_request(&self.state, &self.deps.provider, &self.memory);
        self.activity = Activity::Streaming {
            stream: self.deps.client.stream(request),
            progress: TurnProgress::default(),
            last_checkpoint: Instant::now(),
            saved: 0,
        };
    }

    async fn on_wake(&mut self, wake: Wake) {
        if let Activity::Compacting { progress, .. } = &mut self.activity {
            match wake {
                Wake::Stream(Some(Ok(event))) => {
                    progress.absorb(event);
                    let cap = self.deps.reply_cap();
                    if progress.bytes() > cap {
                        let e = ProviderError::ReplyTooLong {
                            limit: cap,
                            max_output: self.deps.provider.max_output_tokens,
                        };
                        self.finish_compaction(Some(e)).await;
                    }
                }
                Wake::Stream(None) => self.finish_compaction(None).await,
                Wake::Stream(Some(Err(e))) => self.finish_compaction(Some(e)).await,
                Wake::ToolDone(_) | Wake::Verified(_) => {}
            }
            return;
        }
        match wake {
            Wake::Stream(Some(Ok(event))) => self.on_stream_event(event).await,
            Wake::Stream(None) => self.round_complete().await,
            Wake::Stream(Some(Err(e))) => {
                let progress = self.take_progress();
                self.calibrate(&progress);
                tracing::warn!("turn failed");
                let events =
                    turn::finish_events(&progress, &TurnEnd::Failed(e), &self.deps.provider);
                self.record(events).await;
            }
            Wake::Verified(result) => {
                self.activity = Activity::Idle;
                let (passed, output) = result
                    .unwrap_or_else(|e| (false, format!("the test command failed to run: {e}")));
                self.verified(passed, &output).await;
            }
            Wake::ToolDone(result) => {
                let Activity::Running { call, started, .. } =
                    std::mem::replace(&mut self.activity, Activity::Idle)
                else {
                    return;
                };
                let outcome =
                    result.unwrap_or_else(|e| ToolOutcome::error(format!("the tool failed: {e}")));
                self.finish_call(&call, outcome, started.elapsed()).await;
            }
        }
    }

    async fn on_stream_event(&mut self, first: StreamEvent) {
        let Activity::Streaming {
            stream, progress, ..
        } = &mut self.activity
        else {
            return;
        };
        // Fold in what has already arrived, so a fast stream reaches the front end as a few
        // large deltas rather than thousands of tiny ones.
        let thought_from = progress.reasoning.len();
        let mut shown = progress.absorb(first).unwrap_or_default();
        let mut failed = None;
        while shown.len() + progress.reasoning.len() - thought_from < MAX_DELTA_BYTES {
            match stream.try_next() {
                Some(Ok(e)) => {
                    if let Some(text) = progress.absorb(e) {
                        shown.push_str(&text);
                    }
                }
                Some(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                None => break,
            }
        }
        let cap = self.deps.reply_cap();
        if failed.is_none() && progress.bytes() > cap {
            // An endless reply: stop it here, keep it, say why.
            failed = Some(ProviderError::ReplyTooLong {
                limit: cap,
                max_output: self.deps.provider.max_output_tokens,
            });
        }
        // Reasoning comes before the answer in every wire form.
        if progress.reasoning.len() > thought_from {
            let text = progress.reasoning[thought_from..].to_string();
            let _ = self.events.send(Event::ReasoningDelta { text });
        }
        if !shown.is_empty() {
            let _ = self.events.send(Event::AssistantDelta { text: shown });
        }
        if let Some(e) = failed {
            Box::pin(self.on_wake(Wake::Stream(Some(Err(e))))).await;
        }
    }

    /// Saves the reply so far. Not waited for: the writer keeps order, and the final message
    /// supersedes it.
    fn checkpoint(&mut self) {
        if let Activity::Streaming {
            progress,
            last_checkpoint,
            saved,
            ..
        } = &mut self.activity
        {
            // Checkpoints are not waited for, so an earlier one's failure surfaces here.
            if let Some(failure) = self.deps.store.take_error() {
                let _ = self.events.send(Event::Error {
                    kind: ErrorKind::Store,
                    message: format!("not saved: {failure}"),
                });
            }
            *last_checkpoint = Instant::now();
            *saved = progress.text.len();
            self.deps.store.append(
                &self.state.id,
                vec![Event::AssistantCheckpoint {
                    text: progress.text.clone(),
                    reasoning: progress.reasoning.clone(),
                }],
            );
        }
    }

    fn take_progress(&mut self) -> TurnProgress {
        match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Streaming { progress, .. } => progress,
            _ => TurnProgress::default(),
        }
    }

    /// A model response ended normally: record it, then run its tool calls or end the turn.
    async fn round_complete(&mut self) {
        let progress = self.take_progress();
        self.calibrate(&progress);
        let calls = progress.tool_calls();
        if !self
            .record(turn::reply_events(&progress, true, &self.deps.provider))
            .await
        {
            return;
        }
        if calls.is_empty() {
            let mut events = Vec::new();
            // A step whose turn ended without complete_step still stops at its gate.
            if let Some(step) = self.running_step() {
                events.push(Event::StepStatusChanged {
                    step,
                    status: StepStatus::AwaitingReview,
                    note: Some("the model ended its turn without calling complete_step".into()),
                });
            }
            events.extend(turn::end_events(&TurnEnd::Completed, progress.reason));
            if self.record(events).await {
                self.after_step().await;
            }
            return;
        }
        if self.round >= self.deps.max_tool_rounds {
            let limit = self.deps.max_tool_rounds;
            let mut events: Vec<Event> = calls
                .iter()
                .map(|c| {
                    result_event(
                        c,
                        &ToolOutcome::error("not run: the tool round limit was reached"),
                        Duration::ZERO,
                    )
                })
                .collect();
            events.push(Event::Error {
                kind: ErrorKind::Tool,
                message: format!(
                    "stopped after {limit} rounds of tool calls ([agent] max_tool_rounds); \
                     send a prompt to let the model continue"
                ),
            });
            events.push(Event::TurnFinished {
                reason: FinishReason::Error,
            });
            self.record(events).await;
            return;
        }
        self.queue = calls.into();
        self.next_call().await;
    }

    /// Runs the next queued tool call, or starts the next round when none is left.
    async fn next_call(&mut self) {
        loop {
            let Some(call) = self.queue.pop_front() else {
                if std::mem::take(&mut self.end_turn) {
                    if self
                        .record(turn::end_events(&TurnEnd::Completed, None))
                        .await
                    {
                        Box::pin(self.after_step()).await;
                    }
                    return;
                }
                self.round += 1;
                self.start_stream().await;
                return;
            };
            if !shape::tool_offered(&self.state, &call.name) && tools::kind_of(&call.name).is_some()
            {
                let outcome = ToolOutcome::error(format!(
                    "`{}` is not available in the {} gear; use the tools offered in this request",
                    call.name, self.state.gear
                ));
                if !self
                    .record(vec![result_event(&call, &outcome, Duration::ZERO)])
                    .await
                {
                    return;
                }
                continue;
            }
            match tools::kind_of(&call.name) {
                Some(ToolKind::Plan) => {
                    if !self.propose_plan(&call).await {
                        return;
                    }
                    continue;
                }
                Some(ToolKind::Step) => {
                    if !self.end_step(&call).await {
                        return;
                    }
                    continue;
                }
                _ => {}
            }
            if tools::kind_of(&call.name) == Some(ToolKind::Shell)
                && let Some(command) = tools::command_of(&call)
            {
                // The allowlist was written in advance for a sandboxed command; without the
                // sandbox every command asks. An "always" the human gave in this session
                // stands: they decided with the sandbox's state in front of them.
                let listed = self.deps.allowlist.allows(&command) && self.sandbox_enforced().await;
                let decision = if listed || self.state.allowed_commands.contains(command.trim()) {
                    Some(CommandDecision::Allowed)
                } else {
                    match self.deps.approval_mode {
                        ApprovalMode::Ask => None,
                        ApprovalMode::Approve => Some(CommandDecision::Headless),
                        ApprovalMode::Deny => Some(CommandDecision::Denied {
                            reason: Some(
                                "commands are not run headless without --approve-commands".into(),
                            ),
                        }),
                    }
                };
                match decision {
                    None => {
                        let asked = Event::CommandApprovalRequested {
                            id: call.id.clone(),
                            command,
                        };
                        if self.record(vec![asked]).await {
                            self.activity = Activity::Approving { call };
                        }
                        return;
                    }
                    Some(CommandDecision::Denied { reason }) => {
                        let text = format!(
                            "Not run: {}.",
                            reason.clone().unwrap_or_else(|| "denied".into())
                        );
                        if !self
                            .decided(&call, CommandDecision::Denied { reason })
                            .await
                            || !self
                                .record(vec![result_event(
                                    &call,
                                    &ToolOutcome::error(text),
                                    Duration::ZERO,
                                )])
                                .await
                        {
                            return;
                        }
                        continue;
                    }
                    Some(decision) => {
                        if self.decided(&call, decision).await {
                            self.run_call(call);
                        }
                        return;
                    }
                }
            }
            self.run_call(call);
            return;
        }
    }

    async fn decided(&mut self, call: &ToolCallRequest, decision: CommandDecision) -> bool {
        let command = tools::command_of(call).unwrap_or_default();
        self.record(vec![Event::CommandDecided {
            id: call.id.clone(),
            command: command.trim().to_string(),
            decision,
        }])
        .await
    }

    fn run_call(&mut self, call: ToolCallRequest) {
        let ctx = Arc::clone(&self.deps.tools);
        let task_call = call.clone();
        let writes = self.deps.writes(self.state.gear);
        let task = tokio::spawn(async move { tools::execute(&task_call, &ctx, writes).await });
        self.activity = Activity::Running {
            call,
            task,
            started: Instant::now(),
        };
    }

    /// Records a call's result (and the file change it made), then moves on. A proposed change
    /// is recorded and waits for review instead: its result is the review.
    async fn finish_call(&mut self, call: &ToolCallRequest, outcome: ToolOutcome, took: Duration) {
        self.activity = Activity::Idle;
        if outcome.ok
            && let Some(change) = &outcome.change
            && self.deps.writes(self.state.gear) == Writes::Propose
        {
            if let Some(why) = &outcome.checkpoint
                && self.deps.review_mode != ApprovalMode::Ask
            {
                // A protected path is written only by a human's decision, never headless.
                let text = format!(
                    "not written: {} is protected — {why}. A run without a human never writes \
                     it; tell the user what it should contain.",
                    change.path
                );
                let events = vec![result_event(call, &ToolOutcome::error(text), took)];
                if self.record(events).await {
                    self.next_call().await;
                }
                return;
            }
            let proposed = Event::ChangeProposed {
                id: call.id.clone(),
                change: change.clone(),
                context: self.deps.context_lines,
                checkpoint: outcome.checkpoint.clone(),
            };
            if !self.record(vec![proposed]).await {
                return;
            }
            self.activity = Activity::Reviewing { call: call.clone() };
            let verdict = match self.deps.review_mode {
                ApprovalMode::Ask => return,
                ApprovalMode::Approve => Verdict::Accept,
                ApprovalMode::Deny => Verdict::Reject,
            };
            // Headless: every hunk decided at once, recorded like a human's decisions.
            let decisions: Vec<Event> = self
                .state
                .changes
                .get(&call.id)
                .map(|e| {
                    e.hunks
                        .iter()
                        .map(|h| Event::HunkDecided {
                            change: call.id.clone(),
                            hunk: h.id.clone(),
                            verdict: verdict.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if self.record(decisions).await {
                Box::pin(self.submit_review(&call.id)).await;
            }
            return;
        }
        let mut events = Vec::new();
        if let Some(change) = &outcome.change {
            events.push(Event::FileChanged {
                id: call.id.clone(),
                change: change.clone(),
            });
        }
        events.push(result_event(call, &outcome, took));
        if self.record(events).await {
            self.next_call().await;
        }
    }

    /// Stops whatever runs and closes the turn: a partial reply is kept (interrupted), and
    /// every tool call left gets a result saying it was cancelled.
    async fn cancel(&mut self) {
        let cancelled = ToolOutcome::error("cancelled by the user");
        // The test command and a compaction asked for with C are not part of a turn.
        let in_turn = !matches!(
            self.activity,
            Activity::Verifying { .. } | Activity::Compacting { resume: false, .. }
        );
        let mut events = match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Idle => return,
            Activity::Streaming {
                stream, progress, ..
            } => {
                // Dropping the stream aborts the request.
                drop(stream);
                turn::reply_events(&progress, false, &self.deps.provider)
            }
            Activity::Approving { call } => vec![
                Event::CommandDecided {
                    id: call.id.clone(),
                    command: tools::command_of(&call).unwrap_or_default(),
                    decision: CommandDecision::Denied {
                        reason: Some("cancelled".into()),
                    },
                },
                result_event(&call, &cancelled, Duration::ZERO),
            ],
            Activity::Running {
                call,
                task,
                started,
            } => {
                // Aborting drops the command's process-group guard, which kills the group.
                task.abort();
                vec![result_event(&call, &cancelled, started.elapsed())]
            }
            Activity::Verifying { task } => {
                task.abort();
                vec![Event::Error {
                    kind: ErrorKind::Tool,
                    message: "the test command was cancelled".into(),
                }]
            }
            Activity::Compacting { stream, .. } => {
                drop(stream);
                vec![Event::Error {
                    kind: ErrorKind::Context,
                    message: "compaction cancelled".into(),
                }]
            }
            Activity::Reviewing { call } => vec![
                Event::ChangeWithdrawn {
                    id: call.id.clone(),
                    reason: "cancelled by the user".into(),
                },
                result_event(
                    &call,
                    &ToolOutcome::error(
                        "cancelled by the user; the proposed change was not applied",
                    ),
                    Duration::ZERO,
                ),
            ],
        };
        events.extend(
            self.queue
                .drain(..)
                .map(|c| result_event(&c, &cancelled, Duration::ZERO)),
        );
        self.run_all = false;
        self.end_turn = false;
        if let Some(step) = self.running_step() {
            events.push(Event::StepStatusChanged {
                step,
                status: StepStatus::Approved,
                note: Some("cancelled; g runs it again".into()),
            });
        }
        if in_turn {
            events.extend(turn::end_events(&TurnEnd::Cancelled, None));
        }
        self.record(events).await;
    }

    /// Tells the front end something went wrong without recording it: a refused request
    /// changes nothing.
    fn notify(&self, message: String) {
        let _ = self.events.send(Event::Error {
            kind: ErrorKind::Tool,
            message,
        });
    }

    /// Commits events, then applies and emits them. Returns whether they were saved.
    async fn record(&mut self, new: Vec<Event>) -> bool {
        match self
            .deps
            .store
            .append_acked(&self.state.id, new.clone())
            .await
        {
            Ok(Ok(_)) => {
                for e in new {
                    self.state.apply(&e);
                    let _ = self.events.send(e);
                }
                self.report_context();
                true
            }
            Ok(Err(e)) => {
                self.report(&e.to_string());
                false
            }
            Err(_) => {
                self.report("the session store stopped; nothing more is saved");
                false
            }
        }
    }

    /// The store failed: nothing more can be recorded, so the session stops — whatever runs
    /// is stopped, the front end is told what failed and what was kept, and the turn is closed
    /// for it (unrecorded) so nothing waits for an end that cannot be saved.
    fn report(&mut self, message: &str) {
        tracing::error!(message, "store failure");
        let streaming = match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Running { task, .. } => {
                task.abort();
                false
            }
            Activity::Verifying { task } => {
                task.abort();
                false
            }
            Activity::Streaming { .. } | Activity::Compacting { .. } => true,
            Activity::Idle | Activity::Approving { .. } | Activity::Reviewing { .. } => false,
        };
        self.queue.clear();
        self.prompts.clear();
        let kept = if streaming {
            " The reply on screen was saved up to its last checkpoint (at most two seconds old)."
        } else {
            " Everything before this message was saved."
        };
        let _ = self.events.send(Event::Error {
            kind: ErrorKind::Store,
            message: format!(
                "not saved: {message}. The session stops here, since nothing more can be \
                 saved.{kept} Resume it with --continue once the problem is fixed."
            ),
        });
        let _ = self.events.send(Event::TurnFinished {
            reason: FinishReason::Error,
        });
        self.stopped = true;
    }
}

fn result_event(call: &ToolCallRequest, outcome: &ToolOutcome, took: Duration) -> Event {
    Event::ToolResult {
        id: call.id.clone(),
        ok: outcome.ok,
        content: outcome.content.clone(),
        summary: outcome.summary.clone(),
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}
