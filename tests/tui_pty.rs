//! End to end: the real binary in a pseudo-terminal, its screen read through vt100, and the
//! session checked in the SQLite file it wrote.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::{Event, Gear, Verdict};
use gearshift::store::Reader;
use support::{PtyApp, keys};

#[test]
fn panes_gears_help_prompt_quit_and_the_terminal_is_restored() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);

    app.wait_for("the four panes", |s| {
        ["Chat", "Plan", "Diff", "Context"]
            .iter()
            .all(|t| s.contains(&format!("╭ {t} ")))
    });
    assert!(app.parser.screen().alternate_screen());
    app.wait_text("VIBE");
    app.wait_text("DEMO");

    app.send(keys::SHIFT_TAB);
    app.wait_text(" PLAN ");
    app.wait_text("Gear: plan");

    app.send(keys::F1);
    app.wait_text("Help — Esc or F1 to close");
    app.wait_text("Shift gear: vibe → plan → pipeline");
    app.send(keys::ESC);
    app.wait_for("help closed", |s| !s.contains("Help — Esc"));

    app.send(b"first line");
    app.send(keys::ALT_ENTER);
    app.send(b"second line");
    app.wait_text("second line");
    app.send(keys::ENTER);
    app.wait_for("the prompt in the transcript", |s| {
        s.contains("you") && s.contains("  first line") && s.contains("  second line")
    });
    app.wait_text("│ first line │");

    app.send(keys::CTRL_Q);
    assert!(app.wait_exit(), "exit status; screen:\n{}", app.screen());
    assert!(
        !app.parser.screen().alternate_screen(),
        "alternate screen left"
    );
    let raw = String::from_utf8_lossy(&app.raw);
    for (seq, what) in [
        ("\x1b[?1049l", "alternate screen"),
        ("\x1b[?2004l", "bracketed paste"),
        ("\x1b[?1000l", "mouse capture"),
        ("\x1b[?25h", "cursor shown"),
    ] {
        assert!(raw.contains(seq), "{what} not restored");
    }
    assert!(
        raw.contains("\x1b[?2026h"),
        "frames use synchronized output"
    );

    let log = std::fs::read_to_string(home.path().join("logs/gearshift.log")).unwrap();
    assert!(log.contains("session opened"), "{log}");

    let reader = Reader::open(&home.path().join("gearshift.db")).unwrap();
    let sessions = reader.list_sessions(None, 10).unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.title, "first line");
    assert_eq!(s.gear, "plan");
    assert_eq!(
        s.workspace,
        ws.path().canonicalize().unwrap().to_str().unwrap()
    );
    let events: Vec<Event> = reader
        .events(&s.id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(matches!(events[0], Event::SessionOpened { .. }));
    assert!(events.contains(&Event::GearChanged {
        from: Gear::Vibe,
        to: Gear::Plan
    }));
    assert!(events.contains(&Event::UserMessage {
        text: "first line\nsecond line".into(),
        attachments: vec![]
    }));
}

#[test]
fn continue_restores_the_conversation_and_double_ctrl_c_quits() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 100, 30);
    app.wait_text("VIBE");
    app.send(b"remember the tokenizer");
    app.send(keys::ENTER);
    app.wait_text("  remember the tokenizer");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let mut app = PtyApp::spawn(home.path(), ws.path(), &["--continue"], 100, 30);
    app.wait_text("Resumed session");
    app.wait_text("  remember the tokenizer");
    // Up recalls the earlier prompt into the composer.
    app.send(b"\x1b[A");
    app.wait_for("history recalled", |s| {
        s.matches("remember the tokenizer").count() >= 2
    });
    app.send(keys::CTRL_C);
    app.wait_text("again to quit");
    app.send(keys::CTRL_C);
    assert!(app.wait_exit());
    assert!(!app.parser.screen().alternate_screen());

    let reader = Reader::open(&home.path().join("gearshift.db")).unwrap();
    assert_eq!(
        reader.list_sessions(None, 10).unwrap().len(),
        1,
        "continued, not new"
    );
}

#[test]
fn a_tiny_terminal_shows_a_notice_and_still_quits() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 30, 10);
    app.wait_text("Terminal too small");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}

#[test]
fn a_conflicting_key_binding_is_reported_before_the_terminal_is_touched() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[keys]\nhelp = \"ctrl+q\"\n",
    )
    .unwrap();
    let out = support::command(home.path(), ws.path(), &[])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Ctrl+Q is bound to both"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing drawn: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn sigterm_sighup_sigint_and_sigquit_restore_the_terminal() {
    for signal in ["-TERM", "-HUP", "-INT", "-QUIT"] {
        let home = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 100, 30);
        app.wait_text("VIBE");
        app.send(b"typed before the signal");
        app.send(keys::ENTER);
        app.wait_text("  typed before the signal");
        let pid = app.child.process_id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(status.success());
        app.wait_exit();
        assert!(!app.parser.screen().alternate_screen(), "{signal}");
        let raw = String::from_utf8_lossy(&app.raw);
        assert!(raw.contains("\x1b[?1049l"), "{signal}");
        // Mouse reporting is off again (crossterm's DisableMouseCapture ends with SGR mode).
        assert!(
            raw.contains("\x1b[?1006l"),
            "{signal}: mouse capture left on"
        );
        let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
        assert!(
            events.contains(&Event::UserMessage {
                text: "typed before the signal".into(),
                attachments: vec![]
            }),
            "{signal}: the prompt was saved"
        );
        // The demo reply streaming when the signal came is kept, marked interrupted.
        assert!(
            events.iter().all(|e| !matches!(
                e,
                Event::AssistantMessage {
                    interrupted: false,
                    ..
                }
            )),
            "{signal}"
        );
    }
}

#[test]
fn the_demo_provider_streams_a_reply_into_the_chat() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("DEMO");
    app.send(b"what can you do?");
    app.send(keys::ENTER);
    app.wait_text("offline demo: no model is");
    // Usage is recorded when the turn ends, and the status bar's token count moves from 0.
    app.wait_for("the turn to finish", |s| {
        !s.contains(" 0/32.8k tok") && !s.contains("working…")
    });
    app.wait_text("lists every key.");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    let (s, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert_eq!(s.message_count, 2, "prompt and reply saved");
    assert!(
        s.input_tokens > 0,
        "usage recorded: {events:?}\n{}",
        app.screen()
    );
}

#[test]
fn esc_cancels_a_stalled_reply_and_keeps_what_arrived() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let chunk =
        r#"{"choices":[{"index":0,"delta":{"content":"The first half"},"finish_reason":null}]}"#;
    let server = rt.block_on(support::stall_server::start(
        vec![chunk.into()],
        std::time::Duration::ZERO,
        std::time::Duration::from_secs(30),
    ));
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", server.url);
    let mut app = PtyApp::spawn(
        home.path(),
        ws.path(),
        &["--base-url", &base, "--model", "stall-model"],
        120,
        40,
    );
    app.wait_text("custom/stall-model");
    app.send(b"start");
    app.send(keys::ENTER);
    app.wait_text("The first half");
    app.wait_text("working…");
    app.send(keys::ESC);
    app.wait_text("[interrupted]");
    app.wait_for("idle again", |s| !s.contains("working…"));
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    assert!(events.contains(&Event::AssistantMessage {
        text: "The first half".into(),
        interrupted: true
    }));
    drop(rt);
}

/// A fake OpenAI-compatible server on 127.0.0.1 answering each request with the next reply.
fn answering_in_turn(
    rt: &tokio::runtime::Runtime,
    replies: impl IntoIterator<Item = String>,
) -> wiremock::MockServer {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = rt.block_on(MockServer::start());
    for (priority, body) in replies.into_iter().enumerate() {
        rt.block_on(
            Mock::given(method("POST"))
                .and(support::wire::valid())
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("content-type", "text/event-stream")
                        .set_body_string(body),
                )
                .up_to_n_times(1)
                .with_priority(u8::try_from(priority + 1).unwrap())
                .mount(&server),
        );
    }
    server
}

/// An SSE reply that calls one tool.
fn tool_call_sse(id: &str, name: &str, args: &serde_json::Value) -> String {
    let args = serde_json::to_string(&args.to_string()).unwrap();
    format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"id\":\"{id}\",\"type\":\"function\",\"function\":{{\"name\":\"{name}\",\"arguments\":{args}}}}}]}},\"finish_reason\":null}}]}}\n\n\
         data: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"tool_calls\"}}]}}\n\ndata: [DONE]\n\n"
    )
}

/// An SSE reply that says `text` and stops.
fn text_sse(text: &str) -> String {
    let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]});
    format!("data: {chunk}\n\ndata: [DONE]\n\n")
}

/// gearshift in a 120×40 pty against the fake server, once its first frame is up.
fn spawn_against(
    server: &wiremock::MockServer,
    home: &std::path::Path,
    ws: &std::path::Path,
) -> PtyApp {
    let base = format!("{}/v1", server.uri());
    let args = ["--base-url", base.as_str(), "--model", "fake"];
    let mut app = PtyApp::spawn(home, ws, &args, 120, 40);
    app.wait_text("custom/fake");
    app
}

#[test]
fn the_agent_writes_a_file_asks_before_running_a_command_and_resumes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replies = [
        tool_call_sse(
            "call_w",
            "write_file",
            &serde_json::json!({"path": "hello.txt", "content": "hello from the model\n"}),
        ),
        tool_call_sse(
            "call_r",
            "run_command",
            &serde_json::json!({"command": "cat hello.txt"}),
        ),
        text_sse("All done: hello.txt says hello."),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", server.uri());
    let args = ["--base-url", base.as_str(), "--model", "fake"];
    let mut app = PtyApp::spawn(home.path(), ws.path(), &args, 120, 40);
    app.wait_text("custom/fake");
    app.send(b"make a hello file");
    app.send(keys::ENTER);

    app.wait_text("Run command?");
    app.wait_text("$ cat hello.txt");
    // In the vibe gear the write was applied at once, before the command was asked for.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
        "hello from the model\n"
    );
    app.wait_text("write_file hello.txt");
    app.send(b"y");
    app.wait_text("All done: hello.txt says hello.");
    app.wait_for("the command's cell", |s| {
        s.contains("run_command cat hello.txt  ✓")
    });
    app.wait_for("idle", |s| !s.contains("working…"));
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    for kind in [
        "user_message",
        "turn_started",
        "tool_call",
        "file_changed",
        "tool_result",
        "command_approval_requested",
        "command_decided",
        "assistant_message",
        "turn_finished",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ToolResult { id, ok: true, content, .. }
            if id == "call_r" && content.contains("hello from the model")
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::CommandDecided {
            decision: gearshift::protocol::CommandDecision::Once,
            ..
        }
    )));
    // The third request carried both tool results back to the model.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests.len(), 3);
    let last: serde_json::Value = serde_json::from_slice(&requests[2].body).unwrap();
    let roles: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "tool"]
    );

    // --continue restores the conversation on screen, tool cells included.
    let mut app = PtyApp::spawn(
        home.path(),
        ws.path(),
        &[&args[..], &["--continue"]].concat(),
        120,
        40,
    );
    app.wait_text("Resumed session");
    app.wait_text("make a hello file");
    app.wait_text("write_file hello.txt");
    app.wait_text("All done: hello.txt says hello.");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    drop(rt);
}

#[test]
fn the_browser_searches_resumes_exports_and_forks() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    for prompt in ["explain the tokenizer", "speed up the parser"] {
        let out = support::command(home.path(), ws.path(), &["exec", prompt])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("DEMO");
    app.send(b"\x13"); // Ctrl+S
    app.wait_text("Sessions — this workspace");
    app.wait_text("speed up the parser");
    app.send(b"/");
    app.send(b"tokenizer");
    app.send(keys::ENTER);
    app.wait_text("matching tokenizer  (1 session)");
    app.wait_text("you: explain the tokenizer");
    app.send(b"e");
    app.wait_text("exported to");
    app.send(keys::ENTER);
    app.wait_text("Resumed session");
    app.wait_text("│ explain the tokenizer");
    app.send(b"\x13");
    app.wait_text("Sessions — this workspace");
    app.send(b"/");
    app.send(b"tokenizer");
    app.send(keys::ENTER);
    app.wait_text("matching tokenizer");
    // Esc after a search brings the whole list back; the browser stays open.
    app.send(keys::ESC);
    app.wait_text("sessions, newest first");
    app.send(b"/");
    app.send(b"tokenizer");
    app.send(keys::ENTER);
    app.wait_text("matching tokenizer");
    app.send(b"f");
    app.wait_text("Forked from session");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let exports: Vec<_> = std::fs::read_dir(home.path().join("exports"))
        .unwrap()
        .collect();
    assert_eq!(exports.len(), 1);
    let reader = Reader::open(&home.path().join("gearshift.db")).unwrap();
    let sessions = reader.list_sessions(None, 20).unwrap();
    let forks: Vec<_> = sessions
        .iter()
        .filter(|s| {
            reader
                .events(&s.id)
                .unwrap()
                .iter()
                .any(|e| matches!(e.event, Event::SessionForked { .. }))
        })
        .collect();
    assert_eq!(forks.len(), 1);
    assert_eq!(forks[0].title, "explain the tokenizer (fork)");
    // Starting and quitting without a prompt stored nothing: the two exec runs and the fork.
    assert_eq!(sessions.len(), 3, "{sessions:?}");
}

#[test]
fn hunks_are_rejected_accepted_with_a_comment_and_edited_then_undone() {
    let original: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    let proposed = original
        .replace("line 2\n", "line two\n")
        .replace("line 15\n", "line fifteen\n")
        .replace("line 28\n", "line twenty-eight\n");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replies = [
        tool_call_sse(
            "call_w",
            "write_file",
            &serde_json::json!({"path": "notes.txt", "content": proposed}),
        ),
        text_sse("Understood, thanks for the review."),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), &original).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[review]\nvibe = \"review\"\n",
    )
    .unwrap();
    let base = format!("{}/v1", server.uri());
    let args = ["--base-url", base.as_str(), "--model", "fake"];
    // The "editor" rewrites the hunk it is given, as a person would.
    let env = [("VISUAL", ""), ("EDITOR", "sed -i s/twenty-eight/XXVIII/")];
    let mut app = PtyApp::spawn_env(home.path(), ws.path(), &args, 120, 40, &env);
    app.wait_text("custom/fake");
    app.send(b"tidy the notes");
    app.send(keys::ENTER);
    app.wait_text("proposes a change to notes.txt");
    app.wait_text("0/3 decided");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("notes.txt")).unwrap(),
        original,
        "nothing is written before a decision"
    );

    app.send(keys::ALT_3);
    app.send(b"x");
    app.wait_text("1/3 decided");
    app.send(b"c");
    app.wait_text("Enter saves");
    app.send(b"keep numbers as words");
    app.send(keys::ENTER);
    app.wait_text("comment: keep numbers as words");
    app.send(b"a");
    app.wait_text("2/3 decided");
    app.send(b"e");
    app.wait_text("3/3 decided");
    app.send(keys::ENTER);
    app.wait_text("Understood, thanks for the review.");

    let on_disk = std::fs::read_to_string(ws.path().join("notes.txt")).unwrap();
    let expected = original
        .replace("line 15\n", "line fifteen\n")
        .replace("line 28\n", "line XXVIII\n");
    assert_eq!(on_disk, expected, "only the accepted and the edited hunk");

    // The model's next request carried every decision and the comment.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests.len(), 2);
    let last: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    let tool = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tool.contains("2 of 3 hunks accepted"), "{tool}");
    assert!(tool.contains("hunk 1 @@ -1,5 +1,5 @@: rejected"), "{tool}");
    assert!(
        tool.contains("accepted. Comment: keep numbers as words"),
        "{tool}"
    );
    assert!(
        tool.contains("accepted as edited") && tool.contains("line XXVIII"),
        "{tool}"
    );

    // u (the diff pane still has focus) asks once more; u again restores the file.
    app.send(b"u");
    app.wait_text("press u again to undo the last applied change");
    assert_ne!(
        std::fs::read_to_string(ws.path().join("notes.txt")).unwrap(),
        original
    );
    app.send(b"u");
    app.wait_text("Undid the change to notes.txt");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("notes.txt")).unwrap(),
        original
    );
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let decided: Vec<&Verdict> = events
        .iter()
        .filter_map(|e| match e {
            Event::HunkDecided { verdict, .. } => Some(verdict),
            _ => None,
        })
        .collect();
    assert_eq!(decided.len(), 3, "{decided:?}");
    assert_eq!(decided[0], &Verdict::Reject);
    assert_eq!(decided[1], &Verdict::Accept);
    assert!(matches!(decided[2], Verdict::Edit { text } if text.contains("line XXVIII")));
    for kind in [
        "change_proposed",
        "hunk_commented",
        "change_applied",
        "change_undone",
    ] {
        assert!(events.iter().any(|e| e.kind() == kind), "{kind} missing");
    }
    drop(rt);
}

#[test]
fn a_plan_is_shaped_by_keys_and_run_step_by_step_behind_hunk_review_gates() {
    let original: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    let edited = original
        .replace("line 2\n", "line two\n")
        .replace("line 28\n", "line twenty-eight\n");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plan = serde_json::json!({"steps": [
        {"title": "Create one.txt", "detail": "write it", "files": ["one.txt"]},
        {"title": "Create two.txt", "detail": "write it"},
        {"title": "Tidy notes.txt", "detail": "spell out two numbers", "files": ["notes.txt"]},
    ]});
    let replies = [
        tool_call_sse("call_p", "propose_plan", &plan),
        tool_call_sse(
            "call_1",
            "write_file",
            &serde_json::json!({"path": "one.txt", "content": "one\n"}),
        ),
        tool_call_sse(
            "call_1d",
            "complete_step",
            &serde_json::json!({"summary": "one.txt is there"}),
        ),
        tool_call_sse(
            "call_3",
            "write_file",
            &serde_json::json!({"path": "notes.txt", "content": edited}),
        ),
        tool_call_sse(
            "call_3d",
            "complete_step",
            &serde_json::json!({"summary": "notes tidied"}),
        ),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    // The plan as proposed, without the memory upkeep step (tests/plan.rs covers it).
    std::fs::write(
        home.path().join("config.toml"),
        "[review]\nmemory_step = false\n",
    )
    .unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), &original).unwrap();
    let base = format!("{}/v1", server.uri());
    let args = [
        "--base-url",
        base.as_str(),
        "--model",
        "fake",
        "--gear",
        "plan",
    ];
    let mut app = PtyApp::spawn(home.path(), ws.path(), &args, 120, 40);
    app.wait_text("custom/fake");
    app.send(b"make the files and tidy the notes");
    app.send(keys::ENTER);
    app.wait_text("The model proposes a plan");
    app.wait_text("0/3 approved");

    // Shape it by keys: approve step 1, reject step 2, approve step 3.
    app.send(keys::ALT_2);
    app.send(b"a");
    app.wait_text("1/3 approved");
    app.send(b"j");
    app.send(b"x");
    app.send(b"j");
    app.send(b"a");
    app.wait_text("2/3 approved");

    // g runs step 1; its edit waits for review.
    app.send(b"g");
    app.wait_text("proposes a change to one.txt");
    assert!(
        !ws.path().join("one.txt").exists(),
        "not written before a decision"
    );
    app.send(keys::ALT_3);
    app.send(b"A");
    app.wait_text("1/1 decided");
    app.send(keys::ENTER);
    app.wait_text("Step 1 waits at its gate");
    assert!(ws.path().join("one.txt").exists());
    // At the gate nothing else runs.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 3);

    // g passes the gate; step 2 is rejected, so step 3 runs: two hunks, one rejected, one
    // accepted with a comment.
    app.send(keys::ALT_2);
    app.send(b"g");
    app.wait_text("proposes a change to notes.txt");
    app.send(keys::ALT_3);
    app.wait_text("0/2 decided");
    app.send(b"x");
    app.wait_text("1/2 decided");
    app.send(b"c");
    app.send(b"spell every number");
    app.send(keys::ENTER);
    app.send(b"a");
    app.wait_text("2/2 decided");
    app.send(keys::ENTER);
    app.wait_text("Step 3 waits at its gate");
    let on_disk = std::fs::read_to_string(ws.path().join("notes.txt")).unwrap();
    assert_eq!(
        on_disk,
        original.replace("line 28\n", "line twenty-eight\n")
    );
    assert!(
        !ws.path().join("two.txt").exists(),
        "the rejected step never ran"
    );

    // The model's request after the review carried the decisions and the comment.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests.len(), 5);
    let last = String::from_utf8_lossy(&requests[4].body).to_string();
    assert!(last.contains("1 of 2 hunks accepted"), "{last}");
    assert!(last.contains("rejected") && last.contains("Comment: spell every number"));
    // Step 3's instructions named the plan as approved, step 2 rejected.
    let step3 = String::from_utf8_lossy(&requests[3].body).to_string();
    assert!(
        step3.contains("Run step 3 of the approved plan")
            && step3.contains("[rejected] Create two.txt")
    );

    // u, twice, undoes the last applied change.
    app.send(b"u");
    app.send(b"u");
    app.wait_text("Undid the change to notes.txt");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("notes.txt")).unwrap(),
        original
    );
    app.send(keys::ALT_2);
    app.send(b"g");
    app.wait_text("The plan has run: 2 of 3 steps done.");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let edits: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::PlanEdited { edit } => Some(format!("{edit:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        edits,
        [
            "Approve { step: \"s1\" }",
            "Reject { step: \"s2\" }",
            "Approve { step: \"s3\" }"
        ]
    );
    let ran: Vec<(String, gearshift::protocol::StepStatus)> = events
        .iter()
        .filter_map(|e| match e {
            Event::StepStatusChanged { step, status, .. } => Some((step.clone(), *status)),
            _ => None,
        })
        .collect();
    use gearshift::protocol::StepStatus::{AwaitingReview, Done, Running};
    assert_eq!(
        ran,
        [
            ("s1".into(), Running),
            ("s1".into(), AwaitingReview),
            ("s1".into(), Done),
            ("s3".into(), Running),
            ("s3".into(), AwaitingReview),
            ("s3".into(), Done),
        ]
    );
    assert_eq!(
        events.iter().filter(|e| e.kind() == "hunk_decided").count(),
        3
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::HunkCommented { comment, .. } if comment == "spell every number")
    ));
    drop(rt);
}

#[test]
fn sessions_rm_on_a_terminal_asks_first() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let out = support::command(home.path(), ws.path(), &["exec", "keep me"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let db = home.path().join("gearshift.db");
    let (session, _) = support::newest_session(&db);
    let prefix = &session.id[..8];
    // n (or anything but y) keeps it.
    let mut rm = PtyApp::spawn(home.path(), ws.path(), &["sessions", "rm", prefix], 100, 20);
    rm.wait_text("It cannot be undone. [y/N]");
    rm.send(b"n\r");
    rm.wait_text("kept session");
    assert!(rm.wait_exit());
    assert_eq!(support::newest_session(&db).0.id, session.id);
    // y deletes it.
    let mut rm = PtyApp::spawn(home.path(), ws.path(), &["sessions", "rm", prefix], 100, 20);
    rm.wait_text("keep me");
    rm.send(b"y\r");
    rm.wait_text("deleted session");
    assert!(rm.wait_exit());
    let reader = Reader::open(&db).unwrap();
    assert!(reader.session(&session.id).unwrap().is_none());
}

#[test]
fn starting_and_quitting_without_a_prompt_leaves_no_session_to_continue() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let out = support::command(home.path(), ws.path(), &["exec", "the real work"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // A start that shifts gear and quits without a prompt.
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("DEMO");
    app.send(keys::SHIFT_TAB);
    app.wait_text("PLAN");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    let reader = Reader::open(&home.path().join("gearshift.db")).unwrap();
    let sessions = reader.list_sessions(None, 20).unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    // --continue reopens the session that has work in it.
    let mut app = PtyApp::spawn(home.path(), ws.path(), &["--continue"], 120, 40);
    app.wait_text("Resumed session");
    app.wait_text("the real work");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
}

#[test]
fn the_demo_tours_a_tool_call_a_review_a_plan_and_a_pipeline_stage_in_a_scratch_project() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("mine.txt"), "the user's own file\n").unwrap();
    let tmp_dir = tmp.path().to_str().unwrap();
    let mut app = PtyApp::spawn_env(
        home.path(),
        ws.path(),
        &["demo"],
        120,
        40,
        &[("TMPDIR", tmp_dir)],
    );
    app.wait_text("DEMO — a guided tour");
    // A tool call.
    app.send(b"look around");
    app.send(keys::ENTER);
    app.wait_text("read_file greet.py  ✓");
    app.wait_text("type fix the greeting");
    // A change reviewed hunk by hunk.
    app.send(b"fix the greeting");
    app.send(keys::ENTER);
    app.wait_text("review greet.py");
    app.send(keys::ALT_3);
    app.send(b"a");
    app.send(keys::ENTER);
    app.wait_text("Wrote 1 hunk to greet.py");
    // A plan approved and run step by step, its change reviewed, its gate passed.
    app.send(b"\x1b1");
    app.send(keys::SHIFT_TAB);
    app.wait_text("PLAN");
    app.send(b"plan a farewell");
    app.send(keys::ENTER);
    app.wait_text("The model proposes a plan");
    app.send(keys::ALT_2);
    app.send(b"A");
    app.send(b"g");
    app.wait_text("Step 1 — Add farewell(name)");
    app.wait_text("review greet.py");
    app.send(keys::ALT_3);
    app.send(b"a");
    app.send(keys::ENTER);
    app.wait_text("Step 1 waits at its gate");
    app.send(b"\x1b1");
    app.send(b"\x1bg");
    app.wait_text("Step 2 — Test farewell");
    // A pipeline stage at its gate.
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_text("Step 2 waits at its gate");
    app.send(b"\x1bg");
    app.wait_text("The plan has run: 2 of 2 steps done.");
    app.send(b"\x1b1");
    app.send(keys::SHIFT_TAB);
    app.wait_text("PIPELINE");
    app.send(b"add a farewell");
    app.send(keys::ENTER);
    app.wait_text("review docs/gearshift/requirements.md");
    app.send(keys::ALT_3);
    app.send(b"a");
    app.send(keys::ENTER);
    app.wait_text("Stage requirements waits at its gate");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    // All of it happened in a scratch project; the user's workspace and home are untouched.
    let demo = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("gearshift-demo-")
        })
        .expect("the demo's directory")
        .path();
    let greet = std::fs::read_to_string(demo.join("project/greet.py")).unwrap();
    assert!(
        greet.contains("Hello, {name}!") && greet.contains("def farewell"),
        "{greet}"
    );
    assert!(demo.join("project/test_farewell.py").is_file());
    assert!(
        demo.join("project/docs/gearshift/requirements.md")
            .is_file()
    );
    let mine: Vec<_> = std::fs::read_dir(ws.path()).unwrap().collect();
    assert_eq!(mine.len(), 1, "only the user's own file");
    assert!(!home.path().join("gearshift.db").exists());
}

/// The composer as a command line, in the real binary: `/` opens the popup, Tab completes,
/// `/gear plan` shifts gear without a request, an unknown `/clear` is refused and never sent,
/// a custom command's `$ARGUMENTS` reaches the model, and Ctrl+P runs an action by name.
#[test]
fn slash_commands_complete_run_refuse_and_expand_and_the_palette_runs_an_action() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = answering_in_turn(&rt, [text_sse("On it.")]);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".gearshift/commands")).unwrap();
    std::fs::write(
        ws.path().join(".gearshift/commands/fix-issue.md"),
        "---\ndescription: Fix a tracker issue\nargument-hint: NUMBER\n---\nFix issue #$ARGUMENTS with a failing test first.\n",
    )
    .unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"/");
    app.wait_text("/compact");
    app.send(b"f");
    app.wait_text("/fix-issue NUMBER");
    app.send(keys::CTRL_U);
    app.send(b"/ge");
    app.send(keys::TAB);
    app.send(b"plan");
    app.send(keys::ENTER);
    app.wait_text("PLAN");
    // Unknown: said in the status line, kept in the composer, never sent.
    app.send(b"/clear");
    app.send(keys::ESC);
    app.send(keys::ENTER);
    app.wait_text("unknown command /clear");
    assert!(rt.block_on(server.received_requests()).unwrap().is_empty());
    app.send(keys::CTRL_C);
    // A custom command: its template, filled in, reaches the model.
    app.send(b"/fix-issue 42");
    app.send(keys::ENTER);
    app.wait_text("On it.");
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests.len(), 1);
    let body = String::from_utf8_lossy(&requests[0].body);
    assert!(
        body.contains("Fix issue #42 with a failing test first."),
        "{body}"
    );
    // Ctrl+P, a few letters, Enter: the diff pane has focus (its keys in the status bar).
    app.send(keys::CTRL_P);
    app.wait_text("Commands — type to filter");
    app.send(b"focus diff");
    app.wait_text("Focus the diff review pane");
    app.send(keys::ENTER);
    app.wait_for("the diff pane focused", |s| {
        !s.contains("Commands — type to filter") && s.contains("] file")
    });
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    drop(rt);
}

/// Typing a sentence while the diff pane has focus changes nothing on disk: a letter the pane
/// does not use moves focus to the composer and is typed there, and the pane's destructive
/// key (u, undo) asks to be pressed again.
#[test]
fn typing_a_prompt_while_the_diff_pane_has_focus_changes_nothing_and_lands_in_the_composer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replies = [
        tool_call_sse(
            "call_w",
            "write_file",
            &serde_json::json!({"path": "hello.txt", "content": "hello\n"}),
        ),
        text_sse("Wrote it."),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"write hello");
    app.send(keys::ENTER);
    app.wait_text("Wrote it.");
    app.send(keys::ALT_3);
    app.wait_text("Inactive: keys go to the focused pane");
    app.send(b"run the tests");
    app.wait_text("run the tests");
    app.wait_for("the composer active again", |s| {
        !s.contains("Inactive: keys go to the focused pane")
    });
    // A u alone in the pane asks first.
    app.send(keys::ALT_3);
    app.send(b"u");
    app.wait_text("press u again to undo the last applied change");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
        "hello\n"
    );
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
        "hello\n",
        "nothing typed changed the disk"
    );
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 2);
    drop(rt);
}

/// `!echo hi` runs in the workspace without asking, shows as a cell, and its output reaches
/// the model with the next prompt.
#[test]
fn a_bang_command_runs_shows_its_output_and_reaches_the_next_request() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = answering_in_turn(&rt, [text_sse("It printed hi.")]);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"!echo hi > made.txt; echo hi");
    app.send(keys::ENTER);
    app.wait_text("exit 0, 1 line");
    assert!(ws.path().join("made.txt").exists(), "it ran, unasked");
    assert!(rt.block_on(server.received_requests()).unwrap().is_empty());
    app.send(b"what did it print?");
    app.send(keys::ENTER);
    app.wait_text("It printed hi.");
    let requests = rt.block_on(server.received_requests()).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    let texts: Vec<String> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].to_string())
        .collect();
    let ran = texts
        .iter()
        .position(|t| t.contains("$ echo hi > made.txt; echo hi") && t.contains("exit 0"))
        .expect("the command and its output");
    assert!(texts[ran].contains("hi"));
    assert!(texts[ran + 1].contains("what did it print?"), "{texts:?}");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    drop(rt);
}

/// `@src/ma` completes to `@src/main.rs` from the workspace's files (`.gitignore` respected),
/// the prompt shows it as a chip, and the file's content reaches the request.
#[test]
fn an_at_mention_completes_a_path_and_attaches_the_file() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = answering_in_turn(&rt, [text_sse("It prints a marker.")]);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("src")).unwrap();
    std::fs::create_dir_all(ws.path().join("target")).unwrap();
    std::fs::write(
        ws.path().join("src/main.rs"),
        "fn main() { println!(\"marker-4711\"); }\n",
    )
    .unwrap();
    std::fs::write(ws.path().join("target/main.rs.bak"), "ignored\n").unwrap();
    std::fs::write(ws.path().join(".gitignore"), "target/\n").unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"explain @src/ma");
    app.wait_text("@src/main.rs");
    assert!(
        !app.screen().contains("main.rs.bak"),
        "ignored files are not offered"
    );
    app.send(keys::TAB);
    app.send(b"please");
    app.wait_text("explain @src/main.rs please");
    app.send(keys::ENTER);
    app.wait_text("It prints a marker.");
    app.wait_text("[@src/main.rs]");
    let requests = rt.block_on(server.received_requests()).unwrap();
    let body = String::from_utf8_lossy(&requests[0].body);
    assert!(body.contains("### src/main.rs"), "{body}");
    assert!(body.contains("marker-4711"), "{body}");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    drop(rt);
}

/// When an approval starts waiting and the terminal has lost focus (a focus event), the bell
/// rings and an OSC 9 notification is sent; while it is focused, nothing is.
#[test]
fn an_approval_waiting_while_the_terminal_is_unfocused_rings_and_notifies() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replies = [
        tool_call_sse(
            "call_1",
            "run_command",
            &serde_json::json!({"command": "echo one"}),
        ),
        tool_call_sse(
            "call_2",
            "run_command",
            &serde_json::json!({"command": "echo two"}),
        ),
        text_sse("Both refused."),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"run two things");
    app.send(keys::ENTER);
    app.wait_text("$ echo one");
    let osc = b"\x1b]9;gearshift: a command waits for your approval\x07";
    let has = |raw: &[u8]| raw.windows(osc.len()).any(|w| w == osc);
    assert!(!has(&app.raw), "focused: no notification");
    // Focus out (the terminal reports it), then the next approval calls back.
    app.send(b"\x1b[O");
    app.send(b"n");
    app.send(keys::ENTER);
    app.wait_text("$ echo two");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !has(&app.raw) && std::time::Instant::now() < deadline {
        app.drain();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(has(&app.raw), "the OSC 9 notification");
    assert!(app.raw.contains(&0x07), "the bell");
    app.send(b"n");
    app.send(keys::ENTER);
    app.wait_text("Both refused.");
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    drop(rt);
}

/// Steering, in the real binary: while the model's first step waits for a review, a prompt
/// typed and sent is shown queued, and reaches the model in the same turn — in the request
/// right after the tool's result — not after the turn.
#[test]
fn a_steering_prompt_reaches_the_model_inside_the_running_turn() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let replies = [
        tool_call_sse(
            "call_w",
            "write_file",
            &serde_json::json!({"path": "a.txt", "content": "a\n"}),
        ),
        text_sse("Noted the test too."),
    ];
    let server = answering_in_turn(&rt, replies);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[review]\nvibe = \"review\"\n",
    )
    .unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = spawn_against(&server, home.path(), ws.path());
    app.send(b"write a");
    app.send(keys::ENTER);
    app.wait_text("awaiting your review");
    app.send(b"\x1b1");
    app.send(b"and add a test for it");
    app.send(keys::ENTER);
    app.wait_text("queued — sent at the model's next step");
    app.wait_text("⏳ and add a test for it");
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 1);
    // Accept the change: the turn goes on, with the prompt.
    app.send(keys::ALT_3);
    app.send(b"A");
    app.send(keys::ENTER);
    app.wait_text("Noted the test too.");
    app.wait_for("the queue emptied", |s| !s.contains("⏳ and add a test"));
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests.len(), 2, "no third request: one turn");
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "user"]);
    assert!(body.to_string().contains("and add a test for it"));
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());
    let (_, events) = support::newest_session(&home.path().join("gearshift.db"));
    let finished = events
        .iter()
        .filter(|e| matches!(e, Event::TurnFinished { .. }))
        .count();
    assert_eq!(finished, 1);
    drop(rt);
}

// "What you see is what runs", 3: the approval shows the command byte for byte, and a command
// with hidden characters is never run unasked — not by `*` in the allowlist, not headless.

#[test]
fn the_approval_shows_every_character_and_hidden_ones_are_never_pre_approved() {
    if !support::sandbox_or_skip("the_approval_shows_every_character") {
        return;
    }
    let script = serde_json::json!({"turns": [
        {"tool_calls": [{"name": "run_command", "arguments": {"command": "rm\t-rf\tvictim"}}]},
        {"text": "done"},
    ]});
    let (home, ws) = support::scripted_home(
        &toml::to_string(&script).unwrap(),
        "[approvals]\nallow_commands = [\"*\"]\n",
    );
    std::fs::create_dir(ws.path().join("victim")).unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("VIBE");
    app.send(b"clean up\r");
    app.wait_text("$ rm␉-rf␉victim");
    app.wait_text("invisible characters");
    app.send(b"n");
    app.wait_text("Why not?");
    app.send(b"\r");
    app.wait_text("done");
    app.send(b"\x11");
    app.wait_exit();
    assert!(ws.path().join("victim").is_dir());
    // Headless, --approve-commands does not pass it either.
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-commands", "again"],
    )
    .output()
    .unwrap();
    assert!(
        ws.path().join("victim").is_dir(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused: `rm␉-rf␉victim`"), "{stderr}");
}

// "What you see is what runs", 4: Esc stops a `!` command and everything it started.

#[test]
fn esc_stops_a_bang_command_and_its_children_within_a_second() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut app = PtyApp::spawn(home.path(), ws.path(), &[], 120, 40);
    app.wait_text("VIBE");
    // A child of its own session too, which a process group would not reach.
    app.send(b"!setsid sleep 3171 & sleep 3172\r");
    app.wait_text("! setsid sleep 3171");
    let alive = |what: &str| {
        std::process::Command::new("pgrep")
            .args(["-f", what])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for _ in 0..100 {
        if alive("sleep 3172") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(alive("sleep 3172"), "the command started");
    let asked = std::time::Instant::now();
    app.send(keys::ESC);
    app.wait_text("stopped");
    while (alive("sleep 3171") || alive("sleep 3172")) && asked.elapsed().as_millis() < 1000 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !alive("sleep 3171") && !alive("sleep 3172"),
        "still running after 1 s"
    );
    assert!(!app.screen().contains("exit 0"), "{}", app.screen());
    app.send(b"\x11");
    app.wait_exit();
}
