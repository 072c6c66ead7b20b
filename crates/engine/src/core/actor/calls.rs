//! Tool calls: the next queued call routed (see `core::machine::route`), and run in the
//! background.

use std::sync::Arc;
use std::time::Instant;

use super::Actor;
use super::activity::Activity;
use crate::core::machine::{ApprovalMode, Effect, approval, route};
use crate::core::turn;
use crate::core::turn::TurnEnd;
use crate::protocol::{CommandDecision, Event, Gear, Op};
use crate::provider::{ChatMessage, ToolCallRequest};
use crate::tools;

impl Actor {
    /// Routes the next queued tool call, or ends the round: the turn ends when the model ended
    /// a step or proposed a plan, else the next request goes out.
    pub(super) async fn next_call(&mut self) -> Vec<Effect> {
        // Subagents run together, up to `[agents] max_parallel`; anything else waits for them.
        let registry = &self.deps.tools.registry;
        let delegates = self
            .queue
            .front()
            .is_some_and(|c| registry.kind_of(&c.name) == Some(tools::ToolKind::Agent));
        if !self.subagents.is_empty()
            && (!delegates || self.subagents.len() >= self.deps.max_parallel)
        {
            self.activity = Activity::Delegating;
            return Vec::new();
        }
        let Some(call) = self.queue.pop_front() else {
            if std::mem::take(&mut self.end_turn) {
                return vec![
                    Effect::Record(turn::end_events(&TurnEnd::Completed, None)),
                    Effect::AfterTurn,
                ];
            }
            self.round += 1;
            // A prompt sent while the model worked steers it at this round boundary, inside
            // the running turn: it follows the tool results, before the next request.
            // (A `/command` waits for the turn's end: it is expanded as a prompt of its own.)
            let plain = matches!(
                self.prompts.front(),
                Some(Op::Submit { text, .. }) if !text.trim_start().starts_with('/')
            );
            if plain && let Some(op) = self.prompts.pop_front() {
                // `UserPromptSubmit` hooks see it first, when any are set.
                let Some(Op::Submit { text, attachments }) = self.prompt_hooks(op, true) else {
                    return Vec::new();
                };
                let mut said = vec![Event::UserMessage {
                    text,
                    attachments: Vec::new(),
                }];
                if !attachments.is_empty() {
                    said.push(self.attached(&attachments).await);
                }
                return vec![Effect::Record(said), Effect::Request { may_compact: true }];
            }
            return vec![Effect::Request { may_compact: true }];
        };
        // `PreToolUse` hooks see the call before it is approved or run.
        self.pre_tool(call).await
    }

    /// The `[[checkpoints]]` rule `call` stops at, if any.
    fn checkpoint_of(&self, call: &ToolCallRequest) -> Option<String> {
        let registry = &self.deps.tools.registry;
        match tools::command_of(call) {
            Some(command) if registry.kind_of(&call.name) == Some(tools::ToolKind::Shell) => {
                let by_command = self.deps.checkpoints.command(&command);
                by_command.or_else(|| self.deps.checkpoints.tool(&call.name))
            }
            _ => self.deps.checkpoints.tool(&call.name),
        }
    }

    /// A command that waited for approval when the session stopped waits again, with the
    /// checkpoint that stops it: the front end is asked anew (the question is already
    /// recorded), and the turn goes on from it. A run without a human answers as its flags
    /// say — as it would have answered the question — or, at a checkpoint it does not pass,
    /// stops there.
    pub(super) async fn resume_approval(&mut self) {
        let Some(id) = self.state.approval.clone() else {
            return;
        };
        let Some(call) = self.state.conversation.iter().find_map(|m| match &**m {
            ChatMessage::Assistant { tool_calls, .. } => {
                tool_calls.iter().find(|c| c.id == id).cloned()
            }
            _ => None,
        }) else {
            return;
        };
        let command = route::subject(&self.deps.tools.registry, &call);
        let checkpoint = self.checkpoint_of(&call);
        let policy = self.facts().policy;
        let waits = checkpoint.is_some() && !policy.checkpoints;
        self.round = 1;
        self.activity = Activity::Approving { call: call.clone() };
        let decision = match policy.commands {
            ApprovalMode::Ask => None,
            _ if waits => None,
            ApprovalMode::Approve if !crate::safe_text::has_hidden(&command) => {
                Some(CommandDecision::Headless)
            }
            _ => Some(CommandDecision::Denied {
                reason: Some("commands are not run headless without --approve-commands".into()),
            }),
        };
        match decision {
            Some(decision) => {
                let effects = approval::answer(Some(&call), &command, &id, decision);
                self.run(effects).await;
            }
            None => {
                let _ = self.events.send(Event::CommandApprovalRequested {
                    id,
                    command,
                    checkpoint,
                });
            }
        }
    }

    /// Routes a call the hooks let through: a checkpoint, the allowlist or a skill's grant,
    /// then the gear's rule.
    /// `asked`: a hook's `ask`; `allowed`: the file of a user's hook that answered `allow`,
    /// which lets the call run without the approval prompt where the allowlist could (never
    /// past a checkpoint; a protected path is the write gate's, whoever approved).
    pub(super) async fn route_call(
        &mut self,
        call: ToolCallRequest,
        asked: Option<String>,
        allowed: Option<String>,
    ) -> Vec<Effect> {
        let registry = Arc::clone(&self.deps.tools);
        let registry = &registry.registry;
        // A checkpoint stops the call whatever would have let it through; so does a hook that
        // answered `ask`.
        let checkpoint = self.checkpoint_of(&call).or(asked);
        let by_hook = || {
            allowed
                .clone()
                .map(|source| CommandDecision::Hook { source })
        };
        let listed = match tools::command_of(&call) {
            _ if checkpoint.is_some() => None,
            _ if registry.kind_of(&call.name) == Some(tools::ToolKind::External) => self
                .deps
                .allowed_tools
                .is_match(&call.name)
                .then_some(CommandDecision::Allowed)
                .or_else(by_hook),
            Some(command) if registry.kind_of(&call.name) == Some(tools::ToolKind::Shell) => {
                let how = if let Some(hook) = by_hook() {
                    Some(hook)
                } else if self.deps.allowlist.allows(&command) {
                    Some(CommandDecision::Allowed)
                } else {
                    self.granted_by(&command)
                        .map(|skill| CommandDecision::Skill { skill })
                };
                match how {
                    Some(how) if self.sandbox_enforced().await => Some(how),
                    _ => None,
                }
            }
            _ => None,
        };
        route::route(
            &self.state,
            registry,
            call,
            listed,
            checkpoint,
            self.facts(),
        )
    }

    /// The skill whose `allowed-tools` pre-approves `command` now: one loaded in this turn
    /// (by the model or as `/name`), or the running pipeline stage's (see
    /// [`tools::grants`] for who may grant).
    fn granted_by(&self, command: &str) -> Option<String> {
        if !self.deps.skill_grants {
            return None;
        }
        let skills = self.deps.tools.skills.read().ok()?;
        let stage = self
            .state
            .pipeline
            .as_ref()
            .filter(|_| self.state.gear == Gear::Pipeline)
            .and_then(|p| {
                let i = p.run.current()?;
                Some(p.run.pipeline.stages[i].skill.clone())
            });
        self.granted
            .iter()
            .chain(stage.iter())
            .find(|name| {
                skills
                    .get(name.as_str())
                    .is_some_and(|s| tools::grants::of(s).allows(command))
            })
            .cloned()
    }

    /// Runs a call's handler in the background; its outcome wakes the actor. A `task` call
    /// starts its agent (see `subagent`), however it got here (routed, or approved at a
    /// checkpoint), and the round goes on to its next call.
    pub(super) fn run_call(&mut self, call: ToolCallRequest) -> Vec<Effect> {
        if self.deps.tools.registry.kind_of(&call.name) == Some(tools::ToolKind::Agent) {
            self.run_subagent(call);
            return vec![Effect::NextCall];
        }
        let ctx = Arc::clone(&self.deps.tools);
        let task_call = call.clone();
        let writes = self.deps.writes(self.state.gear);
        let task = tokio::spawn(async move { tools::execute(&task_call, &ctx, writes).await });
        self.activity = Activity::Running {
            call,
            task,
            started: Instant::now(),
        };
        Vec::new()
    }
}
