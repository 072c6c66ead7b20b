//! Plan steps the plan marks independent run at the same time, each by a worker in a git
//! worktree of its own, through the real session actor, store and git: their changes come
//! back in plan order, each to its own gate, merged onto what the human accepted before; a
//! pair that changed the same lines comes back as a conflict for the human, never resolved;
//! the worktrees and their branches are gone afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;

use gearshift::core::ApprovalMode;
use gearshift::plan::StepStatus;
use gearshift::protocol::{Event, Op, PlanEdit, Verdict};
use gearshift::store::Reader;
use support::session::{script_provider, start_with};

/// `git` in `dir`, which must succeed: its output.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository made by `git clone` of one holding `files`, committed.
fn cloned_repo(files: &[(&str, &str)]) -> (tempfile::TempDir, tempfile::TempDir) {
    let origin = tempfile::tempdir().unwrap();
    git(origin.path(), &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        std::fs::write(origin.path().join(path), text).unwrap();
    }
    git(origin.path(), &["add", "-A"]);
    git(origin.path(), &["commit", "-q", "-m", "start"]);
    let ws = tempfile::tempdir().unwrap();
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(origin.path())
        .arg(ws.path().join("repo"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (origin, ws)
}

/// A plan of two independent steps, each a worker writing `path` with `text` (the worker's
/// second request answers with its summary).
fn two_steps(first: (&str, &str), second: (&str, &str)) -> String {
    let scene = |n: u32, title: &str, (path, text): (&str, &str)| {
        format!(
            r#"
[[scenes]]
when = "Run step {n} of the approved plan: {title}"
[[scenes.turns]]
tool_calls = [{{ name = "write_file", arguments = {{ path = "{path}", content = "{text}" }} }}]
[[scenes.turns]]
text = "{title}: done"
"#
        )
    };
    format!(
        r#"
[[turns]]
tool_calls = [{{ name = "propose_plan", arguments = {{ steps = [
  {{ title = "First change", independent = true }},
  {{ title = "Second change", independent = true }},
] }} }}]
{}{}"#,
        scene(1, "First change", first),
        scene(2, "Second change", second)
    )
}

fn status_of(e: &Event) -> Option<(&str, StepStatus)> {
    match e {
        Event::StepStatusChanged { step, status, .. } => Some((step, *status)),
        _ => None,
    }
}

/// Runs the plan to its first merge: the plan proposed, approved whole, and the run key
/// pressed; returns the session and what it said until the first change came back.
async fn worked(
    ws: &Path,
    script: &str,
) -> (support::session::Session, Vec<Event>, (String, Vec<String>)) {
    let p = script_provider(ws, script);
    let config = "[review]\nmemory_step = false\n";
    let mut s = start_with(&p, ws, ApprovalMode::Ask, config).await;
    s.send(Op::SetGear {
        gear: gearshift::protocol::Gear::Plan,
    });
    s.submit("make both changes");
    s.turn().await;
    s.send(Op::EditPlan {
        edit: PlanEdit::ApproveAll,
    });
    s.send(Op::Go { all: false });
    let seen = s.until(|e| matches!(e, Event::ChangeProposed { .. })).await;
    let mut log = gearshift::changes::review::ChangeLog::default();
    log.apply(seen.last().unwrap());
    let entry = &log.entries[0];
    let proposal = (
        entry.id.clone(),
        entry.hunks.iter().map(|h| h.id.clone()).collect(),
    );
    (s, seen, proposal)
}

#[tokio::test]
async fn two_independent_steps_work_in_worktrees_and_come_back_in_plan_order() {
    let (_origin, ws) = cloned_repo(&[("alpha.txt", "a\n"), ("beta.txt", "b\n")]);
    let repo = ws.path().join("repo");
    let script = two_steps(("alpha.txt", "ALPHA\\n"), ("beta.txt", "BETA\\n"));
    let (mut s, seen, (change, hunks)) = worked(&repo, &script).await;
    // Both were at work before either was done: they ran at the same time.
    let statuses: Vec<(&str, StepStatus)> = seen.iter().filter_map(status_of).collect();
    let working = statuses
        .iter()
        .filter(|(_, st)| *st == StepStatus::Working)
        .count();
    let first_worked = statuses
        .iter()
        .position(|(_, st)| *st == StepStatus::Worked)
        .unwrap();
    assert_eq!(working, 2, "{statuses:?}");
    assert!(
        statuses[..first_worked]
            .iter()
            .filter(|(_, st)| *st == StepStatus::Working)
            .count()
            == 2
    );
    // The first step's change comes first, and nothing is on disk before the human decides.
    let Some(Event::ChangeProposed { change: first, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(first.path, "alpha.txt");
    assert!(change.starts_with("merge-s1-"), "{change}");
    assert_eq!(
        std::fs::read_to_string(repo.join("alpha.txt")).unwrap(),
        "a\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("beta.txt")).unwrap(),
        "b\n"
    );
    s.decide_all(&change, &hunks, &Verdict::Accept);
    s.until(|e| status_of(e) == Some(("s1", StepStatus::AwaitingReview)))
        .await;
    assert_eq!(
        std::fs::read_to_string(repo.join("alpha.txt")).unwrap(),
        "ALPHA\n"
    );
    // Its gate passed, the second step's change comes back.
    s.send(Op::Go { all: false });
    let (second, hunks) = s.next_proposal().await;
    assert!(second.starts_with("merge-s2-"), "{second}");
    s.decide_all(&second, &hunks, &Verdict::Accept);
    s.until(|e| status_of(e) == Some(("s2", StepStatus::AwaitingReview)))
        .await;
    s.send(Op::Go { all: false });
    s.until(|e| matches!(e, Event::PlanCompleted { done: 2, total: 2 }))
        .await;
    assert_eq!(
        std::fs::read_to_string(repo.join("beta.txt")).unwrap(),
        "BETA\n"
    );
    // The model is told what came back; each worker is a session under the parent.
    let stored = s.stored().await;
    let state = gearshift::core::SessionState::fold(&stored);
    let sent = format!("{:?}", state.conversation);
    assert!(
        sent.contains("Step 1 was run by a worker") && sent.contains("First change: done"),
        "{sent}"
    );
    let reader = Reader::open(&s.db).unwrap();
    let children = reader.children(&s.id).unwrap();
    assert_eq!(children.len(), 2);
    // No worktree and no scratch branch is left.
    let trees = git(&repo, &["worktree", "list", "--porcelain"]);
    assert_eq!(trees.matches("worktree ").count(), 1, "{trees}");
    assert_eq!(git(&repo, &["branch", "--list", "gearshift/*"]), "");
}

#[tokio::test]
async fn two_steps_that_change_the_same_lines_come_back_as_a_conflict_for_the_human() {
    let (_origin, ws) = cloned_repo(&[("shared.txt", "one\ntwo\nthree\n")]);
    let repo = ws.path().join("repo");
    let script = two_steps(
        ("shared.txt", "one\\nALPHA\\nthree\\n"),
        ("shared.txt", "one\\nBETA\\nthree\\n"),
    );
    let (mut s, _, (change, hunks)) = worked(&repo, &script).await;
    s.decide_all(&change, &hunks, &Verdict::Accept);
    s.until(|e| status_of(e) == Some(("s1", StepStatus::AwaitingReview)))
        .await;
    s.send(Op::Go { all: false });
    let seen = s.until(|e| matches!(e, Event::ChangeProposed { .. })).await;
    let Some(Event::ChangeProposed {
        id,
        change,
        checkpoint,
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    // Both sides are shown, marked, and only a human's explicit decision writes them.
    let after = change.after.as_deref().unwrap();
    assert!(
        after.contains("<<<<<<< the workspace")
            && after.contains("ALPHA")
            && after.contains("BETA")
            && after.contains(">>>>>>> step 2"),
        "{after}"
    );
    assert!(
        checkpoint
            .as_deref()
            .is_some_and(|c| c.contains("merge conflict")),
        "{checkpoint:?}"
    );
    // Never resolved silently: the workspace holds what the human accepted.
    assert_eq!(
        std::fs::read_to_string(repo.join("shared.txt")).unwrap(),
        "one\nALPHA\nthree\n"
    );
    let mut log = gearshift::changes::review::ChangeLog::default();
    log.apply(seen.last().unwrap());
    let hunks: Vec<String> = log.entries[0].hunks.iter().map(|h| h.id.clone()).collect();
    s.decide_all(id, &hunks, &Verdict::Reject);
    let seen = s
        .until(|e| status_of(e) == Some(("s2", StepStatus::AwaitingReview)))
        .await;
    assert_eq!(
        std::fs::read_to_string(repo.join("shared.txt")).unwrap(),
        "one\nALPHA\nthree\n"
    );
    let note = seen.iter().rev().find_map(|e| match e {
        Event::StepStatusChanged { note, .. } => note.clone(),
        _ => None,
    });
    assert!(
        note.as_deref()
            .is_some_and(|n| n.contains(gearshift::plan::NOTHING_WRITTEN)),
        "{note:?}"
    );
}
