//! Subagents: a `task` call runs its agent as a session of its own — recorded in the store
//! under the parent's, with a fresh context (the agent's instructions, the project memory and
//! the prompt), a subset of the parent's tools and the model its route names — in the background;
//! its final answer is the call's result. The `task` calls of one reply run together, up to
//! `[agents] max_parallel`; the round's other calls wait for them (`Activity::Delegating`).
//! Cancelling the parent cancels them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::activity::Activity;
use super::agent_session::{self, Answer};
use super::subagent_tree;
use super::{Actor, SessionDeps};
use crate::agents::{self, Agent};
use crate::core::machine::{ApprovalMode, gates};
use crate::core::{SessionState, routing, shape};

use crate::config::VibeEdits;
use crate::hooks::HookEvent;
use crate::protocol::{Event, Gear, Op, Subagent};
use crate::provider::ToolCallRequest;
use crate::tools::task::{self, TASK, TaskTool};
use crate::tools::{ToolKind, ToolOutcome, Writes};

impl Actor {
    /// Finds the agents and offers the `task` tool when there are any (never in a subagent's
    /// own session: subagents do not start subagents); says once what is wrong with any.
    pub(super) fn find_agents(&mut self) {
        if self.state.subagent.is_some() {
            return;
        }
        let found = agents::discover(agents::Roots {
            config_dir: self.deps.config_dir.as_deref(),
            home: self.deps.home_dir.as_deref(),
            workspace: self.deps.tools.workspace.root(),
        });
        for text in found.problems() {
            self.warn(text);
        }
        if found.agents.is_empty() {
            return;
        }
        let listed: Vec<(&str, &str)> = found
            .agents
            .values()
            .map(|a| (a.name.as_str(), a.description.as_str()))
            .collect();
        let tool = Arc::new(TaskTool::new(&listed));
        let registry = &mut Arc::make_mut(&mut self.deps.tools).registry;
        registry.remove_where(|n| n == TASK);
        if let Err(e) = registry.register(tool) {
            self.warn(format!("subagents are unavailable: {e}"));
            return;
        }
        self.agents = found.agents;
    }

    /// Starts a `task` call's agent in the background (see the module's header); a call that
    /// names no agent, or gives no prompt, is answered as soon as the round waits.
    pub(super) fn run_subagent(&mut self, call: ToolCallRequest) {
        let started = Instant::now();
        let prepared = task::args(&call).and_then(|(name, prompt)| {
            let agent = self.agents.get(&name).ok_or_else(|| {
                let known: Vec<&str> = self.agents.keys().map(String::as_str).collect();
                format!("no agent `{name}`; the agents are: {}", known.join(", "))
            })?;
            let writes = self.writes_files(agent);
            Ok((self.child(agent, prompt, false, writes), writes))
        });
        let (ops, ops_rx) = mpsc::unbounded_channel();
        self.handles += 1;
        let handle = self.handles;
        let forward = self.forward_for(handle, &call.id);
        let task = match prepared {
            Ok((session, true)) => {
                // Only the sandbox keeps its commands inside its worktree.
                let commands = self
                    .sandbox
                    .as_ref()
                    .is_some_and(gearshift_sandbox::Status::enforced);
                let home = (self.state.id.clone(), commands);
                tokio::spawn(subagent_tree::run(
                    session,
                    ops.clone(),
                    ops_rx,
                    forward,
                    home,
                ))
            }
            Ok((session, false)) => {
                tokio::spawn(agent_session::run(session, ops.clone(), ops_rx, forward))
            }
            Err(why) => tokio::spawn(async move { Answer::refused(why) }),
        };
        self.activity = Activity::Idle;
        self.subagents.push(Delegated {
            handle,
            call,
            started,
            ops,
            task,
        });
    }

    /// A subagent answered while the round waited: what it spent is recorded, then
    /// `PostToolUse` hooks see its result, which goes to the model with the round's others.
    pub(super) async fn subagent_done(
        &mut self,
        i: usize,
        result: Result<Answer, tokio::task::JoinError>,
    ) {
        let done = self.subagents.remove(i);
        self.activity = Activity::Idle;
        let mut answer =
            result.unwrap_or_else(|e| Answer::refused(format!("the agent failed: {e}")));
        if let Some(spent) = answer.spent.take()
            && !self.record(vec![spent.event(&done.call.id)]).await
        {
            return;
        }
        if let Some(tree) = answer.tree.take() {
            self.bring_back(tree, &mut answer.outcome).await;
        }
        let effects = self.post_tool(done.call, answer.outcome, done.started.elapsed());
        self.run(effects).await;
    }

    /// The tools the session offers now, by name.
    fn offered_names(&self) -> Vec<String> {
        shape::offered_specs(&self.state, &self.deps.tools.registry)
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    /// Whether `agent` gets tools that write files: its definition names some the session
    /// offers now (see `subagent_tree`, where it then works).
    fn writes_files(&self, agent: &Agent) -> bool {
        let registry = &self.deps.tools.registry;
        let offered = self.offered_names();
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        agent
            .tools_of(&offered)
            .into_iter()
            .any(|t| registry.kind_of(t) == Some(ToolKind::Write))
    }

    /// The agent's session: its deps (the parent's, narrowed) and its opened state.
    /// `reads_only`: a reviewer's, given only tools that read (it never asks anything);
    /// `writes`: with the tools that write files (it works in a worktree, see `subagent_tree`).
    pub(super) fn child(
        &self,
        agent: &Agent,
        prompt: String,
        reads_only: bool,
        writes: bool,
    ) -> (SessionDeps, SessionState, String) {
        let registry = &self.deps.tools.registry;
        let offered = self.offered_names();
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        // What reads, commands and MCP tools (whose approvals reach the human through the
        // parent, see `from_agents`), and what writes files when it works in a worktree.
        let usable = |name: &&str| {
            registry.get(name).is_some_and(|tool| match tool.kind() {
                ToolKind::ReadOnly => true,
                ToolKind::External | ToolKind::Shell => !reads_only,
                ToolKind::Write => writes && !reads_only,
                _ => false,
            })
        };
        let tools: Vec<&str> = agent
            .tools_of(&offered)
            .into_iter()
            .filter(usable)
            .collect();
        let mut deps = self.deps.for_subagent(&tools);
        if reads_only {
            // No one hears a reviewer's questions: what would ask (a checkpoint on a tool, a
            // hook's `ask`) is refused, never waited for.
            deps.policy.commands = ApprovalMode::Deny;
            deps.policy.checkpoints = true;
        }
        // What a command writes is applied where the parent's writes are, else refused (a
        // change to review does not reach the human yet).
        deps.vibe_edits = match self.deps.writes(self.state.gear) {
            Writes::Apply => VibeEdits::Apply,
            Writes::Propose => VibeEdits::Review,
        };
        let route = routing::for_agent(
            &self.deps.routing.routes,
            &agent.name,
            agent.model.as_deref(),
            &self.choice(false),
        );
        deps.routing.routes.insert("default".into(), route);
        let state = crate::core::new_session(
            &self.state.workspace,
            // Its tools are already the parent's of this gear; its own gear only runs a turn
            // (a pipeline's or a plan's machinery is not a subagent's).
            Gear::Vibe,
            &deps.provider,
            Some(Subagent {
                parent: self.state.id.clone(),
                agent: agent.name.clone(),
                prompt: self.deps.tools.runner.secrets.redact(&agent.prompt),
            }),
        );
        (deps, state, prompt)
    }

    /// Cancels the subagents running: each session records its cancellation and ends by
    /// itself (its task is let go, not aborted, so nothing it holds is cut short; the
    /// session's end waits for it). Returns their calls' results, `outcome` each — and what
    /// those cancelled before, now ended, spent.
    pub(super) fn cancel_subagents(&mut self, outcome: &ToolOutcome) -> Vec<Event> {
        let mut results = self.reap_ending();
        for d in std::mem::take(&mut self.subagents) {
            let _ = d.ops.send(Op::Cancel);
            let _ = d.ops.send(Op::Quit);
            self.ending.push((d.call.id.clone(), d.task));
            results.push(gates::result_event(&d.call, outcome, d.started.elapsed()));
        }
        results
    }

    /// The cancelled subagents that have ended since: what they spent (to record), and what
    /// they wrote in a worktree goes with it.
    fn reap_ending(&mut self) -> Vec<Event> {
        let root = self.deps.tools.workspace.root().to_path_buf();
        let mut spent = Vec::new();
        for (id, t) in std::mem::take(&mut self.ending) {
            if !t.is_finished() {
                self.ending.push((id, t));
                continue;
            }
            if let Some(Ok(mut answer)) = futures::FutureExt::now_or_never(t) {
                spent.extend(answer.spent.take().map(|s| s.event(&id)));
                subagent_tree::drop_tree(root.clone(), answer);
            }
        }
        spent
    }
}

/// A subagent running: its call, since when, its session's ops, and its answer to come.
pub(super) struct Delegated {
    /// The parent's name for it (never the model's call id: see `from_agents`).
    pub(super) handle: u64,
    pub(super) call: ToolCallRequest,
    started: Instant,
    pub(super) ops: mpsc::UnboundedSender<Op>,
    pub(super) task: JoinHandle<Answer>,
}

impl SessionDeps {
    /// A subagent's deps: the parent's store, models, sandbox, approval policy for commands
    /// and tool hooks, only `tools` of its registry, and nothing that would act beyond them —
    /// no session hooks, MCP servers of its own or routes (the caller gives it the one route
    /// it takes), no skill's grant; a change to review is refused.
    #[must_use]
    pub fn for_subagent(&self, tools: &[&str]) -> SessionDeps {
        let mut deps = self.clone();
        let ctx = Arc::make_mut(&mut deps.tools);
        ctx.registry.remove_where(|n| !tools.contains(&n));
        // Its commands and checkpoints are decided as its parent's are (by the human, through
        // the parent, or by the run's flags); a change to review is refused.
        deps.policy.changes = ApprovalMode::Deny;
        deps.policy.plan = false;
        deps.policy.gates = false;
        deps.skill_grants = false;
        deps.reviewers = Vec::new();
        deps.run_tests = false;
        deps.memory_step = false;
        deps.routing = crate::config::Routing {
            cooldown: self.routing.cooldown,
            routes: BTreeMap::new(),
        };
        // The user's tool hooks guard its calls as they guard the parent's.
        deps.hooks = Arc::new(
            self.hooks
                .only(&[HookEvent::PreToolUse, HookEvent::PostToolUse]),
        );
        deps.mcp_servers = BTreeMap::new();
        deps.mcp_problems = Vec::new();
        deps.config_problems = Vec::new();
        deps.transcripts = None;
        deps.interactive = false;
        deps
    }
}
