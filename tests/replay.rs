//! `gearshift replay ID`: a session recorded against a fake OpenAI server is played back
//! through the scripted provider in a scratch copy of its workspace — the same tool calls, the
//! same file contents — with no request to any server and the workspace itself untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;

use gearshift::protocol::Event;
use gearshift::store::Store;
use serde_json::{Value, json};
use support::model::{FakeModel, Turn, config};

/// The tool calls of a stored session: name and parsed arguments.
fn calls(db: &std::path::Path) -> Vec<(String, Value)> {
    let store = Store::open(db).unwrap();
    let reader = store.reader().unwrap();
    let id = reader.list_sessions(None, 10).unwrap()[0].id.clone();
    let calls = reader
        .events(&id)
        .unwrap()
        .into_iter()
        .filter_map(|s| match s.event {
            Event::ToolCall {
                name, arguments, ..
            } => Some((name, serde_json::from_str(&arguments).unwrap())),
            _ => None,
        })
        .collect();
    store.close();
    calls
}

#[test]
fn a_replay_reproduces_the_tool_calls_and_files_in_a_scratch_copy_without_a_server() {
    // The fake server runs on its own threads; the store and the binary are used from this one.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let model = rt.block_on(FakeModel::start(vec![
        Turn::tool(
            "write_file",
            json!({"path": "notes/today.txt", "content": "one\n"}),
        ),
        Turn::tool(
            "edit_file",
            json!({"path": "notes/today.txt", "old_text": "one\n", "new_text": "one\ntwo\n"}),
        ),
        Turn::tool("read_file", json!({"path": "README.md"})),
        Turn::text("Written and read."),
    ]));
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("README.md"), "# a project\n").unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        config(&model.url(), "REPLAY_TEST_KEY", ""),
    )
    .unwrap();
    let run = |args: &[&str], key: bool| {
        let mut cmd = support::command(home.path(), ws.path(), args);
        if key {
            cmd.env("REPLAY_TEST_KEY", "sk-replay");
        }
        cmd.stdin(Stdio::null()).output().unwrap()
    };
    let out = run(&["exec", "keep notes"], true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded = calls(&home.path().join("gearshift.db"));
    assert_eq!(recorded.len(), 3);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("notes/today.txt")).unwrap(),
        "one\ntwo\n"
    );
    let served = rt.block_on(model.requests()).len();

    // Back to how it was before the session, then replayed without a key.
    std::fs::remove_dir_all(ws.path().join("notes")).unwrap();
    let id = {
        let store = Store::open(&home.path().join("gearshift.db")).unwrap();
        let id = store.reader().unwrap().list_sessions(None, 1).unwrap()[0]
            .id
            .clone();
        store.close();
        id
    };
    let out = run(&["replay", &id[..8]], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Written and read."), "{stdout}");
    let scratch = stderr
        .split("replayed in ")
        .nth(1)
        .and_then(|rest| rest.split(" — ").next())
        .map_or_else(|| panic!("{stderr}"), std::path::PathBuf::from);
    assert!(
        scratch.ends_with("workspace") && scratch.is_dir(),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.join("notes/today.txt")).unwrap(),
        "one\ntwo\n"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.join("README.md")).unwrap(),
        "# a project\n"
    );
    assert!(
        !ws.path().join("notes").exists(),
        "the workspace is untouched"
    );
    let replayed = calls(&scratch.parent().unwrap().join("replay.db"));
    assert_eq!(replayed, recorded);
    assert_eq!(
        rt.block_on(model.requests()).len(),
        served,
        "no request was sent"
    );
    // The user's store holds the recorded session only.
    let store = Store::open(&home.path().join("gearshift.db")).unwrap();
    assert_eq!(
        store
            .reader()
            .unwrap()
            .list_sessions(None, 10)
            .unwrap()
            .len(),
        1
    );
    store.close();
    std::fs::remove_dir_all(scratch.parent().unwrap()).unwrap();

    // An unknown session is a clear error.
    let out = run(&["replay", "zzzz"], false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("zzzz"));
}

/// The scratch workspace a replay says it used.
fn scratch_of(stderr: &str) -> std::path::PathBuf {
    stderr
        .split("replayed in ")
        .nth(1)
        .and_then(|rest| rest.split(" — ").next())
        .map_or_else(|| panic!("{stderr}"), std::path::PathBuf::from)
}

// Sandbox round three: replay never runs what the human refused, and runs what the original
// ran only when asked to — saying so first.

#[test]
fn a_replay_never_runs_a_command_the_human_denied_and_runs_the_others_only_when_asked() {
    let script = r#"
[[turns]]
tool_calls = [
  { name = "run_command", arguments = { command = "touch PWN" } },
  { name = "run_command", arguments = { command = "touch OK" } },
]

[[turns]]
text = "done"
"#;
    let (home, ws) = support::scripted_home(script, "");
    // The human denies the first and approves the second, in the TUI's place.
    let mut app = support::PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("vibe");
    app.send(b"go\r");
    app.wait_text("$ touch PWN");
    app.send(b"n");
    app.wait_text("Why not?");
    app.send(b"\r");
    app.wait_text("$ touch OK");
    app.send(b"y");
    app.wait_for("the turn to end", |s| s.contains("done"));
    app.send(b"\x11");
    app.wait_exit();
    assert!(ws.path().join("OK").exists() && !ws.path().join("PWN").exists());
    std::fs::remove_file(ws.path().join("OK")).unwrap();
    let (session, _) = support::newest_session(&home.path().join("gearshift.db"));
    // Since then, the user's allowlist names the denied command: a replay still never runs it.
    let config = home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}[approvals]\nallow_commands = [\"touch *\"]\n"),
    )
    .unwrap();
    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", &session.id[..8]];
        args.extend_from_slice(extra);
        support::command(home.path(), ws.path(), &args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // By default nothing runs; it says what the original ran first.
    let out = replay(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("ran 1 command(s)") && stderr.contains("--run-commands"),
        "{stderr}"
    );
    let scratch = scratch_of(&stderr);
    assert!(
        !scratch.join("PWN").exists() && !scratch.join("OK").exists(),
        "{stderr}"
    );
    std::fs::remove_dir_all(scratch.parent().unwrap()).unwrap();
    // With --run-commands, what the original ran, and not what the human denied — although
    // the user's allowlist names it.
    let out = replay(&["--run-commands"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("touch OK"), "{stderr}");
    let scratch = scratch_of(&stderr);
    assert!(scratch.join("OK").exists(), "{stderr}");
    assert!(!scratch.join("PWN").exists(), "{stderr}");
    assert!(!ws.path().join("OK").exists(), "the workspace is untouched");
    std::fs::remove_dir_all(scratch.parent().unwrap()).unwrap();

    // Exported and imported into another home, its record of consent is evidence, not consent:
    // the replay runs nothing, `--run-commands` or not.
    let file = home.path().join("export.json");
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "sessions",
            "export",
            &session.id[..8],
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other = support::scripted_home(script, "").0;
    let out = support::command(
        other.path(),
        ws.path(),
        &["sessions", "import", file.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = support::command(
        other.path(),
        ws.path(),
        &["replay", &session.id[..8], "--run-commands"],
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("was imported"), "{stderr}");
    let scratch = scratch_of(&stderr);
    assert!(!scratch.join("OK").exists(), "{stderr}");
    std::fs::remove_dir_all(scratch.parent().unwrap()).unwrap();
}
