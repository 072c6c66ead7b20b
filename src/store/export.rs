//! Exporting sessions: a JSON document that imports back event for event (so a session moves
//! between machines intact), and Markdown for people to read.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::read::{Reader, SessionSummary};
use crate::protocol::{CommandDecision, Event};

pub const EXPORT_FORMAT: &str = "gearshift-session";
pub const EXPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedEvent {
    pub seq: i64,
    /// Unix milliseconds.
    pub ts: i64,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionExport {
    pub format: String,
    pub version: u32,
    pub session: SessionSummary,
    pub events: Vec<ExportedEvent>,
}

impl Reader {
    /// The whole session as an export document.
    pub fn export(&self, id: &str) -> Result<SessionExport, StoreError> {
        let session = self
            .session(id)?
            .ok_or_else(|| StoreError::UnknownSession(id.to_string()))?;
        let events = self
            .events(id)?
            .into_iter()
            .map(|e| ExportedEvent {
                seq: e.seq,
                ts: e.ts,
                event: e.event,
            })
            .collect();
        Ok(SessionExport {
            format: EXPORT_FORMAT.into(),
            version: EXPORT_VERSION,
            session,
            events,
        })
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A fenced block that cannot be closed early by backticks inside `text`.
fn fenced(text: &str, lang: &str) -> String {
    let mut fence = "```".to_string();
    while text.contains(&fence) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", text.trim_end())
}

/// The session as Markdown: prompts and replies in order, tool calls folded into `<details>`
/// blocks, command decisions and file changes, and token and cost totals.
#[must_use]
pub fn markdown(export: &SessionExport) -> String {
    let s = &export.session;
    let mut out = String::new();
    let title = if s.title.is_empty() {
        "Untitled session"
    } else {
        &s.title
    };
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(
        out,
        "- session `{}` · {} / {} · {} gear\n- workspace `{}`\n- {} → {}\n",
        s.id,
        s.provider,
        s.model,
        s.gear,
        s.workspace,
        time(s.created_at),
        time(s.updated_at)
    );
    let mut calls: std::collections::HashMap<&str, (&str, &str)> = std::collections::HashMap::new();
    for e in &export.events {
        match &e.event {
            Event::UserMessage { text, .. } => {
                let _ = writeln!(out, "## You · {}\n\n{}\n", time(e.ts), text.trim_end());
            }
            Event::AssistantMessage { text, interrupted } => {
                if text.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "## Model\n\n{}\n", text.trim_end());
                if *interrupted {
                    let _ = writeln!(out, "*(interrupted)*\n");
                }
            }
            Event::ToolCall {
                id,
                name,
                arguments,
            } => {
                calls.insert(id, (name, arguments));
            }
            Event::ToolResult {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => {
                let (name, arguments) = calls.get(id.as_str()).copied().unwrap_or(("tool", ""));
                let mark = if *ok { "✓" } else { "✗" };
                let _ = writeln!(
                    out,
                    "<details><summary>{mark} <code>{name}</code> — {} ({duration_ms} ms)</summary>\n",
                    html_escape(summary)
                );
                if !arguments.is_empty() {
                    out.push_str(&fenced(arguments, "json"));
                    out.push('\n');
                }
                out.push_str(&fenced(content, ""));
                let _ = writeln!(out, "\n</details>\n");
            }
            Event::CommandDecided {
                command, decision, ..
            } => {
                let how = match decision {
                    CommandDecision::Once => "approved once".to_string(),
                    CommandDecision::Always => "approved for the session".to_string(),
                    CommandDecision::Allowed => "allowed by configuration".to_string(),
                    CommandDecision::Headless => "approved headless".to_string(),
                    CommandDecision::Denied { reason } => match reason {
                        Some(r) => format!("denied: {r}"),
                        None => "denied".to_string(),
                    },
                };
                let _ = writeln!(out, "> `$ {command}` — {how}\n");
            }
            Event::FileChanged { change, .. } => {
                let (added, removed) = change.line_counts();
                let _ = writeln!(out, "> changed `{}` (+{added} −{removed})\n", change.path);
            }
            Event::GearChanged { to, .. } => {
                let _ = writeln!(out, "> gear: {to}\n");
            }
            Event::Error { message, .. } => {
                let _ = writeln!(out, "> **error:** {message}\n");
            }
            Event::SessionForked { from } => {
                let _ = writeln!(out, "> forked from session `{from}`\n");
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "---\n\n{} messages · {} input and {} output tokens ({} cached) · ${:.4}",
        s.message_count, s.input_tokens, s.output_tokens, s.cached_tokens, s.cost
    );
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
