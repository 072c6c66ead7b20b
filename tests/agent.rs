//! The agent loop through the real session actor: tools on a real workspace in a temp dir,
//! the scripted provider standing in for the model, and every event checked in the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gearshift::core::{ApprovalMode, SessionState};
use gearshift::protocol::{CommandDecision, ErrorKind, Event, FinishReason, Gear, Op};
use gearshift::provider::ChatMessage;
use support::session::{Session, script_provider, start_with};

async fn session(ws: &std::path::Path, script: &str, mode: ApprovalMode, config: &str) -> Session {
    let p = script_provider(ws, script);
    start_with(&p, ws, mode, config).await
}

fn results(events: &[Event]) -> Vec<(bool, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .collect()
}

fn finish(events: &[Event]) -> FinishReason {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::TurnFinished { reason } => Some(*reason),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn the_model_reads_writes_and_the_loop_runs_to_the_final_reply() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), "alpha\n").unwrap();
    let script = r#"
[[turns]]
text = "Let me look."
tool_calls = [{ name = "read_file", arguments = { path = "notes.txt" } }]

[[turns]]
text = "Writing."
tool_calls = [{ name = "write_file", arguments = { path = "out/hello.txt", content = "hello\n" } }]

[[turns]]
text = "Done: wrote out/hello.txt."
"#;
    let mut s = session(ws.path(), script, ApprovalMode::Ask, "").await;
    s.submit("make hello");
    let seen = s.turn().await;
    assert_eq!(finish(&seen), FinishReason::Stop);
    let r = results(&seen);
    assert_eq!(r.len(), 2);
    assert!(r[0].0 && r[0].1.contains("alpha"), "{r:?}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("out/hello.txt")).unwrap(),
        "hello\n"
    );
    let stored = s.stored().await;
    let change = stored.iter().find_map(|e| match e {
        Event::FileChanged { change, .. } => Some(change.clone()),
        _ => None,
    });
    let change = change.unwrap();
    assert_eq!(change.path, "out/hello.txt");
    assert_eq!(
        (change.before, change.after.as_deref()),
        (None, Some("hello\n"))
    );
    assert!(stored.contains(&Event::AssistantMessage {
        text: "Done: wrote out/hello.txt.".into(),
        interrupted: false
    }));
    // One turn, three rounds.
    assert_eq!(
        stored.iter().filter(|e| e.kind() == "turn_started").count(),
        1
    );
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.kind() == "assistant_message")
            .count(),
        3
    );

    // Resuming rebuilds exactly this conversation, tool results included.
    let state = SessionState::fold(&stored);
    let shape: Vec<&str> = state
        .conversation
        .iter()
        .map(|m| match &**m {
            ChatMessage::User { .. } => "user",
            ChatMessage::Assistant { tool_calls, .. } if tool_calls.is_empty() => "assistant",
            ChatMessage::Assistant { .. } => "assistant+tools",
            ChatMessage::ToolResult { .. } => "result",
        })
        .collect();
    assert_eq!(
        shape,
        [
            "user",
            "assistant+tools",
            "result",
            "assistant+tools",
            "result",
            "assistant"
        ]
    );
}

#[tokio::test]
async fn a_tool_error_becomes_a_result_and_the_turn_goes_on() {
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [
  { name = "read_file", arguments = { path = "../../etc/passwd" } },
  { name = "edit_file", arguments = { path = "missing.rs", old_text = "a", new_text = "b" } },
  { name = "read_file", arguments = "not an object" },
]

[[turns]]
text = "I could not read those."
"#;
    let mut s = session(ws.path(), script, ApprovalMode::Ask, "").await;
    s.submit("read it");
    let seen = s.turn().await;
    let r = results(&seen);
    assert_eq!(r.len(), 3);
    assert!(!r[0].0 && r[0].1.starts_with("refused:"), "{r:?}");
    assert!(!r[1].0 && r[1].1.contains("does not exist"), "{r:?}");
    assert!(!r[2].0 && r[2].1.contains("invalid arguments"), "{r:?}");
    assert_eq!(finish(&seen), FinishReason::Stop);
    assert!(seen.contains(&Event::AssistantMessage {
        text: "I could not read those.".into(),
        interrupted: false
    }));
}

#[tokio::test]
async fn the_tool_round_cap_stops_a_looping_model() {
    let ws = tempfile::tempdir().unwrap();
    let turn = "[[turns]]\ntool_calls = [{ name = \"list_dir\", arguments = {} }]\n\n";
    let script = turn.repeat(5);
    let mut s = session(
        ws.path(),
        &script,
        ApprovalMode::Ask,
        "[agent]\nmax_tool_rounds = 2\n",
    )
    .await;
    s.submit("loop forever");
    let seen = s.turn().await;
    assert_eq!(finish(&seen), FinishReason::Error);
    let r = results(&seen);
    assert_eq!(r.len(), 2, "round 1 ran, round 2's call was not run: {r:?}");
    assert!(r[0].0);
    assert!(!r[1].0 && r[1].1.contains("round limit"));
    let error = seen.iter().find_map(|e| match e {
        Event::Error { kind, message } => Some((*kind, message.clone())),
        _ => None,
    });
    let (kind, message) = error.unwrap();
    assert_eq!(kind, ErrorKind::Tool);
    assert!(message.contains("max_tool_rounds"), "{message}");
    // The conversation stays valid for the next prompt: every call has a result.
    assert!(
        SessionState::fold(&s.stored().await)
            .unanswered_calls()
            .is_empty()
    );
}

#[tokio::test]
async fn commands_wait_for_approval_and_always_is_remembered() {
    let ws = tempfile::tempdir().unwrap();
    let call = "[[turns]]\ntool_calls = [{ name = \"run_command\", arguments = { command = \"echo approved-run\" } }]\n\n[[turns]]\ntext = \"ok\"\n\n";
    let mut s = session(ws.path(), &call.repeat(2), ApprovalMode::Ask, "").await;
    s.submit("run it");
    let id = loop {
        match s.events.recv().await.unwrap() {
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint: None,
            } => {
                assert_eq!(command, "echo approved-run");
                break id;
            }
            Event::ToolResult { .. } => panic!("ran before approval"),
            _ => {}
        }
    };
    s.ops
        .send(Op::ApproveCommand {
            call_id: id.clone(),
            always: true,
        })
        .unwrap();
    let seen = s.turn().await;
    assert!(seen.contains(&Event::CommandDecided {
        id,
        command: "echo approved-run".into(),
        decision: CommandDecision::Always
    }));
    let r = results(&seen);
    assert!(
        r[0].0 && r[0].1.contains("approved-run\n[exit code 0]"),
        "{r:?}"
    );

    // The same command again: allowed without asking.
    s.submit("again");
    let seen = s.turn().await;
    assert!(
        !seen
            .iter()
            .any(|e| e.kind() == "command_approval_requested")
    );
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::CommandDecided {
            decision: CommandDecision::Allowed,
            ..
        }
    )));
}

#[tokio::test]
async fn a_denial_with_a_reason_goes_to_the_model() {
    let ws = tempfile::tempdir().unwrap();
    let script = "[[turns]]\ntool_calls = [{ name = \"run_command\", arguments = { command = \"rm -rf build\" } }]\n\n[[turns]]\ntext = \"understood\"\n";
    let mut s = session(ws.path(), script, ApprovalMode::Ask, "").await;
    s.submit("clean");
    let id = loop {
        if let Event::CommandApprovalRequested { id, .. } = s.events.recv().await.unwrap() {
            break id;
        }
    };
    s.ops
        .send(Op::DenyCommand {
            call_id: id,
            reason: Some("use cargo clean instead".into()),
        })
        .unwrap();
    let seen = s.turn().await;
    let r = results(&seen);
    assert!(!r[0].0);
    assert!(r[0].1.contains("use cargo clean instead"), "{r:?}");
    assert_eq!(finish(&seen), FinishReason::Stop);
}

#[tokio::test]
async fn allow_commands_from_config_and_headless_modes() {
    let ws = tempfile::tempdir().unwrap();
    let script = "[[turns]]\ntool_calls = [{ name = \"run_command\", arguments = { command = \"echo from-config\" } }]\n\n[[turns]]\ntext = \"ok\"\n";
    let config = "[approvals]\nallow_commands = [\"echo from-*\"]\n";
    let mut s = session(ws.path(), script, ApprovalMode::Ask, config).await;
    s.submit("go");
    let seen = s.turn().await;
    assert!(results(&seen)[0].0);

    let mut s = session(ws.path(), script, ApprovalMode::Deny, "").await;
    s.submit("go");
    let seen = s.turn().await;
    let r = results(&seen);
    assert!(!r[0].0 && r[0].1.contains("--approve-commands"), "{r:?}");

    let mut s = session(ws.path(), script, ApprovalMode::Approve, "").await;
    s.submit("go");
    let seen = s.turn().await;
    assert!(results(&seen)[0].1.contains("from-config"));
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::CommandDecided {
            decision: CommandDecision::Headless,
            ..
        }
    )));
}

#[tokio::test]
async fn cancel_mid_tool_kills_the_command_and_closes_the_turn() {
    let ws = tempfile::tempdir().unwrap();
    let marker = ws.path().join("finished");
    let script = format!(
        "[[turns]]\ntool_calls = [{{ name = \"run_command\", arguments = {{ command = \"sleep 5; touch {}\" }} }}]\n",
        marker.display()
    );
    let mut s = session(ws.path(), &script, ApprovalMode::Approve, "").await;
    s.submit("slow");
    loop {
        if let Event::CommandDecided { .. } = s.events.recv().await.unwrap() {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = s.cancel_within(Duration::from_secs(1)).await;
    assert_eq!(finish(&seen), FinishReason::Cancelled);
    assert_eq!(
        results(&seen),
        [(false, "cancelled by the user".to_string())]
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(!marker.exists(), "the command was killed, not left running");
}

#[tokio::test]
async fn the_plan_gear_refuses_write_tools_even_if_the_model_calls_them() {
    let ws = tempfile::tempdir().unwrap();
    let script = "[[turns]]\ntool_calls = [{ name = \"write_file\", arguments = { path = \"x.txt\", content = \"no\" } }]\n\n[[turns]]\ntext = \"ok\"\n";
    let mut s = session(ws.path(), script, ApprovalMode::Approve, "").await;
    s.ops.send(Op::SetGear { gear: Gear::Plan }).unwrap();
    s.submit("write");
    let seen = s.turn().await;
    let r = results(&seen);
    assert!(
        !r[0].0 && r[0].1.contains("not available in the plan gear"),
        "{r:?}"
    );
    assert!(!ws.path().join("x.txt").exists());
}

#[tokio::test]
async fn a_streaming_reply_is_checkpointed_every_two_seconds() {
    let chunks: Vec<String> = ["one ", "two ", "three ", "four "]
        .iter()
        .map(|w| {
            format!(
                r#"{{"choices":[{{"index":0,"delta":{{"content":"{w}"}},"finish_reason":null}}]}}"#
            )
        })
        .collect();
    let server =
        support::stall_server::start(chunks, Duration::from_millis(800), Duration::from_secs(20))
            .await;
    let p = support::session::provider(
        &format!(
            "[providers.t]\nbase_url = \"{}/v1\"\napi_key_env = \"K\"\nmodel = \"m\"\n",
            server.url
        ),
        "t",
    );
    let ws = tempfile::tempdir().unwrap();
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("stream slowly");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let stored = s.stored().await;
    let checkpoint = stored.iter().find_map(|e| match e {
        Event::AssistantCheckpoint { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert!(
        checkpoint
            .as_deref()
            .is_some_and(|t| t.starts_with("one two three")),
        "{checkpoint:?}"
    );
    // Were the process to die now, a resume would see the saved text.
    let state = SessionState::fold(&stored);
    assert!(matches!(
        state.conversation.last().map(|m| &**m),
        Some(ChatMessage::Assistant { text, .. }) if text.starts_with("one two three")
    ));
    s.ops.send(Op::Cancel).unwrap();
    s.turn().await;
}

#[tokio::test]
async fn a_command_waiting_for_approval_waits_again_after_a_restart() {
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "run_command", arguments = { command = "echo approved-later" } }]

[[turns]]
text = "It ran."
"#;
    let p = script_provider(ws.path(), script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("run it");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    let Some(Event::CommandApprovalRequested { id, .. }) = seen.last().cloned() else {
        unreachable!()
    };

    // Quit with the question open, and start again: it is asked again, not cancelled.
    let mut s = support::session::resume(s, &p, ws.path(), "").await;
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    assert!(matches!(
        seen.last(),
        Some(Event::CommandApprovalRequested { id: again, command, checkpoint: None }) if *again == id && command == "echo approved-later"
    ));
    let stored = s.stored().await;
    assert!(
        !stored
            .iter()
            .any(|e| matches!(e, Event::CommandDecided { .. } | Event::ToolResult { .. })),
        "nothing decided the call while the process was away: {stored:#?}"
    );

    s.send(Op::ApproveCommand {
        call_id: id.clone(),
        always: false,
    });
    let seen = s.until(|e| matches!(e, Event::TurnFinished { .. })).await;
    let r = results(&seen);
    assert_eq!(r.len(), 1, "{seen:#?}");
    assert!(r[0].0 && r[0].1.contains("approved-later"), "{r:?}");
    assert!(seen.contains(&Event::AssistantMessage {
        text: "It ran.".into(),
        interrupted: false
    }));
    // Every call has exactly one result: the next request was valid.
    let state = SessionState::fold(&s.stored().await);
    let answered = state
        .conversation
        .iter()
        .filter(|m| matches!(&***m, ChatMessage::ToolResult { call_id, .. } if *call_id == id))
        .count();
    assert_eq!(answered, 1);
}
