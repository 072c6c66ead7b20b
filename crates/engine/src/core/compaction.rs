//! The summary request of a compaction, as Claude Code sends it: the session's own next
//! request — the same tools, system prompt and messages, so the provider reads them from its
//! prompt cache — with the instruction to summarise appended last. Only what the summary
//! replaces is new; the compacted session then starts a new prefix once. (When another model
//! summarises, or the conversation no longer fits the window, `shape::compaction_request`
//! sends a cut-down transcript instead: there is no cached prefix to keep.)

use std::fmt::Write as _;
use std::sync::Arc;

use crate::config::ActiveProvider;
use crate::provider::{ChatMessage, ChatRequest};

use super::{SessionState, shape, turn};

/// Characters of the latest request quoted in the instruction, so the model knows where its
/// summary stops.
const QUOTED: usize = 300;

/// Where a compaction stops: the latest request — the user's (or a plan step's), not a
/// note gearshift added after it (AGENTS.md changed, a stage's instructions), else any —
/// which stays, with everything after it. `None` when there is nothing (new) before it to
/// summarise.
#[must_use]
pub fn through(state: &SessionState) -> Option<usize> {
    let start = shape::kept_from(state);
    let users = || {
        state
            .conversation
            .iter()
            .enumerate()
            .rev()
            .filter(|(i, m)| *i > start && matches!(&***m, ChatMessage::User { .. }))
            .map(|(i, _)| i)
    };
    users()
        .find(|i| !state.stage_messages.contains_key(i))
        .or_else(|| users().next())
}

/// The session's next request with the instruction to summarise everything before message
/// `through` (the latest prompt, which stays) appended as the last user message.
#[must_use]
pub fn in_place(
    state: &SessionState,
    provider: &ActiveProvider,
    memory: &str,
    catalog: &str,
    registry: &crate::tools::Registry,
    through: usize,
    focus: Option<&str>,
) -> ChatRequest {
    let mut request = turn::build_request(state, provider, memory, catalog, registry);
    // Inside a tool loop the instruction joins the tool results' user turn: thinking stays as
    // the loop has it (a loop begun without thinking must end without it, and a change of the
    // thinking settings would void the cached messages anyway).
    let in_loop = matches!(
        request.messages.last().map(|m| &**m),
        Some(ChatMessage::ToolResult { .. })
    );
    if in_loop && !crate::provider::budget_thinking(&request) {
        request.reasoning.budget = None;
        if request.reasoning.style == crate::provider::ReasoningStyle::Anthropic {
            request.reasoning.effort = Some(crate::provider::Effort::Off);
        }
    }
    request.messages.push(Arc::new(ChatMessage::User {
        text: instruction(state, through, focus),
    }));
    request
}

/// What the model is asked: a summary of what comes before the latest request, nothing else.
#[must_use]
pub fn instruction(state: &SessionState, through: usize, focus: Option<&str>) -> String {
    let mut out = String::from(
        "Note from gearshift: the conversation is being compacted to free the context window. \
         Do not call any tool and do not continue the work: reply with only a summary of the \
         conversation above, for the assistant who will continue it — the user's goals and \
         constraints, decisions taken and why, files read or changed (with paths) and what \
         changed, commands run and their outcome, the current state of the work, and open \
         questions. Keep names, paths and numbers exact. Write plain Markdown, at most about \
         600 words.",
    );
    if let Some(ChatMessage::User { text }) = state.conversation.get(through).map(|m| &**m) {
        let quoted: String = text.chars().take(QUOTED).collect();
        let more = if quoted.len() < text.len() { "…" } else { "" };
        let _ = write!(
            out,
            "\n\nSummarise only what comes before the user's latest request, which stays as \
             it is together with everything after it:\n> {}{more}",
            quoted.replace('\n', "\n> ")
        );
    }
    let kept = shape::kept_verbatim_before(state, through);
    if !kept.is_empty() {
        out.push_str("\n\nThese stay as they are too, so leave them out of the summary:");
        for i in kept {
            let text = crate::context::ledger::message_text(&state.conversation[i]);
            let _ = write!(out, "\n- {}", text.lines().next().unwrap_or_default());
        }
    }
    if let Some(f) = focus.map(str::trim).filter(|f| !f.is_empty()) {
        let _ = write!(out, "\n\nFocus the summary on: {f}.");
    }
    out
}
