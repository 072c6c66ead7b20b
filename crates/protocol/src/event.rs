//! Everything that happens in a session: the events the store keeps and the front ends fold.

use serde::{Deserialize, Serialize};

use super::reasoning::Reasoning;
use super::{
    CommandDecision, CommandInfo, ContextReport, ErrorKind, FileChange, FinishReason, Gear, Hint,
    NoticeLevel, Pipeline, PlanEdit, RequestFacts, Role, SessionMeta, StageEvent, StepSpec,
    StepStatus, Verdict,
};

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
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
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
        reasoning: Reasoning,
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
    /// What a subagent (of the call or change `id`) spent, recorded by its parent: counted in
    /// the parent's turn and cost; its requests stay in its own `session`.
    AgentSpent {
        id: String,
        agent: String,
        session: String,
        requests: u32,
        input: u64,
        output: u64,
        #[serde(default)]
        cached: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<f64>,
        /// Its context when it answered (what the parent did not have to hold).
        #[serde(default)]
        context: u64,
    },
    /// What the subagent of the `task` call `id` said, shown live, never recorded in the
    /// parent's session: its calls and results, and its command approvals (under ids of the
    /// parent's, answered with the usual ops).
    FromAgent {
        id: String,
        agent: String,
        event: Box<Event>,
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
    /// What a reviewing agent (`[review] reviewer`) found in the change `id`: for the human,
    /// never part of the conversation.
    ChangeReviewed {
        id: String,
        agent: String,
        findings: Vec<crate::change::Finding>,
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
        run: super::hook::HookRun,
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
        category: Option<super::context::Category>,
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
        servers: Vec<super::mcp::ServerStatus>,
    },
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
                | Event::FromAgent { .. }
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
            Event::AgentSpent { .. } => "agent_spent",
            Event::FromAgent { .. } => "from_agent",
            Event::CommandApprovalRequested { .. } => "command_approval_requested",
            Event::CommandDecided { .. } => "command_decided",
            Event::FileChanged { .. } => "file_changed",
            Event::ChangeProposed { .. } => "change_proposed",
            Event::HunkDecided { .. } => "hunk_decided",
            Event::HunkCommented { .. } => "hunk_commented",
            Event::ChangeReviewed { .. } => "change_reviewed",
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
