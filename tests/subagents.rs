//! Subagents through the real session actor and store, against a fake OpenAI-compatible
//! server on 127.0.0.1: a `task` call runs the built-in `explorer` with a fresh context and
//! the parent's read tools only, its answer returns as the call's result, its session is
//! stored under the parent's, and cancelling the parent cancels it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use gearshift::core::ApprovalMode;
use gearshift::protocol::{Event, FinishReason, Op, Severity};
use gearshift::store::Reader;
use serde_json::{Value, json};
use support::model::{FakeModel, Turn, config};
use support::session::{provider, start_with};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn sse(turn: &Turn, n: usize) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(turn.sse(n))
}

/// `n` calls of the explorer in one reply.
fn explorers(n: usize) -> Turn {
    Turn::Tools(
        (0..n)
            .map(|i| {
                let args = json!({"agent": "explorer", "prompt": format!("look around {i}")});
                ("task".to_string(), args)
            })
            .collect(),
    )
}

/// A model whose first answer starts `n` explorers, and which never answers them.
async fn stalling_server(n: usize) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&explorers(n), 0))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("too late"), 1).set_delay(Duration::from_secs(120)))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// Writes the user's agent `name` (Claude Code's format) under `home`'s `.claude/agents`.
fn user_agent(home: &std::path::Path, name: &str, definition: &str) {
    let agents = home.join(".claude/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(agents.join(format!("{name}.md")), definition).unwrap();
}

/// A session against `server` whose user has the agent `tester` (it runs commands, unboxed),
/// asked to "run both"; the folders it lives in go with the second value.
async fn testers_run_both(
    server: &MockServer,
) -> (
    support::session::Session,
    (tempfile::TempDir, tempfile::TempDir),
) {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    user_agent(
        home.path(),
        "tester",
        "---\nname: tester\ndescription: Runs tests\ntools: Bash\n---\nYou run tests.\n",
    );
    let text = config(
        &format!("{}/v1", server.uri()),
        "FAKE_KEY",
        "[sandbox]\nmode = \"off\"\n",
    );
    let p = provider(&text, "fake");
    let s = support::session::start_at_home_with(&p, ws.path(), home.path(), &text).await;
    s.submit("run both");
    (s, (ws, home))
}

/// The next `n` questions of subagents that reach the human: each one's name and command.
async fn questions(s: &mut support::session::Session, n: usize) -> Vec<(String, String)> {
    let mut asked = Vec::new();
    while asked.len() < n {
        let (q, _) = s.next_agent_question().await;
        asked.push((q.id, q.command));
    }
    asked
}

/// Waits until `server` has had `n` requests.
async fn requests_reach(server: &MockServer, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.received_requests().await.unwrap_or_default().len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the subagent never asked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_explorer_answers_from_a_fresh_context_with_the_parents_read_tools_only() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "task",
            json!({"agent": "explorer", "prompt": "Where is the parser defined?"}),
        ),
        Turn::tool("grep", json!({"pattern": "fn parse"})),
        Turn::text("`parse` is defined in src/parse.rs:1."),
        Turn::text("The parser is in src/parse.rs."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("src")).unwrap();
    std::fs::write(ws.path().join("src/parse.rs"), "fn parse() {}\n").unwrap();
    std::fs::write(ws.path().join("AGENTS.md"), "Indent with tabs.\n").unwrap();
    let text = config(&fake.url(), "FAKE_KEY", "");
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("PARENT-ONLY: find the parser for me");
    let seen = s.turn().await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Event::TurnFinished {
                reason: FinishReason::Stop
            }
        )),
        "{seen:?}"
    );
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 4, "{bodies:#?}");
    let parent_tools = tool_names(&bodies[0]);
    assert!(
        parent_tools.contains(&"task".to_string()),
        "{parent_tools:?}"
    );

    // The subagent's first request: its own instructions and the project memory, the
    // prompt it was given, nothing of the parent's conversation.
    let child = &bodies[1];
    let messages = child["messages"].as_array().unwrap();
    let system = messages[0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are an explorer"), "{system}");
    assert!(system.contains("Indent with tabs."), "{system}");
    let rest: Vec<&Value> = messages[1..].iter().collect();
    assert_eq!(rest.len(), 1, "{rest:#?}");
    assert_eq!(rest[0]["role"], "user");
    assert_eq!(rest[0]["content"], "Where is the parser defined?");
    assert!(!child.to_string().contains("PARENT-ONLY"), "{child}");
    // Its tools: a subset of the parent's, reading only, and no `task` of its own.
    let child_tools = tool_names(child);
    assert!(child_tools.contains(&"grep".to_string()), "{child_tools:?}");
    for name in &child_tools {
        assert!(parent_tools.contains(name), "{name} is not the parent's");
    }
    for name in [
        "task",
        "write_file",
        "edit_file",
        "run_command",
        "delete_file",
    ] {
        assert!(
            !child_tools.contains(&name.to_string()),
            "{name}: {child_tools:?}"
        );
    }

    // Its answer is the call's result in the parent's next request.
    let parent_next = bodies[3].to_string();
    assert!(
        parent_next.contains("`parse` is defined in src/parse.rs:1."),
        "{parent_next}"
    );
    let result = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolResult { ok, summary, .. } => Some((*ok, summary.clone())),
            _ => None,
        })
        .unwrap();
    assert!(result.0, "{result:?}");
    assert!(
        result.1.starts_with("explorer · 1 tool call · ") && result.1.ends_with(" tokens"),
        "{result:?}"
    );

    // Stored under the parent, which alone is listed.
    let reader = Reader::open(&s.db).unwrap();
    let children = reader.children(&s.id).unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    // What it spent is the parent's, recorded just before the call's result.
    let spent = seen
        .iter()
        .position(|e| {
            matches!(e, Event::AgentSpent { agent, session, requests: 2, input, .. }
                if agent == "explorer" && *session == children[0].id && *input > 0)
        })
        .expect("no AgentSpent");
    let next = seen[spent + 1..].iter().find(|e| e.is_persisted()).unwrap();
    assert!(matches!(next, Event::ToolResult { .. }), "{seen:?}");
    // The context pane is told what the explorer held instead of the parent.
    let Event::AgentSpent { context, .. } = &seen[spent] else {
        unreachable!()
    };
    let delegated = seen.iter().rev().find_map(|e| match e {
        Event::ContextAccounted { report } => Some(report.delegated),
        _ => None,
    });
    assert_eq!(delegated, Some(*context));
    assert!(*context > 0);
    let listed = reader.list_sessions(None, 10).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, s.id);
    // `sessions show` nests it after its parent.
    let home = s.db.parent().unwrap();
    // Resumed, the chat is told the subagent's steps after what it spent, under its call.
    let task_call = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolCall { id, name, .. } if name == "task" => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    let library = gearshift::library::Library::of(gearshift::store::Store::open(&s.db).unwrap());
    let mut replayed = Vec::new();
    library.replay(&s.id, |e| replayed.push(e)).unwrap();
    let steps: Vec<&Event> = replayed
        .iter()
        .filter_map(|e| match e {
            Event::FromAgent { id, agent, event } if *id == task_call && agent == "explorer" => {
                Some(&**event)
            }
            _ => None,
        })
        .collect();
    assert!(
        matches!(steps[..], [Event::ToolCall { name, .. }, Event::ToolResult { ok: true, .. }] if name == "grep"),
        "{steps:?}"
    );
    // Spend by agent: the explorer's two requests, the parent's two.
    let (by_agent, err) = support::run_at_home(
        home,
        ws.path(),
        &["stats", "--by", "agent", "--since", "1d", "--json"],
    );
    assert!(err.is_empty(), "{err}");
    let by_agent: Value = serde_json::from_str(&by_agent).unwrap();
    let groups: Vec<(String, u64)> = by_agent["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = g["key"].as_str().unwrap().to_string();
            (key, g["requests"].as_u64().unwrap())
        })
        .collect();
    assert!(
        groups.contains(&("explorer".into(), 2)) && groups.contains(&("(main)".into(), 2)),
        "{by_agent:#}"
    );
    let (shown, err) = support::run_at_home(home, ws.path(), &["sessions", "show", &s.id]);
    assert!(err.is_empty(), "{err}");
    let nested = shown.find("## Subagent `explorer`").expect(&shown);
    assert!(
        shown[nested..].contains("Where is the parser defined?")
            && shown[..nested].contains("PARENT-ONLY"),
        "{shown}"
    );
    let stored = reader.events(&children[0].id).unwrap();
    assert!(
        stored.iter().any(|e| matches!(
            &e.event,
            Event::SessionOpened { meta } if meta.subagent.as_ref().is_some_and(|a| a.parent == s.id && a.agent == "explorer")
        )),
        "{stored:?}"
    );
}

#[tokio::test]
async fn a_task_naming_no_agent_is_answered_with_the_agents_there_are() {
    let fake = FakeModel::start(vec![
        Turn::tool("task", json!({"agent": "wizard", "prompt": "do magic"})),
        Turn::text("ok"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(&fake.url(), "FAKE_KEY", "");
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("go");
    let seen = s.turn().await;
    let (ok, content) = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolResult { ok, content, .. } => Some((*ok, content.clone())),
            _ => None,
        })
        .unwrap();
    assert!(!ok);
    assert!(
        content.contains("no agent `wizard`") && content.contains("explorer"),
        "{content}"
    );
}

#[tokio::test]
async fn cancelling_the_parent_cancels_its_subagent() {
    let server = stalling_server(2).await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(&format!("{}/v1", server.uri()), "FAKE_KEY", "");
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("explore");
    // Wait for both subagents' requests to be in flight.
    requests_reach(&server, 3).await;
    // Cancelled, and the session quit at once: it ends only after its subagent recorded
    // its own end.
    s.send(Op::Cancel);
    s.send(Op::Quit);
    let mut seen = Vec::new();
    while let Some(e) = tokio::time::timeout(Duration::from_secs(20), s.events.recv())
        .await
        .expect("the session did not end")
    {
        seen.push(e);
    }
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Event::TurnFinished {
                reason: FinishReason::Cancelled
            }
        )),
        "{seen:?}"
    );
    let results = seen
        .iter()
        .filter(|e| matches!(e, Event::ToolResult { ok: false, .. }))
        .count();
    assert_eq!(results, 2, "{seen:?}");
    let reader = Reader::open(&s.db).unwrap();
    let children = reader.children(&s.id).unwrap();
    assert_eq!(children.len(), 2, "{children:?}");
    // What each spent is the parent's session's all the same, recorded as it ended.
    let spent = reader
        .events(&s.id)
        .unwrap()
        .iter()
        .filter(|e| matches!(e.event, Event::AgentSpent { .. }))
        .count();
    assert_eq!(spent, 2);
    for child in children {
        let recorded = reader.events(&child.id).unwrap();
        assert!(
            recorded.iter().any(|e| matches!(
                e.event,
                Event::TurnFinished {
                    reason: FinishReason::Cancelled
                }
            )),
            "{recorded:?}"
        );
    }
}

#[tokio::test]
async fn the_users_tool_hooks_guard_a_subagents_calls_and_a_planning_turns_subagent_only_reads() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "task",
            json!({"agent": "explorer", "prompt": "Quote the deploy key in id_deploy.pem."}),
        ),
        Turn::tool("read_file", json!({"path": "id_deploy.pem"})),
        Turn::text("I could not read it."),
        Turn::text("The key is off limits."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("id_deploy.pem"),
        "-----BEGIN PRIVATE KEY-----\nKEY-MATERIAL\n",
    )
    .unwrap();
    // A hook written for Claude Code: exit 2 blocks the call, stderr says why.
    let hooks = r#"
[[hooks.PreToolUse]]
matcher = "Read"
hooks = [{ type = "command", command = '''
input=$(cat)
case "$input" in
  *'.pem'*) echo "keys are not read by models" >&2; exit 2 ;;
esac
exit 0
''' }]
"#;
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        &format!("[sandbox]\nmode = \"off\"\n{hooks}"),
    );
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.send(Op::SetGear {
        gear: gearshift::protocol::Gear::Plan,
    });
    s.submit("what deploy key do we use?");
    s.turn().await;
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 4, "{bodies:#?}");
    // A planning turn's subagent reads only, and plans nothing.
    let child_tools = tool_names(&bodies[1]);
    assert!(child_tools.contains(&"read_file".to_string()));
    assert!(
        !child_tools.contains(&"propose_plan".to_string()),
        "{child_tools:?}"
    );
    // The hook blocked the subagent's read as it would have blocked the parent's.
    let after_read = bodies[2].to_string();
    assert!(
        after_read.contains("keys are not read by models"),
        "{after_read}"
    );
    assert!(!after_read.contains("KEY-MATERIAL"), "{after_read}");
    assert!(!bodies[3].to_string().contains("KEY-MATERIAL"));
    // Its session runs a plain turn whatever the parent's gear.
    let reader = Reader::open(&s.db).unwrap();
    let child = reader.children(&s.id).unwrap().remove(0);
    assert_eq!(child.gear, "vibe");
}

/// `exec` interrupted while its subagent waits for the model: the run ends as a cancel, and
/// the subagent's session has recorded its own end before the process is gone.
#[tokio::test]
async fn an_interrupted_exec_ends_after_its_subagent_recorded_the_cancel() {
    let server = stalling_server(1).await;
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        config(&format!("{}/v1", server.uri()), "FAKE_KEY", ""),
    )
    .unwrap();
    let mut child = support::command(home.path(), ws.path(), &["exec", "explore"])
        .env("FAKE_KEY", "sk-fake")
        .env("HOME", home.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    requests_reach(&server, 2).await;
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "exec did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(130));
    let reader = Reader::open(&home.path().join("gearshift.db")).unwrap();
    let parent = reader.list_sessions(None, 1).unwrap().remove(0);
    let children = reader.children(&parent.id).unwrap();
    assert_eq!(children.len(), 1, "{children:?}");
    let recorded = reader.events(&children[0].id).unwrap();
    assert!(
        recorded.iter().any(|e| matches!(
            e.event,
            Event::TurnFinished {
                reason: FinishReason::Cancelled
            }
        )),
        "{recorded:?}"
    );
}

/// Four `task` calls in one reply: three subagents ask the model at once (`[agents]
/// max_parallel` is 3 by default), the fourth only once one of them has answered, and all
/// four answers reach the model together.
#[tokio::test]
async fn three_subagents_run_at_once_and_a_fourth_waits_for_a_place() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&explorers(4), 0))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("You are an explorer"))
        .respond_with(sse(&Turn::text("found it"), 1).set_delay(Duration::from_secs(2)))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("all four looked"), 2))
        .with_priority(3)
        .mount(&server)
        .await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(&format!("{}/v1", server.uri()), "FAKE_KEY", "");
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("explore four ways");
    let mut seen = Vec::new();
    let mut drain = |s: &mut support::session::Session| {
        while let Ok(e) = s.events.try_recv() {
            seen.push(e);
        }
        seen.iter()
            .filter(|e| matches!(e, Event::ToolResult { .. }))
            .count()
    };
    // The parent's request and three subagents' are in flight before any answered (one at a
    // time, the second would start only after the first's result was recorded and sent).
    requests_reach(&server, 4).await;
    assert_eq!(
        drain(&mut s),
        0,
        "a subagent answered before the third started"
    );
    // The fourth starts once a place is free: after a result.
    requests_reach(&server, 5).await;
    assert!(drain(&mut s) >= 1, "the fourth started while three ran");
    seen.extend(s.turn().await);
    let results = seen
        .iter()
        .filter(|e| matches!(e, Event::ToolResult { ok: true, .. }))
        .count();
    assert_eq!(results, 4, "{seen:?}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 6);
    let last: Value = serde_json::from_slice(&requests[5].body).unwrap();
    let answers = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool" && m["content"] == "found it")
        .count();
    assert_eq!(answers, 4, "{last:#}");
    let children = Reader::open(&s.db).unwrap().children(&s.id).unwrap();
    assert_eq!(children.len(), 4);
}

/// `[routing] explorer` sends the explorer's requests to its own model; the parent's stay on
/// the session's.
#[tokio::test]
async fn an_agent_takes_the_model_its_route_names() {
    let fake = FakeModel::start(vec![
        Turn::tool("task", json!({"agent": "explorer", "prompt": "look"})),
        Turn::text("looked"),
        Turn::text("done"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        "[routing]\nexplorer = \"fake/small-model\"\n",
    );
    let p = provider(&text, "fake");
    let mut s =
        support::session::start_switching(&p, ws.path(), &text, &[("FAKE_KEY", "sk-fake")]).await;
    s.submit("go");
    s.turn().await;
    let models: Vec<String> = fake
        .bodies()
        .await
        .iter()
        .map(|b| b["model"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(models, ["fake-model", "small-model", "fake-model"]);
}

/// A user's agent that runs commands: its approval comes to the human through the parent,
/// labelled with the agent, under an id of the parent's; approving it there runs the command
/// in the subagent, whose answer returns to the parent.
#[tokio::test]
async fn a_subagents_command_waits_for_the_human_through_its_parent() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "task",
            json!({"agent": "tester", "prompt": "Run the smoke test."}),
        ),
        Turn::tool("run_command", json!({"command": "echo smoke-ok"})),
        Turn::text("The smoke test printed smoke-ok."),
        Turn::text("Tests pass."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // Written for Claude Code.
    user_agent(
        home.path(),
        "tester",
        "---\nname: tester\ndescription: Runs the tests and reports failures\ntools: Bash, Read\n\
         ---\nYou run tests.\n",
    );
    let text = config(&fake.url(), "FAKE_KEY", "[sandbox]\nmode = \"off\"\n");
    let p = provider(&text, "fake");
    let mut s = support::session::start_at_home_with(&p, ws.path(), home.path(), &text).await;
    s.submit("run the smoke test");
    let (question, asked) = s.next_agent_question().await;
    let (id, key) = (&question.asker, &question.id);
    assert_eq!(question.agent, "tester");
    assert_eq!(question.command, "echo smoke-ok");
    // The task call is the parent's; the question's id is its own, not the subagent's.
    assert!(asked.iter().any(
        |e| matches!(e, Event::ToolCall { id: call, name, .. } if call == id && name == "task")
    ));
    assert_ne!(key, "call_1_0");
    // Nothing ran before the human said so.
    assert_eq!(fake.bodies().await.len(), 2);
    s.send(Op::ApproveCommand {
        call_id: key.clone(),
        always: false,
    });
    let seen = s.turn().await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::FromAgent { event, .. }
            if matches!(&**event, Event::CommandDecided { id, .. } if id == key))),
        "{seen:?}"
    );
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 4, "{bodies:#?}");
    assert!(
        bodies[2].to_string().contains("smoke-ok"),
        "the command ran in the subagent"
    );
    assert!(
        bodies[3]
            .to_string()
            .contains("The smoke test printed smoke-ok."),
        "its answer is the parent's result"
    );
    // Recorded in the subagent's session, not the parent's.
    let reader = Reader::open(&s.db).unwrap();
    let child = reader.children(&s.id).unwrap().remove(0);
    let recorded = reader.events(&child.id).unwrap();
    assert!(
        recorded
            .iter()
            .any(|e| matches!(e.event, Event::CommandDecided { .. }))
    );
    let parents = reader.events(&s.id).unwrap();
    assert!(
        !parents.iter().any(|e| matches!(
            e.event,
            Event::CommandApprovalRequested { .. } | Event::FromAgent { .. }
        )),
        "{parents:?}"
    );
}

/// `[review] reviewer`: a plan step's change is reviewed by the built-in reviewer, given what
/// the step was for and the diff, never the conversation; its findings are recorded on the
/// hunks they name, for the human alone — the model never reads them.
#[tokio::test]
async fn the_reviewer_reads_a_steps_change_and_its_findings_reach_only_the_human() {
    const SCRIPT: &str = r#"
[[turns]]
text = "IMPLEMENTER-THOUGHTS: a plan."
tool_calls = [{ name = "propose_plan", arguments = { steps = [
  { title = "Add the mean", detail = "mean of a list in stats.py", acceptance = "mean([]) is handled" },
] } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "stats.py", content = "def mean(xs):\n    return sum(xs) / len(xs)\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "mean added" } }]

[[scenes]]
when = "Review this change before a human decides"
[[scenes.turns]]
tool_calls = [{ name = "grep", arguments = { pattern = "mean" } }]
[[scenes.turns]]
text = "blocker h1 — divides by zero when xs is empty\nThe rest reads well.\nminor general — no tests"
"#;
    let ws = tempfile::tempdir().unwrap();
    let p = support::session::script_provider(ws.path(), SCRIPT);
    let config = "[review]\nmemory_step = false\nreviewer = \"reviewer\"\n";
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, config).await;
    s.send(Op::SetGear {
        gear: gearshift::protocol::Gear::Plan,
    });
    s.submit("add a mean function");
    s.turn().await;
    s.send(Op::EditPlan {
        edit: gearshift::protocol::PlanEdit::Approve { step: "s1".into() },
    });
    s.send(Op::Go { all: false });
    let (change, hunks) = s.next_proposal().await;
    let seen = s.until(|e| matches!(e, Event::ChangeReviewed { .. })).await;
    let Some(Event::ChangeReviewed {
        id,
        agent,
        findings,
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!((id, agent.as_str()), (&change, "reviewer"));
    let got: Vec<(Severity, Option<&str>, &str)> = findings
        .iter()
        .map(|f| (f.severity, f.hunk.as_deref(), f.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Severity::High,
                Some(hunks[0].as_str()),
                "divides by zero when xs is empty"
            ),
            (Severity::Low, None, "no tests"),
        ]
    );
    // The reviewer read the step and the diff, nothing of the implementer's conversation.
    let reader = Reader::open(&s.db).unwrap();
    let reviewer = reader.children(&s.id).unwrap().remove(0);
    let asked: String = reader
        .events(&reviewer.id)
        .unwrap()
        .iter()
        .find_map(|e| match &e.event {
            Event::UserMessage { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        asked.contains("Plan step: Add the mean")
            && asked.contains("mean([]) is handled")
            && asked.contains("+    return sum(xs) / len(xs)"),
        "{asked}"
    );
    assert!(!asked.contains("IMPLEMENTER-THOUGHTS"), "{asked}");
    // It works out of sight: nothing of it is shown as a call's steps, live or resumed.
    assert!(!seen.iter().any(|e| matches!(e, Event::FromAgent { .. })));
    let library = gearshift::library::Library::of(gearshift::store::Store::open(&s.db).unwrap());
    let mut replayed = Vec::new();
    library.replay(&s.id, |e| replayed.push(e)).unwrap();
    assert!(
        !replayed
            .iter()
            .any(|e| matches!(e, Event::FromAgent { .. }))
    );
    // The human decides; the model never reads a finding.
    s.decide_all(&change, &hunks, &gearshift::protocol::Verdict::Accept);
    s.turn().await;
    let stored = s.stored().await;
    let state = gearshift::core::SessionState::fold(&stored);
    let sent = format!("{:?}", state.conversation);
    assert!(sent.contains("mean added"), "the step went on: {sent}");
    assert!(!sent.contains("divides by zero"), "{sent}");
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::ChangeReviewed { .. }))
    );
    // The Markdown record shows the findings with the change.
    let home = s.db.parent().unwrap();
    let (shown, err) = support::run_at_home(home, ws.path(), &["sessions", "show", &s.id]);
    assert!(err.is_empty(), "{err}");
    assert!(
        shown.contains("⚑ reviewer on `stats.py`")
            && shown.contains("(high): divides by zero when xs is empty"),
        "{shown}"
    );
}

/// Headless, the reviewer's findings are said on stderr (and in `--json`), and the run waits
/// for them.
#[test]
fn exec_says_the_reviewers_findings_on_stderr() {
    const SCRIPT: &str = r#"
[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "stats.py", content = "def mean(xs):\n    return sum(xs) / len(xs)\n" } }]

[[turns]]
text = "Added mean."

[[scenes]]
when = "Review this change before a human decides"
[[scenes.turns]]
text = "major h1 — divides by zero when xs is empty"
"#;
    let (home, ws) = support::scripted_home(
        SCRIPT,
        "[review]\nvibe = \"review\"\nreviewer = \"reviewer\"\n",
    );
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-changes", "add mean"],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("reviewer on stats.py")
            && err.contains("medium: divides by zero when xs is empty"),
        "{err}"
    );
    std::fs::remove_file(ws.path().join("stats.py")).unwrap();
    let json = support::command(
        home.path(),
        ws.path(),
        &["exec", "--json", "--approve-changes", "add mean again"],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    let lines = String::from_utf8_lossy(&json.stdout);
    assert!(
        lines
            .lines()
            .any(|l| l.contains("\"type\":\"change_reviewed\"") && l.contains("divides by zero")),
        "{lines}"
    );
}

/// A hostile server gives two `task` calls the same id, and each subagent's command the same
/// id too: the two questions still go out under names of their own, and approving one runs
/// that command only.
#[tokio::test]
async fn an_answer_reaches_only_the_question_shown_whatever_ids_the_model_chose() {
    let server = MockServer::start().await;
    let two = Turn::Tools(vec![
        (
            "task".into(),
            json!({"agent": "tester", "prompt": "first job"}),
        ),
        (
            "task".into(),
            json!({"agent": "tester", "prompt": "second job"}),
        ),
    ]);
    let same_ids = |turn: &Turn, n: usize, id: &str| {
        let body = turn
            .sse(n)
            .replace(&format!("call_{n}_0"), id)
            .replace(&format!("call_{n}_1"), id);
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(body)
    };
    Mock::given(method("POST"))
        .respond_with(same_ids(&two, 0, "T"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    for (job, word) in [("first job", "ONE"), ("second job", "TWO")] {
        let command = Turn::tool("run_command", json!({"command": format!("echo {word}")}));
        Mock::given(method("POST"))
            .and(body_string_contains("You run tests"))
            .and(body_string_contains(job))
            .respond_with(same_ids(&command, 1, "c1"))
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(body_string_contains("You run tests"))
            .and(body_string_contains(job))
            .respond_with(sse(&Turn::text(&format!("finished {word}")), 2))
            .with_priority(3)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("all done"), 3))
        .with_priority(4)
        .mount(&server)
        .await;
    let (mut s, _dirs) = testers_run_both(&server).await;
    let asked = questions(&mut s, 2).await;
    assert_ne!(asked[0].0, asked[1].0, "{asked:?}");
    let key = |word: &str| {
        asked
            .iter()
            .find(|(_, c)| c.ends_with(word))
            .map(|(k, _)| k.clone())
            .unwrap()
    };
    s.send(Op::ApproveCommand {
        call_id: key("TWO"),
        always: false,
    });
    s.until(|e| {
        matches!(e, Event::FromAgent { event, .. }
            if matches!(&**event, Event::ToolResult { content, .. } if content.contains("TWO")))
    })
    .await;
    // The other command has not run: its subagent still waits for its answer.
    let bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(
        !bodies
            .iter()
            .any(|b| b.contains("first job") && b.contains("\"role\":\"tool\"")),
        "the first command ran: {bodies:#?}"
    );
    s.send(Op::DenyCommand {
        call_id: key("ONE"),
        reason: None,
    });
    let seen = s.turn().await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "all done")),
        "{seen:?}"
    );
}

/// Two subagents' commands, both approved at once, run one after the other: a command's
/// writes are told apart by the workspace before and after it.
#[tokio::test]
async fn subagents_commands_run_one_at_a_time() {
    let server = MockServer::start().await;
    let two = Turn::Tools(vec![
        ("task".into(), json!({"agent": "tester", "prompt": "job A"})),
        ("task".into(), json!({"agent": "tester", "prompt": "job B"})),
    ]);
    Mock::given(method("POST"))
        .respond_with(sse(&two, 0))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    for w in ["A", "B"] {
        let command = format!("echo start-{w} >> log.txt; sleep 1; echo end-{w} >> log.txt");
        Mock::given(method("POST"))
            .and(body_string_contains("You run tests"))
            .and(body_string_contains(format!("job {w}")))
            .respond_with(sse(
                &Turn::tool("run_command", json!({ "command": command })),
                1,
            ))
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(body_string_contains("You run tests"))
        .respond_with(sse(&Turn::text("ran it"), 2))
        .with_priority(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("both ran"), 3))
        .with_priority(4)
        .mount(&server)
        .await;
    let (mut s, (ws, _home)) = testers_run_both(&server).await;
    for (key, _) in questions(&mut s, 2).await {
        s.send(Op::ApproveCommand {
            call_id: key,
            always: false,
        });
    }
    s.turn().await;
    let log = std::fs::read_to_string(ws.path().join("log.txt")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(
        lines[0].strip_prefix("start-") == lines[1].strip_prefix("end-")
            && lines[2].strip_prefix("start-") == lines[3].strip_prefix("end-"),
        "the commands overlapped: {log}"
    );
}

/// A reviewer is given only tools that read, whatever its definition lists: it never asks
/// the human anything, and never runs a command beside the session.
#[tokio::test]
async fn a_reviewer_only_reads_whatever_its_definition_lists() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "write_file",
            json!({"path": "a.py", "content": "print(1)\n"}),
        ),
        Turn::text("No findings."),
        Turn::text("Written."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    user_agent(
        home.path(),
        "checker",
        "---\nname: checker\ndescription: Checks changes by running things\ntools: Bash, Read\n---\nYou check.\n",
    );
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        "[review]\nvibe = \"review\"\nreviewer = \"checker\"\n",
    );
    let p = provider(&text, "fake");
    let mut s = support::session::start_at_home_with(&p, ws.path(), home.path(), &text).await;
    s.submit("write a.py");
    let (change, hunks) = s.next_proposal().await;
    let seen = s.until(|e| matches!(e, Event::ChangeReviewed { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::ChangeReviewed { agent, findings, .. }) if agent == "checker" && findings.is_empty())
    );
    let bodies = fake.bodies().await;
    let reviewer_tools = tool_names(&bodies[1]);
    assert!(
        reviewer_tools.contains(&"read_file".to_string()),
        "{reviewer_tools:?}"
    );
    assert!(
        !reviewer_tools.contains(&"run_command".to_string()),
        "{reviewer_tools:?}"
    );
    s.decide_all(&change, &hunks, &gearshift::protocol::Verdict::Accept);
    s.turn().await;
}

/// A `PostToolUse` hook that stops the turn when one subagent answers ends the others too:
/// every call of the round has its one result, and nothing of theirs comes later.
#[tokio::test]
async fn a_hook_that_stops_the_turn_ends_the_subagents_still_running() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&explorers(2), 0))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("look around 0"))
        .and(body_string_contains("You are an explorer"))
        .respond_with(sse(&Turn::text("quick answer"), 1))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("too late"), 2).set_delay(Duration::from_secs(120)))
        .with_priority(3)
        .mount(&server)
        .await;
    let ws = tempfile::tempdir().unwrap();
    // Written for Claude Code: stop once any Task returns.
    let hooks = r#"
[[hooks.PostToolUse]]
matcher = "Task"
hooks = [{ type = "command", command = 'echo "{\"continue\": false, \"stopReason\": \"one answer is enough\"}"' }]
"#;
    let text = config(
        &format!("{}/v1", server.uri()),
        "FAKE_KEY",
        &format!("[sandbox]\nmode = \"off\"\n{hooks}"),
    );
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("explore two ways");
    let seen = tokio::time::timeout(Duration::from_secs(30), s.turn())
        .await
        .expect("the turn did not end");
    let stored = s.stored().await;
    let calls: Vec<&String> = stored
        .iter()
        .filter_map(|e| match e {
            Event::ToolCall { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    for call in &calls {
        let results = stored
            .iter()
            .filter(|e| matches!(e, Event::ToolResult { id, .. } if id == *call))
            .count();
        assert_eq!(results, 1, "{call}: {stored:?}");
    }
    assert_eq!(calls.len(), 2, "{seen:?}");
}

/// Headless, a subagent's command at a checkpoint stops the run, which says that its question
/// ends with the run (there is nothing to decide after it).
#[test]
fn exec_stops_at_a_subagents_checkpoint_and_says_how_to_pass_it() {
    const SCRIPT: &str = r#"
[[turns]]
tool_calls = [{ name = "task", arguments = { agent = "tester", prompt = "PUSH-IT: push the branch" } }]

[[turns]]
text = "Pushed."

[[scenes]]
when = "PUSH-IT"
[[scenes.turns]]
tool_calls = [{ name = "run_command", arguments = { command = "git push origin main" } }]
[[scenes.turns]]
text = "Pushed."
"#;
    let (home, ws) = support::scripted_home(
        SCRIPT,
        "[[checkpoints]]\nname = \"pushes\"\nreason = \"nothing leaves unseen\"\ncommands = [\"git push*\"]\n",
    );
    user_agent(
        home.path(),
        "tester",
        "---\nname: tester\ndescription: Ships\ntools: Bash\n---\nYou ship.\n",
    );
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-commands", "push it"],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("`git push origin main` of the subagent tester")
            && err.contains("a subagent's question ends with the run"),
        "{err}"
    );
}

/// No one hears a reviewer's questions: a hook's `ask` on its read is refused, not waited
/// for, and the review ends.
#[tokio::test]
async fn a_reviewers_question_is_refused_rather_than_waited_for() {
    let fake = FakeModel::start(vec![
        Turn::tool(
            "write_file",
            json!({"path": "a.py", "content": "print(1)\n"}),
        ),
        Turn::tool("read_file", json!({"path": "a.py"})),
        Turn::text("No findings."),
        Turn::text("Written."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    // Written for Claude Code: every read asks.
    let hooks = r#"
[[hooks.PreToolUse]]
matcher = "Read"
hooks = [{ type = "command", command = '''echo '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "reads are checked"}}' ''' }]
"#;
    let text = config(
        &fake.url(),
        "FAKE_KEY",
        &format!(
            "[sandbox]\nmode = \"off\"\n[review]\nvibe = \"review\"\nreviewer = \"reviewer\"\n{hooks}"
        ),
    );
    let p = provider(&text, "fake");
    let mut s = start_with(&p, ws.path(), ApprovalMode::Ask, &text).await;
    s.submit("write a.py");
    let (change, hunks) = s.next_proposal().await;
    let seen = tokio::time::timeout(
        Duration::from_secs(30),
        s.until(|e| matches!(e, Event::ChangeReviewed { .. })),
    )
    .await
    .expect("the review waited for an answer no one could give");
    assert!(
        !seen.iter().any(|e| matches!(e, Event::FromAgent { .. })),
        "{seen:?}"
    );
    let bodies = fake.bodies().await;
    assert!(
        bodies[2].to_string().contains("Not run"),
        "the reviewer was told its read was refused: {:#}",
        bodies[2]
    );
    s.decide_all(&change, &hunks, &gearshift::protocol::Verdict::Accept);
    s.turn().await;
}

/// `exec` waits for the reviews at its end; a signal ends that wait at once.
#[tokio::test]
async fn a_signal_ends_execs_wait_for_the_reviews() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &Turn::tool(
                "write_file",
                json!({"path": "a.py", "content": "print(1)\n"}),
            ),
            0,
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains(
            "Review this change before a human decides",
        ))
        .respond_with(sse(&Turn::text("too late"), 1).set_delay(Duration::from_secs(120)))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(&Turn::text("Written."), 2))
        .with_priority(3)
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        config(
            &format!("{}/v1", server.uri()),
            "FAKE_KEY",
            "[review]\nvibe = \"review\"\nreviewer = \"reviewer\"\n",
        ),
    )
    .unwrap();
    let mut child = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-changes", "write a.py"],
    )
    .env("FAKE_KEY", "sk-fake")
    .env("HOME", home.path())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // The turn is over (the parent's second request) and the reviewer still asks.
    requests_reach(&server, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(child.try_wait().unwrap().is_none(), "exec did not wait");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "exec kept waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
