//! The pure core of telemetry: what sessions say ([`Event`]s, tagged with their [`Origin`])
//! made into metrics, events and spans ([`Record`]s), with no clock, thread or exporter.
//!
//! It keeps what a later event needs from an earlier one: which tool a call was (so a change
//! is known as a command's or a file tool's), the lines a proposed change holds (so a decision
//! is counted in lines), the open turn and tool spans (so a request is their child), a step's
//! last status (so a step going back to work is known as sent back).

mod changes;
mod cx;
mod gates;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use gearshift_protocol::tap::{Origin, Started};
use gearshift_protocol::{Event, Gear, RequestFacts, StepStatus};
use opentelemetry::{KeyValue, Value};

use crate::names::{event, metric, span};

/// Tool calls a session's translator remembers (for the writer of their changes).
const MAX_CALLS: usize = 20_000;

/// What an event becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A counter's increase.
    Count {
        name: &'static str,
        value: u64,
        attrs: Vec<KeyValue>,
    },
    /// A counter of dollars.
    Dollars {
        name: &'static str,
        value: f64,
        attrs: Vec<KeyValue>,
    },
    /// A histogram's sample, in milliseconds.
    Millis {
        name: &'static str,
        value: u64,
        attrs: Vec<KeyValue>,
    },
    /// An event (a log record named `name`).
    Event {
        name: &'static str,
        at: SystemTime,
        attrs: Vec<KeyValue>,
    },
    /// A span begins; `id` is this translator's, `parent` an open span's.
    Open {
        id: u64,
        parent: Option<u64>,
        name: &'static str,
        at: SystemTime,
        attrs: Vec<KeyValue>,
    },
    /// The span `id` ends.
    Close {
        id: u64,
        at: SystemTime,
        attrs: Vec<KeyValue>,
        failed: bool,
    },
}

/// What may leave besides counts, names and figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// The prompt's text with `gearshift.user_prompt`.
    pub log_user_prompts: bool,
    /// Tool arguments (a command's text, a file's path).
    pub log_tool_details: bool,
}

/// A tool call as far as later events need it.
struct Call {
    name: String,
    arguments: String,
    span: Option<u64>,
}

/// What is kept per session.
#[derive(Default)]
struct Session {
    gear: Gear,
    agent: Option<String>,
    parent: Option<String>,
    turn: Option<u64>,
    calls: HashMap<String, Call>,
    changes: changes::Changes,
    steps: HashMap<String, StepStatus>,
}

/// Sessions' events to records; see the module's documentation.
#[derive(Default)]
pub struct Translator {
    options: Options,
    sessions: HashMap<String, Session>,
    next_span: u64,
}

impl Translator {
    #[must_use]
    pub fn new(options: Options) -> Translator {
        Translator {
            options,
            ..Translator::default()
        }
    }

    /// A session's actor started.
    pub fn started(&mut self, origin: &Origin, started: &Started) -> Vec<Record> {
        let s = self.session(origin);
        s.gear = started.gear;
        let mut attrs = base(origin);
        attrs.extend([
            kv("gear", started.gear.as_str()),
            kv("provider", &started.provider),
            kv("model", &started.model),
            kv("start", if started.resumed { "resumed" } else { "new" }),
        ]);
        vec![count(metric::SESSIONS, 1, attrs)]
    }

    /// One event of the session `origin`, said at `at`.
    pub fn event(&mut self, origin: &Origin, e: &Event, at: SystemTime) -> Vec<Record> {
        let options = self.options;
        let mut out = Vec::new();
        match e {
            Event::GearChanged { to, .. } => self.session(origin).gear = *to,
            Event::UserMessage { text, .. } => {
                let mut attrs = base(origin);
                attrs.push(KeyValue::new("prompt_length", text.chars().count() as i64));
                if options.log_user_prompts {
                    attrs.push(kv("prompt", text));
                }
                out.push(Record::Event {
                    name: event::USER_PROMPT,
                    at,
                    attrs,
                });
            }
            Event::TurnStarted { turn } => self.open_turn(origin, *turn, at, &mut out),
            Event::TurnFinished { reason } => {
                if let Some(id) = self.session(origin).turn.take() {
                    out.push(Record::Close {
                        id,
                        at,
                        attrs: vec![kv("finish_reason", &format!("{reason:?}").to_lowercase())],
                        failed: matches!(reason, gearshift_protocol::FinishReason::Error),
                    });
                }
            }
            Event::Usage {
                input,
                output,
                cached,
                cache_write,
                reasoning,
                cost,
                request: Some(facts),
            } => {
                let tokens = Tokens {
                    input: *input,
                    output: *output,
                    cached: *cached,
                    cache_write: *cache_write,
                    reasoning: *reasoning,
                    cost: *cost,
                };
                self.request(origin, facts, &tokens, at, &mut out);
            }
            Event::ToolCall {
                id,
                name,
                arguments,
            } => self.call(origin, id, name, arguments, at, &mut out),
            Event::ToolResult {
                id,
                ok,
                duration_ms,
                ..
            } => self.result(origin, id, *ok, *duration_ms, at, &mut out),
            Event::ModelFellBack { from, to, reason } => {
                let mut attrs = base(origin);
                attrs.extend([kv("from", from), kv("to", to), kv("reason", reason)]);
                out.push(count(metric::FALLBACKS, 1, attrs.clone()));
                out.push(Record::Event {
                    name: event::FALLBACK,
                    at,
                    attrs,
                });
            }
            Event::Compacted { before, after, .. } => {
                let attrs = base(origin);
                out.push(count(metric::COMPACTIONS, 1, attrs.clone()));
                let mut attrs = attrs;
                attrs.push(KeyValue::new("tokens_before", *before as i64));
                attrs.push(KeyValue::new("tokens_after", *after as i64));
                out.push(Record::Event {
                    name: event::COMPACTION,
                    at,
                    attrs,
                });
            }
            _ => self.decision(origin, e, at, &mut out),
        }
        out
    }

    /// What the human (or a rule standing for them) decided, and what it wrote.
    fn decision(&mut self, origin: &Origin, e: &Event, at: SystemTime, out: &mut Vec<Record>) {
        let details = self.options.log_tool_details;
        let s = self.session(origin);
        let tool = |id: &str| {
            s.calls
                .get(changes::call_of(id))
                .map(|c| c.name.clone())
                .unwrap_or_default()
        };
        let base = base(origin);
        let cx = cx::Cx {
            base: &base,
            at,
            details,
        };
        if let Some(records) = s.changes.on(e, &tool, &cx) {
            out.extend(records);
            return;
        }
        out.extend(gates::on(e, &mut s.steps, &tool, &cx));
    }

    fn session(&mut self, origin: &Origin) -> &mut Session {
        self.sessions
            .entry(origin.session.clone())
            .or_insert_with(|| Session {
                agent: origin.agent.clone(),
                parent: origin.parent.clone(),
                ..Session::default()
            })
    }

    fn span_id(&mut self) -> u64 {
        self.next_span += 1;
        self.next_span
    }

    fn open_turn(&mut self, origin: &Origin, turn: u32, at: SystemTime, out: &mut Vec<Record>) {
        let id = self.span_id();
        // A subagent's turn is a child of its parent's turn, when that is open.
        let parent = origin
            .parent
            .as_ref()
            .and_then(|p| self.sessions.get(p))
            .and_then(|p| p.turn);
        let s = self.session(origin);
        if let Some(open) = s.turn.replace(id) {
            out.push(Record::Close {
                id: open,
                at,
                attrs: Vec::new(),
                failed: false,
            });
        }
        let mut attrs = base(origin);
        attrs.push(kv("gear", s.gear.as_str()));
        attrs.push(KeyValue::new("turn", i64::from(turn)));
        let name = if s.agent.is_some() && s.parent.is_some() {
            span::SUBAGENT
        } else {
            span::TURN
        };
        out.push(Record::Open {
            id,
            parent,
            name,
            at,
            attrs,
        });
    }

    fn request(
        &mut self,
        origin: &Origin,
        facts: &RequestFacts,
        tokens: &Tokens,
        at: SystemTime,
        out: &mut Vec<Record>,
    ) {
        let mut attrs = base(origin);
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
        for (kind, n) in tokens.by_type() {
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
            let mut a = attrs.clone();
            a.push(kv("error", error.as_str()));
            out.push(count(metric::ERRORS, 1, a));
            out.push(Record::Event {
                name: event::API_ERROR,
                at,
                attrs: detail.clone(),
            });
        } else {
            let mut a = detail.clone();
            for (kind, n) in tokens.by_type() {
                a.push(KeyValue::new(format!("{kind}_tokens"), n as i64));
            }
            a.push(KeyValue::new("cost_usd", tokens.cost.unwrap_or(0.0)));
            out.push(Record::Event {
                name: event::API_REQUEST,
                at,
                attrs: a,
            });
        }
        // The request's span, within its turn: it began `latency` before it ended.
        let id = self.span_id();
        let parent = self.session(origin).turn;
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
    }

    fn call(
        &mut self,
        origin: &Origin,
        id: &str,
        name: &str,
        arguments: &str,
        at: SystemTime,
        out: &mut Vec<Record>,
    ) {
        let span_id = self.span_id();
        let s = self.session(origin);
        let mut attrs = base(origin);
        attrs.push(kv("tool_name", name));
        out.push(Record::Open {
            id: span_id,
            parent: s.turn,
            name: span::TOOL,
            at,
            attrs,
        });
        // A very long session forgets its oldest calls rather than grow without bound: a
        // change decided after that is counted as `other`'s.
        if s.calls.len() >= MAX_CALLS {
            s.calls.clear();
        }
        s.calls.insert(
            id.to_string(),
            Call {
                name: name.to_string(),
                arguments: arguments.to_string(),
                span: Some(span_id),
            },
        );
    }

    fn result(
        &mut self,
        origin: &Origin,
        id: &str,
        ok: bool,
        duration_ms: u64,
        at: SystemTime,
        out: &mut Vec<Record>,
    ) {
        let details = self.options.log_tool_details;
        let s = self.session(origin);
        let Some(call) = s.calls.get_mut(id) else {
            return;
        };
        let mut attrs = base(origin);
        attrs.extend([
            kv("tool_name", &call.name),
            KeyValue::new("success", ok),
            KeyValue::new("duration_ms", duration_ms as i64),
        ]);
        if details {
            attrs.push(kv("tool_parameters", &call.arguments));
        }
        if let Some(span) = call.span.take() {
            out.push(Record::Close {
                id: span,
                at,
                attrs: vec![KeyValue::new("success", ok)],
                failed: !ok,
            });
        }
        // The name stays known for the changes the call made, decided later; its arguments
        // are no longer needed.
        call.arguments = String::new();
        out.push(Record::Event {
            name: event::TOOL_RESULT,
            at,
            attrs,
        });
    }
}

/// One request's tokens as the provider counted them.
struct Tokens {
    input: u64,
    output: u64,
    cached: u64,
    cache_write: u64,
    reasoning: u64,
    cost: Option<f64>,
}

impl Tokens {
    /// By Claude Code's types, plus reasoning; they add up to the request's total.
    fn by_type(&self) -> [(&'static str, u64); 5] {
        [
            (
                "input",
                self.input
                    .saturating_sub(self.cached)
                    .saturating_sub(self.cache_write),
            ),
            ("cacheRead", self.cached),
            ("cacheCreation", self.cache_write),
            ("output", self.output.saturating_sub(self.reasoning)),
            ("reasoning", self.reasoning),
        ]
    }
}

/// The attributes every record of a session carries.
fn base(origin: &Origin) -> Vec<KeyValue> {
    let mut attrs = vec![kv("session.id", &origin.session)];
    if let Some(agent) = &origin.agent {
        attrs.push(kv("agent", agent));
    }
    attrs
}

fn kv(key: &'static str, value: &str) -> KeyValue {
    KeyValue::new(key, Value::from(value.to_string()))
}

fn count(name: &'static str, value: u64, attrs: Vec<KeyValue>) -> Record {
    Record::Count { name, value, attrs }
}

#[cfg(test)]
mod tests;
