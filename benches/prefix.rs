//! Prefix stability: across a 20-round tool-using session, how much of each request's
//! serialized body is byte-identical to the previous request's, from the start. Providers with
//! automatic prefix caching (OpenAI, DeepSeek, GLM, Kimi) serve that part from cache; anything
//! that changes early in a request (a timestamp, re-ordered tools, re-rendered memory) would
//! make every round a cache miss. Run: `cargo bench --bench prefix`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use gearshift::config::{Config, DEFAULTS_TOML, ProviderKind};
use gearshift::core::{SessionState, turn};
use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::provider::{Reasoning, ReasoningPart, wire_body, wire_string};
use serde_json::Value;

fn provider(name: &str, model: &str) -> gearshift::config::ActiveProvider {
    let mut c: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    c.provider = Some(name.into());
    c.model = Some(model.into());
    let mut p = c.active_provider().unwrap();
    p.reasoning.effort = Some(gearshift::provider::Effort::Low);
    p
}

fn round_events(i: usize, source: &str, anthropic: bool) -> Vec<Event> {
    let text = format!("Reading part {i} of the module to see how the parser handles it.");
    vec![
        Event::Reasoning {
            reasoning: Reasoning {
                text: format!("Round {i}: the next file to read is part {i}; {text}"),
                parts: if anthropic {
                    vec![ReasoningPart::Thinking {
                        thinking: format!("Round {i}: the next file to read is part {i}; {text}"),
                        signature: format!("EqQBCgIYAhIM{i:04}signature"),
                    }]
                } else {
                    vec![]
                },
                source: source.into(),
            },
        },
        Event::AssistantMessage {
            text,
            interrupted: false,
        },
        Event::ToolCall {
            id: format!("call_{i}"),
            name: "read_file".into(),
            arguments: format!("{{\"path\":\"src/part{i}.rs\"}}"),
        },
        Event::ToolResult {
            id: format!("call_{i}"),
            ok: true,
            content: (0..60)
                .map(|l| format!("fn part_{i}_line_{l}() -> usize {{ {l} }}\n"))
                .collect(),
            summary: "60 lines".into(),
            duration_ms: 1,
        },
    ]
}

/// `body` without its `cache_control` markers: Anthropic caches the content up to a marker,
/// not the marker, so a marker moving with the tail is no change to the cached prefix.
fn unmarked(mut body: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.remove("cache_control");
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut body);
    body
}

fn measure(label: &str, kind: ProviderKind, name: &str, model: &str) {
    let p = provider(name, model);
    let anthropic = kind == ProviderKind::Anthropic;
    let mut events = vec![
        Event::SessionOpened {
            meta: SessionMeta {
                id: "s".into(),
                workspace: "/w".into(),
                gear: Gear::Vibe,
                provider: p.name.clone(),
                model: p.model.clone(),
                created_at: 0,
                subagent: None,
            },
        },
        Event::UserMessage {
            text: "Walk through the parser module and explain each part.".into(),
            attachments: vec![],
        },
    ];
    let registry = gearshift::tools::Registry::builtin();
    let memory = "\n\n# Project instructions from AGENTS.md\n\nUse cargo test; keep modules small.";
    let mut previous: Option<String> = None;
    let mut shares = Vec::new();
    for round in 0..20 {
        let state = SessionState::fold(&events);
        let request = turn::build_request(&state, &p, memory, "", &registry);
        let body = wire_string(&unmarked(wire_body(kind, &request)));
        if let Some(prev) = &previous {
            let same = prev
                .bytes()
                .zip(body.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            #[allow(clippy::cast_precision_loss)]
            shares.push(same as f64 / prev.len() as f64);
        }
        previous = Some(body);
        events.extend(round_events(round, &p.source(), anthropic));
    }
    let min = shares.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    println!(
        "{label}: each request's prefix identical to the previous request's: min {:.2} %, mean {:.2} % of its length (19 pairs)",
        min * 100.0,
        mean * 100.0
    );
}

fn main() {
    measure(
        "DeepSeek (reasoning_content passed back)",
        ProviderKind::Openai,
        "deepseek",
        "deepseek-v4-flash",
    );
    measure("OpenAI gpt-4.1", ProviderKind::Openai, "openai", "gpt-4.1");
    measure(
        "Anthropic, thinking on (cache_control markers, which move with the tail, left out)",
        ProviderKind::Anthropic,
        "anthropic",
        "claude-sonnet-4-5",
    );
}
