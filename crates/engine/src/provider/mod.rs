//! Model providers behind one trait.
//!
//! A [`ModelClient`] takes a provider-neutral [`ChatRequest`] and returns a [`ModelStream`] of
//! provider-neutral [`StreamEvent`]s. Each wire format has a pure parser (chunk in, events out)
//! tested on fixtures; the shared HTTP machinery in [`http`] does retries, timeouts and error
//! mapping for both. Dropping a [`ModelStream`] aborts its request at once, which is how cancel
//! works.

mod anthropic;
mod http;
mod openai;
pub mod reasoning;
mod responses;
pub mod script;
pub mod sse;
mod streaming;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::config::{ActiveProvider, ProviderKind};
use crate::protocol::{ErrorKind, FinishReason};

pub use crate::protocol::message::{ChatMessage, ToolCallRequest, ToolSpec};
pub use crate::protocol::reasoning::{
    Effort, Reasoning, ReasoningPart, ReasoningRequest, ReasoningStyle,
};
pub use http::wire_string;
pub use script::{DEMO_SCRIPT, Script};

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub system: String,
    pub messages: Vec<Arc<ChatMessage>>,
    pub tools: Vec<ToolSpec>,
    pub max_output_tokens: u32,
    /// What to ask of the model's reasoning, and how the wire format carries it.
    pub reasoning: ReasoningRequest,
    /// `provider/model`: reasoning recorded from this source is passed back, other reasoning
    /// (a resumed session on another model) is not.
    pub source: String,
    /// Split `<think>…</think>` at the start of the content into reasoning.
    pub think_tags: bool,
    /// The first request to a model found down, once its cool-down is over: sent once,
    /// without the retries a 429 or 5xx would otherwise get.
    pub probe: bool,
}

/// Token counts of one response. `input` includes the `cached` and `cache_write` parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenUsage {
    pub input: u64,
    pub output: u64,
    /// Input read from the provider's prompt cache.
    pub cached: u64,
    /// Input written to the prompt cache (Anthropic bills it above the input price).
    pub cache_write: u64,
    /// Output spent reasoning (part of `output`), where the provider says.
    pub reasoning: u64,
}

impl TokenUsage {
    /// Combines partial reports (Anthropic sends input first and output last): the larger of
    /// each field wins.
    pub fn merge(&mut self, other: TokenUsage) {
        self.input = self.input.max(other.input);
        self.output = self.output.max(other.output);
        self.cached = self.cached.max(other.cached);
        self.cache_write = self.cache_write.max(other.cache_write);
        self.reasoning = self.reasoning.max(other.reasoning);
    }
}

/// What a model stream reports, whatever the wire format.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    TextDelta(String),
    /// Reasoning text to show as it streams.
    ReasoningDelta(String),
    /// A complete piece of reasoning to pass back verbatim.
    ReasoningPart(ReasoningPart),
    ToolCallStart {
        index: usize,
        id: String,
        name: String,
    },
    ToolCallDelta {
        index: usize,
        arguments: String,
    },
    ToolCallEnd {
        index: usize,
    },
    Usage(TokenUsage),
    Finish(FinishReason),
    /// The provider refused this many attempts for a while (429, 5xx, no connection) before
    /// the one that is streaming; sent first.
    Retried(u32),
}

/// A provider failure, worded for the user: it says what to do next. Never contains a key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("{provider} rejected the API key (HTTP {status}); set {var} to a valid key")]
    Auth {
        provider: String,
        status: u16,
        var: String,
    },
    #[error(
        "{provider} needs an API key: set {var} (for example `export {var}=…`); `gearshift \
         doctor` checks every key and setting"
    )]
    MissingKey { provider: String, var: String },
    #[error(
        "{provider}: model `{model}` not found at {url} (HTTP 404); check the model name and base_url"
    )]
    NotFound {
        provider: String,
        model: String,
        url: String,
    },
    #[error(
        "{provider} is rate limiting requests (HTTP 429) and still was after {attempts} attempts{}; wait and retry",
        said(message)
    )]
    RateLimited {
        provider: String,
        attempts: u32,
        /// The provider's own words, when its error body had any.
        message: Option<String>,
    },
    #[error("{provider} failed with HTTP {status} after {attempts} attempts: {body}")]
    Server {
        provider: String,
        status: u16,
        attempts: u32,
        body: String,
    },
    #[error("{provider} refused the request with HTTP {status}: {body}")]
    Http {
        provider: String,
        status: u16,
        body: String,
    },
    #[error("cannot reach {provider} at {url}: {detail}")]
    Network {
        provider: String,
        url: String,
        detail: String,
    },
    #[error("{}", idle_message(provider, *seconds, *received))]
    IdleTimeout {
        provider: String,
        seconds: f64,
        /// Bytes of the response received before the silence.
        received: usize,
    },
    #[error(
        "the connection to {provider} broke after {received} bytes of the reply ({detail}); what \
         arrived is kept"
    )]
    Broken {
        provider: String,
        received: usize,
        detail: String,
    },
    #[error(
        "{provider} at {url} answered with {what} instead of a stream of events; check base_url \
         and that the server speaks this API"
    )]
    NotAStream {
        provider: String,
        url: String,
        what: String,
    },
    #[error(
        "{provider} sent a single stream event larger than {limit} bytes; the reply was stopped"
    )]
    TooLarge { provider: String, limit: usize },
    #[error(
        "the reply passed {limit} bytes — more than the model's output limit ({max_output} \
         tokens) allows, or [agent] max_reply_bytes — so it was stopped there; what arrived is \
         kept, marked interrupted"
    )]
    ReplyTooLong { limit: usize, max_output: u32 },
    #[error("{provider} sent a malformed stream chunk: {text}")]
    Malformed { provider: String, text: String },
    #[error("{provider} reported an error: {message}")]
    Api {
        provider: String,
        message: String,
        /// Overloaded or failing (an in-stream `overloaded_error`, a `server_error` chunk),
        /// as opposed to a refusal of the request.
        outage: bool,
    },
    #[error("{}", truncated_message(provider, *received))]
    Truncated { provider: String, received: usize },
    #[error("{0}")]
    Script(String),
}

/// `: "the provider's words"`, or nothing.
fn said(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": \"{m}\""))
        .unwrap_or_default()
}

fn idle_message(provider: &str, seconds: f64, received: usize) -> String {
    if received == 0 {
        format!("{provider} sent nothing for {seconds:.0} s and the stream was abandoned")
    } else {
        format!(
            "{provider} went silent for {seconds:.0} s after {received} bytes of the reply; the \
             stream was abandoned and what arrived is kept"
        )
    }
}

fn truncated_message(provider: &str, received: usize) -> String {
    if received == 0 {
        format!("{provider} closed the stream without sending anything")
    } else {
        format!(
            "{provider}'s stream ended after {received} bytes, before the reply was complete; \
             what arrived is kept"
        )
    }
}

impl ProviderError {
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::Auth { .. } | ProviderError::MissingKey { .. } => ErrorKind::Auth,
            ProviderError::RateLimited { .. } => ErrorKind::RateLimit,
            ProviderError::Network { .. }
            | ProviderError::IdleTimeout { .. }
            | ProviderError::Broken { .. } => ErrorKind::Network,
            ProviderError::Script(_) => ErrorKind::Config,
            _ => ErrorKind::Provider,
        }
    }

    /// The provider is down or overloaded (5xx, no connection, 429 after the retries, an
    /// overload reported inside the stream, a stream that went silent or broke): another
    /// provider may answer the same request — if nothing of the reply had arrived, which the
    /// caller knows by content (a `message_start` or an empty role chunk is no answer). A
    /// refusal of the request itself (4xx, a bad key, a model not found) is not an outage.
    #[must_use]
    pub fn is_outage(&self) -> bool {
        match self {
            ProviderError::Server { .. }
            | ProviderError::RateLimited { .. }
            | ProviderError::Network { .. }
            | ProviderError::IdleTimeout { .. }
            | ProviderError::Broken { .. }
            | ProviderError::Truncated { .. } => true,
            ProviderError::Api { outage, .. } => *outage,
            _ => false,
        }
    }
}

/// A running model response. Dropping it aborts the request.
pub struct ModelStream {
    rx: mpsc::Receiver<Result<StreamEvent, ProviderError>>,
    task: AbortHandle,
}

impl ModelStream {
    /// A stream fed by a task that sends into the given sender.
    fn spawn<F>(
        future: impl FnOnce(mpsc::Sender<Result<StreamEvent, ProviderError>>) -> F,
    ) -> ModelStream
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Bounded, so a slow consumer applies back-pressure to the network read.
        let (tx, rx) = mpsc::channel(256);
        ModelStream {
            rx,
            task: tokio::spawn(future(tx)).abort_handle(),
        }
    }

    /// The next event; `None` when the response is complete.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        self.rx.recv().await
    }

    /// The stream `start` opens once `delay` has gone by (a retry's backoff): nothing is
    /// sent before. Dropping it before then sends nothing at all.
    #[must_use]
    pub fn after(
        delay: Duration,
        start: impl FnOnce() -> ModelStream + Send + 'static,
    ) -> ModelStream {
        ModelStream::spawn(move |tx| async move {
            tokio::time::sleep(delay).await;
            let mut inner = start();
            while let Some(event) = inner.next().await {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        })
    }

    /// An event that has already arrived, without waiting.
    pub fn try_next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        self.rx.try_recv().ok()
    }
}

impl Drop for ModelStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub trait ModelClient: Send + Sync {
    /// The provider's name, for messages.
    fn provider(&self) -> &str;
    /// Starts a response. Must be called within a tokio runtime.
    fn stream(&self, request: ChatRequest) -> ModelStream;
}

/// Network behaviour of a provider; see `[providers.NAME]` in docs/configuration.md.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpPolicy {
    pub connect_timeout: Duration,
    /// From sending the request to the response headers.
    pub request_timeout: Duration,
    /// The longest silence allowed inside a stream.
    pub idle_timeout: Duration,
    /// Retries after the first attempt, for 429/5xx/connection errors before any output.
    pub max_retries: u32,
    /// First backoff; doubled each retry, with jitter.
    pub backoff: Duration,
    /// The largest single stream event accepted (providers send small deltas; a server that
    /// sends one endless event is cut here, before memory grows).
    pub max_event_bytes: usize,
}

/// See [`HttpPolicy::max_event_bytes`].
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

impl HttpPolicy {
    #[must_use]
    pub fn from_provider(p: &ActiveProvider) -> HttpPolicy {
        let secs =
            |v: Option<f64>, default: f64| Duration::from_secs_f64(v.unwrap_or(default).max(0.01));
        HttpPolicy {
            connect_timeout: secs(p.settings.connect_timeout, 10.0),
            request_timeout: secs(p.settings.request_timeout, 120.0),
            idle_timeout: secs(p.settings.idle_timeout, 90.0),
            max_retries: p.settings.max_retries.unwrap_or(3),
            backoff: Duration::from_millis(500),
            max_event_bytes: MAX_EVENT_BYTES,
        }
    }
}

/// Whether Anthropic's extended thinking (a budget) is on for `request`: off, among other
/// cases, while a tool loop that began without it continues.
#[must_use]
pub fn budget_thinking(request: &ChatRequest) -> bool {
    anthropic::thinking_budget(request).is_some()
}

/// The JSON body `kind`'s wire format sends for `request` (what the clients POST).
#[must_use]
pub fn wire_body(kind: ProviderKind, request: &ChatRequest) -> serde_json::Value {
    match kind {
        ProviderKind::Anthropic => anthropic::request_body(request),
        ProviderKind::OpenaiResponses => responses::request_body(request),
        ProviderKind::Openai | ProviderKind::Script => openai::request_body(request),
    }
}

/// Builds the client for the configured provider. `env` supplies API keys by variable name.
pub fn client_for(
    provider: &ActiveProvider,
    env: &dyn Fn(&str) -> Option<String>,
    workspace: &std::path::Path,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    let key = match &provider.api_key_env {
        Some(var) => match env(var).filter(|k| !k.trim().is_empty()) {
            Some(k) => Some(k),
            None => {
                return Err(ProviderError::MissingKey {
                    provider: provider.name.clone(),
                    var: var.clone(),
                });
            }
        },
        None => None,
    };
    let policy = HttpPolicy::from_provider(provider);
    let base_url = provider.base_url.clone().unwrap_or_default();
    Ok(match provider.kind {
        ProviderKind::Openai => Arc::new(openai::OpenAiClient::new(http::Endpoint::new(
            &provider.name,
            &base_url,
            key,
            provider.api_key_env.clone(),
            policy,
        ))),
        ProviderKind::OpenaiResponses => {
            Arc::new(responses::ResponsesClient::new(http::Endpoint::new(
                &provider.name,
                &base_url,
                key,
                provider.api_key_env.clone(),
                policy,
            )))
        }
        ProviderKind::Anthropic => Arc::new(anthropic::AnthropicClient::new(http::Endpoint::new(
            &provider.name,
            &base_url,
            key,
            provider.api_key_env.clone(),
            policy,
        ))),
        ProviderKind::Script => {
            let script = match &provider.settings.script {
                Some(path) => {
                    let path = workspace.join(path);
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        ProviderError::Script(format!("cannot read script {}: {e}", path.display()))
                    })?;
                    Script::parse(&text).map_err(|e| {
                        ProviderError::Script(format!("script {}: {e}", path.display()))
                    })?
                }
                None => Script::parse(DEMO_SCRIPT)
                    .map_err(|e| ProviderError::Script(format!("built-in demo script: {e}")))?,
            };
            Arc::new(script::ScriptClient::new(&provider.name, script))
        }
    })
}

/// The dollar cost of a response, when the model has prices: cache reads at the cached price,
/// cache writes at the cache-write price (each falling back to the input price).
#[must_use]
pub fn cost(provider: &ActiveProvider, usage: TokenUsage) -> Option<f64> {
    let p = &provider.prices;
    if p.input.is_none() && p.output.is_none() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // token counts are far below 2^52
    let per_million = |tokens: u64, price: Option<f64>| tokens as f64 * price.unwrap_or(0.0) / 1e6;
    let uncached = usage
        .input
        .saturating_sub(usage.cached)
        .saturating_sub(usage.cache_write);
    Some(
        per_million(uncached, p.input)
            + per_million(usage.cached, p.cached_input.or(p.input))
            + per_million(usage.cache_write, p.cache_write.or(p.input))
            + per_million(usage.output, p.output),
    )
}

#[cfg(test)]
mod tests;
