use std::time::{Duration, SystemTime};

use gearshift_protocol::tap::{Origin, Started};
use gearshift_protocol::{
    CommandDecision, ErrorKind, Event, FileChange, FinishReason, Gear, PlanEdit, RequestFacts,
    StageEvent, StepStatus, Verdict,
};

use super::{Options, Record, Translator};
use crate::names::{event, metric, span};

fn origin(session: &str) -> Origin {
    Origin {
        session: session.into(),
        ..Origin::default()
    }
}

/// A session started with gearshift's file and command tools, driven by a human or not.
fn started(t: &mut Translator, o: &Origin, interactive: bool) {
    t.started(
        o,
        &Started {
            gear: Gear::Vibe,
            provider: "p".into(),
            model: "m".into(),
            resumed: false,
            interactive,
            tools: ["write_file", "run_command", "read_file"]
                .map(String::from)
                .to_vec(),
        },
    );
}

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + ms)
}

fn attr(attrs: &[opentelemetry::KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// The sum of a counter's increases whose attributes hold every `(key, value)` of `with`.
fn total(records: &[Record], name: &str, with: &[(&str, &str)]) -> u64 {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Count {
                name: n,
                value,
                attrs,
            } if *n == name => with
                .iter()
                .all(|(k, v)| attr(attrs, k).as_deref() == Some(*v))
                .then_some(*value),
            _ => None,
        })
        .sum()
}

fn events<'a>(records: &'a [Record], name: &str) -> Vec<&'a [opentelemetry::KeyValue]> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event { name: n, attrs, .. } if *n == name => Some(attrs.as_slice()),
            _ => None,
        })
        .collect()
}

fn usage(latency: u64, error: Option<ErrorKind>) -> Event {
    Event::Usage {
        input: 1000,
        output: 300,
        cached: 600,
        cache_write: 100,
        reasoning: 50,
        cost: Some(0.25),
        request: Some(Box::new(RequestFacts {
            provider: "anthropic".into(),
            model: "claude-x".into(),
            gear: Gear::Plan,
            stage: None,
            purpose: "turn".into(),
            latency_ms: latency,
            ttft_ms: Some(120),
            error,
            retries: 1,
            estimated: false,
        })),
    }
}

#[allow(clippy::needless_pass_by_value)] // the tests write `vec![…]` inline
fn run(t: &mut Translator, o: &Origin, events: Vec<Event>) -> Vec<Record> {
    events
        .iter()
        .enumerate()
        .flat_map(|(i, e)| t.event(o, e, at(1000 * i as u64)))
        .collect()
}

#[test]
fn a_request_is_counted_by_token_type_cost_and_latency_inside_its_turns_span() {
    let mut t = Translator::new(Options::default());
    let o = origin("s1");
    let mut out = t.started(
        &o,
        &Started {
            gear: Gear::Plan,
            provider: "anthropic".into(),
            model: "claude-x".into(),
            resumed: true,
            interactive: true,
            tools: Vec::new(),
        },
    );
    assert_eq!(
        total(
            &out,
            metric::SESSIONS,
            &[("start", "resumed"), ("session.id", "s1")]
        ),
        1
    );
    out = run(
        &mut t,
        &o,
        vec![
            Event::TurnStarted { turn: 3 },
            usage(800, None),
            usage(50, Some(ErrorKind::RateLimit)),
            Event::TurnFinished {
                reason: FinishReason::Stop,
            },
        ],
    );
    let by = |kind: &str| {
        total(
            &out,
            metric::TOKENS,
            &[("type", kind), ("model", "claude-x")],
        )
    };
    // The types add up to what was billed, once per request (the failed one too).
    assert_eq!(
        [
            by("input"),
            by("cacheRead"),
            by("cacheCreation"),
            by("output"),
            by("reasoning")
        ],
        [600, 1200, 200, 500, 100]
    );
    assert_eq!(
        total(
            &out,
            metric::REQUESTS,
            &[("gear", "plan"), ("provider", "anthropic")]
        ),
        2
    );
    assert_eq!(total(&out, metric::ERRORS, &[("error", "rate_limit")]), 1);
    let dollars: f64 = out
        .iter()
        .filter_map(|r| match r {
            Record::Dollars { value, .. } => Some(*value),
            _ => None,
        })
        .sum();
    assert!((dollars - 0.5).abs() < 1e-9);
    let request = events(&out, event::API_REQUEST);
    assert_eq!(request.len(), 1);
    assert_eq!(attr(request[0], "duration_ms").as_deref(), Some("800"));
    assert_eq!(
        attr(request[0], "cache_read_tokens").as_deref(),
        Some("600")
    );
    assert_eq!(
        attr(events(&out, event::API_ERROR)[0], "attempt").as_deref(),
        Some("2")
    );
    // The turn's span, and each request's inside it, begun `latency` before it ended.
    let Record::Open { id: turn, name, .. } = &out[0] else {
        panic!("{:?}", out[0]);
    };
    assert_eq!(*name, span::TURN);
    let request_span = out
        .iter()
        .find_map(|r| match r {
            Record::Open {
                name,
                parent,
                at: a,
                ..
            } if *name == span::API_REQUEST => Some((*parent, *a)),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        request_span,
        (Some(*turn), at(1000) - Duration::from_millis(800))
    );
    assert!(matches!(out.last(), Some(Record::Close { id, .. }) if id == turn));
}

#[test]
fn no_prompt_text_or_tool_argument_leaves_unless_opted_in() {
    let said = || {
        vec![
            Event::UserMessage {
                text: "fix the login bug".into(),
                attachments: Vec::new(),
            },
            Event::ToolCall {
                id: "c1".into(),
                name: "run_command".into(),
                arguments: r#"{"command":"cat secrets.txt"}"#.into(),
            },
            Event::CommandDecided {
                id: "c1".into(),
                command: "cat secrets.txt".into(),
                decision: CommandDecision::Once,
            },
            Event::ToolResult {
                id: "c1".into(),
                ok: true,
                content: "s3cr3t".into(),
                summary: "ran".into(),
                duration_ms: 12,
            },
        ]
    };
    let mut t = Translator::new(Options::default());
    started(&mut t, &origin("s"), true);
    let off = run(&mut t, &origin("s"), said());
    let text = format!("{off:?}");
    for secret in ["fix the login", "secrets.txt", "s3cr3t"] {
        assert!(!text.contains(secret), "{secret} left: {text}");
    }
    assert_eq!(
        attr(events(&off, event::USER_PROMPT)[0], "prompt_length").as_deref(),
        Some("17")
    );
    let mut t = Translator::new(Options {
        log_user_prompts: true,
        log_tool_details: true,
    });
    started(&mut t, &origin("s"), true);
    let on = run(&mut t, &origin("s"), said());
    assert_eq!(
        attr(events(&on, event::USER_PROMPT)[0], "prompt").as_deref(),
        Some("fix the login bug")
    );
    assert_eq!(
        attr(events(&on, event::TOOL_DECISION)[0], "command").as_deref(),
        Some("cat secrets.txt")
    );
    assert!(attr(events(&on, event::TOOL_RESULT)[0], "tool_parameters").is_some());
    // The content of a result never leaves.
    assert!(!format!("{on:?}").contains("s3cr3t"));
}

fn change(before: &str, after: &str) -> FileChange {
    FileChange {
        path: "src/lib.rs".into(),
        before: Some(before.into()),
        after: Some(after.into()),
        base_hash: None,
        renamed_from: None,
        created_dirs: Vec::new(),
        mode: None,
        special: None,
    }
}

#[test]
fn lines_are_counted_by_decision_and_writer() {
    let mut t = Translator::new(Options::default());
    started(&mut t, &origin("s"), true);
    let out = run(
        &mut t,
        &origin("s"),
        vec![
            Event::ToolCall {
                id: "w".into(),
                name: "write_file".into(),
                arguments: "{}".into(),
            },
            Event::FileChanged {
                id: "w".into(),
                change: change("a\n", "a\nb\nc\n"),
            },
            Event::ChangeUndone { id: "w".into() },
            Event::ToolCall {
                id: "r".into(),
                name: "run_command".into(),
                arguments: "{}".into(),
            },
            // A command's change set: four lines proposed, two taken.
            Event::ChangeProposed {
                id: "r#1".into(),
                change: change("x\n", "1\n2\n3\n4\nx\n"),
                context: 3,
                checkpoint: Some("checkpoint `migrations`: reviewed by a DBA".into()),
            },
            Event::HunkDecided {
                change: "r#1".into(),
                hunk: "h1".into(),
                verdict: Verdict::Accept,
            },
            Event::ChangeApplied {
                id: "r#1".into(),
                accepted: vec!["h1".into()],
                rejected: vec!["h2".into()],
                written: Some(change("x\n", "1\n2\nx\n")),
            },
        ],
    );
    let lines = |decision: &str, writer: &str| {
        total(
            &out,
            metric::LINES,
            &[
                ("type", "added"),
                ("decision", decision),
                ("writer", writer),
            ],
        )
    };
    assert_eq!(lines("applied", "file_tool"), 2);
    assert_eq!(lines("undone", "file_tool"), 2);
    assert_eq!(lines("accepted", "command"), 2);
    assert_eq!(lines("rejected", "command"), 2);
    assert_eq!(total(&out, metric::HUNKS, &[("decision", "accept")]), 1);
    assert_eq!(
        attr(events(&out, event::HUNK_DECISION)[0], "language").as_deref(),
        Some("rs")
    );
    assert_eq!(
        total(
            &out,
            metric::CHECKPOINTS,
            &[("rule", "migrations"), ("on", "change")]
        ),
        1
    );
    // The reason's words stay home.
    assert!(!format!("{out:?}").contains("DBA"));
}

#[test]
fn gates_count_who_decided_steps_sent_back_and_stages() {
    let mut t = Translator::new(Options::default());
    started(&mut t, &origin("s"), true);
    let step = |status| Event::StepStatusChanged {
        step: "2".into(),
        status,
        note: None,
    };
    let out = run(
        &mut t,
        &origin("s"),
        vec![
            Event::CommandApprovalRequested {
                id: "c".into(),
                command: "git push".into(),
                checkpoint: Some("checkpoint `pushes`".into()),
            },
            Event::CommandDecided {
                id: "c".into(),
                command: "git push".into(),
                decision: CommandDecision::Denied { reason: None },
            },
            Event::CommandDecided {
                id: "d".into(),
                command: "cargo test".into(),
                decision: CommandDecision::Allowed,
            },
            Event::CommandDecided {
                id: "e".into(),
                command: "npm test".into(),
                decision: CommandDecision::Skill {
                    skill: "tester".into(),
                },
            },
            Event::PlanEdited {
                edit: PlanEdit::Approve { step: "2".into() },
            },
            step(StepStatus::Approved),
            step(StepStatus::Running),
            step(StepStatus::AwaitingReview),
            step(StepStatus::Running),
            step(StepStatus::AwaitingReview),
            step(StepStatus::Done),
            Event::Stage {
                event: StageEvent::SentBack {
                    stage: "design".into(),
                    comments: "more tests".into(),
                },
            },
            Event::Stage {
                event: StageEvent::GatePassed {
                    stage: "design".into(),
                },
            },
            Event::Shipped {
                commit: "abc123".into(),
                message: "feat: x".into(),
            },
        ],
    );
    assert_eq!(
        total(
            &out,
            metric::CHECKPOINTS,
            &[("rule", "pushes"), ("on", "command")]
        ),
        1
    );
    assert_eq!(
        total(
            &out,
            metric::COMMANDS,
            &[("decision", "reject"), ("source", "user")]
        ),
        1
    );
    assert_eq!(
        total(
            &out,
            metric::COMMANDS,
            &[("decision", "accept"), ("source", "allowlist")]
        ),
        1
    );
    assert_eq!(total(&out, metric::COMMANDS, &[("source", "skill")]), 1);
    assert_eq!(
        attr(events(&out, event::TOOL_DECISION)[2], "skill").as_deref(),
        Some("tester")
    );
    for (outcome, n) in [("approved", 1), ("sent_back", 1), ("passed", 1)] {
        assert_eq!(
            total(&out, metric::STEPS, &[("outcome", outcome), ("step", "2")]),
            n,
            "{outcome}"
        );
    }
    assert_eq!(
        total(
            &out,
            metric::STAGES,
            &[("stage", "design"), ("outcome", "sent_back")]
        ),
        1
    );
    assert_eq!(
        total(
            &out,
            metric::STAGES,
            &[("stage", "design"), ("outcome", "passed")]
        ),
        1
    );
    assert_eq!(total(&out, metric::COMMITS, &[]), 1);
    assert!(!format!("{out:?}").contains("more tests"));
}

#[test]
fn a_subagents_turn_is_a_child_of_its_parents_turn_and_carries_its_name() {
    let mut t = Translator::new(Options::default());
    let parent = origin("p");
    let child = Origin {
        session: "c".into(),
        agent: Some("explorer".into()),
        parent: Some("p".into()),
    };
    let opened = t.event(&parent, &Event::TurnStarted { turn: 1 }, at(0));
    let Record::Open { id: turn, .. } = opened[0] else {
        panic!()
    };
    let sub = t.event(&child, &Event::TurnStarted { turn: 1 }, at(5));
    let Record::Open {
        parent: p,
        name,
        attrs,
        ..
    } = &sub[0]
    else {
        panic!()
    };
    assert_eq!((*p, *name), (Some(turn), span::SUBAGENT));
    assert_eq!(attr(attrs, "agent").as_deref(), Some("explorer"));
    let spent = t.event(&child, &usage(10, None), at(6));
    assert_eq!(
        total(
            &spent,
            metric::TOKENS,
            &[("agent", "explorer"), ("session.id", "c")]
        ),
        1300
    );
}

#[test]
fn a_compaction_and_a_fallback_are_counted_and_said() {
    let mut t = Translator::new(Options::default());
    let out = run(
        &mut t,
        &origin("s"),
        vec![
            Event::Compacted {
                through: 12,
                summary: "SUMMARY-TEXT".into(),
                before: 90_000,
                after: 12_000,
            },
            Event::ModelFellBack {
                from: "one/m1".into(),
                to: "two/m2".into(),
                reason: "provider error 529: {\"echo\":\"PROXY-BODY\"}".into(),
            },
        ],
    );
    assert_eq!(total(&out, metric::COMPACTIONS, &[]), 1);
    let compaction = events(&out, event::COMPACTION);
    assert_eq!(
        attr(compaction[0], "tokens_before").as_deref(),
        Some("90000")
    );
    assert_eq!(
        attr(compaction[0], "tokens_after").as_deref(),
        Some("12000")
    );
    assert!(!format!("{out:?}").contains("SUMMARY-TEXT"));
    assert_eq!(
        total(
            &out,
            metric::FALLBACKS,
            &[("from", "one/m1"), ("to", "two/m2")]
        ),
        1
    );
    assert_eq!(events(&out, event::FALLBACK).len(), 1);
    // Why it fell back is the provider's words: never sent.
    assert!(!format!("{out:?}").contains("PROXY-BODY"));
}

#[test]
fn a_tool_name_the_model_made_up_is_never_sent_and_mcp_tools_go_by_their_server() {
    let call = |id: &str, name: &str| Event::ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: "{}".into(),
    };
    let status = Event::McpStatus {
        servers: vec![gearshift_protocol::mcp::ServerStatus {
            name: "docs".into(),
            how: "stdio: docs-server".into(),
            state: gearshift_protocol::mcp::ServerState::Disabled,
        }],
    };
    for details in [false, true] {
        let mut t = Translator::new(Options {
            log_user_prompts: false,
            log_tool_details: details,
        });
        // A subagent's registry holds its MCP tools' names; a parent's learns its servers.
        t.started(
            &origin("s"),
            &Started {
                gear: Gear::Vibe,
                provider: "p".into(),
                model: "m".into(),
                resumed: false,
                interactive: true,
                tools: ["write_file", "mcp__docs__search"]
                    .map(String::from)
                    .to_vec(),
            },
        );
        let out = run(
            &mut t,
            &origin("s"),
            vec![
                status.clone(),
                call("a", "AKIA-READ-FROM-A-FILE"),
                call("b", "mcp__docs__search"),
                call("c", "mcp__made__AKIA-UP"),
                call("d", "write_file"),
                call("e", "mcp__docs__AKIA-MADE-UP"),
            ],
        );
        let names: Vec<String> = out
            .iter()
            .filter_map(|r| match r {
                Record::Open { attrs, .. } => attr(attrs, "tool_name"),
                _ => None,
            })
            .collect();
        let mcp = if details {
            "mcp__docs__search"
        } else {
            "mcp__docs"
        };
        assert_eq!(
            names,
            ["unknown", mcp, "unknown", "write_file", "mcp__docs"]
        );
        assert!(!format!("{out:?}").contains("AKIA"));
    }
}

#[test]
fn headless_decisions_say_so_and_a_subagents_prompt_and_worktree_lines_are_not_counted() {
    let mut t = Translator::new(Options {
        log_user_prompts: true,
        log_tool_details: false,
    });
    let o = origin("s");
    started(&mut t, &o, false);
    let out = run(
        &mut t,
        &o,
        vec![
            Event::HunkDecided {
                change: "x".into(),
                hunk: "h".into(),
                verdict: Verdict::Reject,
            },
            Event::CommandDecided {
                id: "c".into(),
                command: "rm -rf /".into(),
                decision: CommandDecision::Denied { reason: None },
            },
        ],
    );
    assert_eq!(total(&out, metric::HUNKS, &[("source", "headless")]), 1);
    assert_eq!(
        total(
            &out,
            metric::COMMANDS,
            &[("decision", "reject"), ("source", "headless")]
        ),
        1
    );

    let child = Origin {
        session: "c".into(),
        agent: Some("writer".into()),
        parent: Some("s".into()),
    };
    started(&mut t, &child, false);
    let out = run(
        &mut t,
        &child,
        vec![
            Event::UserMessage {
                text: "THE PARENT MODEL'S WORDS".into(),
                attachments: Vec::new(),
            },
            Event::TurnStarted { turn: 1 },
            Event::ToolCall {
                id: "w".into(),
                name: "write_file".into(),
                arguments: "{}".into(),
            },
            Event::FileChanged {
                id: "w".into(),
                change: change("", "a\nb\n"),
            },
            Event::HunkDecided {
                change: "w".into(),
                hunk: "h".into(),
                verdict: Verdict::Reject,
            },
            Event::TurnFinished {
                reason: FinishReason::Stop,
            },
        ],
    );
    assert!(events(&out, event::USER_PROMPT).is_empty());
    // Its own hunks are its rules', never counted as anyone's decisions.
    assert_eq!(total(&out, metric::HUNKS, &[]), 0);
    assert_eq!(
        total(&out, metric::LINES, &[]),
        0,
        "counted when it comes back"
    );
    // Its session is forgotten once its one turn ended.
    assert!(!t.sessions.contains_key("c"));
}

#[test]
fn a_subagents_commands_are_decided_by_whoever_answers_its_parent() {
    let mut t = Translator::new(Options::default());
    started(&mut t, &origin("p"), true);
    let child = Origin {
        session: "c".into(),
        agent: Some("tester".into()),
        parent: Some("p".into()),
    };
    // Subagents run non-interactive; their questions reach the human through the parent.
    started(&mut t, &child, false);
    let out = t.event(
        &child,
        &Event::CommandDecided {
            id: "x".into(),
            command: "git push".into(),
            decision: CommandDecision::Denied { reason: None },
        },
        at(0),
    );
    assert_eq!(
        total(
            &out,
            metric::COMMANDS,
            &[("source", "user"), ("agent", "tester")]
        ),
        1
    );
}
