//! Outages reported inside a stream that has already begun: Anthropic's `event: error` with
//! `overloaded_error` after `message_start`, an OpenAI-compatible `{"error": …}` chunk after an
//! empty role chunk, and a stream that goes silent after its first event. Nothing of the reply
//! had arrived, so the route's fallback answers the same request and the turn is not lost.
//! (The shapes are the providers' documented in-stream errors.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::Event;
use support::model::{FakeModel, Turn, down_503};
use support::session::{provider, start_switching};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS: [(&str, &str); 2] = [("ONE_KEY", "k1"), ("TWO_KEY", "k2")];

/// `one` (of `kind`, at `down`) falls back to `two` (OpenAI-compatible, at `spare`).
fn config(kind: &str, down: &str, spare: &str) -> String {
    format!(
        "[providers.one]\nkind = \"{kind}\"\nbase_url = \"{down}\"\napi_key_env = \"ONE_KEY\"\nmodel = \"m1\"\nmax_retries = 0\nidle_timeout = 2.0\n\
         [providers.two]\nkind = \"openai\"\nbase_url = \"{spare}\"\napi_key_env = \"TWO_KEY\"\nmodel = \"m2\"\nmax_retries = 0\n\
         [review]\nmemory_step = false\n[routing]\nvibe = {{ model = \"one/m1\", fallback = [\"two/m2\"] }}\n"
    )
}

/// A server answering every request with 200 and this event stream.
async fn streaming(body: &'static str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    server
}

/// Sends a prompt on `one` and checks the spare answered it, the fallback recorded with
/// `reason` in it, and no error ended the turn.
async fn falls_back(kind: &str, down: &str, reason: &str) {
    let spare = FakeModel::start(vec![Turn::text("from two")]).await;
    let ws = tempfile::tempdir().unwrap();
    let config = config(kind, down, &spare.url());
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "from two")),
        "{turn:?}"
    );
    let bodies = spare.bodies().await;
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0]["messages"].to_string().contains("hello"));
    let stored = s.stored().await;
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::ModelFellBack { from, to, reason: r }
            if from == "one/m1" && to == "two/m2" && r.contains(reason))),
        "{stored:?}"
    );
    assert!(!stored.iter().any(|e| matches!(e, Event::Error { .. })));
}

#[tokio::test]
async fn anthropic_overloaded_inside_the_stream_falls_back() {
    let down = streaming(
        "event: message_start\n\
         data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m1\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n\
         event: ping\ndata: {\"type\":\"ping\"}\n\n\
         event: error\n\
         data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
    )
    .await;
    falls_back("anthropic", &down.uri(), "overloaded_error").await;
}

#[tokio::test]
async fn an_openai_compatible_error_chunk_after_the_role_chunk_falls_back() {
    let down = streaming(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n\
         data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
    )
    .await;
    falls_back(
        "openai",
        &format!("{}/v1", down.uri()),
        "server had an error",
    )
    .await;
}

#[tokio::test]
async fn an_openrouter_mid_stream_error_with_an_http_code_falls_back() {
    let down = streaming(
        "data: {\"id\":\"gen-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n\
         data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}\n\n",
    )
    .await;
    falls_back(
        "openai",
        &format!("{}/v1", down.uri()),
        "Provider returned error",
    )
    .await;
}

#[tokio::test]
async fn a_responses_api_failure_in_the_stream_falls_back() {
    let down = streaming(
        "event: response.created\n\
         data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[]}}\n\n\
         event: response.in_progress\n\
         data: {\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[]}}\n\n\
         event: response.failed\n\
         data: {\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"The model failed to generate a response.\"}}}\n\n",
    )
    .await;
    falls_back(
        "openai-responses",
        &format!("{}/v1", down.uri()),
        "failed to generate",
    )
    .await;
}

#[tokio::test]
async fn a_refusal_inside_the_stream_is_not_an_outage() {
    let down = streaming(
        "data: {\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}\n\n",
    )
    .await;
    let spare = FakeModel::start(vec![Turn::text("from two")]).await;
    let ws = tempfile::tempdir().unwrap();
    let config = config("openai", &format!("{}/v1", down.uri()), &spare.url());
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter().any(|e| matches!(e, Event::Error { message, .. } if message.contains("maximum context length"))),
        "{turn:?}"
    );
    assert!(spare.bodies().await.is_empty(), "no fallback for a refusal");
}

#[tokio::test]
async fn a_stream_silent_after_its_role_chunk_falls_back() {
    let down = support::stall_server::start(
        vec![
            r#"{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
                .to_string(),
        ],
        std::time::Duration::from_millis(10),
        std::time::Duration::from_secs(30),
    )
    .await;
    falls_back("openai", &format!("{}/v1", down.url), "silent").await;
}

#[tokio::test]
async fn a_fallback_holds_for_the_rest_of_the_turn_and_the_next() {
    let down = down_503().await;
    let spare = FakeModel::start(vec![
        Turn::tool("read_file", serde_json::json!({"path": "a.txt"})),
        Turn::text("read it"),
        Turn::text("second turn"),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("a.txt"), "a\n").unwrap();
    let config = config("openai", &format!("{}/v1", down.uri()), &spare.url());
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    s.turn().await;
    s.submit("again");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "second turn")),
        "{turn:?}"
    );
    assert_eq!(spare.bodies().await.len(), 3);
    assert_eq!(
        down.received_requests().await.unwrap().len(),
        1,
        "the model found down is tried once, not before every request"
    );
}

#[test]
fn exec_says_each_fallback_on_stderr() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let down = rt.block_on(down_503());
    let spare = rt.block_on(FakeModel::start(vec![Turn::text("from two")]));
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"one\"\n{}",
            config("openai", &format!("{}/v1", down.uri()), &spare.url())
        ),
    )
    .unwrap();
    let out = support::command(home.path(), ws.path(), &["exec", "hello"])
        .env("ONE_KEY", "k1")
        .env("TWO_KEY", "k2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("from two"));
    assert!(
        stderr.contains("⚠ one/m1 is down") && stderr.contains("went to two/m2"),
        "{stderr}"
    );
}

/// Anthropic's documented overload inside a stream that had begun.
const OVERLOADED: &str = "event: message_start\n\
     data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m1\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n\
     event: error\n\
     data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

/// A whole Anthropic reply saying `answer`.
const ANSWERED: &str = "event: message_start\n\
     data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m1\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n\
     event: content_block_start\n\
     data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
     event: content_block_delta\n\
     data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"answer\"}}\n\n\
     event: content_block_stop\n\
     data: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
     event: message_delta\n\
     data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\n\n\
     event: message_stop\n\
     data: {\"type\":\"message_stop\"}\n\n";

#[tokio::test]
async fn an_overload_in_the_stream_is_tried_again_when_the_route_has_no_fallback() {
    let server = MockServer::start().await;
    let sse = |body: &'static str| {
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(body)
    };
    Mock::given(method("POST"))
        .respond_with(sse(OVERLOADED))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(ANSWERED))
        .mount(&server)
        .await;
    let ws = tempfile::tempdir().unwrap();
    let config = format!(
        "[providers.one]\nkind = \"anthropic\"\nbase_url = \"{}\"\napi_key_env = \"ONE_KEY\"\n\
         model = \"m1\"\nmax_retries = 2\n[review]\nmemory_step = false\n",
        server.uri()
    );
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "answer")),
        "{turn:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    let stored = s.stored().await;
    let retries: Vec<&String> = stored
        .iter()
        .filter_map(|e| match e {
            Event::Notice { text, .. } if text.contains("trying again") => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{stored:?}");
    assert!(retries[0].contains("overloaded_error") && retries[1].contains("(2 of 2)"));
    assert!(!stored.iter().any(|e| matches!(e, Event::Error { .. })));
}

#[tokio::test]
async fn an_overload_the_retries_do_not_cure_ends_the_turn_saying_so() {
    let server = streaming(OVERLOADED).await;
    let ws = tempfile::tempdir().unwrap();
    let config = format!(
        "[providers.one]\nkind = \"anthropic\"\nbase_url = \"{}\"\napi_key_env = \"ONE_KEY\"\n\
         model = \"m1\"\nmax_retries = 1\n[review]\nmemory_step = false\n",
        server.uri()
    );
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    let turn = s.turn().await;
    assert!(
        turn.iter().any(
            |e| matches!(e, Event::Error { message, .. } if message.contains("overloaded_error"))
        ),
        "{turn:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn after_the_cooldown_one_request_tries_the_model_found_down_again() {
    let down = down_503().await;
    let spare = FakeModel::start(vec![Turn::text("first"), Turn::text("second")]).await;
    let ws = tempfile::tempdir().unwrap();
    // The dead model gets its retries when first found down, and one probe after the
    // cool-down: no retries for it.
    let config = format!(
        "{}cooldown = 1\n",
        config("openai", &format!("{}/v1", down.uri()), &spare.url())
    )
    .replacen("max_retries = 0", "max_retries = 2", 1);
    let p = provider(&config, "one");
    let mut s = start_switching(&p, ws.path(), &config, &KEYS).await;
    s.submit("hello");
    s.turn().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.submit("again");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "second")),
        "{turn:?}"
    );
    assert_eq!(
        down.received_requests().await.unwrap().len(),
        3 + 1,
        "one probe after the cool-down"
    );
}
