//! OpenAI-compatible Chat Completions (`POST {base_url}/chat/completions`, `stream: true`),
//! spoken by OpenAI, DeepSeek, Zhipu GLM, Kimi, OpenRouter, Ollama, vLLM and LM Studio.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::http::Endpoint;
use super::reasoning::{Split, ThinkTags};
use super::streaming::{Call, ParseError, SseParser, stream_sse};
use super::{
    ChatMessage, ChatRequest, Effort, ModelClient, ModelStream, ReasoningPart, ReasoningStyle,
    StreamEvent, TokenUsage,
};
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
        let headers = self.endpoint.bearer_headers();
        let body = request_body(&request);
        stream_sse(
            &self.endpoint,
            "/chat/completions",
            headers,
            body,
            Call::of(&self.endpoint, &request),
            Parser::new(request.think_tags),
        )
    }
}

/// The JSON body of a streaming chat completion.
#[must_use]
pub fn request_body(request: &ChatRequest) -> Value {
    let style = request.reasoning.style;
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    for m in &request.messages {
        messages.push(match &**m {
            ChatMessage::User { text } => json!({"role": "user", "content": text}),
            ChatMessage::Assistant {
                text,
                tool_calls,
                reasoning,
            } => {
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
                let own = reasoning
                    .as_ref()
                    .filter(|r| r.from_source(&request.source));
                pass_back(style, own, !tool_calls.is_empty(), &mut msg);
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
    });
    let limit = if request.reasoning.max_completion_tokens {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[limit] = json!(request.max_output_tokens);
    ask_reasoning(request, &mut body);
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

/// Puts an assistant message's reasoning where its API wants it back. DeepSeek refuses a
/// request whose tool-calling assistant message lacks `reasoning_content`, so such a message
/// gets an empty one when gearshift has none for it (another model wrote it, or it did not
/// think); GLM and Kimi take it where there is one; OpenRouter takes `reasoning_details`
/// unchanged, and so does a model the catalog does not know that sent them (a gateway turned
/// reasoning on). Every other API gets no reasoning field: OpenAI refuses unknown ones.
fn pass_back(
    style: ReasoningStyle,
    reasoning: Option<&super::Reasoning>,
    has_calls: bool,
    msg: &mut Value,
) {
    if style.passes_reasoning_content() {
        match reasoning.filter(|r| !r.text.is_empty()) {
            Some(r) => msg["reasoning_content"] = json!(r.text),
            None if style == ReasoningStyle::Deepseek && has_calls => {
                msg["reasoning_content"] = json!("");
            }
            None => {}
        }
    } else if matches!(style, ReasoningStyle::Openrouter | ReasoningStyle::None)
        && let Some(r) = reasoning
    {
        // Only OpenRouter sends `reasoning_details`: they go back to whoever sent them, asked
        // for or not.
        let details: Vec<Value> = r
            .parts
            .iter()
            .filter_map(|p| match p {
                ReasoningPart::Detail { json } => serde_json::from_str(json).ok(),
                _ => None,
            })
            .collect();
        if !details.is_empty() {
            msg["reasoning_details"] = Value::Array(details);
        }
    }
}

/// OpenAI's and OpenRouter's effort names stop at `high`.
fn openai_effort(effort: Effort) -> &'static str {
    match effort {
        Effort::Max => "high",
        e => e.as_str(),
    }
}

/// The request's reasoning controls, in the form its API documents.
fn ask_reasoning(request: &ChatRequest, body: &mut Value) {
    let Some(effort) = request.reasoning.effort else {
        return;
    };
    let on = effort != Effort::Off;
    match request.reasoning.style {
        ReasoningStyle::Openai if on => body["reasoning_effort"] = json!(openai_effort(effort)),
        ReasoningStyle::Deepseek => {
            body["thinking"] = json!({"type": if on { "enabled" } else { "disabled" }});
            if on {
                // DeepSeek knows high and max; lower efforts map to its lower setting.
                body["reasoning_effort"] = json!(effort.as_str());
            }
        }
        ReasoningStyle::Zhipu | ReasoningStyle::Kimi => {
            body["thinking"] = json!({"type": if on { "enabled" } else { "disabled" }});
        }
        ReasoningStyle::Openrouter => {
            body["reasoning"] = if on {
                json!({"effort": openai_effort(effort)})
            } else {
                json!({"enabled": false})
            };
        }
        _ => {}
    }
}

/// Whether an error chunk says the service is failing rather than refusing the request: a
/// `server_error` or overload `type`/`code` (OpenAI, DeepSeek), or an HTTP-like `code` of 429
/// or 5xx (OpenRouter's mid-stream errors).
fn overloaded(err: &Value) -> bool {
    let words = ["type", "code"]
        .iter()
        .filter_map(|k| err[*k].as_str())
        .any(|w| {
            matches!(
                w,
                "server_error"
                    | "overloaded"
                    | "overloaded_error"
                    | "rate_limit_exceeded"
                    | "service_unavailable"
                    | "internal_error"
            )
        });
    let status = err["code"]
        .as_u64()
        .is_some_and(|c| c == 429 || (500..600).contains(&c));
    words || status
}

/// Parses `data:` chunks of a chat-completions stream.
#[derive(Debug, Default)]
pub struct Parser {
    done: bool,
    finished: bool,
    open_calls: BTreeSet<usize>,
    /// Splits `<think>` blocks off the content, when the provider asks for it.
    think_tags: Option<ThinkTags>,
    /// OpenRouter `reasoning_details`, merged across chunks by their `index`.
    details: Vec<Map<String, Value>>,
    /// Whether a plain reasoning field (`reasoning_content`, `reasoning`) streamed, so the
    /// details' text is not shown twice.
    plain_reasoning: bool,
}

fn finish_reason(s: &str) -> FinishReason {
    match s {
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

impl Parser {
    #[must_use]
    pub fn new(think_tags: bool) -> Parser {
        Parser {
            think_tags: think_tags.then(ThinkTags::default),
            ..Parser::default()
        }
    }

    fn content(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        let split = match &mut self.think_tags {
            Some(tags) => tags.feed(text),
            None => Split {
                reasoning: String::new(),
                text: text.to_string(),
            },
        };
        push_split(split, out);
    }

    /// Folds one chunk's `reasoning_details` in; returns their text to show when no plain
    /// reasoning field carries it.
    fn details(&mut self, items: &[Value]) -> String {
        let mut shown = String::new();
        for (position, item) in items.iter().enumerate() {
            let Some(item) = item.as_object() else {
                continue;
            };
            for key in ["text", "summary"] {
                if let Some(t) = item.get(key).and_then(Value::as_str) {
                    shown.push_str(t);
                }
            }
            let index = item.get("index").and_then(Value::as_u64);
            // Fragments of one detail share its `index`; without one, a fragment continues the
            // last detail of its type.
            let existing = match index {
                Some(_) => self
                    .details
                    .iter_mut()
                    .find(|d| d.get("index").and_then(Value::as_u64) == index),
                None => self
                    .details
                    .last_mut()
                    .filter(|d| d.get("type") == item.get("type") && position == 0),
            };
            match existing {
                Some(d) => merge_detail(d, item),
                None => self.details.push(item.clone()),
            }
        }
        shown
    }

    fn close_details(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.details)
            .into_iter()
            .map(|d| {
                StreamEvent::ReasoningPart(ReasoningPart::Detail {
                    json: Value::Object(d).to_string(),
                })
            })
            .collect()
    }
}

fn push_split(split: Split, out: &mut Vec<StreamEvent>) {
    if !split.reasoning.is_empty() {
        out.push(StreamEvent::ReasoningDelta(split.reasoning));
    }
    if !split.text.is_empty() {
        out.push(StreamEvent::TextDelta(split.text));
    }
}

/// Appends a streamed fragment of a reasoning detail to what arrived before: text-like fields
/// concatenate, the rest (type, format, signature, id) take the newest non-null value.
fn merge_detail(into: &mut Map<String, Value>, piece: &Map<String, Value>) {
    for (key, value) in piece {
        match (key.as_str(), into.get_mut(key), value) {
            ("text" | "summary" | "data", Some(Value::String(old)), Value::String(new)) => {
                old.push_str(new);
            }
            (_, _, Value::Null) => {}
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
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
            return Err(ParseError::Api {
                outage: overloaded(err),
                message,
            });
        }
        if !v.is_object() {
            return Err(ParseError::Malformed(data.to_string()));
        }
        let mut out = Vec::new();
        if let Some(choice) = v["choices"].as_array().and_then(|c| c.first()) {
            let delta = &choice["delta"];
            // DeepSeek, GLM and Kimi say `reasoning_content`; OpenRouter and newer vLLM say
            // `reasoning`. Both never come in one chunk, but a server sending both is not shown
            // the same thought twice.
            let plain = delta["reasoning_content"]
                .as_str()
                .or_else(|| delta["reasoning"].as_str())
                .filter(|t| !t.is_empty());
            if let Some(t) = plain {
                self.plain_reasoning = true;
                out.push(StreamEvent::ReasoningDelta(t.to_string()));
            }
            if let Some(items) = delta["reasoning_details"].as_array() {
                let shown = self.details(items);
                if !self.plain_reasoning && !shown.is_empty() {
                    out.push(StreamEvent::ReasoningDelta(shown));
                }
            }
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                self.content(text, &mut out);
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for (position, call) in calls.iter().enumerate() {
                    let index = call["index"]
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(position);
                    if self.open_calls.insert(index) {
                        // A server that sends no id: one unique in the session, so a result
                        // is never taken for another call's (`call_0` would repeat each turn).
                        let id = call["id"].as_str().map_or_else(
                            || {
                                let tag = uuid::Uuid::new_v4().simple().to_string();
                                format!("call_{}_{index}", &tag[..12])
                            },
                            str::to_string,
                        );
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
                out.extend(self.close_details());
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
                cache_write: u["prompt_tokens_details"]["cache_write_tokens"]
                    .as_u64()
                    .unwrap_or(0),
                reasoning: u["completion_tokens_details"]["reasoning_tokens"]
                    .as_u64()
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
        let mut out = Vec::new();
        if let Some(tags) = &mut self.think_tags {
            push_split(tags.finish(), &mut out);
        }
        out.extend(self.close_details());
        out.extend(self.close_calls());
        out
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
