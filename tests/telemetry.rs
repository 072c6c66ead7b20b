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
    std::fs::write(
        &config,
        text.replace("model = \"s\"\n", &format!("model = \"s\"\n{PRICES}")),
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
                ("decision", "applied"),
                ("writer", "file_tool")
            ]
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
