//! A fake model behind the OpenAI-compatible Chat Completions API (wiremock on 127.0.0.1, a
//! port the OS picks): it answers each request with the next scripted turn, streamed as SSE in
//! the documented shape, and keeps every request for the test to inspect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::wire::{self, Format, Rules};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Turn {
    Text(String),
    /// Tool calls: name and JSON arguments.
    Tools(Vec<(String, Value)>),
    /// A whole SSE body, as given.
    Raw(String),
}

impl Turn {
    #[must_use]
    pub fn text(t: &str) -> Turn {
        Turn::Text(t.to_string())
    }

    #[must_use]
    pub fn tool(name: &str, args: Value) -> Turn {
        Turn::Tools(vec![(name.to_string(), args)])
    }

    /// The SSE body of this turn in the OpenAI chat-completions stream format.
    #[must_use]
    pub fn sse(&self, n: usize) -> String {
        let chunk = |delta: Value, finish: Value| {
            format!(
                "data: {}\n\n",
                json!({"id": format!("chatcmpl-{n}"), "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            )
        };
        let mut out = String::new();
        match self {
            Turn::Raw(body) => return body.clone(),
            Turn::Text(text) => {
                out.push_str(&chunk(
                    json!({"role": "assistant", "content": ""}),
                    Value::Null,
                ));
                out.push_str(&chunk(json!({"content": text}), Value::Null));
                out.push_str(&chunk(json!({}), json!("stop")));
            }
            Turn::Tools(calls) => {
                for (i, (name, args)) in calls.iter().enumerate() {
                    out.push_str(&chunk(
                        json!({"role": "assistant", "content": null, "tool_calls": [{
                            "index": i, "id": format!("call_{n}_{i}"), "type": "function",
                            "function": {"name": name, "arguments": ""}}]}),
                        Value::Null,
                    ));
                    out.push_str(&chunk(
                        json!({"tool_calls": [{"index": i,
                            "function": {"arguments": args.to_string()}}]}),
                        Value::Null,
                    ));
                }
                out.push_str(&chunk(json!({}), json!("tool_calls")));
            }
        }
        out.push_str(&format!(
            "data: {}\n\ndata: [DONE]\n\n",
            json!({"id": format!("chatcmpl-{n}"), "choices": [],
                   "usage": {"prompt_tokens": 100, "completion_tokens": 10}})
        ));
        out
    }
}

impl Turn {
    /// The SSE body of this turn in Anthropic's Messages stream format, with `usage` (input,
    /// cache reads, cache writes) in `message_start`.
    #[must_use]
    pub fn anthropic_sse(&self, n: usize, usage: (u64, u64, u64)) -> String {
        let event = |v: Value| format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap());
        let mut out = event(json!({"type": "message_start", "message": {
            "id": format!("msg_{n}"), "type": "message", "role": "assistant", "content": [],
            "model": "claude-test", "stop_reason": null,
            "usage": {"input_tokens": usage.0, "cache_read_input_tokens": usage.1,
                      "cache_creation_input_tokens": usage.2, "output_tokens": 1}}}));
        let stop = match self {
            Turn::Raw(body) => return body.clone(),
            Turn::Text(text) => {
                out += &event(json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}));
                out += &event(json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": text}}));
                out += &event(json!({"type": "content_block_stop", "index": 0}));
                "end_turn"
            }
            Turn::Tools(calls) => {
                for (i, (name, args)) in calls.iter().enumerate() {
                    out += &event(json!({"type": "content_block_start", "index": i,
                        "content_block": {"type": "tool_use", "id": format!("toolu_{n}_{i}"),
                                          "name": name, "input": {}}}));
                    out += &event(json!({"type": "content_block_delta", "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": args.to_string()}}));
                    out += &event(json!({"type": "content_block_stop", "index": i}));
                }
                "tool_use"
            }
        };
        out += &event(
            json!({"type": "message_delta", "delta": {"stop_reason": stop},
            "usage": {"output_tokens": 10}}),
        );
        out += &event(json!({"type": "message_stop"}));
        out
    }
}

struct Sequence {
    turns: Vec<Turn>,
    next: AtomicUsize,
    format: Format,
    rules: Rules,
    cache: Mutex<super::cache::PromptCache>,
    broken: Arc<Mutex<Vec<String>>>,
}

impl Respond for Sequence {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let broken = wire::violations(self.format, &body, self.rules);
        if !broken.is_empty() {
            self.broken.lock().unwrap().extend(broken.iter().cloned());
            let message = format!("request invariants broken: {}", broken.join("; "));
            return ResponseTemplate::new(400).set_body_json(json!({"error": {
                "type": "invalid_request_error", "message": message}}));
        }
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let turn = self
            .turns
            .get(n)
            .cloned()
            .unwrap_or_else(|| Turn::text("(the script has ended)"));
        let sse = match self.format {
            Format::Anthropic => {
                let usage = self.cache.lock().unwrap().bill(&body);
                turn.anthropic_sse(n, usage)
            }
            Format::Chat => turn.sse(n),
            Format::Responses => super::responses::sse(&turn, n),
        };
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(sse)
    }
}

pub struct FakeModel {
    pub server: MockServer,
    broken: Arc<Mutex<Vec<String>>>,
}

impl FakeModel {
    /// Serves `turns` in order at `POST /v1/chat/completions`.
    pub async fn start(turns: Vec<Turn>) -> FakeModel {
        FakeModel::serve(turns, Format::Chat, Rules::default()).await
    }

    /// Serves `turns` in the Responses API's format at `POST /v1/responses`.
    pub async fn responses(turns: Vec<Turn>) -> FakeModel {
        FakeModel::serve(turns, Format::Responses, Rules::default()).await
    }

    /// An OpenAI-compatible provider with its own rules (DeepSeek's, say).
    pub async fn with_rules(turns: Vec<Turn>, rules: Rules) -> FakeModel {
        FakeModel::serve(turns, Format::Chat, rules).await
    }

    /// Serves `turns` in Anthropic's format at `POST /v1/messages`, billing cache reads and
    /// writes as Anthropic does.
    pub async fn anthropic(turns: Vec<Turn>) -> FakeModel {
        FakeModel::serve(turns, Format::Anthropic, Rules::default()).await
    }

    /// [`FakeModel::anthropic`] behind a provider that also requires `rules`.
    pub async fn anthropic_with_rules(turns: Vec<Turn>, rules: Rules) -> FakeModel {
        FakeModel::serve(turns, Format::Anthropic, rules).await
    }

    async fn serve(turns: Vec<Turn>, format: Format, rules: Rules) -> FakeModel {
        let server = MockServer::start().await;
        let broken = Arc::new(Mutex::new(Vec::new()));
        let sequence = Sequence {
            turns,
            next: AtomicUsize::new(0),
            format,
            rules,
            cache: Mutex::new(super::cache::PromptCache::default()),
            broken: broken.clone(),
        };
        let at = match format {
            Format::Anthropic => "/v1/messages",
            Format::Chat => "/v1/chat/completions",
            Format::Responses => "/v1/responses",
        };
        Mock::given(method("POST"))
            .and(path(at))
            .respond_with(sequence)
            .mount(&server)
            .await;
        FakeModel { server, broken }
    }

    /// The invariants requests broke (each was answered with HTTP 400).
    #[must_use]
    pub fn broken(&self) -> Vec<String> {
        self.broken.lock().unwrap().clone()
    }

    /// The base URL to configure (`…/v1`).
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// Every request received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// Every request body, as JSON.
    pub async fn bodies(&self) -> Vec<Value> {
        self.requests()
            .await
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

/// OpenAI's documented answer when it is overloaded: HTTP 503 with a `server_error`.
#[must_use]
pub fn overloaded() -> ResponseTemplate {
    ResponseTemplate::new(503).set_body_json(json!({
        "error": {"message": "The server is overloaded", "type": "server_error"}
    }))
}

/// A server that answers every request with [`overloaded`].
pub async fn down_503() -> MockServer {
    let down = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(overloaded())
        .mount(&down)
        .await;
    down
}

/// A user config for an OpenAI-compatible provider named `fake` at `url`, its key in
/// `key_var`; `extra` (which must start with a `[section]`) is appended.
#[must_use]
pub fn config(url: &str, key_var: &str, extra: &str) -> String {
    format!(
        "provider = \"fake\"\n[providers.fake]\nkind = \"openai\"\nbase_url = \"{url}\"\n\
         api_key_env = \"{key_var}\"\nmodel = \"fake-model\"\nmax_retries = 0\n{extra}"
    )
}
