//! A `task` subagent whose tools write files works in a git worktree of its own (see
//! `crate::worktree`): it writes at once there. When its answer is taken, what it wrote is
//! merged onto the workspace and sorted by the workspace's one gate as a command's writes are
//! — written at once where the parent's writes are at that moment (the vibe gear with
//! `apply`, undoable), proposed for the human's review elsewhere, its call's result held until
//! they are decided. Without a worktree (no git) it works without the tools that write files.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::agent_session::{self, Answer};
use super::from_agents::Forward;
use super::workers::root_in;
use super::{Actor, SessionDeps};
use crate::core::SessionState;
use crate::protocol::Op;
use crate::tools::{ToolKind, ToolOutcome, Workspace, Writes, writes};
use crate::worktree::{self, Tree};

/// Runs the agent's session in a worktree of its own (`root`'s, for session `session`); its
/// answer carries the worktree, whose change the parent brings back.
pub(super) async fn run(
    (mut deps, state, mut prompt): (SessionDeps, SessionState, String),
    ops: mpsc::UnboundedSender<Op>,
    ops_rx: mpsc::UnboundedReceiver<Op>,
    forward: Forward,
    (session, commands): (String, bool),
) -> Answer {
    let root = deps.tools.workspace.root().to_path_buf();
    // Named at random: a resumed session (whose handles start again) never takes the name of
    // a worktree kept for the human.
    let name = format!("t{:08x}", fastrand::u32(..));
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
    if !commands {
        withhold(&mut deps, |kind| kind == ToolKind::Shell);
    }
    prompt.push_str(
        "\n\nYou work in a git worktree of your own: a copy of the workspace where your edits \
         are written at once. Use paths relative to it. When you answer, what you changed is \
         brought back to the workspace for the user.",
    );
    let mut answer = agent_session::run((deps, state, prompt), ops, ops_rx, forward).await;
    answer.tree = Some(tree);
    answer
}

impl Actor {
    /// Brings back what a subagent wrote in its worktree, now that its answer is taken: merged
    /// onto the workspace as it is, through the gate, as the session's writes go now; the
    /// worktree is removed unless a file of it could not be read back. Written at once only
    /// while no command runs (a command's writes are told apart by the workspace before and
    /// after it): while another subagent's does, the files wait for review instead — the
    /// session never waits on a command here.
    pub(super) async fn bring_back(&mut self, tree: Tree, outcome: &mut ToolOutcome) {
        let ws = self.deps.tools.workspace.clone();
        let secrets = self.deps.tools.runner.secrets.clone();
        let held = self.deps.tools.one_command.clone().try_lock_owned().ok();
        let mode = match held {
            Some(_) => self.deps.writes(self.state.gear),
            None => Writes::Propose,
        };
        let label = format!("the subagent's change ({})", tree.branch);
        let brought = tokio::task::spawn_blocking(move || {
            let tree_ws = Workspace::new(&tree.dir).map_err(|e| e.to_string())?;
            let merged = worktree::merge::merge(&ws, &tree_ws, &tree, &label)?;
            let mut notes = merged.problems;
            if !notes.is_empty() {
                // Half a change is no change: nothing comes back, all is kept.
                notes.push(format!(
                    "its worktree is kept at {} (branch {}) for the user to look into",
                    tree.dir.display(),
                    tree.branch
                ));
                return Ok((writes::Gathered::default(), notes));
            }
            let gathered = writes::bring(&ws, merged.changes, &merged.conflicts, mode, &secrets);
            drop(held);
            let _ = worktree::remove(ws.root(), &tree);
            Ok::<_, String>((gathered, notes))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        if !outcome.ok {
            outcome.content.push_str(
                "\n\nIt did not finish; what it wrote in its worktree comes back all the same.",
            );
        }
        match brought {
            Ok((gathered, notes)) => {
                outcome.content.push_str(&gathered.report());
                for n in notes {
                    outcome
                        .content
                        .push_str(&format!("\nNot brought back: {n}"));
                }
                outcome.writes = gathered.writes;
            }
            Err(why) => outcome.content.push_str(&format!(
                "\nWhat it wrote could not be brought back ({why}); its worktree is kept."
            )),
        }
    }
}

/// Removes the worktree of a subagent whose answer no one takes (it was cancelled).
pub(super) fn drop_tree(root: std::path::PathBuf, answer: Answer) {
    if let Some(tree) = answer.tree {
        tokio::task::spawn_blocking(move || worktree::remove(&root, &tree));
    }
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
