//! The request-invariant checker: what every provider requires of a request, checked on every
//! request a fake server receives (`FakeModel` answers a broken one with HTTP 400 naming the
//! rule, and `Valid` refuses to match it), so no test can pass while gearshift sends something a
//! real provider would reject.
//!
//! - every tool call has a result, and every result answers a call of the turn before it;
//! - roles follow the wire format (Anthropic: user first, strictly alternating);
//! - reasoning goes back where the provider requires it (DeepSeek: `reasoning_content` on
//!   every assistant message with tool calls; Anthropic with thinking on: a continuing tool
//!   loop's assistant turn starts with its signed thinking) and nowhere else (OpenAI refuses
//!   unknown fields);
//! - `cache_control` on at most 4 blocks, never on thinking or empty text;
//! - Anthropic's thinking budget is at least 1,024 and below `max_tokens`.

use serde_json::Value;
use wiremock::{Match, Request};

/// What the provider behind a fake requires beyond its wire format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// DeepSeek's thinking mode: tool-calling assistant messages carry `reasoning_content`.
    pub deepseek: bool,
    /// The API accepts reasoning fields in messages (DeepSeek, GLM, Kimi, OpenRouter).
    pub reasoning_fields: bool,
    /// A gateway in front of Anthropic turns thinking on for every request, whatever the
    /// request says: a continuing tool loop must then open with its thinking all the same.
    pub gateway_thinking: bool,
}

/// The wire formats gearshift speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI-compatible Chat Completions.
    Chat,
    Anthropic,
    /// OpenAI's Responses API.
    Responses,
}

/// Which wire format a request speaks, by its path.
#[must_use]
pub fn format_of(request: &Request) -> Format {
    let path = request.url.path();
    if path.ends_with("/messages") {
        Format::Anthropic
    } else if path.ends_with("/responses") {
        Format::Responses
    } else {
        Format::Chat
    }
}

/// Every rule `body` breaks.
#[must_use]
pub fn violations(format: Format, body: &Value, rules: Rules) -> Vec<String> {
    match format {
        Format::Anthropic => anthropic_violations(body, rules),
        Format::Chat => openai_violations(body, rules),
        Format::Responses => super::responses::violations(body),
    }
}

fn openai_violations(body: &Value, rules: Rules) -> Vec<String> {
    let mut out = Vec::new();
    let Some(messages) = body["messages"].as_array() else {
        return vec!["no messages array".into()];
    };
    let mut open: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        if role != "tool" && !open.is_empty() {
            out.push(format!(
                "message {i} ({role}) comes before results for {open:?}"
            ));
            open.clear();
        }
        match role {
            "system" if i == 0 => {}
            "user" => {}
            "assistant" => {
                let calls = m["tool_calls"].as_array().cloned().unwrap_or_default();
                for c in &calls {
                    let args = c["function"]["arguments"].as_str().unwrap_or("");
                    if serde_json::from_str::<Value>(args).is_err() {
                        out.push(format!(
                            "message {i}: tool call arguments are not JSON: {args}"
                        ));
                    }
                    open.push(c["id"].as_str().unwrap_or("").to_string());
                }
                let has_reasoning = ["reasoning_content", "reasoning", "reasoning_details"]
                    .iter()
                    .any(|k| m.get(*k).is_some());
                if has_reasoning && !rules.reasoning_fields {
                    out.push(format!(
                        "message {i}: a reasoning field this API does not accept"
                    ));
                }
                if rules.deepseek && !calls.is_empty() && !m["reasoning_content"].is_string() {
                    out.push(format!(
                        "message {i}: DeepSeek requires reasoning_content on an assistant \
                         message with tool calls"
                    ));
                }
            }
            "tool" => {
                let id = m["tool_call_id"].as_str().unwrap_or("");
                match open.iter().position(|o| o == id) {
                    Some(p) => {
                        open.remove(p);
                    }
                    None => out.push(format!("message {i}: a result for unknown call {id}")),
                }
            }
            other => out.push(format!("message {i}: role {other:?} not allowed here")),
        }
    }
    if !open.is_empty() {
        out.push(format!("tool calls without results: {open:?}"));
    }
    out
}

fn anthropic_violations(body: &Value, rules: Rules) -> Vec<String> {
    let mut out = Vec::new();
    let Some(messages) = body["messages"].as_array() else {
        return vec!["no messages array".into()];
    };
    let mut marks = 0;
    let mut count_marks = |blocks: &[Value], out: &mut Vec<String>, at: &str| {
        for b in blocks {
            if b.get("cache_control").is_some() {
                marks += 1;
                let t = b["type"].as_str().unwrap_or("");
                if t == "thinking" || t == "redacted_thinking" {
                    out.push(format!("{at}: cache_control on a {t} block"));
                }
                if t == "text" && b["text"].as_str().is_some_and(str::is_empty) {
                    out.push(format!("{at}: cache_control on an empty text block"));
                }
            }
        }
    };
    if let Some(tools) = body["tools"].as_array() {
        count_marks(tools, &mut out, "tools");
    }
    if let Some(system) = body["system"].as_array() {
        count_marks(system, &mut out, "system");
    }
    let mut expected = "user";
    let mut pending: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        if role != expected {
            out.push(format!("message {i}: {role} where {expected} must come"));
        }
        expected = if role == "user" { "assistant" } else { "user" };
        let Some(blocks) = m["content"].as_array() else {
            out.push(format!("message {i}: content is not an array of blocks"));
            continue;
        };
        if blocks.is_empty() {
            out.push(format!("message {i}: empty content"));
        }
        count_marks(blocks, &mut out, &format!("message {i}"));
        let results: Vec<&str> = blocks
            .iter()
            .filter(|b| b["type"] == "tool_result")
            .filter_map(|b| b["tool_use_id"].as_str())
            .collect();
        for id in &pending {
            if !results.contains(&id.as_str()) {
                out.push(format!("message {i}: no tool_result for {id}"));
            }
        }
        for id in &results {
            if !pending.iter().any(|p| p == id) {
                out.push(format!("message {i}: tool_result for unknown {id}"));
            }
        }
        pending = blocks
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .filter_map(|b| b["id"].as_str().map(str::to_string))
            .collect();
        for b in blocks {
            if b["type"] == "thinking" && b["signature"].as_str().is_none_or(str::is_empty) {
                out.push(format!(
                    "message {i}: a thinking block without its signature"
                ));
            }
        }
    }
    if !pending.is_empty() {
        out.push(format!("tool uses without results: {pending:?}"));
    }
    if marks > 4 {
        out.push(format!("{marks} cache_control breakpoints (at most 4)"));
    }
    if body["thinking"]["type"] == "adaptive" {
        if body["thinking"].get("budget_tokens").is_some() {
            out.push("adaptive thinking takes no budget_tokens".into());
        }
        let effort = body["output_config"]["effort"].as_str();
        if !matches!(
            effort,
            None | Some("low" | "medium" | "high" | "xhigh" | "max")
        ) {
            out.push(format!("output_config.effort {effort:?} is not an effort"));
        }
    }
    if body["thinking"]["type"] == "enabled" || rules.gateway_thinking {
        let budget = body["thinking"]["budget_tokens"].as_u64().unwrap_or(0);
        let max = body["max_tokens"].as_u64().unwrap_or(0);
        if body["thinking"]["type"] == "enabled" && (budget < 1024 || budget >= max) {
            out.push(format!(
                "thinking budget {budget} must be ≥ 1024 and below max_tokens {max}"
            ));
        }
        // A tool loop in progress: the last assistant turn must open with its thinking.
        let continuing = messages.last().is_some_and(|m| {
            m["content"]
                .as_array()
                .is_some_and(|b| b.iter().any(|b| b["type"] == "tool_result"))
        });
        if continuing && let Some(last) = messages.iter().rev().find(|m| m["role"] == "assistant") {
            let first = last["content"][0]["type"].as_str().unwrap_or("");
            if first != "thinking" && first != "redacted_thinking" {
                out.push(format!(
                    "thinking is on and the tool loop's assistant turn starts with {first}, \
                     not its thinking"
                ));
            }
        }
    }
    out
}

/// A wiremock matcher that accepts only requests keeping every invariant; what it refuses is
/// printed with the rules broken, and the test then fails on the unmatched request.
pub struct Valid(pub Rules);

impl Match for Valid {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            eprintln!("request invariant: the body is not JSON");
            return false;
        };
        let broken = violations(format_of(request), &body, self.0);
        if !broken.is_empty() {
            eprintln!("request invariants broken: {broken:#?}");
        }
        broken.is_empty()
    }
}

/// [`Valid`] with no provider-specific rules.
#[must_use]
pub fn valid() -> Valid {
    Valid(Rules::default())
}
