//! The one contract between front ends (TUI, headless `exec`), the core and the store.
//!
//! A front end sends [`Op`]s ("what the human asks for") and receives [`Event`]s ("what
//! happened"). The store persists events verbatim as JSON, so every type here is a stable,
//! tagged serde type: renaming a variant or a field is a schema change of the session log.
//! Variants for the plan, change-review, context and pipeline areas are added by the issues that
//! implement them; decoding an event kind this binary does not know yields an error, never a
//! silent drop, so an old binary cannot rewrite a newer session's history.

use serde::{Deserialize, Serialize};

pub use crate::changes::FileChange;
pub use crate::changes::hunks::Verdict;
pub use crate::context::ContextReport;
pub use crate::pipeline::{Pipeline, StageEvent};
pub use crate::plan::{PlanEdit, StepSpec, StepStatus};

/// How much autonomy the model has (docs/gears.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gear {
    /// Chat, and the model edits directly.
    #[default]
    Vibe,
    /// Read-only exploration, an editable plan, gated execution.
    Plan,
    /// A skill pipeline whose every stage is gated on approval of its artifact.
    Pipeline,
}

impl Gear {
    pub const ALL: [Gear; 3] = [Gear::Vibe, Gear::Plan, Gear::Pipeline];

    /// The next gear in the vibe → plan → pipeline → vibe cycle.
    #[must_use]
    pub fn next(self) -> Gear {
        match self {
            Gear::Vibe => Gear::Plan,
            Gear::Plan => Gear::Pipeline,
            Gear::Pipeline => Gear::Vibe,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Gear::Vibe => "vibe",
            Gear::Plan => "plan",
            Gear::Pipeline => "pipeline",
        }
    }
}

impl std::fmt::Display for Gear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Gear {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vibe" => Ok(Gear::Vibe),
            "plan" => Ok(Gear::Plan),
            "pipeline" => Ok(Gear::Pipeline),
            other => Err(format!(
                "unknown gear `{other}`; expected vibe, plan or pipeline"
            )),
        }
    }
}

/// What a session is about, recorded when it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: String,
    pub workspace: String,
    pub gear: Gear,
    pub provider: String,
    pub model: String,
    /// Unix time in milliseconds.
    pub created_at: i64,
}

/// Requests from a front end to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Send a prompt to the model.
    Submit {
        text: String,
        /// Paths of files the user attached to the prompt.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// Stop whatever the core is doing (a stream, a tool) as soon as possible.
    Cancel,
    SetGear {
        gear: Gear,
    },
    SetModel {
        provider: String,
        model: String,
    },
    SetTitle {
        title: String,
    },
    /// Run the command the model asked for; `always` allows this exact command for the rest
    /// of the session.
    ApproveCommand {
        call_id: String,
        #[serde(default)]
        always: bool,
    },
    /// Refuse the command; the reason goes to the model.
    DenyCommand {
        call_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Decide one hunk of the change under review.
    DecideHunk {
        change: String,
        hunk: String,
        #[serde(flatten)]
        verdict: Verdict,
    },
    /// Attach a comment for the model to a hunk (an empty comment removes it).
    CommentHunk {
        change: String,
        hunk: String,
        comment: String,
    },
    /// Write the accepted hunks and tell the model the decisions.
    SubmitReview {
        change: String,
    },
    /// Withdraw the change and ask the model for a fresh proposal (after a conflict, say).
    Repropose {
        change: String,
    },
    /// Undo the last applied change that is not undone yet.
    Undo,
    /// Leave a conversation message out of future requests (or bring it back).
    DropItem {
        item: usize,
        dropped: bool,
    },
    /// Keep a conversation message verbatim through compaction (or stop keeping it).
    PinItem {
        item: usize,
        pinned: bool,
    },
    /// Summarise the older turns now.
    Compact,
    /// `/compact FOCUS`: summarise them now, keeping most of what `focus` names.
    CompactFocus {
        focus: String,
    },
    /// Take back the last prompt sent while the model worked and not delivered yet (to edit
    /// it); answered by [`Event::Unqueued`].
    Unqueue,
    /// `!command` in the composer: the human runs a shell command (no approval: they typed
    /// it); its output goes to the model with the next prompt.
    Shell {
        command: String,
    },
    /// Change the plan (approve, reject, edit, add, delete, move, comment).
    EditPlan {
        #[serde(flatten)]
        edit: PlanEdit,
    },
    /// Send the plan's comments to the model for a revised plan.
    RevisePlan,
    /// Pass the current step's gate and run the next approved step (`all`: every remaining
    /// one, each still waiting for its changes to be decided).
    Go {
        #[serde(default)]
        all: bool,
    },
    /// Mark the step the model left incomplete as done, deliberately.
    MarkStepDone,
    /// Pass the current pipeline stage's gate.
    PassGate,
    /// Send the current stage back to the model with comments.
    SendBack {
        comments: String,
    },
    /// Skip the current stage (recorded).
    SkipStage,
    /// `/mcp restart NAME`: stop the MCP server if it runs, and start it again.
    RestartMcp {
        server: String,
    },
    Quit,
}

/// A command the composer can send as `/name args`, which the core expands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandInfo {
    pub name: String,
    /// What its arguments are (`argument-hint`).
    #[serde(default)]
    pub hint: String,
    pub description: String,
    pub kind: CommandKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// A skill: its instructions follow the prompt.
    Skill,
    /// A prompt template (`commands/NAME.md`): it becomes the prompt, `$ARGUMENTS` filled in.
    Custom,
    /// An MCP server's prompt (`/mcp__server__prompt args`): its messages become the prompt.
    McpPrompt,
}

/// How a command the model asked to run was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum CommandDecision {
    /// The human approved it this once.
    Once,
    /// The human approved it for the rest of the session.
    Always,
    /// `[approvals] allow_commands` or an earlier "always" allowed it.
    Allowed,
    /// The `allowed-tools` of a skill the user installed, active in this turn or stage.
    Skill { skill: String },
    /// A `PreToolUse` hook of the user's own (`source`: the file it is in) answered `allow`.
    Hook { source: String },
    /// Headless, with `--approve-commands`.
    Headless,
    Denied {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// Why a model turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model said all it had to say.
    Stop,
    /// The model hit its output-token limit.
    Length,
    /// The model asked for tools.
    ToolCalls,
    /// The human cancelled.
    Cancelled,
    /// An error ended the turn.
    Error,
}

/// What kind of failure an [`Event::Error`] reports, so front ends can react by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Config,
    Provider,
    Auth,
    RateLimit,
    Network,
    Tool,
    Store,
    /// The request would not fit the model's context window.
    Context,
    Internal,
}

/// One model request as `gearshift stats` and the usage line see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    pub provider: String,
    pub model: String,
    pub gear: Gear,
    /// The pipeline stage it ran for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// `turn` (a reply) or `compact` (a summary).
    pub purpose: String,
    /// From sending the request to the end of its stream.
    pub latency_ms: u64,
    /// From sending the request to the first token of text, reasoning or a tool call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    /// How it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorKind>,
    /// Attempts before this one that the provider refused for a while (429, 5xx, no
    /// connection) and the HTTP layer sent again.
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub retries: u32,
    /// The provider reported no usage (a cancelled or broken stream): the tokens are
    /// gearshift's estimate of what it billed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if takes a reference
fn is_zero32(n: &u32) -> bool {
    *n == 0
}

impl ErrorKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Provider => "provider",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimit => "rate_limit",
            ErrorKind::Network => "network",
            ErrorKind::Tool => "tool",
            ErrorKind::Store => "store",
            ErrorKind::Context => "context",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Who wrote a message; used for search and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// Everything that happens in a session. Persisted events are the session's source of truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    SessionOpened {
        meta: SessionMeta,
    },
    /// The events before this one were read from an export file (`sessions import`, at `at`,
    /// unix milliseconds): they are history, and grant nothing — no standing approval, no
    /// model switch — in this session.
    Imported {
        at: i64,
    },
    /// This session began as a copy of another's history.
    SessionForked {
        from: String,
    },
    /// A session was reopened (`--resume`/`--continue`); the log continues.
    SessionResumed {
        provider: String,
        model: String,
    },
    UserMessage {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    GearChanged {
        from: Gear,
        to: Gear,
    },
    /// The model requests go to from now on: the human's choice (`/model`), applying to the
    /// route in effect, or a `[routing]` route taking over (`routed`).
    ModelChanged {
        provider: String,
        model: String,
        /// The route the choice is for (`plan`, `implement`, a stage, `default`); `None` in
        /// sessions recorded before routing, meaning `default`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<String>,
        /// Set when routing chose the model, not the human.
        #[serde(default, skip_serializing_if = "is_false")]
        routed: bool,
    },
    /// A provider was down before it answered, so the same request went to the next model of
    /// the route's `fallback` list.
    ModelFellBack {
        from: String,
        to: String,
        reason: String,
    },
    TitleChanged {
        title: String,
    },
    TurnStarted {
        turn: u32,
    },
    /// A fragment of streaming model output. Never persisted; see [`Event::is_persisted`].
    AssistantDelta {
        text: String,
    },
    /// A fragment of the model's reasoning as it streams. Never persisted.
    ReasoningDelta {
        text: String,
    },
    /// The reply so far, saved every few seconds while it streams, so a crash loses little.
    /// Superseded by the [`Event::AssistantMessage`] that ends the reply.
    AssistantCheckpoint {
        text: String,
        /// The reasoning so far.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reasoning: String,
    },
    /// What the model thought before the reply that follows: shown dim and collapsed, kept
    /// out of the answer text and of search, and passed back where the provider requires it.
    Reasoning {
        reasoning: crate::provider::Reasoning,
    },
    /// Model text: the whole reply, or a checkpoint of a reply still streaming (`partial`).
    AssistantMessage {
        text: String,
        /// The stream stopped before the model finished (cancel, error).
        #[serde(default)]
        interrupted: bool,
    },
    Usage {
        input: u64,
        output: u64,
        #[serde(default)]
        cached: u64,
        /// Input written to the provider's prompt cache (part of `input`).
        #[serde(default, skip_serializing_if = "is_zero")]
        cache_write: u64,
        /// Output spent reasoning (part of `output`), where the provider says.
        #[serde(default, skip_serializing_if = "is_zero")]
        reasoning: u64,
        /// Cost in US dollars, when the provider has prices configured.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<f64>,
        /// Which model answered, for what, how fast: one per request (absent in sessions
        /// recorded before it was kept). A failed request records one with no tokens.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<Box<RequestFacts>>,
    },
    TurnFinished {
        reason: FinishReason,
    },
    /// The model called a tool (after the reply that carries it).
    ToolCall {
        id: String,
        name: String,
        /// The arguments as the JSON text the model wrote.
        arguments: String,
    },
    /// A tool call's result, as the model receives it.
    ToolResult {
        id: String,
        ok: bool,
        content: String,
        /// One line for the chat pane.
        summary: String,
        duration_ms: u64,
    },
    /// A command ran and wrote files that wait for review: its output, held until the last
    /// of its changes is decided, when it becomes the call's [`Event::ToolResult`] with the
    /// review's outcome.
    ToolHeld {
        id: String,
        ok: bool,
        content: String,
        summary: String,
        duration_ms: u64,
    },
    /// The model wants to run a command and a human must decide.
    CommandApprovalRequested {
        id: String,
        command: String,
        /// The `[[checkpoints]]` rule that stopped it, where one did (with its reason).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
    },
    CommandDecided {
        id: String,
        command: String,
        decision: CommandDecision,
    },
    /// A tool wrote a file (the vibe gear: applied at once, undoable).
    FileChanged {
        id: String,
        change: FileChange,
    },
    /// A tool proposed a change that waits for review; nothing is on disk yet. `id` is the
    /// tool call's; `context` the context lines its hunks were cut with.
    ChangeProposed {
        id: String,
        change: FileChange,
        context: u32,
        /// Set when the change touches a protected path (a `.env` file): why only the human's
        /// explicit decision may write it. Headless runs never accept such a change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
    },
    HunkDecided {
        change: String,
        hunk: String,
        #[serde(flatten)]
        verdict: Verdict,
    },
    HunkCommented {
        change: String,
        hunk: String,
        comment: String,
    },
    /// The review was submitted: `written` is what reached the disk (`None` when every hunk
    /// was rejected).
    ChangeApplied {
        id: String,
        accepted: Vec<String>,
        rejected: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        written: Option<FileChange>,
    },
    /// The file changed on disk since the proposal; nothing was written. `on_disk` is what is
    /// there now (`None`: the file is gone).
    ChangeConflicted {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_disk: Option<String>,
    },
    /// The change was withdrawn unapplied (sent back for a fresh proposal, or cancelled).
    ChangeWithdrawn {
        id: String,
        reason: String,
    },
    /// An applied change was reverted on disk.
    ChangeUndone {
        id: String,
    },
    /// A conversation message (by index) left out of future requests, or brought back.
    ItemDropped {
        item: usize,
        dropped: bool,
    },
    ItemPinned {
        item: usize,
        pinned: bool,
    },
    /// The conversation before message `through` is replaced in requests by `summary`; the
    /// messages themselves stay in the session.
    Compacted {
        through: usize,
        summary: String,
        /// Calibrated tokens of the request before and after.
        before: u64,
        after: u64,
    },
    /// What fills the next request. Derived, so not persisted.
    ContextAccounted {
        report: ContextReport,
    },
    /// The model proposed a plan; `version` counts from 1, earlier versions stay in the log.
    PlanProposed {
        version: u32,
        steps: Vec<StepSpec>,
    },
    PlanEdited {
        #[serde(flatten)]
        edit: PlanEdit,
    },
    StepStatusChanged {
        step: String,
        status: StepStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A pipeline run began: its definition and its skills' instructions are recorded, so a
    /// resumed run is the same run whatever the files say now.
    PipelineStarted {
        pipeline: Pipeline,
        skills: std::collections::BTreeMap<String, String>,
        request: String,
    },
    Stage {
        #[serde(flatten)]
        event: StageEvent,
    },
    /// The ship stage committed the change.
    Shipped {
        commit: String,
        message: String,
    },
    /// A command the human typed with `!` started (not stored: [`Event::ShellRan`] is); Esc
    /// stops it.
    ShellStarted {
        id: String,
        command: String,
    },
    /// A command the human ran with `!` and its output (which the model sees next).
    ShellRan {
        id: String,
        command: String,
        output: String,
        exit_code: Option<i32>,
        duration_ms: u64,
    },
    /// A hook ran (see `hooks`): which, on what, for how long, and what came of it.
    HookRan {
        #[serde(flatten)]
        run: crate::hooks::HookRun,
    },
    /// The turn the human just started proposes changes to memory files (`/init`, a skill
    /// whose artifact is `AGENTS.md`): whatever the gear, it may write them — as proposals for
    /// review — and nothing else, until it ends.
    MemoryTurn {
        skill: String,
    },
    /// What gearshift told the model to start a plan step or a pipeline stage (or why a stage
    /// came back), recorded as sent so a session is rebuilt with exactly these words.
    Instructed {
        text: String,
        /// What the context accounting counts it as (the skill, earlier artifacts); none for a
        /// message that reads as the user's own (a plan step).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<crate::context::Category>,
    },
    /// The model was told how files it wrote changed since (an undo, the human's own edit):
    /// each path with the SHA-256 of what it now knows is there (`None`: no such file).
    FilesSeen {
        files: std::collections::BTreeMap<String, Option<String>>,
        /// The edits told as a diff (from the model's version to what is there now), by
        /// path: what a replay applies to repeat the human's edit.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        edits: std::collections::BTreeMap<String, String>,
    },
    /// Every approved step has run (`done` of the plan's `total` leaf steps are done).
    PlanCompleted {
        done: usize,
        total: usize,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
    /// Information or a warning for the human: nothing failed.
    Notice {
        level: NoticeLevel,
        text: String,
    },
    /// The pipeline a prompt in the pipeline gear would start, before a run (not persisted:
    /// it is what the files say now).
    PipelinePreview {
        pipeline: Pipeline,
    },
    /// A prompt sent while the model worked was taken back before it was delivered (not
    /// persisted: it was never part of the session).
    Unqueued {
        text: String,
    },
    /// The commands the composer can send besides its built-in ones — skills and custom
    /// commands, found at start (not persisted: it is what the files say now).
    Commands {
        commands: Vec<CommandInfo>,
    },
    /// Whether the plan runs every approved step by itself (not persisted: a restart stops it).
    RunningAll {
        on: bool,
    },
    /// An op was refused and changed nothing (not persisted): why, and what the human can do
    /// instead, named as an action for the front end to show its key.
    Refused {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<Hint>,
    },
    /// How the model's commands are confined in this process (derived at start, not
    /// persisted): the status bar and the approval modal show it.
    SandboxStatus {
        /// `workspace-write`, `read-only` or `off`.
        mode: String,
        network: bool,
        enforced: bool,
        /// Why it is not in force, when it is not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// The MCP servers' states (not persisted: it is this process's connections); sent
    /// whenever one changes.
    McpStatus {
        servers: Vec<crate::mcp::ServerStatus>,
    },
}

/// Something the human can do, named by the core where a refusal or a gate calls for it.
/// The core never names a key or a pane: front ends show each hint with its live binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// Approve plan steps (one, or all of them).
    ApproveSteps,
    /// Decide every hunk of the change under review.
    DecideHunks,
    /// Skip the pipeline stage.
    SkipStage,
    /// Send the pipeline stage back with comments, or skip it.
    SendBack,
    /// Leave items out of the context, or compact it.
    FreeContext,
    /// Wait for the model, or cancel what it does.
    Wait,
}

/// How much a [`Event::Notice`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
}

impl Event {
    /// Streaming deltas are too fine-grained to persist: the store keeps checkpoints and the
    /// final message instead.
    #[must_use]
    pub fn is_persisted(&self) -> bool {
        !matches!(
            self,
            Event::AssistantDelta { .. }
                | Event::ReasoningDelta { .. }
                | Event::ContextAccounted { .. }
                | Event::SandboxStatus { .. }
                | Event::McpStatus { .. }
                | Event::Refused { .. }
                | Event::RunningAll { .. }
                | Event::PipelinePreview { .. }
                | Event::Commands { .. }
                | Event::Unqueued { .. }
                | Event::ShellStarted { .. }
        )
    }

    /// The serde tag of this event, stored in the `kind` column.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SessionOpened { .. } => "session_opened",
            Event::SessionForked { .. } => "session_forked",
            Event::Imported { .. } => "imported",
            Event::SessionResumed { .. } => "session_resumed",
            Event::UserMessage { .. } => "user_message",
            Event::GearChanged { .. } => "gear_changed",
            Event::ModelChanged { .. } => "model_changed",
            Event::ModelFellBack { .. } => "model_fell_back",
            Event::TitleChanged { .. } => "title_changed",
            Event::TurnStarted { .. } => "turn_started",
            Event::AssistantDelta { .. } => "assistant_delta",
            Event::AssistantCheckpoint { .. } => "assistant_checkpoint",
            Event::ReasoningDelta { .. } => "reasoning_delta",
            Event::Reasoning { .. } => "reasoning",
            Event::ToolCall { .. } => "tool_call",
            Event::ToolResult { .. } => "tool_result",
            Event::ToolHeld { .. } => "tool_held",
            Event::CommandApprovalRequested { .. } => "command_approval_requested",
            Event::CommandDecided { .. } => "command_decided",
            Event::FileChanged { .. } => "file_changed",
            Event::ChangeProposed { .. } => "change_proposed",
            Event::HunkDecided { .. } => "hunk_decided",
            Event::HunkCommented { .. } => "hunk_commented",
            Event::ChangeApplied { .. } => "change_applied",
            Event::ChangeConflicted { .. } => "change_conflicted",
            Event::ChangeWithdrawn { .. } => "change_withdrawn",
            Event::ChangeUndone { .. } => "change_undone",
            Event::ItemDropped { .. } => "item_dropped",
            Event::ItemPinned { .. } => "item_pinned",
            Event::Compacted { .. } => "compacted",
            Event::ContextAccounted { .. } => "context_accounted",
            Event::PlanProposed { .. } => "plan_proposed",
            Event::PlanEdited { .. } => "plan_edited",
            Event::StepStatusChanged { .. } => "step_status_changed",
            Event::PlanCompleted { .. } => "plan_completed",
            Event::Instructed { .. } => "instructed",
            Event::MemoryTurn { .. } => "memory_turn",
            Event::ShellRan { .. } => "shell_ran",
            Event::ShellStarted { .. } => "shell_started",
            Event::HookRan { .. } => "hook_ran",
            Event::FilesSeen { .. } => "files_seen",
            Event::PipelineStarted { .. } => "pipeline_started",
            Event::Stage { .. } => "stage",
            Event::Shipped { .. } => "shipped",
            Event::AssistantMessage { .. } => "assistant_message",
            Event::Usage { .. } => "usage",
            Event::TurnFinished { .. } => "turn_finished",
            Event::Error { .. } => "error",
            Event::Notice { .. } => "notice",
            Event::Refused { .. } => "refused",
            Event::RunningAll { .. } => "running_all",
            Event::PipelinePreview { .. } => "pipeline_preview",
            Event::Commands { .. } => "commands",
            Event::Unqueued { .. } => "unqueued",
            Event::SandboxStatus { .. } => "sandbox_status",
            Event::McpStatus { .. } => "mcp_status",
        }
    }

    /// The text this event contributes to full-text search, with its author.
    #[must_use]
    pub fn message_text(&self) -> Option<(Role, &str)> {
        match self {
            Event::UserMessage { text, .. } => Some((Role::User, text)),
            Event::AssistantMessage { text, .. } => Some((Role::Assistant, text)),
            _ => None,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_with_their_kind() {
        let samples = vec![
            Event::SessionOpened {
                meta: SessionMeta {
                    id: "abc".into(),
                    workspace: "/w".into(),
                    gear: Gear::Plan,
                    provider: "demo".into(),
                    model: "m".into(),
                    created_at: 1,
                },
            },
            Event::SessionResumed {
                provider: "p".into(),
                model: "m".into(),
            },
            Event::SessionForked { from: "abc".into() },
            Event::UserMessage {
                text: "hi".into(),
                attachments: vec![],
            },
            Event::GearChanged {
                from: Gear::Vibe,
                to: Gear::Plan,
            },
            Event::ModelChanged {
                provider: "p".into(),
                model: "m".into(),
                route: None,
                routed: false,
            },
            Event::TitleChanged { title: "t".into() },
            Event::TurnStarted { turn: 1 },
            Event::AssistantDelta { text: "x".into() },
            Event::AssistantMessage {
                text: "x".into(),
                interrupted: true,
            },
            Event::Usage {
                input: 1,
                output: 2,
                cached: 0,
                cache_write: 0,
                reasoning: 0,
                cost: Some(0.5),
                request: None,
            },
            Event::TurnFinished {
                reason: FinishReason::Stop,
            },
            Event::Error {
                kind: ErrorKind::Auth,
                message: "set KEY".into(),
            },
            Event::AssistantCheckpoint {
                text: "x".into(),
                reasoning: String::new(),
            },
            Event::ToolCall {
                id: "c".into(),
                name: "read_file".into(),
                arguments: "{}".into(),
            },
            Event::ToolResult {
                id: "c".into(),
                ok: false,
                content: "refused".into(),
                summary: "refused".into(),
                duration_ms: 3,
            },
            Event::ToolHeld {
                id: "c".into(),
                ok: true,
                content: "[exit code 0]".into(),
                summary: "$ sed".into(),
                duration_ms: 3,
            },
            Event::CommandApprovalRequested {
                id: "c".into(),
                command: "ls".into(),
                checkpoint: None,
            },
            Event::CommandDecided {
                id: "c".into(),
                command: "ls".into(),
                decision: CommandDecision::Denied {
                    reason: Some("no".into()),
                },
            },
            Event::FileChanged {
                id: "c".into(),
                change: FileChange::new("a".into(), None, Some("b".into())),
            },
            Event::ChangeProposed {
                id: "c".into(),
                change: FileChange::new("a".into(), Some("x".into()), Some("y".into())),
                context: 3,
                checkpoint: None,
            },
            Event::HunkDecided {
                change: "c".into(),
                hunk: "h".into(),
                verdict: Verdict::Edit { text: "z".into() },
            },
            Event::HunkDecided {
                change: "c".into(),
                hunk: "h".into(),
                verdict: Verdict::Reject,
            },
            Event::HunkCommented {
                change: "c".into(),
                hunk: "h".into(),
                comment: "why?".into(),
            },
            Event::ChangeApplied {
                id: "c".into(),
                accepted: vec!["h".into()],
                rejected: vec![],
                written: Some(FileChange::new(
                    "a".into(),
                    Some("x".into()),
                    Some("z".into()),
                )),
            },
            Event::ChangeConflicted {
                id: "c".into(),
                on_disk: Some("w".into()),
            },
            Event::ChangeWithdrawn {
                id: "c".into(),
                reason: "conflict".into(),
            },
            Event::ChangeUndone { id: "c".into() },
            Event::ItemDropped {
                item: 3,
                dropped: true,
            },
            Event::ItemPinned {
                item: 4,
                pinned: true,
            },
            Event::Compacted {
                through: 5,
                summary: "s".into(),
                before: 10,
                after: 2,
            },
            Event::ContextAccounted {
                report: ContextReport::default(),
            },
            Event::PlanProposed {
                version: 1,
                steps: vec![StepSpec {
                    title: "t".into(),
                    detail: "d".into(),
                    files: vec!["a.rs".into()],
                    acceptance: None,
                    children: vec![],
                }],
            },
            Event::PlanEdited {
                edit: PlanEdit::Move {
                    step: "s1".into(),
                    up: true,
                },
            },
            Event::PlanEdited {
                edit: PlanEdit::ApproveAll,
            },
            Event::StepStatusChanged {
                step: "s1".into(),
                status: StepStatus::AwaitingReview,
                note: Some("done".into()),
            },
            Event::PlanCompleted { done: 2, total: 3 },
            Event::PipelineStarted {
                pipeline: Pipeline {
                    name: "p".into(),
                    description: String::new(),
                    stages: vec![],
                },
                skills: std::collections::BTreeMap::new(),
                request: "r".into(),
            },
            Event::Stage {
                event: StageEvent::SentBack {
                    stage: "design".into(),
                    comments: "c".into(),
                },
            },
            Event::Stage {
                event: StageEvent::Answered {
                    stage: "design".into(),
                },
            },
            Event::Shipped {
                commit: "abc".into(),
                message: "m".into(),
            },
            Event::Notice {
                level: NoticeLevel::Warning,
                text: "w".into(),
            },
            Event::MemoryTurn {
                skill: "init".into(),
            },
            Event::ShellRan {
                id: "sh1".into(),
                command: "ls".into(),
                output: "a\n".into(),
                exit_code: Some(0),
                duration_ms: 3,
            },
            Event::HookRan {
                run: crate::hooks::HookRun {
                    event: crate::hooks::HookEvent::PreToolUse,
                    command: "guard.sh".into(),
                    source: "config".into(),
                    subject: Some("write_file".into()),
                    duration_ms: 12,
                    workspace: true,
                    confined: true,
                    wrote: vec!["src/a.rs".into()],
                    withheld: vec![".claude/settings.json (agent settings)".into()],
                    outcome: crate::hooks::HookOutcome::Blocked {
                        reason: "no".into(),
                    },
                },
            },
            Event::HookRan {
                run: crate::hooks::HookRun {
                    event: crate::hooks::HookEvent::Stop,
                    command: "sleep 9".into(),
                    source: "config".into(),
                    subject: None,
                    duration_ms: 1000,
                    workspace: false,
                    confined: false,
                    wrote: Vec::new(),
                    withheld: Vec::new(),
                    outcome: crate::hooks::HookOutcome::TimedOut { after_secs: 1 },
                },
            },
            Event::Instructed {
                text: "Run step 1".into(),
                category: Some(crate::context::Category::Skills),
            },
            Event::FilesSeen {
                files: [("a.rs".to_string(), None)].into(),
                edits: [("b.rs".to_string(), "@@ -1 +1 @@\n-a\n+b\n".to_string())].into(),
            },
            Event::Refused {
                message: "no".into(),
                hint: Some(Hint::ApproveSteps),
            },
            Event::RunningAll { on: true },
            Event::SandboxStatus {
                mode: "workspace-write".into(),
                network: false,
                enforced: false,
                problem: Some("no landlock".into()),
            },
            Event::ChangeProposed {
                id: "c".into(),
                change: FileChange::new(".env".into(), None, Some("K=v".into())),
                context: 3,
                checkpoint: Some("secrets".into()),
            },
        ];
        for event in samples {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.kind(), "{json}");
            let back: Event = serde_json::from_value(json).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn gear_cycles_through_all_three() {
        assert_eq!(Gear::Vibe.next(), Gear::Plan);
        assert_eq!(Gear::Plan.next(), Gear::Pipeline);
        assert_eq!(Gear::Pipeline.next(), Gear::Vibe);
        assert_eq!("plan".parse::<Gear>(), Ok(Gear::Plan));
        assert!(
            "fast"
                .parse::<Gear>()
                .unwrap_err()
                .contains("vibe, plan or pipeline")
        );
    }

    #[test]
    fn ops_round_trip() {
        let op = Op::Submit {
            text: "two\nlines".into(),
            attachments: vec![],
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(json, r#"{"op":"submit","text":"two\nlines"}"#);
        assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
        assert!(!Event::AssistantDelta { text: "a".into() }.is_persisted());
    }
}
