//! The gates: a plan step waiting for the human (`g`, `G`), a pipeline stage's gate (pass,
//! send back, skip), a command waiting for approval, and what follows the end of a turn. Each
//! is a pure function of the state returning [`Effect`]s.

use std::time::Duration;

use super::{Effect, Facts, refuse};
use crate::core::SessionState;
use crate::core::turn::{self, TurnEnd};
use crate::pipeline::{Gate, StageEvent, StageKind, StageStatus};
use crate::plan::parallel::{self, Next};
use crate::plan::{Plan, StepStatus};
use crate::protocol::{ErrorKind, Event, FinishReason, Hint};
use crate::provider::ToolCallRequest;
use crate::tools::ToolOutcome;

pub(super) const WAIT: &str = "wait: the model is working or a change waits for review";

/// The result of a tool call as the conversation records it.
#[must_use]
pub fn result_event(call: &ToolCallRequest, outcome: &ToolOutcome, took: Duration) -> Event {
    Event::ToolResult {
        id: call.id.clone(),
        ok: outcome.ok,
        content: outcome.content.clone(),
        summary: outcome.summary.clone(),
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The id of the plan step being run, if any.
#[must_use]
pub fn running_step(state: &SessionState) -> Option<String> {
    state
        .plan
        .as_ref()
        .and_then(Plan::running)
        .map(|s| s.id.clone())
}

/// The name of the pipeline stage running, if it is of `kind`.
#[must_use]
pub fn running_stage(state: &SessionState, kind: StageKind) -> Option<String> {
    let p = state.pipeline.as_ref()?;
    let i = p.run.current()?;
    let def = &p.run.pipeline.stages[i];
    (p.run.statuses[i] == StageStatus::Running && def.kind == kind).then(|| def.name.clone())
}

/// `g` / `G`: passes the gate of the step waiting at it, then runs the next approved step.
#[must_use]
pub fn go(state: &SessionState, all: bool, facts: Facts) -> Vec<Effect> {
    if !facts.ready {
        return vec![refuse(WAIT, Some(Hint::Wait))];
    }
    let Some(plan) = &state.plan else {
        return vec![refuse(
            "no plan yet: in the plan gear, ask for what you want first",
            None,
        )];
    };
    let mut plan = plan.clone();
    let mut passed = None;
    let mut rerun = None;
    match plan.active() {
        Some(s) if s.status == StepStatus::AwaitingReview => passed = Some(s.id.clone()),
        // Left incomplete by the model, or running with nothing running (the process stopped
        // mid-step): the run key runs it again.
        Some(s) => rerun = Some(s.id.clone()),
        None => {}
    }
    let passed_gate = passed.is_some();
    let mut effects = Vec::new();
    if let Some(step) = passed {
        // The next step is chosen on the plan as it is once this gate is passed.
        plan.set_status(&step, StepStatus::Done, None);
        effects.push(Effect::Record(vec![Event::StepStatusChanged {
            step,
            status: StepStatus::Done,
            note: None,
        }]));
    }
    let next = match rerun {
        Some(step) => Next::Run(vec![step]),
        None => parallel::next(&plan, facts.parallel),
    };
    let step = match next {
        Next::Run(mut batch) if batch.len() == 1 => batch.remove(0),
        Next::Run(batch) | Next::Rework(batch) => {
            effects.extend([Effect::RunAll(all), Effect::Work(batch)]);
            return effects;
        }
        Next::Merge(step) => {
            effects.extend([Effect::RunAll(all), Effect::Merge(step)]);
            return effects;
        }
        Next::Done => {
            effects.extend(nothing_left(state, &plan, passed_gate));
            return effects;
        }
    };
    effects.extend([
        Effect::RunAll(all),
        Effect::Record(vec![Event::StepStatusChanged {
            step,
            status: StepStatus::Running,
            note: None,
        }]),
        Effect::StartTurn,
    ]);
    effects
}

/// No approved step is left to run or merge: the plan is completed (when a gate was just
/// passed), or the run key is refused, saying why.
fn nothing_left(state: &SessionState, plan: &Plan, passed_gate: bool) -> Vec<Effect> {
    let mut effects = vec![Effect::RunAll(false)];
    let (approved, done, total) = plan.counts();
    if approved == 0 {
        effects.push(refuse("no step is approved", Some(Hint::ApproveSteps)));
    } else if passed_gate {
        let mut events = vec![Event::PlanCompleted { done, total }];
        if let Some(stage) = running_stage(state, StageKind::RunPlan) {
            events.push(Event::Stage {
                event: StageEvent::AtGate { stage },
            });
        }
        effects.push(Effect::Record(events));
    } else {
        effects.push(refuse(
            format!("no approved step left to run ({done} of {total} done)"),
            None,
        ));
    }
    effects
}

/// The human marks the step the model left incomplete as done, deliberately; the next run
/// key runs the next approved step.
#[must_use]
pub fn mark_step_done(state: &SessionState, facts: Facts) -> Vec<Effect> {
    if !facts.ready {
        return vec![refuse(WAIT, Some(Hint::Wait))];
    }
    let incomplete = state
        .plan
        .as_ref()
        .and_then(Plan::active)
        .filter(|s| s.status == StepStatus::Incomplete);
    match incomplete {
        Some(step) => vec![Effect::Record(vec![Event::StepStatusChanged {
            step: step.id.clone(),
            status: StepStatus::Done,
            note: Some("marked done by the user".into()),
        }])],
        None => vec![refuse("no step was left incomplete", None)],
    }
}

/// A turn ended: a pipeline stage whose work was that turn waits at its gate (the verify
/// stage runs its command again); under `G` the next step starts once this one waits at its
/// gate with its changes decided.
#[must_use]
pub fn after_turn(state: &SessionState, facts: Facts) -> Vec<Effect> {
    if state.gear == crate::protocol::Gear::Pipeline
        && let Some(p) = &state.pipeline
        && let Some(i) = p.run.current()
        && p.run.statuses[i] == StageStatus::Running
    {
        let def = &p.run.pipeline.stages[i];
        match def.kind {
            StageKind::Artifact | StageKind::Plan | StageKind::Ship => {
                return vec![Effect::Record(vec![Event::Stage {
                    event: StageEvent::AtGate {
                        stage: def.name.clone(),
                    },
                }])];
            }
            StageKind::Verify => return vec![Effect::RunTests],
            StageKind::RunPlan => {}
        }
    }
    let waiting = state
        .plan
        .as_ref()
        .and_then(Plan::active)
        .is_some_and(|s| s.status == StepStatus::AwaitingReview);
    if facts.run_all && waiting && facts.ready {
        return go(state, true, facts);
    }
    // Headless with the plan policy: a plan just proposed is approved whole and run.
    if state.gear == crate::protocol::Gear::Plan
        && facts.policy.plan
        && facts.ready
        && let Some(approve) = approve_all(state)
    {
        return vec![approve, Effect::Go { all: true }];
    }
    Vec::new()
}

/// The plan approved whole, when it has steps and none is approved yet.
fn approve_all(state: &SessionState) -> Option<Effect> {
    let plan = state.plan.as_ref()?;
    if plan.counts().0 > 0 {
        return None;
    }
    let edit = crate::plan::PlanEdit::ApproveAll;
    plan.clone().apply(&edit).ok()?;
    Some(Effect::Record(vec![Event::PlanEdited { edit }]))
}

/// A stage reached its gate: with the gates policy a human gate is passed (a tasks plan
/// approved whole first); otherwise it waits for the human.
#[must_use]
pub fn gate_reached(state: &SessionState, facts: Facts) -> Vec<Effect> {
    if !facts.policy.gates {
        return Vec::new();
    }
    let Some(p) = &state.pipeline else {
        return Vec::new();
    };
    let Some(i) = p.run.current() else {
        return Vec::new();
    };
    let stage = &p.run.pipeline.stages[i];
    if p.run.statuses[i] != StageStatus::AwaitingGate || stage.gate != Gate::Human {
        return Vec::new();
    }
    let mut effects = Vec::new();
    if stage.kind == StageKind::Plan {
        effects.extend(approve_all(state));
    }
    // Decided once the approval is recorded: the tasks gate holds without an approved task.
    effects.push(Effect::PassStage);
    effects
}

/// The model's response ended with no tool call: the turn is over, and a step it did not
/// end with `complete_step` is left incomplete, for the human to run again or mark done.
#[must_use]
pub fn turn_completed(state: &SessionState, reason: Option<FinishReason>) -> Vec<Effect> {
    let end = turn::end_events(&TurnEnd::Completed, reason);
    let Some(step) = running_step(state) else {
        return vec![Effect::Record(end), Effect::AfterTurn];
    };
    let mut events = vec![Event::StepStatusChanged {
        step,
        status: StepStatus::Incomplete,
        note: Some("the model ended its turn without calling complete_step".into()),
    }];
    events.extend(end);
    // `G` stops here: the step's work is not known to be done.
    vec![
        Effect::RunAll(false),
        Effect::Record(events),
        Effect::AfterTurn,
    ]
}

/// A response asked for tool calls: they run one by one, unless the turn has used its rounds.
#[must_use]
pub fn calls_requested(calls: Vec<ToolCallRequest>, round: u32, max_rounds: u32) -> Vec<Effect> {
    if round < max_rounds {
        return vec![Effect::Queue(calls), Effect::NextCall];
    }
    let mut events: Vec<Event> = calls
        .iter()
        .map(|c| {
            result_event(
                c,
                &ToolOutcome::error("not run: the tool round limit was reached"),
                Duration::ZERO,
            )
        })
        .collect();
    events.push(Event::Error {
        kind: ErrorKind::Tool,
        message: format!(
            "stopped after {max_rounds} rounds of tool calls ([agent] max_tool_rounds); \
             send a prompt to let the model continue"
        ),
    });
    events.push(Event::TurnFinished {
        reason: FinishReason::Error,
    });
    vec![Effect::Record(events)]
}

/// Whether the change's hunks are all decided, so its review can be submitted.
pub fn review_ready(state: &SessionState, change: &str) -> Result<(), Effect> {
    let Some(entry) = state.changes.get(change) else {
        return Err(refuse(format!("no change {change} is under review"), None));
    };
    if entry.undecided() > 0 {
        return Err(refuse(
            format!(
                "{} hunks of {} are undecided; decide each one first",
                entry.undecided(),
                entry.change.path
            ),
            Some(Hint::DecideHunks),
        ));
    }
    Ok(())
}
