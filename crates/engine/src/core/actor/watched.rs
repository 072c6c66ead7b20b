//! Which hooks that only watch an event of the session calls for (pure): a gate reached
//! (`GateReached`, with Claude Code's `Notification`), a stage started or passed, a change
//! written.

use serde_json::{Value, json};

use crate::hooks::HookEvent;
use crate::protocol::{Event, StageEvent};

/// The watching hooks an event calls for: the hook event, what its matcher sees, and the
/// input's own fields. A gate calls `GateReached` and Claude Code's `Notification`.
pub(super) fn by(event: &Event) -> Vec<(HookEvent, String, Value)> {
    let Some(first) = one(event) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if first.0 == HookEvent::GateReached {
        out.push((
            HookEvent::Notification,
            "permission_prompt".to_string(),
            json!({
                "message": format!("gearshift needs your decision: {}", first.1),
                "notification_type": "permission_prompt",
            }),
        ));
    }
    out.insert(0, first);
    out
}

fn one(event: &Event) -> Option<(HookEvent, String, Value)> {
    let gate = |kind: &str, extra: Value| {
        let mut fields = json!({ "gate": kind });
        if let (Some(f), Value::Object(extra)) = (fields.as_object_mut(), extra) {
            f.extend(extra);
        }
        Some((HookEvent::GateReached, kind.to_string(), fields))
    };
    match event {
        Event::CommandApprovalRequested {
            command,
            checkpoint,
            ..
        } => gate(
            "command",
            json!({ "command": command, "checkpoint": checkpoint }),
        ),
        Event::ChangeProposed {
            change, checkpoint, ..
        } => gate(
            "change",
            json!({ "file_path": change.path, "checkpoint": checkpoint }),
        ),
        Event::PlanProposed { steps, .. } => gate("plan", json!({ "steps": steps.len() })),
        Event::Stage {
            event: StageEvent::AtGate { stage },
        } => gate("stage", json!({ "stage": stage })),
        Event::Stage {
            event: StageEvent::Started { stage },
        } => Some((
            HookEvent::StageStarted,
            stage.clone(),
            json!({ "stage": stage }),
        )),
        Event::Stage {
            event: StageEvent::GatePassed { stage },
        } => Some((
            HookEvent::StagePassed,
            stage.clone(),
            json!({ "stage": stage }),
        )),
        Event::FileChanged { change, .. }
        | Event::ChangeApplied {
            written: Some(change),
            ..
        } => Some((
            HookEvent::ChangeApplied,
            change.path.clone(),
            json!({
                "file_path": change.path,
                "deleted": change.after.is_none(),
                "renamed_from": change.renamed_from,
            }),
        )),
        _ => None,
    }
}
