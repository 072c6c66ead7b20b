//! What the human did in a recorded session besides deciding hunks and commands
//! ([`super::decisions`]): prompts, gear changes, plan edits, runs of plan steps, pipeline gates,
//! undos, and files edited between turns — each with the point of the session it was done at,
//! counted in turns ended and stage gates reached, so a replay does it at the same point. Pure.

use std::collections::BTreeMap;

use crate::changes::call_of;
use crate::pipeline::{GateOp, StageEvent};
use crate::plan::{PlanEdit, StepStatus};
use crate::protocol::{Event, Gear};

/// One thing the human did.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Gear(Gear),
    Prompt(String),
    EditPlan(PlanEdit),
    /// Ran the next step (passing the gate of the one that waited), or a step left incomplete
    /// again. `moved`: how many steps had started or passed their gate once it was done — a
    /// replay whose core did as much by itself (a pipeline's implement stage runs its tasks)
    /// does not do it again.
    Go {
        moved: usize,
    },
    MarkDone,
    Gate(GateOp),
    Undo,
    /// Files the human changed between turns, as the model was told: each path with the hash
    /// of what was there then (`None`: deleted) and, for an edit, its diff.
    Edited(BTreeMap<String, (Option<String>, Option<String>)>),
}

/// A point of a session: turns ended and stage gates reached so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub turns: usize,
    pub gates: usize,
}

impl Mark {
    /// Whether a session at `now` has come as far as this point.
    #[must_use]
    pub fn reached(self, now: Mark) -> bool {
        now.turns >= self.turns && now.gates >= self.gates
    }
}

/// An act and the point it was done at.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    pub at: Mark,
    pub act: Act,
}

/// How far a session has come, from its events (the original's or the replay's).
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub mark: Mark,
    /// Steps started or passed through their gate.
    pub moved: usize,
}

impl Progress {
    pub fn see(&mut self, event: &Event) {
        match event {
            Event::TurnFinished { .. } => self.mark.turns += 1,
            Event::Stage {
                event: StageEvent::AtGate { .. },
            } => self.mark.gates += 1,
            Event::StepStatusChanged { status, note, .. } if moves(*status, note.as_ref()) => {
                self.moved += 1;
            }
            _ => {}
        }
    }
}

/// A step started, or passed its gate (not one marked done by the human).
fn moves(status: StepStatus, note: Option<&String>) -> bool {
    status == StepStatus::Running || (status == StepStatus::Done && note.is_none())
}

/// What the human did at a stage's gate (a gate the core passes is not the human's act).
fn gate_act(event: &StageEvent, human_gates: &BTreeMap<String, bool>) -> Option<Act> {
    match event {
        StageEvent::GatePassed { stage } if human_gates.get(stage) == Some(&true) => {
            Some(Act::Gate(GateOp::Pass))
        }
        StageEvent::SentBack { comments, .. } => {
            Some(Act::Gate(GateOp::SendBack(comments.clone())))
        }
        StageEvent::Skipped { .. } => Some(Act::Gate(GateOp::Skip)),
        _ => None,
    }
}

/// What the human did in `events`, in order.
#[must_use]
pub fn acts(events: &[Event]) -> Vec<Timed> {
    let mut out: Vec<Timed> = Vec::new();
    let mut progress = Progress::default();
    let mut human_gates: BTreeMap<String, bool> = BTreeMap::new();
    // The act that started the turn that runs (a prompt, a step run, a gate passed), if one
    // did; and whether the model has said anything in it yet.
    let mut starter: Option<usize> = None;
    let mut since_turn = 0;
    let mut in_turn = false;
    let mut spoke = false;
    // The last act passed a step's gate: the step that starts next is part of it.
    let mut going = false;
    // The call whose changes the last undo reverted.
    let mut undoing: Option<&str> = None;
    for e in events {
        let at = progress.mark;
        let act = match e {
            Event::GearChanged { to, .. } => Some(Act::Gear(*to)),
            Event::UserMessage { text, .. } => Some(Act::Prompt(text.clone())),
            Event::PlanEdited { edit } => Some(Act::EditPlan(edit.clone())),
            Event::StepStatusChanged { status, note, .. } => {
                let after = progress.moved + 1;
                let passed = going;
                going = false;
                if *status == StepStatus::Done && note.is_some() {
                    Some(Act::MarkDone)
                } else if !moves(*status, note.as_ref()) {
                    None
                } else if let Some(Timed {
                    act: Act::Go { moved },
                    ..
                }) = out
                    .last_mut()
                    .filter(|_| passed && *status == StepStatus::Running)
                {
                    // A gate passed and the next step started: one Go.
                    *moved = after;
                    None
                } else {
                    going = *status == StepStatus::Done;
                    Some(Act::Go { moved: after })
                }
            }
            Event::PipelineStarted { pipeline, .. } => {
                human_gates = pipeline
                    .stages
                    .iter()
                    .map(|s| (s.name.clone(), s.gate == crate::pipeline::Gate::Human))
                    .collect();
                None
            }
            Event::Stage { event } => gate_act(event, &human_gates),
            // One undo reverts a call's whole set of changes (a command's `CALL#n`).
            Event::ChangeUndone { id } if undoing == Some(call_of(id)) => None,
            Event::ChangeUndone { .. } => Some(Act::Undo),
            Event::FilesSeen { files, edits } => {
                let edited: BTreeMap<_, _> = files
                    .iter()
                    .map(|(path, hash)| (path.clone(), (hash.clone(), edits.get(path).cloned())))
                    .collect();
                // Told before the first request of a turn: the edit came before what started
                // it. (Told later in a turn, it was made while the model worked: it is done
                // once the replay's turn is over, and said if its diff no longer applies.)
                match starter.filter(|_| in_turn && !spoke) {
                    Some(i) => {
                        let at = out[i].at;
                        out.insert(
                            i,
                            Timed {
                                at,
                                act: Act::Edited(edited),
                            },
                        );
                        starter = Some(i + 1);
                    }
                    None => out.push(Timed {
                        at,
                        act: Act::Edited(edited),
                    }),
                }
                None
            }
            Event::TurnStarted { .. } => {
                in_turn = true;
                spoke = false;
                going = false;
                starter = (out.len() > since_turn).then(|| out.len() - 1);
                None
            }
            Event::TurnFinished { .. } => {
                in_turn = false;
                since_turn = out.len();
                starter = None;
                None
            }
            Event::AssistantMessage { .. } | Event::ToolCall { .. } => {
                spoke |= in_turn;
                None
            }
            _ => None,
        };
        if let Some(act) = act {
            out.push(Timed { at, act });
        }
        undoing = match e {
            Event::ChangeUndone { id } => Some(call_of(id)),
            _ => None,
        };
        progress.see(e);
    }
    out
}

#[cfg(test)]
mod tests;
