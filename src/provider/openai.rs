//! OpenAI-compatible Chat Completions (`POST {base_url}/chat/completions`, `stream: true`),
//! spoken by OpenAI, DeepSeek, Zhipu GLM, Kimi, OpenRouter, Ollama, vLLM and LM Studio.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::http::{Endpoint, ParseError, SseParser, stream_sse};
use super::{ChatMessage, ChatRequest, ModelClient, ModelStream, StreamEvent, TokenUsage};
use crate::protocol::FinishReason;

pub struct OpenAiClient {
    endpoint: Arc<Endpoint>,
}

impl OpenAiClient {
    pub fn new(endpoint: Endpoint) -> OpenAiClient {
        OpenAiClient {
            endpoint: Arc::new(endpoint),
        }
    }
}

impl ModelClient for OpenAiClient {
    fn provider(&self) -> &str {
        &self.endpoint.provider
    }

    fn stream(&self, request: ChatRequest) -> ModelStream {
        let mut headers = HeaderMap::new();
        if let Some(key) = self.endpoint.key()
            && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let body = request_body(&request);
        stream_sse(
            &self.endpoint,
            "/chat/completions",
            headers,
            body,
            request.model,
            self.endpoint.policy.max_event_bytes,
            Parser::default(),
        )
    }
}

/// The JSON body of a streaming chat completion.
#[must_use]
pub fn request_body(request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for m in &request.messages {
        messages.push(match m {
            ChatMessage::User { text } => json!({"role": "user", "content": text}),
            ChatMessage::Assistant { text, tool_calls } => {
                let mut msg = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    msg["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments},
                            })
                        })
                        .collect();
                }
                msg
            }
            ChatMessage::ToolResult {
                call_id, content, ..
            } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
        });
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": request.max_output_tokens,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    }
                })
            })
            .collect();
    }
    body
}

/// Parses `data:` chunks of a chat-completions stream.
#[derive(Debug, Default)]
pub struct Parser {
    done: bool,
    finished: bool,
    open_calls: BTreeSet<usize>,
}

fn finish_reason(s: &str) -> FinishReason {
    match s {
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

impl SseParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str) -> Result<Vec<StreamEvent>, ParseError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(self.finish());
        }
        let v: Value =
            serde_json::from_str(data).map_err(|_| ParseError::Malformed(data.to_string()))?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            let message = err["message"]
                .as_str()
                .map_or_else(|| err.to_string(), str::to_string);
            return Err(ParseError::Api(message));
        }
        if !v.is_object() {
            return Err(ParseError::Malformed(data.to_string()));
        }
        let mut out = Vec::new();
        if let Some(choice) = v["choices"].as_array().and_then(|c| c.first()) {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                out.push(StreamEvent::TextDelta(text.to_string()));
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for (position, call) in calls.iter().enumerate() {
                    let index = call["index"]
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(position);
                    if self.open_calls.insert(index) {
                        let id = call["id"]
                            .as_str()
                            .map_or_else(|| format!("call_{index}"), str::to_string);
                        let name = call["function"]["name"].as_str().unwrap_or_default();
                        out.push(StreamEvent::ToolCallStart {
                            index,
                            id,
                            name: name.to_string(),
                        });
                    }
                    if let Some(args) = call["function"]["arguments"]
                        .as_str()
                        .filter(|a| !a.is_empty())
                    {
                        out.push(StreamEvent::ToolCallDelta {
                            index,
                            arguments: args.to_string(),
                        });
                    }
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                out.extend(self.close_calls());
                self.finished = true;
                out.push(StreamEvent::Finish(finish_reason(reason)));
            }
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            out.push(StreamEvent::Usage(TokenUsage {
                input: u["prompt_tokens"].as_u64().unwrap_or(0),
                output: u["completion_tokens"].as_u64().unwrap_or(0),
                cached: u["prompt_tokens_details"]["cached_tokens"]
                    .as_u64()
                    .or_else(|| u["prompt_cache_hit_tokens"].as_u64())
                    .unwrap_or(0),
            }));
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn is_complete(&self) -> bool {
        self.done || self.finished
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        self.close_calls()
    }
}

impl Parser {
    fn close_calls(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.open_calls)
            .into_iter()
            .map(|index| StreamEvent::ToolCallEnd { index })
            .collect()
    }
}
