//! The pure decision of what an [`Op`] does to a session, given its state. No IO: the actor
//! persists and emits what this decides.

use super::SessionState;
use crate::pipeline::StageEvent;
use crate::protocol::{Event, Gear, Op};

/// What the actor must do for an op.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Persist these events (acknowledged), then apply and emit them.
    Record(Vec<Event>),
    /// Nothing to do.
    Ignore,
    /// Stop the session.
    Stop,
}

/// Decides what an op does, given the state. Pure.
#[must_use]
pub fn decide(state: &SessionState, op: &Op) -> Decision {
    match op {
        Op::Submit { text, attachments } => {
            if text.trim().is_empty() && attachments.is_empty() {
                return Decision::Ignore;
            }
            let mut events = vec![Event::UserMessage {
                text: text.clone(),
                attachments: attachments.clone(),
            }];
            // A reply at a stage's gate (the model asked a question, say) continues the stage
            // with its tools rather than a bare chat turn that could not touch the artifact.
            if let Some(stage) = state
                .pipeline
                .as_ref()
                .filter(|_| state.gear == Gear::Pipeline)
                .and_then(|p| p.run.answered())
            {
                events.push(Event::Stage {
                    event: StageEvent::Answered {
                        stage: stage.to_string(),
                    },
                });
            }
            Decision::Record(events)
        }
        Op::SetGear { gear } if *gear != state.gear => Decision::Record(vec![Event::GearChanged {
            from: state.gear,
            to: *gear,
        }]),
        Op::SetModel { provider, model }
            if *provider != state.provider || *model != state.model =>
        {
            Decision::Record(vec![Event::ModelChanged {
                provider: provider.clone(),
                model: model.clone(),
                route: None,
                routed: false,
            }])
        }
        Op::SetTitle { title } if !title.trim().is_empty() && *title != state.title => {
            Decision::Record(vec![Event::TitleChanged {
                title: title.trim().to_string(),
            }])
        }
        Op::DecideHunk {
            change,
            hunk,
            verdict,
        } if state.changes.decidable(change, hunk) => Decision::Record(vec![Event::HunkDecided {
            change: change.clone(),
            hunk: hunk.clone(),
            verdict: verdict.clone(),
        }]),
        Op::CommentHunk {
            change,
            hunk,
            comment,
        } if state.changes.decidable(change, hunk) => {
            Decision::Record(vec![Event::HunkCommented {
                change: change.clone(),
                hunk: hunk.clone(),
                comment: comment.trim().to_string(),
            }])
        }
        Op::DropItem { item, dropped }
            if *item < state.conversation.len() && state.dropped.contains(item) != *dropped =>
        {
            Decision::Record(vec![Event::ItemDropped {
                item: *item,
                dropped: *dropped,
            }])
        }
        Op::PinItem { item, pinned }
            if *item < state.conversation.len() && state.pinned.contains(item) != *pinned =>
        {
            Decision::Record(vec![Event::ItemPinned {
                item: *item,
                pinned: *pinned,
            }])
        }
        Op::EditPlan { edit } => match &state.plan {
            Some(plan) if plan.clone().apply(edit).is_ok() => {
                Decision::Record(vec![Event::PlanEdited { edit: edit.clone() }])
            }
            _ => Decision::Ignore,
        },
        Op::Quit => Decision::Stop,
        // Cancel and command decisions are handled by the actor, which owns the running turn.
        Op::Cancel
        | Op::ApproveCommand { .. }
        | Op::DenyCommand { .. }
        | Op::SetGear { .. }
        | Op::SetModel { .. }
        | Op::SetTitle { .. }
        | Op::DecideHunk { .. }
        | Op::CommentHunk { .. }
        | Op::SubmitReview { .. }
        | Op::Repropose { .. }
        | Op::RestartMcp { .. }
        | Op::Undo
        | Op::DropItem { .. }
        | Op::PinItem { .. }
        | Op::Compact
        | Op::CompactFocus { .. }
        | Op::Shell { .. }
        | Op::Unqueue
        | Op::RevisePlan
        | Op::Go { .. }
        | Op::MarkStepDone
        | Op::PassGate
        | Op::SendBack { .. }
        | Op::SkipStage => Decision::Ignore,
    }
}
