//! What the actor is doing between ops, and what wakes it: a stream, a tool, a command, the
//! test command, hooks; when a checkpoint of streamed text is owed; the sandbox probe.

use std::time::Instant;

use tokio::task::JoinHandle;

use super::{CHECKPOINT_EVERY, hooks};
use crate::config::ActiveProvider;
use crate::core::turn::TurnProgress;
use crate::provider::{ModelStream, ProviderError, StreamEvent, ToolCallRequest};
use crate::tools::ToolOutcome;
use gearshift_sandbox as sandbox;

/// What the session is busy with; `Idle` between turns.
pub(super) enum Activity {
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
    /// A command the human typed with `!` runs.
    Shell {
        id: String,
        command: String,
        /// Its output and exit code.
        task: JoinHandle<(String, Option<i32>)>,
        started: Instant,
    },
    /// The pipeline's test command runs (the verify stage).
    Verifying {
        task: JoinHandle<(bool, String)>,
    },
    /// The first request waits for MCP servers still starting (see `mcp`), so their tools
    /// are in it.
    McpStarting {
        may_compact: bool,
    },
    /// Hooks run (see `hooks`); `then` says what follows.
    Hooking {
        task: JoinHandle<Vec<crate::hooks::HookRun>>,
        then: hooks::AfterHooks,
    },
    /// The model summarises the turns before `through`; `resume` continues the turn after.
    Compacting {
        stream: ModelStream,
        progress: TurnProgress,
        /// The model summarising (the `compact` route's, else the session's).
        model: Box<ActiveProvider>,
        through: usize,
        before: u64,
        resume: bool,
    },
}

pub(super) enum Wake {
    Stream(Option<Result<StreamEvent, ProviderError>>),
    ToolDone(Result<ToolOutcome, tokio::task::JoinError>),
    Verified(Result<(bool, String), tokio::task::JoinError>),
    ShellDone(Result<(String, Option<i32>), tokio::task::JoinError>),
    Hooked(Result<Vec<crate::hooks::HookRun>, tokio::task::JoinError>),
}

/// When a checkpoint is owed: unsaved reply text, two seconds after the last checkpoint.
pub(super) fn checkpoint_due(activity: &Activity) -> Option<tokio::time::Instant> {
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
pub(super) async fn wake(activity: &mut Activity) -> Wake {
    match activity {
        Activity::Streaming { stream, .. } | Activity::Compacting { stream, .. } => {
            Wake::Stream(stream.next().await)
        }
        Activity::Running { task, .. } => Wake::ToolDone(task.await),
        Activity::Verifying { task } => Wake::Verified(task.await),
        Activity::Shell { task, .. } => Wake::ShellDone(task.await),
        Activity::Hooking { task, .. } => Wake::Hooked(task.await),
        Activity::Idle
        | Activity::Approving { .. }
        | Activity::Reviewing { .. }
        | Activity::McpStarting { .. } => std::future::pending().await,
    }
}

/// The sandbox probe's verdict; pending forever when there is no probe, so `select!` can
/// always poll it.
pub(super) async fn probed(probe: &mut Option<JoinHandle<sandbox::Status>>) -> sandbox::Status {
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
