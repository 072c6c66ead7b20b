//! The plan gear through the real session actor: a scripted model proposes a plan, ops shape
//! and approve it, approved steps run one at a time behind their gates, and the store holds
//! every decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::{ApprovalMode, SessionState};
use gearshift::protocol::{Event, Gear, Op, PlanEdit, StepStatus};
use support::session::{Session, resume, script_provider, start_with};

const PLAN: &str = r#"
[[turns]]
text = "Here is my plan."
tool_calls = [{ name = "propose_plan", arguments = { steps = [
  { title = "Write step one", detail = "create one.txt", files = ["one.txt"], acceptance = "one.txt exists" },
  { title = "Write step two", detail = "create two.txt" },
  { title = "Write step three", detail = "create three.txt" },
] } }]

[[turns]]
text = "Step one."
tool_calls = [{ name = "write_file", arguments = { path = "one.txt", content = "one\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "one.txt written" } }]

[[turns]]
text = "Step three."
tool_calls = [{ name = "write_file", arguments = { path = "three.txt", content = "three\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "three.txt written" } }]
"#;

/// Without the memory upkeep step (its own test below).
const NO_MEMORY_STEP: &str = "[review]\nmemory_step = false\n";

async fn planning(ws: &std::path::Path, script: &str) -> Session {
    planning_with(ws, script, NO_MEMORY_STEP).await
}

async fn planning_with(ws: &std::path::Path, script: &str, config: &str) -> Session {
    let p = script_provider(ws, script);
    let mut s = start_with(&p, ws, ApprovalMode::Ask, config).await;
    s.send(Op::SetGear { gear: Gear::Plan });
    s.until(|e| matches!(e, Event::GearChanged { .. })).await;
    s.submit("write three files");
    s.turn().await;
    s
}

fn edit(s: &Session, edit: PlanEdit) {
    s.send(Op::EditPlan { edit });
}

fn status_of(stored: &[Event], step: &str) -> Option<StepStatus> {
    SessionState::fold(stored)
        .plan
        .and_then(|p| p.step(step).map(|s| s.status))
}

#[tokio::test]
async fn approved_steps_run_in_order_behind_gates_and_a_rejected_one_never_runs() {
    let ws = tempfile::tempdir().unwrap();
    let mut s = planning(ws.path(), PLAN).await;
    let stored = s.stored().await;
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::PlanProposed { version: 1, steps } if steps.len() == 3))
    );
    // Nothing runs before an approval.
    s.send(Op::Go { all: false });
    let seen = s.until(|e| matches!(e, Event::Refused { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::Refused { message, .. }) if message.contains("no step is approved"))
    );

    edit(&s, PlanEdit::Approve { step: "s1".into() });
    edit(&s, PlanEdit::Reject { step: "s2".into() });
    edit(&s, PlanEdit::Approve { step: "s3".into() });
    s.send(Op::Go { all: false });
    s.accept_next_change().await;
    let seen = s.turn().await;
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::StepStatusChanged { step, status: StepStatus::AwaitingReview, note: Some(n) }
            if step == "s1" && n == "one.txt written"
    )));
    assert_eq!(
        std::fs::read_to_string(ws.path().join("one.txt")).unwrap(),
        "one\n"
    );
    // At the gate: nothing else runs by itself.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!ws.path().join("three.txt").exists());
    assert_eq!(
        status_of(&s.stored().await, "s3"),
        Some(StepStatus::Approved)
    );

    // g passes the gate and runs step three; step two, rejected, is skipped.
    s.send(Op::Go { all: false });
    s.accept_next_change().await;
    s.turn().await;
    assert_eq!(
        std::fs::read_to_string(ws.path().join("three.txt")).unwrap(),
        "three\n"
    );
    assert!(
        !ws.path().join("two.txt").exists(),
        "a rejected step never runs"
    );
    s.send(Op::Go { all: false });
    let seen = s.until(|e| matches!(e, Event::PlanCompleted { .. })).await;
    assert!(matches!(
        seen.last(),
        Some(Event::PlanCompleted { done: 2, total: 3 })
    ));

    let stored = s.stored().await;
    assert_eq!(status_of(&stored, "s1"), Some(StepStatus::Done));
    assert_eq!(status_of(&stored, "s2"), Some(StepStatus::Rejected));
    assert_eq!(status_of(&stored, "s3"), Some(StepStatus::Done));
    let edits = stored.iter().filter(|e| e.kind() == "plan_edited").count();
    assert_eq!(edits, 3, "every decision is in the log");
    // The audit names the step that wrote each file.
    let export = tokio::task::spawn_blocking({
        let (db, id) = (s.db.clone(), s.id.clone());
        move || {
            gearshift::store::Reader::open(&db)
                .unwrap()
                .export(&id)
                .unwrap()
        }
    })
    .await
    .unwrap();
    let md = gearshift::report::markdown(&export);
    for line in [
        "### Plan, version 1",
        "> plan edited: rejected step 2 \"",
        "> step 1 running",
        "> step 1 awaiting review: one.txt written",
        "> step 3 done",
        "> plan complete: 2 of 3 steps done",
    ] {
        assert!(md.contains(line), "{line} missing from the export:\n{md}");
    }
    let audit = gearshift::report::change_audit(&export);
    let line = |file: &str| {
        audit
            .lines()
            .find(|l| l.contains(file))
            .unwrap()
            .to_string()
    };
    assert!(line("one.txt").contains(" 1 "), "{audit}");
    assert!(line("three.txt").contains(" 3 "), "{audit}");
    // What each step told the model is recorded right after the step starts, as sent.
    for (i, e) in stored.iter().enumerate() {
        if let Event::StepStatusChanged {
            status: StepStatus::Running,
            ..
        } = e
        {
            assert!(
                matches!(&stored[i + 1], Event::Instructed { text, .. } if text.starts_with("Run step")),
                "{:?}",
                stored.get(i + 1)
            );
        }
    }
    // The model was told each step with the plan as approved.
    let state = SessionState::fold(&stored);
    let prompts: Vec<&str> = state
        .conversation
        .iter()
        .filter_map(|m| match &**m {
            gearshift::provider::ChatMessage::User { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(prompts[1].starts_with("Run step 1 of the approved plan: Write step one"));
    assert!(prompts[1].contains("2. [rejected] Write step two"));
    assert!(prompts[2].starts_with("Run step 3 of the approved plan"));
}

#[tokio::test]
async fn a_failed_step_stops_execution_and_go_all_runs_through_the_gates() {
    let ws = tempfile::tempdir().unwrap();
    let script = PLAN.replace(
        r#"tool_calls = [{ name = "complete_step", arguments = { summary = "one.txt written" } }]"#,
        r#"tool_calls = [{ name = "fail_step", arguments = { reason = "disk full" } }]"#,
    );
    let mut s = planning(ws.path(), &script).await;
    edit(&s, PlanEdit::ApproveAll);
    s.send(Op::Go { all: true });
    s.accept_next_change().await;
    let seen = s.turn().await;
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::StepStatusChanged { step, status: StepStatus::Failed, note: Some(n) } if step == "s1" && n == "disk full"
    )));
    // G stops at a failure: step two does not start.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        status_of(&s.stored().await, "s2"),
        Some(StepStatus::Approved)
    );
}

#[tokio::test]
async fn the_plan_and_its_gate_survive_a_restart() {
    let ws = tempfile::tempdir().unwrap();
    let p = script_provider(ws.path(), PLAN);
    let mut s = planning(ws.path(), PLAN).await;
    edit(&s, PlanEdit::Approve { step: "s1".into() });
    s.send(Op::Go { all: false });
    s.accept_next_change().await;
    s.turn().await;
    let mut s = resume(s, &p, ws.path(), "").await;
    let stored = s.stored().await;
    assert_eq!(status_of(&stored, "s1"), Some(StepStatus::AwaitingReview));
    // The gate holds across the restart; g passes it, and nothing else is approved.
    s.send(Op::Go { all: false });
    s.until(|e| matches!(e, Event::PlanCompleted { .. })).await;
    assert_eq!(status_of(&s.stored().await, "s1"), Some(StepStatus::Done));
}

#[test]
fn headless_plan_exits_awaiting_approval_or_runs_it_all() {
    let (home, ws) = support::scripted_home(PLAN, "");
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--gear", "plan", "write three files"],
    )
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1. [proposed] Write step one"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--approve-plan"));
    assert!(!ws.path().join("one.txt").exists());

    // --json: the plan is in the event stream.
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--gear", "plan", "--json", "write three files"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"type\":\"plan_proposed\""));

    // --approve-plan approves it all and runs every step, accepting each step's changes.
    let script = PLAN.replace(
        "[[turns]]\ntext = \"Step three.\"",
        "[[turns]]\ntext = \"Step two.\"\ntool_calls = [{ name = \"write_file\", arguments = { path = \"two.txt\", content = \"two\\n\" } }]\n\n[[turns]]\ntool_calls = [{ name = \"complete_step\", arguments = { summary = \"two.txt written\" } }]\n\n[[turns]]\ntext = \"Step three.\"",
    );
    let (home, ws) = support::scripted_home(&script, "");
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--gear",
            "plan",
            "--approve-plan",
            "write three files",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["one.txt", "two.txt", "three.txt"] {
        assert!(ws.path().join(f).exists(), "{f}");
    }
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::PlanCompleted { done: 3, total: 3 }))
    );
}

#[tokio::test]
async fn comments_go_back_to_the_model_and_the_revision_is_a_new_version() {
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Do it all at once" }] } }]

[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "First half" }, { title = "Second half" }] } }]
"#;
    let mut s = planning(ws.path(), script).await;
    edit(
        &s,
        PlanEdit::Comment {
            step: "s1".into(),
            text: "split it in two".into(),
        },
    );
    s.send(Op::RevisePlan);
    s.turn().await;
    let stored = s.stored().await;
    let versions: Vec<u32> = stored
        .iter()
        .filter_map(|e| match e {
            Event::PlanProposed { version, .. } => Some(*version),
            _ => None,
        })
        .collect();
    assert_eq!(versions, [1, 2], "the first version stays in the log");
    let state = SessionState::fold(&stored);
    let plan = state.plan.unwrap();
    assert_eq!(plan.version, 2);
    assert_eq!(plan.steps.len(), 2);
    // The model was sent the comment with the plan.
    assert!(stored.iter().any(|e| matches!(
        e,
        Event::UserMessage { text, .. } if text.contains("user's comment: split it in two")
    )));
}

/// A plan in the plan gear ends with the memory upkeep step: once the work is done, the model
/// proposes AGENTS.md updates as a reviewed diff (in every gear a memory file is written only
/// through review). Rejected in one version, a revision does not bring it back.
#[tokio::test]
async fn a_plan_ends_with_a_memory_step_that_proposes_agents_md_updates() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("AGENTS.md"),
        "# Agents\n\n- Test: `make test`\n",
    )
    .unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Add a lint target" }] } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "Makefile", content = "lint:\n\tcargo clippy\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "lint target added" } }]

[[turns]]
tool_calls = [{ name = "edit_file", arguments = { path = "AGENTS.md", old_text = "- Test: `make test`\n", new_text = "- Test: `make test`\n- Lint: `make lint`\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "AGENTS.md names make lint" } }]

[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Again" }] } }]

[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Again, revised" }] } }]
"#;
    let mut s = planning_with(ws.path(), script, "").await;
    let plan = SessionState::fold(&s.stored().await).plan.unwrap();
    let titles: Vec<&str> = plan.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Add a lint target", "Update AGENTS.md"]);
    edit(&s, PlanEdit::Approve { step: "s1".into() });
    edit(&s, PlanEdit::Approve { step: "s2".into() });
    s.send(Op::Go { all: false });
    s.accept_next_change().await;
    s.turn().await;
    s.send(Op::Go { all: false });
    let seen = s.until(|e| matches!(e, Event::ChangeProposed { .. })).await;
    let Some(Event::ChangeProposed { checkpoint, .. }) = seen.last() else {
        unreachable!()
    };
    assert!(checkpoint.is_some(), "a memory file is a checkpoint");
    s.accept(seen.last().unwrap());
    s.turn().await;
    s.send(Op::Go { all: false });
    s.until(|e| matches!(e, Event::PlanCompleted { done: 2, total: 2 }))
        .await;
    assert_eq!(
        std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap(),
        "# Agents\n\n- Test: `make test`\n- Lint: `make lint`\n"
    );

    // A new plan has the step again; rejected there, the revision leaves it out.
    s.submit("another");
    s.turn().await;
    let plan = SessionState::fold(&s.stored().await).plan.unwrap();
    let last = plan.steps.last().unwrap();
    assert_eq!(last.title, "Update AGENTS.md");
    edit(
        &s,
        PlanEdit::Reject {
            step: last.id.clone(),
        },
    );
    edit(
        &s,
        PlanEdit::Comment {
            step: plan.steps[0].id.clone(),
            text: "reword".into(),
        },
    );
    s.send(Op::RevisePlan);
    s.turn().await;
    let plan = SessionState::fold(&s.stored().await).plan.unwrap();
    let titles: Vec<&str> = plan.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Again, revised"]);
}

// Recovery: a plan left waiting by one headless run is approved and run by the next.

#[test]
fn a_waiting_plan_runs_when_a_continued_exec_approves_it() {
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "write one" }] } }]

[[turns]]
text = "going"

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "one.txt", content = "1\n" } }, { name = "complete_step", arguments = { summary = "ok" } }]

[[turns]]
text = "done"
"#;
    let (home, ws) = support::scripted_home(script, NO_MEMORY_STEP);
    let run = |args: &[&str]| {
        support::command(home.path(), ws.path(), args)
            .output()
            .unwrap()
    };
    assert_eq!(
        run(&["exec", "--gear", "plan", "plan it"]).status.code(),
        Some(3)
    );
    let out = run(&["exec", "--continue", "--approve-plan", "go"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("cancelled"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("one.txt")).unwrap(),
        "1\n"
    );
}

// Issue "When a step goes wrong", 12: `A` approves only what is proposed, and a step whose
// only change was rejected holds its gate (even under G) and says so.
#[test]
fn approve_all_keeps_rejections_and_a_step_with_nothing_written_holds_its_gate() {
    use support::keys;
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write a.txt" }, { title = "Write b.txt" }, { title = "Write c.txt" }] } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "a\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "a written" } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "c.txt", content = "c\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "c written" } }]
"#;
    let (home, ws) = support::scripted_home(script, "[review]\nmemory_step = false\n");
    let mut app = support::PtyApp::spawn(home.path(), ws.path(), &["--gear", "plan"], 120, 40);
    app.wait_text("PLAN");
    app.send(b"write three files\r");
    app.wait_text("0/3 approved");
    app.send(keys::ALT_2);
    app.send(b"j");
    app.send(b"x");
    app.send(b"A");
    app.wait_text("2/3 approved");
    // G runs every approved step; step 1's only change is rejected.
    app.send(b"G");
    app.wait_text("proposes a change to a.txt");
    app.send(keys::ALT_3);
    app.send(b"X");
    app.send(keys::ENTER);
    app.wait_text("nothing was written");
    app.wait_text("Step 1 waits at its gate");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !app.screen().contains("change to c.txt"),
        "step 3 waits for the human: {}",
        app.screen()
    );
    app.send(b"\x1bg");
    app.wait_text("proposes a change to c.txt");
    assert!(!ws.path().join("a.txt").exists());
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}

// Issue "When a step goes wrong", 3: a pipeline run plans its own tasks; a finished plan of
// the plan gear does not open its tasks gate.
#[test]
fn a_finished_plan_does_not_leak_into_a_pipeline_run() {
    use support::keys;
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write a.txt" }] } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "a\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "a written" } }]
[[turns]]
text = "The tasks are clear; nothing to propose."
[[turns]]
text = "extra"
"#;
    let (home, ws) = support::mini_pipeline_home(script);
    let mut app = support::PtyApp::spawn(home.path(), ws.path(), &["--gear", "plan"], 120, 40);
    app.wait_text("PLAN");
    app.send(b"write a\r");
    app.wait_text("0/1 approved");
    app.send(keys::ALT_2);
    app.send(b"A");
    app.send(b"G");
    app.wait_text("proposes a change to a.txt");
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_text("1/1 done");
    // To the pipeline: its tasks stage proposes nothing, and its gate does not pass.
    app.send(keys::ESC);
    app.send(keys::ESC);
    app.send(keys::SHIFT_TAB);
    app.wait_text("PIPELINE");
    app.send(b"add c\r");
    app.wait_text("nothing to propose");
    app.send(b"\x1bg");
    app.wait_text("cannot pass");
    assert!(
        !app.screen().contains("no approved task"),
        "{}",
        app.screen()
    );
    assert!(!app.screen().contains("1/1 done"), "{}", app.screen());
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}
