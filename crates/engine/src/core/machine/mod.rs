//! The session's decisions as data: what each input (an op, the end of a model response, a
//! finished tool call, the test command's verdict) does, as a pure function of the session's
//! state that returns [`Effect`]s. No IO and no async here: the actor in `core::actor` is the
//! thin shell that executes effects in order, and these functions are unit-tested on plain
//! states (`tests.rs`).
//!
//! - [`route`]: where a tool call goes (refused, recorded by the session, asked, run) and what
//!   its result does (written, proposed for review, decided headless).
//! - [`gates`]: the plan's step gates and the end of a turn.
//! - [`stage_gates`]: the pipeline's stage gates.
//! - [`approval`]: a command waiting for the human.
//! - [`ops`]: what every op does — the one entry for a front end's input.
//! - [`activity`]: what runs, as the decisions see it.
//!
//! A new gate is a pure function (in its own file here when it is more than a few lines)
//! returning effects, reached from one op in [`ops::on_op`] or one continuation effect.

pub mod activity;
pub mod approval;
pub mod gates;
pub mod merges;
pub mod ops;
pub mod review;
pub mod route;
pub mod stage_gates;

use crate::changes::FileChange;
use crate::core::routing::Target;
use crate::pipeline::StageDef;
use crate::protocol::{CommandDecision, Event, Hint, Op, Verdict};
use crate::provider::ToolCallRequest;

/// One thing the shell does. Effects run in order; one that expands into more (a decision
/// that depends on the state after an earlier record) puts them first in line. When a
/// `Record` cannot be saved, nothing after it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Persist these events, then apply and emit them.
    Record(Vec<Event>),
    /// Tell the front end an op was refused; nothing is recorded.
    Refuse { message: String, hint: Option<Hint> },
    /// `G`: keep running approved steps after each gate (or stop doing so).
    RunAll(bool),
    /// The turn ends after this round's tool calls instead of asking the model again.
    EndTurnAfterCalls,
    /// Record a new turn and send its first request.
    StartTurn,
    /// A review resumed in a new process: send the request of the turn it interrupted.
    ResumeTurn,
    /// Send the next request of the turn (compacting first when allowed and due).
    Request { may_compact: bool },
    /// These tool calls run one by one.
    Queue(Vec<ToolCallRequest>),
    /// Route the next queued tool call, or end the round.
    NextCall,
    /// Run a tool's handler in the background (a `task` call's agent, as a session of its
    /// own); its result comes back as an input.
    RunTool(ToolCallRequest),
    /// Wait for the human to approve or deny the call.
    AwaitApproval(ToolCallRequest),
    /// Wait for the human's hunk decisions on the change the call proposed.
    AwaitReview(ToolCallRequest),
    /// Headless: decide every hunk of the change the same way, as a human would.
    DecideAll { change: String, verdict: Verdict },
    /// Write the accepted hunks of a change (unless its file changed on disk) and answer it.
    WriteReview(String),
    /// The review was answered: the next call, or the interrupted turn after a resume.
    AfterReview,
    /// Run the pipeline's test command in the background.
    RunTests,
    /// Commit what the run wrote with the ship stage's commit message.
    Commit(StageDef),
    /// Decide what follows a finished turn (a stage's gate, the next step under `G`).
    AfterTurn,
    /// A stage reached its gate: the headless policy may pass it.
    GateReached,
    /// Pass the current stage's gate, as decided on the state at that point.
    PassStage,
    /// Pass the step gate and run the next approved step.
    Go { all: bool },
    /// Run these approved steps at the same time, each by a worker in a git worktree of its
    /// own (one after the other when no worktree can be made).
    Work(Vec<String>),
    /// Bring this worked step's change back onto the workspace, for its review.
    Merge(String),
    /// A worked step's change was reviewed: it waits at its gate.
    AfterMerge,
    /// Start the work of the pipeline stage that just began.
    StartStage,
    /// The session ends (`Op::Quit`).
    Quit,
    /// Stop what runs and record what became of it (a partial reply kept, every call left
    /// answered as cancelled); `end_turn`: the turn it was part of ends, cancelled.
    Cancel { end_turn: bool },
    /// The human answered the command that waits for approval.
    Answer {
        call: ToolCallRequest,
        decision: CommandDecision,
    },
    /// A prompt sent while work runs: it is submitted when the work ends.
    QueuePrompt(Op),
    /// A prompt: its `UserPromptSubmit` hooks first, then recorded, and a turn (or a pipeline
    /// run) starts. `typed`: the human wrote it, so its `@server:uri` and `/name` are acted on.
    Submit { op: Op, typed: bool },
    /// The newest queued prompt goes back to the composer.
    Unqueue,
    /// The route in effect switches to this model (refused, saying why, if it cannot be used).
    SwitchModel(Target),
    /// Run a command the human typed with `!`.
    RunShell(String),
    /// Summarise the conversation before message `through`, with the human's focus.
    Compact {
        through: usize,
        focus: Option<String>,
    },
    /// Revert these written changes (by id, with what was written), unless a file changed since.
    Undo(Vec<(String, FileChange)>),
    /// Restart the named MCP server (refused when there is none by that name).
    RestartMcp(String),
}

/// What happens when the model asks for something a human would otherwise decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalMode {
    /// Ask the human (the TUI's modal, the diff pane).
    Ask,
    /// Approve it (headless with `--approve-commands` / `--approve-edits`).
    Approve,
    /// Refuse it, telling the model why (headless without the flag).
    Deny,
}

/// Who decides each kind of gate: the human, or a headless flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// The model's commands (and mutating external tools).
    pub commands: ApprovalMode,
    /// Proposed changes: every hunk accepted or rejected at once when not `Ask`.
    pub changes: ApprovalMode,
    /// A proposed plan is approved whole and run (`exec --approve-plan`).
    pub plan: bool,
    /// Every human gate of a pipeline stage is passed, a tasks plan approved whole first
    /// (`exec --approve-gates`); a gate the test command closes still needs the tests.
    pub gates: bool,
    /// A `[[checkpoints]]` stop is decided by `commands` and `changes` too
    /// (`exec --approve-checkpoints`); otherwise it waits for a human, whatever they say.
    pub checkpoints: bool,
}

impl ApprovalPolicy {
    /// Everything goes to the human.
    pub const ASK: ApprovalPolicy = ApprovalPolicy {
        commands: ApprovalMode::Ask,
        changes: ApprovalMode::Ask,
        plan: false,
        gates: false,
        checkpoints: false,
    };
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy::ASK
    }
}

/// What the shell knows beyond the recorded state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Nothing runs and no change waits for review: a gate can be passed.
    pub ready: bool,
    /// `G` is in force.
    pub run_all: bool,
    /// Who approves what without a human (headless flags), or nobody.
    pub policy: ApprovalPolicy,
    /// `[pipeline] max_verify_rounds`.
    pub max_verify_rounds: u32,
    /// `[review] memory_step`: a new plan in the plan gear ends with the memory upkeep step.
    pub memory_step: bool,
    /// How many independent plan steps may work at once (1: one at a time).
    pub parallel: usize,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            ready: true,
            run_all: false,
            policy: ApprovalPolicy::default(),
            max_verify_rounds: 3,
            memory_step: false,
            parallel: 1,
        }
    }
}

fn refuse(message: impl Into<String>, hint: Option<Hint>) -> Effect {
    Effect::Refuse {
        message: message.into(),
        hint,
    }
}

#[cfg(test)]
mod tests;
