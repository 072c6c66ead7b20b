//! Skills through the real session actor: a published-shaped skill folder in the workspace,
//! its catalog entry, the `skill` tool loading its body with its folder, and the model reading
//! a bundled file by the absolute path it was given — and nothing else outside the workspace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::context::ItemId;
use gearshift::protocol::Event;
use support::session::{script_provider, start};

#[tokio::test]
async fn a_skill_is_in_the_catalog_loads_on_demand_and_its_bundled_files_are_readable() {
    let ws = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let folder = ws.path().join(".agents/skills/pdf");
    std::fs::create_dir_all(folder.join("references")).unwrap();
    std::fs::write(
        folder.join("SKILL.md"),
        "---\nname: pdf\ndescription: Fill PDF forms. Use when the user mentions PDFs.\n---\n\
         # PDF\n\nRead references/forms.md first.\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("references/forms.md"),
        "Field names are case-sensitive.\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for the model\n").unwrap();
    let bundled = std::fs::canonicalize(folder.join("references/forms.md")).unwrap();
    let secret = outside.path().join("secret.txt");
    let script = format!(
        r#"
[[turns]]
tool_calls = [{{ name = "skill", arguments = {{ name = "pdf" }} }}]

[[turns]]
tool_calls = [{{ name = "read_file", arguments = {{ path = {bundled:?} }} }}, {{ name = "read_file", arguments = {{ path = {secret:?} }} }}]

[[turns]]
text = "Done."
"#,
        bundled = bundled.display().to_string(),
        secret = secret.display().to_string(),
    );
    let p = script_provider(ws.path(), &script);
    let mut s = start(&p, ws.path()).await;
    s.submit("fill the form");
    let seen = s.turn().await;
    // The catalog is part of the request, as its own item of the context.
    let catalog = seen.iter().rev().find_map(|e| match e {
        Event::ContextAccounted { report } => report
            .items
            .iter()
            .find(|i| i.id == ItemId::Skills)
            .cloned(),
        _ => None,
    });
    let catalog = catalog.expect("the skill catalog is accounted");
    assert!(catalog.label.contains("skills"), "{}", catalog.label);
    let results: Vec<(bool, String)> = seen
        .iter()
        .filter_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 3, "{results:?}");
    // The body, with the folder's absolute path and its files.
    let (ok, body) = &results[0];
    assert!(*ok, "{body}");
    assert!(body.contains("Read references/forms.md first."), "{body}");
    let real_folder = std::fs::canonicalize(&folder).unwrap();
    assert!(body.contains(&real_folder.display().to_string()), "{body}");
    assert!(body.contains(&bundled.display().to_string()), "{body}");
    // The bundled file reads by that path; a file elsewhere outside the workspace does not.
    assert!(
        results[1].0 && results[1].1.contains("case-sensitive"),
        "{:?}",
        results[1]
    );
    assert!(!results[2].0, "{:?}", results[2]);
    assert!(!results[2].1.contains("not for the model"));
}

#[tokio::test]
async fn slash_name_in_a_prompt_invokes_a_skill_with_its_instructions() {
    let ws = tempfile::tempdir().unwrap();
    let folder = ws.path().join(".claude/skills/release");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("SKILL.md"),
        "---\nname: release\ndescription: Cut a release\n---\nBump the version, then tag it.\n",
    )
    .unwrap();
    let p = script_provider(
        ws.path(),
        "[[turns]]\ntext = \"Releasing.\"\n\n[[turns]]\ntext = \"Plain.\"\n",
    );
    let mut s = start(&p, ws.path()).await;
    s.submit("/release 2.0 with notes");
    s.turn().await;
    // A slash word that names no skill is an ordinary prompt.
    s.submit("/nothing here");
    s.turn().await;
    let stored = s.stored().await;
    let state = gearshift::core::SessionState::fold(&stored);
    let users: Vec<String> = state
        .conversation
        .iter()
        .filter_map(|m| match m {
            gearshift::provider::ChatMessage::User { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(users.len(), 3, "{users:?}");
    assert_eq!(users[0], "/release 2.0 with notes");
    assert!(
        users[1].contains("invoked the skill `release` for: 2.0 with notes"),
        "{}",
        users[1]
    );
    assert!(
        users[1].contains("Bump the version, then tag it."),
        "{}",
        users[1]
    );
    assert_eq!(users[2], "/nothing here");
}
