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

/// The memory layouts Claude Code and Codex users keep, in a repository made by `git clone`:
/// `AGENTS.override.md` replaces `AGENTS.md` in its folder (Codex), `.claude/CLAUDE.md` and
/// `CLAUDE.local.md` are read (Claude Code), `.claude/rules/*.md` without `paths:` are memory
/// from the start and those with `paths:` join when the model opens a matching file; skills
/// in Codex's folders are found.
#[tokio::test]
async fn claude_code_and_codex_layouts_of_a_cloned_repository_are_read_as_they_are() {
    let origin = tempfile::tempdir().unwrap();
    let o = origin.path();
    support::git_repo(o);
    write(&o.join("AGENTS.md"), "Shared agents rule.");
    write(&o.join("AGENTS.override.md"), "Override rule wins.");
    write(&o.join(".claude/CLAUDE.md"), "Claude folder rule.");
    write(
        &o.join(".claude/rules/general.md"),
        "General rule: tests first.",
    );
    write(
        &o.join(".claude/rules/api.md"),
        "---\npaths:\n  - \"src/api/**/*.ts\"\n---\n\n# API rules\n\nValidate every input.\n",
    );
    write(&o.join("src/api/users.ts"), "export const x = 1;\n");
    write(
        &o.join(".claude/rules/docs.md"),
        "---\npaths: docs/**/*.md\n---\nDocs are British English.\n",
    );
    write(
        &o.join(".codex/skills/release/SKILL.md"),
        "---\nname: release\ndescription: Cut a release of this repository\n---\nTag it.\n",
    );
    support::git(o, &["add", "-A"]);
    support::git(o, &["commit", "-qm", "layouts"]);
    let clones = tempfile::tempdir().unwrap();
    let ws = clones.path().join("repo");
    support::git(
        clones.path(),
        &["clone", "-q", o.to_str().unwrap(), ws.to_str().unwrap()],
    );
    // Not committed: a personal file.
    write(&ws.join("CLAUDE.local.md"), "My local rule.");
    let home = tempfile::tempdir().unwrap();
    write(
        &home.path().join(".codex/skills/mine/SKILL.md"),
        "---\nname: mine\ndescription: My own Codex skill\n---\nDo it my way.\n",
    );
    let script = "[[turns]]\ntool_calls = [{ name = \"read_file\", arguments = { path = \"src/api/users.ts\" } }]\n\n[[turns]]\ntext = \"Read it.\"\n";
    let p = script_provider(&ws, script);
    let mut s = start_at_home(&p, &ws, home.path()).await;
    s.submit("look at the api");
    let seen = s.turn().await;
    let items = memory_items(&seen);
    for expected in [
        "project memory: AGENTS.override.md",
        "project memory: .claude/CLAUDE.md",
        "project memory: CLAUDE.local.md",
        "project memory: .claude/rules/general.md",
        "project memory: .claude/rules/api.md",
    ] {
        assert!(
            items.iter().any(|i| i == expected),
            "{expected} in {items:?}"
        );
    }
    assert!(
        !items.iter().any(|i| i == "project memory: AGENTS.md"),
        "the override replaces it: {items:?}"
    );
    assert!(
        !items.iter().any(|i| i.contains("docs.md")),
        "a rule for files not opened stays out: {items:?}"
    );
    let state = gearshift::core::SessionState::fold(&s.stored().await);
    let api = state
        .conversation
        .iter()
        .position(|m| matches!(&**m, ChatMessage::User { text } if text.contains("Validate every input.")))
        .expect("the API rule joined once the file was opened");
    assert!(matches!(
        *state.conversation[api - 1],
        ChatMessage::ToolResult { .. }
    ));
    let out = support::command(home.path(), &ws, &["skills"])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("release") && listed.contains("mine"),
        "{listed}"
    );
}
