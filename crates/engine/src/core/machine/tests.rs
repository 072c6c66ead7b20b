//! The session's decisions on plain states: no IO, no async, no store. Each gate and each
//! kind of tool, as the core decides them.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::json;

use super::gates::{self, result_event};
use super::route;
use super::*;
use crate::changes::FileChange;
use crate::core::SessionState;
use crate::pipeline::{Gate, GateOp, Pipeline, StageDef, StageEvent, StageKind};
use crate::plan::{PlanEdit, StepSpec, StepStatus};
use crate::protocol::{CommandDecision, ErrorKind, Event, Gear, Hint, SessionMeta, Verdict};
use crate::provider::{ToolCallRequest, ToolSpec};
use crate::tools::{
    self, Registry, ToolContext, ToolHandler, ToolKind, ToolOutcome, ToolWrite, Writes,
};

fn opened(gear: Gear) -> Event {
    Event::SessionOpened {
        meta: SessionMeta {
            id: "s".into(),
            workspace: "/w".into(),
            gear,
            provider: "p".into(),
            model: "m".into(),
            created_at: 0,
            subagent: None,
        },
    }
}

fn step(title: &str) -> StepSpec {
    StepSpec {
        title: title.into(),
        detail: String::new(),
        files: vec![],
        acceptance: None,
        children: vec![],
        independent: false,
    }
}

/// A plan gear session with a two-step plan, all approved.
fn planned() -> (SessionState, Vec<Event>) {
    let events = vec![
        opened(Gear::Plan),
        Event::PlanProposed {
            version: 1,
            steps: vec![step("one"), step("two")],
        },
        Event::PlanEdited {
            edit: PlanEdit::ApproveAll,
        },
    ];
    (SessionState::fold(&events), events)
}

fn step_ids(state: &SessionState) -> Vec<String> {
    state
        .plan
        .as_ref()
        .unwrap()
        .walk()
        .map(|(_, _, s)| s.id.clone())
        .collect()
}

fn with(mut events: Vec<Event>, more: impl IntoIterator<Item = Event>) -> SessionState {
    events.extend(more);
    SessionState::fold(&events)
}

fn status(step: &str, status: StepStatus) -> Event {
    Event::StepStatusChanged {
        step: step.into(),
        status,
        note: None,
    }
}

#[allow(clippy::needless_pass_by_value)]
fn call(name: &str, args: serde_json::Value) -> ToolCallRequest {
    ToolCallRequest {
        id: "c1".into(),
        name: name.into(),
        arguments: args.to_string(),
    }
}

fn refused(effects: &[Effect]) -> Option<(&str, Option<Hint>)> {
    effects.iter().find_map(|e| match e {
        Effect::Refuse { message, hint } => Some((message.as_str(), *hint)),
        _ => None,
    })
}

fn recorded(effects: &[Effect]) -> Vec<&Event> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(events) => Some(events.iter()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn busy() -> Facts {
    Facts {
        ready: false,
        ..Facts::default()
    }
}

// The plan's step gates.

#[test]
fn go_waits_while_the_model_works_and_needs_a_plan_and_an_approved_step() {
    let (state, _) = planned();
    assert_eq!(
        refused(&gates::go(&state, false, busy())),
        Some((
            "wait: the model is working or a change waits for review",
            Some(Hint::Wait)
        ))
    );
    let bare = SessionState::fold(&[opened(Gear::Plan)]);
    let effects = gates::go(&bare, false, Facts::default());
    assert!(refused(&effects).unwrap().0.starts_with("no plan yet"));
    let proposed = SessionState::fold(&[
        opened(Gear::Plan),
        Event::PlanProposed {
            version: 1,
            steps: vec![step("one")],
        },
    ]);
    let effects = gates::go(&proposed, false, Facts::default());
    assert_eq!(
        refused(&effects),
        Some(("no step is approved", Some(Hint::ApproveSteps)))
    );
    assert!(recorded(&effects).is_empty(), "a refusal records nothing");
}

#[test]
fn go_runs_the_first_approved_step_and_g_all_keeps_going() {
    let (state, _) = planned();
    let first = step_ids(&state)[0].clone();
    let effects = gates::go(&state, true, Facts::default());
    assert_eq!(
        effects,
        vec![
            Effect::RunAll(true),
            Effect::Record(vec![status(&first, StepStatus::Running)]),
            Effect::StartTurn,
        ]
    );
}

#[test]
fn go_passes_the_waiting_gate_before_the_next_step() {
    let (state, events) = planned();
    let ids = step_ids(&state);
    let state = with(
        events,
        [
            status(&ids[0], StepStatus::Running),
            status(&ids[0], StepStatus::AwaitingReview),
        ],
    );
    let effects = gates::go(&state, false, Facts::default());
    assert_eq!(
        effects,
        vec![
            Effect::Record(vec![status(&ids[0], StepStatus::Done)]),
            Effect::RunAll(false),
            Effect::Record(vec![status(&ids[1], StepStatus::Running)]),
            Effect::StartTurn,
        ]
    );
}

#[test]
fn passing_the_last_gate_completes_the_plan_and_a_stalled_step_runs_again() {
    let (state, events) = planned();
    let ids = step_ids(&state);
    let done = with(
        events.clone(),
        [
            status(&ids[0], StepStatus::Done),
            status(&ids[1], StepStatus::AwaitingReview),
        ],
    );
    let effects = gates::go(&done, false, Facts::default());
    assert!(recorded(&effects).contains(&&Event::PlanCompleted { done: 2, total: 2 }));
    // Nothing left and no gate passed: said, not recorded.
    let finished = with(
        events.clone(),
        [
            status(&ids[0], StepStatus::Done),
            status(&ids[1], StepStatus::Done),
        ],
    );
    let effects = gates::go(&finished, false, Facts::default());
    assert_eq!(
        refused(&effects).unwrap().0,
        "no approved step left to run (2 of 2 done)"
    );
    // A step left running by a stopped process starts again.
    let stalled = with(events, [status(&ids[0], StepStatus::Running)]);
    let effects = gates::go(&stalled, false, Facts::default());
    assert_eq!(
        recorded(&effects),
        vec![&status(&ids[0], StepStatus::Running)]
    );
    assert_eq!(effects.last(), Some(&Effect::StartTurn));
}

#[test]
fn a_turn_that_ends_without_complete_step_is_incomplete_and_g_all_goes_on_after_a_gate() {
    let (state, events) = planned();
    let ids = step_ids(&state);
    let running = with(events.clone(), [status(&ids[0], StepStatus::Running)]);
    let effects = gates::turn_completed(&running, None);
    let events_out = recorded(&effects);
    assert!(matches!(
        events_out[0],
        Event::StepStatusChanged { status: StepStatus::Incomplete, note: Some(n), .. }
            if n.contains("without calling complete_step")
    ));
    assert_eq!(
        effects[0],
        Effect::RunAll(false),
        "G stops at an incomplete step"
    );
    assert_eq!(effects.last(), Some(&Effect::AfterTurn));

    let waiting = with(events, [status(&ids[0], StepStatus::AwaitingReview)]);
    assert!(gates::after_turn(&waiting, Facts::default()).is_empty());
    let all = Facts {
        run_all: true,
        ..Facts::default()
    };
    let effects = gates::after_turn(&waiting, all);
    assert_eq!(
        recorded(&effects),
        vec![
            &status(&ids[0], StepStatus::Done),
            &status(&ids[1], StepStatus::Running)
        ]
    );
    // Under G, a change still waiting for review holds the next step back.
    let held = Facts {
        ready: false,
        run_all: true,
        ..Facts::default()
    };
    assert!(gates::after_turn(&waiting, held).is_empty());
}

#[test]
fn tool_calls_run_one_by_one_until_the_round_limit() {
    let calls = vec![call(tools::READ_FILE, json!({"path": "a"}))];
    assert_eq!(
        gates::calls_requested(calls.clone(), 1, 3),
        vec![Effect::Queue(calls.clone()), Effect::NextCall]
    );
    let effects = gates::calls_requested(calls, 3, 3);
    let out = recorded(&effects);
    assert!(
        matches!(out[0], Event::ToolResult { ok: false, content, .. } if content.contains("round limit"))
    );
    assert!(matches!(
        out[1],
        Event::Error {
            kind: ErrorKind::Tool,
            ..
        }
    ));
    assert!(matches!(out[2], Event::TurnFinished { .. }));
}

// The pipeline's stage gates.

fn stage(name: &str, kind: StageKind, gate: Gate) -> StageDef {
    StageDef {
        name: name.into(),
        skill: name.into(),
        artifact: (kind == StageKind::Artifact || kind == StageKind::Ship)
            .then(|| format!("{name}.md")),
        kind,
        gate,
        tools: None,
    }
}

fn pipeline_at(events_after_start: Vec<Event>) -> SessionState {
    let pipeline = Pipeline {
        name: "p".into(),
        description: String::new(),
        stages: vec![
            stage("design", StageKind::Artifact, Gate::Human),
            stage("implement", StageKind::RunPlan, Gate::Human),
            stage("verify", StageKind::Verify, Gate::Command),
            stage("ship", StageKind::Ship, Gate::Human),
        ],
    };
    let mut events = vec![
        opened(Gear::Pipeline),
        Event::PipelineStarted {
            pipeline,
            skills: Default::default(),
            request: "r".into(),
        },
    ];
    events.extend(events_after_start);
    SessionState::fold(&events)
}

fn stage_event(event: StageEvent) -> Event {
    Event::Stage { event }
}

fn started(name: &str) -> Event {
    stage_event(StageEvent::Started { stage: name.into() })
}

fn at_gate(name: &str) -> Event {
    stage_event(StageEvent::AtGate { stage: name.into() })
}

#[test]
fn a_stage_turn_ends_at_its_gate_and_the_gate_passes_to_the_next_stage() {
    let running = pipeline_at(vec![started("design")]);
    assert_eq!(
        gates::after_turn(&running, Facts::default()),
        vec![Effect::Record(vec![at_gate("design")])]
    );
    assert_eq!(
        refused(&stage_gates::stage_gate(
            &running,
            &GateOp::SendBack("x".into()),
            Facts::default()
        ))
        .unwrap()
        .0,
        "stage `design` is not at its gate yet"
    );
    // Its artifact never written, the stage cannot pass: there is nothing to pass on.
    let unwritten = pipeline_at(vec![started("design"), at_gate("design")]);
    let effects = stage_gates::stage_gate(&unwritten, &GateOp::Pass, Facts::default());
    let (why, hint) = refused(&effects).unwrap();
    assert!(why.contains("never written"), "{why}");
    assert_eq!(hint, Some(Hint::SendBack));
    let waiting = pipeline_at(vec![
        started("design"),
        Event::FileChanged {
            id: "w".into(),
            change: FileChange::new("design.md".into(), None, Some("# Design\n".into())),
        },
        at_gate("design"),
    ]);
    assert_eq!(
        refused(&stage_gates::stage_gate(&waiting, &GateOp::Pass, busy())).map(|r| r.1),
        Some(Some(Hint::Wait))
    );
    assert_eq!(
        stage_gates::stage_gate(&waiting, &GateOp::Pass, Facts::default()),
        vec![
            Effect::Record(vec![
                stage_event(StageEvent::GatePassed {
                    stage: "design".into()
                }),
                started("implement"),
            ]),
            Effect::StartStage,
        ]
    );
    let back =
        stage_gates::stage_gate(&waiting, &GateOp::SendBack("more".into()), Facts::default());
    assert_eq!(back.last(), Some(&Effect::StartTurn));
}

#[test]
fn implementing_without_an_approved_task_waits_at_the_gate() {
    let state = pipeline_at(vec![
        started("design"),
        at_gate("design"),
        stage_event(StageEvent::GatePassed {
            stage: "design".into(),
        }),
        started("implement"),
    ]);
    let effects = stage_gates::start_stage(&state, Facts::default());
    assert_eq!(
        refused(&effects),
        Some(("no approved task to implement", Some(Hint::ApproveSteps)))
    );
    assert_eq!(recorded(&effects), vec![&at_gate("implement")]);
}

#[test]
fn verify_runs_the_tests_and_passes_only_by_them() {
    let verifying = pipeline_at(vec![
        stage_event(StageEvent::Skipped {
            stage: "design".into(),
        }),
        stage_event(StageEvent::Skipped {
            stage: "implement".into(),
        }),
        started("verify"),
    ]);
    assert_eq!(
        stage_gates::start_stage(&verifying, Facts::default()),
        vec![Effect::RunTests]
    );
    assert_eq!(
        gates::after_turn(&verifying, Facts::default()),
        vec![Effect::RunTests]
    );
    // A failure goes back to the model while rounds are left, then stops at the gate.
    let failed = stage_gates::verified(&verifying, false, "1 failed", Facts::default());
    assert_eq!(failed.last(), Some(&Effect::StartTurn));
    let out_of_rounds = Facts {
        max_verify_rounds: 1,
        ..Facts::default()
    };
    let failed = stage_gates::verified(&verifying, false, "1 failed", out_of_rounds);
    assert!(!failed.contains(&Effect::StartTurn));
    assert!(recorded(&failed).iter().any(|e| matches!(
        e,
        Event::Stage {
            event: StageEvent::AtGate { .. }
        }
    )));
    let passed = stage_gates::verified(&verifying, true, "ok", Facts::default());
    assert_eq!(passed.last(), Some(&Effect::StartStage));
    // At its gate, it cannot be passed by hand: the refusal names the way out.
    let at = pipeline_at(vec![
        stage_event(StageEvent::Skipped {
            stage: "design".into(),
        }),
        stage_event(StageEvent::Skipped {
            stage: "implement".into(),
        }),
        started("verify"),
        at_gate("verify"),
    ]);
    let effects = stage_gates::stage_gate(&at, &GateOp::Pass, Facts::default());
    let (message, hint) = refused(&effects).unwrap();
    assert!(message.contains("test command"), "{message}");
    assert_eq!(hint, Some(Hint::SkipStage));
}

fn ship_written(text: &str) -> SessionState {
    let mut events = vec![];
    for s in ["design", "implement", "verify"] {
        events.push(stage_event(StageEvent::Skipped { stage: s.into() }));
    }
    events.push(started("ship"));
    events.push(Event::FileChanged {
        id: "w".into(),
        change: FileChange::new("ship.md".into(), None, Some(text.into())),
    });
    events.push(at_gate("ship"));
    pipeline_at(events)
}

#[test]
fn passing_the_ship_gate_commits_only_with_a_commit_message() {
    let state = ship_written("# Ship\n\nWhat changed.\n\n## Commit message\n\nAdd the greeting\n");
    let effects = stage_gates::stage_gate(&state, &GateOp::Pass, Facts::default());
    assert!(matches!(&effects[1], Effect::Commit(stage) if stage.name == "ship"));
    // No section: the subject is never guessed from the heading.
    for text in [
        "# Ship\n\nWhat changed.\n",
        "# Ship\n\n## Commit message\n\n## Notes\n",
    ] {
        let effects = stage_gates::stage_gate(&ship_written(text), &GateOp::Pass, Facts::default());
        let (message, hint) = refused(&effects).unwrap();
        assert!(
            message.contains("no `## Commit message` section"),
            "{message}"
        );
        assert_eq!(hint, Some(Hint::SendBack));
        assert!(!effects.iter().any(|e| matches!(e, Effect::Commit(_))));
    }
    assert_eq!(
        crate::pipeline::commit_message("x\n## Commit message\n\nSubject\n\nBody\n## After\n"),
        Some("Subject\n\nBody".into())
    );
}

// Command approval.

#[test]
fn a_command_is_asked_for_or_decided_by_the_headless_policy() {
    let c = call(tools::RUN_COMMAND, json!({"command": "cargo test"}));
    assert_eq!(
        approval::ask(c.clone(), "cargo test".into(), Facts::default()),
        vec![
            Effect::Record(vec![Event::CommandApprovalRequested {
                id: "c1".into(),
                command: "cargo test".into(),
                checkpoint: None,
            }]),
            Effect::AwaitApproval(c.clone()),
        ]
    );
    let policy = |commands| Facts {
        policy: ApprovalPolicy {
            commands,
            ..ApprovalPolicy::ASK
        },
        ..Facts::default()
    };
    let run = approval::ask(
        c.clone(),
        "cargo test".into(),
        policy(ApprovalMode::Approve),
    );
    assert!(matches!(
        recorded(&run)[0],
        Event::CommandDecided {
            decision: CommandDecision::Headless,
            ..
        }
    ));
    assert_eq!(run.last(), Some(&Effect::RunTool(c.clone())));
    let denied = approval::ask(c, "cargo test".into(), policy(ApprovalMode::Deny));
    assert!(matches!(
        recorded(&denied)[1],
        Event::ToolResult { ok: false, content, .. } if content.contains("--approve-commands")
    ));
    assert_eq!(denied.last(), Some(&Effect::NextCall));
}

#[test]
fn an_answer_counts_only_for_the_call_that_waits() {
    let c = call(tools::RUN_COMMAND, json!({"command": "ls"}));
    assert!(approval::answer(Some(&c), "ls", "other", CommandDecision::Once).is_empty());
    assert!(approval::answer(None, "ls", "c1", CommandDecision::Once).is_empty());
    let once = approval::answer(Some(&c), "ls", "c1", CommandDecision::Always);
    assert_eq!(once.last(), Some(&Effect::RunTool(c.clone())));
    let no = approval::answer(
        Some(&c),
        "ls",
        "c1",
        CommandDecision::Denied {
            reason: Some("not now".into()),
        },
    );
    assert!(matches!(
        recorded(&no)[1],
        Event::ToolResult { content, .. } if content == "The user denied running this command: not now"
    ));
    assert_eq!(no.last(), Some(&Effect::NextCall));
}

// Review.

fn proposed(path: &str) -> (SessionState, Vec<Event>) {
    let events = vec![
        opened(Gear::Vibe),
        Event::ChangeProposed {
            id: "c1".into(),
            change: FileChange::new(path.into(), Some("a\n".into()), Some("b\n".into())),
            context: 3,
            checkpoint: None,
        },
    ];
    (SessionState::fold(&events), events)
}

#[test]
fn a_review_is_submitted_only_with_every_hunk_decided() {
    let (state, events) = proposed("f.txt");
    let refusal = gates::review_ready(&state, "c1").unwrap_err();
    assert!(matches!(
        refusal,
        Effect::Refuse { hint: Some(Hint::DecideHunks), ref message } if message.contains("undecided")
    ));
    let all = route::decide_all(&state, "c1", &Verdict::Accept);
    let decided = with(events, recorded(&all).into_iter().cloned());
    assert!(gates::review_ready(&decided, "c1").is_ok());
}

// Routing, by kind of tool.

/// A tool that is not built in (as an MCP server's would be).
struct External {
    spec: ToolSpec,
    mutates: bool,
}

impl ToolHandler for External {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    fn kind(&self) -> ToolKind {
        ToolKind::External
    }
    fn mutates(&self) -> bool {
        self.mutates
    }
    fn handle<'a>(
        &'a self,
        _call: &'a ToolCallRequest,
        _ctx: &'a ToolContext,
        _writes: Writes,
    ) -> BoxFuture<'a, ToolOutcome> {
        async { ToolOutcome::ok("done".into(), "done".into()) }.boxed()
    }
}

fn registry() -> Registry {
    let mut r = Registry::builtin();
    for (name, mutates) in [("mcp__docs__search", false), ("mcp__issues__create", true)] {
        r.register(Arc::new(External {
            spec: ToolSpec {
                name: name.into(),
                description: String::new(),
                parameters: json!({"type": "object"}),
            },
            mutates,
        }))
        .unwrap();
    }
    r
}

fn routed(state: &SessionState, c: &ToolCallRequest, listed: bool) -> Vec<Effect> {
    let listed = listed.then_some(CommandDecision::Allowed);
    route::route(
        state,
        &registry(),
        c.clone(),
        listed,
        None,
        Facts::default(),
    )
}

#[test]
fn read_tools_run_in_every_gear_and_write_tools_only_where_writes_are_allowed() {
    let planning = SessionState::fold(&[opened(Gear::Plan)]);
    let vibe = SessionState::fold(&[opened(Gear::Vibe)]);
    let read = call(tools::READ_FILE, json!({"path": "a"}));
    assert_eq!(
        routed(&planning, &read, false),
        vec![Effect::RunTool(read.clone())]
    );
    let write = call(tools::WRITE_FILE, json!({"path": "a", "content": "x"}));
    let refused = routed(&planning, &write, false);
    assert!(matches!(
        recorded(&refused)[0],
        Event::ToolResult { ok: false, content, .. } if content.contains("not available in the plan gear")
    ));
    assert_eq!(refused.last(), Some(&Effect::NextCall));
    assert_eq!(routed(&vibe, &write, false), vec![Effect::RunTool(write)]);
    // An unknown tool runs into the registry's own "no such tool" result.
    let unknown = call("rm_rf", json!({}));
    assert_eq!(
        routed(&vibe, &unknown, false),
        vec![Effect::RunTool(unknown)]
    );
}

#[test]
fn shell_commands_run_when_listed_or_always_allowed_and_ask_otherwise() {
    let vibe = SessionState::fold(&[opened(Gear::Vibe)]);
    let c = call(tools::RUN_COMMAND, json!({"command": "cargo test"}));
    let listed = routed(&vibe, &c, true);
    assert!(matches!(
        recorded(&listed)[0],
        Event::CommandDecided {
            decision: CommandDecision::Allowed,
            ..
        }
    ));
    assert!(matches!(
        routed(&vibe, &c, false).last(),
        Some(Effect::AwaitApproval(_))
    ));
    let always = SessionState::fold(&[
        opened(Gear::Vibe),
        Event::CommandDecided {
            id: "c0".into(),
            command: "cargo test".into(),
            decision: CommandDecision::Always,
        },
    ]);
    assert_eq!(
        routed(&always, &c, false).last(),
        Some(&Effect::RunTool(c.clone()))
    );
    // The plan gear does not offer commands while planning.
    let planning = SessionState::fold(&[opened(Gear::Plan)]);
    assert_eq!(routed(&planning, &c, true).last(), Some(&Effect::NextCall));
}

#[test]
fn external_tools_are_offered_by_whether_they_mutate_and_every_one_asks() {
    let planning = SessionState::fold(&[opened(Gear::Plan)]);
    let vibe = SessionState::fold(&[opened(Gear::Vibe)]);
    let search = call("mcp__docs__search", json!({"q": "x"}));
    // Offered while planning (it reads), and asked about like any other program's tool...
    assert!(matches!(
        routed(&planning, &search, false).last(),
        Some(Effect::AwaitApproval(_))
    ));
    // ...unless `allow_tools` lists it, or the human allowed it always (for any arguments).
    assert_eq!(
        routed(&planning, &search, true).last(),
        Some(&Effect::RunTool(search.clone()))
    );
    let always = SessionState::fold(&[
        opened(Gear::Plan),
        Event::CommandDecided {
            id: "c0".into(),
            command: "mcp__docs__search {\"q\":\"other\"}".into(),
            decision: CommandDecision::Always,
        },
    ]);
    assert_eq!(
        routed(&always, &search, false).last(),
        Some(&Effect::RunTool(search))
    );
    let create = call("mcp__issues__create", json!({"title": "t"}));
    assert_eq!(
        routed(&planning, &create, false).last(),
        Some(&Effect::NextCall)
    );
    let asked = routed(&vibe, &create, false);
    assert!(matches!(
        recorded(&asked)[0],
        Event::CommandApprovalRequested { command, .. } if command.starts_with("mcp__issues__create {")
    ));
    let names: Vec<String> = registry()
        .specs(Gear::Plan, tools::Phase::Planning)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.contains(&"mcp__docs__search".to_string()));
    assert!(!names.contains(&"mcp__issues__create".to_string()));
    let mut r = registry();
    assert!(
        r.register(Arc::new(External {
            spec: ToolSpec {
                name: tools::READ_FILE.into(),
                description: String::new(),
                parameters: json!({}),
            },
            mutates: false,
        }))
        .is_err(),
        "a tool cannot shadow a built-in one"
    );
}

#[test]
fn a_plan_is_recorded_and_ends_the_turn() {
    let planning = SessionState::fold(&[opened(Gear::Plan)]);
    let c = call(
        tools::PROPOSE_PLAN,
        json!({"steps": [{"title": "one"}, {"title": "two"}]}),
    );
    let effects = routed(&planning, &c, false);
    assert_eq!(effects[0], Effect::EndTurnAfterCalls);
    assert!(matches!(
        recorded(&effects)[0],
        Event::PlanProposed { version: 1, .. }
    ));
    let bad = call(tools::PROPOSE_PLAN, json!({"steps": []}));
    let effects = routed(&planning, &bad, false);
    assert!(!effects.contains(&Effect::EndTurnAfterCalls));
    assert!(matches!(
        recorded(&effects)[0],
        Event::ToolResult { ok: false, .. }
    ));
}

#[test]
fn ending_a_step_stops_it_at_its_gate_and_failing_it_stops_g_all() {
    let (state, events) = planned();
    let ids = step_ids(&state);
    let running = with(events, [status(&ids[0], StepStatus::Running)]);
    let done = call(tools::COMPLETE_STEP, json!({"summary": "did it"}));
    let effects = routed(&running, &done, false);
    assert!(recorded(&effects).contains(&&Event::StepStatusChanged {
        step: ids[0].clone(),
        status: StepStatus::AwaitingReview,
        note: Some("did it".into()),
    }));
    let fail = call(tools::FAIL_STEP, json!({"reason": "no"}));
    let effects = routed(&running, &fail, false);
    assert_eq!(effects[0], Effect::RunAll(false));
    // Not offered when no step runs.
    let (idle, _) = planned();
    assert_eq!(routed(&idle, &done, false).last(), Some(&Effect::NextCall));
}

#[test]
fn a_finished_write_is_proposed_for_review_or_decided_headless() {
    let c = call(tools::WRITE_FILE, json!({"path": "a", "content": "b"}));
    let mut outcome = ToolOutcome::ok("proposed".into(), "a".into());
    outcome.writes = vec![ToolWrite {
        change: FileChange::new("a".into(), Some("x\n".into()), Some("b\n".into())),
        applied: false,
        checkpoint: None,
    }];
    let took = Duration::from_millis(5);
    let ask = route::finished(&c, &outcome, took, Facts::default(), 3);
    assert!(matches!(recorded(&ask)[0], Event::ChangeProposed { .. }));
    assert_eq!(ask.last(), Some(&Effect::AwaitReview(c.clone())));
    let headless = Facts {
        policy: ApprovalPolicy {
            commands: ApprovalMode::Deny,
            changes: ApprovalMode::Approve,
            ..ApprovalPolicy::ASK
        },
        ..Facts::default()
    };
    let auto = route::finished(&c, &outcome, took, headless, 3);
    assert!(auto.contains(&Effect::WriteReview("c1".into())));
    // A protected path is never written without a human.
    outcome.writes[0].checkpoint = Some("a secrets file".into());
    let protected = route::finished(&c, &outcome, took, headless, 3);
    assert!(matches!(
        recorded(&protected)[0],
        Event::ToolResult { ok: false, content, .. } if content.contains("protected")
    ));
    // Applied at once in vibe: the change and the result, then the next call.
    outcome.writes[0].checkpoint = None;
    outcome.writes[0].applied = true;
    let applied = route::finished(&c, &outcome, took, Facts::default(), 3);
    assert!(matches!(recorded(&applied)[0], Event::FileChanged { .. }));
    assert_eq!(recorded(&applied)[1], &result_event(&c, &outcome, took));
    assert_eq!(applied.last(), Some(&Effect::NextCall));
}

#[test]
fn a_commands_change_set_is_applied_proposed_or_refused_file_by_file() {
    let c = call(tools::RUN_COMMAND, json!({"command": "sed -i s/a/b/ x y"}));
    let write = |path: &str, applied: bool, checkpoint: Option<&str>| ToolWrite {
        change: FileChange::new(path.into(), Some("a\n".into()), Some("b\n".into())),
        applied,
        checkpoint: checkpoint.map(Into::into),
    };
    let mut outcome = ToolOutcome::ok("[exit code 0]".into(), "$ sed".into());
    outcome.writes = vec![
        write("x", true, None),
        write("y", false, None),
        write(".env", false, Some("`.env` files hold secrets")),
    ];
    let took = Duration::from_millis(5);
    let ask = route::finished(&c, &outcome, took, Facts::default(), 3);
    let events = recorded(&ask);
    assert!(matches!(events[0], Event::FileChanged { id, .. } if id == "c1#1"));
    // The output waits with the changes; each proposal is its own change of the set.
    assert!(
        matches!(events[1], Event::ToolHeld { id, content, .. } if id == "c1" && content.contains("exit code 0"))
    );
    assert!(matches!(events[2], Event::ChangeProposed { id, .. } if id == "c1#2"));
    assert!(
        matches!(events[3], Event::ChangeProposed { id, checkpoint: Some(_), .. } if id == "c1#3")
    );
    assert!(!events.iter().any(|e| matches!(e, Event::ToolResult { .. })));
    assert_eq!(ask.last(), Some(&Effect::AwaitReview(c.clone())));
    assert_eq!(crate::changes::call_of("c1#3"), "c1");
    assert_eq!(crate::changes::call_of("c1"), "c1");
    // Headless with --approve-changes: the plain one is written, the protected one refused.
    let headless = Facts {
        policy: ApprovalPolicy {
            commands: ApprovalMode::Approve,
            changes: ApprovalMode::Approve,
            ..ApprovalPolicy::ASK
        },
        ..Facts::default()
    };
    let auto = route::finished(&c, &outcome, took, headless, 3);
    assert!(auto.contains(&Effect::WriteReview("c1#2".into())));
    assert!(!auto.contains(&Effect::WriteReview("c1#3".into())));
    let held = recorded(&auto)
        .into_iter()
        .find_map(|e| match e {
            Event::ToolHeld { content, .. } => Some(content.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        held.contains(".env") && held.contains("protected"),
        "{held}"
    );
}

// The headless policy is an input to the core, not a second machine in `exec`.

fn headless(plan: bool, gates: bool) -> Facts {
    Facts {
        policy: ApprovalPolicy {
            commands: ApprovalMode::Deny,
            changes: ApprovalMode::Approve,
            plan,
            gates,
            checkpoints: false,
        },
        ..Facts::default()
    }
}

#[test]
fn with_the_plan_policy_a_proposed_plan_is_approved_whole_and_run() {
    let proposed = SessionState::fold(&[
        opened(Gear::Plan),
        Event::PlanProposed {
            version: 1,
            steps: vec![step("one"), step("two")],
        },
    ]);
    assert!(gates::after_turn(&proposed, Facts::default()).is_empty());
    assert!(gates::after_turn(&proposed, headless(false, true)).is_empty());
    assert_eq!(
        gates::after_turn(&proposed, headless(true, false)),
        vec![
            Effect::Record(vec![Event::PlanEdited {
                edit: PlanEdit::ApproveAll
            }]),
            Effect::Go { all: true },
        ]
    );
    // Once steps are approved (and run), the policy does not approve again.
    let (approved, _) = planned();
    assert!(gates::after_turn(&approved, headless(true, false)).is_empty());
}

#[test]
fn with_the_gates_policy_a_human_gate_passes_and_a_tasks_plan_is_approved_first() {
    let waiting = pipeline_at(vec![started("design"), at_gate("design")]);
    assert!(gates::gate_reached(&waiting, Facts::default()).is_empty());
    let effects = gates::gate_reached(&waiting, headless(false, true));
    assert_eq!(effects, vec![Effect::PassStage]);
    // A gate the test command closes is never passed by the policy.
    let verify = pipeline_at(vec![
        stage_event(StageEvent::Skipped {
            stage: "design".into(),
        }),
        stage_event(StageEvent::Skipped {
            stage: "implement".into(),
        }),
        started("verify"),
        at_gate("verify"),
    ]);
    assert!(gates::gate_reached(&verify, headless(true, true)).is_empty());
    // A tasks stage: its plan is approved whole before the gate passes.
    let mut pipeline = Pipeline {
        name: "p".into(),
        description: String::new(),
        stages: vec![
            stage("tasks", StageKind::Plan, Gate::Human),
            stage("implement", StageKind::RunPlan, Gate::Human),
        ],
    };
    pipeline.stages[0].artifact = None;
    let tasks = SessionState::fold(&[
        opened(Gear::Pipeline),
        Event::PipelineStarted {
            pipeline,
            skills: Default::default(),
            request: "r".into(),
        },
        started("tasks"),
        Event::PlanProposed {
            version: 1,
            steps: vec![step("one")],
        },
        at_gate("tasks"),
    ]);
    let effects = gates::gate_reached(&tasks, headless(false, true));
    assert_eq!(
        effects,
        vec![
            Effect::Record(vec![Event::PlanEdited {
                edit: PlanEdit::ApproveAll
            }]),
            Effect::PassStage,
        ]
    );
}

/// A pipeline whose `tasks` stage proposed `steps` and waits at its gate.
fn tasks_at_gate(approve: bool) -> SessionState {
    let pipeline = Pipeline {
        name: "p".into(),
        description: String::new(),
        stages: vec![
            StageDef {
                artifact: None,
                ..stage("tasks", StageKind::Plan, Gate::Human)
            },
            stage("implement", StageKind::RunPlan, Gate::Human),
        ],
    };
    let mut events = vec![
        opened(Gear::Pipeline),
        Event::PipelineStarted {
            pipeline,
            skills: Default::default(),
            request: "r".into(),
        },
        started("tasks"),
        Event::PlanProposed {
            version: 1,
            steps: vec![step("one")],
        },
    ];
    if approve {
        events.push(Event::PlanEdited {
            edit: PlanEdit::ApproveAll,
        });
    }
    events.push(at_gate("tasks"));
    SessionState::fold(&events)
}

#[test]
fn the_tasks_gate_holds_until_a_task_is_approved() {
    let effects = stage_gates::stage_gate(&tasks_at_gate(false), &GateOp::Pass, Facts::default());
    let (message, hint) = refused(&effects).unwrap();
    assert!(message.contains("no task approved"), "{message}");
    assert_eq!(hint, Some(Hint::ApproveSteps));
    assert!(recorded(&effects).is_empty(), "nothing is recorded");
    let effects = stage_gates::stage_gate(&tasks_at_gate(true), &GateOp::Pass, Facts::default());
    assert_eq!(effects.last(), Some(&Effect::StartStage));
    // Skipping stays possible: the human decides that deliberately.
    let skipped = stage_gates::stage_gate(&tasks_at_gate(false), &GateOp::Skip, Facts::default());
    assert_eq!(refused(&skipped), None);
}

#[test]
fn an_incomplete_step_is_never_passed_as_done_by_g_but_runs_again_or_is_marked_done() {
    let (state, events) = planned();
    let ids = step_ids(&state);
    let incomplete = with(
        events,
        [
            status(&ids[0], StepStatus::Running),
            status(&ids[0], StepStatus::Incomplete),
        ],
    );
    // g runs it again; nothing marks it done.
    let effects = gates::go(&incomplete, false, Facts::default());
    assert_eq!(
        recorded(&effects),
        vec![&status(&ids[0], StepStatus::Running)]
    );
    // G does not go on past it.
    let all = Facts {
        run_all: true,
        ..Facts::default()
    };
    assert!(gates::after_turn(&incomplete, all).is_empty());
    // Marked done deliberately, with a note saying who did.
    let effects = gates::mark_step_done(&incomplete, Facts::default());
    assert_eq!(
        recorded(&effects),
        vec![&Event::StepStatusChanged {
            step: ids[0].clone(),
            status: StepStatus::Done,
            note: Some("marked done by the user".into()),
        }]
    );
    let (idle, _) = planned();
    assert_eq!(
        refused(&gates::mark_step_done(&idle, Facts::default()))
            .unwrap()
            .0,
        "no step was left incomplete"
    );
}
