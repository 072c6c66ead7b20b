//! A model request: its tokens by type, cost, latency and time to first token as metrics, the
//! request (or its error) as an event, and its span within the turn.

use std::time::{Duration, SystemTime};

use gearshift_protocol::RequestFacts;
use opentelemetry::KeyValue;

use super::record::{Record, count, kv};
use crate::names::{event, metric, span};

/// One request's tokens as the provider counted them.
pub(super) struct Tokens {
    pub(super) input: u64,
    pub(super) output: u64,
    pub(super) cached: u64,
    pub(super) cache_write: u64,
    pub(super) reasoning: u64,
    pub(super) cost: Option<f64>,
}

impl Tokens {
    /// By Claude Code's types, plus reasoning; they add up to the request's total. With the
    /// name of each type's attribute on the request's event (Claude Code's too).
    fn by_type(&self) -> [(&'static str, &'static str, u64); 5] {
        [
            (
                "input",
                "input_tokens",
                self.input
                    .saturating_sub(self.cached)
                    .saturating_sub(self.cache_write),
            ),
            ("cacheRead", "cache_read_tokens", self.cached),
            ("cacheCreation", "cache_creation_tokens", self.cache_write),
            (
                "output",
                "output_tokens",
                self.output.saturating_sub(self.reasoning),
            ),
            ("reasoning", "reasoning_tokens", self.reasoning),
        ]
    }
}

/// The records of one request, said at `at`; its span is `id`, within `parent`.
pub(super) fn records(
    mut attrs: Vec<KeyValue>,
    facts: &RequestFacts,
    tokens: &Tokens,
    at: SystemTime,
    (id, parent): (u64, Option<u64>),
) -> Vec<Record> {
    let mut out = Vec::new();
    attrs.extend([
        kv("model", &facts.model),
        kv("provider", &facts.provider),
        kv("gear", facts.gear.as_str()),
        kv("purpose", &facts.purpose),
    ]);
    if let Some(stage) = &facts.stage {
        attrs.push(kv("stage", stage));
    }
    out.push(count(metric::REQUESTS, 1, attrs.clone()));
    out.push(Record::Millis {
        name: metric::REQUEST_DURATION,
        value: facts.latency_ms,
        attrs: attrs.clone(),
    });
    if let Some(ttft) = facts.ttft_ms {
        out.push(Record::Millis {
            name: metric::TIME_TO_FIRST_TOKEN,
            value: ttft,
            attrs: attrs.clone(),
        });
    }
    for (kind, _, n) in tokens.by_type() {
        if n > 0 {
            let mut a = attrs.clone();
            a.push(kv("type", kind));
            out.push(count(metric::TOKENS, n, a));
        }
    }
    if let Some(cost) = tokens.cost.filter(|c| *c > 0.0) {
        out.push(Record::Dollars {
            name: metric::COST,
            value: cost,
            attrs: attrs.clone(),
        });
    }
    let mut detail = attrs.clone();
    detail.push(KeyValue::new("duration_ms", facts.latency_ms as i64));
    if let Some(ttft) = facts.ttft_ms {
        detail.push(KeyValue::new("ttft_ms", ttft as i64));
    }
    detail.push(KeyValue::new("attempt", i64::from(facts.retries) + 1));
    if let Some(error) = facts.error {
        detail.push(kv("error", error.as_str()));
        let mut a = attrs;
        a.push(kv("error", error.as_str()));
        out.push(count(metric::ERRORS, 1, a));
        out.push(Record::Event {
            name: event::API_ERROR,
            at,
            attrs: detail.clone(),
        });
    } else {
        let mut a = detail.clone();
        for (_, attribute, n) in tokens.by_type() {
            a.push(KeyValue::new(attribute, n as i64));
        }
        a.push(KeyValue::new("cost_usd", tokens.cost.unwrap_or(0.0)));
        out.push(Record::Event {
            name: event::API_REQUEST,
            at,
            attrs: a,
        });
    }
    // Its span began `latency` before it ended.
    let start = at
        .checked_sub(Duration::from_millis(facts.latency_ms))
        .unwrap_or(at);
    out.push(Record::Open {
        id,
        parent,
        name: span::API_REQUEST,
        at: start,
        attrs: detail,
    });
    out.push(Record::Close {
        id,
        at,
        attrs: Vec::new(),
        failed: facts.error.is_some(),
    });
    out
}
