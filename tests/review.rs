//! Hunk review through the real session actor: a scripted model proposes edits, ops decide
//! them, and the files in a temp workspace and the events in the store are checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::{ApprovalMode, SessionState};
use gearshift::protocol::{Event, Op, Verdict};
use support::session::{Session, resume, script_provider, start_with};

const REVIEW: &str = "[review]\nvibe = \"review\"\ncontext_lines = 1\n";

fn original() -> String {
    (1..=12).map(|i| format!("line {i}\n")).collect()
}

/// The model rewrites the file with two separate edits (two hunks), then says it is done.
fn script() -> String {
    let after = original()
        .replace("line 2\n", "line two\n")
        .replace("line 11\n", "line eleven\n");
    format!(
        r#"
[[turns]]
text = "Editing."
tool_calls = [{{ name = "write_file", arguments = {{ path = "notes.txt", content = {after:?} }} }}]

[[turns]]
text = "Thanks for the review."
"#
    )
}

fn decide(s: &Session, change: &str, hunk: &str, verdict: Verdict) {
    s.send(Op::DecideHunk {
        change: change.into(),
        hunk: hunk.into(),
        verdict,
    });
}

fn read(ws: &std::path::Path) -> String {
    std::fs::read_to_string(ws.join("notes.txt")).unwrap()
}

#[tokio::test]
async fn a_proposal_waits_and_only_accepted_hunks_reach_the_disk() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
    let p = script_provider(ws.path(), &script());
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, REVIEW).await;
    s.submit("edit the notes");
    let (change, hunks) = s.next_proposal().await;
    assert_eq!(hunks.len(), 2);
    assert_eq!(
        read(ws.path()),
        original(),
        "nothing is written before a decision"
    );

    // Submitting with a hunk undecided is refused, and nothing is recorded.
    decide(&s, &change, &hunks[0], Verdict::Reject);
    s.send(Op::SubmitReview {
        change: change.clone(),
    });
    let seen = s.until(|e| matches!(e, Event::Refused { .. })).await;
    let Some(Event::Refused { message, .. }) = seen.last() else {
        unreachable!()
    };
    assert!(message.contains("undecided"), "{message}");
    assert_eq!(read(ws.path()), original());

    decide(&s, &change, &hunks[1], Verdict::Accept);
    s.send(Op::CommentHunk {
        change: change.clone(),
        hunk: hunks[1].clone(),
        comment: "keep numbers as words".into(),
    });
    // A decision for a hunk that does not exist is ignored.
    decide(&s, &change, "nope", Verdict::Accept);
    s.send(Op::SubmitReview {
        change: change.clone(),
    });
    let seen = s.turn().await;
    let on_disk = read(ws.path());
    assert!(on_disk.contains("line 2\n"), "rejected hunk not applied");
    assert!(on_disk.contains("line eleven\n"), "accepted hunk applied");

    let result = support::session::first_result(&seen).unwrap();
    assert!(result.contains("1 of 2 hunks accepted"), "{result}");
    assert!(result.contains("rejected"), "{result}");
    assert!(
        result.contains("Comment: keep numbers as words"),
        "{result}"
    );

    let stored = s.stored().await;
    let decided: Vec<(String, Verdict)> = stored
        .iter()
        .filter_map(|e| match e {
            Event::HunkDecided { hunk, verdict, .. } => Some((hunk.clone(), verdict.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        decided,
        vec![
            (hunks[0].clone(), Verdict::Reject),
            (hunks[1].clone(), Verdict::Accept)
        ]
    );
    assert!(stored.iter().any(
        |e| matches!(e, Event::HunkCommented { comment, .. } if comment == "keep numbers as words")
    ));
    assert!(stored.iter().any(
        |e| matches!(e, Event::ChangeApplied { accepted, rejected, written: Some(_), .. } if accepted.len() == 1 && rejected.len() == 1)
    ));
    // The model's next request carried the review as the tool's result.
    let state = SessionState::fold(&stored);
    assert!(state.conversation.iter().any(|m| matches!(
        &**m,
        gearshift::provider::ChatMessage::ToolResult { content, .. } if content.contains("keep numbers as words")
    )));

    // Undo restores the file, once; a second undo has nothing to undo.
    s.send(Op::Undo);
    s.until(|e| matches!(e, Event::ChangeUndone { .. })).await;
    assert_eq!(read(ws.path()), original());
    s.send(Op::Undo);
    let seen = s.until(|e| matches!(e, Event::Refused { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::Refused { message, .. }) if message.contains("nothing to undo"))
    );
}

#[tokio::test]
async fn a_file_changed_on_disk_is_a_conflict_and_is_sent_back() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
    let p = script_provider(ws.path(), &script());
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, REVIEW).await;
    s.submit("edit the notes");
    let (change, hunks) = s.next_proposal().await;
    for h in &hunks {
        decide(&s, &change, h, Verdict::Accept);
    }
    std::fs::write(ws.path().join("notes.txt"), "someone else wrote this\n").unwrap();
    s.send(Op::SubmitReview {
        change: change.clone(),
    });
    let seen = s
        .until(|e| matches!(e, Event::ChangeConflicted { .. }))
        .await;
    assert!(
        matches!(seen.last(), Some(Event::ChangeConflicted { on_disk: Some(d), .. }) if d == "someone else wrote this\n")
    );
    assert_eq!(read(ws.path()), "someone else wrote this\n");

    s.send(Op::Repropose {
        change: change.clone(),
    });
    let seen = s.turn().await;
    let result = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .unwrap();
    assert!(!result.0);
    assert!(result.1.contains("changed on disk"), "{}", result.1);
    assert_eq!(read(ws.path()), "someone else wrote this\n");
    assert!(
        s.stored()
            .await
            .iter()
            .any(|e| matches!(e, Event::ChangeWithdrawn { .. }))
    );
}

#[tokio::test]
async fn undo_refuses_when_the_file_changed_after_it_was_applied() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
    let p = script_provider(ws.path(), &script());
    // The vibe gear's default: written at once.
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("edit the notes");
    s.turn().await;
    assert!(read(ws.path()).contains("line two"));
    std::fs::write(ws.path().join("notes.txt"), "edited by hand\n").unwrap();
    s.send(Op::Undo);
    let seen = s.until(|e| matches!(e, Event::Refused { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::Refused { message, .. }) if message.contains("changed after it was applied"))
    );
    assert_eq!(read(ws.path()), "edited by hand\n");
    assert!(
        !s.stored()
            .await
            .iter()
            .any(|e| matches!(e, Event::ChangeUndone { .. }))
    );
}

#[tokio::test]
async fn headless_review_accepts_or_rejects_every_hunk() {
    for (mode, expect_written) in [(ApprovalMode::Approve, true), (ApprovalMode::Deny, false)] {
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
        let p = script_provider(ws.path(), &script());
        let mut s = start_with(&p, ws.path(), mode, REVIEW).await;
        s.submit("edit the notes");
        s.turn().await;
        assert_eq!(
            read(ws.path()).contains("line two"),
            expect_written,
            "{mode:?}"
        );
        let stored = s.stored().await;
        assert_eq!(
            stored.iter().filter(|e| e.kind() == "hunk_decided").count(),
            2
        );
    }
}

#[tokio::test]
async fn a_review_survives_a_restart_and_the_turn_continues() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
    let p = script_provider(ws.path(), &script());
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, REVIEW).await;
    s.submit("edit the notes");
    let (change, hunks) = s.next_proposal().await;
    decide(&s, &change, &hunks[0], Verdict::Accept);
    s.until(|e| matches!(e, Event::HunkDecided { .. })).await;

    let mut s = resume(s, &p, ws.path(), REVIEW).await;
    // A prompt sent while the review waits is queued behind it.
    s.submit("and then?");
    decide(&s, &change, &hunks[1], Verdict::Reject);
    s.send(Op::SubmitReview {
        change: change.clone(),
    });
    let seen = s.turn().await;
    assert!(seen.iter().any(
        |e| matches!(e, Event::AssistantMessage { text, .. } if text == "Thanks for the review.")
    ));
    let on_disk = read(ws.path());
    assert!(
        on_disk.contains("line two") && on_disk.contains("line 11\n"),
        "{on_disk}\n{:#?}",
        s.stored().await
    );
    // Then the queued prompt runs.
    s.turn().await;
    let state = SessionState::fold(&s.stored().await);
    let results = state
        .conversation
        .iter()
        .filter(|m| matches!(&***m, gearshift::provider::ChatMessage::ToolResult { .. }))
        .count();
    assert_eq!(results, 1, "the review answers the call once");
}

/// The user-side messages of the conversation after the first reply, as the model reads them.
fn told(stored: &[Event]) -> Vec<String> {
    SessionState::fold(stored)
        .conversation
        .iter()
        .filter_map(|m| match &**m {
            gearshift::provider::ChatMessage::User { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_undo_and_a_hand_edit_reach_the_model_at_its_next_request() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), original()).unwrap();
    let script = format!(
        "{}\n[[turns]]\ntext = \"Noted.\"\n\n[[turns]]\ntext = \"Seen.\"\n",
        script()
    );
    let p = script_provider(ws.path(), &script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("edit the notes");
    s.turn().await;
    assert!(read(ws.path()).contains("line two"));

    // Undo: the model's history still says its edit is there until it is told.
    s.send(Op::Undo);
    s.until(|e| matches!(e, Event::ChangeUndone { .. })).await;
    s.submit("what now?");
    s.turn().await;
    let said = told(&s.stored().await);
    assert_eq!(said[1], "what now?");
    assert!(
        said[2].contains("notes.txt: the user undid your change; it is back as it was"),
        "{said:?}"
    );

    // A hand edit: told with its diff against what the model knows (the undone original).
    std::fs::write(
        ws.path().join("notes.txt"),
        original().replace("line 6\n", "line six, by hand\n"),
    )
    .unwrap();
    s.submit("and now?");
    s.turn().await;
    let stored = s.stored().await;
    let said = told(&stored);
    assert_eq!(
        said.len(),
        5,
        "told once per change, not per request: {said:?}"
    );
    assert!(
        said[4].contains("notes.txt: edited since you wrote it"),
        "{said:?}"
    );
    assert!(
        said[4].contains("-line 6\n+line six, by hand"),
        "{}",
        said[4]
    );
    // The model replied after being told, so the note was in its request.
    let state = SessionState::fold(&stored);
    assert!(matches!(
        state.conversation.last().map(|m| &**m),
        Some(gearshift::provider::ChatMessage::Assistant { text, .. }) if text == "Seen."
    ));
    assert_eq!(
        stored
            .iter()
            .filter(|e| matches!(e, Event::FilesSeen { .. }))
            .count(),
        2
    );
}
