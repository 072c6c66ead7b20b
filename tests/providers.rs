//! Both wire formats against local mock servers (wiremock on 127.0.0.1, and a stalling server
//! for what wiremock cannot do). No test reaches the internet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gearshift::config::{ActiveProvider, Config, DEFAULTS_TOML};
use gearshift::protocol::FinishReason;
use gearshift::provider::{
    ChatMessage, ChatRequest, ModelClient, ProviderError, StreamEvent, TokenUsage, ToolSpec,
    client_for,
};
use serde_json::Value;
use support::stall_server;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-91c2e0f4d7b8a6";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// A provider named `test`; `adjust` changes its settings (timeouts, retries).
fn provider(kind: &str, base_url: &str, adjust: impl Fn(&mut ActiveProvider)) -> ActiveProvider {
    let text = format!(
        "{DEFAULTS_TOML}\n[providers.test]\nkind = \"{kind}\"\nbase_url = \"{base_url}\"\n\
         api_key_env = \"TEST_API_KEY\"\nmodel = \"test-model\"\nmax_retries = 2\n\
         idle_timeout = 0.5\n"
    );
    let mut config: Config = toml::from_str(&text).unwrap();
    config.provider = Some("test".into());
    let mut p = config.active_provider().unwrap();
    adjust(&mut p);
    p
}

fn unchanged(_: &mut ActiveProvider) {}

fn client(p: &ActiveProvider) -> Arc<dyn ModelClient> {
    client_for(
        p,
        &|var| (var == "TEST_API_KEY").then(|| KEY.to_string()),
        Path::new("."),
    )
    .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        system: "be brief".into(),
        messages: vec![
            ChatMessage::User {
                text: "hello".into(),
            }
            .into(),
        ],
        tools: vec![ToolSpec {
            name: "read_file".into(),
            description: "Read a file".into(),
            parameters: serde_json::json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }],
        max_output_tokens: 1234,
        reasoning: gearshift::provider::ReasoningRequest::default(),
        source: "test/test-model".into(),
        think_tags: false,
        probe: false,
    }
}

async fn collect(client: &dyn ModelClient) -> (Vec<StreamEvent>, Option<ProviderError>) {
    let mut stream = client.stream(request());
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

/// Reassembles tool calls: (id, name, arguments) by index.
fn tool_calls(events: &[StreamEvent]) -> Vec<(String, String, String)> {
    let mut calls: Vec<(usize, String, String, String, bool)> = Vec::new();
    for e in events {
        match e {
            StreamEvent::ToolCallStart { index, id, name } => {
                calls.push((*index, id.clone(), name.clone(), String::new(), false));
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                let c = calls.iter_mut().find(|c| c.0 == *index).unwrap();
                assert!(!c.4, "delta after end");
                c.3.push_str(arguments);
            }
            StreamEvent::ToolCallEnd { index } => {
                calls.iter_mut().find(|c| c.0 == *index).unwrap().4 = true;
            }
            _ => {}
        }
    }
    assert!(calls.iter().all(|c| c.4), "every call ended: {calls:?}");
    calls.into_iter().map(|c| (c.1, c.2, c.3)).collect()
}

fn sse(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(body)
}

async fn openai_server(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn openai_text_streams_with_usage_and_a_well_formed_request() {
    let server = openai_server(sse(fixture("openai_text.sse"))).await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(&events), "Hello, world");
    assert!(events.contains(&StreamEvent::Finish(FinishReason::Stop)));
    assert!(events.contains(&StreamEvent::Usage(TokenUsage {
        input: 12,
        output: 3,
        cached: 4,
        cache_write: 0,
        reasoning: 0,
    })));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        r.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {KEY}")
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 1234);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "hello");
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
}

#[tokio::test]
async fn openai_tool_call_deltas_split_mid_json_and_two_calls_in_one_turn() {
    let server = openai_server(sse(fixture("openai_tools.sse"))).await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert!(err.is_none(), "{err:?}");
    let calls = tool_calls(&events);
    assert_eq!(
        calls,
        vec![
            (
                "call_a".into(),
                "read_file".into(),
                r#"{"path": "src/main.rs"}"#.into()
            ),
            (
                "call_b".into(),
                "grep".into(),
                r#"{"pattern": "fn main"}"#.into()
            ),
        ]
    );
    for (_, _, args) in &calls {
        serde_json::from_str::<Value>(args).unwrap();
    }
    assert!(events.contains(&StreamEvent::Finish(FinishReason::ToolCalls)));
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .respond_with(sse(fixture("openai_text.sse")))
        .with_priority(2)
        .mount(&server)
        .await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let start = Instant::now();
    let (events, err) = collect(&*client(&p)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(&events), "Hello, world");
    // Our own backoff would have waited at most 0.75 s: the header's 1 s was honoured.
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn three_500s_give_up_with_an_error() {
    let server =
        openai_server(ResponseTemplate::new(500).set_body_string("upstream exploded")).await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert!(events.is_empty());
    let err = err.unwrap();
    assert!(
        matches!(
            &err,
            ProviderError::Server {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upstream exploded"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_malformed_chunk_names_the_provider_and_shows_the_text() {
    let server = openai_server(sse(fixture("openai_malformed.sse"))).await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert_eq!(text_of(&events), "Hi", "what arrived before is kept");
    let msg = err.unwrap().to_string();
    assert!(
        msg.starts_with("test sent a malformed stream chunk"),
        "{msg}"
    );
    assert!(msg.contains("oops this is not json"), "{msg}");
}

#[tokio::test]
async fn auth_failures_say_which_variable_to_set_and_never_show_the_key() {
    for status in [401, 403] {
        let body = format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#);
        let server = openai_server(ResponseTemplate::new(status).set_body_string(body)).await;
        let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
        let (_, err) = collect(&*client(&p)).await;
        let msg = err.unwrap().to_string();
        assert!(msg.contains("set TEST_API_KEY"), "{msg}");
        assert!(!msg.contains(KEY), "{msg}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "not retried"
        );
    }
    // Other errors show the body, with the key redacted.
    let body = format!("bad request for key {KEY}");
    let server = openai_server(ResponseTemplate::new(400).set_body_string(body)).await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let msg = collect(&*client(&p)).await.1.unwrap().to_string();
    assert!(msg.contains("bad request for key [redacted]"), "{msg}");
}

#[tokio::test]
async fn a_404_names_the_model_and_url() {
    let server = MockServer::start().await;
    let p = provider("openai", &format!("{}/v1", server.uri()), unchanged);
    let msg = collect(&*client(&p)).await.1.unwrap().to_string();
    assert!(msg.contains("`test-model`"), "{msg}");
    assert!(
        msg.contains(&format!("{}/v1/chat/completions", server.uri())),
        "{msg}"
    );
}

#[test]
fn a_missing_key_is_reported_before_any_request() {
    let p = provider("openai", "http://127.0.0.1:9/v1", unchanged);
    let err = client_for(&p, &|_| None, Path::new(".")).err().unwrap();
    assert_eq!(
        err.to_string(),
        "test needs an API key: set TEST_API_KEY (for example `export TEST_API_KEY=…`); \
         `gearshift doctor` checks every key and setting"
    );
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // Bind then drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = provider("openai", &format!("http://127.0.0.1:{port}/v1"), |p| {
        p.settings.max_retries = Some(1);
    });
    let msg = collect(&*client(&p)).await.1.unwrap().to_string();
    assert!(msg.starts_with("cannot reach test at"), "{msg}");
}

#[tokio::test]
async fn an_idle_stream_times_out_keeping_what_arrived() {
    let chunk = r#"{"choices":[{"index":0,"delta":{"content":"partial"},"finish_reason":null}]}"#;
    let server =
        stall_server::start(vec![chunk.into()], Duration::ZERO, Duration::from_secs(10)).await;
    let p = provider("openai", &format!("{}/v1", server.url), |p| {
        p.settings.idle_timeout = Some(0.3);
    });
    let start = Instant::now();
    let (events, err) = collect(&*client(&p)).await;
    assert_eq!(text_of(&events), "partial");
    assert!(
        matches!(err, Some(ProviderError::IdleTimeout { .. })),
        "{err:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection_at_once() {
    let chunk = r#"{"choices":[{"index":0,"delta":{"content":"tick "},"finish_reason":null}]}"#;
    let mut server =
        stall_server::start(vec![chunk.into()], Duration::ZERO, Duration::from_secs(10)).await;
    let p = provider("openai", &format!("{}/v1", server.url), |p| {
        p.settings.idle_timeout = Some(30.0);
    });
    let c = client(&p);
    let mut stream = c.stream(request());
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        StreamEvent::TextDelta("tick ".into())
    );
    let cancelled = Instant::now();
    drop(stream);
    let closed = tokio::time::timeout(Duration::from_secs(5), server.closed.recv())
        .await
        .unwrap()
        .unwrap();
    let latency = closed.saturating_duration_since(cancelled);
    assert!(
        // Functional bound only (the server holds the stream 10 s); the 100 ms target is
        // measured by `cargo bench --bench cancel`.
        latency < Duration::from_secs(2),
        "connection closed after {latency:?}"
    );
}

#[tokio::test]
async fn anthropic_streams_text_tool_use_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .and(path("/v1/messages"))
        .respond_with(sse(fixture("anthropic_tools.sse")))
        .mount(&server)
        .await;
    let p = provider("anthropic", &server.uri(), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(&events), "Let me look at it.");
    assert_eq!(
        tool_calls(&events),
        vec![(
            "toolu_1".into(),
            "read_file".into(),
            r#"{"path": "Cargo.toml"}"#.into()
        )]
    );
    assert!(events.contains(&StreamEvent::Finish(FinishReason::ToolCalls)));
    let mut usage = TokenUsage::default();
    for e in &events {
        if let StreamEvent::Usage(u) = e {
            usage.merge(*u);
        }
    }
    assert_eq!(
        usage,
        TokenUsage {
            input: 35,
            output: 42,
            cached: 10,
            cache_write: 0,
            reasoning: 0,
        }
    );

    let r = &server.received_requests().await.unwrap()[0];
    assert_eq!(r.headers.get("x-api-key").unwrap().to_str().unwrap(), KEY);
    assert_eq!(
        r.headers
            .get("anthropic-version")
            .unwrap()
            .to_str()
            .unwrap(),
        "2023-06-01"
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["system"][0]["text"], "be brief");
    assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
    assert_eq!(body["max_tokens"], 1234);
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["content"][0]["text"], "hello");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
}

#[tokio::test]
async fn anthropic_error_event_ends_the_stream_with_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .respond_with(sse(fixture("anthropic_error.sse")))
        .mount(&server)
        .await;
    let p = provider("anthropic", &server.uri(), unchanged);
    let (events, err) = collect(&*client(&p)).await;
    assert_eq!(text_of(&events), "Part");
    let msg = err.unwrap().to_string();
    assert!(msg.contains("overloaded_error: Overloaded"), "{msg}");
}

#[tokio::test]
async fn anthropic_tool_results_are_sent_in_the_user_turn() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(support::wire::valid())
        .respond_with(sse(fixture("anthropic_tools.sse")))
        .mount(&server)
        .await;
    let p = provider("anthropic", &server.uri(), unchanged);
    let c = client(&p);
    let mut req = request();
    req.messages.push(
        ChatMessage::Assistant {
            text: String::new(),
            tool_calls: vec![gearshift::provider::ToolCallRequest {
                id: "toolu_1".into(),
                name: "read_file".into(),
                arguments: r#"{"path":"a"}"#.into(),
            }],
            reasoning: None,
        }
        .into(),
    );
    req.messages.push(
        ChatMessage::ToolResult {
            call_id: "toolu_1".into(),
            content: "contents".into(),
            is_error: false,
        }
        .into(),
    );
    let mut s = c.stream(req);
    while s.next().await.is_some() {}
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["content"][0]["type"], "tool_use");
    assert_eq!(messages[1]["content"][0]["input"]["path"], "a");
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
}
