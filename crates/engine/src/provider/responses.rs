//! OpenAI's Responses API (`POST /responses`, streamed): the only API of the codex models, and
//! the one where reasoning carries across turns. The conversation goes as `input` items
//! (messages, `function_call` and `function_call_output` items, and the model's own
//! `reasoning` items sent back with their `encrypted_content`, since `store: false` keeps
//! nothing on OpenAI's side); the system prompt as `instructions`.
//!
//! The stream is typed events: `response.output_text.delta`, `response.output_item.added` /
//! `.done` (a function call opens and closes), `response.function_call_arguments.delta`,
//! `response.reasoning_summary_text.delta` (shown), `response.completed` (usage; the end),
//! `response.incomplete`, `response.failed` and `error` (mapped to the outage rules of the
//! other formats).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::http::Endpoint;
use super::streaming::{Call, ParseError, SseParser, stream_sse};
use super::{
    ChatMessage, ChatRequest, Effort, ModelClient, ModelStream, ReasoningPart, ReasoningStyle,
    StreamEvent, TokenUsage,
};
use crate::protocol::FinishReason;

pub struct ResponsesClient {
    endpoint: Arc<Endpoint>,
}

impl ResponsesClient {
    pub fn new(endpoint: Endpoint) -> ResponsesClient {
        ResponsesClient {
            endpoint: Arc::new(endpoint),
        }
    }
}

impl ModelClient for ResponsesClient {
    fn provider(&self) -> &str {
        &self.endpoint.provider
    }

    fn stream(&self, request: ChatRequest) -> ModelStream {
        let headers = self.endpoint.bearer_headers();
        stream_sse(
            &self.endpoint,
            "/responses",
            headers,
            request_body(&request),
            Call::of(&self.endpoint, &request),
            Parser::default(),
        )
    }
}

/// The JSON body of a streamed Responses request.
#[must_use]
pub fn request_body(request: &ChatRequest) -> Value {
    let mut input = Vec::with_capacity(request.messages.len());
    for m in &request.messages {
        match &**m {
            ChatMessage::User { text } => input.push(json!({
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            })),
            ChatMessage::Assistant {
                text,
                tool_calls,
                reasoning,
            } => {
                // The model's reasoning items first, as it produced them, and only to itself.
                let own = reasoning
                    .as_ref()
                    .filter(|r| r.from_source(&request.source));
                for part in own.map(|r| r.parts.as_slice()).unwrap_or_default() {
                    if let ReasoningPart::Item { json } = part
                        && let Ok(item) = serde_json::from_str::<Value>(json)
                    {
                        input.push(item);
                    }
                }
                if !text.is_empty() {
                    input.push(json!({
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": text}],
                    }));
                }
                for c in tool_calls {
                    input.push(json!({
                        "type": "function_call",
                        "call_id": c.id,
                        "name": c.name,
                        "arguments": c.arguments,
                    }));
                }
            }
            ChatMessage::ToolResult {
                call_id, content, ..
            } => input.push(json!({
                "type": "function_call_output",
                "call_id": call_id,
                "output": content,
            })),
        }
    }
    let mut body = json!({
        "model": request.model,
        "input": input,
        "stream": true,
        "store": false,
        "max_output_tokens": request.max_output_tokens,
    });
    if !request.system.is_empty() {
        body["instructions"] = json!(request.system);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": false,
                })
            })
            .collect();
        body["tool_choice"] = json!("auto");
        body["parallel_tool_calls"] = json!(true);
    }
    if request.reasoning.style == ReasoningStyle::Openai {
        // Reasoning comes back encrypted, to be passed back next time; its summary is shown.
        body["include"] = json!(["reasoning.encrypted_content"]);
        let mut reasoning = json!({"summary": "auto"});
        if let Some(effort) = request.reasoning.effort.filter(|e| *e != Effort::Off) {
            reasoning["effort"] = json!(match effort {
                Effort::Max => "high",
                e => e.as_str(),
            });
        }
        body["reasoning"] = reasoning;
    }
    body
}

/// The stream parser: typed events in, provider-neutral events out.
#[derive(Debug, Default)]
pub struct Parser {
    /// Function calls open, by output index: the argument bytes received so far.
    calls: BTreeMap<usize, usize>,
    /// A function call was made: the reply ends for its tools.
    called: bool,
    /// Summary parts shown so far (a new one starts on a new paragraph).
    summaries: usize,
    done: bool,
}

fn index_of(v: &Value) -> usize {
    v["output_index"]
        .as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

/// An error the API reported in the stream (an `error` event, `response.failed`): an outage
/// when OpenAI is failing or busy, a refusal otherwise (`context_length_exceeded`,
/// `invalid_prompt`, `insufficient_quota`).
fn api_error(err: &Value) -> ParseError {
    let code = err["code"].as_str().or_else(|| err["type"].as_str());
    let outage = matches!(
        code,
        None | Some("server_error" | "rate_limit_exceeded" | "overloaded" | "service_unavailable")
    );
    let message = err["message"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map_or_else(|| err.to_string(), str::to_string);
    let message = match code {
        Some(c) if !message.contains(c) => format!("{message} ({c})"),
        _ => message,
    };
    ParseError::Api { message, outage }
}

fn usage(response: &Value) -> Option<StreamEvent> {
    let u = response.get("usage").filter(|u| u.is_object())?;
    Some(StreamEvent::Usage(TokenUsage {
        input: u["input_tokens"].as_u64().unwrap_or(0),
        output: u["output_tokens"].as_u64().unwrap_or(0),
        cached: u["input_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0),
        cache_write: 0,
        reasoning: u["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0),
    }))
}

impl Parser {
    /// A `response.output_item.added` or `.done`.
    fn item(&mut self, v: &Value, done: bool, out: &mut Vec<StreamEvent>) {
        let item = &v["item"];
        let index = index_of(v);
        match item["type"].as_str() {
            Some("function_call") => {
                if !self.calls.contains_key(&index) {
                    // Opened when announced, or here if it never was.
                    self.open(index, item, out);
                }
                if done {
                    // Arguments that came whole, not as deltas.
                    let received = self.calls.remove(&index).unwrap_or(0);
                    if received == 0
                        && let Some(args) = item["arguments"].as_str().filter(|a| !a.is_empty())
                    {
                        out.push(StreamEvent::ToolCallDelta {
                            index,
                            arguments: args.to_string(),
                        });
                    }
                    out.push(StreamEvent::ToolCallEnd { index });
                }
            }
            Some("reasoning")
                if done
                    && item
                        .get("encrypted_content")
                        .and_then(Value::as_str)
                        .is_some_and(|c| !c.is_empty()) =>
            {
                // Sent back as it came, without its id: nothing is stored to refer to.
                let mut item = item.clone();
                if let Some(o) = item.as_object_mut() {
                    o.remove("id");
                    o.remove("status");
                }
                out.push(StreamEvent::ReasoningPart(ReasoningPart::Item {
                    json: item.to_string(),
                }));
            }
            _ => {}
        }
    }

    fn open(&mut self, index: usize, item: &Value, out: &mut Vec<StreamEvent>) {
        self.called = true;
        self.calls.insert(index, 0);
        let id = item["call_id"]
            .as_str()
            .or_else(|| item["id"].as_str())
            .map_or_else(
                || {
                    let tag = uuid::Uuid::new_v4().simple().to_string();
                    format!("call_{}_{index}", &tag[..12])
                },
                str::to_string,
            );
        out.push(StreamEvent::ToolCallStart {
            index,
            id,
            name: item["name"].as_str().unwrap_or_default().to_string(),
        });
    }
}

impl SseParser for Parser {
    fn on_event(&mut self, _event: &str, data: &str) -> Result<Vec<StreamEvent>, ParseError> {
        let v: Value = serde_json::from_str(data.trim())
            .map_err(|_| ParseError::Malformed(data.to_string()))?;
        let mut out = Vec::new();
        let delta = || v["delta"].as_str().filter(|d| !d.is_empty());
        match v["type"].as_str() {
            Some("response.output_text.delta") => {
                if let Some(d) = delta() {
                    out.push(StreamEvent::TextDelta(d.to_string()));
                }
            }
            Some("response.reasoning_summary_part.added") => {
                if self.summaries > 0 {
                    out.push(StreamEvent::ReasoningDelta("\n\n".into()));
                }
                self.summaries += 1;
            }
            Some("response.reasoning_summary_text.delta" | "response.reasoning_text.delta") => {
                if let Some(d) = delta() {
                    out.push(StreamEvent::ReasoningDelta(d.to_string()));
                }
            }
            Some("response.output_item.added") => self.item(&v, false, &mut out),
            Some("response.output_item.done") => self.item(&v, true, &mut out),
            Some("response.function_call_arguments.delta") => {
                let index = index_of(&v);
                if let (Some(d), Some(received)) = (delta(), self.calls.get_mut(&index)) {
                    *received += d.len();
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        arguments: d.to_string(),
                    });
                }
            }
            Some("response.completed") => {
                out.extend(self.finish());
                out.extend(usage(&v["response"]));
                out.push(StreamEvent::Finish(if self.called {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                }));
                self.done = true;
            }
            Some("response.incomplete") => {
                out.extend(self.finish());
                out.extend(usage(&v["response"]));
                let reason = v["response"]["incomplete_details"]["reason"].as_str();
                out.push(StreamEvent::Finish(match reason {
                    Some("max_output_tokens") => FinishReason::Length,
                    _ => FinishReason::Stop,
                }));
                self.done = true;
            }
            Some("response.failed") => {
                let err = &v["response"]["error"];
                return Err(api_error(if err.is_object() { err } else { &v }));
            }
            Some("error") => {
                let err = if v["error"].is_object() {
                    &v["error"]
                } else {
                    &v
                };
                return Err(api_error(err));
            }
            Some(_) => {}
            None => return Err(ParseError::Malformed(data.to_string())),
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.calls)
            .into_keys()
            .map(|index| StreamEvent::ToolCallEnd { index })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::sse::SseDecoder;

    fn events(body: &str) -> Vec<(String, String)> {
        let mut decoder = SseDecoder::new(1 << 20);
        let mut out = Vec::new();
        decoder.feed(body.as_bytes(), &mut out).unwrap();
        out.extend(decoder.finish());
        out.into_iter().map(|e| (e.event, e.data)).collect()
    }

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/responses_reasoning_tools.sse");

    fn parse(body: &str) -> (Vec<StreamEvent>, Option<ParseError>) {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for (event, data) in events(body) {
            match p.on_event(&event, &data) {
                Ok(e) => out.extend(e),
                Err(e) => return (out, Some(e)),
            }
        }
        out.extend(p.finish());
        (out, None)
    }

    #[test]
    fn a_documented_stream_gives_summaries_parallel_calls_the_encrypted_item_and_usage() {
        let (events, error) = parse(FIXTURE);
        assert!(error.is_none());
        let thought: String = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ReasoningDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(thought, "**Reading the notes**\n\nBoth files at once.");
        let item = events
            .iter()
            .find_map(|e| match e {
                StreamEvent::ReasoningPart(ReasoningPart::Item { json }) => Some(json.clone()),
                _ => None,
            })
            .unwrap();
        let item: Value = serde_json::from_str(&item).unwrap();
        assert_eq!(item["type"], "reasoning");
        assert!(
            item.get("id").is_none(),
            "store is false: no reference by id"
        );
        assert!(
            item["encrypted_content"]
                .as_str()
                .unwrap()
                .starts_with("gAAAA")
        );
        let starts: Vec<(usize, &str)> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCallStart { index, id, .. } => Some((*index, id.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(starts, [(1, "call_R1xq"), (2, "call_R2xq")]);
        let args = |i: usize| -> String {
            events
                .iter()
                .filter_map(|e| match e {
                    StreamEvent::ToolCallDelta { index, arguments } if *index == i => {
                        Some(arguments.as_str())
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(args(1), r#"{"path":"notes.txt"}"#);
        assert_eq!(args(2), r#"{"path":"todo.txt"}"#);
        assert!(events.contains(&StreamEvent::Usage(TokenUsage {
            input: 1830,
            output: 212,
            cached: 1536,
            cache_write: 0,
            reasoning: 160,
        })));
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finish(FinishReason::ToolCalls))
        );
    }

    #[test]
    fn errors_in_the_stream_are_outages_or_refusals_by_their_code() {
        for (body, outage) in [
            (
                r#"{"type":"response.failed","sequence_number":3,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"The model failed to generate a response."}}}"#,
                true,
            ),
            (
                r#"{"type":"error","sequence_number":1,"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 2s.","param":null}"#,
                true,
            ),
            (
                r#"{"type":"response.failed","sequence_number":2,"response":{"status":"failed","error":{"code":"context_length_exceeded","message":"Your input exceeds the context window of this model."}}}"#,
                false,
            ),
            (
                r#"{"type":"error","sequence_number":1,"code":"insufficient_quota","message":"You exceeded your current quota.","param":null}"#,
                false,
            ),
        ] {
            let Err(ParseError::Api { outage: o, message }) = Parser::default().on_event("", body)
            else {
                panic!("{body}")
            };
            assert_eq!(o, outage, "{body}");
            assert!(!message.is_empty());
        }
        let incomplete = r#"{"type":"response.incomplete","sequence_number":9,"response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":10,"output_tokens":4}}}"#;
        let out = Parser::default().on_event("", incomplete).unwrap();
        assert_eq!(out.last(), Some(&StreamEvent::Finish(FinishReason::Length)));
    }
}
