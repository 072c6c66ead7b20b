//! What each op from a front end does, as one total function of the session's state, what
//! runs ([`Activity`]) and the [`Facts`]: every op is decided here, and the actor only runs
//! the [`Effect`]s. An op that cannot act now is refused with its reason, or does nothing
//! when it is late (an answer for a call no longer waiting).

use super::activity::{Activity, Handles};
use super::{Effect, Facts, gates, refuse, review, stage_gates};
use crate::core::routing::Target;
use crate::core::{Decision, SessionState, compaction, decide};
use crate::pipeline::GateOp;
use crate::protocol::{CommandDecision, Hint, Op};

/// Decides `op`. Pure: the same inputs give the same effects. Whether the session is ready
/// is `facts.ready` ([`super::activity::ready`] of this state and activity).
#[must_use]
pub fn on_op<H: Handles>(
    state: &SessionState,
    activity: &Activity<H>,
    facts: Facts,
    op: Op,
) -> Vec<Effect> {
    match op {
        Op::Quit => vec![Effect::Quit],
        Op::Cancel if activity.is_idle() => Vec::new(),
        // A worked step's change under review is no turn's.
        Op::Cancel => vec![Effect::Cancel {
            end_turn: activity.in_turn()
                && !matches!(activity, Activity::Reviewing { call }
                    if super::merges::merging(state, &call.id).is_some()),
        }],
        Op::ApproveCommand { call_id, always } => {
            let decision = if always {
                CommandDecision::Always
            } else {
                CommandDecision::Once
            };
            answer(activity, &call_id, decision)
        }
        Op::DenyCommand { call_id, reason } => {
            answer(activity, &call_id, CommandDecision::Denied { reason })
        }
        Op::Submit { .. } if !facts.ready => vec![Effect::QueuePrompt(op)],
        Op::Submit { .. } => vec![Effect::Submit { op, typed: true }],
        Op::Unqueue => vec![Effect::Unqueue],
        Op::RevisePlan => revise_plan(state, facts),
        Op::SetModel { provider, model } => set_model(state, facts, provider, model),
        Op::Shell { command } if facts.ready => vec![Effect::RunShell(command)],
        Op::Shell { .. } => vec![refuse(
            "run a command when the model has finished and no review waits",
            Some(Hint::Wait),
        )],
        Op::Compact => compact(state, facts, None),
        Op::CompactFocus { focus } => compact(state, facts, Some(focus)),
        Op::Undo => undo(state, activity),
        Op::RestartMcp { server } => vec![Effect::RestartMcp(server)],
        Op::SubmitReview { change } => vec![Effect::WriteReview(change)],
        Op::Repropose { change } => review::repropose(state, activity, &change),
        Op::Go { all } => gates::go(state, all, facts),
        Op::MarkStepDone => gates::mark_step_done(state, facts),
        Op::PassGate => stage_gates::stage_gate(state, &GateOp::Pass, facts),
        Op::SendBack { comments } => {
            stage_gates::stage_gate(state, &GateOp::SendBack(comments), facts)
        }
        Op::SkipStage => stage_gates::stage_gate(state, &GateOp::Skip, facts),
        Op::SetGear { .. }
        | Op::SetTitle { .. }
        | Op::DecideHunk { .. }
        | Op::CommentHunk { .. }
        | Op::DropItem { .. }
        | Op::PinItem { .. }
        | Op::EditPlan { .. } => recorded(state, &op),
    }
}

/// An op that only records what it decides (a gear, a title, a hunk's verdict, a plan edit).
fn recorded(state: &SessionState, op: &Op) -> Vec<Effect> {
    match decide(state, op) {
        Decision::Record(new) => vec![Effect::Record(new)],
        Decision::Ignore | Decision::Stop => Vec::new(),
    }
}

/// The human answered an approval: acted on only when it is for the call that waits.
fn answer<H: Handles>(
    activity: &Activity<H>,
    call_id: &str,
    decision: CommandDecision,
) -> Vec<Effect> {
    match activity {
        Activity::Approving { call } if call.id == call_id => vec![Effect::Answer {
            call: call.clone(),
            decision,
        }],
        _ => Vec::new(),
    }
}

/// `r`: the plan's comments go to the model for a revised plan, as gearshift's prompt (its
/// `@server:uri` and `/name` are the model's words, not acted on).
fn revise_plan(state: &SessionState, facts: Facts) -> Vec<Effect> {
    let Some(plan) = &state.plan else {
        return vec![refuse("no plan to revise", None)];
    };
    if !facts.ready {
        return vec![refuse(
            "revise when the model has finished",
            Some(Hint::Wait),
        )];
    }
    let text = crate::core::prompts::revise_plan(&plan.render());
    vec![Effect::Submit {
        op: Op::Submit {
            text,
            attachments: Vec::new(),
        },
        typed: false,
    }]
}

/// `/model`: the very next request goes to the model chosen, once nothing runs.
fn set_model(state: &SessionState, facts: Facts, provider: String, model: String) -> Vec<Effect> {
    if provider == state.provider && model == state.model {
        return Vec::new();
    }
    if !facts.ready {
        return vec![refuse(
            "switch models when the model has finished",
            Some(Hint::Wait),
        )];
    }
    vec![Effect::SwitchModel(Target { provider, model })]
}

/// `/compact [focus]`: the turns before the latest prompt are summarised, once nothing runs.
fn compact(state: &SessionState, facts: Facts, focus: Option<String>) -> Vec<Effect> {
    if !facts.ready {
        return vec![refuse(
            "compact when the model has finished and no review waits",
            Some(Hint::Wait),
        )];
    }
    match compaction::through(state) {
        Some(through) => vec![Effect::Compact { through, focus }],
        None => vec![refuse(
            "nothing to compact yet: compaction summarises the turns before the latest prompt",
            None,
        )],
    }
}

/// `u`: the newest applied change is reverted, unless a tool runs (it may be writing).
fn undo<H: Handles>(state: &SessionState, activity: &Activity<H>) -> Vec<Effect> {
    if matches!(activity, Activity::Running { .. } | Activity::Delegating) {
        return vec![refuse(
            "a tool is running; undo when it has finished",
            Some(Hint::Wait),
        )];
    }
    match review::undoable(state) {
        Some(set) => vec![Effect::Undo(set)],
        None => vec![refuse("nothing to undo", None)],
    }
}

#[cfg(test)]
mod tests;
