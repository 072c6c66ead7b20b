//! Steering a running turn through the real session actor: a prompt sent while the model
//! works is delivered at the next round boundary of that turn (after the tool results,
//! before the next request), and one taken back before then is never sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::{Event, Op};
use gearshift::provider::ChatMessage;
use support::session::{script_provider, start};

#[tokio::test]
async fn a_prompt_sent_while_the_model_works_steers_the_running_turn() {
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "run_command", arguments = { command = "echo one" } }]

[[turns]]
text = "Checked b as well."
"#;
    let p = script_provider(ws.path(), script);
    let mut s = start(&p, ws.path()).await;
    s.submit("check a");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    let Some(Event::CommandApprovalRequested { id, .. }) = seen.last().cloned() else {
        unreachable!()
    };
    // While the model waits on the approval: one prompt taken back, one left to steer.
    s.submit("wrong idea");
    s.send(Op::Unqueue);
    let back = s.until(|e| matches!(e, Event::Unqueued { .. })).await;
    assert!(matches!(back.last(), Some(Event::Unqueued { text }) if text == "wrong idea"));
    s.submit("also check b");
    s.send(Op::ApproveCommand {
        call_id: id,
        always: false,
    });
    s.turn().await;
    let stored = s.stored().await;
    let turns = stored
        .iter()
        .filter(|e| matches!(e, Event::TurnFinished { .. }))
        .count();
    assert_eq!(turns, 1, "delivered inside the running turn, not after it");
    let state = gearshift::core::SessionState::fold(&stored);
    let users: Vec<(usize, &str)> = state
        .conversation
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match &**m {
            ChatMessage::User { text } => Some((i, text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        users.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
        ["check a", "also check b"]
    );
    // After the command's result, before the reply that followed it.
    let steer = users[1].0;
    assert!(matches!(
        *state.conversation[steer - 1],
        ChatMessage::ToolResult { .. }
    ));
    assert!(matches!(
        &*state.conversation[steer + 1],
        ChatMessage::Assistant { text, .. } if text == "Checked b as well."
    ));
}
