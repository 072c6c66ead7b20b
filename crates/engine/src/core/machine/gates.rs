//! The gates: a plan step waiting for the human (`g`, `G`), a pipeline stage's gate (pass,
//! send back, skip), a command waiting for approval, and what follows the end of a turn. Each
//! is a pure function of the state returning [`Effect`]s.

use std::time::Duration;

use super::{ApprovalMode, Effect, Facts, refuse};
use crate::core::SessionState;
use crate::core::turn::{self, TurnEnd};
use crate::pipeline::{Gate, GateOp, StageEvent, StageKind, StageStatus};
use crate::plan::{Plan, StepStatus};
use crate::protocol::{CommandDecision, ErrorKind, Event, FinishReason, Hint};
use crate::provider::ToolCallRequest;
use crate::tools::ToolOutcome;

const WAIT: &str = "wait: the model is working or a change waits for review";

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
    let next = rerun.or_else(|| plan.next_runnable().map(|s| s.id.clone()));
    let Some(step) = next else {
        effects.push(Effect::RunAll(false));
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
        return effects;
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
            // next approved one runs.
            let work = plan.is_some_and(|p| p.active().is_some() || p.next_runnable().is_some());
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

/// The model asked to run something a human must approve: ask, or decide by the headless
/// policy. `subject` is what the decision is about (the command, or the tool's name).
#[must_use]
pub fn ask(call: ToolCallRequest, subject: String, facts: Facts) -> Vec<Effect> {
    ask_at(call, subject, None, facts)
}

/// [`ask`], stopped by a `[[checkpoints]]` rule: the human is told which and why. A run
/// without one waits for one there (headless: the run stops, exit 3), whatever its flags,
/// unless checkpoints are passed as the flags say (`exec --approve-checkpoints`).
#[must_use]
pub fn ask_at(
    call: ToolCallRequest,
    subject: String,
    checkpoint: Option<String>,
    facts: Facts,
) -> Vec<Effect> {
    let waits = checkpoint.is_some() && !facts.policy.checkpoints;
    match facts.policy.commands {
        _ if waits => vec![
            Effect::Record(vec![Event::CommandApprovalRequested {
                id: call.id.clone(),
                command: subject,
                checkpoint,
            }]),
            Effect::AwaitApproval(call),
        ],
        ApprovalMode::Ask => vec![
            Effect::Record(vec![Event::CommandApprovalRequested {
                id: call.id.clone(),
                command: subject,
                checkpoint,
            }]),
            Effect::AwaitApproval(call),
        ],
        ApprovalMode::Approve => decided(call, &subject, CommandDecision::Headless),
        ApprovalMode::Deny => decided(
            call,
            &subject,
            CommandDecision::Denied {
                reason: Some("commands are not run headless without --approve-commands".into()),
            },
        ),
    }
}

/// Records a decision on a call and acts on it: a denied call's result tells the model why.
#[must_use]
pub fn decided(call: ToolCallRequest, subject: &str, decision: CommandDecision) -> Vec<Effect> {
    let record = Event::CommandDecided {
        id: call.id.clone(),
        command: subject.trim().to_string(),
        decision: decision.clone(),
    };
    match decision {
        CommandDecision::Denied { reason } => {
            let text = format!("Not run: {}.", reason.unwrap_or_else(|| "denied".into()));
            vec![
                Effect::Record(vec![
                    record,
                    result_event(&call, &ToolOutcome::error(text), Duration::ZERO),
                ]),
                Effect::NextCall,
            ]
        }
        _ => vec![Effect::Record(vec![record]), Effect::RunTool(call)],
    }
}

/// The human answered the approval of `call_id`; `awaiting` is the call the session waits
/// on. An answer for another call (late, or for a call already cancelled) does nothing.
#[must_use]
pub fn answer(
    awaiting: Option<&ToolCallRequest>,
    subject: &str,
    call_id: &str,
    decision: CommandDecision,
) -> Vec<Effect> {
    let Some(call) = awaiting.filter(|c| c.id == call_id) else {
        return Vec::new();
    };
    if let CommandDecision::Denied { reason } = &decision {
        let text = crate::core::prompts::command_denied(reason.as_deref());
        return vec![
            Effect::Record(vec![
                Event::CommandDecided {
                    id: call.id.clone(),
                    command: subject.trim().to_string(),
                    decision: decision.clone(),
                },
                result_event(call, &ToolOutcome::error(text), Duration::ZERO),
            ]),
            Effect::NextCall,
        ];
    }
    decided(call.clone(), subject, decision)
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
