//! A `task` subagent whose tools write files works in a git worktree of its own (see
//! `crate::worktree`): it writes at once there, and when it answers, what it wrote is merged
//! onto the workspace and sorted by the workspace's one gate as a command's writes are —
//! written at once where the parent's writes are (the vibe gear with `apply`, undoable),
//! proposed for the human's review elsewhere, its call's result held until they are decided.
//! Without a worktree (no git) it works without the tools that write files.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::SessionDeps;
use super::agent_session::{self, Answer};
use super::from_agents::Forward;
use super::workers::root_in;
use crate::core::SessionState;
use crate::protocol::Op;
use crate::tools::{Secrets, ToolKind, Workspace, Writes, writes};
use crate::worktree;

/// Where a writing subagent's change comes back to, and how.
pub(super) struct Home {
    /// The parent's workspace, its session, and the worktree's name there.
    pub(super) workspace: Workspace,
    pub(super) session: String,
    pub(super) name: String,
    /// How the parent's writes go: at once, or for review.
    pub(super) writes: Writes,
    /// Whether the sandbox keeps a command inside the worktree (else it runs none).
    pub(super) commands: bool,
    pub(super) secrets: Secrets,
    /// Held while its change comes back: the workspace is read and written by no one else's
    /// command or change meanwhile.
    pub(super) lock: Arc<tokio::sync::Mutex<()>>,
}

/// Runs the agent's session in a worktree of its own and brings back what it wrote.
pub(super) async fn run(
    (mut deps, state, mut prompt): (SessionDeps, SessionState, String),
    ops: mpsc::UnboundedSender<Op>,
    ops_rx: mpsc::UnboundedReceiver<Op>,
    forward: Forward,
    home: Home,
) -> Answer {
    let root = home.workspace.root().to_path_buf();
    let (session, name) = (home.session.clone(), home.name.clone());
    let made = tokio::task::spawn_blocking(move || worktree::add(&root, &session, &name))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let rooted = made.and_then(|tree| root_in(&mut deps, &tree).map(|()| tree));
    let tree = match rooted {
        Ok(tree) => tree,
        Err(why) => {
            // No worktree: it works without writing files.
            withhold(&mut deps, |kind| kind == ToolKind::Write);
            prompt.push_str(&format!(
                "\n\n(You cannot write files in this session: no git worktree could be made \
                 for you — {why}.)"
            ));
            return agent_session::run((deps, state, prompt), ops, ops_rx, forward).await;
        }
    };
    if !home.commands {
        withhold(&mut deps, |kind| kind == ToolKind::Shell);
    }
    prompt.push_str(
        "\n\nYou work in a git worktree of your own: a copy of the workspace where your edits \
         are written at once. Use paths relative to it. When you answer, what you changed is \
         brought back to the workspace for the user.",
    );
    let mut answer = agent_session::run((deps, state, prompt), ops, ops_rx, forward).await;
    if !answer.outcome.ok {
        // Cancelled or failed: nothing of it comes back (its session keeps what it wrote).
        let root = home.workspace.root().to_path_buf();
        let _ = tokio::task::spawn_blocking(move || worktree::remove(&root, &tree)).await;
        return answer;
    }
    let _held = home.lock.clone().lock_owned().await;
    let label = format!("the subagent's change ({})", tree.branch);
    let brought = tokio::task::spawn_blocking(move || {
        let tree_ws = Workspace::new(&tree.dir).map_err(|e| e.to_string())?;
        let ws = &home.workspace;
        let merged = worktree::merge::merge(ws, &tree_ws, &tree, &label)?;
        let gathered = writes::bring(
            ws,
            merged.changes,
            &merged.conflicts,
            home.writes,
            &home.secrets,
        );
        let mut notes = merged.problems;
        if notes.is_empty() {
            let _ = worktree::remove(ws.root(), &tree);
        } else {
            notes.push(format!(
                "its worktree is kept at {} for the user to look into",
                tree.dir.display()
            ));
        }
        Ok::<_, String>((gathered, notes, tree.dir))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match brought {
        Ok((gathered, notes, _)) => {
            answer.outcome.content.push_str(&gathered.report());
            for n in notes {
                answer
                    .outcome
                    .content
                    .push_str(&format!("\nNot brought back: {n}"));
            }
            answer.outcome.writes = gathered.writes;
        }
        Err(why) => answer.outcome.content.push_str(&format!(
            "\nWhat it wrote could not be brought back ({why}); its worktree is kept."
        )),
    }
    answer
}

/// Takes the tools of a kind from a session's registry.
fn withhold(deps: &mut SessionDeps, gone: impl Fn(ToolKind) -> bool) {
    let registry = &mut Arc::make_mut(&mut deps.tools).registry;
    let names: Vec<String> = registry
        .names()
        .filter(|n| registry.kind_of(n).is_some_and(&gone))
        .map(str::to_string)
        .collect();
    registry.remove_where(|n| names.iter().any(|g| g == n));
}

/// The worktree name of the subagent with parent's handle `handle`.
pub(super) fn name(handle: u64) -> String {
    format!("t{handle}")
}
