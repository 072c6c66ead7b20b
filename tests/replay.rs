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
