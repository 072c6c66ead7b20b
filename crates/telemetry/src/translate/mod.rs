//! The pure core of telemetry: what sessions say ([`Event`]s, tagged with their [`Origin`])
//! made into metrics, events and spans ([`Record`]s), with no clock, thread or exporter.
//!
//! It keeps what a later event needs from an earlier one: which tool a call was (so a change
//! is known as a command's or a file tool's), the lines a proposed change holds (so a decision
//! is counted in lines), the open turn and tool spans (so a request is their child), a step's
//! last status (so a step going back to work is known as sent back), and which tools and MCP
//! servers a session has (so that a name the model made up is never sent as a tool's).

mod changes;
mod cx;
mod gates;
mod record;
mod requests;

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use gearshift_protocol::tap::{Origin, Started};
use gearshift_protocol::{Event, FinishReason, Gear, StepStatus};
use opentelemetry::KeyValue;

pub use record::{Options, Record};
use record::{base, count, kv};

use crate::names::{event, metric, span};

/// Tool calls a session's translator remembers (for the writer of their changes).
const MAX_CALLS: usize = 20_000;

/// What a tool is called in what leaves when its name is none the session has.
const UNKNOWN_TOOL: &str = "unknown";

/// A tool call as far as later events need it.
struct Call {
    /// Its name as sent: the tool's, `mcp__SERVER` (without the details), or `unknown`.
    label: String,
    /// Its arguments, kept until its result only with `log_tool_details`.
    arguments: String,
    span: Option<u64>,
}

/// What is kept per session.
#[derive(Default)]
struct Session {
    gear: Gear,
    parent: Option<String>,
    /// Who decides its gates: `user` in the workbench, `headless` for `exec` and subagents.
    who: &'static str,
    /// Its tools' names, and its MCP servers'.
    tools: HashSet<String>,
    servers: HashSet<String>,
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
        // A subagent's questions go to whoever answers its parent's.
        let parents = origin
            .parent
            .as_ref()
            .and_then(|p| self.sessions.get(p))
            .map(|p| p.who);
        let own = if started.interactive {
            "user"
        } else {
            "headless"
        };
        let s = self.session(origin);
        s.gear = started.gear;
        s.who = parents.unwrap_or(own);
        s.tools = started.tools.iter().cloned().collect();
        s.tools.insert("task".into());
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
        let mut out = Vec::new();
        match e {
            Event::GearChanged { to, .. } => self.session(origin).gear = *to,
            Event::McpStatus { servers } => {
                self.session(origin).servers = servers.iter().map(|s| s.name.clone()).collect();
            }
            // A subagent's prompt is its parent model's words, not a human's.
            Event::UserMessage { text, .. } if origin.parent.is_none() => {
                let mut attrs = base(origin);
                attrs.push(KeyValue::new("prompt_length", text.chars().count() as i64));
                if self.options.log_user_prompts {
                    attrs.push(kv("prompt", text));
                }
                out.push(Record::Event {
                    name: event::USER_PROMPT,
                    at,
                    attrs,
                });
            }
            Event::TurnStarted { turn } => self.open_turn(origin, *turn, at, &mut out),
            Event::TurnFinished { reason } => self.close_turn(origin, *reason, at, &mut out),
            Event::Usage {
                input,
                output,
                cached,
                cache_write,
                reasoning,
                cost,
                request: Some(facts),
            } => {
                let tokens = requests::Tokens {
                    input: *input,
                    output: *output,
                    cached: *cached,
                    cache_write: *cache_write,
                    reasoning: *reasoning,
                    cost: *cost,
                };
                let id = self.span_id();
                let parent = self.session(origin).turn;
                out = requests::records(base(origin), facts, &tokens, at, (id, parent));
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
            // Which model failed and where it went; why is the failed request's error class
            // (`gearshift.api_error.count`), never the provider's words.
            Event::ModelFellBack { from, to, .. } => {
                let mut attrs = base(origin);
                attrs.extend([kv("from", from), kv("to", to)]);
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
                .get(gearshift_protocol::change::call_of(id))
                .map(|c| c.label.clone())
                .unwrap_or_default()
        };
        let base = base(origin);
        let cx = cx::Cx {
            base: &base,
            at,
            details,
            who: s.who,
            // A subagent's or a worker's lines and hunks are counted when they come back to the
            // parent, where the human decides them; its own hunks are its rules'.
            lines: s.parent.is_none(),
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
                parent: origin.parent.clone(),
                who: "headless",
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
        let name = if s.parent.is_some() {
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

    fn close_turn(
        &mut self,
        origin: &Origin,
        reason: FinishReason,
        at: SystemTime,
        out: &mut Vec<Record>,
    ) {
        let s = self.session(origin);
        if let Some(id) = s.turn.take() {
            out.push(Record::Close {
                id,
                at,
                attrs: vec![kv("finish_reason", &format!("{reason:?}").to_lowercase())],
                failed: matches!(reason, FinishReason::Error),
            });
        }
        // A subagent's session is one turn: what it kept goes with it.
        if s.parent.is_some() {
            self.sessions.remove(&origin.session);
        }
    }

    /// The name a tool call is sent as: the session's own tool's, an MCP tool's server's
    /// (its full name with the details, when the session has it), else [`UNKNOWN_TOOL`] —
    /// never text the model made up.
    fn label(&self, s: &Session, name: &str) -> String {
        let known = s.tools.contains(name);
        let server = name
            .strip_prefix("mcp__")
            .and_then(|rest| rest.split_once("__"))
            .map(|(server, _)| server)
            .filter(|server| known || s.servers.contains(*server));
        match server {
            // Its own name only when the session has it and the user opted in.
            Some(_) if known && self.options.log_tool_details => name.to_string(),
            Some(server) => format!("mcp__{server}"),
            None if known => name.to_string(),
            None => UNKNOWN_TOOL.to_string(),
        }
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
        let details = self.options.log_tool_details;
        self.session(origin);
        let label = self
            .sessions
            .get(&origin.session)
            .map_or_else(|| UNKNOWN_TOOL.to_string(), |s| self.label(s, name));
        let s = self.session(origin);
        let mut attrs = base(origin);
        attrs.push(kv("tool_name", &label));
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
                label,
                arguments: if details {
                    arguments.to_string()
                } else {
                    String::new()
                },
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
            kv("tool_name", &call.label),
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

#[cfg(test)]
mod tests;
