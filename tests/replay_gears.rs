//! A replay repeats the human's decisions in every gear and ends with the same tree as the
//! original: a session is recorded through the real session actor (a scripted model, the
//! human's ops sent as the TUI sends them), its workspace is put back as it was, and
//! `gearshift replay` must leave its scratch copy exactly as the original session left the
//! workspace — hand edits between turns and undos in vibe, a reordered plan with a rejected
//! hunk, a pipeline sent back, skipped and re-run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use gearshift::core::ApprovalMode;
use gearshift::pipeline::StageEvent;
use gearshift::protocol::{Event, Gear, Op, PlanEdit, StepStatus, Verdict};
use support::session::{Session, script_provider, start_with};

/// Every file beneath `dir` (but `.git`) with its content.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.insert(rel, std::fs::read_to_string(&entry).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Puts `dir` back to `before`.
fn restore(dir: &Path, before: &BTreeMap<String, String>) {
    for path in walk(dir) {
        std::fs::remove_file(path).unwrap();
    }
    for (rel, text) in before {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A session in `gear` playing `script` in a fresh workspace, with `config`; and the
/// workspace's tree before it.
async fn begin(
    gear: Gear,
    script: &str,
    config: &str,
) -> (tempfile::TempDir, BTreeMap<String, String>, Session) {
    let ws = tempfile::tempdir().unwrap();
    let p = script_provider(ws.path(), script);
    let before = tree(ws.path());
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, config).await;
    if gear != Gear::Vibe {
        s.send(Op::SetGear { gear });
        s.until(|e| matches!(e, Event::GearChanged { .. })).await;
    }
    (ws, before, s)
}

/// Without the memory upkeep step.
const NO_MEMORY_STEP: &str = "[review]\nmemory_step = false\n";

/// Ends the session, puts the workspace back as it was before it, and replays it: whether
/// the replay succeeded, what it said, and its scratch folder (the copy and its database).
async fn run_replay(
    s: Session,
    ws: &Path,
    before: &BTreeMap<String, String>,
) -> (bool, String, std::path::PathBuf) {
    s.send(Op::Quit);
    let Session {
        mut events, id, db, ..
    } = s;
    while events.recv().await.is_some() {}
    restore(ws, before);
    let home = db.parent().unwrap().to_path_buf();
    let ws = ws.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        support::command(&home, &ws, &["replay", &id[..8]])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let copy = said
        .split("replayed in ")
        .nth(1)
        .and_then(|rest| rest.split(" — ").next())
        .map_or_else(|| panic!("{said}"), std::path::PathBuf::from);
    let scratch = copy.parent().unwrap().to_path_buf();
    (out.status.success(), said, scratch)
}

/// [`run_replay`], which must succeed: the tree the replay left, and what it said.
async fn replay(
    s: Session,
    ws: &Path,
    before: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, String) {
    let (ok, said, scratch) = run_replay(s, ws, before).await;
    assert!(ok, "{said}");
    let replayed = tree(&scratch.join("workspace"));
    std::fs::remove_dir_all(scratch).unwrap();
    (replayed, said)
}

#[tokio::test]
async fn vibe_hand_edits_between_turns_and_undos_are_repeated() {
    let script = r#"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "one\ntwo\nthree\n" } }]
[[turns]]
text = "Written."
[[turns]]
tool_calls = [{ name = "edit_file", arguments = { path = "a.txt", old_text = "three\n", new_text = "three\nfour\n" } }]
[[turns]]
text = "Appended."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "b.txt", content = "b\n" } }]
[[turns]]
text = "And b."
[[turns]]
text = "Understood."
"#;
    let (ws, before, mut s) = begin(Gear::Vibe, script, "").await;
    s.submit("write a");
    s.turn().await;
    // The human edits the model's file between turns.
    std::fs::write(ws.path().join("a.txt"), "one\nTWO\nthree\n").unwrap();
    s.submit("append four");
    s.turn().await;
    s.submit("write b");
    s.turn().await;
    s.send(Op::Undo);
    s.until(|e| matches!(e, Event::ChangeUndone { .. })).await;
    s.submit("leave b out");
    s.turn().await;
    let original = tree(ws.path());
    assert_eq!(original["a.txt"], "one\nTWO\nthree\nfour\n");
    assert!(!original.contains_key("b.txt"));

    let (replayed, said) = replay(s, ws.path(), &before).await;
    assert_eq!(replayed, original, "{said}");
}

const PLAN: &str = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [
  { title = "Write one" }, { title = "Write two" }, { title = "Write three" },
] } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "three.txt", content = "three\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "three written" } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "one.txt", content = "one\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "one written" } }]
"#;

#[tokio::test]
async fn plan_a_reordered_plan_runs_in_its_new_order_and_a_rejected_hunk_stays_rejected() {
    let (ws, before, mut s) = begin(Gear::Plan, PLAN, NO_MEMORY_STEP).await;
    s.submit("write the files");
    s.turn().await;
    // Step three first, step two rejected, then run them all.
    for _ in 0..2 {
        s.send(Op::EditPlan {
            edit: PlanEdit::Move {
                step: "s3".into(),
                up: true,
            },
        });
    }
    s.send(Op::EditPlan {
        edit: PlanEdit::Reject { step: "s2".into() },
    });
    s.send(Op::EditPlan {
        edit: PlanEdit::ApproveAll,
    });
    s.send(Op::Go { all: true });
    s.accept_next_change().await;
    // Step one's file is rejected at review.
    let (change, hunks) = s.next_proposal().await;
    s.decide_all(&change, &hunks, &Verdict::Reject);
    s.until(|e| {
        matches!(e, Event::StepStatusChanged { step, status: StepStatus::AwaitingReview, .. } if step == "s1")
    })
    .await;
    s.send(Op::Go { all: false });
    s.until(|e| matches!(e, Event::PlanCompleted { .. })).await;
    let original = tree(ws.path());
    assert_eq!(
        original.get("three.txt").map(String::as_str),
        Some("three\n")
    );
    assert!(!original.contains_key("one.txt"), "rejected");
    assert!(!original.contains_key("two.txt"), "never ran");

    let (replayed, said) = replay(s, ws.path(), &before).await;
    assert_eq!(replayed, original, "{said}");
    assert!(!said.contains("stopped"), "{said}");
}

const PIPELINE: &str = r#"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "one story\n" } }]
[[turns]]
text = "Requirements written."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "one story\nan error story\n" } }]
[[turns]]
text = "Added the error story."
[[turns]]
text = "No design is needed."
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write a.txt" }, { title = "Write b.txt" }] } }]
[[turns]]
text = "I looked at step 1 but did not finish."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "a\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "a written" } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "b.txt", content = "b\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "b written" } }]
"#;

#[tokio::test]
async fn pipeline_a_stage_sent_back_a_skipped_one_and_a_task_run_again_are_repeated() {
    let (ws, before, mut s) = begin(Gear::Pipeline, PIPELINE, NO_MEMORY_STEP).await;
    s.submit("write two files");
    s.accept_next_change().await;
    s.at_gate("requirements").await;
    s.send(Op::SendBack {
        comments: "add an error story".into(),
    });
    s.accept_next_change().await;
    s.at_gate("requirements").await;
    s.send(Op::PassGate);
    s.at_gate("design").await;
    s.send(Op::SkipStage);
    s.at_gate("tasks").await;
    s.send(Op::EditPlan {
        edit: PlanEdit::ApproveAll,
    });
    s.send(Op::PassGate);
    // The first task ends without complete_step: run again.
    s.until(|e| {
        matches!(
            e,
            Event::StepStatusChanged {
                status: StepStatus::Incomplete,
                ..
            }
        )
    })
    .await;
    s.send(Op::Go { all: true });
    s.accept_next_change().await;
    // Task b's file is rejected.
    let (change, hunks) = s.next_proposal().await;
    s.decide_all(&change, &hunks, &Verdict::Reject);
    s.until(|e| matches!(e, Event::StepStatusChanged { step, status: StepStatus::AwaitingReview, .. } if step == "s2"))
        .await;
    s.send(Op::Go { all: false });
    s.at_gate("implement").await;
    let original = tree(ws.path());
    assert_eq!(
        original["docs/gearshift/requirements.md"],
        "one story\nan error story\n"
    );
    assert_eq!(original.get("a.txt").map(String::as_str), Some("a\n"));
    assert!(!original.contains_key("b.txt"), "rejected");

    let (replayed, said) = replay(s, ws.path(), &before).await;
    assert_eq!(replayed, original, "{said}");
}

const VERIFIED: &str = r#"
[[turns]]
text = "No requirements needed."
[[turns]]
text = "No design needed."
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write a.txt" }] } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "a\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "a written" } }]
[[turns]]
text = "Looks fine."
"#;

/// The verify stage runs the repository's test command: a replay runs it only with
/// `--run-commands` — the original's passing run grants nothing.
#[tokio::test]
async fn pipeline_a_replay_never_runs_the_test_command_unless_asked() {
    let config = format!("{NO_MEMORY_STEP}[pipeline]\ntest_command = \"true\"\n");
    let (ws, before, mut s) = begin(Gear::Pipeline, VERIFIED, &config).await;
    s.submit("write a");
    s.at_gate("requirements").await;
    s.send(Op::SkipStage);
    s.at_gate("design").await;
    s.send(Op::SkipStage);
    s.at_gate("tasks").await;
    s.send(Op::EditPlan {
        edit: PlanEdit::ApproveAll,
    });
    s.send(Op::PassGate);
    s.accept_next_change().await;
    s.at_gate("implement").await;
    s.send(Op::PassGate);
    s.at_gate("review").await;
    let stored = s.stored().await;
    assert!(
        !stored.iter().any(|e| matches!(
            e,
            Event::Stage {
                event: StageEvent::VerifyFailed { .. }
            }
        )),
        "the original's tests passed"
    );

    let (ok, said, scratch) = run_replay(s, ws.path(), &before).await;
    assert!(!ok, "the replay cannot pass verify: {said}");
    let db = scratch.join("replay.db");
    let outputs: Vec<String> = tokio::task::spawn_blocking(move || {
        let reader = gearshift::store::Reader::open(&db).unwrap();
        let id = reader.list_sessions(None, 1).unwrap()[0].id.clone();
        reader
            .events(&id)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event {
                Event::Stage {
                    event: StageEvent::VerifyFailed { output, .. },
                } => Some(output),
                _ => None,
            })
            .collect()
    })
    .await
    .unwrap();
    assert!(!outputs.is_empty(), "{said}");
    for output in &outputs {
        assert!(output.contains("was not run"), "{output}");
        assert!(!output.contains("$ true"), "{output}");
    }
    std::fs::remove_dir_all(scratch).unwrap();
}
