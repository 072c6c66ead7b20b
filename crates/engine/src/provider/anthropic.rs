//! Anthropic Messages (`POST {base_url}/v1/messages`, `stream: true`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::http::Endpoint;
use super::streaming::{Call, ParseError, SseParser, stream_sse};
use super::{
    ChatMessage, ChatRequest, Effort, ModelClient, ModelStream, Reasoning, ReasoningPart,
    ReasoningStyle, StreamEvent, TokenUsage,
};
use crate::protocol::FinishReason;

/// The API version gearshift speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct AnthropicClient {
    endpoint: Arc<Endpoint>,
}

impl AnthropicClient {
    pub fn new(endpoint: Endpoint) -> AnthropicClient {
        AnthropicClient {
            endpoint: Arc::new(endpoint),
        }
    }
}

impl ModelClient for AnthropicClient {
    fn provider(&self) -> &str {
        &self.endpoint.provider
    }

    fn stream(&self, request: ChatRequest) -> ModelStream {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = self.endpoint.key()
            && let Ok(mut value) = HeaderValue::from_str(key)
        {
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-api-key"), value);
        }
        let body = request_body(&request);
        stream_sse(
            &self.endpoint,
            "/v1/messages",
            headers,
            body,
            Call::of(&self.endpoint, &request),
            Parser::default(),
        )
    }
}

/// Thinking budgets below this are refused by the API.
const MIN_THINKING_BUDGET: u32 = 1024;
/// What a thinking budget leaves the answer, at least, within `max_tokens`.
const ANSWER_RESERVE: u32 = 4096;

/// The thinking budget of this request, if thinking is on. The API requires the budget below
/// `max_tokens`, and, while a tool loop continues, the last assistant turn to begin with its
/// thinking: a loop begun without thinking (or by another model) finishes without it.
#[must_use]
pub fn thinking_budget(request: &ChatRequest) -> Option<u32> {
    let r = &request.reasoning;
    if r.style == ReasoningStyle::AnthropicAdaptive {
        return None;
    }
    let wanted = r
        .budget
        .or_else(|| r.effort.and_then(Effort::anthropic_budget))?;
    if r.effort == Some(Effort::Off) {
        return None;
    }
    let room = request.max_output_tokens.saturating_sub(ANSWER_RESERVE);
    let budget = wanted.min(room.max(request.max_output_tokens / 2));
    if budget < MIN_THINKING_BUDGET || budget >= request.max_output_tokens {
        return None;
    }
    if matches!(
        request.messages.last().map(|m| &**m),
        Some(ChatMessage::ToolResult { .. })
    ) {
        let last = request
            .messages
            .iter()
            .rev()
            .find_map(|m| match &**m {
                ChatMessage::Assistant { reasoning, .. } => Some(reasoning),
                _ => None,
            })
            .and_then(Option::as_ref)
            .filter(|r| r.from_source(&request.source));
        let signed = last.is_some_and(|r| {
            r.parts.iter().any(|p| {
                matches!(
                    p,
                    ReasoningPart::Thinking { .. } | ReasoningPart::Redacted { .. }
                )
            })
        });
        if !signed {
            return None;
        }
    }
    Some(budget)
}

/// The effort of an adaptive-thinking request (`low`, `medium`, `high`, `max`), if thinking
/// is asked for. Adaptive thinking has no budget: the model decides how much to think, and
/// may not think at all, so a tool loop needs no thinking block to go on.
#[must_use]
pub fn adaptive_effort(request: &ChatRequest) -> Option<&'static str> {
    let r = &request.reasoning;
    if r.style != ReasoningStyle::AnthropicAdaptive {
        return None;
    }
    match r.effort? {
        Effort::Off => None,
        Effort::Minimal | Effort::Low => Some("low"),
        Effort::Medium => Some("medium"),
        Effort::High => Some("high"),
        Effort::Max => Some("max"),
    }
}

/// An assistant turn's thinking blocks, as they came.
fn thinking_blocks(reasoning: &Reasoning) -> impl Iterator<Item = Value> + '_ {
    reasoning.parts.iter().filter_map(|p| match p {
        ReasoningPart::Thinking {
            thinking,
            signature,
        } => Some(json!({"type": "thinking", "thinking": thinking, "signature": signature})),
        ReasoningPart::Redacted { data } => {
            Some(json!({"type": "redacted_thinking", "data": data}))
        }
        ReasoningPart::Detail { .. } | ReasoningPart::Item { .. } => None,
    })
}

/// The JSON body of a streaming Messages request. Consecutive messages of one role are merged
/// into one turn, as the API expects (tool results go in the user turn after the tool use).
///
/// Prompt caching: the API caches only up to blocks marked `cache_control`, so the tools, the
/// system prompt, the previous request's last turn and this request's last turn are marked.
/// A tool loop then reads everything but the newest round from the cache.
#[must_use]
pub fn request_body(request: &ChatRequest) -> Value {
    let budget = thinking_budget(request);
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        let (role, blocks) = match &**m {
            ChatMessage::User { text } => ("user", vec![json!({"type": "text", "text": text})]),
            ChatMessage::Assistant {
                text,
                tool_calls,
                reasoning,
            } => {
                let mut blocks = Vec::new();
                // Signed thinking goes back to the model that wrote it, asked for or not: a
                // gateway may have turned thinking on, and then a tool loop's next request is
                // refused without it.
                if let Some(r) = reasoning
                    .as_ref()
                    .filter(|r| r.from_source(&request.source))
                {
                    blocks.extend(thinking_blocks(r));
                }
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for c in tool_calls {
                    let input: Value =
                        serde_json::from_str(&c.arguments).unwrap_or_else(|_| json!({}));
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                ("assistant", blocks)
            }
            ChatMessage::ToolResult {
                call_id,
                content,
                is_error,
            } => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": content,
                    "is_error": is_error,
                })],
            ),
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    // The conversation's breakpoints: this request's last user turn and the one before it
    // (where the previous request of a tool loop ended).
    let user_turns: Vec<usize> = turns
        .iter()
        .enumerate()
        .filter(|(_, (role, _))| *role == "user")
        .map(|(i, _)| i)
        .rev()
        .take(2)
        .collect();
    for i in user_turns {
        if let Some(block) = turns[i].1.last_mut().filter(|b| cacheable(b)) {
            block["cache_control"] = json!({"type": "ephemeral"});
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let max_tokens = request.max_output_tokens;
    let mut body = json!({
        "model": request.model,
        "max_tokens": max_tokens,
        "messages": messages,
        "stream": true,
    });
    if let Some(budget) = budget {
        body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
    } else if let Some(effort) = adaptive_effort(request) {
        body["thinking"] = json!({"type": "adaptive"});
        body["output_config"] = json!({"effort": effort});
    }
    if !request.system.is_empty() {
        body["system"] = json!([{
            "type": "text",
            "text": request.system,
            "cache_control": {"type": "ephemeral"},
        }]);
    }
    if !request.tools.is_empty() {
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        if let Some(last) = tools.last_mut() {
            last["cache_control"] = json!({"type": "ephemeral"});
        }
        body["tools"] = Value::Array(tools);
    }
    body
}

/// Whether a block may carry `cache_control` (not an empty text block).
fn cacheable(block: &Value) -> bool {
    block["type"] != "text" || block["text"].as_str().is_some_and(|t| !t.is_empty())
}

#[derive(Debug, Default)]
pub struct Parser {
    done: bool,
    tool_blocks: BTreeSet<usize>,
    /// Thinking blocks streaming, by index: their text and signature.
    thinking: BTreeMap<usize, (String, String)>,
    /// Redacted thinking blocks, by index: their encrypted data.
    redacted: BTreeMap<usize, String>,
}

fn stop_reason(s: &str) -> FinishReason {
    match s {
        "max_tokens" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

fn index_of(v: &Value) -> usize {
    v["index"]
        .as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

impl Parser {
    /// A content block opens: a tool call, text, thinking or redacted thinking.
    fn block_start(&mut self, v: &Value, out: &mut Vec<StreamEvent>) {
        let block = &v["content_block"];
        let index = index_of(v);
        match block["type"].as_str() {
            Some("tool_use") => {
                self.tool_blocks.insert(index);
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: block["id"].as_str().unwrap_or_default().to_string(),
                    name: block["name"].as_str().unwrap_or_default().to_string(),
                });
            }
            Some("text") => {
                if let Some(t) = block["text"].as_str().filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::TextDelta(t.to_string()));
                }
            }
            Some("thinking") => {
                let text = block["thinking"].as_str().unwrap_or_default().to_string();
                if !text.is_empty() {
                    out.push(StreamEvent::ReasoningDelta(text.clone()));
                }
                let signature = block["signature"].as_str().unwrap_or_default();
                self.thinking.insert(index, (text, signature.to_string()));
            }
            Some("redacted_thinking") => {
                let data = block["data"].as_str().unwrap_or_default();
                self.redacted.insert(index, data.to_string());
            }
            _ => {}
        }
    }

    /// A content block grows: text, a tool call's arguments, thinking or its signature.
    fn block_delta(&mut self, v: &Value, out: &mut Vec<StreamEvent>) {
        let delta = &v["delta"];
        match delta["type"].as_str() {
            Some("text_delta") => {
                if let Some(t) = delta["text"].as_str().filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::TextDelta(t.to_string()));
                }
            }
            Some("input_json_delta") => {
                if let Some(j) = delta["partial_json"].as_str().filter(|j| !j.is_empty()) {
                    out.push(StreamEvent::ToolCallDelta {
                        index: index_of(v),
                        arguments: j.to_string(),
                    });
                }
            }
            Some("thinking_delta") => {
                let t = delta["thinking"].as_str().unwrap_or_default();
                if let Some((text, _)) = self.thinking.get_mut(&index_of(v)) {
                    text.push_str(t);
                }
                if !t.is_empty() {
                    out.push(StreamEvent::ReasoningDelta(t.to_string()));
                }
            }
            Some("signature_delta") => {
                if let Some((_, signature)) = self.thinking.get_mut(&index_of(v)) {
                    signature.push_str(delta["signature"].as_str().unwrap_or_default());
                }
            }
            _ => {}
        }
    }
}

impl SseParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str) -> Result<Vec<StreamEvent>, ParseError> {
        let v: Value = serde_json::from_str(data.trim())
            .map_err(|_| ParseError::Malformed(data.to_string()))?;
        let kind = v["type"]
            .as_str()
            .ok_or_else(|| ParseError::Malformed(data.to_string()))?;
        let mut out = Vec::new();
        match kind {
            "message_start" => {
                let u = &v["message"]["usage"];
                let cached = u["cache_read_input_tokens"].as_u64().unwrap_or(0);
                let created = u["cache_creation_input_tokens"].as_u64().unwrap_or(0);
                out.push(StreamEvent::Usage(TokenUsage {
                    input: u["input_tokens"].as_u64().unwrap_or(0) + cached + created,
                    output: u["output_tokens"].as_u64().unwrap_or(0),
                    cached,
                    cache_write: created,
                    reasoning: 0,
                }));
            }
            "content_block_start" => self.block_start(&v, &mut out),
            "content_block_delta" => self.block_delta(&v, &mut out),
            "content_block_stop" => {
                let index = index_of(&v);
                if self.tool_blocks.remove(&index) {
                    out.push(StreamEvent::ToolCallEnd { index });
                }
                if let Some((thinking, signature)) = self.thinking.remove(&index) {
                    out.push(StreamEvent::ReasoningPart(ReasoningPart::Thinking {
                        thinking,
                        signature,
                    }));
                }
                if let Some(data) = self.redacted.remove(&index) {
                    out.push(StreamEvent::ReasoningPart(ReasoningPart::Redacted { data }));
                }
            }
            "message_delta" => {
                if let Some(output) = v["usage"]["output_tokens"].as_u64() {
                    out.push(StreamEvent::Usage(TokenUsage {
                        output,
                        ..TokenUsage::default()
                    }));
                }
                if let Some(reason) = v["delta"]["stop_reason"].as_str() {
                    out.push(StreamEvent::Finish(stop_reason(reason)));
                }
            }
            "message_stop" => {
                self.done = true;
                out.extend(self.finish());
            }
            "error" => {
                let e = &v["error"];
                let kind = e["type"].as_str().unwrap_or_default();
                let message = match e["message"].as_str() {
                    Some(m) if !kind.is_empty() => format!("{kind}: {m}"),
                    _ => e.to_string(),
                };
                // Anthropic's documented error types: overloaded (529), api_error (500) and
                // rate_limit_error (429) are the service failing, not the request.
                let outage = matches!(kind, "overloaded_error" | "api_error" | "rate_limit_error");
                return Err(ParseError::Api { message, outage });
            }
            // `ping` and event types added later are ignored, as the API asks.
            _ => {}
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.tool_blocks)
            .into_iter()
            .map(|index| StreamEvent::ToolCallEnd { index })
            .collect()
    }
}
