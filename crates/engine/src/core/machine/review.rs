//! When a tool call's review is over, and what the model is told. A file tool's change is its
//! call's only change; a command's writes are a change set (`CALL#1`, `CALL#2`, …) whose
//! output is held ([`Event::ToolHeld`]) until the last of its changes is decided, written,
//! sent back or withdrawn — then one result says what became of each.

use std::fmt::Write as _;
use std::time::Duration;

use super::Effect;
use super::activity::{Activity, Handles};
use super::gates::result_event;
use crate::changes::review::{ChangeEntry, ChangeStatus};
use crate::changes::{FileChange, call_of};
use crate::core::SessionState;
use crate::protocol::Event;
use crate::provider::ToolCallRequest;
use crate::tools::ToolOutcome;

/// What became of one change once it closed, as the model reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// Reviewed: the report of its hunks.
    Reviewed,
    /// Sent back for a fresh proposal, with the human's words.
    SentBack(String),
    /// Withdrawn unapplied (cancelled).
    Withdrawn(String),
}

/// The changes of `call` still open, leaving out `closing` (being closed now).
fn still_open<'a>(
    state: &'a SessionState,
    call: &'a str,
    closing: &'a str,
) -> impl Iterator<Item = &'a ChangeEntry> {
    state
        .changes
        .entries
        .iter()
        .filter(move |e| call_of(&e.id) == call && e.id != closing && e.status.is_open())
}

/// The call's result once `closing` (a change of `call`) closes as `how` — `None` while
/// other changes of the call wait for the human.
#[must_use]
pub fn answered(
    state: &SessionState,
    call: &ToolCallRequest,
    closing: &str,
    how: &Closed,
) -> Option<Event> {
    if still_open(state, &call.id, closing).next().is_some() {
        return None;
    }
    let entry = state.changes.get(closing);
    let Some(held) = state.held.get(&call.id) else {
        // A file tool's one change: its review is the result.
        let outcome = match (how, entry) {
            (Closed::Reviewed, Some(e)) => {
                ToolOutcome::ok(e.report(), format!("reviewed {}", e.change.path))
            }
            (Closed::SentBack(text) | Closed::Withdrawn(text), _) => {
                ToolOutcome::error(text.clone())
            }
            (Closed::Reviewed, None) => ToolOutcome::error("the change is gone"),
        };
        return Some(result_event(call, &outcome, Duration::ZERO));
    };
    let mut content = held.content.clone();
    let whose = if call.name == crate::tools::task::TASK {
        "the subagent"
    } else {
        "your command"
    };
    let _ = write!(
        content,
        "\n\nThe files {whose} wrote were held for the user's review:"
    );
    for e in state
        .changes
        .entries
        .iter()
        .filter(|e| call_of(&e.id) == call.id)
    {
        let line = if e.id == closing {
            what_became(e, how)
        } else {
            what_became(e, &Closed::Reviewed)
        };
        let _ = write!(content, "\n- {line}");
    }
    content.push_str("\nRead a file again before you change it further.");
    Some(Event::ToolResult {
        id: call.id.clone(),
        ok: held.ok,
        content,
        summary: format!("{} · reviewed", held.summary),
        duration_ms: held.duration_ms,
    })
}

/// One change's line in a change set's result.
fn what_became(e: &ChangeEntry, how: &Closed) -> String {
    match (&e.status, how) {
        (ChangeStatus::Applied, _) => {
            format!("{}: written (the gear writes at once)", e.change.path)
        }
        (ChangeStatus::Withdrawn { reason }, _) | (_, Closed::Withdrawn(reason)) => {
            format!("{}: not written ({reason})", e.change.path)
        }
        (_, Closed::SentBack(text)) => format!("{}: sent back. {text}", e.change.path),
        _ => e.report().replace('\n', "\n  "),
    }
}

/// Cancelled while changes of `call` waited: each is withdrawn, and the call answered.
#[must_use]
pub fn cancelled(state: &SessionState, call: &ToolCallRequest) -> Vec<Event> {
    if let Some(step) = super::merges::merging(state, &call.id) {
        return super::merges::cancelled(state, &step, &call.id);
    }
    let open: Vec<String> = state
        .changes
        .entries
        .iter()
        .filter(|e| call_of(&e.id) == call.id && e.status.is_open())
        .map(|e| e.id.clone())
        .collect();
    let reason = "cancelled by the user".to_string();
    let mut events: Vec<Event> = open
        .iter()
        .map(|id| Event::ChangeWithdrawn {
            id: id.clone(),
            reason: reason.clone(),
        })
        .collect();
    let mut after = state.clone();
    for e in &events {
        after.apply(e);
    }
    let closing = open.last().cloned().unwrap_or_else(|| call.id.clone());
    let result = if state.held.contains_key(&call.id) {
        answered(&after, call, &closing, &Closed::Withdrawn(reason))
    } else {
        Some(result_event(
            call,
            &ToolOutcome::error("cancelled by the user; the proposed change was not applied"),
            Duration::ZERO,
        ))
    };
    events.extend(result);
    events
}

/// The call a change under review answers: the one the session waits on, or after a resume
/// (nothing running) the open change's own call (a change set's `CALL#n` answers `CALL`).
#[must_use]
pub fn call_under_review<H: Handles>(
    state: &SessionState,
    activity: &Activity<H>,
    change: &str,
) -> Option<ToolCallRequest> {
    let call_id = call_of(change);
    match activity {
        Activity::Reviewing { call } if call.id == call_id => Some(call.clone()),
        Activity::Idle => {
            let open = state.changes.get(change)?.status.is_open();
            open.then(|| ToolCallRequest {
                id: call_id.to_string(),
                name: String::new(),
                arguments: String::new(),
            })
        }
        _ => None,
    }
}

/// Records `closed` (the events closing `change`) and, once every change of its call is
/// closed, the call's result, and moves on.
#[must_use]
pub fn close(
    state: &SessionState,
    call: &ToolCallRequest,
    change: &str,
    how: &Closed,
    closed: Vec<Event>,
) -> Vec<Effect> {
    if let Some(step) = super::merges::merging(state, &call.id) {
        let unwritten = match how {
            Closed::SentBack(why) | Closed::Withdrawn(why) => Some(why.as_str()),
            Closed::Reviewed => None,
        };
        return super::merges::close(state, &step, (change, unwritten), closed);
    }
    let mut events = closed;
    match answered(state, call, change, how) {
        Some(result) => {
            events.push(result);
            vec![Effect::Record(events), Effect::AfterReview]
        }
        None => vec![Effect::Record(events)],
    }
}

/// `Op::Repropose`: the change is sent back unapplied, with the human's comments on its
/// hunks, and the model asked for a fresh proposal. Nothing when it is not under review.
#[must_use]
pub fn repropose<H: Handles>(
    state: &SessionState,
    activity: &Activity<H>,
    change: &str,
) -> Vec<Effect> {
    let Some(call) = call_under_review(state, activity, change) else {
        return Vec::new();
    };
    let Some(entry) = state.changes.get(change) else {
        return Vec::new();
    };
    let conflicted = matches!(entry.status, ChangeStatus::Conflicted { .. });
    let comments: Vec<(usize, String, String)> = entry
        .hunks
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let c = entry.comments.get(&h.id)?;
            Some((i + 1, h.header(), c.clone()))
        })
        .collect();
    let text = crate::core::prompts::sent_back(&entry.change.path, conflicted, &comments);
    close(
        state,
        &call,
        change,
        &Closed::SentBack(text),
        vec![Event::ChangeWithdrawn {
            id: change.to_string(),
            reason: "sent back for a fresh proposal".into(),
        }],
    )
}

/// What `Op::Undo` reverts: the newest applied change — every written file of it, for a
/// command's change set — by id, with what was written. `None` when nothing can be undone.
#[must_use]
pub fn undoable(state: &SessionState) -> Option<Vec<(String, FileChange)>> {
    let newest = state.changes.undoable()?;
    let call = call_of(&newest.id);
    let set = state
        .changes
        .entries
        .iter()
        .rev()
        .filter(|e| call_of(&e.id) == call && e.id.contains('#'))
        .chain(std::iter::once(newest).filter(|e| !e.id.contains('#')))
        .filter(|e| {
            matches!(
                e.status,
                ChangeStatus::Applied | ChangeStatus::Reviewed { written: true }
            )
        })
        .filter_map(|e| Some((e.id.clone(), e.written.clone()?)))
        .collect();
    Some(set)
}
