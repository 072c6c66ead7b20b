//! MCP servers as tools, through the real session actor and the real binary, against a small
//! MCP server written for these tests (`tests/fixtures/mcp_server.py`: stdio, and streamable
//! HTTP on 127.0.0.1 on a port the OS picks): tools listed and offered by gear, called with
//! approval, denied with a reason, a crash reported while the session goes on, a slow call
//! stopped by Esc, a workspace's `.mcp.json` loaded once trusted, and `gearshift mcp`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gearshift::core::ApprovalMode;
use gearshift::mcp::ServerState;
use gearshift::protocol::{Event, Gear, Op};
use serde_json::{Value, json};
use support::model::{FakeModel, Turn, config};
use support::session::{Session, provider, start_with};

fn server_script() -> String {
    format!(
        "{}/tests/fixtures/mcp_server.py",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `[mcp_servers.docs]` running the test server on stdio.
fn stdio_server(log: &std::path::Path) -> String {
    format!(
        "[mcp_servers.docs]\ncommand = \"python3\"\nargs = [\"{}\", \"stdio\"]\nenv = {{ MCP_LOG = \"{}\" }}\n",
        server_script(),
        log.display()
    )
}

/// Waits until `server` is ready, returning its tool count.
async fn ready(s: &mut Session, server: &str) -> usize {
    let seen = s
        .until(|e| {
            matches!(e, Event::McpStatus { servers } if servers.iter().any(|m|
                m.name == server && matches!(m.state, ServerState::Ready { .. } | ServerState::Failed { .. })))
        })
        .await;
    let Some(Event::McpStatus { servers }) = seen.last() else {
        unreachable!()
    };
    let m = servers.iter().find(|m| m.name == server).unwrap();
    match &m.state {
        ServerState::Ready { tools, .. } => *tools,
        other => panic!("{server} did not start: {other:?}"),
    }
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            t["function"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn approve_next(s: &mut Session) -> String {
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    let Some(Event::CommandApprovalRequested { id, command, .. }) = seen.last() else {
        unreachable!()
    };
    s.send(Op::ApproveCommand {
        call_id: id.clone(),
        always: false,
    });
    command.clone()
}

#[tokio::test]
async fn a_stdio_servers_tools_are_offered_called_with_approval_and_denied_with_a_reason() {
    let fake = FakeModel::start(vec![
        Turn::tool("mcp__docs__create_issue", json!({"title": "login fails"})),
        Turn::tool("mcp__docs__create_issue", json!({"title": "spam"})),
        Turn::text("filed one"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let log = ws.path().join("issues.log");
    let text = config(&fake.url(), "FAKE_KEY", &stdio_server(&log));
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    assert_eq!(ready(&mut s, "docs").await, 5);
    s.submit("file the login bug");
    // The first call asks, naming the tool and its arguments; approved, it runs.
    let asked = approve_next(&mut s).await;
    assert!(
        asked.starts_with("mcp__docs__create_issue") && asked.contains("login fails"),
        "{asked}"
    );
    // The second is denied, with a reason the model reads.
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    let Some(Event::CommandApprovalRequested { id, .. }) = seen.last() else {
        unreachable!()
    };
    s.send(Op::DenyCommand {
        call_id: id.clone(),
        reason: Some("one issue is enough".into()),
    });
    s.turn().await;

    assert_eq!(std::fs::read_to_string(&log).unwrap(), "login fails\n");
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 3);
    // Every tool of the server is offered in the vibe gear, with its schema.
    let names = tool_names(&bodies[0]);
    for t in ["search", "create_issue", "slow", "crash", "chart"] {
        assert!(names.contains(&format!("mcp__docs__{t}")), "{names:?}");
    }
    let schema = bodies[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "mcp__docs__create_issue")
        .unwrap();
    assert_eq!(
        schema["function"]["parameters"]["required"],
        json!(["title"])
    );
    let results = |body: &Value| -> Vec<String> {
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(results(&bodies[1]), ["created #1: login fails"]);
    let denied = results(&bodies[2]);
    assert!(
        denied[1].contains("one issue is enough"),
        "the model reads why: {denied:?}"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
    // Every decision is recorded.
    let stored = s.stored().await;
    assert!(stored.iter().any(|e| matches!(e,
        Event::CommandDecided { command, .. } if command.starts_with("mcp__docs__create_issue"))));
}

#[tokio::test]
async fn plan_exploration_offers_read_only_tools_and_not_mutating_ones() {
    let fake = FakeModel::start(vec![
        Turn::tool("mcp__docs__search", json!({"q": "auth flow"})),
        Turn::text("The docs say: use the session middleware."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let log = ws.path().join("issues.log");
    // `allow_tools` would let every docs tool run; a checkpoint naming one still stops it.
    let extra = format!(
        "{}\n[approvals]\nallow_tools = [\"mcp__docs__*\"]\n\n[[checkpoints]]\nname = \"docs\"\nreason = \"searches are shown first\"\ntools = [\"mcp__docs__search\"]\n",
        stdio_server(&log)
    );
    let text = config(&fake.url(), "FAKE_KEY", &extra);
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.send(Op::SetGear { gear: Gear::Plan });
    s.submit("how does auth work?");
    let seen = s
        .until(|e| matches!(e, Event::CommandApprovalRequested { .. }))
        .await;
    let Some(Event::CommandApprovalRequested { id, checkpoint, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(
        checkpoint.as_deref(),
        Some("checkpoint `docs`: searches are shown first")
    );
    s.send(Op::ApproveCommand {
        call_id: id.clone(),
        always: true,
    });
    let seen = s.turn().await;
    // The context pane counts the server's schemas apart from the built-in tools.
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::ContextAccounted { report }
        if report.items.iter().any(|i| i.label == "MCP docs: 3 tool schemas")))
    );
    let bodies = fake.bodies().await;
    let names = tool_names(&bodies[0]);
    assert!(names.contains(&"mcp__docs__search".to_string()));
    assert!(names.contains(&"mcp__docs__chart".to_string()));
    assert!(
        !names.contains(&"mcp__docs__create_issue".to_string()),
        "a mutating tool is not offered while planning: {names:?}"
    );
    assert!(!names.contains(&"mcp__docs__crash".to_string()));
    let second = bodies[1]["messages"].to_string();
    assert!(second.contains("found: auth flow"), "{second}");
}

#[tokio::test]
async fn a_crashing_server_is_reported_the_session_goes_on_and_it_restarts() {
    let fake = FakeModel::start(vec![
        Turn::tool("mcp__docs__crash", json!({})),
        Turn::text("it crashed"),
        Turn::text("still here"),
        Turn::tool("mcp__docs__search", json!({"q": "again"})),
        Turn::text("back"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let log = ws.path().join("issues.log");
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        &format!(
            "{}\n[approvals]\nallow_tools = [\"mcp__docs__*\"]\n",
            stdio_server(&log)
        ),
    );
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    ready(&mut s, "docs").await;
    s.submit("crash it");
    // `allow_tools` lets it run unasked; the server dies under the call.
    let seen = s.until(|e| matches!(e, Event::TurnFinished { .. })).await;
    assert!(seen.iter().any(|e| matches!(e,
        Event::Notice { text, .. } if text.contains("MCP server `docs` stopped"))));
    assert!(seen.iter().any(|e| matches!(e,
        Event::ToolResult { ok: false, content, .. } if content.contains("mcp__docs__crash"))));
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::CommandApprovalRequested { .. }))
    );
    let status = seen
        .iter()
        .rev()
        .find(|e| matches!(e, Event::McpStatus { .. }));
    assert!(matches!(status, Some(Event::McpStatus { servers })
        if matches!(&servers[0].state, ServerState::Failed { reason } if reason.contains("stopped"))));
    // The session goes on without its tools.
    s.submit("still there?");
    s.turn().await;
    let bodies = fake.bodies().await;
    assert!(
        !tool_names(&bodies[2])
            .iter()
            .any(|n| n.starts_with("mcp__"))
    );
    // Restarted, its tools are back.
    s.send(Op::RestartMcp {
        server: "docs".into(),
    });
    ready(&mut s, "docs").await;
    s.submit("search again");
    s.turn().await;
    let bodies = fake.bodies().await;
    assert!(tool_names(&bodies[3]).contains(&"mcp__docs__search".to_string()));
    assert!(bodies[4]["messages"].to_string().contains("found: again"));
}

#[tokio::test]
async fn esc_stops_a_slow_tool_at_once() {
    let fake = FakeModel::start(vec![Turn::tool("mcp__docs__slow", json!({"seconds": 30}))]).await;
    let ws = tempfile::tempdir().unwrap();
    let log = ws.path().join("issues.log");
    let text = config(&fake.url(), "FAKE_KEY", &stdio_server(&log));
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("wait");
    approve_next(&mut s).await;
    s.until(|e| matches!(e, Event::CommandDecided { .. })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = s.cancel_within(Duration::from_secs(3)).await;
    assert!(seen.iter().any(|e| matches!(e,
        Event::ToolResult { ok: false, content, .. } if content.contains("cancelled"))));
}

#[tokio::test]
async fn an_http_server_on_127_0_0_1_with_a_bearer_token_serves_its_tools() {
    // The server reads its token from HOME, as gearshift does: a variable both have.
    let mut child = std::process::Command::new("python3")
        .args([server_script().as_str(), "http", "--token-env", "HOME"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = {
        use std::io::BufRead as _;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().parse::<u16>().unwrap()
    };
    let fake = FakeModel::start(vec![
        Turn::tool("mcp__web__chart", json!({})),
        Turn::text("drawn"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let servers = format!(
        "[mcp_servers.web]\nurl = \"http://127.0.0.1:{port}/mcp\"\nbearer_token_env = \"HOME\"\ndisabled_tools = [\"crash\"]\n\
         [mcp_servers.locked]\nurl = \"http://127.0.0.1:{port}/mcp\"\nstartup_timeout = 5\n\
         [approvals]\nallow_tools = [\"mcp__web__chart\"]\n"
    );
    let text = config(&fake.url(), "FAKE_KEY", &servers);
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("draw the chart");
    let seen = s.turn().await;
    child.kill().unwrap();
    let _ = child.wait();
    // The image is summarised for the model, the caption kept.
    assert!(seen.iter().any(|e| matches!(e,
        Event::ToolResult { ok: true, content, .. }
            if content.contains("[image (image/png") && content.contains("sales by month"))));
    // Without the token, the other entry failed to start, saying why; the session went on.
    let stored = s.stored().await;
    assert!(stored.iter().any(|e| matches!(e,
        Event::Notice { text, .. } if text.contains("MCP server `locked` did not start"))));
    let bodies = fake.bodies().await;
    let names = tool_names(&bodies[0]);
    assert!(names.contains(&"mcp__web__chart".to_string()));
    assert!(
        !names.contains(&"mcp__web__crash".to_string()),
        "disabled_tools leaves it out: {names:?}"
    );
}

/// A workspace's `.mcp.json` as Claude Code users commit it: its servers start only once the
/// workspace is trusted; `gearshift mcp add|list|remove` edit the user's config.
#[test]
fn a_workspace_mcp_json_loads_unchanged_once_trusted_and_mcp_add_list_remove() {
    let script = "[[turns]]\ntool_calls = [{ name = \"mcp__docs__search\", arguments = { q = \"setup\" } }]\n\n[[turns]]\ntext = \"ok\"\n";
    let (home, ws) = support::scripted_home(script, "");
    std::fs::write(
        ws.path().join(".mcp.json"),
        format!(
            "{{\n  \"mcpServers\": {{\n    \"docs\": {{\"command\": \"python3\", \"args\": [\"{}\", \"stdio\"], \"env\": {{\"X\": \"${{NOPE:-1}}\"}}}}\n  }}\n}}\n",
            server_script()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| support::run_at_home(home.path(), ws.path(), args);
    let (out, _) = run(&["mcp", "list"]);
    assert!(
        out.contains("docs") && out.contains("not started until you trust"),
        "{out}"
    );
    let (out, err) = run(&["exec", "--approve-commands", "go"]);
    assert!(!out.contains("found: setup"), "{out}{err}");
    assert!(
        err.contains(".mcp.json") && err.contains("mcpServers.docs"),
        "{err}"
    );

    run(&["trust", "grant"]);
    let (out, _) = run(&["mcp", "list"]);
    assert!(out.contains("docs") && out.contains("[.mcp.json]"), "{out}");
    let (out, err) = run(&["exec", "--approve-commands", "go"]);
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(
        events.iter().any(|e| matches!(e,
            Event::ToolResult { ok: true, content, .. } if content == "found: setup")),
        "{out}{err}"
    );

    // `mcp add` writes the user's config, keeping what is there; `remove` takes it out.
    let config = home.path().join("config.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("# my settings\n{before}")).unwrap();
    let (out, err) = run(&[
        "mcp",
        "add",
        "tracker",
        "--env",
        "LEVEL=debug",
        "--",
        "python3",
        "srv.py",
        "--flag",
    ]);
    assert!(out.contains("Added MCP server `tracker`"), "{out}{err}");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.starts_with("# my settings\n"), "{written}");
    assert!(written.contains("[mcp_servers.tracker]"), "{written}");
    let (out, _) = run(&["mcp", "list"]);
    assert!(
        out.contains("tracker  stdio: python3 srv.py --flag  [config]"),
        "{out}"
    );
    let (_, err) = run(&["mcp", "add", "tracker", "--url", "http://x"]);
    assert!(err.contains("already configured"), "{err}");
    let (_, err) = run(&["mcp", "add", "bad__name", "--url", "http://x"]);
    assert!(err.contains("name"), "{err}");
    let (out, _) = run(&["mcp", "remove", "tracker"]);
    assert!(out.contains("Removed"), "{out}");
    assert!(
        !std::fs::read_to_string(&config)
            .unwrap()
            .contains("tracker")
    );
    let (_, err) = run(&["mcp", "remove", "docs"]);
    assert!(err.contains(".mcp.json"), "{err}");
}

// Sandbox round three: a server starts with a scrubbed environment plus what its config
// names, and nothing it starts outlives it — not even a child in a session of its own.

#[test]
fn a_server_gets_no_key_it_was_not_given_and_takes_its_children_with_it() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let probe = home.path().join("probe.json");
    std::fs::write(
        home.path().join("script.toml"),
        "[[turns]]\ntext = \"hi\"\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"s\"\n[providers.s]\nkind = \"script\"\nmodel = \"s\"\nscript = \"{}\"\n\
             [mcp_servers.docs]\ncommand = \"python3\"\nargs = [\"{}\", \"stdio\"]\n\
             env = {{ MCP_PROBE = \"{}\" }}\nenv_vars = [\"PASSED_TOKEN\"]\n",
            home.path().join("script.toml").display(),
            server_script(),
            probe.display()
        ),
    )
    .unwrap();
    let out = support::command(home.path(), ws.path(), &["exec", "hello"])
        .env("OPENAI_API_KEY", "sk-never-for-a-server-1234")
        .env("PASSED_TOKEN", "ghp-named-in-env-vars-5678")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&probe).unwrap()).unwrap();
    assert_eq!(seen["key"], Value::Null, "the server saw a key: {seen}");
    assert_eq!(seen["passed"], "ghp-named-in-env-vars-5678");
    // The run is over: the child the server started in its own session stops ticking.
    let ticks = home.path().join("probe.json.ticks");
    let size = || std::fs::metadata(&ticks).map_or(0, |m| m.len());
    std::thread::sleep(Duration::from_millis(300));
    let before = size();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(size(), before, "the server's child outlived it");
}

/// A Claude Code user's `claude mcp add` servers (`~/.claude.json`: user scope, and the
/// project scope keyed by the workspace's path) and a Codex user's `~/.codex/config.toml`
/// `[mcp_servers]` (with Codex's own keys) are found and run unchanged; a name tools cannot
/// carry is sanitised; `import_mcp = false` leaves them out.
#[test]
fn servers_set_up_for_claude_code_and_codex_are_found_and_run() {
    let script = "[[turns]]\ntool_calls = [{ name = \"mcp__my_time__search\", arguments = { q = \"now\" } }]\n\n[[turns]]\ntext = \"ok\"\n";
    let (home, ws) = support::scripted_home(script, "");
    let workspace = ws.path().canonicalize().unwrap();
    std::fs::write(
        home.path().join(".claude.json"),
        json!({
            "numStartups": 12,
            "mcpServers": {
                "my.time": {"type": "stdio", "command": "python3", "args": [server_script(), "stdio"], "env": {}}
            },
            "projects": {
                workspace.display().to_string(): {
                    "allowedTools": [],
                    "mcpServers": {
                        "tracker": {"type": "http", "url": "http://127.0.0.1:9/mcp"}
                    }
                },
                "/somewhere/else": {"mcpServers": {"other": {"command": "nope"}}}
            }
        })
        .to_string(),
    )
    .unwrap();
    std::fs::create_dir_all(home.path().join(".codex")).unwrap();
    std::fs::write(
        home.path().join(".codex/config.toml"),
        "model = \"gpt-5.1-codex\"\n\n[mcp_servers.docs]\ncommand = \"python3\"\nargs = [\"srv.py\"]\nenv_vars = [\"DOCS_TOKEN\"]\nstartup_timeout_ms = 20000\ntool_timeout_sec = 60\n",
    )
    .unwrap();
    let run = |args: &[&str]| support::run_at_home(home.path(), ws.path(), args);
    let (out, err) = run(&["mcp", "list"]);
    assert!(
        out.contains("my_time  stdio: python3") && out.contains("[~/.claude.json]"),
        "{out}{err}"
    );
    assert!(
        out.contains("tracker  http: http://127.0.0.1:9/mcp  [~/.claude.json (this project)]"),
        "{out}"
    );
    assert!(
        out.contains("docs  stdio: python3 srv.py  [~/.codex/config.toml]"),
        "{out}"
    );
    assert!(
        !out.contains("other"),
        "another project's servers stay there: {out}"
    );

    // The sanitised server's tools are offered under its new name, and answer.
    let (out, err) = run(&["exec", "--approve-commands", "go"]);
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(
        events.iter().any(|e| matches!(e,
            Event::ToolResult { ok: true, content, .. } if content == "found: now")),
        "{out}{err}"
    );

    let config = home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.insert_str(0, "import_mcp = false\n");
    std::fs::write(&config, text).unwrap();
    let (out, _) = run(&["mcp", "list"]);
    assert!(!out.contains("my_time") && !out.contains("docs"), "{out}");
}
