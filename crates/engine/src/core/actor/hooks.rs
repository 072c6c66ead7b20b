//! Hooks in the session: the ones that can stop something (`PreToolUse`, `PostToolUse`,
//! `UserPromptSubmit`, `Stop`, and `SessionStart` before the first prompt) run as the actor's
//! activity — the session waits for them, Esc kills them — and what follows is decided when
//! they are done. The others (`GateReached`, `StageStarted`, `StagePassed`, `ChangeApplied`)
//! are told what was recorded and run beside the session; their runs come back on a channel.
//!
//! Every run is recorded as [`Event::HookRan`]. What a hook says to the model is added to the
//! tool result it is about, or else said before the next request, where the conversation is
//! whole (never between a tool call and its result).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Actor;
use super::activity::Activity;
use crate::config::VibeEdits;
use crate::core::machine::activity::AfterHooks;
use crate::core::machine::{Effect, gates, route};
use crate::core::shape;
use crate::hooks::{self, Handler, HookEvent};
use crate::protocol::{Event, FinishReason, NoticeLevel, Op};
use crate::provider::{ChatMessage, ToolCallRequest};
use crate::tools;
use crate::tools::ToolOutcome;

/// The most times `Stop` hooks may send the model back to work in one turn.
pub(super) const MAX_STOP_CONTINUES: u32 = 3;

impl Actor {
    /// Where `event`'s hooks run and what they read: the transcript brought up to the
    /// conversation first (a failure to write it is said, and the input has no path).
    pub(super) fn prepare_hooks(
        &mut self,
        event: HookEvent,
        fields: Value,
    ) -> (hooks::run::Runner, Value) {
        let root = self.deps.tools.workspace.root().to_path_buf();
        if self.transcript.is_none()
            && let Some(dir) = &self.deps.transcripts
        {
            self.transcript = Some(hooks::transcript::Transcript::new(
                dir,
                &self.state.id,
                &root,
            ));
        }
        let mut transcript = None;
        // The reply a `Stop` hook is about is recorded after its hooks: it is in the
        // transcript they read, as in Claude Code.
        let pending = self.pending_reply.take();
        if let Some(t) = &mut self.transcript {
            match t.sync(
                &self.state.conversation,
                pending.as_deref(),
                &self.state.model,
            ) {
                Ok(()) => transcript = Some(t.path().to_path_buf()),
                Err(e) => {
                    let text = format!(
                        "the transcript for hooks could not be written ({}: {e}); they get no \
                         transcript_path",
                        t.path().display()
                    );
                    self.warn(text);
                }
            }
        }
        let runner = hooks::run::Runner::new(
            &self.deps.tools.runner,
            &self.deps.tools.workspace,
            &self.state.id,
            transcript,
        );
        let planning = shape::phase(&self.state) == tools::Phase::Planning;
        let vibe_writes = self.deps.vibe_edits == VibeEdits::Apply;
        let mode = hooks::shape::permission_mode(self.state.gear, planning, vibe_writes);
        let input = hooks::run::input(&runner, event, self.state.gear.as_str(), mode, fields);
        (runner, input)
    }

    /// The handlers of `event` on `subject`; callers build the event's input only when there
    /// are some (a tool call without hooks pays for nothing).
    fn handlers(&self, event: HookEvent, subject: Option<&str>) -> Vec<Handler> {
        self.deps.hooks.matching(event, subject)
    }

    /// Runs `handlers` of `event` as the activity; `then` follows once they are done.
    fn start_hooks(
        &mut self,
        handlers: Vec<Handler>,
        event: HookEvent,
        subject: Option<&str>,
        fields: Value,
        then: AfterHooks,
    ) {
        let (runner, input) = self.prepare_hooks(event, fields);
        let subject = subject.map(str::to_string);
        let task = tokio::spawn(async move {
            hooks::run::run_all(&runner, &handlers, subject.as_deref(), &input).await
        });
        self.activity = Activity::Hooking { task, then };
    }

    /// The session opened: `SessionStart` hooks run before the first prompt.
    pub(super) fn session_start_hooks(&mut self) {
        for text in &self.deps.hooks.problems {
            self.warn(text.clone());
        }
        let source = if self.state.turns > 0 {
            "resume"
        } else {
            "startup"
        };
        let handlers = self.handlers(HookEvent::SessionStart, Some(source));
        if !handlers.is_empty() {
            self.start_hooks(
                handlers,
                HookEvent::SessionStart,
                Some(source),
                json!({ "source": source }),
                AfterHooks::SessionStart,
            );
        }
    }

    /// The session ends: `SessionEnd` hooks run, and are waited for (each to its timeout), so
    /// that what they do (a log, a cleanup, a notification) is done before gearshift exits.
    pub(super) async fn session_end_hooks(&mut self, reason: &str) {
        let handlers = self.handlers(HookEvent::SessionEnd, Some(reason));
        if handlers.is_empty() {
            return;
        }
        let (runner, input) =
            self.prepare_hooks(HookEvent::SessionEnd, json!({ "reason": reason }));
        let runs = hooks::run::run_all(&runner, &handlers, Some(reason), &input).await;
        let events = runs.into_iter().map(|run| Event::HookRan { run }).collect();
        self.record(events).await;
    }

    /// `PreToolUse` for the next call, or the call routed at once.
    pub(super) async fn pre_tool(&mut self, call: ToolCallRequest) -> Vec<Effect> {
        let handlers = self.handlers(HookEvent::PreToolUse, Some(&call.name));
        if handlers.is_empty() {
            return self.route_call(call, None, None).await;
        }
        let ws = self.deps.tools.workspace.root();
        let fields = json!({
            "tool_name": hooks::shape::tool_name(&call.name),
            "gearshift_tool": call.name,
            "tool_input": hooks::shape::tool_input(&call.name, &call.arguments, ws),
            "tool_use_id": call.id,
        });
        let name = call.name.clone();
        self.start_hooks(
            handlers,
            HookEvent::PreToolUse,
            Some(&name),
            fields,
            AfterHooks::Pre(call),
        );
        Vec::new()
    }

    /// A tool returned: `PostToolUse` first, or the result goes on at once.
    pub(super) fn post_tool(
        &mut self,
        call: ToolCallRequest,
        outcome: ToolOutcome,
        took: Duration,
    ) -> Vec<Effect> {
        let handlers = self.handlers(HookEvent::PostToolUse, Some(&call.name));
        if handlers.is_empty() {
            return self.tool_finished(&call, &outcome, took);
        }
        let ws = self.deps.tools.workspace.root();
        let fields = json!({
            "tool_name": hooks::shape::tool_name(&call.name),
            "gearshift_tool": call.name,
            "tool_input": hooks::shape::tool_input(&call.name, &call.arguments, ws),
            "tool_use_id": call.id,
            "tool_response": hooks::shape::tool_response(
                &call.name,
                &call.arguments,
                outcome.ok,
                &outcome.content,
                ws,
            ),
        });
        let name = call.name.clone();
        let then = AfterHooks::Post {
            call,
            outcome: Box::new(outcome),
            took,
        };
        self.start_hooks(handlers, HookEvent::PostToolUse, Some(&name), fields, then);
        Vec::new()
    }

    pub(super) fn tool_finished(
        &self,
        call: &ToolCallRequest,
        outcome: &ToolOutcome,
        took: Duration,
    ) -> Vec<Effect> {
        route::finished(call, outcome, took, self.facts(), self.deps.context_lines)
    }

    /// The model ended its reply without calls: `Stop` hooks may send it on.
    pub(super) fn stop_hooks(&mut self, reason: Option<FinishReason>, last: &str) -> bool {
        let handlers = self.handlers(HookEvent::Stop, None);
        if handlers.is_empty() {
            return false;
        }
        let fields = json!({
            "stop_hook_active": self.stop_continues > 0,
            "last_assistant_message": last,
        });
        let then = AfterHooks::Stop { reason };
        self.pending_reply = Some(Arc::new(ChatMessage::Assistant {
            text: last.to_string(),
            tool_calls: Vec::new(),
            reasoning: None,
        }));
        self.start_hooks(handlers, HookEvent::Stop, None, fields, then);
        true
    }

    /// A prompt is about to start a turn: `UserPromptSubmit` hooks first, when any match.
    /// Returns the prompt back when none do.
    pub(super) fn prompt_hooks(&mut self, op: Op, steer: bool) -> Option<Op> {
        let handlers = self.handlers(HookEvent::UserPromptSubmit, None);
        let Op::Submit { text, .. } = &op else {
            return Some(op);
        };
        if handlers.is_empty() {
            return Some(op);
        }
        let fields = json!({ "prompt": text });
        let then = if steer {
            AfterHooks::Steer(op)
        } else {
            AfterHooks::Prompt(op)
        };
        self.start_hooks(handlers, HookEvent::UserPromptSubmit, None, fields, then);
        None
    }

    /// The hooks of the activity are done: record their runs, then go on as they say.
    /// A hook answered `"continue": false`: the turn ends here, its `stopReason` said to the
    /// human (not the model); every call left gets a result saying so, and a running plan step
    /// waits to run again, as after a cancel.
    pub(super) fn ended_by_hook(
        &mut self,
        event: HookEvent,
        reason: &str,
        mut events: Vec<Event>,
    ) -> Vec<Effect> {
        let ended = ToolOutcome::error(format!("not run: a {event} hook ended the turn"));
        let (results, step) = self.stop_here(
            &ended,
            "a hook ended the turn before it finished; it runs again when the plan goes on",
        );
        events.extend(results);
        events.push(Event::Notice {
            level: NoticeLevel::Warning,
            text: format!("A {event} hook ended the turn: {reason}"),
        });
        events.extend(step);
        events.push(Event::TurnFinished {
            reason: FinishReason::Stop,
        });
        vec![Effect::Record(events)]
    }

    /// Esc while hooks ran: what they were about is closed as cancelled (a call's result, the
    /// prompt back in the composer).
    pub(super) fn hooks_cancelled(&self, then: AfterHooks) -> Vec<Event> {
        let cancelled = |call: &ToolCallRequest, took| {
            gates::result_event(call, &ToolOutcome::error("cancelled by the user"), took)
        };
        match then {
            AfterHooks::Pre(call) => vec![cancelled(&call, Duration::ZERO)],
            // The tool ran: its result stands; only the hooks' word on it is missing.
            AfterHooks::Post {
                call,
                mut outcome,
                took,
            } => {
                outcome
                    .content
                    .push_str("\n\n[its PostToolUse hooks were cancelled by the user]");
                // What it already wrote is recorded (and undoable); what waited for review is
                // not written.
                let mut events: Vec<Event> = Vec::new();
                for (i, w) in outcome.writes.iter().enumerate() {
                    if w.applied {
                        events.push(Event::FileChanged {
                            id: crate::changes::change_id(&call.id, i),
                            change: w.change.clone(),
                        });
                    } else {
                        outcome.content.push_str(&format!(
                            "\n{}: not written (cancelled before its review)",
                            w.change.path
                        ));
                    }
                }
                events.push(gates::result_event(&call, &outcome, took));
                events
            }
            AfterHooks::Prompt(op) | AfterHooks::Steer(op) => {
                if let Op::Submit { text, .. } = op {
                    let _ = self.events.send(Event::Unqueued { text });
                }
                Vec::new()
            }
            AfterHooks::SessionStart | AfterHooks::Stop { .. } | AfterHooks::Request { .. } => {
                Vec::new()
            }
        }
    }

    /// A prompt a hook withheld goes back to the composer, with the reason.
    pub(super) fn give_back(&mut self, op: Op, reason: &str) {
        self.generated = false;
        if let Op::Submit { text, .. } = op {
            let _ = self.events.send(Event::Unqueued { text });
        }
        self.refuse(
            format!("not sent: a UserPromptSubmit hook withheld the prompt: {reason}"),
            None,
        );
    }

    /// What a hook said for the model, before the next request (the conversation is whole
    /// there).
    pub(super) fn take_hook_notes(&mut self) -> Option<Event> {
        if self.hook_notes.is_empty() {
            return None;
        }
        let text = std::mem::take(&mut self.hook_notes).join("\n\n");
        Some(Event::Instructed {
            text: format!("[from the user's hooks]\n{text}"),
            category: None,
        })
    }
}
