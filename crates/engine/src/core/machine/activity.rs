//! What the session is busy with between ops, as the machine sees it. The running work's
//! handles (a model stream, a tool's task) are a type parameter: the actor runs the session
//! with real ones ([`Handles`] for tokio's), and the machine's tests with `()`, so every
//! decision that depends on what runs is a pure function of a plain value.

use std::time::{Duration, Instant};

use crate::config::ActiveProvider;
use crate::core::SessionState;
use crate::core::turn::TurnProgress;
use crate::protocol::{FinishReason, Op, ToolCallRequest};
use crate::tools::ToolOutcome;

/// The kinds of running work an [`Activity`] holds on to.
pub trait Handles {
    /// A model's reply, streaming.
    type Stream;
    /// A tool's handler, running.
    type Tool;
    /// A command the human typed with `!`: its output and exit code.
    type Shell;
    /// The pipeline's test command: whether it passed, and its output.
    type Verify;
    /// Hooks, running.
    type Hooks;
}

/// Nothing runs: the machine's tests and anything else that only looks at the state.
impl Handles for () {
    type Stream = ();
    type Tool = ();
    type Shell = ();
    type Verify = ();
    type Hooks = ();
}

/// What the session is busy with; `Idle` between turns.
pub enum Activity<H: Handles> {
    Idle,
    Streaming {
        stream: H::Stream,
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
        task: H::Tool,
        started: Instant,
    },
    /// The round's next call waits for the subagents running (the actor holds them): they
    /// finish before anything else of the round runs.
    Delegating,
    /// Approved plan steps work at the same time, each in its worktree (the actor holds the
    /// workers); their changes come back in plan order once all are done.
    Working,
    /// A proposed change waits for the human's decisions.
    Reviewing {
        call: ToolCallRequest,
    },
    /// A command the human typed with `!` runs.
    Shell {
        id: String,
        command: String,
        task: H::Shell,
        started: Instant,
    },
    /// The pipeline's test command runs (the verify stage).
    Verifying {
        task: H::Verify,
    },
    /// The first request waits for MCP servers still starting, so their tools are in it.
    McpStarting {
        may_compact: bool,
    },
    /// Hooks run; `then` says what follows.
    Hooking {
        task: H::Hooks,
        then: AfterHooks,
    },
    /// The model summarises the turns before `through`; `resume` continues the turn after.
    Compacting {
        stream: H::Stream,
        progress: TurnProgress,
        /// The model summarising (the `compact` route's, else the session's).
        model: Box<ActiveProvider>,
        through: usize,
        before: u64,
        resume: bool,
    },
}

impl<H: Handles> Activity<H> {
    /// Nothing runs and nothing waits for the human.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self, Activity::Idle)
    }

    /// Whether a turn is under way, so stopping this work ends it: the test command, a `!`
    /// command, a compaction asked for with `/compact` and a prompt's hooks are not part of
    /// one.
    #[must_use]
    pub fn in_turn(&self) -> bool {
        match self {
            Activity::Idle
            | Activity::Working
            | Activity::Verifying { .. }
            | Activity::Shell { .. }
            | Activity::Compacting { resume: false, .. } => false,
            Activity::Hooking { then, .. } => then.in_turn(),
            Activity::Streaming { .. }
            | Activity::Approving { .. }
            | Activity::Running { .. }
            | Activity::Delegating
            | Activity::Reviewing { .. }
            | Activity::McpStarting { .. }
            | Activity::Compacting { resume: true, .. } => true,
        }
    }

    /// A human holds it (a command to approve, a change to review): it stays pending across
    /// a restart rather than being cancelled when the session ends.
    #[must_use]
    pub fn held_by_human(&self) -> bool {
        matches!(
            self,
            Activity::Reviewing { .. } | Activity::Approving { .. }
        )
    }
}

/// Nothing runs and no change waits for review (after a resume, one may wait with the actor
/// idle): a prompt can start a turn, a command or a compaction can run.
#[must_use]
pub fn ready<H: Handles>(state: &SessionState, activity: &Activity<H>) -> bool {
    activity.is_idle() && state.changes.pending().is_none()
}

/// What follows once the hooks of an activity are done.
pub enum AfterHooks {
    /// `SessionStart`: nothing waits; their output is context for the first request.
    SessionStart,
    /// `UserPromptSubmit` for a prompt that starts a turn.
    Prompt(Op),
    /// `UserPromptSubmit` for a prompt sent while the model worked, delivered at a round's end.
    Steer(Op),
    /// `PreToolUse`: the call is routed, or refused.
    Pre(ToolCallRequest),
    /// `PostToolUse`: the result goes to the model, with what the hooks said.
    Post {
        call: ToolCallRequest,
        outcome: Box<ToolOutcome>,
        took: Duration,
    },
    /// `Stop`: the turn ends, or the model goes on.
    Stop { reason: Option<FinishReason> },
    /// The watching hooks still running are done: the request goes out, with what they said.
    Request { may_compact: bool },
}

impl AfterHooks {
    /// Whether a turn is under way while they run (a cancel then ends it).
    #[must_use]
    pub fn in_turn(&self) -> bool {
        !matches!(self, AfterHooks::SessionStart | AfterHooks::Prompt(_))
    }
}
