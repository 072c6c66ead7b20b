//! Anthropic Messages (`POST {base_url}/v1/messages`, `stream: true`).

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::http::{Endpoint, ParseError, SseParser, stream_sse};
use super::{ChatMessage, ChatRequest, ModelClient, ModelStream, StreamEvent, TokenUsage};
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
            request.model,
            self.endpoint.policy.max_event_bytes,
            Parser::default(),
        )
    }
}

/// The JSON body of a streaming Messages request. Consecutive messages of one role are merged
/// into one turn, as the API expects (tool results go in the user turn after the tool use).
#[must_use]
pub fn request_body(request: &ChatRequest) -> Value {
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        let (role, blocks) = match m {
            ChatMessage::User { text } => ("user", vec![json!({"type": "text", "text": text})]),
            ChatMessage::Assistant { text, tool_calls } => {
                let mut blocks = Vec::new();
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
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_output_tokens,
        "messages": messages,
        "stream": true,
    });
    if !request.system.is_empty() {
        body["system"] = json!(request.system);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    body
}

#[derive(Debug, Default)]
pub struct Parser {
    done: bool,
    tool_blocks: BTreeSet<usize>,
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
                }));
            }
            "content_block_start" => {
                let block = &v["content_block"];
                let index = index_of(&v);
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
                    _ => {}
                }
            }
            "content_block_delta" => {
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
                                index: index_of(&v),
                                arguments: j.to_string(),
                            });
                        }
                    }
                    // Thinking and signature deltas are not shown.
                    _ => {}
                }
            }
            "content_block_stop" => {
                let index = index_of(&v);
                if self.tool_blocks.remove(&index) {
                    out.push(StreamEvent::ToolCallEnd { index });
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
                let message = match (e["type"].as_str(), e["message"].as_str()) {
                    (Some(t), Some(m)) => format!("{t}: {m}"),
                    _ => e.to_string(),
                };
                return Err(ParseError::Api(message));
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
