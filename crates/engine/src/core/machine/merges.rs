//! A worked step's change, back from its worktree: a change set like a command's (`ID#1`,
//! `ID#2`, …, see [`super::route::finished`]) under an id only gearshift makes. Once the last
//! of its changes is decided, the step waits at its gate with what its worker said, and the
//! model is told what became of it; cancelled, it is left incomplete with nothing written.

use std::fmt::Write as _;

use super::{ApprovalMode, Effect, Facts};
use crate::changes::{call_of, change_id, is_conflict};
use crate::core::{SessionState, prompts};
use crate::plan::parallel::{merge_call, merged_step};
use crate::plan::{NOTHING_WRITTEN, StepStatus};
use crate::protocol::Event;
use crate::provider::ToolCallRequest;
use crate::tools::{ToolWrite, checkpoints};

/// The worked step whose merge `call` is, if it is one.
#[must_use]
pub fn merging(state: &SessionState, call: &str) -> Option<String> {
    let step = merged_step(call, &state.id)?;
    let worked = state.plan.as_ref()?.step(step)?.status == StepStatus::Worked;
    worked.then(|| step.to_string())
}

/// What came back from a step's worktree: the writes the gate let through (each to be
/// proposed, a conflict flagged), and what was not brought back, each with why.
#[derive(Debug, Default)]
pub struct Back {
    pub writes: Vec<ToolWrite>,
    pub refused: Vec<String>,
}

/// The review's call for the merge of `step` now: a merge answers no call of the model's.
#[must_use]
pub fn request(state: &SessionState, step: &str) -> ToolCallRequest {
    ToolCallRequest {
        id: merge_call(&state.id, step, state.changes.entries.len()),
        name: "merge_worktree".into(),
        arguments: serde_json::json!({ "step": step }).to_string(),
    }
}

/// The worked change of `step`, proposed: each file its own change of the merge's set, a
/// conflict flagged so that only a human writes it; headless, decided at once as the policy
/// says (a conflict or a protected path is never written so). Nothing to propose: the step
/// waits at its gate at once.
#[must_use]
pub fn propose(
    state: &SessionState,
    step: &str,
    back: Back,
    facts: Facts,
    context_lines: u32,
) -> Vec<Effect> {
    let call = request(state, step);
    let headless = facts.policy.changes != ApprovalMode::Ask;
    let mut refused = back.refused;
    let mut events = Vec::new();
    let mut proposed = Vec::new();
    for (i, w) in back.writes.into_iter().enumerate() {
        let conflict = w.checkpoint.as_deref().is_some_and(is_conflict);
        let rule = w.checkpoint.as_deref().is_some_and(checkpoints::is_rule);
        if headless && let Some(why) = w.checkpoint.as_deref().filter(|_| !rule) {
            refused.push(if conflict {
                format!(
                    "{}: not written — a merge conflict with what the steps before it wrote; \
                     a run without a human never writes one",
                    w.change.path
                )
            } else {
                prompts::protected_headless(&w.change.path, why)
            });
            continue;
        }
        let id = change_id(&call.id, i);
        proposed.push((id.clone(), rule));
        events.push(Event::ChangeProposed {
            id,
            change: w.change,
            context: context_lines,
            checkpoint: w.checkpoint,
        });
    }
    if !refused.is_empty() {
        // What was not brought back is said with the worker's words, at the step's gate.
        let said = state
            .plan
            .as_ref()
            .and_then(|p| p.step(step))
            .and_then(|s| s.note.clone())
            .unwrap_or_default();
        events.insert(
            0,
            Event::StepStatusChanged {
                step: step.to_string(),
                status: StepStatus::Worked,
                note: Some(format!(
                    "{said}\n\nNot brought back: {}",
                    refused.join("; ")
                )),
            },
        );
    }
    if proposed.is_empty() {
        let mut after = state.clone();
        for e in &events {
            after.apply(e);
        }
        events.extend(settled(&after, step, &call.id, None));
        return vec![Effect::Record(events), Effect::AfterMerge];
    }
    let mut effects = vec![Effect::Record(events), Effect::AwaitReview(call)];
    effects.extend(super::route::decided_headless(facts, proposed));
    effects
}

/// `closed` (the events closing `change` of the merge of `step`: not written, saying why, when
/// it was sent back or withdrawn), and once none of the merge's changes is open, the step at
/// its gate and what the model is told.
#[must_use]
pub fn close(
    state: &SessionState,
    step: &str,
    (change, unwritten): (&str, Option<&str>),
    closed: Vec<Event>,
) -> Vec<Effect> {
    let mut after = state.clone();
    for e in &closed {
        after.apply(e);
    }
    let call = call_of(change);
    let open = after
        .changes
        .entries
        .iter()
        .any(|e| call_of(&e.id) == call && e.status.is_open());
    if open {
        return vec![Effect::Record(closed)];
    }
    let mut events = closed;
    events.extend(settled(
        &after,
        step,
        call,
        unwritten.map(|why| (change, why)),
    ));
    vec![Effect::Record(events), Effect::AfterMerge]
}

/// The merge of `step` (`call`) is over: what the model is told of it, and the step at its
/// gate with its worker's words (and, when none of it was written, the gate holds).
/// `unwritten`: the change that closed last unwritten, and why.
fn settled(
    after: &SessionState,
    step: &str,
    call: &str,
    unwritten: Option<(&str, &str)>,
) -> Vec<Event> {
    let ours: Vec<_> = after
        .changes
        .entries
        .iter()
        .filter(|e| call_of(&e.id) == call)
        .collect();
    let plan = after.plan.as_ref();
    let number = plan.and_then(|p| p.number(step)).unwrap_or_default();
    let said = plan
        .and_then(|p| p.step(step))
        .and_then(|s| s.note.clone())
        .unwrap_or_default();
    let mut text = format!(
        "Step {number} was run by a worker in a git worktree of its own, at the same time as \
         the steps next to it."
    );
    if ours.is_empty() {
        text.push_str(" It brought back no change.");
    } else {
        text.push_str(" Its change, merged onto the workspace, came back for the user's review:");
    }
    for e in &ours {
        let line = match unwritten {
            Some((id, why)) if e.id == id => format!("{}: not written ({why})", e.change.path),
            _ => e.report().replace('\n', "\n  "),
        };
        let _ = write!(text, "\n- {line}");
    }
    if !said.is_empty() {
        // The worker's words, quoted: a model's, not the user's.
        let quoted = said
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        let _ = write!(
            text,
            "\n\nThe worker's summary (its words, not the user's):\n{quoted}"
        );
    }
    let mut note = said;
    if !ours.is_empty() && ours.iter().all(|e| e.written.is_none()) {
        let paths: Vec<&str> = ours.iter().map(|e| e.change.path.as_str()).collect();
        if !note.is_empty() {
            note.push_str(" — ");
        }
        let _ = write!(note, "{NOTHING_WRITTEN} ({})", paths.join(", "));
    }
    vec![
        Event::Instructed {
            text,
            category: None,
        },
        Event::StepStatusChanged {
            step: step.to_string(),
            status: StepStatus::AwaitingReview,
            note: (!note.is_empty()).then_some(note),
        },
    ]
}

/// Cancelled while the merge of `step` waited for the human: its open changes are withdrawn,
/// nothing of it written, and the step is left incomplete, to run again.
#[must_use]
pub fn cancelled(state: &SessionState, step: &str, call: &str) -> Vec<Event> {
    let mut events: Vec<Event> = state
        .changes
        .entries
        .iter()
        .filter(|e| call_of(&e.id) == call && e.status.is_open())
        .map(|e| Event::ChangeWithdrawn {
            id: e.id.clone(),
            reason: "cancelled by the user".into(),
        })
        .collect();
    events.push(Event::StepStatusChanged {
        step: step.to_string(),
        status: StepStatus::Incomplete,
        note: Some(
            "cancelled while its change waited for review; what was not written is gone: run \
             it again"
                .into(),
        ),
    });
    events
}
