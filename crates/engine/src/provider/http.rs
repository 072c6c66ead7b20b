//! HTTP machinery shared by the wire formats: one lazily built client, retries with
//! exponential backoff and jitter (honouring `Retry-After`) before any output, and error mapping
//! by status. Reading a streaming response is [`super::streaming`]'s.

use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};

use super::{HttpPolicy, ProviderError};

/// Longest pause we accept from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// How much of a bad chunk or error body to show.
const EXCERPT_CHARS: usize = 240;

/// The request body as sent: the top-level keys in a fixed order with `messages` last, so the
/// part that grows each round ends the request and every request's bytes begin with the
/// previous one's (the tools and settings no longer follow the conversation). Providers with
/// automatic prefix caching then find the whole earlier request in their cache.
#[must_use]
pub fn wire_string(body: &serde_json::Value) -> String {
    let serde_json::Value::Object(map) = body else {
        return body.to_string();
    };
    let mut out = String::from("{");
    let rest = map.iter().filter(|(k, _)| k.as_str() != "messages");
    for (key, value) in rest.chain(map.get_key_value("messages")) {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(key.clone()).to_string());
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push('}');
    out
}

pub(super) struct Endpoint {
    pub provider: String,
    pub base_url: String,
    key: Option<String>,
    key_var: Option<String>,
    pub policy: HttpPolicy,
    client: OnceLock<reqwest::Client>,
}

impl Endpoint {
    pub fn new(
        provider: &str,
        base_url: &str,
        key: Option<String>,
        key_var: Option<String>,
        policy: HttpPolicy,
    ) -> Endpoint {
        Endpoint {
            provider: provider.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            key_var,
            policy,
            client: OnceLock::new(),
        }
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// `Authorization: Bearer KEY` (marked sensitive), or nothing for a provider without a
    /// key: what the OpenAI APIs take.
    pub fn bearer_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(key) = self.key()
            && let Ok(mut value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        headers
    }

    /// Built on first use, so starting gearshift never pays for TLS set-up.
    fn client(&self) -> Result<&reqwest::Client, ProviderError> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        crate::tls::install();
        let client = reqwest::Client::builder()
            .connect_timeout(self.policy.connect_timeout)
            .user_agent(concat!("gearshift/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| self.network("", &e.to_string()))?;
        Ok(self.client.get_or_init(|| client))
    }

    pub(super) fn network(&self, url: &str, detail: &str) -> ProviderError {
        ProviderError::Network {
            provider: self.provider.clone(),
            url: url.to_string(),
            detail: self.redact(detail),
        }
    }

    /// Removes the API key from text that will be shown or logged.
    pub fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(k) if k.len() >= 4 => text.replace(k.as_str(), "[redacted]"),
            _ => text.to_string(),
        }
    }

    pub(super) fn excerpt(&self, text: &str) -> String {
        excerpt(&self.redact(text.trim()))
    }

    /// POSTs a JSON body, retrying 429/5xx/connection failures, and returns a successful
    /// response whose body has not been read yet, with the number of attempts it took.
    pub async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: &serde_json::Value,
        model: &str,
        max_retries: u32,
    ) -> Result<(reqwest::Response, u32), ProviderError> {
        let client = self.client()?;
        let bytes = wire_string(body);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let send = client
                .post(url)
                .headers(headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone())
                .send();
            let outcome = tokio::time::timeout(self.policy.request_timeout, send).await;
            let retry_delay = match outcome {
                Err(_) => {
                    let detail = format!(
                        "no response within {:.0} s",
                        self.policy.request_timeout.as_secs_f64()
                    );
                    if attempt > max_retries {
                        return Err(self.network(url, &detail));
                    }
                    self.backoff(attempt)
                }
                Ok(Err(e)) => {
                    let retryable = e.is_connect() || e.is_timeout() || e.is_request();
                    if !retryable || attempt > max_retries {
                        return Err(self.network(url, &error_chain(&e)));
                    }
                    self.backoff(attempt)
                }
                Ok(Ok(resp)) if resp.status().is_success() => return Ok((resp, attempt)),
                Ok(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after(resp.headers());
                    let text = resp.text().await.unwrap_or_default();
                    let retryable = status == 429 || status >= 500;
                    if !retryable || attempt > max_retries {
                        return Err(self.status_error(status, &text, url, model, attempt));
                    }
                    retry_after.unwrap_or_else(|| self.backoff(attempt))
                }
            };
            tracing::warn!(
                provider = %self.provider,
                attempt,
                delay_ms = u64::try_from(retry_delay.as_millis()).unwrap_or(u64::MAX),
                "retrying model request"
            );
            tokio::time::sleep(retry_delay).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .policy
            .backoff
            .saturating_mul(2u32.saturating_pow(attempt - 1));
        // Full jitter between half and one and a half times, so clients do not retry in step.
        base.mul_f64(0.5 + fastrand::f64()).min(MAX_BACKOFF)
    }

    fn status_error(
        &self,
        status: u16,
        body: &str,
        url: &str,
        model: &str,
        attempts: u32,
    ) -> ProviderError {
        let provider = self.provider.clone();
        match status {
            401 | 403 => ProviderError::Auth {
                provider,
                status,
                var: self
                    .key_var
                    .clone()
                    .unwrap_or_else(|| format!("api_key_env in [providers.{}]", self.provider)),
            },
            404 => ProviderError::NotFound {
                provider,
                model: model.to_string(),
                url: url.to_string(),
            },
            429 => ProviderError::RateLimited {
                provider,
                attempts,
                message: Some(self.excerpt(&error_message(body))).filter(|m| !m.is_empty()),
            },
            s if s >= 500 => ProviderError::Server {
                provider,
                status,
                attempts,
                body: self.excerpt(&error_message(body)),
            },
            _ => ProviderError::Http {
                provider,
                status,
                body: self.excerpt(&error_message(body)),
            },
        }
    }

    /// A successful response that is not an event stream: an HTML page (a proxy, a login
    /// portal, a wrong base URL) or a JSON body (an error, or a reply that was not streamed).
    pub(super) async fn not_a_stream(
        &self,
        resp: reqwest::Response,
        content_type: &str,
    ) -> ProviderError {
        let body = read_some(resp, 64 * 1024).await;
        if content_type.contains("html") || body.trim_start().starts_with('<') {
            let title = body
                .split_once("<title>")
                .and_then(|(_, rest)| rest.split_once("</title>"))
                .map(|(t, _)| format!(" (\"{}\")", t.trim()))
                .unwrap_or_default();
            return ProviderError::NotAStream {
                provider: self.provider.clone(),
                url: self.base_url.clone(),
                what: format!("an HTML page{title}"),
            };
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body)
            && let Some(err) = v.get("error").filter(|e| !e.is_null())
        {
            let message = err["message"]
                .as_str()
                .map_or_else(|| err.to_string(), str::to_string);
            return ProviderError::Api {
                provider: self.provider.clone(),
                message: self.excerpt(&message),
                outage: false,
            };
        }
        ProviderError::NotAStream {
            provider: self.provider.clone(),
            url: self.base_url.clone(),
            what: format!("`{content_type}`: {}", self.excerpt(&body)),
        }
    }
}

/// The provider's own message in an error body — `{"error": {"message": …}}` (OpenAI,
/// OpenRouter, DeepSeek…), `{"error": {"type", "message"}}` (Anthropic), `{"message": …}` — or
/// the body itself.
fn error_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.trim().to_string();
    };
    let error = v.get("error").unwrap_or(&v);
    let message = error
        .get("message")
        .and_then(serde_json::Value::as_str)
        .or_else(|| error.as_str());
    // OpenRouter puts the upstream provider's words under `metadata.raw`.
    let raw = error
        .pointer("/metadata/raw")
        .and_then(serde_json::Value::as_str);
    match (message, raw) {
        (Some(m), Some(r)) if !m.contains(r) => format!("{m} ({r})"),
        (Some(m), _) => m.to_string(),
        (None, _) => body.trim().to_string(),
    }
}

/// Up to `limit` bytes of a body, as text (for an error message).
async fn read_some(resp: reqwest::Response, limit: usize) -> String {
    let mut body = resp.bytes_stream();
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match tokio::time::timeout(Duration::from_secs(5), body.next()).await {
            Ok(Some(Ok(chunk))) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(limit);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
}

/// reqwest's top-level message is vague ("error sending request"); the causes say why.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let msg = c.to_string();
        if !text.contains(&msg) {
            text.push_str(": ");
            text.push_str(&msg);
        }
        cause = c.source();
    }
    text
}

/// The first `EXCERPT_CHARS` characters, marked when cut.
pub(super) fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}… (truncated)")
    }
}
