//! What the core's events do to the front end: every pane folds what it cares about, and the
//! chat tells the story (a prompt, a reply, a tool call, a gate reached, a change applied).

use super::*;

impl App {
    pub(super) fn apply(&mut self, event: &Event, replay: bool) {
        if !replay && let Some(what) = waits_for_you(event) {
            self.call_back(what);
        }
        // A note of work under way goes when the work is over.
        let over = match self.note.as_deref() {
            Some("cancelling…") => matches!(
                event,
                Event::TurnFinished { .. } | Event::ShellRan { .. } | Event::Refused { .. }
            ),
            Some("compacting…") => matches!(
                event,
                Event::Compacted { .. }
                    | Event::Error { .. }
                    | Event::TurnFinished { .. }
                    | Event::Refused { .. }
            ),
            _ => false,
        };
        if over {
            self.note = None;
        }
        // Every pane folds what it cares about; the chat then tells the story.
        let (_, panes) = self.split();
        let mut by_diff = false;
        for pane in panes {
            let claimed = pane.on_event(event, replay);
            by_diff |= claimed && pane.id() == PaneId::Diff;
        }
        // Stops at a checkpoint, for `/checkpoints`.
        match event {
            Event::ChangeProposed {
                change,
                checkpoint: Some(why),
                ..
            } => self
                .checkpoint_hits
                .push((format!("write {}", change.path), why.clone())),
            Event::CommandApprovalRequested {
                command,
                checkpoint: Some(why),
                ..
            } => self
                .checkpoint_hits
                .push((format!("run `{command}`"), why.clone())),
            _ => {}
        }
        // The diff pane's events also tell the chat what happened to a change.
        if by_diff {
            if let Event::ChangeProposed { id, .. } = event {
                let waiting = self.diff.log.get(id).is_some_and(|e| e.status.is_open());
                self.transcript.tool_awaits_review(id, waiting);
            }
            self.change_notice(event);
            return;
        }
        match event {
            Event::Unqueued { text } => {
                if let Some(i) = self.queued.iter().rposition(|q| q == text) {
                    self.queued.remove(i);
                }
                // Back in the composer, to edit (what was typed since is kept after it).
                let now = self.composer.lines().join("\n");
                let joined = if now.trim().is_empty() {
                    text.clone()
                } else {
                    format!("{text}\n{now}")
                };
                self.focus = Focus::Composer;
                self.set_composer_text(&joined);
            }
            Event::UserMessage { text, attachments } => {
                // A queued prompt was delivered.
                if let Some(i) = self.queued.iter().position(|q| q == text) {
                    self.queued.remove(i);
                }
                if self.session.title.is_empty() {
                    self.session.title = crate::protocol::default_title(text);
                }
                // What it attached, as chips under the prompt.
                let shown = if attachments.is_empty() {
                    text.clone()
                } else {
                    let chips: Vec<String> = attachments.iter().map(|a| format!("[@{a}]")).collect();
                    format!("{text}\n📎 {}", chips.join(" "))
                };
                self.transcript.push(EntryKind::User, shown);
                if !replay {
                    self.transcript.to_bottom();
                }
            }
            Event::AssistantMessage { text, interrupted } => {
                self.transcript.finish_streaming(text.clone(), *interrupted);
            }
            Event::AssistantDelta { text } => self.transcript.append_streaming(text),
            Event::ReasoningDelta { text } => self.transcript.append_thinking(text),
            Event::Reasoning { reasoning } => self.transcript.finish_thinking(&reasoning.text),
            Event::AssistantCheckpoint { text, reasoning } => {
                if replay {
                    if !reasoning.is_empty() {
                        self.transcript.finish_thinking(reasoning);
                    }
                    self.transcript.checkpoint(text);
                }
            }
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
                if !self.transcript.has_tool(id) {
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
                    self.overlays
                        .push(Overlay::Approval(Box::new(ApprovalPrompt::new(
                            id, command, sandbox,
                        ))));
                    // A question is drawn at once, not at the streaming frame rate.
                    self.urgent = true;
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
            Event::GearChanged { to, .. } => {
                self.session.gear = *to;
                self.transcript.push(EntryKind::Notice, gear_notice(*to));
            }
            Event::TitleChanged { title } => self.session.title.clone_from(title),
            Event::ModelChanged {
                provider,
                model,
                route,
                routed,
            } => {
                self.session.provider.clone_from(provider);
                self.session.model.clone_from(model);
                self.session.model_label = format!("{provider}/{model}");
                let change = crate::core::routing::describe_change(
                    provider,
                    model,
                    route.as_deref(),
                    *routed,
                );
                self.transcript
                    .push(EntryKind::Notice, format!("Model: {change}"));
            }
            // This run's model: what the status bar shows from here on, as the replies' lines do.
            Event::SessionResumed { provider, model } => {
                self.session.provider.clone_from(provider);
                self.session.model.clone_from(model);
                self.session.model_label = format!("{provider}/{model}");
            }
            Event::ModelFellBack { from, to, reason } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!("⚠ {from} is down, so the request went to {to}: {reason}"),
                );
            }
            Event::Usage {
                input,
                output,
                cost,
                ..
            } => {
                // `input` includes the cached part.
                self.session.context_tokens = input + output;
                self.turn_requests
                    .extend(crate::library::RequestRow::of(event));
                // A model with prices (perhaps switched to) shows the session's cost.
                if let (Some(cost), false) = (cost, replay) {
                    *self.session.cost.get_or_insert(0.0) += cost;
                }
            }
            Event::TurnStarted { .. } => {
                self.busy = !replay;
                self.turn_requests.clear();
            }
            Event::TurnFinished { .. } => {
                self.busy = false;
                self.transcript.abandon_streaming();
                let requests = std::mem::take(&mut self.turn_requests);
                if let Some(line) = crate::report::figures::turn_line(&requests) {
                    self.transcript.push(EntryKind::Usage, line);
                }
            }
            Event::Error { kind, message } => {
                if *kind == crate::protocol::ErrorKind::Store {
                    self.session.stopped = true;
                }
                let text = if *kind == crate::protocol::ErrorKind::Context {
                    crate::hints::refusal(
                        &self.keymap,
                        message,
                        Some(crate::protocol::Hint::FreeContext),
                    )
                } else {
                    message.clone()
                };
                self.transcript.push(EntryKind::Error, text);
            }
            Event::Refused { message, hint } => {
                let text = crate::hints::refusal(&self.keymap, message, *hint);
                self.transcript.push(EntryKind::Error, text);
            }
            Event::McpStatus { servers } => {
                self.session.mcp.clone_from(servers);
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
            Event::Notice { level, text } => {
                let text = match level {
                    crate::protocol::NoticeLevel::Warning => format!("⚠ {text}"),
                    crate::protocol::NoticeLevel::Info => text.clone(),
                };
                self.transcript.push(EntryKind::Notice, text);
            }
            Event::SandboxStatus {
                mode,
                network,
                enforced,
                problem,
            } => {
                let view = SandboxView {
                    mode: mode.clone(),
                    network: *network,
                    enforced: *enforced,
                    problem: problem.clone(),
                };
                for o in &mut self.overlays {
                    if let Overlay::Approval(p) = o {
                        p.sandbox = view.describe();
                    }
                }
                self.session.sandbox = Some(view);
            }
            Event::Imported { .. } => {
                self.transcript.push(
                    EntryKind::Notice,
                    "Imported from a file: what came before is history. Nothing it approved \
                     (\"always\" for a command, a model switch) is in force here.",
                );
            }
            Event::SessionForked { from } => {
                let short = &from[..from.len().min(8)];
                self.transcript
                    .push(EntryKind::Notice, format!("Forked from session {short}."));
            }
            Event::ContextAccounted { report } => {
                let fill = report.fill();
                self.session.context_tokens = report.used();
                self.session.context_window = report.window;
                if fill >= self.warn_at && !self.context_warned && !replay {
                    let keys = self.keymap.keys_label(Action::FocusContext);
                    self.transcript.push(
                        EntryKind::Notice,
                        format!(
                            "The context window is {:.0}% full (the request and the reply's \
                             reserve). The context pane ({keys}) shows what fills it: {}; older \
                             turns are compacted automatically before the window overflows.",
                            fill * 100.0,
                            crate::hints::say(
                                &self.keymap,
                                &[
                                    (Action::ContextDrop, "leaves an item out"),
                                    (Action::ContextCompact, "compacts older turns now"),
                                ]
                            )
                        ),
                    );
                }
                self.context_warned = fill >= self.warn_at;
            }
            Event::Compacted {
                through,
                before,
                after,
                ..
            } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!(
                        "Compacted messages 1–{through} into a summary: about {} → {} tokens. \
                         The full history stays in the session.",
                        crate::contextview::thousands(*before),
                        crate::contextview::thousands(*after)
                    ),
                );
            }
            Event::ItemDropped { .. } | Event::ItemPinned { .. } => {}
            Event::PlanProposed { .. }
            | Event::PlanEdited { .. }
            | Event::StepStatusChanged { .. } => {
                self.plan_event(event);
            }
            Event::PipelineStarted { .. } => {
                crate::pipeline::fold(&mut self.pipeline, event);
            }
            Event::Stage { event: stage } => {
                crate::pipeline::fold(&mut self.pipeline, event);
                // Told on resume too: a resumed chat keeps its stage and gate lines.
                self.stage_notice(stage);
            }
            Event::Shipped { commit, message } => {
                let subject = message.lines().next().unwrap_or_default();
                self.transcript.push(
                    EntryKind::Notice,
                    format!("Committed {}: {subject}", &commit[..commit.len().min(10)]),
                );
            }
            Event::PlanCompleted { done, total } => {
                self.transcript.push(
                    EntryKind::Notice,
                    format!("The plan has run: {done} of {total} steps done."),
                );
            }
            Event::RunningAll { on } => self.running_all = *on,
            // Folded by the plan pane above.
            Event::PipelinePreview { .. } => {}
            Event::Commands { commands } => {
                self.commands = super::super::commands::Commands::new(commands);
            }
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
            // Folded by the diff pane above.
            Event::FileChanged { .. }
            | Event::ChangeProposed { .. }
            | Event::HunkDecided { .. }
            | Event::HunkCommented { .. }
            | Event::ChangeApplied { .. }
            | Event::ChangeConflicted { .. }
            | Event::ChangeWithdrawn { .. }
            | Event::ChangeUndone { .. }
            | Event::SessionOpened { .. }
            // What the model was told; the chat tells the story with its own notices.
            | Event::Instructed { .. }
            | Event::MemoryTurn { .. } => {}
        }
    }
}

pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(super) fn gear_notice(gear: Gear) -> String {
    match gear {
        Gear::Vibe => "Gear: vibe — chat, and the model edits directly.".into(),
        Gear::Plan => "Gear: plan — the model explores read-only and proposes a plan; you edit \
                       and approve it step by step, and review each step's diff at a gate."
            .into(),
        Gear::Pipeline => "Gear: pipeline — requirements → design → tasks → implement → verify → \
                           review → ship, each stage gated on your approval."
            .into(),
    }
}

/// What an event makes wait for the human, for a notification when they are elsewhere.
fn waits_for_you(event: &Event) -> Option<&'static str> {
    use crate::pipeline::StageEvent;
    match event {
        Event::CommandApprovalRequested { .. } => Some("a command waits for your approval"),
        Event::ChangeProposed { .. } => Some("a change waits for your review"),
        Event::PlanProposed { .. } => Some("a plan waits for your approval"),
        Event::StepStatusChanged {
            status: StepStatus::AwaitingReview,
            ..
        } => Some("a plan step waits at its gate"),
        Event::Stage {
            event: StageEvent::AtGate { .. },
        } => Some("a pipeline stage waits at its gate"),
        _ => None,
    }
}
