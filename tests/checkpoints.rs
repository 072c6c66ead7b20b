//! `[[checkpoints]]` through the real session actor: a rule stops a change or a command for a
//! human in every gear, even where the gear or the allowlist would have let it through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::ApprovalMode;
use gearshift::protocol::{CommandDecision, Event};
use support::sandbox_or_skip;
use support::session::{Session, script_provider, start_with};

/// `gearshift sessions show ID --checkpoints`, as the store has it.
async fn audit(s: &Session) -> String {
    let (db, id) = (s.db.clone(), s.id.clone());
    tokio::task::spawn_blocking(move || {
        let export = gearshift::store::Reader::open(&db)
            .unwrap()
            .export(&id)
            .unwrap();
        gearshift::report::checkpoint_audit(&export)
    })
    .await
    .unwrap()
}

const RULES: &str = r#"
[[checkpoints]]
name = "migrations"
reason = "a human reads every migration before it runs"
paths = ["migrations/**", "**/*.sql"]

[[checkpoints]]
name = "drops"
reason = "dropping a table loses data"
content = ['(?i)\bdrop\s+table\b']

[[checkpoints]]
name = "pushes"
reason = "nothing leaves this machine unseen"
commands = ["git push*"]
"#;

#[tokio::test]
async fn a_vibe_edit_at_a_checkpoint_is_proposed_with_its_reason_and_others_apply() {
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [
  { name = "write_file", arguments = { path = "src/app.py", content = "print('hi')\n" } },
  { name = "write_file", arguments = { path = "migrations/001.sql", content = "CREATE TABLE t (id int);\n" } },
  { name = "write_file", arguments = { path = "src/cleanup.py", content = "db.run('DROP TABLE users')\n" } },
]

[[turns]]
text = "done"
"#;
    let p = script_provider(ws.path(), script);
    // The vibe gear writes edits at once ([review] vibe = "apply", the default).
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, RULES).await;
    s.submit("go");
    // Written at once: no rule matches it. The migration waits in the diff pane.
    let proposed = |e: &Event| matches!(e, Event::ChangeProposed { .. });
    let first = s.until(proposed).await.pop().unwrap();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("src/app.py")).unwrap(),
        "print('hi')\n"
    );
    assert!(
        !ws.path().join("migrations/001.sql").exists(),
        "waits for review"
    );
    let Event::ChangeProposed {
        change, checkpoint, ..
    } = &first
    else {
        unreachable!()
    };
    assert_eq!(change.path, "migrations/001.sql");
    assert_eq!(
        checkpoint.as_deref(),
        Some("checkpoint `migrations`: a human reads every migration before it runs")
    );
    s.accept(&first);
    // The new text matches `drops`: proposed too, named by its rule.
    let second = s.until(proposed).await.pop().unwrap();
    assert!(!ws.path().join("src/cleanup.py").exists());
    assert!(matches!(&second,
        Event::ChangeProposed { change, checkpoint: Some(why), .. }
            if change.path == "src/cleanup.py" && why.starts_with("checkpoint `drops`")));
    s.accept(&second);
    s.turn().await;
    assert!(
        ws.path().join("migrations/001.sql").exists(),
        "written once accepted"
    );
    assert!(ws.path().join("src/cleanup.py").exists());
    // Every stop and its decision, for the record.
    let audit = audit(&s).await;
    for line in [
        "write migrations/001.sql",
        "checkpoint `migrations`: a human reads every migration before it runs",
        "→ accepted and written",
        "write src/cleanup.py",
        "checkpoint `drops`",
    ] {
        assert!(audit.contains(line), "{line}:\n{audit}");
    }
    assert!(!audit.contains("src/app.py"), "{audit}");
}

#[tokio::test]
async fn git_push_asks_although_git_is_allowlisted_and_is_not_run_headless() {
    if !sandbox_or_skip("git_push_asks_although_git_is_allowlisted") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let script = r#"
[[turns]]
tool_calls = [
  { name = "run_command", arguments = { command = "git status --short" } },
  { name = "run_command", arguments = { command = "git push origin main" } },
]

[[turns]]
text = "done"
"#;
    let config = format!("{RULES}\n[approvals]\nallow_commands = [\"git *\"]\n");
    let p = script_provider(ws.path(), script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &config).await;
    s.submit("go");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    assert!(seen.iter().any(|e| matches!(e,
        Event::CommandDecided { command, decision: CommandDecision::Allowed, .. }
            if command == "git status --short")));
    let Some(Event::CommandApprovalRequested {
        command,
        checkpoint,
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(command, "git push origin main");
    assert_eq!(
        checkpoint.as_deref(),
        Some("checkpoint `pushes`: nothing leaves this machine unseen")
    );

    // Headless with every command approved: a checkpoint is still where a human looks — the
    // run stops there (exec exits 3) instead of running it.
    let ws = tempfile::tempdir().unwrap();
    let p = script_provider(ws.path(), script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Approve, &config).await;
    s.submit("go");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    assert!(matches!(seen.last(),
        Some(Event::CommandApprovalRequested { command, checkpoint: Some(_), .. })
            if command == "git push origin main"));
    let audit = audit(&s).await;
    assert!(
        audit.contains("run `git push origin main`")
            && audit.contains("checkpoint `pushes`: nothing leaves this machine unseen")
            && audit.contains("→ awaiting a decision"),
        "{audit}"
    );
    assert!(!audit.contains("git status"), "{audit}");
}

#[test]
fn exec_stops_at_a_checkpoint_with_exit_3_unless_checkpoints_are_approved() {
    let script = r#"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "migrations/001.sql", content = "CREATE TABLE t (id int);\n" } }]

[[turns]]
text = "done"
"#;
    let (home, ws) = support::scripted_home(script, RULES);
    let out = support::command(home.path(), ws.path(), &["exec", "--approve-changes", "go"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("stopped at a checkpoint: a write to migrations/001.sql")
            && stderr.contains("--approve-checkpoints"),
        "{stderr}"
    );
    assert!(!ws.path().join("migrations/001.sql").exists());

    let (home, ws) = support::scripted_home(script, RULES);
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-changes", "--approve-checkpoints", "go"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ws.path().join("migrations/001.sql").exists());
}

#[tokio::test]
async fn a_tool_named_by_a_rule_asks_with_its_reason_before_it_runs() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("schema.txt"), "users(id)\n").unwrap();
    let script = r#"
[[turns]]
tool_calls = [{ name = "read_file", arguments = { path = "schema.txt" } }]

[[turns]]
text = "read it"
"#;
    let rules = "[[checkpoints]]\nname = \"schema reads\"\nreason = \"the schema is shown to a human first\"\ntools = [\"read_file\"]\n";
    let p = script_provider(ws.path(), script);
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, rules).await;
    s.submit("read the schema");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    // Asked before it ran: no result yet.
    assert!(!seen.iter().any(|e| matches!(e, Event::ToolResult { .. })));
    let Some(Event::CommandApprovalRequested { id, checkpoint, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(
        checkpoint.as_deref(),
        Some("checkpoint `schema reads`: the schema is shown to a human first")
    );
    s.send(gearshift::protocol::Op::ApproveCommand {
        call_id: id.clone(),
        always: false,
    });
    let rest = s.turn().await;
    assert!(rest.iter().any(|e| matches!(e,
        Event::ToolResult { ok: true, content, .. } if content.contains("users(id)"))));
}
