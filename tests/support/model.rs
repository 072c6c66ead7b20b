//! A fake model behind the OpenAI-compatible Chat Completions API (wiremock on 127.0.0.1, a
//! port the OS picks): it answers each request with the next scripted turn, streamed as SSE in
//! the documented shape, and keeps every request for the test to inspect.

use std::sync::atomic::{AtomicUsize, Ordering};

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

struct Sequence {
    turns: Vec<Turn>,
    next: AtomicUsize,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let turn = self
            .turns
            .get(n)
            .cloned()
            .unwrap_or_else(|| Turn::text("(the script has ended)"));
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(turn.sse(n))
    }
}

pub struct FakeModel {
    pub server: MockServer,
}

impl FakeModel {
    /// Serves `turns` in order at `POST /v1/chat/completions`.
    pub async fn start(turns: Vec<Turn>) -> FakeModel {
        let server = MockServer::start().await;
        let sequence = Sequence {
            turns,
            next: AtomicUsize::new(0),
        };
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(sequence)
            .mount(&server)
            .await;
        FakeModel { server }
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

/// A user config for an OpenAI-compatible provider named `fake` at `url`, its key in
/// `key_var`; `extra` (which must start with a `[section]`) is appended.
#[must_use]
pub fn config(url: &str, key_var: &str, extra: &str) -> String {
    format!(
        "provider = \"fake\"\n[providers.fake]\nkind = \"openai\"\nbase_url = \"{url}\"\n\
         api_key_env = \"{key_var}\"\nmodel = \"fake-model\"\nmax_retries = 0\n{extra}"
    )
}
