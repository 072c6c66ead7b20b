//! Every op decided on plain states and plain activities, as tables: what runs (the
//! [`Activity`], with `()` for its handles), what the session holds, and the effects.

use std::time::{Duration, Instant};

use super::on_op;
use crate::changes::FileChange;
use crate::config::{Config, DEFAULTS_TOML};
use crate::core::SessionState;
use crate::core::machine::activity::{Activity, AfterHooks, ready};
use crate::core::machine::{Effect, Facts};
use crate::core::routing::Target;
use crate::core::turn::TurnProgress;
use crate::plan::StepSpec;
use crate::protocol::{
    CommandDecision, Event, Gear, Hint, Op, SessionMeta, ToolCallRequest, Verdict,
};
use crate::tools::ToolOutcome;

type Plain = Activity<()>;

fn session(gear: Gear, more: Vec<Event>) -> SessionState {
    let mut events = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: "s".into(),
            workspace: "/w".into(),
            gear,
            provider: "openai".into(),
            model: "gpt".into(),
            created_at: 0,
            subagent: None,
        },
    }];
    events.extend(more);
    SessionState::fold(&events)
}

fn idle() -> SessionState {
    session(Gear::Vibe, Vec::new())
}

fn call(id: &str) -> ToolCallRequest {
    ToolCallRequest {
        id: id.into(),
        name: "run_command".into(),
        arguments: "{}".into(),
    }
}

fn provider() -> Box<crate::config::ActiveProvider> {
    let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    c.provider = Some("openai".into());
    Box::new(c.active_provider().unwrap())
}

/// One activity of every kind, named for the tables' messages.
fn every_activity() -> Vec<(&'static str, Plain)> {
    let now = Instant::now();
    let progress = || TurnProgress::sent_now(0);
    vec![
        ("idle", Activity::Idle),
        (
            "streaming",
            Activity::Streaming {
                stream: (),
                progress: progress(),
                last_checkpoint: now,
                saved: 0,
            },
        ),
        ("approving", Activity::Approving { call: call("c1") }),
        (
            "running",
            Activity::Running {
                call: call("c1"),
                task: (),
                started: now,
            },
        ),
        ("delegating", Activity::Delegating),
        ("reviewing", Activity::Reviewing { call: call("c1") }),
        (
            "shell",
            Activity::Shell {
                id: "sh".into(),
                command: "ls".into(),
                task: (),
                started: now,
            },
        ),
        ("verifying", Activity::Verifying { task: () }),
        ("mcp starting", Activity::McpStarting { may_compact: true }),
        (
            "prompt hooks",
            Activity::Hooking {
                task: (),
                then: AfterHooks::Prompt(Op::Cancel),
            },
        ),
        (
            "tool hooks",
            Activity::Hooking {
                task: (),
                then: AfterHooks::Post {
                    call: call("c1"),
                    outcome: Box::new(ToolOutcome::error("x")),
                    took: Duration::ZERO,
                },
            },
        ),
        (
            "asked compaction",
            Activity::Compacting {
                stream: (),
                progress: progress(),
                model: provider(),
                through: 1,
                before: 0,
                resume: false,
            },
        ),
        (
            "window compaction",
            Activity::Compacting {
                stream: (),
                progress: progress(),
                model: provider(),
                through: 1,
                before: 0,
                resume: true,
            },
        ),
    ]
}

/// The activity of that name in [`every_activity`].
fn named(name: &str) -> Plain {
    every_activity()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| a)
        .unwrap()
}

/// The facts the actor derives: ready when nothing runs and no change waits for review.
fn facts_for(state: &SessionState, activity: &Plain) -> Facts {
    Facts {
        ready: ready(state, activity),
        ..Facts::default()
    }
}

fn decide(state: &SessionState, activity: &Plain, op: Op) -> Vec<Effect> {
    on_op(state, activity, facts_for(state, activity), op)
}

/// After a resume: a change waits for review with nothing running.
fn review_waits() -> SessionState {
    session(
        Gear::Plan,
        vec![Event::ChangeProposed {
            id: "c1".into(),
            change: FileChange::new("f".into(), Some("a\n".into()), Some("b\n".into())),
            context: 3,
            checkpoint: None,
        }],
    )
}

#[test]
fn with_a_review_waiting_nothing_that_needs_a_ready_session_runs() {
    let state = review_waits();
    let refused = |op: Op, says: &str| {
        let effects = decide(&state, &Plain::Idle, op);
        assert!(
            refused_with(&effects, Some(Hint::Wait), says),
            "{effects:?}"
        );
    };
    refused(
        Op::Shell {
            command: "ls".into(),
        },
        "run a command",
    );
    refused(Op::Compact, "compact when");
    refused(
        Op::SetModel {
            provider: "anthropic".into(),
            model: "claude".into(),
        },
        "switch models",
    );
}

fn refused_with(effects: &[Effect], hint: Option<Hint>, says: &str) -> bool {
    matches!(effects, [Effect::Refuse { message, hint: h }] if *h == hint && message.contains(says))
}

#[test]
fn cancel_stops_what_runs_and_ends_the_turn_only_when_one_is_under_way() {
    let table = [
        ("idle", None),
        ("streaming", Some(true)),
        ("approving", Some(true)),
        ("running", Some(true)),
        ("delegating", Some(true)),
        ("reviewing", Some(true)),
        ("shell", Some(false)),
        ("verifying", Some(false)),
        ("mcp starting", Some(true)),
        ("prompt hooks", Some(false)),
        ("tool hooks", Some(true)),
        ("asked compaction", Some(false)),
        ("window compaction", Some(true)),
    ];
    let activities = every_activity();
    assert_eq!(activities.len(), table.len(), "a row for every activity");
    for ((name, activity), (row, end_turn)) in activities.iter().zip(table) {
        assert_eq!(*name, row);
        let expected: Vec<Effect> = end_turn
            .map(|end_turn| Effect::Cancel { end_turn })
            .into_iter()
            .collect();
        assert_eq!(decide(&idle(), activity, Op::Cancel), expected, "{name}");
    }
}

#[test]
fn a_prompt_runs_when_the_session_is_ready_and_waits_in_line_otherwise() {
    let prompt = Op::Submit {
        text: "hello".into(),
        attachments: Vec::new(),
    };
    for (name, activity) in every_activity() {
        let effects = decide(&idle(), &activity, prompt.clone());
        let expected = if activity.is_idle() {
            Effect::Submit {
                op: prompt.clone(),
                typed: true,
            }
        } else {
            Effect::QueuePrompt(prompt.clone())
        };
        assert_eq!(effects, vec![expected], "{name}");
    }
    // After a resume a change may wait for review with nothing running: the prompt waits.
    assert_eq!(
        decide(&review_waits(), &Plain::Idle, prompt.clone()),
        vec![Effect::QueuePrompt(prompt)]
    );
    assert_eq!(
        decide(&idle(), &Plain::Idle, Op::Unqueue),
        vec![Effect::Unqueue]
    );
}

#[test]
fn a_model_switch_waits_for_the_model_and_ignores_the_model_in_use() {
    let switch = |provider: &str, model: &str| Op::SetModel {
        provider: provider.into(),
        model: model.into(),
    };
    let streaming = named("streaming");
    // The model in use: nothing to do, whatever runs.
    assert!(decide(&idle(), &streaming, switch("openai", "gpt")).is_empty());
    assert_eq!(
        decide(&idle(), &Plain::Idle, switch("anthropic", "claude")),
        vec![Effect::SwitchModel(Target {
            provider: "anthropic".into(),
            model: "claude".into(),
        })]
    );
    assert!(refused_with(
        &decide(&idle(), &streaming, switch("anthropic", "claude")),
        Some(Hint::Wait),
        "switch models"
    ));
}

#[test]
fn compaction_needs_a_finished_model_and_turns_before_the_latest_prompt() {
    let turn = |text: &str| {
        [
            Event::UserMessage {
                text: text.into(),
                attachments: Vec::new(),
            },
            Event::AssistantMessage {
                text: format!("on {text}"),
                interrupted: false,
            },
        ]
    };
    let two_turns = session(
        Gear::Vibe,
        turn("one").into_iter().chain(turn("two")).collect(),
    );
    // The latest prompt (message 2) stays; what came before it is summarised.
    assert_eq!(
        decide(&two_turns, &Plain::Idle, Op::Compact),
        vec![Effect::Compact {
            through: 2,
            focus: None
        }]
    );
    assert_eq!(
        decide(
            &two_turns,
            &Plain::Idle,
            Op::CompactFocus {
                focus: "the parser".into()
            }
        ),
        vec![Effect::Compact {
            through: 2,
            focus: Some("the parser".into())
        }]
    );
    let effects = decide(&idle(), &Plain::Idle, Op::Compact);
    assert!(
        refused_with(&effects, None, "nothing to compact"),
        "{effects:?}"
    );
    for (name, activity) in every_activity().into_iter().skip(1) {
        let effects = decide(&two_turns, &activity, Op::Compact);
        assert!(
            refused_with(&effects, Some(Hint::Wait), "compact when"),
            "{name}"
        );
    }
}

#[test]
fn undo_reverts_the_newest_written_change_with_its_whole_change_set() {
    let written = |id: &str, path: &str| Event::FileChanged {
        id: id.into(),
        change: FileChange::new(path.into(), Some("a\n".into()), Some("b\n".into())),
    };
    let ids = |effects: &[Effect]| match effects {
        [Effect::Undo(set)] => set.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        other => panic!("not an undo: {other:?}"),
    };
    let one = session(Gear::Vibe, vec![written("c1", "a"), written("c2", "b")]);
    assert_eq!(ids(&decide(&one, &Plain::Idle, Op::Undo)), ["c2"]);
    // A command's writes are one change set: undone together, newest first.
    let set = session(
        Gear::Vibe,
        vec![
            written("c1", "a"),
            written("c2#1", "b"),
            written("c2#2", "c"),
        ],
    );
    assert_eq!(ids(&decide(&set, &Plain::Idle, Op::Undo)), ["c2#2", "c2#1"]);
    let undone = session(
        Gear::Vibe,
        vec![written("c1", "a"), Event::ChangeUndone { id: "c1".into() }],
    );
    assert!(refused_with(
        &decide(&undone, &Plain::Idle, Op::Undo),
        None,
        "nothing to undo"
    ));
    for busy in ["running", "delegating"] {
        assert!(refused_with(
            &decide(&one, &named(busy), Op::Undo),
            Some(Hint::Wait),
            "a tool is running"
        ));
    }
}

#[test]
fn a_shell_command_runs_only_when_the_session_is_ready() {
    for (name, activity) in every_activity() {
        let effects = decide(
            &idle(),
            &activity,
            Op::Shell {
                command: "ls".into(),
            },
        );
        if activity.is_idle() {
            assert_eq!(effects, vec![Effect::RunShell("ls".into())]);
        } else {
            assert!(
                refused_with(&effects, Some(Hint::Wait), "run a command"),
                "{name}"
            );
        }
    }
}

#[test]
fn an_mcp_restart_and_quit_always_go_through() {
    for (name, activity) in every_activity() {
        let restart = decide(
            &idle(),
            &activity,
            Op::RestartMcp {
                server: "gh".into(),
            },
        );
        assert_eq!(restart, vec![Effect::RestartMcp("gh".into())], "{name}");
        assert_eq!(
            decide(&idle(), &activity, Op::Quit),
            vec![Effect::Quit],
            "{name}"
        );
    }
}

#[test]
fn an_approval_answers_only_the_call_that_waits() {
    let approving = Plain::Approving { call: call("c1") };
    let approve = |id: &str, always: bool| Op::ApproveCommand {
        call_id: id.into(),
        always,
    };
    let answered = |decision| {
        vec![Effect::Answer {
            call: call("c1"),
            decision,
        }]
    };
    let deny = Op::DenyCommand {
        call_id: "c1".into(),
        reason: Some("no".into()),
    };
    let table: [(&Plain, Op, Vec<Effect>); 5] = [
        (
            &approving,
            approve("c1", false),
            answered(CommandDecision::Once),
        ),
        (
            &approving,
            approve("c1", true),
            answered(CommandDecision::Always),
        ),
        (
            &approving,
            deny,
            answered(CommandDecision::Denied {
                reason: Some("no".into()),
            }),
        ),
        (&approving, approve("c2", false), Vec::new()),
        (&Plain::Idle, approve("c1", false), Vec::new()),
    ];
    for (i, (activity, op, expected)) in table.into_iter().enumerate() {
        assert_eq!(decide(&idle(), activity, op), expected, "row {i}");
    }
}

#[test]
fn a_plan_revision_is_gearshifts_prompt_sent_once_the_model_has_finished() {
    let planned = session(
        Gear::Plan,
        vec![Event::PlanProposed {
            version: 1,
            steps: vec![StepSpec {
                title: "add the parser".into(),
                detail: String::new(),
                files: vec![],
                acceptance: None,
                children: vec![],
                independent: false,
            }],
        }],
    );
    match decide(&planned, &Plain::Idle, Op::RevisePlan).as_slice() {
        [
            Effect::Submit {
                op: Op::Submit { text, .. },
                typed: false,
            },
        ] => assert!(text.contains("add the parser"), "{text}"),
        other => panic!("not a revision: {other:?}"),
    }
    let streaming = named("streaming");
    assert!(refused_with(
        &decide(&planned, &streaming, Op::RevisePlan),
        Some(Hint::Wait),
        "revise when"
    ));
    assert!(refused_with(
        &decide(&idle(), &Plain::Idle, Op::RevisePlan),
        None,
        "no plan"
    ));
}

#[test]
fn a_change_sent_back_is_withdrawn_and_its_call_answered() {
    let change = FileChange::new("f".into(), Some("a\n".into()), Some("b\n".into()));
    let state = session(
        Gear::Plan,
        vec![
            Event::ChangeProposed {
                id: "c1".into(),
                change,
                context: 3,
                checkpoint: None,
            },
            Event::HunkCommented {
                change: "c1".into(),
                hunk: "h1".into(),
                comment: "keep the old name".into(),
            },
        ],
    );
    let reviewing = Plain::Reviewing { call: call("c1") };
    let op = || Op::Repropose {
        change: "c1".into(),
    };
    match decide(&state, &reviewing, op()).as_slice() {
        [Effect::Record(events), Effect::AfterReview] => {
            assert!(matches!(&events[0], Event::ChangeWithdrawn { id, .. } if id == "c1"));
            assert!(
                matches!(&events[1], Event::ToolResult { id, ok: false, .. } if id == "c1"),
                "{events:?}"
            );
        }
        other => panic!("not sent back: {other:?}"),
    }
    // Another call under review, or a tool running: nothing to send back.
    assert!(decide(&state, &Plain::Reviewing { call: call("c9") }, op()).is_empty());
    let running = named("running");
    assert!(decide(&state, &running, op()).is_empty());
}

#[test]
fn the_recorded_ops_record_what_they_decide() {
    let state = idle();
    assert_eq!(
        decide(&state, &Plain::Idle, Op::SetGear { gear: Gear::Plan }),
        vec![Effect::Record(vec![Event::GearChanged {
            from: Gear::Vibe,
            to: Gear::Plan
        }])]
    );
    assert!(decide(&state, &Plain::Idle, Op::SetGear { gear: Gear::Vibe }).is_empty());
    assert!(
        decide(
            &state,
            &Plain::Idle,
            Op::DecideHunk {
                change: "none".into(),
                hunk: "h1".into(),
                verdict: Verdict::Accept
            }
        )
        .is_empty()
    );
}
