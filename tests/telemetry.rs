//! Telemetry against a fake OpenTelemetry collector on 127.0.0.1 (`support::otlp`), which
//! decodes what arrives with the protocol's own types: every metric, event and span of an
//! `exec` session and of a TUI session with decisions, with their attributes and no prompt
//! text, file content or secret; each transport; a workspace that asks for telemetry refused;
//! a collector that refuses or hangs costing the session nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::otlp::{Behaviour, Collector};

const SCRIPT: &str = r#"
[[turns]]
tool_calls = [{ name = "run_command", arguments = { command = "printf 'FILE-CONTENT-LINE\nsecond\n' > made.txt" } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "notes.md", content = "SECRET-FILE-BODY\n" } }]

[[turns]]
text = "done"
"#;

const PRICES: &str = "input_price = 3.0\noutput_price = 15.0\n";

/// `gearshift exec` with telemetry on, sent to `collector` by `protocol`; its output.
fn exec(
    home: &std::path::Path,
    ws: &std::path::Path,
    endpoint: &str,
    protocol: &str,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = support::command(
        home,
        ws,
        &[
            "exec",
            "--approve-commands",
            "--approve-changes",
            "--approve-checkpoints",
            "please do SECRET-PROMPT-WORD",
        ],
    );
    cmd.env("HOME", home)
        .env("GEARSHIFT_ENABLE_TELEMETRY", "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer team-token-4711",
        )
        .env("OTEL_RESOURCE_ATTRIBUTES", "team=platform,developer=ada");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn scripted() -> (tempfile::TempDir, tempfile::TempDir) {
    support::scripted_home(SCRIPT, "")
}

/// The scripted provider with prices, so that cost is counted.
fn priced() -> (tempfile::TempDir, tempfile::TempDir) {
    let (home, ws) = scripted();
    let config = home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    // And a checkpoint on the notes, which exec passes with --approve-checkpoints.
    let rule =
        "[[checkpoints]]\nname = \"notes\"\nreason = \"NOTES-REASON\"\npaths = [\"notes.md\"]\n";
    std::fs::write(
        &config,
        text.replace("model = \"s\"\n", &format!("model = \"s\"\n{PRICES}")) + rule,
    )
    .unwrap();
    (home, ws)
}

#[test]
fn an_exec_session_sends_every_signal_with_its_attributes_and_nothing_private() {
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = priced();
    let out = exec(
        home.path(),
        ws.path(),
        &collector.endpoint(),
        "http/protobuf",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collector.wait_for("every signal", |c| {
        ["traces", "metrics", "logs"]
            .iter()
            .all(|s| c.requests().iter().any(|r| r.signal == *s))
    });

    // Who sent it, and with the team's header.
    for r in collector.requests() {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer team-token-4711")
        );
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/x-protobuf")
        );
    }
    for resource in collector.resources() {
        assert_eq!(resource["service.name"], "gearshift");
        assert_eq!(resource["team"], "platform");
        assert_eq!(resource["developer"], "ada");
        assert!(resource.contains_key("service.version"));
    }

    // Metrics, with the attributes dashboards group by.
    let session = collector.points("gearshift.session.count");
    assert_eq!(session.len(), 1, "{session:?}");
    let id = session[0].attrs["session.id"].clone();
    assert_eq!(session[0].attrs["start"], "new");
    assert_eq!(session[0].attrs["gear"], "vibe");
    let model = [("model", "s"), ("provider", "scripted"), ("gear", "vibe")];
    assert_eq!(collector.total("gearshift.api_request.count", &model), 3.0);
    assert!(
        collector.total(
            "gearshift.token.usage",
            &[("type", "input"), ("model", "s")]
        ) > 1000.0
    );
    assert!(collector.total("gearshift.token.usage", &[("type", "output")]) >= 1.0);
    assert!(collector.total("gearshift.cost.usage", &[("model", "s")]) > 0.0);
    assert_eq!(
        collector.total("gearshift.api_request.duration", &model),
        3.0
    );
    assert_eq!(
        collector.total("gearshift.api_request.time_to_first_token", &model),
        3.0
    );
    assert_eq!(
        collector.total(
            "gearshift.lines_of_code.count",
            &[
                ("type", "added"),
                ("decision", "applied"),
                ("writer", "command")
            ]
        ),
        2.0
    );
    assert_eq!(
        collector.total(
            "gearshift.lines_of_code.count",
            &[
                ("type", "added"),
                ("decision", "accepted"),
                ("writer", "file_tool")
            ]
        ),
        1.0,
        "the checkpoint held the write for a decision"
    );
    assert_eq!(
        collector.total(
            "gearshift.hunk.decision",
            &[("decision", "accept"), ("source", "headless")]
        ),
        1.0
    );
    assert_eq!(
        collector.total(
            "gearshift.command.decision",
            &[("decision", "accept"), ("source", "headless")]
        ),
        1.0
    );
    assert_eq!(
        collector.total(
            "gearshift.checkpoint.count",
            &[("rule", "notes"), ("on", "change")]
        ),
        1.0
    );
    for p in collector.points("gearshift.token.usage") {
        assert_eq!(p.attrs["session.id"], id);
    }

    // Events.
    let events = collector.events();
    let named = |n: &str| {
        events
            .iter()
            .filter(|(name, _)| name == n)
            .map(|(_, a)| a.clone())
            .collect::<Vec<_>>()
    };
    let prompt = named("gearshift.user_prompt");
    assert_eq!(prompt.len(), 1);
    assert_eq!(prompt[0]["prompt_length"], "28");
    assert!(!prompt[0].contains_key("prompt"));
    let requests = named("gearshift.api_request");
    assert_eq!(requests.len(), 3);
    assert!(
        requests.iter().all(|a| a["model"] == "s"
            && a.contains_key("cost_usd")
            && a.contains_key("duration_ms"))
    );
    let results = named("gearshift.tool_result");
    let tools: Vec<&str> = results.iter().map(|a| a["tool_name"].as_str()).collect();
    assert_eq!(tools, ["run_command", "write_file"]);
    assert!(
        results
            .iter()
            .all(|a| a["success"] == "true" && !a.contains_key("tool_parameters"))
    );
    let decisions = named("gearshift.tool_decision");
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        (
            decisions[0]["decision"].as_str(),
            decisions[0]["source"].as_str()
        ),
        ("accept", "headless")
    );
    assert!(events.iter().all(|(_, a)| a["session.id"] == id));

    // Spans: the turn, and its requests and tool calls within it, in one trace.
    let spans = collector.spans();
    let turns: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "gearshift.turn")
        .collect();
    assert_eq!(turns.len(), 1, "{spans:?}");
    let turn = turns[0];
    assert!(turn.parent.is_empty());
    let children = |name: &str| {
        spans
            .iter()
            .filter(|s| s.name == name && s.parent == turn.id && s.trace == turn.trace)
            .count()
    };
    assert_eq!(children("gearshift.api_request"), 3);
    assert_eq!(children("gearshift.tool"), 2);

    // Nothing private left: the prompt's words, what the files hold, the team's token.
    let sent = collector.all_bytes();
    for private in [
        "SECRET-PROMPT-WORD",
        "FILE-CONTENT-LINE",
        "SECRET-FILE-BODY",
        "team-token-4711",
        "made.txt",
        "notes.md",
        "NOTES-REASON",
    ] {
        assert!(!sent.contains(private), "{private} was sent");
    }
}

#[test]
fn grpc_and_http_json_carry_the_same_signals() {
    for protocol in ["grpc", "http/json"] {
        let collector = Collector::start(Behaviour::Answer);
        let (home, ws) = scripted();
        let out = exec(home.path(), ws.path(), &collector.endpoint(), protocol, &[]);
        assert!(
            out.status.success(),
            "{protocol}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        collector.wait_for("the session's metrics and spans", |c| {
            !c.points("gearshift.api_request.count").is_empty()
                && c.spans().iter().any(|s| s.name == "gearshift.turn")
                && c.events()
                    .iter()
                    .any(|(n, _)| n == "gearshift.tool_decision")
        });
        assert_eq!(
            collector.total("gearshift.api_request.count", &[("model", "s")]),
            3.0,
            "{protocol}"
        );
        let requests = collector.requests();
        assert!(
            requests.iter().all(|r| r.json == (protocol == "http/json")),
            "{protocol}"
        );
        if protocol == "grpc" {
            assert!(
                requests
                    .iter()
                    .all(|r| r.headers.get("authorization").map(String::as_str)
                        == Some("Bearer team-token-4711"))
            );
        }
    }
}

#[test]
fn opted_in_prompts_and_tool_details_are_sent_and_only_then() {
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = scripted();
    let out = exec(
        home.path(),
        ws.path(),
        &collector.endpoint(),
        "http/protobuf",
        &[
            ("OTEL_LOG_USER_PROMPTS", "1"),
            ("OTEL_LOG_TOOL_DETAILS", "1"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collector.wait_for("the prompt", |c| {
        c.events()
            .iter()
            .any(|(n, _)| n == "gearshift.tool_decision")
    });
    let events = collector.events();
    let prompt = events
        .iter()
        .find(|(n, _)| n == "gearshift.user_prompt")
        .unwrap();
    assert_eq!(prompt.1["prompt"], "please do SECRET-PROMPT-WORD");
    let decision = events
        .iter()
        .find(|(n, _)| n == "gearshift.tool_decision")
        .unwrap();
    assert!(decision.1["command"].contains("made.txt"));
}

#[test]
fn a_workspace_that_asks_for_telemetry_is_refused_with_its_line_and_sends_nothing() {
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = scripted();
    std::fs::create_dir_all(ws.path().join(".gearshift")).unwrap();
    std::fs::write(
        ws.path().join(".gearshift/config.toml"),
        "# a cloned repository\n[telemetry]\nenabled = true\nlog_user_prompts = true\n",
    )
    .unwrap();
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--trust-workspace",
            "--approve-commands",
            "--approve-changes",
            "go",
        ],
    )
    .env("HOME", home.path())
    .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            ".gearshift/config.toml:2:2: telemetry: refused: only your own config may set telemetry"
        ),
        "{stderr}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        collector.requests().is_empty(),
        "{:?}",
        collector.requests()
    );
}

/// How long the same session takes with telemetry off.
fn untimed_baseline() -> Duration {
    let (home, ws) = scripted();
    let start = Instant::now();
    let out = support::command(
        home.path(),
        ws.path(),
        &["exec", "--approve-commands", "--approve-changes", "go"],
    )
    .env("HOME", home.path())
    .output()
    .unwrap();
    assert!(out.status.success());
    start.elapsed()
}

#[test]
fn a_collector_that_refuses_or_hangs_does_not_slow_or_fail_the_session() {
    let baseline = untimed_baseline();
    // Refused: a port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hung = Collector::start(Behaviour::Hang);
    for (endpoint, protocol) in [
        (format!("http://127.0.0.1:{closed}"), "http/protobuf"),
        (hung.endpoint(), "http/protobuf"),
        (hung.endpoint(), "grpc"),
    ] {
        let (home, ws) = scripted();
        let start = Instant::now();
        let out = exec(home.path(), ws.path(), &endpoint, protocol, &[]);
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{endpoint} {protocol}: {stderr}");
        assert!(
            ws.path().join("notes.md").exists(),
            "the session did its work"
        );
        // The exporter's own timeout is 10 s; the run waits at most half a second for it at
        // its end, whatever the collector does (generous bound: slow CI machines).
        assert!(
            took < baseline + Duration::from_secs(4),
            "{endpoint} {protocol}: {took:?} against {baseline:?} without telemetry"
        );
        // A collector that refused is said, once.
        if endpoint.ends_with(&closed.to_string()) {
            assert_eq!(
                stderr.matches("telemetry: the collector").count(),
                1,
                "{stderr}"
            );
        }
    }
}

const PLAN: &str = r#"
[[turns]]
text = "Here is my plan."
tool_calls = [{ name = "propose_plan", arguments = { steps = [
  { title = "Tidy notes", detail = "spell out two numbers", files = ["notes.txt"] },
  { title = "Not wanted", detail = "create junk.txt" },
] } }]

[[turns]]
tool_calls = [{ name = "run_command", arguments = { command = "ls" } }]

[[turns]]
tool_calls = [{ name = "write_file", arguments = { path = "notes.txt", content = "line one\nb\nc\nd\ne\nf\ng\nh\ni\nj\nline eleven\n" } }]

[[turns]]
tool_calls = [{ name = "complete_step", arguments = { summary = "notes tidied" } }]
"#;

#[test]
fn a_tui_session_sends_the_humans_decisions_at_every_gate() {
    use support::keys;
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = support::scripted_home(PLAN, "[review]\nmemory_step = false\n");
    std::fs::write(
        ws.path().join("notes.txt"),
        "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n",
    )
    .unwrap();
    let endpoint = collector.endpoint();
    let mut app = support::PtyApp::spawn_env(
        home.path(),
        ws.path(),
        &["--gear", "plan"],
        120,
        40,
        &[
            ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ],
    );
    app.wait_text("scripted/s");
    app.send(b"tidy the notes");
    app.send(keys::ENTER);
    app.wait_text("0/2 approved");
    // Approve step 1, reject step 2, run.
    app.send(keys::ALT_2);
    app.send(b"a");
    app.wait_text("1/2 approved");
    app.send(b"j");
    app.send(b"x");
    app.send(b"g");
    // The command asks; the human runs it once.
    app.wait_text("Run command?");
    app.send(b"y");
    // Two hunks: the first rejected, the second accepted.
    app.wait_text("proposes a change to notes.txt");
    app.send(keys::ALT_3);
    app.wait_text("0/2 decided");
    app.send(b"x");
    app.wait_text("1/2 decided");
    app.send(b"a");
    app.wait_text("2/2 decided");
    app.send(keys::ENTER);
    app.wait_text("Step 1 waits at its gate");
    // The gate passes.
    app.send(keys::ALT_2);
    app.send(b"g");
    app.wait_text("The plan has run");
    // u, in the diff pane, undoes the accepted change.
    app.send(keys::ALT_3);
    app.send(b"u");
    app.send(b"u");
    app.wait_text("Undid the change to notes.txt");
    // Metrics go out every half second here; the session is still open.
    collector.wait_for("the decisions' metrics", |c| {
        c.total("gearshift.plan_step.count", &[("outcome", "passed")]) >= 1.0
            && c.total("gearshift.hunk.decision", &[]) >= 2.0
            && c.total("gearshift.lines_of_code.count", &[("decision", "undone")]) >= 1.0
    });
    app.send(keys::CTRL_Q);
    assert!(app.wait_exit());

    let step =
        |outcome: &str| collector.total("gearshift.plan_step.count", &[("outcome", outcome)]);
    assert_eq!(
        [step("approved"), step("rejected"), step("passed")],
        [1.0, 1.0, 1.0]
    );
    assert_eq!(
        collector.total(
            "gearshift.hunk.decision",
            &[("decision", "accept"), ("source", "user")]
        ),
        1.0
    );
    assert_eq!(
        collector.total(
            "gearshift.hunk.decision",
            &[("decision", "reject"), ("source", "user")]
        ),
        1.0
    );
    assert_eq!(
        collector.total(
            "gearshift.command.decision",
            &[("decision", "accept"), ("source", "user")]
        ),
        1.0
    );
    let lines = |decision: &str| {
        collector.total(
            "gearshift.lines_of_code.count",
            &[
                ("type", "added"),
                ("decision", decision),
                ("writer", "file_tool"),
            ],
        )
    };
    assert_eq!(
        [lines("accepted"), lines("rejected"), lines("undone")],
        [1.0, 1.0, 1.0]
    );
    assert!(collector.total("gearshift.api_request.count", &[("gear", "plan")]) >= 4.0);
    collector.wait_for("the decisions' events", |c| {
        c.events()
            .iter()
            .any(|(n, a)| n == "gearshift.step_decision" && a["outcome"] == "passed")
    });
    let events = collector.events();
    let has = |name: &str, key: &str, value: &str| {
        events
            .iter()
            .any(|(n, a)| n == name && a.get(key).map(String::as_str) == Some(value))
    };
    assert!(has("gearshift.tool_decision", "source", "user"));
    assert!(has("gearshift.hunk_decision", "decision", "reject"));
    assert!(has("gearshift.hunk_decision", "language", "txt"));
    assert!(has("gearshift.step_decision", "outcome", "rejected"));
    let spans = collector.spans();
    assert!(
        spans.iter().filter(|s| s.name == "gearshift.turn").count() >= 2,
        "{spans:?}"
    );
    assert!(
        spans
            .iter()
            .any(|s| s.name == "gearshift.tool" && s.attrs["tool_name"] == "write_file")
    );
    let sent = collector.all_bytes();
    assert!(!sent.contains("tidy the notes") && !sent.contains("line eleven"));
}

#[test]
fn a_pipeline_run_sends_its_stages_its_plan_and_its_commit() {
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = support::scripted_home(
        support::PIPELINE_TO_COMMIT,
        "[pipeline]\ntest_command = \"sh test.sh\"\n",
    );
    support::greeting_project(ws.path());
    let out = support::command(
        home.path(),
        ws.path(),
        &[
            "exec",
            "--gear",
            "pipeline",
            "--approve-gates",
            "add a greeting",
        ],
    )
    .env("HOME", home.path())
    .env("GEARSHIFT_ENABLE_TELEMETRY", "1")
    .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collector.wait_for("the commit", |c| {
        c.total("gearshift.commit.count", &[]) >= 1.0
    });
    for stage in [
        "requirements",
        "design",
        "tasks",
        "implement",
        "verify",
        "review",
        "ship",
    ] {
        assert_eq!(
            collector.total(
                "gearshift.stage.count",
                &[("stage", stage), ("outcome", "passed")]
            ),
            1.0,
            "{stage}"
        );
    }
    assert_eq!(
        collector.total("gearshift.stage.count", &[("outcome", "verify_failed")]),
        1.0
    );
    assert_eq!(
        collector.total("gearshift.plan_step.count", &[("outcome", "passed")]),
        1.0
    );
    assert!(collector.total("gearshift.api_request.count", &[("gear", "pipeline")]) >= 10.0);
    assert!(
        collector
            .points("gearshift.api_request.count")
            .iter()
            .any(|p| p.attrs.get("stage").map(String::as_str) == Some("implement"))
    );
    collector.wait_for("the commit's event", |c| {
        c.events().iter().any(|(n, _)| n == "gearshift.commit")
    });
    let events = collector.events();
    let gates: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "gearshift.stage_decision")
        .map(|(_, a)| a["stage"].as_str())
        .collect();
    assert!(gates.contains(&"ship"), "{gates:?}");
    // --approve-gates passed them, not a human.
    assert!(
        events
            .iter()
            .filter(|(n, _)| n == "gearshift.stage_decision")
            .all(|(_, a)| a["source"] == "headless")
    );
}

const SUBAGENT: &str = r#"
[[turns]]
tool_calls = [{ name = "task", arguments = { agent = "reader", prompt = "LOOK: where is the parser?" } }]

[[turns]]
text = "It is in src."

[[scenes]]
when = "LOOK"
[[scenes.turns]]
text = "In src/parse.rs."
"#;

#[test]
fn a_subagents_turn_is_a_span_within_its_parents_turn_with_its_own_usage() {
    let collector = Collector::start(Behaviour::Answer);
    let (home, ws) = support::scripted_home(SUBAGENT, "");
    let agents = home.path().join(".claude/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("reader.md"),
        "---\nname: reader\ndescription: Reads\ntools: Read\n---\nYou read.\n",
    )
    .unwrap();
    let out = exec(
        home.path(),
        ws.path(),
        &collector.endpoint(),
        "http/protobuf",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collector.wait_for("both sessions' spans", |c| {
        c.spans().iter().any(|s| s.name == "gearshift.subagent")
            && c.spans().iter().any(|s| s.name == "gearshift.turn")
    });
    let spans = collector.spans();
    let turn = spans.iter().find(|s| s.name == "gearshift.turn").unwrap();
    let sub = spans
        .iter()
        .find(|s| s.name == "gearshift.subagent")
        .unwrap();
    assert_eq!((&sub.parent, &sub.trace), (&turn.id, &turn.trace));
    assert_eq!(sub.attrs["agent"], "reader");
    assert_ne!(sub.attrs["session.id"], turn.attrs["session.id"]);
    let task = spans
        .iter()
        .find(|s| s.name == "gearshift.tool" && s.attrs["tool_name"] == "task")
        .unwrap();
    assert_eq!(task.parent, turn.id);
    // Its requests are counted once, under its name.
    assert_eq!(
        collector.total("gearshift.api_request.count", &[("agent", "reader")]),
        1.0
    );
    assert_eq!(collector.total("gearshift.api_request.count", &[]), 3.0);
    assert_eq!(
        collector.total("gearshift.session.count", &[("agent", "reader")]),
        1.0
    );
}

/// Anthropic's documented overload inside a stream that had begun.
const OVERLOADED: &str = "event: message_start\n\
     data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m1\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n\
     event: error\n\
     data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

#[test]
fn a_fallback_and_the_failed_request_are_sent_and_no_key_is() {
    use support::model::{FakeModel, Turn};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let down = rt.block_on(async {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("content-type", "text/event-stream")
                    .set_body_string(OVERLOADED),
            )
            .mount(&server)
            .await;
        server
    });
    let spare = rt.block_on(FakeModel::start(vec![Turn::text("from two")]));
    let collector = Collector::start(Behaviour::Answer);
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"one\"\n\
             [providers.one]\nkind = \"anthropic\"\nbase_url = \"{}\"\napi_key_env = \"ONE_KEY\"\nmodel = \"m1\"\nmax_retries = 0\n\
             [providers.two]\nkind = \"openai\"\nbase_url = \"{}\"\napi_key_env = \"TWO_KEY\"\nmodel = \"m2\"\nmax_retries = 0\n\
             [routing]\nvibe = {{ model = \"one/m1\", fallback = [\"two/m2\"] }}\n",
            down.uri(),
            spare.url()
        ),
    )
    .unwrap();
    let out = exec(
        home.path(),
        ws.path(),
        &collector.endpoint(),
        "http/protobuf",
        &[
            ("ONE_KEY", "sk-ant-KEY-one-0123456789abcdef"),
            ("TWO_KEY", "sk-KEY-two-0123456789abcdef"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    collector.wait_for("the fallback", |c| {
        c.total("gearshift.fallback.count", &[]) >= 1.0
    });
    assert_eq!(
        collector.total(
            "gearshift.fallback.count",
            &[("from", "one/m1"), ("to", "two/m2")]
        ),
        1.0
    );
    assert_eq!(
        collector.total(
            "gearshift.api_error.count",
            &[("model", "m1"), ("provider", "one")]
        ),
        1.0
    );
    assert_eq!(
        collector.total("gearshift.api_request.count", &[("model", "m2")]),
        1.0
    );
    collector.wait_for("the events", |c| {
        c.events().iter().any(|(n, _)| n == "gearshift.api_error")
    });
    let events = collector.events();
    assert!(
        events
            .iter()
            .any(|(n, a)| n == "gearshift.fallback" && a["from"] == "one/m1")
    );
    let sent = collector.all_bytes();
    for key in ["KEY-one-0123456789", "KEY-two-0123456789"] {
        assert!(!sent.contains(key), "{key} was sent");
    }
}

#[test]
fn the_manual_documents_every_name_and_the_dashboard_uses_only_real_ones() {
    use gearshift_telemetry::names::{event, metric, span};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/telemetry.md")).unwrap();
    for name in metric::ALL.iter().chain(&event::ALL).chain(&span::ALL) {
        assert!(
            page.contains(&format!("`{name}`")),
            "docs/telemetry.md does not document {name}"
        );
    }
    // The dashboard's queries name metrics as the collector's Prometheus exporter writes them:
    // dots as underscores, the unit, then `_total` (counters) or `_bucket` (histograms).
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/telemetry/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let known: Vec<String> = metric::ALL.iter().map(|m| m.replace('.', "_")).collect();
    let word = regex::Regex::new(r"gearshift_[a-zA-Z_]+").unwrap();
    let mut used = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for m in word.find_iter(expr) {
                let name = m.as_str();
                let base = [
                    "_tokens_total",
                    "_USD_total",
                    "_milliseconds_bucket",
                    "_total",
                ]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or_else(|| panic!("{name}: not a Prometheus name of a gearshift metric"));
                assert!(
                    known.iter().any(|k| k == base),
                    "{name} in the dashboard is no gearshift metric"
                );
                used.insert(base.to_string());
            }
        }
    }
    assert!(
        used.len() >= 15,
        "the dashboard shows most metrics: {used:?}"
    );
    // And the collector's example takes OTLP on both transports.
    let collector =
        std::fs::read_to_string(root.join("docs/telemetry/otel-collector.yaml")).unwrap();
    assert!(collector.contains("0.0.0.0:4317") && collector.contains("0.0.0.0:4318"));
}

#[test]
fn the_collectors_credentials_are_kept_from_the_models_commands() {
    let script = r#"
[[turns]]
tool_calls = [{ name = "run_command", arguments = { command = "printf '%s' \"$OTEL_EXPORTER_OTLP_HEADERS\" > seen.txt; env | grep -c OTEL_EXPORTER_OTLP_HEADERS > count.txt || true" } }]

[[turns]]
text = "done"
"#;
    let collector = Collector::start(Behaviour::Answer);
    // Whatever the user's own list of variables to remove says.
    let (home, ws) = support::scripted_home(script, "[secrets]\nremove_env = []\n");
    let out = exec(
        home.path(),
        ws.path(),
        &collector.endpoint(),
        "http/protobuf",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("seen.txt")).unwrap(),
        ""
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("count.txt"))
            .unwrap()
            .trim(),
        "0"
    );
    // Telemetry still took them.
    collector.wait_for("a request", |c| !c.requests().is_empty());
    assert!(
        collector
            .requests()
            .iter()
            .all(|r| r.headers.contains_key("authorization"))
    );
}

#[test]
fn telemetry_test_sends_one_of_each_signal_and_says_what_the_collector_answered() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    for protocol in ["http/protobuf", "grpc"] {
        let collector = Collector::start(Behaviour::Answer);
        let out = support::command(home.path(), ws.path(), &["telemetry", "test"])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{protocol}: {stdout}");
        assert!(
            stdout.starts_with("telemetry is off for sessions"),
            "{stdout}"
        );
        for signal in ["traces", "metrics", "logs"] {
            let line = stdout.lines().find(|l| l.starts_with(signal)).unwrap();
            assert!(
                line.contains(protocol) && line.ends_with(": taken"),
                "{line}"
            );
        }
        // One of each, named for the test; no session is counted.
        assert_eq!(
            collector.total("gearshift.telemetry.test", &[]),
            1.0,
            "{protocol}"
        );
        assert!(
            collector
                .spans()
                .iter()
                .any(|s| s.name == "gearshift.telemetry.test")
        );
        assert!(
            collector
                .events()
                .iter()
                .any(|(n, _)| n == "gearshift.telemetry.test")
        );
        assert!(collector.points("gearshift.session.count").is_empty());
    }
    // Nothing listening: each signal says it was not taken, and the exit code says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = support::command(home.path(), ws.path(), &["telemetry", "test"])
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{closed}"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("NOT taken").count(), 3, "{stdout}");
}

#[test]
fn the_doctor_says_whether_telemetry_is_on_and_where_it_goes() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let doctor = |env: &[(&str, &str)]| {
        let mut cmd = support::command(home.path(), ws.path(), &["doctor"]);
        cmd.env("HOME", home.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    assert!(doctor(&[]).contains("telemetry off: nothing about your use leaves this machine"));
    let on = doctor(&[
        ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://collector.example:4318",
        ),
        ("OTEL_LOG_USER_PROMPTS", "1"),
    ]);
    assert!(
        on.contains("logs to http/protobuf http://collector.example:4318/v1/logs")
            && on.contains("prompt text is sent"),
        "{on}"
    );
    let bad = doctor(&[
        ("GEARSHIFT_ENABLE_TELEMETRY", "1"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "udp"),
    ]);
    assert!(
        bad.contains(
            "`udp` is not grpc, http/protobuf or http/json: sessions run without telemetry"
        ),
        "{bad}"
    );
}
