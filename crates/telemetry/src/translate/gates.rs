//! The human's decisions at gates, and the rules that stand for them: command approvals,
//! plan steps, pipeline stages, checkpoints and the commits ship makes.

use std::collections::HashMap;

use gearshift_protocol::{CommandDecision, Event, PlanEdit, StageEvent, StepStatus};

use super::cx::{Cx, checkpoint_records, checkpoint_rule};
use super::record::{Record, count, kv};
use crate::names::{event, metric};

/// The records of a gate's event (none for an event that is not one).
pub(super) fn on(
    e: &Event,
    steps: &mut HashMap<String, StepStatus>,
    tool: &dyn Fn(&str) -> String,
    cx: &Cx<'_>,
) -> Vec<Record> {
    match e {
        Event::CommandApprovalRequested {
            checkpoint: Some(why),
            ..
        } => checkpoint_records(cx, checkpoint_rule(why), "command"),
        Event::CommandDecided {
            id,
            command,
            decision,
        } => command_decided(cx, &tool(id), command, decision),
        Event::PlanEdited { edit } => {
            let (step, outcome) = match edit {
                PlanEdit::Approve { step } => (step.as_str(), "approved"),
                PlanEdit::ApproveAll => ("all", "approved"),
                PlanEdit::Reject { step } => (step.as_str(), "rejected"),
                _ => return Vec::new(),
            };
            decided(
                cx,
                metric::STEPS,
                event::STEP_DECISION,
                &[("step", step), ("outcome", outcome)],
            )
        }
        Event::StepStatusChanged { step, status, .. } => {
            let before = steps.insert(step.clone(), *status);
            step_outcome(before, *status).map_or_else(Vec::new, |outcome| {
                decided(
                    cx,
                    metric::STEPS,
                    event::STEP_DECISION,
                    &[("step", step), ("outcome", outcome)],
                )
            })
        }
        Event::Stage { event: stage } => {
            let (name, outcome) = match stage {
                StageEvent::GatePassed { stage } => (stage.as_str(), "passed"),
                StageEvent::SentBack { stage, .. } => (stage.as_str(), "sent_back"),
                StageEvent::Skipped { stage } => (stage.as_str(), "skipped"),
                StageEvent::VerifyFailed { .. } => ("verify", "verify_failed"),
                _ => return Vec::new(),
            };
            decided(
                cx,
                metric::STAGES,
                event::STAGE_DECISION,
                &[("stage", name), ("outcome", outcome)],
            )
        }
        Event::Shipped { commit, .. } => {
            let mut attrs = cx.base.to_vec();
            let records = vec![count(metric::COMMITS, 1, attrs.clone())];
            attrs.push(kv("commit", commit));
            let mut records = records;
            records.push(Record::Event {
                name: event::COMMIT,
                at: cx.at,
                attrs,
            });
            records
        }
        _ => Vec::new(),
    }
}

/// A counter and an event with the same attributes, and who decided.
fn decided(
    cx: &Cx<'_>,
    metric: &'static str,
    name: &'static str,
    pairs: &[(&'static str, &str)],
) -> Vec<Record> {
    let mut attrs = cx.base.to_vec();
    attrs.extend(pairs.iter().map(|(k, v)| kv(k, v)));
    attrs.push(kv("source", cx.who));
    vec![
        count(metric, 1, attrs.clone()),
        Record::Event {
            name,
            at: cx.at,
            attrs,
        },
    ]
}

/// What a step's new status says was decided, given the one before: a step that goes back to
/// work from its gate was sent back. (Approving and rejecting are plan edits.)
fn step_outcome(before: Option<StepStatus>, now: StepStatus) -> Option<&'static str> {
    let at_gate = matches!(
        before,
        Some(StepStatus::AwaitingReview | StepStatus::Worked)
    );
    Some(match now {
        StepStatus::Approved | StepStatus::Running if at_gate => "sent_back",
        StepStatus::Done => "passed",
        StepStatus::Skipped => "skipped",
        StepStatus::Failed => "failed",
        StepStatus::Incomplete => "incomplete",
        _ => return None,
    })
}

fn command_decided(cx: &Cx<'_>, tool: &str, text: &str, decision: &CommandDecision) -> Vec<Record> {
    let (verdict, source, grant) = match decision {
        CommandDecision::Once => ("accept", "user", None),
        CommandDecision::Always => ("accept", "user_always", None),
        CommandDecision::Allowed => ("accept", "allowlist", None),
        CommandDecision::Skill { skill } => ("accept", "skill", Some(skill.as_str())),
        CommandDecision::Hook { .. } => ("accept", "hook", None),
        CommandDecision::Headless => ("accept", "headless", None),
        CommandDecision::Denied { .. } => ("reject", cx.who, None),
    };
    let mut attrs = cx.base.to_vec();
    attrs.extend([kv("decision", verdict), kv("source", source)]);
    let mut records = vec![count(metric::COMMANDS, 1, attrs.clone())];
    let name = if tool.is_empty() { "run_command" } else { tool };
    attrs.push(kv("tool_name", name));
    if let Some(skill) = grant {
        attrs.push(kv("skill", skill));
    }
    if cx.details {
        attrs.push(kv("command", text));
    }
    records.push(Record::Event {
        name: event::TOOL_DECISION,
        at: cx.at,
        attrs,
    });
    records
}
