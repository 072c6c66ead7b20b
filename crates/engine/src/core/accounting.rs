//! The context accounting of the next request, item by item (see [`crate::context::ledger`]):
//! the gear's instructions, the skill catalog, each memory file, the tool schemas (each MCP
//! server's apart), a compaction's summary, and every message kept.

use std::collections::{BTreeMap, HashMap};

use super::SessionState;
use super::shape::{DROPPED, kept_from, kept_verbatim, offered_specs};
use crate::config::ActiveProvider;
use crate::context::ledger::Part;
use crate::context::{Category, ContextReport, ItemId, Ledger};
use crate::protocol::{ChatMessage, ToolSpec};
use crate::tools;

/// Accounts the next request item by item (see [`crate::context::ledger`]).
pub fn account(
    ledger: &mut Ledger,
    state: &SessionState,
    provider: &ActiveProvider,
    memory: &str,
    catalog: &str,
    registry: &tools::Registry,
) -> ContextReport {
    let system = super::turn::instructions(state).trim();
    let specs = offered_specs(state, registry);
    // Built-in tools are one item; each MCP server's tools are one of their own.
    let (tools_json, builtin_count, server_json) = tool_schemas(&specs);
    let mut parts: Vec<(Part<'_>, Option<u64>)> = vec![(
        Part {
            id: ItemId::System,
            category: Category::System,
            text: system,
            label: match &state.subagent {
                Some(agent) => format!("{} agent instructions", agent.agent),
                None => format!("{} gear instructions", state.gear),
            },
            pinned: false,
            dropped: false,
        },
        None,
    )];
    if !catalog.is_empty() {
        parts.push((
            Part {
                id: ItemId::Skills,
                category: Category::Skills,
                text: catalog,
                label: format!(
                    "skill catalog: {} skills",
                    catalog.lines().filter(|l| l.starts_with("- ")).count()
                ),
                pinned: false,
                dropped: false,
            },
            None,
        ));
    }
    // Each memory file is its own item.
    for (i, (name, text)) in crate::core::memory::sections(memory)
        .into_iter()
        .enumerate()
    {
        parts.push((
            Part {
                id: ItemId::Memory(i),
                category: Category::Memory,
                text,
                label: format!("project memory: {name}"),
                pinned: false,
                dropped: false,
            },
            None,
        ));
    }
    parts.push((
        Part {
            id: ItemId::Tools,
            category: Category::Tools,
            text: &tools_json,
            label: format!("{builtin_count} tool schemas"),
            pinned: false,
            dropped: false,
        },
        None,
    ));
    for (i, (server, count, json)) in server_json.iter().enumerate() {
        parts.push((
            Part {
                id: ItemId::Mcp(i),
                category: Category::Mcp,
                text: json,
                label: format!("MCP {server}: {count} tool schemas"),
                pinned: false,
                dropped: false,
            },
            None,
        ));
    }
    let start = kept_from(state);
    if let Some(c) = &state.compaction {
        parts.push((
            Part {
                id: ItemId::Summary,
                category: Category::Summary,
                text: &c.summary,
                label: format!("summary of messages 1–{}", c.through),
                pinned: false,
                dropped: false,
            },
            None,
        ));
    }
    message_parts(ledger, state, provider, start, &mut parts);
    let mut report = ledger.account(
        parts,
        u64::from(provider.context_window),
        u64::from(provider.max_output_tokens),
    );
    report.cache = state.cache;
    report
}

fn one_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut s: String = line.trim().chars().take(60).collect();
    if line.trim().chars().count() > 60 {
        s.push('…');
    }
    s
}

/// A tool call's target for labels: its path, pattern or command.
fn call_target(arguments: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(arguments).unwrap_or_default();
    ["path", "pattern", "command", "from"]
        .iter()
        .find_map(|k| v.get(k).and_then(|s| s.as_str()))
        .map(one_line)
        .unwrap_or_default()
}

/// The built-in tools' schemas as one text and their count, and each MCP server's (its name,
/// how many, their text).
fn tool_schemas(specs: &[ToolSpec]) -> (String, usize, Vec<(&str, usize, String)>) {
    let (builtin, external): (Vec<_>, Vec<_>) = specs
        .iter()
        .partition(|s| crate::mcp::server_of(&s.name).is_none());
    let tools_json = serde_json::to_string(&builtin).unwrap_or_default();
    let mut by_server: BTreeMap<&str, Vec<&ToolSpec>> = BTreeMap::new();
    for spec in external {
        if let Some(server) = crate::mcp::server_of(&spec.name) {
            by_server.entry(server).or_default().push(spec);
        }
    }
    let server_json: Vec<(&str, usize, String)> = by_server
        .iter()
        .map(|(server, specs)| {
            (
                *server,
                specs.len(),
                serde_json::to_string(specs).unwrap_or_default(),
            )
        })
        .collect();
    (tools_json, builtin.len(), server_json)
}

/// The conversation's part of the accounting: each message kept (and its reasoning, where it
/// is passed back), a dropped one at the size of its placeholder.
fn message_parts(
    ledger: &mut Ledger,
    state: &SessionState,
    provider: &ActiveProvider,
    start: usize,
    parts: &mut Vec<(Part<'_>, Option<u64>)>,
) {
    let source = provider.source();
    let mut calls: HashMap<&str, String> = HashMap::new();
    let dropped_raw = crate::context::estimate_tokens(DROPPED) as u64 + 4;
    for i in kept_verbatim(state)
        .into_iter()
        .chain(start..state.conversation.len())
    {
        let m = &state.conversation[i];
        let (category, label) = message_label(state, i, m.as_ref(), &mut calls);
        let is_dropped = state.dropped.contains(&i) && i >= start;
        let raw = if is_dropped {
            dropped_raw
        } else {
            ledger.message(i, m)
        };
        parts.push((
            Part {
                id: ItemId::Message(i),
                category,
                text: "",
                label,
                pinned: state.pinned.contains(&i),
                dropped: is_dropped,
            },
            Some(raw),
        ));
        if let ChatMessage::Assistant {
            reasoning: Some(r), ..
        } = &**m
            && !is_dropped
            && provider.reasoning.carries(r, &source)
        {
            let words = r.text.split_whitespace().count();
            parts.push((
                Part {
                    id: ItemId::Reasoning(i),
                    category: Category::Reasoning,
                    text: "",
                    label: format!("model thought, {words} words"),
                    pinned: false,
                    dropped: false,
                },
                Some(ledger.reasoning(i, &r.text)),
            ));
        }
    }
}

/// What a message is in the context pane: its category and a one-line label. A call's
/// target is remembered for the label of its result.
fn message_label<'m>(
    state: &SessionState,
    i: usize,
    m: &'m ChatMessage,
    calls: &mut HashMap<&'m str, String>,
) -> (Category, String) {
    match m {
        ChatMessage::User { text } => match state.stage_messages.get(&i) {
            Some(Category::Memory) => {
                let names: Vec<&str> = crate::core::memory::sections(text)
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect();
                (
                    Category::Memory,
                    format!("project memory: {}", names.join(", ")),
                )
            }
            Some(c) => (*c, one_line(text)),
            None => (Category::User, format!("you: {}", one_line(text))),
        },
        ChatMessage::Assistant {
            text, tool_calls, ..
        } => {
            for c in tool_calls {
                calls.insert(&c.id, format!("{} {}", c.name, call_target(&c.arguments)));
            }
            let label = if text.trim().is_empty() {
                let names: Vec<&str> = tool_calls.iter().map(|c| c.name.as_str()).collect();
                format!("model calls {}", names.join(", "))
            } else {
                format!("model: {}", one_line(text))
            };
            (Category::Assistant, label)
        }
        ChatMessage::ToolResult { call_id, .. } => (
            Category::ToolResults,
            format!(
                "result of {}",
                calls
                    .get(call_id.as_str())
                    .cloned()
                    .unwrap_or_else(|| call_id.clone())
            ),
        ),
    }
}
