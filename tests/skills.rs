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
        .filter_map(|m| match &**m {
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

/// `allowed-tools` pre-approves, for the turn that loads the skill, the commands it names in
/// other agents' words (`Bash(echo granted:*)`) — when the user installed the skill. A
/// workspace skill (a file the model could have written) pre-approves nothing, and the grant
/// ends with the turn.
#[tokio::test]
async fn a_users_skill_pre_approves_its_commands_for_its_turn_and_a_workspace_skill_none() {
    if !support::sandbox_or_skip("a_users_skill_pre_approves_its_commands") {
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let write = |dir: &std::path::Path, name: &str, tools: &str| {
        let folder = dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("SKILL.md"),
            format!("---\nname: {name}\ndescription: d\nallowed-tools: {tools}\n---\nGo.\n"),
        )
        .unwrap();
    };
    write(
        &home.path().join(".claude/skills"),
        "greet",
        "Read, Grep, Bash(echo granted:*)",
    );
    write(
        &ws.path().join(".agents/skills"),
        "planted",
        "Bash(echo planted:*)",
    );
    let call = |name: &str, args: &str| {
        format!("[[turns]]\ntool_calls = [{{ name = \"{name}\", arguments = {args} }}]\n")
    };
    let script = [
        call("skill", "{ name = \"greet\" }"),
        call("run_command", "{ command = \"echo granted one\" }"),
        call("run_command", "{ command = \"echo granted; touch pwned\" }"),
        call("skill", "{ name = \"planted\" }"),
        call("run_command", "{ command = \"echo planted\" }"),
        "[[turns]]\ntext = \"Done.\"\n".to_string(),
        call("run_command", "{ command = \"echo granted two\" }"),
        "[[turns]]\ntext = \"Done again.\"\n".to_string(),
    ]
    .join("\n");
    let p = script_provider(ws.path(), &script);
    let mut s = support::session::start_at_home(&p, ws.path(), home.path()).await;
    s.submit("greet");
    let mut decided = Vec::new();
    let mut asked = Vec::new();
    let deny = |s: &support::session::Session, seen: &[Event], asked: &mut Vec<String>| {
        if let Some(Event::CommandApprovalRequested { id, command, .. }) = seen.last() {
            asked.push(command.clone());
            s.send(gearshift::protocol::Op::DenyCommand {
                call_id: id.clone(),
                reason: Some("no".into()),
            });
        }
    };
    for _ in 0..2 {
        let seen = s
            .until(|e| {
                matches!(
                    e,
                    Event::CommandApprovalRequested { .. } | Event::TurnFinished { .. }
                )
            })
            .await;
        decided.extend(seen.iter().filter_map(|e| match e {
            Event::CommandDecided {
                command, decision, ..
            } => Some((command.clone(), decision.clone())),
            _ => None,
        }));
        deny(&s, &seen, &mut asked);
    }
    s.turn().await;
    // The next prompt ends the grant: the same command asks.
    s.submit("again");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    deny(&s, &seen, &mut asked);
    s.turn().await;
    assert_eq!(
        decided[0],
        (
            "echo granted one".to_string(),
            gearshift::protocol::CommandDecision::Skill {
                skill: "greet".into()
            }
        ),
        "{decided:?}"
    );
    assert_eq!(
        asked,
        [
            "echo granted; touch pwned",
            "echo planted",
            "echo granted two"
        ],
        "a compound command, a workspace skill's grant and a later turn all ask"
    );
    assert!(!ws.path().join("pwned").exists());
}

/// A skill loaded before a compaction is still there after it, word for word: the summary
/// request does not paraphrase it, and the next request carries its body.
#[tokio::test]
async fn compaction_keeps_a_loaded_skill_verbatim() {
    use support::model::{FakeModel, Turn};
    let ws = tempfile::tempdir().unwrap();
    let folder = ws.path().join(".agents/skills/style");
    std::fs::create_dir_all(&folder).unwrap();
    let rule = "Every public function gets a doc comment that starts with a verb.";
    std::fs::write(
        folder.join("SKILL.md"),
        format!("---\nname: style\ndescription: House style\n---\n# Style\n\n{rule}\n"),
    )
    .unwrap();
    let fake = FakeModel::start(vec![
        Turn::tool("skill", serde_json::json!({"name": "style"})),
        Turn::text("Loaded the style."),
        Turn::text("OK."),
        Turn::text("SUMMARY: the user set up the house style."),
        Turn::text("Still following it."),
    ])
    .await;
    let p =
        support::session::provider(&support::model::config(&fake.url(), "FAKE_KEY", ""), "fake");
    let mut s = start(&p, ws.path()).await;
    s.submit("use our style");
    s.turn().await;
    s.submit("thanks");
    s.turn().await;
    s.send(gearshift::protocol::Op::Compact);
    s.until(|e| matches!(e, Event::Compacted { .. })).await;
    s.submit("write the parser");
    s.turn().await;
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 5, "{bodies:#?}");
    // The summary request is the session's own (its cached prefix), the instruction last,
    // naming the skill as what stays and so is not summarised.
    let messages = bodies[3]["messages"].as_array().unwrap();
    let instruction = messages.last().unwrap()["content"].as_str().unwrap();
    assert!(
        instruction.contains("the conversation is being compacted"),
        "{instruction}"
    );
    assert!(
        instruction.contains("These stay as they are too") && instruction.contains("style"),
        "{instruction}"
    );
    let before = bodies[2]["messages"].as_array().unwrap();
    assert_eq!(
        &messages[..before.len()],
        &before[..],
        "the previous request is its prefix, byte for byte"
    );
    let last = &bodies[4]["messages"];
    let texts: Vec<String> = last
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].to_string())
        .collect();
    let summary = texts
        .iter()
        .find(|t| t.contains("SUMMARY: the user set up"))
        .expect("the summary");
    assert!(summary.contains(rule), "{summary}");
    assert_eq!(
        texts.iter().filter(|t| t.contains(rule)).count(),
        1,
        "once: {texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("use our style")),
        "compacted"
    );
}

/// `/init` in the plan gear, whose planning turns write nothing: the model surveys, may write
/// only AGENTS.md in that turn, as a proposal reviewed in the diff pane; the model cannot load
/// the user-only skill itself; the next turn is read-only again.
#[tokio::test]
async fn init_proposes_an_agents_md_for_review_in_any_gear_and_nothing_else() {
    use gearshift::protocol::{Gear, Op};
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("README.md"), "# demo\n\nRun `make test`.\n").unwrap();
    let script = r##"
[[turns]]
tool_calls = [{ name = "skill", arguments = { name = "init" } }, { name = "read_file", arguments = { path = "README.md" } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "src/main.rs", content = "fn main() {}\n" } }, { name = "write_file", arguments = { path = "AGENTS.md", content = "# AGENTS\n\n- Test: `make test`\n" } }]

[[turns]]
text = "Proposed AGENTS.md."

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "AGENTS.md", content = "changed\n" } }]

[[turns]]
text = "Could not."
"##;
    let p = script_provider(ws.path(), script);
    let mut s = start(&p, ws.path()).await;
    s.send(Op::SetGear { gear: Gear::Plan });
    s.until(|e| matches!(e, Event::GearChanged { .. })).await;
    s.submit("/init");
    s.accept_next_change().await;
    let seen = s.turn().await;
    assert_eq!(
        std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap(),
        "# AGENTS\n\n- Test: `make test`\n"
    );
    assert!(!ws.path().join("src/main.rs").exists());
    let stored = s.stored().await;
    let results: Vec<(bool, String)> = stored
        .iter()
        .filter_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .collect();
    assert!(
        !results[0].0 && results[0].1.contains("invoked by the user only"),
        "{results:?}"
    );
    assert!(
        !results[2].0 && results[2].1.contains("memory files only"),
        "{results:?}"
    );
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::MemoryTurn { skill } if skill == "init"))
    );
    assert!(seen.iter().any(|e| matches!(e, Event::TurnFinished { .. })));
    // The next prompt is a planning turn again: no writes.
    s.submit("and now");
    let seen = s.turn().await;
    let refused = seen.iter().any(|e| {
        matches!(e, Event::ToolResult { ok: false, content, .. } if content.contains("not available in the plan gear"))
    });
    assert!(refused, "{seen:?}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("AGENTS.md")).unwrap(),
        "# AGENTS\n\n- Test: `make test`\n"
    );
}
