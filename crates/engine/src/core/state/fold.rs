//! How each event changes the session's state, by concern; `fold_event` names every event,
//! so a new one cannot be forgotten.

use std::sync::Arc;

use super::{Compaction, Held, PipelineRun, SessionState};
use crate::context::Category;
use crate::pipeline::Run;
use crate::protocol::reasoning::Reasoning;
use crate::protocol::{ChatMessage, CommandDecision, Event, ToolCallRequest, default_title};

impl SessionState {
    pub(super) fn fold_event(&mut self, event: &Event) {
        self.learn(event);
        if self.changes.apply(event) {
            return;
        }
        match event {
            Event::SessionOpened { .. }
            | Event::Imported { .. }
            | Event::SessionResumed { .. }
            | Event::ModelChanged { .. }
            | Event::GearChanged { .. }
            | Event::TitleChanged { .. } => self.fold_session(event),
            Event::UserMessage { .. }
            | Event::AssistantMessage { .. }
            | Event::Reasoning { .. }
            | Event::AssistantCheckpoint { .. }
            | Event::ShellRan { .. }
            | Event::Compacted { .. } => self.fold_conversation(event),
            Event::ToolCall { .. }
            | Event::ToolHeld { .. }
            | Event::ToolResult { .. }
            | Event::CommandApprovalRequested { .. }
            | Event::CommandDecided { .. } => self.fold_calls(event),
            Event::TurnStarted { .. }
            | Event::TurnFinished { .. }
            | Event::MemoryTurn { .. }
            | Event::PipelineStarted { .. }
            | Event::Stage { .. }
            | Event::PlanProposed { .. }
            | Event::PlanEdited { .. }
            | Event::StepStatusChanged { .. } => self.fold_work(event),
            Event::ItemDropped { .. }
            | Event::ItemPinned { .. }
            | Event::Usage { .. }
            | Event::AgentSpent { .. } => {
                self.fold_context(event);
            }
            Event::AssistantDelta { .. }
            | Event::FromAgent { .. }
            | Event::ReasoningDelta { .. }
            | Event::SessionForked { .. }
            | Event::FileChanged { .. }
            | Event::ChangeProposed { .. }
            | Event::HunkDecided { .. }
            | Event::HunkCommented { .. }
            | Event::ChangeReviewed { .. }
            | Event::ChangeApplied { .. }
            | Event::ChangeConflicted { .. }
            | Event::ChangeWithdrawn { .. }
            | Event::ChangeUndone { .. }
            | Event::ContextAccounted { .. }
            | Event::PlanCompleted { .. }
            | Event::Shipped { .. }
            | Event::Error { .. }
            | Event::Notice { .. }
            | Event::HookRan { .. }
            | Event::ModelFellBack { .. }
            | Event::Refused { .. }
            | Event::Instructed { .. }
            | Event::FilesSeen { .. }
            | Event::RunningAll { .. }
            | Event::PipelinePreview { .. }
            | Event::Commands { .. }
            | Event::Unqueued { .. }
            | Event::ShellStarted { .. }
            | Event::SandboxStatus { .. }
            | Event::McpStatus { .. } => {}
        }
    }

    /// What the session is: its identity, model, gear and title, and what an import takes away.
    fn fold_session(&mut self, event: &Event) {
        match event {
            Event::SessionOpened { meta } => {
                self.id.clone_from(&meta.id);
                self.workspace.clone_from(&meta.workspace);
                self.gear = meta.gear;
                self.provider.clone_from(&meta.provider);
                self.model.clone_from(&meta.model);
                self.subagent.clone_from(&meta.subagent);
            }
            Event::Imported { .. } => {
                // Evidence, not authority: what the file's events granted is dropped.
                self.imported = true;
                // Nor does its file say what instructions it runs on.
                self.subagent = None;
                self.allowed_commands.clear();
                self.switched.clear();
            }
            Event::SessionResumed { provider, model } => {
                self.provider.clone_from(provider);
                self.model.clone_from(model);
            }
            Event::ModelChanged {
                provider,
                model,
                route,
                routed,
            } => {
                self.provider.clone_from(provider);
                self.model.clone_from(model);
                if !routed {
                    let route = route.clone().unwrap_or_else(|| "default".into());
                    let target = crate::core::routing::Target {
                        provider: provider.clone(),
                        model: model.clone(),
                    };
                    self.switched.insert(route, target);
                }
            }
            Event::GearChanged { to, .. } => self.gear = *to,
            Event::TitleChanged { title } => self.title.clone_from(title),
            _ => {}
        }
    }

    /// The conversation as the model is sent it: messages, reasoning, a checkpoint of a reply, a
    /// shell command's output, a compaction.
    fn fold_conversation(&mut self, event: &Event) {
        match event {
            Event::UserMessage { text, .. } => {
                self.messages += 1;
                if self.title.is_empty() {
                    self.title = default_title(text);
                }
                self.conversation
                    .push(ChatMessage::User { text: text.clone() }.into());
            }
            Event::AssistantMessage { text, .. } => {
                self.messages += 1;
                self.checkpoint = None;
                self.conversation.push(
                    ChatMessage::Assistant {
                        text: text.clone(),
                        tool_calls: Vec::new(),
                        reasoning: self.reasoning.take(),
                    }
                    .into(),
                );
            }
            Event::Reasoning { reasoning } => self.reasoning = Some(reasoning.clone()),
            Event::AssistantCheckpoint { text, reasoning } => {
                self.checkpoint = Some(text.clone());
                // A checkpoint's reasoning is shown, never passed back: it has no source.
                self.reasoning = (!reasoning.is_empty()).then(|| Reasoning {
                    text: reasoning.clone(),
                    ..Reasoning::default()
                });
            }
            Event::Compacted {
                through, summary, ..
            } => {
                self.compaction = Some(Compaction {
                    through: *through,
                    summary: summary.clone(),
                });
            }
            Event::ShellRan {
                command,
                output,
                exit_code,
                ..
            } => {
                let text = crate::core::prompts::shell_ran(command, output, *exit_code);
                self.stage_messages
                    .insert(self.conversation.len(), Category::ToolResults);
                self.conversation.push(ChatMessage::User { text }.into());
            }
            _ => {}
        }
    }

    /// Tool calls and their results, and commands waiting for or given approval.
    fn fold_calls(&mut self, event: &Event) {
        match event {
            Event::ToolCall {
                id,
                name,
                arguments,
            } => {
                let call = ToolCallRequest {
                    id: id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                };
                // A reply's calls join it (copied first if a request still holds it).
                let reply = self
                    .conversation
                    .last_mut()
                    .filter(|m| matches!(***m, ChatMessage::Assistant { .. }))
                    .map(Arc::make_mut);
                match reply {
                    Some(ChatMessage::Assistant { tool_calls, .. }) => tool_calls.push(call),
                    _ => self.conversation.push(
                        ChatMessage::Assistant {
                            text: String::new(),
                            tool_calls: vec![call],
                            reasoning: None,
                        }
                        .into(),
                    ),
                }
            }
            Event::ToolHeld {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => {
                self.held.insert(
                    id.clone(),
                    Held {
                        ok: *ok,
                        content: content.clone(),
                        summary: summary.clone(),
                        duration_ms: *duration_ms,
                    },
                );
            }
            Event::ToolResult {
                id, ok, content, ..
            } => {
                self.held.remove(id);
                if self.approval.as_ref() == Some(id) {
                    self.approval = None;
                }
                self.conversation.push(
                    ChatMessage::ToolResult {
                        call_id: id.clone(),
                        content: content.clone(),
                        is_error: !ok,
                    }
                    .into(),
                );
            }
            Event::CommandApprovalRequested { id, .. } => self.approval = Some(id.clone()),
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                if self.approval.as_ref() == Some(id) {
                    self.approval = None;
                }
                if *decision == CommandDecision::Always {
                    // An external tool's "always" is for the tool, whatever its arguments.
                    let key = match command.split_once(' ') {
                        Some((tool, _)) if tool.starts_with("mcp__") => tool,
                        _ => command.as_str(),
                    };
                    self.allowed_commands.insert(key.to_string());
                }
            }
            _ => {}
        }
    }

    /// Turns, the plan and the pipeline run.
    fn fold_work(&mut self, event: &Event) {
        match event {
            Event::TurnStarted { turn } => self.turns = self.turns.max(*turn),
            Event::PipelineStarted {
                pipeline,
                skills,
                request,
            } => {
                crate::plan::fold(&mut self.plan, event);
                self.pipeline = Some(PipelineRun {
                    run: Run::new(pipeline.clone()),
                    skills: skills.clone(),
                    request: request.clone(),
                    first_change: self.changes.entries.len(),
                });
            }
            Event::Stage { event } => self.stage_event(event),
            Event::PlanProposed { .. } | Event::PlanEdited { .. } => {
                crate::plan::fold(&mut self.plan, event);
            }
            Event::StepStatusChanged { step, status, .. } => {
                if *status == crate::plan::StepStatus::Running {
                    self.step_changes
                        .entry(step.clone())
                        .or_insert(self.changes.entries.len());
                }
                crate::plan::fold(&mut self.plan, event);
            }
            Event::MemoryTurn { .. } => self.memory_turn = true,
            Event::TurnFinished { .. } => self.memory_turn = false,
            _ => {}
        }
    }

    /// What the context pane dropped or pinned, and what requests used.
    fn fold_context(&mut self, event: &Event) {
        match event {
            Event::ItemDropped { item, dropped } => {
                if *dropped {
                    self.dropped.insert(*item);
                } else {
                    self.dropped.remove(item);
                }
            }
            Event::ItemPinned { item, pinned } => {
                if *pinned {
                    self.pinned.insert(*item);
                } else {
                    self.pinned.remove(item);
                }
            }
            Event::Usage {
                input,
                output,
                cached,
                cost,
                ..
            } => {
                self.cache.last_input = *input;
                self.cache.last_cached = *cached;
                self.cache.session_input += input;
                self.cache.session_cached += cached;
                self.cost += cost.unwrap_or(0.0);
                self.input_tokens += input;
                self.output_tokens += output;
                // `input` includes the cached part.
                self.context_tokens = input + output;
            }
            // A subagent's spend is the session's, not its context.
            Event::AgentSpent { cost, context, .. } => {
                self.cost += cost.unwrap_or(0.0);
                self.agents_read += context;
            }
            _ => {}
        }
    }
}
