//! What the core's events do to the front end: every pane folds what it cares about, and the
//! chat tells the story (a prompt, a reply, a tool call, a gate reached, a change applied).

use super::App;
use crate::layout::{Focus, PaneId};
use crate::protocol::{Event, Gear, StepStatus};
use crate::transcript::EntryKind;

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
            Event::Unqueued { .. }
            | Event::UserMessage { .. }
            | Event::AssistantMessage { .. }
            | Event::AssistantDelta { .. }
            | Event::ReasoningDelta { .. }
            | Event::Reasoning { .. }
            | Event::AssistantCheckpoint { .. }
            | Event::Compacted { .. } => self.tell_conversation(event, replay),
            Event::ToolCall { .. }
            | Event::ToolResult { .. }
            | Event::ToolHeld { .. }
            | Event::ShellStarted { .. }
            | Event::ShellRan { .. }
            | Event::CommandApprovalRequested { .. }
            | Event::CommandDecided { .. }
            | Event::HookRan { .. }
            | Event::FromAgent { .. }
            | Event::FilesSeen { .. } => self.tell_calls(event, replay),
            Event::GearChanged { .. }
            | Event::TitleChanged { .. }
            | Event::ModelChanged { .. }
            | Event::SessionResumed { .. }
            | Event::ModelFellBack { .. }
            | Event::Usage { .. }
            | Event::AgentSpent { .. }
            | Event::Error { .. }
            | Event::Refused { .. }
            | Event::McpStatus { .. }
            | Event::Notice { .. }
            | Event::SandboxStatus { .. }
            | Event::Imported { .. }
            | Event::SessionForked { .. }
            | Event::ContextAccounted { .. }
            | Event::Commands { .. } => self.tell_session(event, replay),
            Event::TurnStarted { .. }
            | Event::TurnFinished { .. }
            | Event::PlanProposed { .. }
            | Event::PlanEdited { .. }
            | Event::StepStatusChanged { .. }
            | Event::PipelineStarted { .. }
            | Event::Stage { .. }
            | Event::Shipped { .. }
            | Event::PlanCompleted { .. }
            | Event::RunningAll { .. } => self.tell_work(event, replay),
            Event::ItemDropped { .. } | Event::ItemPinned { .. } => {}
            // Folded by the plan pane above.
            Event::PipelinePreview { .. } => {}
            // Folded by the diff pane above.
            Event::FileChanged { .. }
            | Event::ChangeProposed { .. }
            | Event::HunkDecided { .. }
            | Event::HunkCommented { .. }
            | Event::ChangeReviewed { .. }
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

    /// What the chat shows of the conversation: prompts (queued or delivered), the reply as it
    /// streams, its reasoning, a compaction.
    pub(super) fn tell_conversation(&mut self, event: &Event, replay: bool) {
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
                    let chips: Vec<String> =
                        attachments.iter().map(|a| format!("[@{a}]")).collect();
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
            // Shown on resume only: live, the deltas already are.
            Event::AssistantCheckpoint { text, reasoning } if replay => {
                if !reasoning.is_empty() {
                    self.transcript.finish_thinking(reasoning);
                }
                self.transcript.checkpoint(text);
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
            _ => {}
        }
    }

    /// What the chat shows of turns, the plan and the pipeline run.
    pub(super) fn tell_work(&mut self, event: &Event, replay: bool) {
        match event {
            Event::TurnStarted { .. } => {
                self.busy = !replay;
                self.turn_requests.clear();
                self.turn_agents.clear();
            }
            Event::TurnFinished { .. } => {
                self.busy = false;
                self.transcript.abandon_streaming();
                let requests = std::mem::take(&mut self.turn_requests);
                let agents = std::mem::take(&mut self.turn_agents);
                if let Some(line) = crate::report::figures::turn_line(&requests, &agents) {
                    self.transcript.push(EntryKind::Usage, line);
                }
            }
            Event::PlanProposed { .. }
            | Event::PlanEdited { .. }
            | Event::StepStatusChanged { .. } => {
                self.plan_event(event);
                self.tell_worker(event, replay);
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
            _ => {}
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
