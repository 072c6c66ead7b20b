//! The pipeline gear end to end, headless: a scripted model takes a one-line request through
//! every stage of the built-in engineering pipeline in a temporary git repository holding a tiny
//! project whose tests really run — failing first (the failure reaches the model), then
//! passing — and the run ends in a commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::SessionState;
use gearshift::protocol::{Event, StageEvent};
use support::{git, git_repo};

#[test]
fn a_request_goes_through_every_stage_to_a_tested_commit() {
    let (home, ws) = support::scripted_home(
        support::PIPELINE_TO_COMMIT,
        "[pipeline]\ntest_command = \"sh test.sh\"\n",
    );
    // A tiny project with a real test.
    support::greeting_project(ws.path());

    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--gear",
            "pipeline",
            "--approve-gates",
            "add a greeting",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        std::fs::read_to_string(ws.path().join("greeting.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        git(ws.path(), &["log", "-1", "--format=%s"]),
        "Add the greeting"
    );
    assert_eq!(
        git(ws.path(), &["status", "--porcelain"]),
        "",
        "everything committed"
    );
    let files = git(ws.path(), &["show", "--name-only", "--format=", "HEAD"]);
    for f in [
        "greeting.txt",
        "docs/gearshift/requirements.md",
        "docs/gearshift/ship.md",
    ] {
        assert!(files.contains(f), "{f} in {files}");
    }

    let (session, events) = support::newest_session(&home.path().join("gearshift.db"));
    let shown = support::command(home.path(), ws.path(), &["sessions", "show", &session.id])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    for line in [
        "> pipeline `engineering` started: requirements → design → tasks",
        "> the test command failed (round 1)",
        "> stage `verify` passed",
        "> committed `",
    ] {
        assert!(shown.contains(line), "{line} missing from:\n{shown}");
    }
    let passed: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Stage {
                event: StageEvent::GatePassed { stage },
            } => Some(stage.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        passed,
        [
            "requirements",
            "design",
            "tasks",
            "implement",
            "verify",
            "review",
            "ship"
        ]
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Stage { event: StageEvent::VerifyFailed { round: 1, output } } if output.contains("FAIL: expected greeting.txt")
    )));
    assert!(events.iter().any(
        |e| matches!(e, Event::Shipped { message, .. } if message.starts_with("Add the greeting"))
    ));
    // The failure reached the model, and later stages saw the earlier artifacts.
    let state = SessionState::fold(&events);
    let said: Vec<&str> = state
        .conversation
        .iter()
        .filter_map(|m| match &**m {
            gearshift::provider::ChatMessage::User { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        said.iter().any(
            |t| t.contains("The test command failed (round 1)") && t.contains("FAIL: expected")
        )
    );
    assert!(
        said.iter()
            .any(|t| t.starts_with("Artifacts of the earlier stages")
                && t.contains("WHEN the project is tested"))
    );
}

#[test]
fn a_broken_skill_the_run_does_not_use_is_a_warning_and_exec_still_exits_0() {
    let (home, ws) = support::scripted_home(
        support::PIPELINE_TO_COMMIT,
        "[pipeline]\ntest_command = \"sh test.sh\"\n",
    );
    std::fs::write(ws.path().join("test.sh"), "grep -qx hello greeting.txt\n").unwrap();
    let broken = ws.path().join(".gearshift/skills/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("SKILL.md"), "---\nname: [unclosed\n---\nbody\n").unwrap();
    git_repo(ws.path());
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--gear",
            "pipeline",
            "--approve-gates",
            "add a greeting",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("gearshift: warning: skill not loaded:") && stderr.contains("broken"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("greeting.txt")).unwrap(),
        "hello\n"
    );
}

#[test]
fn without_approve_gates_the_run_stops_at_the_first_gate_with_code_3() {
    let (home, ws) = support::scripted_home(support::PIPELINE_TO_COMMIT, "");
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--gear", "pipeline", "add a greeting"],
    )
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--approve-gates"));
    // The requirements artifact was proposed and, without approval, rejected headless: nothing
    // reached the disk.
    assert!(!ws.path().join("docs/gearshift/requirements.md").exists());
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Stage { event: StageEvent::AtGate { stage } } if stage == "requirements"
    )));
}

mod gates {
    use gearshift::core::{ApprovalMode, SessionState};
    use gearshift::pipeline::StageStatus;
    use gearshift::protocol::{Event, Gear, Op, StageEvent};

    use super::support::session::{Session, resume, script_provider, start_with};

    const SCRIPT: &str = r##"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "one story\n" } }]

[[turns]]
text = "Written."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "one story\nan error story\n" } }]

[[turns]]
text = "Added the error story."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/design.md", content = "design\n" } }]

[[turns]]
text = "Designed."

[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Do it" }] } }]
"##;

    async fn gate_passed(s: &mut Session) {
        s.until(|e| {
            matches!(
                e,
                Event::Stage {
                    event: StageEvent::GatePassed { .. }
                }
            )
        })
        .await;
    }

    fn statuses(events: &[Event]) -> Vec<StageStatus> {
        SessionState::fold(events).pipeline.unwrap().run.statuses
    }

    #[tokio::test]
    async fn a_custom_pipeline_runs_and_a_finished_run_makes_way_for_the_next() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join(".gearshift/pipelines")).unwrap();
        std::fs::write(
            ws.path().join(".gearshift/pipelines/quick.toml"),
            "name = \"quick\"\n[[stages]]\nname = \"sketch\"\nskill = \"design\"\nartifact = \"sketch.md\"\ngate = \"human\"\n",
        )
        .unwrap();
        let script = r##"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "sketch.md", content = "first\n" } }]
[[turns]]
text = "Sketched."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "sketch.md", content = "second\n" } }]
[[turns]]
text = "Sketched again."
"##;
        let p = script_provider(ws.path(), script);
        let config = "[pipeline]\nname = \"quick\"\n";
        let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, config).await;
        s.send(Op::SetGear {
            gear: Gear::Pipeline,
        });
        s.until(|e| matches!(e, Event::GearChanged { .. })).await;
        for (prompt, content) in [("first idea", "first\n"), ("second idea", "second\n")] {
            s.submit(prompt);
            s.accept_next_change().await;
            s.at_gate("sketch").await;
            s.send(Op::PassGate);
            gate_passed(&mut s).await;
            assert_eq!(
                std::fs::read_to_string(ws.path().join("sketch.md")).unwrap(),
                content
            );
        }
        let runs = s
            .stored()
            .await
            .iter()
            .filter(|e| matches!(e, Event::PipelineStarted { pipeline, .. } if pipeline.name == "quick"))
            .count();
        assert_eq!(runs, 2);
    }

    /// The optional `memory` stage (the built-in `memory` skill): the model proposes an
    /// AGENTS.md update, a checkpoint reviewed like the other artifacts, and the gate passes.
    #[tokio::test]
    async fn a_memory_stage_proposes_agents_md_updates_for_review() {
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("AGENTS.md"), "# Agents\n").unwrap();
        std::fs::create_dir_all(ws.path().join(".gearshift/pipelines")).unwrap();
        std::fs::write(
            ws.path().join(".gearshift/pipelines/remember.toml"),
            "name = \"remember\"\n[[stages]]\nname = \"memory\"\nskill = \"memory\"\nartifact = \"AGENTS.md\"\ngate = \"human\"\n",
        )
        .unwrap();
        let script = r##"
[[turns]]
tool_calls = [{ name = "edit_file", arguments = { path = "AGENTS.md", old_text = "# Agents\n", new_text = "# Agents\n\n- Errors: one enum per crate.\n" } }]
[[turns]]
text = "Proposed."
"##;
        let p = script_provider(ws.path(), script);
        let mut s = start_with(
            &p,
            ws.path(),
            ApprovalMode::Ask,
            "[pipeline]\nname = \"remember\"\n",
        )
        .await;
        s.send(Op::SetGear {
            gear: Gear::Pipeline,
        });
        s.until(|e| matches!(e, Event::GearChanged { .. })).await;
        s.submit("we settled on one error enum per crate");
        let seen = s.until(|e| matches!(e, Event::ChangeProposed { .. })).await;
        assert!(matches!(
            seen.last(),
            Some(Event::ChangeProposed {
                checkpoint: Some(_),
                ..
            })
        ));
        let state = SessionState::fold(&s.stored().await);
        assert!(state.conversation.iter().any(|m| matches!(&**m,
            gearshift::provider::ChatMessage::User { text } if text.contains("Keep AGENTS.md current"))));
        s.accept(seen.last().unwrap());
        s.at_gate("memory").await;
        s.send(Op::PassGate);
        gate_passed(&mut s).await;
        assert_eq!(
            std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap(),
            "# Agents\n\n- Errors: one enum per crate.\n"
        );
    }

    /// The model asks a question instead of writing the artifact; the human's reply at the
    /// gate continues the stage with its tools, so the artifact can be written; the gate then
    /// waits again and passes.
    #[tokio::test]
    async fn a_reply_at_a_gate_continues_the_stage_with_its_tools() {
        let ws = tempfile::tempdir().unwrap();
        let script = r##"
[[turns]]
text = "Which database should the service use?"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "docs/gearshift/requirements.md", content = "Uses Postgres.\n" } }]
[[turns]]
text = "Written with Postgres."
"##;
        let p = script_provider(ws.path(), script);
        let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
        s.send(Op::SetGear {
            gear: Gear::Pipeline,
        });
        s.until(|e| matches!(e, Event::GearChanged { .. })).await;
        s.submit("add a store");
        s.at_gate("requirements").await;
        // Nothing written: the gate holds.
        s.send(Op::PassGate);
        s.until(|e| matches!(e, Event::Refused { .. })).await;
        s.submit("Postgres.");
        s.accept_next_change().await;
        s.at_gate("requirements").await;
        assert_eq!(
            std::fs::read_to_string(ws.path().join("docs/gearshift/requirements.md")).unwrap(),
            "Uses Postgres.\n"
        );
        s.send(Op::PassGate);
        gate_passed(&mut s).await;
        let stored = s.stored().await;
        assert!(stored.iter().any(|e| matches!(e, Event::Stage { event: StageEvent::Answered { stage } } if stage == "requirements")));
        let state = SessionState::fold(&stored);
        assert!(state.conversation.iter().any(|m| matches!(&**m,
            gearshift::provider::ChatMessage::User { text } if text.contains("replied at the gate of stage `requirements`"))));
    }

    #[tokio::test]
    async fn send_back_skip_and_resume_at_the_current_stage() {
        let ws = tempfile::tempdir().unwrap();
        let p = script_provider(ws.path(), SCRIPT);
        let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
        s.send(Op::SetGear {
            gear: Gear::Pipeline,
        });
        s.until(|e| matches!(e, Event::GearChanged { .. })).await;
        s.submit("add error handling");
        s.accept_next_change().await;
        s.at_gate("requirements").await;
        // Passing is refused while a stage works; sending back needs comments.
        s.send(Op::SendBack {
            comments: "add an error story".into(),
        });
        s.accept_next_change().await;
        s.at_gate("requirements").await;
        assert_eq!(
            std::fs::read_to_string(ws.path().join("docs/gearshift/requirements.md")).unwrap(),
            "one story\nan error story\n"
        );
        s.send(Op::PassGate);
        s.accept_next_change().await;
        s.at_gate("design").await;
        s.send(Op::SkipStage);
        s.at_gate("tasks").await;
        let stored = s.stored().await;
        assert!(stored.iter().any(|e| matches!(e, Event::Stage { event: StageEvent::SentBack { comments, .. } } if comments == "add an error story")));
        assert!(stored.iter().any(|e| matches!(e, Event::Stage { event: StageEvent::Skipped { stage } } if stage == "design")));
        // The design stage saw the requirements as an earlier artifact; the tasks stage too.
        let state = SessionState::fold(&stored);
        let artifacts = state
            .stage_messages
            .iter()
            .filter(|(_, c)| **c == gearshift::context::Category::Artifacts)
            .count();
        assert_eq!(artifacts, 2);

        // A restart resumes at the tasks gate, with the plan the stage proposed.
        let mut s = resume(s, &p, ws.path(), "").await;
        let stored = s.stored().await;
        assert_eq!(
            statuses(&stored)[..3],
            [
                StageStatus::Passed,
                StageStatus::Skipped,
                StageStatus::AwaitingGate
            ]
        );
        assert!(SessionState::fold(&stored).plan.is_some());
        s.send(Op::SkipStage);
        s.until(|e| matches!(e, Event::Stage { event: StageEvent::Skipped { stage } } if stage == "tasks"))
            .await;
    }
}

/// A home whose scripted model plays `script` in a two-stage pipeline (tasks, implement), and
/// a git workspace.
fn mini_pipeline(script: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let (home, ws) = support::mini_pipeline_home(script);
    git_repo(ws.path());
    (home, ws)
}

// Issue "When a step goes wrong", 1 and 2: an incomplete task runs again with Alt+G from
// anywhere, the implement gate does not pass while one is incomplete, and a sent-back
// implement stage runs the comments as a task with the write tools.
#[test]
fn an_incomplete_task_runs_again_from_anywhere_and_a_sent_back_stage_writes() {
    use support::keys;
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [{ title = "Write a.txt" }, { title = "Write b.txt" }] } }]
[[turns]]
text = "I looked at step 1 but did not finish."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "a.txt", content = "a\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "a written" } }]
[[turns]]
text = "I looked at step 2 but did not finish."
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "b.txt", content = "b\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "b written" } }]
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "tests.txt", content = "t\n" } }]
[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "tests written" } }]
"#;
    let (home, ws) = mini_pipeline(script);
    let mut app = support::PtyApp::spawn(home.path(), ws.path(), &["--gear", "pipeline"], 120, 40);
    app.wait_text("PIPELINE");
    app.send(b"write the files\r");
    app.wait_text("0/2 approved");
    app.send(keys::ALT_2);
    app.send(b"A");
    app.wait_text("2/2 approved");
    app.send(b"\x1bg");
    app.wait_text("Step 1 was left incomplete");
    // From the composer: the gate is on its edge, and Alt+G runs the step again.
    app.send(keys::ESC);
    app.send(b"\x1bg");
    app.wait_text("proposes a change to a.txt");
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_text("Step 2 was left incomplete");
    app.send(keys::ESC);
    // The implement gate does not pass with step 2 incomplete: Alt+G runs it again.
    app.send(b"\x1bg");
    app.wait_text("proposes a change to b.txt");
    assert!(
        !app.screen().contains("no approved task"),
        "{}",
        app.screen()
    );
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_text("Stage implement waits");
    assert!(ws.path().join("a.txt").exists() && ws.path().join("b.txt").exists());
    // Sent back with comments: they run as a task with the write tools, reviewed, and the
    // stage waits at its gate again.
    app.send(b"\x1bb");
    app.send(b"please write the tests too\r");
    app.wait_text("proposes a change to tests.txt");
    assert!(
        !app.screen().contains("is not available"),
        "{}",
        app.screen()
    );
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_for("the stage to wait again", |s| {
        s.matches("Stage implement waits").count() >= 1 && s.contains("tests written")
    });
    assert!(ws.path().join("tests.txt").exists());
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}
