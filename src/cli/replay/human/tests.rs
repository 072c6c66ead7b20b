use super::*;
use crate::pipeline::{Gate, Pipeline, StageDef, StageKind};

fn prompt(text: &str) -> Event {
    Event::UserMessage {
        text: text.into(),
        attachments: vec![],
    }
}

fn status(step: &str, status: StepStatus) -> Event {
    Event::StepStatusChanged {
        step: step.into(),
        status,
        note: None,
    }
}

fn turn() -> [Event; 2] {
    [
        Event::TurnStarted { turn: 1 },
        Event::TurnFinished {
            reason: crate::protocol::FinishReason::Stop,
        },
    ]
}

fn acts_of(events: &[Event]) -> Vec<Act> {
    acts(events).into_iter().map(|t| t.act).collect()
}

#[test]
fn prompts_gear_changes_and_plan_edits_come_in_order_at_their_point() {
    let mut events = vec![
        Event::GearChanged {
            from: Gear::Vibe,
            to: Gear::Plan,
        },
        prompt("plan it"),
    ];
    events.extend(turn());
    events.push(Event::PlanEdited {
        edit: PlanEdit::Move {
            step: "2".into(),
            up: true,
        },
    });
    events.push(Event::PlanEdited {
        edit: PlanEdit::ApproveAll,
    });
    let timed = acts(&events);
    assert_eq!(timed[0].act, Act::Gear(Gear::Plan));
    assert_eq!(timed[1].at, Mark::default());
    assert_eq!(
        timed[2],
        Timed {
            at: Mark { turns: 1, gates: 0 },
            act: Act::EditPlan(PlanEdit::Move {
                step: "2".into(),
                up: true
            })
        }
    );
    assert_eq!(timed.len(), 4);
}

#[test]
fn a_gate_passed_and_the_next_step_started_are_one_go_and_a_step_marked_done_is_not_a_go() {
    let mut events = vec![status("1", StepStatus::Running)];
    events.extend(turn());
    events.extend([
        status("1", StepStatus::AwaitingReview),
        status("1", StepStatus::Done),
        status("2", StepStatus::Running),
    ]);
    events.extend(turn());
    events.push(status("2", StepStatus::Incomplete));
    events.push(Event::StepStatusChanged {
        step: "2".into(),
        status: StepStatus::Done,
        note: Some("marked done by the user".into()),
    });
    events.extend([status("3", StepStatus::Running)]);
    events.extend(turn());
    events.push(status("3", StepStatus::Done));
    assert_eq!(
        acts_of(&events),
        [
            Act::Go { moved: 1 },
            Act::Go { moved: 3 },
            Act::MarkDone,
            Act::Go { moved: 4 },
            Act::Go { moved: 5 },
        ]
    );
    let mut p = Progress::default();
    for e in &events {
        p.see(e);
    }
    assert_eq!(p.moved, 5);
    assert_eq!(p.mark, Mark { turns: 3, gates: 0 });
}

#[test]
fn only_human_gates_passed_are_acts_and_sent_back_and_skipped_ones_are() {
    let stage = |name: &str, gate| StageDef {
        name: name.into(),
        skill: name.into(),
        artifact: None,
        kind: StageKind::Artifact,
        gate,
        tools: None,
    };
    let pipeline = Pipeline {
        name: "p".into(),
        description: String::new(),
        stages: vec![
            stage("requirements", Gate::Human),
            stage("verify", Gate::Command),
        ],
    };
    let at_gate = |stage: &str| Event::Stage {
        event: StageEvent::AtGate {
            stage: stage.into(),
        },
    };
    let events = vec![
        Event::PipelineStarted {
            pipeline,
            skills: BTreeMap::new(),
            request: "r".into(),
        },
        at_gate("requirements"),
        Event::Stage {
            event: StageEvent::SentBack {
                stage: "requirements".into(),
                comments: "more".into(),
            },
        },
        at_gate("requirements"),
        Event::Stage {
            event: StageEvent::GatePassed {
                stage: "requirements".into(),
            },
        },
        Event::Stage {
            event: StageEvent::GatePassed {
                stage: "verify".into(),
            },
        },
    ];
    let timed = acts(&events);
    assert_eq!(
        timed,
        [
            Timed {
                at: Mark { turns: 0, gates: 1 },
                act: Act::Gate(GateOp::SendBack("more".into()))
            },
            Timed {
                at: Mark { turns: 0, gates: 2 },
                act: Act::Gate(GateOp::Pass)
            },
        ]
    );
}

#[test]
fn an_edit_told_at_a_turns_start_is_done_before_its_prompt_and_one_undo_is_one_act() {
    let mut events = vec![prompt("first")];
    events.extend(turn());
    events.push(Event::ChangeUndone { id: "c#1".into() });
    events.push(Event::ChangeUndone { id: "c#2".into() });
    events.push(prompt("second"));
    events.push(Event::TurnStarted { turn: 2 });
    events.push(Event::FilesSeen {
        files: [("a.rs".to_string(), Some("h".to_string()))].into(),
        edits: [("a.rs".to_string(), "diff".to_string())].into(),
    });
    events.push(Event::TurnFinished {
        reason: crate::protocol::FinishReason::Stop,
    });
    assert_eq!(
        acts_of(&events),
        [
            Act::Prompt("first".into()),
            Act::Undo,
            Act::Edited(
                [(
                    "a.rs".to_string(),
                    (Some("h".to_string()), Some("diff".to_string()))
                )]
                .into()
            ),
            Act::Prompt("second".into()),
        ]
    );
}

#[test]
fn two_undos_are_two_acts_and_an_edit_before_a_step_comes_before_the_go() {
    let mut events = vec![
        Event::ChangeUndone { id: "c2#1".into() },
        Event::ChangeUndone { id: "c2#2".into() },
        Event::ChangeUndone { id: "c1".into() },
    ];
    events.extend([
        status("s1", StepStatus::Running),
        Event::TurnStarted { turn: 1 },
        Event::FilesSeen {
            files: [("a.rs".to_string(), Some("h".to_string()))].into(),
            edits: BTreeMap::new(),
        },
        Event::AssistantMessage {
            text: "working".into(),
            interrupted: false,
        },
        // Told mid-turn: left where it was.
        Event::FilesSeen {
            files: [("b.rs".to_string(), None)].into(),
            edits: BTreeMap::new(),
        },
    ]);
    let acts = acts_of(&events);
    assert_eq!(acts[..2], [Act::Undo, Act::Undo]);
    assert!(
        matches!(&acts[2], Act::Edited(f) if f.contains_key("a.rs")),
        "{acts:?}"
    );
    assert_eq!(acts[3], Act::Go { moved: 1 });
    assert!(
        matches!(&acts[4], Act::Edited(f) if f.contains_key("b.rs")),
        "{acts:?}"
    );
    assert_eq!(acts.len(), 5);
}
