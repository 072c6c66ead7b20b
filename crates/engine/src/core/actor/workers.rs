//! Plan steps at the same time: each step of a batch the plan marks independent is run by a
//! worker — a subagent session with the parent's tools, writing at once in a git worktree of
//! its own (see `crate::worktree`) — and its change is then merged onto the workspace and
//! proposed for review, in plan order (see `machine::merges`). The worktree is removed once
//! its change is proposed (the change is in the record from then on).

use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::activity::Activity;
use super::agent_session::{self, Answer};
use super::{Actor, SessionDeps};
use crate::config::VibeEdits;
use crate::core::machine::{Effect, merges};
use crate::core::{SessionState, prompts, routing};
use crate::plan::{StepStatus, parallel};
use crate::protocol::{Event, Gear, Op, Subagent};
use crate::tools::{ToolKind, Workspace, Writes, writes};
use crate::worktree::{self, Tree};

/// The name a worker's session goes by (in `stats --by agent`, the turn line).
pub(super) const WORKER: &str = "worker";

/// What a worker is: its system prompt's words.
const WORKER_PROMPT: &str = "You are a worker: you carry out one step of a plan the user \
     approved, alone, in a git worktree of your own. Read what you need, make the change, run \
     what checks it, and answer with a short summary. Never ask the user anything: no one \
     answers a worker until its change comes back for review.";

/// A worker at its step.
pub(super) struct Worker {
    /// The parent's name for it (see `from_agents`).
    pub(super) handle: u64,
    step: String,
    tree: Tree,
    started: Instant,
    pub(super) ops: mpsc::UnboundedSender<Op>,
    pub(super) task: JoinHandle<Answer>,
}

impl Actor {
    /// `Effect::Work`: a worktree for each step, then a worker in each. Without git (or when
    /// a worktree cannot be made) the first step runs as any step does, and the rest after it.
    pub(super) async fn work_steps(&mut self, steps: Vec<String>) -> Option<Vec<Effect>> {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let session = self.state.id.clone();
        let ids = steps.clone();
        // What a stopped run left goes first; worked steps keep theirs, to come back.
        let keep: Vec<String> = self
            .state
            .plan
            .as_ref()
            .map(|p| {
                p.walk()
                    .filter(|(_, _, s)| s.status == StepStatus::Worked)
                    .map(|(_, _, s)| s.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let made = tokio::task::spawn_blocking(move || {
            let _ = worktree::prune(&root, &session, &keep);
            worktree::add_all(&root, &session, &ids)
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let trees = match made {
            Ok(trees) => trees,
            Err(why) => {
                self.warn(format!(
                    "the steps marked independent run one after the other: no git worktree \
                     could be made for them ({why})"
                ));
                return Some(vec![
                    Effect::Record(vec![Event::StepStatusChanged {
                        step: steps[0].clone(),
                        status: StepStatus::Running,
                        note: None,
                    }]),
                    Effect::StartTurn,
                ]);
            }
        };
        let events = steps
            .iter()
            .zip(&trees)
            .map(|(step, tree)| Event::StepStatusChanged {
                step: step.clone(),
                status: StepStatus::Working,
                note: Some(format!("on the branch {}", tree.branch)),
            })
            .collect();
        if !self.record(events).await {
            return None;
        }
        // Only the sandbox keeps a command's writes inside its worktree: without it, workers
        // run no commands.
        let commands = self.sandbox_enforced().await;
        if !commands {
            self.warn(
                "the steps' workers run no commands: the command sandbox is not in force, and \
                 only it keeps a command's writes inside its worktree"
                    .into(),
            );
        }
        for (step, tree) in steps.into_iter().zip(trees) {
            self.start_worker(step, tree, commands);
        }
        self.activity = Activity::Working;
        Some(Vec::new())
    }

    /// Starts the worker of `step` in `tree` (`commands`: with the tools that run commands).
    fn start_worker(&mut self, step: String, tree: Tree, commands: bool) {
        let (ops, ops_rx) = mpsc::unbounded_channel();
        self.handles += 1;
        let forward = self.forward_for(self.handles, &parallel::worker_id(&step));
        let task = match self.worker_session(&step, &tree, commands) {
            Ok(session) => tokio::spawn(agent_session::run(session, ops.clone(), ops_rx, forward)),
            Err(why) => tokio::spawn(async move { Answer::refused(why) }),
        };
        self.workers.push(Worker {
            handle: self.handles,
            step,
            tree,
            started: Instant::now(),
            ops,
            task,
        });
    }

    /// A worker's session: the parent's tools that read, write files and (`commands`) run
    /// commands — none of the plan's, and no MCP server's, whose effects no worktree holds —
    /// over the worktree (its file tools confined there, its commands' sandbox rooted there),
    /// writing at once.
    fn worker_session(
        &self,
        step: &str,
        tree: &Tree,
        commands: bool,
    ) -> Result<(SessionDeps, SessionState, String), String> {
        let registry = &self.deps.tools.registry;
        let tools: Vec<&str> = registry
            .names()
            .filter(|n| match registry.kind_of(n) {
                Some(ToolKind::ReadOnly | ToolKind::Write) => true,
                Some(ToolKind::Shell) => commands,
                _ => false,
            })
            .collect();
        let mut deps = self.deps.for_subagent(&tools);
        root_in(&mut deps, tree)?;
        let route = routing::for_agent(
            &self.deps.routing.routes,
            WORKER,
            None,
            &self.choice_for(false, true),
        );
        deps.routing.routes.insert("default".into(), route);
        let plan = self.state.plan.as_ref().ok_or("no plan")?;
        let prompt = prompts::worker_step(plan, step);
        let state = crate::core::new_session(
            &tree.dir.to_string_lossy(),
            Gear::Vibe,
            &deps.provider,
            Some(Subagent {
                parent: self.state.id.clone(),
                agent: WORKER.into(),
                prompt: WORKER_PROMPT.into(),
            }),
        );
        Ok((deps, state, prompt))
    }

    /// A worker answered: its spend is recorded and its step has worked (or failed, its
    /// worktree removed); once the last is done, the first step's change comes back.
    pub(super) async fn worker_done(
        &mut self,
        i: usize,
        result: Result<Answer, tokio::task::JoinError>,
    ) -> Vec<Effect> {
        let done = self.workers.remove(i);
        let answer = result.unwrap_or_else(|e| Answer::refused(format!("the worker failed: {e}")));
        let mut events = Vec::new();
        if let Some(spent) = answer.spent {
            events.push(spent.event(&parallel::worker_id(&done.step)));
        }
        let took = done.started.elapsed().as_secs();
        if answer.outcome.ok {
            events.push(Event::StepStatusChanged {
                step: done.step,
                status: StepStatus::Worked,
                note: Some(answer.outcome.content),
            });
        } else {
            let root = self.deps.tools.workspace.root().to_path_buf();
            let tree = done.tree;
            let _ = tokio::task::spawn_blocking(move || worktree::remove(&root, &tree)).await;
            events.push(Event::StepStatusChanged {
                step: done.step,
                status: StepStatus::Failed,
                note: Some(format!(
                    "its worker stopped after {took} s: {}",
                    answer.outcome.content
                )),
            });
            // As a step the model fails: `G` stops for the human.
            self.set_run_all(false);
        }
        if !self.record(events).await {
            return Vec::new();
        }
        if !self.workers.is_empty() {
            return Vec::new();
        }
        self.activity = Activity::Idle;
        vec![Effect::Go { all: self.run_all }]
    }

    /// `Effect::Merge`: the worked step's change, merged onto the workspace as it is now and
    /// sorted by the workspace's gate, proposed for review; its worktree is removed.
    pub(super) async fn merge_step(&mut self, step: String) -> Option<Vec<Effect>> {
        let ws = self.deps.tools.workspace.clone();
        let secrets = self.deps.tools.runner.secrets.clone();
        let session = self.state.id.clone();
        let number = self
            .state
            .plan
            .as_ref()
            .and_then(|p| p.number(&step))
            .unwrap_or_default();
        let id = step.clone();
        let root = ws.root().to_path_buf();
        let merged = tokio::task::spawn_blocking(move || {
            let tree = worktree::of(ws.root(), &session, &id)?;
            let tree_ws = Workspace::new(&tree.dir).map_err(|e| e.to_string())?;
            let merged = worktree::merge::merge(&ws, &tree_ws, &tree, &format!("step {number}"))?;
            let gathered = writes::bring(
                &ws,
                merged.changes,
                &merged.conflicts,
                Writes::Propose,
                &secrets,
            );
            Ok::<_, String>((tree, gathered, merged.problems))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let (tree, gathered, problems) = match merged {
            Ok(merged) => merged,
            Err(why) => {
                // Its worktree stays, for the human to look into.
                return Some(vec![Effect::Record(vec![Event::StepStatusChanged {
                    step,
                    status: StepStatus::Failed,
                    note: Some(format!("its change could not be brought back: {why}")),
                }])]);
            }
        };
        let mut refused = gathered.refused;
        if !problems.is_empty() {
            refused.push(format!(
                "{}; its worktree is kept at {} (branch {}) for you to look into; \
                 `git worktree remove --force` it when done",
                problems.join("; "),
                tree.dir.display(),
                tree.branch
            ));
        }
        let back = merges::Back {
            writes: gathered.writes,
            refused,
        };
        let mut effects = merges::propose(
            &self.state,
            &step,
            back,
            self.facts(),
            self.deps.context_lines,
        );
        // The change is in the record before its worktree goes.
        if let Some(Effect::Record(events)) = effects.first_mut() {
            let events = std::mem::take(events);
            if !self.record(events).await {
                return None;
            }
        }
        if problems.is_empty() {
            let removed = tokio::task::spawn_blocking(move || worktree::remove(&root, &tree)).await;
            if let Ok(Err(why)) = removed {
                self.warn(format!("a worktree could not be removed: {why}"));
            }
        }
        Some(effects)
    }

    /// `Effect::AfterMerge`: nothing waits for the human any more; what follows a finished
    /// step follows (the next one under `G`).
    pub(super) fn after_merge(&mut self) -> Vec<Effect> {
        if matches!(self.activity, Activity::Reviewing { .. }) {
            self.activity = Activity::Idle;
        }
        // A step none of whose change was written holds its gate for the human (as a step
        // run by the model does); headless, the note says so and the run goes on.
        let held = self
            .state
            .plan
            .as_ref()
            .and_then(|p| p.active())
            .and_then(|s| s.note.as_deref())
            .is_some_and(|n| n.contains(crate::plan::NOTHING_WRITTEN));
        if held && self.deps.policy.changes == crate::core::machine::ApprovalMode::Ask {
            self.set_run_all(false);
        }
        vec![Effect::AfterTurn]
    }

    /// The store failed: the workers are told to stop (their worktrees are made afresh when
    /// the steps run again).
    pub(super) fn stop_workers(&mut self) {
        for w in std::mem::take(&mut self.workers) {
            let _ = w.ops.send(Op::Cancel);
            let _ = w.ops.send(Op::Quit);
            self.ending.push((parallel::worker_id(&w.step), w.task));
        }
    }

    /// Cancels the workers at work: each session records its cancel, each step waits to run
    /// again and its worktree is removed.
    pub(super) async fn cancel_workers(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let root = self.deps.tools.workspace.root().to_path_buf();
        let mut trees = Vec::new();
        for w in std::mem::take(&mut self.workers) {
            let _ = w.ops.send(Op::Cancel);
            let _ = w.ops.send(Op::Quit);
            self.ending.push((parallel::worker_id(&w.step), w.task));
            trees.push(w.tree);
            events.push(Event::StepStatusChanged {
                step: w.step,
                status: StepStatus::Approved,
                note: Some(
                    "cancelled while its worker was at work; it runs again when the plan goes on"
                        .into(),
                ),
            });
        }
        let _ = tokio::task::spawn_blocking(move || {
            for tree in &trees {
                let _ = worktree::remove(&root, tree);
            }
        })
        .await;
        events
    }
}

/// Roots a session's deps in `tree`: its file tools confined there (with the same protected
/// names: what is under review — memory, hooks, settings — is refused there), its commands'
/// sandbox rooted there, its writes made at once. Its commands wait for no one else's: their
/// writes are told apart in its worktree.
pub(super) fn root_in(deps: &mut SessionDeps, tree: &Tree) -> Result<(), String> {
    // Nothing changes before the worktree is open: a failure leaves the deps as they were.
    let workspace = Workspace::new(&tree.dir)
        .map_err(|e| format!("its worktree cannot be opened: {e}"))?
        .with_guard(deps.tools.workspace.guard().clone());
    deps.vibe_edits = VibeEdits::Apply;
    let ctx = std::sync::Arc::make_mut(&mut deps.tools);
    ctx.runner.sandbox = ctx.runner.sandbox.rerooted(workspace.root());
    ctx.workspace = workspace;
    ctx.one_command = std::sync::Arc::default();
    Ok(())
}
