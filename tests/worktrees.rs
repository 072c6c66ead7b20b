//! Plan steps the plan marks independent run at the same time, each by a worker in a git
//! worktree of its own, through the real session actor, store and git: their changes come
//! back in plan order, each to its own gate, merged onto what the human accepted before; a
//! pair that changed the same lines comes back as a conflict for the human, never resolved;
//! the worktrees and their branches are gone afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use gearshift::core::ApprovalMode;
use gearshift::plan::StepStatus;
use gearshift::protocol::{Event, Op, PlanEdit, Verdict};
use gearshift::store::Reader;
use support::session::{script_provider, start_with};
use support::{git, git_repo};

/// A repository made by `git clone` of one holding `files`, committed: `(folder, clone)`.
fn cloned_repo(files: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    git_repo(&origin);
    for (path, text) in files {
        std::fs::write(origin.join(path), text).unwrap();
    }
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "start"]);
    git(dir.path(), &["clone", "-q", "origin", "repo"]);
    let repo = dir.path().join("repo");
    (dir, repo)
}

/// What is left of the session's worktrees and scratch branches in `repo`.
fn leftovers(repo: &Path) -> (usize, String) {
    let trees = git(repo, &["worktree", "list", "--porcelain"]);
    (
        trees.matches("worktree ").count() - 1,
        git(repo, &["branch", "--list", "gearshift/*"]),
    )
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

/// A session in the plan gear whose plan (the script's first turn) is proposed, approved
/// whole, and run with the run key.
async fn run_plan(ws: &Path, script: &str) -> support::session::Session {
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
    s
}

/// [`run_plan`] to its first merge; returns the session and what it said until the first
/// change came back.
async fn worked(
    ws: &Path,
    script: &str,
) -> (support::session::Session, Vec<Event>, (String, Vec<String>)) {
    let mut s = run_plan(ws, script).await;
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
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n"), ("beta.txt", "b\n")]);
    let script = two_steps(("alpha.txt", "ALPHA\\n"), ("beta.txt", "BETA\\n"));
    let (mut s, seen, (change, hunks)) = worked(&repo, &script).await;
    let statuses: Vec<(&str, StepStatus)> = seen.iter().filter_map(status_of).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|(_, st)| *st == StepStatus::Working)
            .count(),
        2,
        "{statuses:?}"
    );
    // The first step's change comes first, and nothing is on disk before the human decides.
    let Some(Event::ChangeProposed { change: first, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(first.path, "alpha.txt");
    assert_eq!(
        gearshift::plan::parallel::merged_step(&change, &s.id),
        Some("s1")
    );
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
    assert_eq!(
        gearshift::plan::parallel::merged_step(&second, &s.id),
        Some("s2")
    );
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
    assert_eq!(leftovers(&repo), (0, String::new()));
    // Resumed, each worker's cell shows its steps again.
    let library = gearshift::library::Library::of(gearshift::store::Store::open(&s.db).unwrap());
    let mut replayed = Vec::new();
    library.replay(&s.id, |e| replayed.push(e)).unwrap();
    for (step, path) in [("s1", "alpha.txt"), ("s2", "beta.txt")] {
        assert!(
            replayed.iter().any(|e| matches!(e, Event::FromAgent { id, event, .. }
                if *id == gearshift::plan::parallel::worker_id(step)
                    && matches!(&**event, Event::ToolCall { arguments, .. } if arguments.contains(path)))),
            "{step}"
        );
    }
}

#[tokio::test]
async fn two_steps_that_change_the_same_lines_come_back_as_a_conflict_for_the_human() {
    let (_dir, repo) = cloned_repo(&[("shared.txt", "one\ntwo\nthree\n")]);
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

#[tokio::test]
async fn a_workers_command_writes_in_its_worktree_only_and_its_writes_come_back() {
    if !support::sandbox_or_skip("a_workers_command_writes_in_its_worktree_only") {
        return;
    }
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n"), ("beta.txt", "b\n")]);
    // The command also aims at the workspace itself, by its full path.
    let aim = repo.join("alpha.txt");
    let command = format!("echo made > made.txt; echo evil > {}", aim.display());
    let script = format!(
        r#"
[[turns]]
tool_calls = [{{ name = "propose_plan", arguments = {{ steps = [
  {{ title = "Make it", independent = true }},
  {{ title = "Second change", independent = true }},
] }} }}]

[[scenes]]
when = "Run step 1 of the approved plan: Make it"
[[scenes.turns]]
tool_calls = [{{ name = "run_command", arguments = {{ command = "{command}" }} }}]
[[scenes.turns]]
text = "made it"

[[scenes]]
when = "Run step 2 of the approved plan: Second change"
[[scenes.turns]]
tool_calls = [{{ name = "write_file", arguments = {{ path = "beta.txt", content = "B\n" }} }}]
[[scenes.turns]]
text = "second done"
"#
    );
    let mut s = run_plan(&repo, &script).await;
    // Its command asks the human, through the parent, before it runs — and step 2, done
    // first, still comes back second.
    let (question, seen) = s.next_agent_question().await;
    assert_eq!(
        (
            question.asker.as_str(),
            question.agent.as_str(),
            question.command.as_str()
        ),
        ("worker:s1", "worker", command.as_str())
    );
    let asked = question.id;
    let s2_worked = |e: &Event| status_of(e) == Some(("s2", StepStatus::Worked));
    if !seen.iter().any(s2_worked) {
        s.until(s2_worked).await;
    }
    s.send(Op::ApproveCommand {
        call_id: asked,
        always: false,
    });
    let (change, hunks) = s.next_proposal().await;
    let stored = s.stored().await;
    let proposed: Vec<&str> = stored
        .iter()
        .filter_map(|e| match e {
            Event::ChangeProposed { change, .. } => Some(change.path.as_str()),
            _ => None,
        })
        .collect();
    // What it wrote in its worktree comes back; the workspace was out of its reach.
    assert_eq!(proposed, ["made.txt"], "{change}");
    assert_eq!(std::fs::read_to_string(&aim).unwrap(), "a\n");
    assert!(!repo.join("made.txt").exists());
    s.decide_all(&change, &hunks, &Verdict::Accept);
    s.until(|e| status_of(e) == Some(("s1", StepStatus::AwaitingReview)))
        .await;
    assert_eq!(
        std::fs::read_to_string(repo.join("made.txt")).unwrap(),
        "made\n"
    );
}

#[tokio::test]
async fn steps_at_work_when_the_session_ends_run_again_and_leave_no_worktree() {
    // Workers run commands only where the sandbox keeps them in their worktree.
    if !support::sandbox_or_skip("steps_at_work_when_the_session_ends") {
        return;
    }
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n")]);
    let script = r#"
[[turns]]
tool_calls = [{ name = "propose_plan", arguments = { steps = [
  { title = "First change", independent = true },
  { title = "Second change", independent = true },
] } }]

[[scenes]]
when = "Run step 1 of the approved plan: First change"
[[scenes.turns]]
tool_calls = [{ name = "run_command", arguments = { command = "echo one" } }]

[[scenes]]
when = "Run step 2 of the approved plan: Second change"
[[scenes.turns]]
tool_calls = [{ name = "run_command", arguments = { command = "echo two" } }]
"#;
    let mut s = run_plan(&repo, script).await;
    // Both wait for the human's approval of a command at once — they run at the same time —
    // and the session ends under them.
    let mut asking = std::collections::BTreeSet::new();
    while asking.len() < 2 {
        let (question, _) = s.next_agent_question().await;
        assert_eq!(question.agent, "worker");
        asking.insert(question.asker);
    }
    assert_eq!(leftovers(&repo).0, 2);
    s.send(Op::Quit);
    let seen = s
        .until(|e| status_of(e) == Some(("s2", StepStatus::Approved)))
        .await;
    assert!(
        seen.iter()
            .any(|e| status_of(e) == Some(("s1", StepStatus::Approved))),
        "{seen:?}"
    );
    // Give the session a moment to finish removing them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while leftovers(&repo) != (0, String::new()) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            leftovers(&repo)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The plan as stored runs them again, at the same time.
    let stored = s.stored().await;
    let state = gearshift::core::SessionState::fold(&stored);
    let plan = state.plan.unwrap();
    assert_eq!(
        gearshift::plan::parallel::next(&plan, 3),
        gearshift::plan::parallel::Next::Run(vec!["s1".into(), "s2".into()])
    );
}

/// Headless, the steps work at once and come back in order; a conflict is never written
/// without a human, and the run says so.
#[test]
fn exec_runs_independent_steps_at_once_and_never_writes_a_conflict() {
    let script = two_steps(
        ("shared.txt", "one\\nALPHA\\nthree\\n"),
        ("shared.txt", "one\\nBETA\\nthree\\n"),
    );
    let (home, ws) = support::scripted_home(&script, "[review]\nmemory_step = false\n");
    git_repo(ws.path());
    std::fs::write(ws.path().join("shared.txt"), "one\ntwo\nthree\n").unwrap();
    git(ws.path(), &["add", "shared.txt"]);
    git(ws.path(), &["commit", "-q", "-m", "start"]);
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--gear",
            "plan",
            "--approve-plan",
            "make both changes",
        ],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("shared.txt")).unwrap(),
        "one\nALPHA\nthree\n"
    );
    assert!(err.contains("merge conflict"), "{err}");
    assert_eq!(leftovers(ws.path()), (0, String::new()));
}

#[tokio::test]
async fn an_untracked_file_a_worker_edits_comes_back_as_its_edit_not_a_conflict() {
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n")]);
    // Written, never committed, not ignored: a file the workspace holds all the same.
    std::fs::write(repo.join("notes.txt"), "one\ntwo\n").unwrap();
    let script = two_steps(("notes.txt", "one\\ntwo\\nthree\\n"), ("alpha.txt", "A\\n"));
    let (mut s, _, (change, hunks)) = worked(&repo, &script).await;
    let stored = s.stored().await;
    let Some(Event::ChangeProposed {
        change: proposed,
        checkpoint,
        ..
    }) = stored
        .iter()
        .rev()
        .find(|e| matches!(e, Event::ChangeProposed { .. }))
    else {
        unreachable!()
    };
    assert_eq!(proposed.path, "notes.txt");
    assert_eq!(*checkpoint, None, "a clean edit, not a conflict");
    assert_eq!(proposed.line_counts(), (1, 0));
    s.decide_all(&change, &hunks, &Verdict::Accept);
    s.until(|e| status_of(e) == Some(("s1", StepStatus::AwaitingReview)))
        .await;
    assert_eq!(
        std::fs::read_to_string(repo.join("notes.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
    // The workspace's index was not touched by the snapshot the worktrees came from.
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--", "notes.txt"]),
        "?? notes.txt"
    );
}

/// A subagent written for Claude Code with `tools: Read, Write` (as `.claude/agents/*.md`): the
/// parent's `task` call, its writes in its worktree, brought back as the parent's writes are.
fn writer_script(also: &str) -> String {
    format!(
        r#"
[[turns]]
tool_calls = [{{ name = "task", arguments = {{ agent = "writer", prompt = "Write the greeting" }} }}]

[[turns]]
text = "The writer is done."
{also}
[[scenes]]
when = "Write the greeting"
[[scenes.turns]]
tool_calls = [{{ name = "write_file", arguments = {{ path = "hello.txt", content = "hello\n" }} }}]
[[scenes.turns]]
text = "wrote hello.txt"
"#
    )
}

fn writer_agent(repo: &Path) {
    std::fs::create_dir_all(repo.join(".claude/agents")).unwrap();
    std::fs::write(
        repo.join(".claude/agents/writer.md"),
        "---\nname: writer\ndescription: Writes files\ntools: Read, Write\n---\nYou write files.\n",
    )
    .unwrap();
}

#[tokio::test]
async fn a_subagent_that_writes_works_in_its_worktree_and_its_files_come_back_as_the_parents() {
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n")]);
    writer_agent(&repo);
    // The vibe gear writes at once: the subagent's file is written, undoable.
    let p = script_provider(&repo, &writer_script(""));
    let mut s = start_with(&p, &repo, ApprovalMode::Ask, "").await;
    s.submit("greet");
    let seen = s.turn().await;
    let result = support::session::first_result(&seen).unwrap();
    assert!(
        result.contains("wrote hello.txt") && result.contains("hello.txt"),
        "{result}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::FileChanged { change, .. } if change.path == "hello.txt")),
        "recorded in the parent's session, as its own writes are"
    );
    assert_eq!(leftovers(&repo), (0, String::new()));
    s.send(Op::Undo);
    s.until(|e| matches!(e, Event::ChangeUndone { .. })).await;
    assert!(!repo.join("hello.txt").exists());
}

#[tokio::test]
async fn a_subagents_files_wait_for_review_where_the_parents_would() {
    let (_dir, repo) = cloned_repo(&[("alpha.txt", "a\n")]);
    writer_agent(&repo);
    let p = script_provider(&repo, &writer_script(""));
    let mut s = start_with(
        &p,
        &repo,
        ApprovalMode::Ask,
        "[review]\nvibe = \"review\"\n",
    )
    .await;
    s.submit("greet");
    let (change, hunks) = s.next_proposal().await;
    // Nothing on disk before the human decides; the call's answer waits with its change.
    assert!(!repo.join("hello.txt").exists());
    s.decide_all(&change, &hunks, &Verdict::Accept);
    let seen = s.turn().await;
    assert_eq!(
        std::fs::read_to_string(repo.join("hello.txt")).unwrap(),
        "hello\n"
    );
    let result = support::session::first_result(&seen).unwrap();
    assert!(result.contains("wrote hello.txt"), "{result}");
}

#[tokio::test]
async fn without_git_a_subagent_that_would_write_works_without_writing_and_is_told_why() {
    let ws = tempfile::tempdir().unwrap();
    writer_agent(ws.path());
    let p = script_provider(ws.path(), &writer_script(""));
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, "").await;
    s.submit("greet");
    s.turn().await;
    assert!(!ws.path().join("hello.txt").exists());
    // It was told, and its one write was refused as a tool it does not have.
    let reader = Reader::open(&s.db).unwrap();
    let child = reader.children(&s.id).unwrap().remove(0);
    let events = reader.events(&child.id).unwrap();
    let asked = events
        .iter()
        .find_map(|e| match &e.event {
            Event::UserMessage { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        asked.contains("You cannot write files in this session"),
        "{asked}"
    );
    assert!(events.iter().any(|e| matches!(&e.event,
        Event::ToolResult { ok: false, content, .. }
            if content.contains("no tool named `write_file`"))));
}

/// Headless, a writing subagent's files come back as the run's writes go: at once in the vibe
/// gear, never past a review the flags do not pass.
#[test]
fn exec_brings_back_a_writing_subagents_files_as_its_flags_say() {
    let (home, ws) = support::scripted_home(&writer_script(""), "[review]\nvibe = \"review\"\n");
    git_repo(ws.path());
    std::fs::write(ws.path().join("alpha.txt"), "a\n").unwrap();
    git(ws.path(), &["add", "alpha.txt"]);
    git(ws.path(), &["commit", "-q", "-m", "start"]);
    writer_agent(ws.path());
    let run = |flags: &[&str]| {
        let mut args = vec!["exec"];
        args.extend_from_slice(flags);
        args.push("greet");
        support::command(home.path(), ws.path(), &args)
            .env("HOME", home.path())
            .output()
            .unwrap()
    };
    // Without --approve-changes, what waits for review is refused.
    let out = run(&[]);
    assert!(out.status.success(), "{out:?}");
    assert!(!ws.path().join("hello.txt").exists());
    let out = run(&["--approve-changes"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(leftovers(ws.path()), (0, String::new()));
}
