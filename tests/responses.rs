//! OpenAI's Responses API end to end: the codex models (which Chat Completions refuses) go to
//! `POST /responses` by the catalog, any model when the provider says `kind =
//! "openai-responses"`; a documented event stream with reasoning summaries, an encrypted
//! reasoning item and two parallel function calls runs through a real session and store, and
//! the follow-up request passes the reasoning back whole, also after a resume. Every request
//! passes the Responses invariants (`support::responses`), which answer a broken one with 400.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::Event;
use serde_json::{Value, json};
use support::model::{FakeModel, Turn};
use support::session;

fn fixture() -> Turn {
    Turn::Raw(
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/responses_reasoning_tools.sse",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
}

fn config(kind: &str, url: &str, model: &str) -> String {
    format!(
        "[providers.fake]\nkind = \"{kind}\"\nbase_url = \"{url}\"\napi_key_env = \"FAKE_KEY\"\n\
         model = \"{model}\"\nmax_retries = 0\nreasoning = \"medium\"\n[review]\nmemory_step = false\n"
    )
}

fn items<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == kind)
        .collect()
}

#[tokio::test]
async fn a_codex_model_speaks_the_responses_api_and_gets_its_reasoning_back() {
    let fake = FakeModel::responses(vec![
        fixture(),
        Turn::text("Milk, and call the plumber."),
        Turn::text("Still milk."),
    ])
    .await;
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), "buy milk\n").unwrap();
    std::fs::write(ws.path().join("todo.txt"), "call the plumber\n").unwrap();
    let p = session::provider(&config("openai", &fake.url(), "gpt-5.1-codex"), "fake");
    let mut s = session::start(&p, ws.path()).await;
    s.submit("what do my notes say?");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. }
            if text == "Milk, and call the plumber.")),
        "{turn:?}"
    );
    let requests = fake.requests().await;
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.url.path() == "/v1/responses"));
    let bodies = fake.bodies().await;
    let first = &bodies[0];
    assert_eq!(first["store"], false);
    assert_eq!(first["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(
        first["reasoning"],
        json!({"effort": "medium", "summary": "auto"})
    );
    assert!(first["instructions"].as_str().unwrap().len() > 100);
    assert_eq!(first["parallel_tool_calls"], true);
    assert!(
        first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["type"] == "function")
    );

    // The follow-up: the reasoning item whole, then both calls, then both outputs.
    let second = &bodies[1];
    let reasoning = items(second, "reasoning");
    assert_eq!(reasoning.len(), 1);
    assert_eq!(
        reasoning[0]["encrypted_content"],
        "gAAAAABpEnc-1ZmFrZS1lbmNyeXB0ZWQtcmVhc29uaW5n"
    );
    let calls: Vec<&str> = items(second, "function_call")
        .iter()
        .map(|c| c["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["call_R1xq", "call_R2xq"]);
    let outputs: Vec<String> = items(second, "function_call_output")
        .iter()
        .map(|o| o["output"].as_str().unwrap().to_string())
        .collect();
    assert!(outputs[0].contains("buy milk") && outputs[1].contains("call the plumber"));

    // Shown and stored: the summaries as reasoning, the cached share of the input.
    let stored = s.stored().await;
    assert!(
        stored
            .iter()
            .any(|e| matches!(e, Event::Reasoning { reasoning }
        if reasoning.text.contains("**Reading the notes**\n\nBoth files at once.")))
    );
    assert!(stored.iter().any(|e| matches!(
        e,
        Event::Usage {
            input: 1830,
            cached: 1536,
            reasoning: 160,
            ..
        }
    )));

    // A resumed session sends the reasoning item again.
    let mut s = session::resume(s, &p, ws.path(), "").await;
    s.submit("and now?");
    s.turn().await;
    let bodies = fake.bodies().await;
    assert_eq!(items(&bodies[2], "reasoning").len(), 1);
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn any_model_goes_to_the_responses_api_when_its_provider_says_so() {
    let fake = FakeModel::responses(vec![Turn::text("hello")]).await;
    let ws = tempfile::tempdir().unwrap();
    let p = session::provider(&config("openai-responses", &fake.url(), "gpt-5.1"), "fake");
    let mut s = session::start(&p, ws.path()).await;
    s.submit("hi");
    let turn = s.turn().await;
    assert!(
        turn.iter()
            .any(|e| matches!(e, Event::AssistantMessage { text, .. } if text == "hello"))
    );
    assert_eq!(fake.requests().await[0].url.path(), "/v1/responses");
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn a_codex_model_the_catalog_only_guesses_at_goes_to_the_responses_api_too() {
    let fake = FakeModel::responses(vec![Turn::text("hello")]).await;
    let ws = tempfile::tempdir().unwrap();
    let p = session::provider(&config("openai", &fake.url(), "gpt-5.4-codex"), "fake");
    assert_eq!(p.inferred_from.as_deref(), Some("gpt-5.4"));
    let mut s = session::start(&p, ws.path()).await;
    s.submit("hi");
    s.turn().await;
    assert_eq!(fake.requests().await[0].url.path(), "/v1/responses");
}

#[tokio::test]
async fn a_gateway_serving_a_codex_model_keeps_its_own_api() {
    // OpenRouter's `openai/gpt-5.1-codex` is served by OpenRouter's chat completions.
    let fake = FakeModel::start(vec![Turn::text("hello")]).await;
    let ws = tempfile::tempdir().unwrap();
    let p = session::provider(
        &config("openai", &fake.url(), "openai/gpt-5.1-codex"),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    s.submit("hi");
    s.turn().await;
    assert_eq!(fake.requests().await[0].url.path(), "/v1/chat/completions");
}
