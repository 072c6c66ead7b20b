//! The pipeline's stage gates as pure functions: a stage started (its skill, what it is told),
//! the human's pass, send-back or skip, a stage left unfinished, and the test command's verdict.

use super::gates::{WAIT, go};
use super::{Effect, Facts, refuse};
use crate::core::SessionState;
use crate::pipeline::{Gate, GateOp, StageEvent, StageKind, StageStatus};
use crate::plan::parallel::Next;
use crate::protocol::{Event, Hint};

/// Starts the work of the stage that just began: a model turn, the approved tasks, or the
/// test command.
#[must_use]
pub fn start_stage(state: &SessionState, facts: Facts) -> Vec<Effect> {
    let Some(p) = &state.pipeline else {
        return Vec::new();
    };
    let Some(i) = p.run.current() else {
        return Vec::new();
    };
    if p.run.statuses[i] != StageStatus::Running {
        return Vec::new();
    }
    let def = &p.run.pipeline.stages[i];
    match def.kind {
        StageKind::Verify => vec![Effect::RunTests],
        StageKind::RunPlan => {
            let plan = state.plan.as_ref();
            // A step left incomplete (or waiting at its gate) runs again / passes; else the
            // next approved one runs (or a worked one's change comes back).
            let work = plan.is_some_and(|p| {
                p.active().is_some() || crate::plan::parallel::next(p, 1) != Next::Done
            });
            let ran = plan.is_some_and(|p| p.counts().1 > 0);
            if work {
                go(state, true, facts)
            } else if ran {
                vec![Effect::Record(vec![Event::Stage {
                    event: StageEvent::AtGate {
                        stage: def.name.clone(),
                    },
                }])]
            } else {
                vec![
                    refuse("no approved task to implement", Some(Hint::ApproveSteps)),
                    Effect::Record(vec![Event::Stage {
                        event: StageEvent::AtGate {
                            stage: def.name.clone(),
                        },
                    }]),
                ]
            }
        }
        StageKind::Artifact | StageKind::Plan | StageKind::Ship => vec![Effect::StartTurn],
    }
}

/// `g`, `b`, `S` at a pipeline stage.
#[must_use]
pub fn stage_gate(state: &SessionState, op: &GateOp, facts: Facts) -> Vec<Effect> {
    if !facts.ready {
        return vec![refuse(WAIT, Some(Hint::Wait))];
    }
    let Some(p) = &state.pipeline else {
        return vec![refuse(
            "no pipeline is running: in the pipeline gear, describe the feature",
            None,
        )];
    };
    let current = p.run.current().map(|i| p.run.pipeline.stages[i].clone());
    // A stage left running by a stopped process: passing it starts its work again.
    let stalled = p
        .run
        .current()
        .is_some_and(|i| p.run.statuses[i] == StageStatus::Running);
    if stalled && *op == GateOp::Pass {
        return start_stage(state, facts);
    }
    let events = match p.run.decide(op) {
        Ok(events) => events,
        Err(why) => {
            let by_command = current.as_ref().is_some_and(|s| s.gate == Gate::Command);
            let hint = (*op == GateOp::Pass && by_command).then_some(Hint::SkipStage);
            return vec![refuse(why, hint)];
        }
    };
    if *op == GateOp::Pass
        && let Some(stage) = &current
        && let Some(refusal) = unfinished(state, stage)
    {
        return vec![refusal];
    }
    if let (GateOp::SendBack(comments), Some(stage)) = (op, &current)
        && stage.kind == StageKind::RunPlan
        && let Some(plan) = &state.plan
    {
        let mut recorded: Vec<Event> = events
            .into_iter()
            .map(|event| Event::Stage { event })
            .collect();
        let comments = comments.trim().to_string();
        match plan.active() {
            Some(step) => recorded.push(Event::PlanEdited {
                edit: crate::plan::PlanEdit::Comment {
                    step: step.id.clone(),
                    text: comments,
                },
            }),
            None => {
                let id = plan.new_id();
                recorded.push(Event::PlanEdited {
                    edit: crate::plan::PlanEdit::Add {
                        after: None,
                        id: id.clone(),
                        title: "Changes asked when the stage was sent back".into(),
                        detail: comments,
                    },
                });
                recorded.push(Event::PlanEdited {
                    edit: crate::plan::PlanEdit::Approve { step: id },
                });
            }
        }
        return vec![Effect::Record(recorded), Effect::Go { all: true }];
    }
    let mut effects = vec![Effect::Record(
        events
            .into_iter()
            .map(|event| Event::Stage { event })
            .collect(),
    )];
    if let (GateOp::Pass, Some(stage)) = (op, current)
        && stage.kind == StageKind::Ship
    {
        effects.push(Effect::Commit(stage));
    }
    effects.push(match op {
        GateOp::SendBack(_) => Effect::StartTurn,
        _ => Effect::StartStage,
    });
    effects
}

/// Why a human gate cannot pass yet: the work it guards is not there. A stage whose artifact
/// was never written has nothing to pass on; a tasks stage with no task approved would let
/// `implement` run nothing; a ship artifact without its commit message would be committed
/// under a guessed one.
fn unfinished(state: &SessionState, stage: &crate::pipeline::StageDef) -> Option<Effect> {
    if matches!(stage.kind, StageKind::Artifact | StageKind::Ship)
        && let Some(path) = stage.artifact.as_deref()
        && state.written(path).is_none()
    {
        return Some(refuse(
            format!(
                "stage `{}` cannot pass: its artifact `{path}` was never written (or was \
                 rejected)",
                stage.name
            ),
            Some(Hint::SendBack),
        ));
    }
    match stage.kind {
        StageKind::Plan => {
            let approved = state.plan.as_ref().map_or(0, |p| p.counts().0);
            (approved == 0).then(|| {
                refuse(
                    format!(
                        "stage `{}` cannot pass with no task approved: the implement stage \
                         would run nothing",
                        stage.name
                    ),
                    Some(Hint::ApproveSteps),
                )
            })
        }
        StageKind::Ship => {
            let path = stage.artifact.as_deref()?;
            let text = state.written(path).unwrap_or_default();
            crate::pipeline::commit_message(text).is_none().then(|| {
                refuse(
                    format!(
                        "`{path}` has no `## Commit message` section, so there is no message to \
                         commit with"
                    ),
                    Some(Hint::SendBack),
                )
            })
        }
        StageKind::RunPlan => {
            let plan = state.plan.as_ref()?;
            let step = plan.active()?;
            let number = plan.number(&step.id).unwrap_or_default();
            Some(refuse(
                format!(
                    "stage `{}` cannot pass: step {number} is {}; run it again or mark it done",
                    stage.name,
                    step.status.label()
                ),
                None,
            ))
        }
        StageKind::Artifact | StageKind::Verify => None,
    }
}

/// The test command finished: the stage passes and the next starts, or the failure is the
/// model's next instruction, or (out of rounds) the stage waits at its gate.
#[must_use]
pub fn verified(state: &SessionState, passed: bool, output: &str, facts: Facts) -> Vec<Effect> {
    let Some(p) = &state.pipeline else {
        return Vec::new();
    };
    let events: Vec<Event> = p
        .run
        .verified(passed, output, facts.max_verify_rounds.max(1))
        .into_iter()
        .map(|event| Event::Stage { event })
        .collect();
    let at_gate = events.iter().any(|e| {
        matches!(
            e,
            Event::Stage {
                event: StageEvent::AtGate { .. }
            }
        )
    });
    let mut effects = vec![Effect::Record(events)];
    if passed {
        effects.push(Effect::StartStage);
    } else if !at_gate {
        effects.push(Effect::StartTurn);
    }
    effects
}
