//! What the hooks' combined verdict does where they ran: before a prompt, a steer, a tool
//! call or its result, or the turn's end — the run recorded, then blocked, asked, allowed or
//! let through, with what they said for the model.

use std::time::Duration;

use super::Actor;
use super::hooks::MAX_STOP_CONTINUES;
use crate::core::machine::activity::AfterHooks;
use crate::core::machine::{Effect, gates};
use crate::hooks::verdict::{self, Combined};
use crate::hooks::{HookEvent, HookRun};
use crate::protocol::{Event, FinishReason, NoticeLevel, Op, ToolCallRequest};
use crate::tools::ToolOutcome;

impl Actor {
    pub(super) async fn hooks_done(&mut self, runs: Vec<HookRun>, then: AfterHooks) -> Vec<Effect> {
        // The watching hooks waited for: recorded and heard as any watching hook is.
        if let AfterHooks::Request { may_compact } = then {
            self.watched_done(runs).await;
            return vec![Effect::Request { may_compact }];
        }
        let combined = verdict::combine(&runs);
        let mut events: Vec<Event> = runs.into_iter().map(|run| Event::HookRan { run }).collect();
        match then {
            AfterHooks::SessionStart => {
                self.hook_notes.extend(combined.all_output());
                vec![Effect::Record(events)]
            }
            AfterHooks::Prompt(op) => {
                if !self.record(events).await {
                    return Vec::new();
                }
                if let Some(reason) = combined.stopped.clone().or(combined.blocked.clone()) {
                    self.give_back(op, &reason);
                    return Vec::new();
                }
                self.hook_notes.extend(combined.all_output());
                self.submit_now(&op).await
            }
            AfterHooks::Steer(op) => {
                if let Some(reason) = combined.stopped.clone().or(combined.blocked.clone()) {
                    self.give_back(op, &reason);
                    return vec![
                        Effect::Record(events),
                        Effect::Request { may_compact: true },
                    ];
                }
                self.hook_notes.extend(combined.all_output());
                if let Op::Submit { text, attachments } = op {
                    events.push(Event::UserMessage {
                        text,
                        attachments: Vec::new(),
                    });
                    if !attachments.is_empty() {
                        events.push(self.attached(&attachments).await);
                    }
                }
                vec![
                    Effect::Record(events),
                    Effect::Request { may_compact: true },
                ]
            }
            AfterHooks::Pre(call) => self.pre_tool_use_done(call, combined, events).await,
            AfterHooks::Post {
                call,
                outcome,
                took,
            } => {
                self.post_tool_use_done(call, outcome, took, combined, events)
                    .await
            }
            // Handled above, before any event was built.
            AfterHooks::Request { .. } => Vec::new(),
            AfterHooks::Stop { reason } => self.stop_done(reason, combined, events),
        }
    }

    /// After the `PreToolUse` hooks: stopped, blocked, or on to the call's route (asked
    /// where a hook asks, allowed where one allows).
    async fn pre_tool_use_done(
        &mut self,
        call: ToolCallRequest,
        combined: Combined,
        mut events: Vec<Event>,
    ) -> Vec<Effect> {
        if let Some(reason) = combined.stopped {
            self.queue.push_front(call);
            return self.ended_by_hook(HookEvent::PreToolUse, &reason, events);
        }
        if let Some(reason) = combined.blocked {
            let refused = ToolOutcome::error(format!(
                "not run: a PreToolUse hook blocked this call: {reason}"
            ));
            events.push(gates::result_event(&call, &refused, Duration::ZERO));
            return vec![Effect::Record(events), Effect::NextCall];
        }
        // Plain stdout is for the human's log; only `additionalContext` reaches the model.
        self.hook_notes.extend(combined.context);
        if !self.record(events).await {
            return Vec::new();
        }
        let asked = combined
            .asked
            .map(|why| format!("a PreToolUse hook asks you to decide: {why}"));
        let allowed = combined.allowed.map(|(source, _)| source);
        self.route_call(call, asked, allowed).await
    }

    /// After the `PostToolUse` hooks: what they object to or add goes with the result.
    async fn post_tool_use_done(
        &mut self,
        call: ToolCallRequest,
        mut outcome: Box<ToolOutcome>,
        took: Duration,
        combined: Combined,
        mut events: Vec<Event>,
    ) -> Vec<Effect> {
        // Plain stdout is for the human's log; a block's reason and `additionalContext`
        // reach the model with the result.
        for (what, text) in [
            ("a PostToolUse hook objects", combined.blocked),
            ("a PostToolUse hook adds", combined.context),
        ] {
            if let Some(text) = text {
                outcome.content.push_str(&format!("\n\n[{what}: {text}]"));
            }
        }
        if let Some(reason) = combined.stopped {
            // The result as it would go on (the change applied or proposed, the
            // refusals noted), then the turn's end instead of the next call.
            for effect in self.tool_finished(&call, &outcome, took) {
                if let Effect::Record(recorded) = effect {
                    events.extend(recorded);
                }
            }
            return self.ended_by_hook(HookEvent::PostToolUse, &reason, events);
        }
        if !self.record(events).await {
            return Vec::new();
        }
        self.tool_finished(&call, &outcome, took)
    }

    /// After the `Stop` hooks: the model sent back (a few times at most), or the turn ends.
    fn stop_done(
        &mut self,
        reason: Option<FinishReason>,
        combined: Combined,
        mut events: Vec<Event>,
    ) -> Vec<Effect> {
        match combined.blocked.filter(|_| combined.stopped.is_none()) {
            Some(why) if self.stop_continues < MAX_STOP_CONTINUES => {
                self.stop_continues += 1;
                events.push(Event::Instructed {
                    text: format!("A Stop hook does not let you stop yet: {why}"),
                    category: None,
                });
                vec![
                    Effect::Record(events),
                    Effect::Request { may_compact: true },
                ]
            }
            blocked => {
                if let Some(why) = &combined.stopped {
                    events.push(Event::Notice {
                        level: NoticeLevel::Warning,
                        text: format!("A Stop hook ended the turn: {why}"),
                    });
                }
                if blocked.is_some() {
                    events.push(Event::Notice {
                        level: NoticeLevel::Warning,
                        text: format!(
                            "the Stop hooks sent the model back {MAX_STOP_CONTINUES} \
                             times in this turn; the turn ends here"
                        ),
                    });
                }
                let mut effects = vec![Effect::Record(events)];
                effects.extend(gates::turn_completed(&self.state, reason));
                effects
            }
        }
    }
}
