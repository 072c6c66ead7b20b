//! Parser and pricing tests; the HTTP behaviour is tested against mock servers in
//! `tests/providers.rs`.

use super::streaming::{ParseError, SseParser};
use super::*;
use crate::config::{Config, DEFAULTS_TOML};

#[test]
fn the_demo_script_parses_and_has_a_fallback() {
    let s = Script::parse(DEMO_SCRIPT).unwrap();
    assert!(DEMO_SCRIPT.contains("OPENAI_API_KEY"));
    drop(s);
}

#[test]
fn a_tool_call_a_server_sent_without_an_id_gets_one_unique_in_the_session() {
    let chunk = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"read_file","arguments":""}}]},"finish_reason":null}]}"#;
    let id = || {
        let mut p = openai::Parser::default();
        let events = p.on_event("", chunk).ok().unwrap();
        events
            .into_iter()
            .find_map(|e| match e {
                StreamEvent::ToolCallStart { id, .. } => Some(id),
                _ => None,
            })
            .unwrap()
    };
    let (first, second) = (id(), id());
    assert!(
        first.starts_with("call_") && first.ends_with("_0"),
        "{first}"
    );
    assert_ne!(first, second, "two turns' first calls differ");
}

#[test]
fn openai_error_objects_and_missing_done_marker() {
    let mut p = openai::Parser::default();
    let err = p
        .on_event("", r#"{"error":{"message":"context too long"}}"#)
        .err()
        .unwrap();
    assert!(
        matches!(err, ParseError::Api { message, outage: false } if message == "context too long")
    );

    // Some servers end with finish_reason and no [DONE]: the reply is still complete.
    let mut p = openai::Parser::default();
    p.on_event(
        "",
        r#"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"length"}]}"#,
    )
    .ok()
    .unwrap();
    assert!(!p.is_done() && p.is_complete());
    let mut p = openai::Parser::default();
    p.on_event(
        "",
        r#"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}"#,
    )
    .ok()
    .unwrap();
    assert!(!p.is_complete(), "no finish: truncated");
    assert!(matches!(
        p.on_event("", "[1,2]"),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn anthropic_ignores_pings_and_unknown_events() {
    let mut p = anthropic::Parser::default();
    assert!(
        p.on_event("ping", r#"{"type":"ping"}"#)
            .ok()
            .unwrap()
            .is_empty()
    );
    assert!(
        p.on_event("x", r#"{"type":"future_event","x":1}"#)
            .ok()
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        p.on_event("", "not json"),
        Err(ParseError::Malformed(_))
    ));
    p.on_event("", r#"{"type":"message_stop"}"#).ok().unwrap();
    assert!(p.is_done());
}

#[test]
fn cost_uses_cached_and_output_prices_and_is_none_without_prices() {
    let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    c.provider = Some("anthropic".into());
    let p = c.active_provider().unwrap();
    let usage = TokenUsage {
        input: 3_000_000,
        output: 1_000_000,
        cached: 1_000_000,
        cache_write: 1_000_000,
        reasoning: 0,
    };
    // The catalog's claude-sonnet-4-5: 1M uncached at $3, 1M cache reads at $0.30, 1M cache
    // writes at $3.75, 1M out at $15.
    let cost = cost(&p, usage).unwrap();
    assert!((cost - 22.05).abs() < 1e-9, "{cost}");
    // --model X is priced as X, not as the preset's model.
    c.model = Some("claude-opus-4-1".into());
    let opus = super::cost(&c.active_provider().unwrap(), usage).unwrap();
    assert!((opus - (15.0 + 1.5 + 18.75 + 75.0)).abs() < 1e-9, "{opus}");
    // A local model has no prices.
    c.model = None;
    c.provider = Some("ollama".into());
    assert_eq!(super::cost(&c.active_provider().unwrap(), usage), None);
}

#[test]
fn the_wire_body_ends_with_the_growing_conversation() {
    let body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "t"}], "stream": true});
    let text = wire_string(&body);
    assert!(
        text.ends_with(r#""messages":[{"content":"hi","role":"user"}]}"#),
        "{text}"
    );
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, body);
}

#[test]
fn reasoning_details_go_back_to_a_model_the_catalog_does_not_know() {
    // A gateway turned reasoning on for a model gearshift knows nothing of: what it sent
    // comes back, though nobody asked for it.
    let detail = r#"{"type":"reasoning.encrypted","data":"enc-1","index":0}"#;
    let request = ChatRequest {
        model: "some/unknown-model".into(),
        system: String::new(),
        messages: vec![
            Arc::new(ChatMessage::User { text: "hi".into() }),
            Arc::new(ChatMessage::Assistant {
                text: "hello".into(),
                tool_calls: vec![],
                reasoning: Some(Reasoning {
                    text: String::new(),
                    parts: vec![ReasoningPart::Detail {
                        json: detail.into(),
                    }],
                    source: "gw/some/unknown-model".into(),
                }),
            }),
            Arc::new(ChatMessage::User {
                text: "and?".into(),
            }),
        ],
        tools: vec![],
        max_output_tokens: 1000,
        reasoning: ReasoningRequest::default(),
        source: "gw/some/unknown-model".into(),
        think_tags: false,
        probe: false,
    };
    let body = wire_body(ProviderKind::Openai, &request);
    assert_eq!(
        body["messages"][1]["reasoning_details"][0]["data"], "enc-1",
        "{body}"
    );
    // Not to another model.
    let other = ChatRequest {
        source: "gw/another".into(),
        ..request
    };
    assert!(
        wire_body(ProviderKind::Openai, &other)["messages"][1]
            .get("reasoning_details")
            .is_none()
    );
}
