//! What tool calls, `!` commands, command approvals and hooks say in the chat.

use super::App;
use super::events::plural;
use super::session::SandboxView;
use crate::approval::ApprovalPrompt;
use crate::overlay::Overlay;
use crate::protocol::{CommandDecision, Event};
use crate::toolcell::{AgentStep, ToolResultView};
use crate::transcript::EntryKind;

impl App {
    /// What the chat shows of tool calls, the human's `!` commands, command approvals, hooks, and
    /// files changed under the model.
    pub(super) fn tell_calls(&mut self, event: &Event, replay: bool) {
        match event {
            Event::ShellStarted { .. }
            | Event::ShellRan { .. }
            | Event::CommandApprovalRequested { .. }
            | Event::CommandDecided { .. }
            | Event::HookRan { .. } => self.tell_commands(event, replay),
            Event::FromAgent { id, agent, event } => self.tell_agent(id, agent, event, replay),
            _ => self.tell_tool_calls(event),
        }
    }

    /// Asks the human about a command: `asker` says whose it is (a subagent, a step's worker),
    /// if not the session's own model's.
    fn ask(&mut self, id: &str, command: &str, checkpoint: Option<&str>, asker: Option<String>) {
        let sandbox = self
            .session
            .sandbox
            .as_ref()
            .map_or_else(|| "Sandbox: checking…".to_string(), SandboxView::describe);
        // A checkpoint says why this one stops, whatever the allowlist says.
        let sandbox = match checkpoint {
            Some(why) => format!("⚑ {why}. {sandbox}"),
            None => sandbox,
        };
        let sandbox = match asker {
            Some(asker) => format!("Asked by {asker}. {sandbox}"),
            None => sandbox,
        };
        let prompt = Overlay::Approval(Box::new(ApprovalPrompt::new(id, command, sandbox)));
        // A new question never covers the one on screen (a key meant for that one would
        // answer it): it waits under the questions already open, first come first shown.
        let waiting = self
            .overlays
            .iter()
            .rev()
            .take_while(|o| matches!(o, Overlay::Approval(_)))
            .count();
        if waiting > 0 {
            let at = self.overlays.len() - waiting;
            self.overlays.insert(at, prompt);
        } else {
            self.overlays.push(prompt);
            // A question is drawn at once, not at the streaming frame rate.
            self.urgent = true;
        }
    }

    /// What a subagent of the `task` call `task` said: its steps in the call's cell, and its
    /// questions for the human (live only: a replay has none).
    fn tell_agent(&mut self, task: &str, agent: &str, event: &Event, replay: bool) {
        match event {
            Event::ToolCall {
                id,
                name,
                arguments,
            } => {
                let step = AgentStep::new(id, name, arguments);
                self.transcript
                    .tool_cell(task, |cell| cell.steps.push(step));
            }
            Event::ToolResult { id, ok, .. } => {
                self.transcript
                    .tool_cell(task, |cell| cell.step_done(id, *ok));
            }
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint,
            } if !replay => {
                self.transcript.tool_awaits_approval(task, true);
                let step = crate::plan::parallel::worker_step(task);
                let number = step.and_then(|s| self.plan.plan.as_ref()?.number(s));
                let asker = match number {
                    Some(n) => format!("the worker of step {n}, in its worktree"),
                    None => format!("the subagent `{agent}`"),
                };
                self.ask(id, command, checkpoint.as_deref(), Some(asker));
            }
            Event::CommandDecided { id, .. } => {
                self.transcript.tool_awaits_approval(task, false);
                self.overlays
                    .retain(|o| !matches!(o, Overlay::Approval(p) if p.id == *id));
            }
            _ => {}
        }
    }

    /// The human's `!` commands, command approvals and hooks.
    fn tell_commands(&mut self, event: &Event, replay: bool) {
        match event {
            Event::ShellStarted { id, command } => {
                // Running: Esc stops it.
                self.busy = true;
                let args = serde_json::json!({ "command": command }).to_string();
                self.transcript.push_tool(id, "!", &args);
            }
            Event::ShellRan {
                id,
                command,
                output,
                exit_code,
                duration_ms,
            } => {
                self.busy = false;
                if self.transcript.tool(id).is_none() {
                    let args = serde_json::json!({ "command": command }).to_string();
                    self.transcript.push_tool(id, "!", &args);
                }
                let ok = *exit_code == Some(0);
                let status = crate::core::prompts::exit_status(*exit_code);
                let lines = output.lines().count();
                self.transcript.tool_result(
                    id,
                    ToolResultView {
                        ok,
                        summary: format!("{status}, {} · for the model", plural(lines, "line")),
                        content: output.clone(),
                        duration_ms: *duration_ms,
                    },
                );
            }
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint,
            } => {
                self.transcript.tool_awaits_approval(id, true);
                if !replay {
                    self.ask(id, command, checkpoint.as_deref(), None);
                }
            }
            Event::CommandDecided {
                id,
                command,
                decision,
            } => {
                self.transcript.tool_awaits_approval(id, false);
                self.overlays
                    .retain(|o| !matches!(o, Overlay::Approval(p) if p.id == *id));
                if let CommandDecision::Denied { reason } = decision {
                    let why = reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    let command = crate::safe_text::command(command).0;
                    self.transcript
                        .push(EntryKind::Notice, format!("Denied `{command}`{why}"));
                }
            }
            Event::HookRan { run } => {
                // One that blocked, failed, was killed or wrote what the gate withheld is a
                // warning; one that passed with output, a dim line; one that passed quietly
                // adds nothing to read (`/hooks` lists every run).
                match &run.outcome {
                    // What the gate kept it from writing is always said.
                    _ if !run.withheld.is_empty() => self
                        .transcript
                        .push(EntryKind::Notice, format!("⚠ {}", run.line())),
                    crate::hooks::HookOutcome::Passed { output: None } => {}
                    crate::hooks::HookOutcome::Passed { .. }
                    | crate::hooks::HookOutcome::Context { .. } => {
                        self.transcript.push(EntryKind::Usage, run.line());
                    }
                    _ => self
                        .transcript
                        .push(EntryKind::Notice, format!("⚠ {}", run.line())),
                }
                self.hook_runs.push(run.clone());
            }
            _ => {}
        }
    }

    /// The model's tool calls and their results, and files changed under it.
    fn tell_tool_calls(&mut self, event: &Event) {
        match event {
            Event::ToolCall {
                id,
                name,
                arguments,
            } => self.transcript.push_tool(id, name, arguments),
            Event::ToolResult {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => self.transcript.tool_result(
                id,
                ToolResultView {
                    ok: *ok,
                    summary: summary.clone(),
                    content: content.clone(),
                    duration_ms: *duration_ms,
                },
            ),
            Event::ToolHeld {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => self.transcript.tool_result(
                id,
                ToolResultView {
                    ok: *ok,
                    summary: format!("{summary} · its writes wait for your review"),
                    content: content.clone(),
                    duration_ms: *duration_ms,
                },
            ),
            Event::FilesSeen { files, .. } => {
                let names: Vec<&str> = files.keys().map(String::as_str).collect();
                self.transcript.push(
                    EntryKind::Notice,
                    format!(
                        "Told the model that {} changed since it wrote {}: {}.",
                        if names.len() == 1 { "a file" } else { "files" },
                        if names.len() == 1 { "it" } else { "them" },
                        names.join(", ")
                    ),
                );
            }
            _ => {}
        }
    }
}
