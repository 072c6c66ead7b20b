//! Project memory through the real session actor, as Claude Code and Codex show it to the
//! model: the user's global file, the repository's files from its root down to the workspace
//! (a symlinked pair once, an import expanded), each its own item of the context, and a nested
//! folder's file added when the model first opens a file there — once, across a restart too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::context::Category;
use gearshift::protocol::Event;
use gearshift::provider::ChatMessage;
use support::session::{resume, script_provider, start_at_home};

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn memory_items(events: &[Event]) -> Vec<String> {
    let report = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::ContextAccounted { report } => Some(report.clone()),
            _ => None,
        })
        .expect("a context report");
    report
        .items
        .iter()
        .filter(|i| i.category == Category::Memory)
        .map(|i| i.label.clone())
        .collect()
}

#[tokio::test]
async fn memory_files_from_home_root_and_a_nested_folder_each_once() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(ws.path().join(".git")).unwrap();
    write(
        &ws.path().join("AGENTS.md"),
        "Root rule: run cargo test. See @docs/conventions.md",
    );
    std::os::unix::fs::symlink("AGENTS.md", ws.path().join("CLAUDE.md")).unwrap();
    write(
        &ws.path().join("docs/conventions.md"),
        "Imported convention.",
    );
    write(
        &ws.path().join("crates/core/AGENTS.md"),
        "Core rule: no unwrap.",
    );
    write(&ws.path().join("crates/core/src/lib.rs"), "pub fn f() {}\n");
    write(
        &ws.path().join("crates/core/src/more.rs"),
        "pub fn g() {}\n",
    );
    write(&home.path().join(".claude/CLAUDE.md"), "My own rule.");
    let read = |p: &str| {
        format!(
            "[[turns]]\ntool_calls = [{{ name = \"read_file\", arguments = {{ path = \"{p}\" }} }}]\n"
        )
    };
    let script = [
        read("crates/core/src/lib.rs"),
        read("crates/core/src/more.rs"),
        "[[turns]]\ntext = \"Read both.\"\n".into(),
        read("crates/core/src/lib.rs"),
        "[[turns]]\ntext = \"Again.\"\n".into(),
    ]
    .join("\n");
    let p = script_provider(ws.path(), &script);
    let mut s = start_at_home(&p, ws.path(), home.path()).await;
    s.submit("look at core");
    let seen = s.turn().await;
    let items = memory_items(&seen);
    assert_eq!(
        items,
        [
            "project memory: ~/.claude/CLAUDE.md",
            "project memory: AGENTS.md",
            "project memory: docs/conventions.md",
            "project memory: crates/core/AGENTS.md",
        ],
        "the symlinked CLAUDE.md is the same file: once"
    );
    let state = gearshift::core::SessionState::fold(&s.stored().await);
    let said: Vec<usize> = state
        .conversation
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match &**m {
            ChatMessage::User { text } if text.contains("Core rule: no unwrap.") => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(said.len(), 1, "told once for two files in the folder");
    // It follows the result of the first read of that folder, before the next request.
    assert!(matches!(
        *state.conversation[said[0] - 1],
        ChatMessage::ToolResult { .. }
    ));

    // After a restart the folder's file is already in the context: not said again.
    let p = script_provider(ws.path(), &script);
    let mut s = resume(s, &p, ws.path(), "").await;
    s.submit("once more");
    s.turn().await;
    let state = gearshift::core::SessionState::fold(&s.stored().await);
    let told = state
        .conversation
        .iter()
        .filter(
            |m| matches!(&***m, ChatMessage::User { text } if text.contains("Core rule: no unwrap.")),
        )
        .count();
    assert_eq!(told, 1);
}
