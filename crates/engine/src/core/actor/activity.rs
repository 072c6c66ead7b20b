//! What the actor is doing between ops, and what wakes it: a stream, a tool, a command, the
//! test command, hooks; when a checkpoint of streamed text is owed; the sandbox probe.

use gearshift_sandbox as sandbox;
use tokio::task::JoinHandle;

use super::CHECKPOINT_EVERY;
use crate::core::machine::{self, activity::Handles};
use crate::provider::{ModelStream, ProviderError, StreamEvent};
use crate::tools::ToolOutcome;

/// The real running work: tokio's tasks and a provider's stream.
pub(super) struct Io;

impl Handles for Io {
    type Stream = ModelStream;
    type Tool = JoinHandle<ToolOutcome>;
    type Shell = JoinHandle<(String, Option<i32>)>;
    type Verify = JoinHandle<(bool, String)>;
    type Hooks = JoinHandle<Vec<crate::hooks::HookRun>>;
}

/// What the session is busy with, holding the running work.
pub(super) type Activity = machine::activity::Activity<Io>;

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
        | Activity::Delegating
        | Activity::Working
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

/// Stops whatever runs, unrecorded (the store failed): a task is aborted (a command's
/// process group is killed with its guard), a stream dropped. Returns whether a reply was
/// streaming.
pub(super) fn abort(activity: Activity) -> bool {
    match activity {
        Activity::Running { task, .. } => task.abort(),
        Activity::Verifying { task } => task.abort(),
        Activity::Shell { task, .. } => task.abort(),
        Activity::Hooking { task, .. } => task.abort(),
        Activity::Streaming { .. } | Activity::Compacting { .. } => return true,
        Activity::Idle
        | Activity::Approving { .. }
        | Activity::Delegating
        | Activity::Working
        | Activity::Reviewing { .. }
        | Activity::McpStarting { .. } => {}
    }
    false
}
