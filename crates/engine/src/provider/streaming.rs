//! A streaming request: POSTed through an [`Endpoint`], its SSE body read with a wire
//! format's parser into [`StreamEvent`]s, in a task that dropping the stream aborts.

use std::sync::Arc;

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use tokio::sync::mpsc;

use super::http::{Endpoint, error_chain};
use super::sse::{SseDecoder, SseError};
use super::{ModelStream, ProviderError, StreamEvent};

/// What a wire-format parser says about one SSE event.
#[derive(Debug)]
pub(super) enum ParseError {
    /// Not what the format allows; carries the offending text.
    Malformed(String),
    /// The provider reported an error inside the stream; `outage`: it is overloaded or failing
    /// (another provider may answer), not refusing this request.
    Api { message: String, outage: bool },
}

/// A wire format's stream parser: pure, fed one SSE event at a time.
pub(super) trait SseParser: Send {
    fn on_event(&mut self, event: &str, data: &str) -> Result<Vec<StreamEvent>, ParseError>;
    /// Whether the format's end-of-stream marker has been seen (stop reading).
    fn is_done(&self) -> bool;
    /// Whether what arrived is a whole reply, should the body end here.
    fn is_complete(&self) -> bool {
        self.is_done()
    }
    /// Events owed when the stream ends (open tool calls are closed).
    fn finish(&mut self) -> Vec<StreamEvent>;
}

/// What one streaming request is: the model named (for messages), the largest event accepted
/// and how many times a refusal for a while (429, 5xx, no connection) is tried again.
pub(super) struct Call {
    pub model: String,
    pub max_event: usize,
    pub max_retries: u32,
}

impl Call {
    /// `request` on `endpoint`: its policy's limits, no retries for a probe.
    pub fn of(endpoint: &Endpoint, request: &super::ChatRequest) -> Call {
        Call {
            model: request.model.clone(),
            max_event: endpoint.policy.max_event_bytes,
            max_retries: if request.probe {
                0
            } else {
                endpoint.policy.max_retries
            },
        }
    }
}

/// Starts a streaming request: POSTs `body` to `path` under the base URL and reads the SSE
/// response with `parser`, in a task that dropping the returned stream aborts.
pub(super) fn stream_sse(
    endpoint: &Arc<Endpoint>,
    path: &str,
    headers: HeaderMap,
    body: serde_json::Value,
    call: Call,
    mut parser: impl SseParser + 'static,
) -> ModelStream {
    let endpoint = Arc::clone(endpoint);
    let url = format!("{}{path}", endpoint.base_url);
    let Call {
        model,
        max_event,
        max_retries,
    } = call;
    ModelStream::spawn(move |tx| async move {
        match endpoint
            .post(&url, headers, &body, &model, max_retries)
            .await
        {
            Ok((resp, attempts)) => {
                if attempts > 1
                    && tx
                        .send(Ok(StreamEvent::Retried(attempts - 1)))
                        .await
                        .is_err()
                {
                    return;
                }
                endpoint.pump_sse(resp, &mut parser, &tx, max_event).await;
            }
            Err(e) => {
                let _ = tx.send(Err(e)).await;
            }
        }
    })
}

impl Endpoint {
    /// Reads an SSE body through `parser`, sending events to `tx`, until the format's end,
    /// the body's end, an error, or the idle timeout. No single event may exceed `max_event`
    /// bytes.
    pub async fn pump_sse(
        &self,
        resp: reqwest::Response,
        parser: &mut dyn SseParser,
        tx: &mpsc::Sender<Result<StreamEvent, ProviderError>>,
        max_event: usize,
    ) {
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.contains("html") || content_type.starts_with("application/json") {
            let _ = tx
                .send(Err(self.not_a_stream(resp, &content_type).await))
                .await;
            return;
        }
        let mut body = resp.bytes_stream();
        let mut decoder = SseDecoder::new(max_event);
        let mut received: usize = 0;
        let fail = |e: ProviderError| async { tx.send(Err(e)).await };
        'read: loop {
            let next = tokio::time::timeout(self.policy.idle_timeout, body.next()).await;
            let chunk = match next {
                Err(_) => {
                    let _ = fail(ProviderError::IdleTimeout {
                        provider: self.provider.clone(),
                        seconds: self.policy.idle_timeout.as_secs_f64(),
                        received,
                    })
                    .await;
                    return;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    let detail = self.redact(&error_chain(&e));
                    let error = if received == 0 {
                        self.network(&self.base_url, &detail)
                    } else {
                        ProviderError::Broken {
                            provider: self.provider.clone(),
                            received,
                            detail,
                        }
                    };
                    let _ = fail(error).await;
                    return;
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            received += chunk.len();
            let mut events = Vec::new();
            let decoded = decoder.feed(&chunk, &mut events);
            for event in events {
                if !self.deliver(parser, &event.event, &event.data, tx).await {
                    return;
                }
                if parser.is_done() {
                    break 'read;
                }
            }
            match decoded {
                Ok(()) => {}
                Err(e) => {
                    let error = match e {
                        SseError::TooLarge(limit) => ProviderError::TooLarge {
                            provider: self.provider.clone(),
                            limit,
                        },
                        SseError::Utf8(_) => ProviderError::Malformed {
                            provider: self.provider.clone(),
                            text: e.to_string(),
                        },
                    };
                    let _ = fail(error).await;
                    return;
                }
            }
        }
        if !parser.is_done()
            && let Some(event) = decoder.finish()
            && !self.deliver(parser, &event.event, &event.data, tx).await
        {
            return;
        }
        for e in parser.finish() {
            let _ = tx.send(Ok(e)).await;
        }
        if !parser.is_complete() {
            let _ = tx
                .send(Err(ProviderError::Truncated {
                    provider: self.provider.clone(),
                    received,
                }))
                .await;
        }
    }

    /// Passes one SSE event through the parser to `tx`; false when the stream must end.
    async fn deliver(
        &self,
        parser: &mut dyn SseParser,
        event: &str,
        data: &str,
        tx: &mpsc::Sender<Result<StreamEvent, ProviderError>>,
    ) -> bool {
        match parser.on_event(event, data) {
            Ok(out) => {
                for e in out {
                    if tx.send(Ok(e)).await.is_err() {
                        return false;
                    }
                }
                true
            }
            Err(ParseError::Malformed(text)) => {
                let _ = tx
                    .send(Err(ProviderError::Malformed {
                        provider: self.provider.clone(),
                        text: self.excerpt(&text),
                    }))
                    .await;
                false
            }
            Err(ParseError::Api { message, outage }) => {
                let _ = tx
                    .send(Err(ProviderError::Api {
                        provider: self.provider.clone(),
                        message: self.excerpt(&message),
                        outage,
                    }))
                    .await;
                false
            }
        }
    }
}
