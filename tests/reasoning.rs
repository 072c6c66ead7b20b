//! Reasoning models end to end: replayed streams in each provider's documented shape (reasoning
//! deltas with fragmented tool calls, Anthropic thinking with its signature, redacted thinking,
//! OpenRouter reasoning details, `<think>` tags) through a real session actor and store; the
//! follow-up request after the tool result is checked field by field against the provider's
//! rule, also after a resume. Every request also passes the invariant checker
//! (`support::wire`), which answers a broken one with HTTP 400. Prompt caching: a 20-round tool
//! loop against a fake that bills as Anthropic does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gearshift::protocol::{Event, FinishReason};
use gearshift::provider::ReasoningPart;
use serde_json::{Value, json};
use support::model::{FakeModel, Turn};
use support::session::{self, Session};
use support::wire::Rules;

fn fixture(name: &str) -> Turn {
    Turn::Raw(
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
}

fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.txt"), "buy milk\n").unwrap();
    ws
}

fn config(kind: &str, url: &str, model: &str, extra: &str) -> String {
    format!(
        "[providers.fake]\nkind = \"{kind}\"\nbase_url = \"{url}\"\napi_key_env = \"FAKE_KEY\"\n\
         model = \"{model}\"\nmax_retries = 0\n{extra}"
    )
}

/// Runs one prompt to its end and returns its events.
async fn prompt(s: &mut Session, text: &str) -> Vec<Event> {
    s.submit(text);
    let events = s.turn().await;
    let errors: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    events
}

/// The assistant messages of an OpenAI-format request body.
fn assistants(body: &Value) -> Vec<Value> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "assistant")
        .cloned()
        .collect()
}

#[tokio::test]
async fn deepseek_and_glm_get_reasoning_content_back_on_every_tool_calling_message() {
    for (fixture_name, model, thought) in [
        (
            "deepseek_reasoning_tools.sse",
            "deepseek-v4-flash",
            "The user wants what notes.txt says; read it.",
        ),
        ("glm_reasoning_tools.sse", "glm-4.6", "Need the file first."),
    ] {
        let deepseek = model.starts_with("deepseek");
        let fake = FakeModel::with_rules(
            vec![
                fixture(fixture_name),
                Turn::text("It says buy milk."),
                Turn::text("Still milk."),
                Turn::text("Yes."),
            ],
            Rules {
                deepseek,
                reasoning_fields: true,
                ..Rules::default()
            },
        )
        .await;
        let ws = workspace();
        let extra = "reasoning = \"high\"\n";
        let p = session::provider(&config("openai", &fake.url(), model, extra), "fake");
        let mut s = session::start(&p, ws.path()).await;
        let events = prompt(&mut s, "what is in notes.txt?").await;
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::ReasoningDelta { .. }))
        );

        let bodies = fake.bodies().await;
        assert_eq!(bodies.len(), 2, "{model}");
        // Asked for: the thinking switch (and DeepSeek's effort).
        assert_eq!(bodies[0]["thinking"], json!({"type": "enabled"}), "{model}");
        if deepseek {
            assert_eq!(bodies[0]["reasoning_effort"], "high");
        }
        // Passed back: the whole reasoning, on the message with the assembled call.
        let a = &assistants(&bodies[1])[0];
        assert_eq!(a["reasoning_content"], thought, "{model}");
        assert_eq!(a["tool_calls"][0]["function"]["name"], "read_file");
        let args: Value = serde_json::from_str(
            a["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(args, json!({"path": "notes.txt"}));
        let result = &bodies[1]["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(result["role"], "tool");
        assert!(result["content"].as_str().unwrap().contains("buy milk"));

        // Stored as its own event, out of the answer text; usage with the cache hits.
        let stored = s.stored().await;
        let reasoning = stored
            .iter()
            .find_map(|e| match e {
                Event::Reasoning { reasoning } => Some(reasoning.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(reasoning.text, thought);
        assert_eq!(reasoning.source, format!("fake/{model}"));
        assert!(!stored.iter().any(|e| matches!(
            e, Event::AssistantMessage { text, .. } if text.contains("notes.txt says")
        )));
        assert!(
            stored
                .iter()
                .any(|e| matches!(e, Event::Usage { cached, .. } if *cached > 0))
        );

        // After a resume, the next prompt's request still carries it.
        let mut s = session::resume(s, &p, ws.path(), "").await;
        prompt(&mut s, "and now?").await;
        let bodies = fake.bodies().await;
        assert_eq!(assistants(&bodies[2])[0]["reasoning_content"], thought);

        // Resumed on another model, the old trace is not sent to it; DeepSeek still gets the
        // field its rule requires, empty.
        let other = if deepseek {
            "deepseek-v4-pro"
        } else {
            "glm-4.7"
        };
        let p2 = session::provider(&config("openai", &fake.url(), other, extra), "fake");
        let mut s = session::resume(s, &p2, ws.path(), "").await;
        prompt(&mut s, "once more").await;
        let bodies = fake.bodies().await;
        let a = &assistants(&bodies[3])[0];
        if deepseek {
            assert_eq!(a["reasoning_content"], "");
        } else {
            assert!(a.get("reasoning_content").is_none());
        }
        assert!(fake.broken().is_empty(), "{:?}", fake.broken());
    }
}

#[tokio::test]
async fn anthropic_thinking_goes_back_signed_and_first_in_the_tool_loop() {
    for (fixture_name, first) in [
        (
            "anthropic_thinking_tools.sse",
            json!({"type": "thinking", "thinking": "I should read notes.txt first.",
                   "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}),
        ),
        (
            "anthropic_redacted_tools.sse",
            json!({"type": "redacted_thinking",
                   "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}),
        ),
    ] {
        let fake = FakeModel::anthropic(vec![
            fixture(fixture_name),
            Turn::text("It says buy milk."),
            Turn::text("Still milk."),
        ])
        .await;
        let ws = workspace();
        let url = fake.server.uri();
        let p = session::provider(
            &config(
                "anthropic",
                &url,
                "claude-sonnet-4-5",
                "reasoning = \"low\"\n",
            ),
            "fake",
        );
        let mut s = session::start(&p, ws.path()).await;
        prompt(&mut s, "what is in notes.txt?").await;
        let bodies = fake.bodies().await;
        assert_eq!(bodies.len(), 2);
        // Asked for: thinking with the effort's budget, below max_tokens (the catalog's 64,000).
        assert_eq!(
            bodies[0]["thinking"],
            json!({"type": "enabled", "budget_tokens": 4096})
        );
        assert_eq!(bodies[0]["max_tokens"], 64000);
        // Passed back: the block exactly as it came, before the text and the tool use.
        let turn = &bodies[1]["messages"][1];
        assert_eq!(turn["role"], "assistant");
        assert_eq!(turn["content"][0], first, "{fixture_name}");
        let kinds: Vec<&str> = turn["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(*kinds.last().unwrap(), "tool_use");
        assert_eq!(
            turn["content"].as_array().unwrap().last().unwrap()["input"],
            json!({"path": "notes.txt"})
        );
        assert_eq!(
            bodies[1]["messages"][2]["content"][0]["type"],
            "tool_result"
        );

        // The parts are stored, and a resumed session sends them again.
        let stored = s.stored().await;
        let parts = stored
            .iter()
            .find_map(|e| match e {
                Event::Reasoning { reasoning } => Some(reasoning.parts.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(parts.len(), 1);
        assert!(matches!(
            parts[0],
            ReasoningPart::Thinking { .. } | ReasoningPart::Redacted { .. }
        ));
        let mut s = session::resume(s, &p, ws.path(), "").await;
        prompt(&mut s, "and now?").await;
        let bodies = fake.bodies().await;
        assert_eq!(bodies[2]["messages"][1]["content"][0], first);
        assert!(fake.broken().is_empty(), "{:?}", fake.broken());
    }
}

#[tokio::test]
async fn a_tool_loop_begun_without_thinking_finishes_without_it() {
    // Thinking switched on while a loop is open (or a loop another model began): the API
    // refuses a continuing assistant turn that does not open with thinking, so gearshift asks
    // without thinking until the loop ends.
    let fake = FakeModel::anthropic(vec![
        Turn::tool("read_file", json!({"path": "notes.txt"})),
        Turn::text("It says buy milk."),
    ])
    .await;
    let ws = workspace();
    let url = fake.server.uri();
    let p = session::provider(
        &config(
            "anthropic",
            &url,
            "claude-sonnet-4-5",
            "reasoning = \"high\"\n",
        ),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    prompt(&mut s, "read notes").await;
    let bodies = fake.bodies().await;
    assert_eq!(bodies[0]["thinking"]["budget_tokens"], 32768);
    assert!(bodies[1].get("thinking").is_none(), "{}", bodies[1]);
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn openrouter_reasoning_details_go_back_whole_and_merged() {
    let fake = FakeModel::with_rules(
        vec![
            fixture("openrouter_reasoning_tools.sse"),
            Turn::text("It says buy milk."),
        ],
        Rules {
            reasoning_fields: true,
            ..Rules::default()
        },
    )
    .await;
    let ws = workspace();
    let p = session::provider(
        &config(
            "openai",
            &fake.url(),
            "anthropic/claude-sonnet-4.5",
            "reasoning_style = \"openrouter\"\nreasoning = \"medium\"\n",
        ),
        "fake",
    );
    // The gateway name finds the catalog's figures.
    assert_eq!(p.context_window, 200_000);
    let mut s = session::start(&p, ws.path()).await;
    let events = prompt(&mut s, "what is in notes.txt?").await;
    // Shown once, though it came both as `reasoning` and in the details.
    let shown: String = events
        .iter()
        .filter_map(|e| match e {
            Event::ReasoningDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(shown, "Look at the notes.");
    let bodies = fake.bodies().await;
    assert_eq!(bodies[0]["reasoning"], json!({"effort": "medium"}));
    let a = &assistants(&bodies[1])[0];
    assert_eq!(
        a["reasoning_details"],
        json!([{"type": "reasoning.text", "text": "Look at the notes.",
                "signature": "ErcBCkgIBxABGAIiQL2", "format": "anthropic-claude-v1", "index": 0}])
    );
    assert_eq!(a["content"], "Reading it.");
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn think_tags_become_reasoning_and_never_reach_the_answer_or_the_next_request() {
    let fake = FakeModel::start(vec![fixture("think_tags.sse"), Turn::text("Bye.")]).await;
    let ws = workspace();
    let p = session::provider(
        &config(
            "openai",
            &fake.url(),
            "deepseek-r1-distill",
            "think_tags = true\n",
        ),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    let events = prompt(&mut s, "hi").await;
    assert!(!events.iter().any(|e| matches!(
        e, Event::AssistantDelta { text } if text.contains("think") || text.contains("plan")
    )));
    let stored = s.stored().await;
    assert!(stored.iter().any(|e| matches!(
        e, Event::Reasoning { reasoning } if reasoning.text == "\nplan: say hi"
    )));
    assert!(stored.iter().any(|e| matches!(
        e, Event::AssistantMessage { text, .. } if text == "Hello there."
    )));
    prompt(&mut s, "bye").await;
    let bodies = fake.bodies().await;
    let raw = bodies[1].to_string();
    assert!(
        !raw.contains("think") && !raw.contains("plan: say hi"),
        "{raw}"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn openai_reasoning_models_get_max_completion_tokens_and_their_effort() {
    let fake = FakeModel::start(vec![Turn::text("ok")]).await;
    let ws = workspace();
    let p = session::provider(
        &config("openai", &fake.url(), "gpt-5-mini", "reasoning = \"low\"\n"),
        "fake",
    );
    assert_eq!(
        p.context_window, 400_000,
        "the catalog's window for --model"
    );
    let mut s = session::start(&p, ws.path()).await;
    prompt(&mut s, "hi").await;
    let body = &fake.bodies().await[0];
    assert_eq!(body["max_completion_tokens"], 128_000);
    assert!(body.get("max_tokens").is_none());
    assert_eq!(body["reasoning_effort"], "low");
    assert!(body.get("thinking").is_none());
}

#[tokio::test]
async fn an_unknown_model_is_named_once_with_the_figures_used() {
    let fake = FakeModel::start(vec![Turn::text("ok")]).await;
    let ws = workspace();
    let p = session::provider(
        &config(
            "openai",
            &fake.url(),
            "my-finetune-7b",
            "context_window = 16384\n",
        ),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    let events = s
        .until(|e| matches!(e, Event::Notice { .. } | Event::ContextAccounted { .. }))
        .await;
    let notice = events
        .iter()
        .find_map(|e| match e {
            Event::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .expect("a notice before the first accounting");
    assert!(
        notice.contains("`my-finetune-7b` is not in gearshift's catalog"),
        "{notice}"
    );
    assert!(notice.contains("context window 16384"), "{notice}");
    let later = prompt(&mut s, "hi").await;
    assert!(!later.iter().any(|e| matches!(e, Event::Notice { .. })));
}

#[tokio::test]
async fn a_long_anthropic_tool_loop_is_read_from_the_cache() {
    let mut turns: Vec<Turn> = (0..19)
        .map(|i| Turn::tool("read_file", json!({"path": "notes.txt", "offset": i})))
        .collect();
    turns.push(Turn::text("done"));
    let fake = FakeModel::anthropic(turns).await;
    let ws = workspace();
    let url = fake.server.uri();
    let p = session::provider(&config("anthropic", &url, "claude-sonnet-4-5", ""), "fake");
    let mut s = session::start(&p, ws.path()).await;
    let events = prompt(&mut s, "read notes twenty times").await;
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TurnFinished {
            reason: FinishReason::Stop
        }
    )));
    let usage: Vec<(u64, u64, u64)> = s
        .stored()
        .await
        .iter()
        .filter_map(|e| match e {
            Event::Usage {
                input,
                cached,
                cache_write,
                ..
            } => Some((*input, *cached, *cache_write)),
            _ => None,
        })
        .collect();
    assert_eq!(usage.len(), 20);
    let later = &usage[2..];
    let input: u64 = later.iter().map(|u| u.0).sum();
    let read: u64 = later.iter().map(|u| u.1).sum();
    #[allow(clippy::cast_precision_loss)]
    let share = read as f64 / input as f64;
    assert!(
        share >= 0.9,
        "cache reads are {share:.3} of input: {usage:?}"
    );
    // Round 1 writes the prefix; nothing is read yet.
    assert_eq!(usage[0].1, 0);
    assert!(usage[0].2 > 0);
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn thinking_a_gateway_turned_on_goes_back_though_it_was_not_asked_for() {
    // No reasoning asked for; the gateway enables thinking anyway, so the reply opens with a
    // signed thinking block, and the API refuses the follow-up whose assistant turn lacks it.
    let fake = FakeModel::anthropic_with_rules(
        vec![
            fixture("anthropic_thinking_tools.sse"),
            Turn::text("It says buy milk."),
        ],
        Rules {
            gateway_thinking: true,
            ..Rules::default()
        },
    )
    .await;
    let ws = workspace();
    let p = session::provider(
        &config("anthropic", &fake.server.uri(), "claude-sonnet-4-5", ""),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    prompt(&mut s, "what is in notes.txt?").await;
    let bodies = fake.bodies().await;
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].get("thinking").is_none(), "not asked for");
    let turn = &bodies[1]["messages"][1];
    assert_eq!(turn["content"][0]["type"], "thinking", "{turn}");
    assert_eq!(
        turn["content"][0]["signature"],
        "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
    );
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}

#[tokio::test]
async fn opus_4_7_is_asked_for_adaptive_thinking_with_an_effort_never_a_budget() {
    let fake = FakeModel::anthropic(vec![
        fixture("anthropic_thinking_tools.sse"),
        Turn::text("It says buy milk."),
    ])
    .await;
    let ws = workspace();
    let p = session::provider(
        &config(
            "anthropic",
            &fake.server.uri(),
            "claude-opus-4-7",
            "reasoning = \"medium\"\n",
        ),
        "fake",
    );
    let mut s = session::start(&p, ws.path()).await;
    prompt(&mut s, "what is in notes.txt?").await;
    let bodies = fake.bodies().await;
    for body in &bodies {
        assert_eq!(body["thinking"], json!({"type": "adaptive"}), "{body}");
        assert_eq!(body["output_config"], json!({"effort": "medium"}));
    }
    // The tool loop goes on with thinking on, its signed block first.
    assert_eq!(bodies[1]["messages"][1]["content"][0]["type"], "thinking");
    assert!(fake.broken().is_empty(), "{:?}", fake.broken());
}
