//! What MCP servers offer besides tools, through the real session actor and the real binary,
//! against the test server (`tests/fixtures/mcp_server.py`, which lists resources and prompts
//! in the protocol's shapes): a prompt's `@server:uri` mention reads the resource into it,
//! `/mcp__server__prompt args` runs the server's prompt, both offered to the composer;
//! `gearshift mcp list` starts each server and names its health, tools, resources and
//! prompts; a headless run says on stderr that it waits for a server, and a hung one ends at
//! its startup timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::core::ApprovalMode;
use gearshift::mcp::ServerState;
use gearshift::protocol::{CommandKind, Event};
use serde_json::Value;
use support::model::{FakeModel, Turn, config};
use support::session::{provider, start_with};

fn server_script() -> String {
    format!(
        "{}/tests/fixtures/mcp_server.py",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn docs_server() -> String {
    format!(
        "[mcp_servers.docs]\ncommand = \"python3\"\nargs = [\"{}\", \"stdio\"]\n",
        server_script()
    )
}

/// Every message's text of a request body, joined.
fn all_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn resources_are_mentioned_and_prompts_run_as_commands() {
    let fake = FakeModel::start(vec![Turn::text("noted"), Turn::text("reviewed")]).await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(&fake.url(), "FAKE_KEY", &docs_server());
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;

    // The server's prompt is a command of the composer, its arguments as its hint; its
    // resources are listed for `@docs:` completion.
    let seen = s
        .until(|e| matches!(e, Event::Commands { commands } if commands.iter().any(|c| c.kind == CommandKind::McpPrompt)))
        .await;
    let Some(Event::Commands { commands }) = seen.last() else {
        unreachable!()
    };
    let review = commands
        .iter()
        .find(|c| c.name == "mcp__docs__review")
        .expect("the server's prompt");
    assert_eq!(review.hint, "<path> [focus]");
    assert_eq!(review.description, "Review a file");
    let status = seen
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::McpStatus { servers } => Some(servers[0].state.clone()),
            _ => None,
        })
        .unwrap();
    let ServerState::Ready { resources, .. } = status else {
        panic!("{status:?}")
    };
    assert_eq!(resources, ["docs://guide/setup", "docs://guide/logo"]);

    // A mention reads the resource into the prompt.
    s.submit("summarise @docs:docs://guide/setup please");
    s.turn().await;
    // A prompt runs the server's prompt with its words as arguments.
    s.submit("/mcp__docs__review src/auth.rs error handling");
    s.turn().await;
    // One missing its required argument goes back, unsent, saying what it needs.
    s.submit("/mcp__docs__review");
    let seen = s.until(|e| matches!(e, Event::Refused { .. })).await;
    let Some(Event::Refused { message, .. }) = seen.last() else {
        unreachable!()
    };
    assert!(message.contains("<path> [focus]"), "{message}");
    assert!(seen.iter().any(|e| matches!(e, Event::Unqueued { .. })));

    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 2, "the refused prompt was not sent");
    let first = all_text(&bodies[0]);
    assert!(
        first.contains("Run `make bootstrap`, then `make test`."),
        "{first}"
    );
    assert!(first.contains("docs:docs://guide/setup"), "{first}");
    let second = all_text(&bodies[1]);
    assert!(
        second.contains("Review src/auth.rs with a focus on error handling."),
        "{second}"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[test]
fn mcp_list_starts_each_server_and_a_headless_run_says_what_it_waits_for() {
    let script = "[[turns]]\ntext = \"read it\"\n";
    let hung = "[mcp_servers.hung]\ncommand = \"python3\"\nargs = [\"-c\", \"import time; time.sleep(60)\"]\nstartup_timeout_ms = 1500\n";
    let (home, ws) = support::scripted_home(script, &format!("{}{hung}", docs_server()));
    let run = |args: &[&str]| support::run_at_home(home.path(), ws.path(), args);

    let (out, err) = run(&["mcp", "list"]);
    assert!(
        out.contains(
            "✓ ready — 5 tools: search, create_issue, slow, crash, chart; 2 resources \
             (@docs:URI); 1 prompt: /mcp__docs__review"
        ),
        "{out}{err}"
    );
    assert!(
        out.contains("✗ it did not start within 1 s (startup_timeout)"),
        "{out}{err}"
    );
    let (out, _) = run(&["mcp", "list", "--offline"]);
    assert!(!out.contains("ready"), "{out}");

    // A headless prompt mentioning a resource waits for its server, saying so on stderr, and
    // the one that hangs is given up at its timeout, also said.
    let (out, err) = run(&["exec", "what does @docs:docs://guide/setup say"]);
    assert!(
        err.contains("Waiting for MCP servers to start: docs"),
        "{err}"
    );
    assert!(
        err.contains("MCP server `hung` did not start") && err.contains("startup_timeout"),
        "{err}"
    );
    assert!(out.contains("read it"), "{out}");
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(
        events.iter().any(|e| matches!(e,
            Event::Instructed { text, .. } if text.contains("Run `make bootstrap`"))),
        "the resource was read into the prompt"
    );
}

/// A plan's text is the model's: revising it quotes the plan, and an `@server:uri` the model
/// put in a step is not read (only the human's own prompt reads resources).
#[tokio::test]
async fn a_resource_named_in_the_models_plan_is_not_read_when_the_plan_is_revised() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "propose_plan",
            serde_json::json!({"steps": [{"title": "First read @docs:docs://guide/setup"}]}),
        ),
        Turn::tool(
            "propose_plan",
            serde_json::json!({"steps": [{"title": "Read the guide"}]}),
        ),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        &format!("{}[review]\nmemory_step = false\n", docs_server()),
    );
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.send(gearshift::protocol::Op::SetGear {
        gear: gearshift::protocol::Gear::Plan,
    });
    s.until(|e| matches!(e, Event::GearChanged { .. })).await;
    s.submit("plan it");
    s.turn().await;
    s.send(gearshift::protocol::Op::RevisePlan);
    s.turn().await;
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 2);
    let revision = all_text(&bodies[1]);
    assert!(revision.contains("@docs:docs://guide/setup"), "{revision}");
    assert!(!revision.contains("make bootstrap"), "{revision}");
}
