//! Exporting sessions: a JSON document that imports back event for event (so a session moves
//! between machines intact), and Markdown for people to read.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::read::{Reader, SessionSummary};
use crate::changes::review::{ChangeLog, ChangeStatus};
use crate::protocol::{CommandDecision, Event, Verdict};

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
    if s.imported {
        let _ = writeln!(
            out,
            "- imported from a file: its history is evidence, and grants nothing here\n"
        );
    }
    let mut calls: std::collections::HashMap<&str, (&str, &str)> = std::collections::HashMap::new();
    let mut changes = ChangeLog::default();
    let mut plan: Option<crate::plan::Plan> = None;
    for e in &export.events {
        changes.apply(&e.event);
        match &e.event {
            Event::UserMessage { text, .. } => {
                let _ = writeln!(out, "## You · {}\n\n{}\n", time(e.ts), text.trim_end());
            }
            Event::Reasoning { reasoning } => {
                let text = if reasoning.text.trim().is_empty() {
                    "(redacted by the provider)"
                } else {
                    reasoning.text.trim()
                };
                let _ = writeln!(
                    out,
                    "<details><summary>Thinking</summary>\n\n{text}\n\n</details>\n"
                );
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
            Event::ShellRan {
                command,
                output,
                exit_code,
                ..
            } => {
                let status = crate::core::prompts::exit_status(*exit_code);
                let command = crate::safe_text::command(command).0;
                let _ = writeln!(out, "> you ran `$ {command}` ({status})\n");
                out.push_str(&fenced(output, ""));
                out.push('\n');
            }
            Event::CommandDecided {
                command, decision, ..
            } => {
                let how = match decision {
                    CommandDecision::Once => "approved once".to_string(),
                    CommandDecision::Always => "approved for the session".to_string(),
                    CommandDecision::Allowed => "allowed by configuration".to_string(),
                    CommandDecision::Headless => "approved headless".to_string(),
                    CommandDecision::Skill { skill } => {
                        format!("pre-approved by the skill `{skill}`")
                    }
                    CommandDecision::Hook { source } => {
                        format!("allowed by a PreToolUse hook in {source}")
                    }
                    CommandDecision::Denied { reason } => match reason {
                        Some(r) => format!("denied: {r}"),
                        None => "denied".to_string(),
                    },
                };
                let command = crate::safe_text::command(command).0;
                let _ = writeln!(out, "> `$ {command}` — {how}\n");
            }
            Event::FileChanged { change, .. } => {
                let (added, removed) = change.line_counts();
                let _ = writeln!(out, "> changed `{}` (+{added} −{removed})\n", change.path);
            }
            Event::ChangeProposed { id, change, .. } => {
                let (added, removed) = change.line_counts();
                let _ = writeln!(
                    out,
                    "> proposed a change to `{}` (+{added} −{removed}), for review\n",
                    change.path
                );
                if let Some(entry) = changes.get(id) {
                    out.push_str(&fenced(
                        &crate::changes::hunks::unified(&entry.hunks),
                        "diff",
                    ));
                    out.push('\n');
                }
            }
            Event::HunkDecided {
                change,
                hunk,
                verdict,
            } => {
                let path = changes.get(change).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(out, "> hunk `{hunk}` of `{path}`: {}\n", verdict.label());
                if let Verdict::Edit { text } = verdict {
                    out.push_str(&fenced(text, ""));
                    out.push('\n');
                }
            }
            Event::HunkCommented { hunk, comment, .. } => {
                let _ = writeln!(out, "> comment on hunk `{hunk}`: {comment}\n");
            }
            Event::ChangeApplied {
                id,
                accepted,
                rejected,
                written,
            } => {
                let path = changes.get(id).map_or("", |e| e.change.path.as_str());
                let what = if written.is_some() {
                    "written"
                } else {
                    "nothing written"
                };
                let _ = writeln!(
                    out,
                    "> review of `{path}` submitted: {} accepted, {} rejected — {what}\n",
                    accepted.len(),
                    rejected.len()
                );
            }
            Event::ChangeConflicted { id, .. } => {
                let path = changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(
                    out,
                    "> conflict: `{path}` changed on disk; nothing written\n"
                );
            }
            Event::ChangeWithdrawn { id, reason } => {
                let path = changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(out, "> change to `{path}` withdrawn: {reason}\n");
            }
            Event::ChangeUndone { id } => {
                let path = changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(out, "> undid the change to `{path}`\n");
            }
            Event::PlanProposed { version, .. } => {
                crate::plan::fold(&mut plan, &e.event);
                if let Some(p) = &plan {
                    let _ = writeln!(out, "### Plan, version {version}\n");
                    out.push_str(&fenced(&p.render(), ""));
                    out.push('\n');
                }
            }
            Event::PlanEdited { edit } => {
                // Steps are named by their number as the human saw it: before a deletion
                // (the step is gone after), after an addition (it exists only then).
                let before = plan.clone();
                crate::plan::fold(&mut plan, &e.event);
                let _ = writeln!(
                    out,
                    "> plan edited: {}\n",
                    plan_edit(edit, before.as_ref(), plan.as_ref())
                );
            }
            Event::StepStatusChanged { step, status, note } => {
                crate::plan::fold(&mut plan, &e.event);
                let number = plan
                    .as_ref()
                    .and_then(|p| p.number(step))
                    .unwrap_or_default();
                let note = note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                let _ = writeln!(out, "> step {number} {}{note}\n", status.label());
            }
            Event::PlanCompleted { done, total } => {
                let _ = writeln!(out, "> plan complete: {done} of {total} steps done\n");
            }
            Event::PipelineStarted { pipeline, .. } => {
                let stages: Vec<&str> = pipeline.stages.iter().map(|s| s.name.as_str()).collect();
                let _ = writeln!(
                    out,
                    "> pipeline `{}` started: {}\n",
                    pipeline.name,
                    stages.join(" → ")
                );
            }
            Event::Stage { event } => {
                use crate::pipeline::StageEvent;
                let line = match event {
                    StageEvent::Started { stage } => format!("stage `{stage}` started"),
                    StageEvent::AtGate { stage } => format!("stage `{stage}` at its gate"),
                    StageEvent::GatePassed { stage } => format!("stage `{stage}` passed"),
                    StageEvent::SentBack { stage, comments } => {
                        format!("stage `{stage}` sent back: {comments}")
                    }
                    StageEvent::Skipped { stage } => format!("stage `{stage}` skipped"),
                    StageEvent::Answered { stage } => {
                        format!("stage `{stage}` continues with the user's reply")
                    }
                    StageEvent::VerifyFailed { round, .. } => {
                        format!("the test command failed (round {round})")
                    }
                };
                let _ = writeln!(out, "> {line}\n");
            }
            Event::Shipped { commit, message } => {
                let subject = message.lines().next().unwrap_or_default();
                let _ = writeln!(out, "> committed `{commit}`: {subject}\n");
            }
            Event::Compacted {
                through,
                before,
                after,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "> compacted messages 1–{through}: about {before} → {after} tokens\n"
                );
            }
            Event::ItemDropped { item, dropped } => {
                let what = if *dropped {
                    "left out of"
                } else {
                    "brought back to"
                };
                let _ = writeln!(out, "> message {} {what} the context\n", item + 1);
            }
            Event::ItemPinned { item, pinned } => {
                let what = if *pinned { "pinned" } else { "unpinned" };
                let _ = writeln!(out, "> message {} {what}\n", item + 1);
            }
            Event::GearChanged { to, .. } => {
                let _ = writeln!(out, "> gear: {to}\n");
            }
            Event::ModelChanged {
                provider,
                model,
                route,
                routed,
            } => {
                let change = crate::core::routing::describe_change(
                    provider,
                    model,
                    route.as_deref(),
                    *routed,
                );
                let _ = writeln!(out, "> model: {change}\n");
            }
            Event::ModelFellBack { from, to, reason } => {
                let _ = writeln!(
                    out,
                    "> {from} was down ({reason}); the request went to {to}\n"
                );
            }
            Event::Error { message, .. } => {
                let _ = writeln!(out, "> **error:** {message}\n");
            }
            Event::SessionForked { from } => {
                let _ = writeln!(out, "> forked from session `{from}`\n");
            }
            Event::Imported { .. } => {
                let _ = writeln!(
                    out,
                    "> imported from a file: what came before is history, and grants nothing\n"
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "---\n\n{} messages · {} input and {} output tokens ({} cached) · {}",
        s.message_count,
        s.input_tokens,
        s.output_tokens,
        s.cached_tokens,
        super::stats::cost_or_dash(s.cost)
    );
    out
}

/// A plan edit in words, each step by its number and title (never its internal id).
fn plan_edit(
    edit: &crate::plan::PlanEdit,
    before: Option<&crate::plan::Plan>,
    after: Option<&crate::plan::Plan>,
) -> String {
    use crate::plan::PlanEdit;
    let name = |plan: Option<&crate::plan::Plan>, id: &str| {
        plan.and_then(|p| Some((p.number(id)?, p.step(id)?.title.clone())))
            .map_or_else(
                || "a step".to_string(),
                |(n, title)| format!("step {n} \"{title}\""),
            )
    };
    match edit {
        PlanEdit::Approve { step } => format!("approved {}", name(after, step)),
        PlanEdit::ApproveAll => "approved every step".into(),
        PlanEdit::Reject { step } => format!("rejected {}", name(after, step)),
        PlanEdit::Edit { step, title, .. } => {
            format!("{} now reads \"{title}\"", name(before, step))
        }
        PlanEdit::Add { id, .. } => format!("added {}", name(after, id)),
        PlanEdit::Delete { step } => format!("deleted {}", name(before, step)),
        PlanEdit::Move { step, up } => format!(
            "moved {} {} (now {})",
            name(before, step),
            if *up { "up" } else { "down" },
            after.and_then(|p| p.number(step)).unwrap_or_default()
        ),
        PlanEdit::Comment { step, text } => format!("comment on {}: {text}", name(after, step)),
    }
}

/// Which session, plan step and decision wrote each file: one line per change, for
/// `gearshift sessions show ID --changes`.
#[must_use]
pub fn change_audit(export: &SessionExport) -> String {
    let mut changes = ChangeLog::default();
    let mut when = std::collections::HashMap::new();
    // The plan as it stood, to name the step that was running when a change was made.
    let mut plan: Option<crate::plan::Plan> = None;
    let mut step_of = std::collections::HashMap::new();
    for e in &export.events {
        match &e.event {
            Event::FileChanged { id, .. } | Event::ChangeProposed { id, .. } => {
                when.insert(id.clone(), e.ts);
                let running = plan.as_ref().and_then(|p| p.number(&p.running()?.id));
                if let Some(number) = running {
                    step_of.insert(id.clone(), number);
                }
            }
            _ => {
                crate::plan::fold(&mut plan, &e.event);
            }
        }
        changes.apply(&e.event);
    }
    let short = &export.session.id[..export.session.id.len().min(8)];
    if changes.entries.is_empty() {
        return format!("session {short} changed no files\n");
    }
    let mut out = String::new();
    // The file column is as wide as its longest path: a path never runs into its decision.
    let file_width = changes
        .entries
        .iter()
        .map(|e| e.change.path.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        out,
        "{:<20} {:<9} {:<14} {:<6} {:<file_width$}  DECISION",
        "WHEN", "SESSION", "CHANGE", "STEP", "FILE"
    );
    for e in &changes.entries {
        let (added, removed) = e.counts();
        let decision = match &e.status {
            ChangeStatus::Applied => "applied at once (vibe)".to_string(),
            ChangeStatus::Undone => "applied, then undone".to_string(),
            ChangeStatus::Pending => format!("awaiting review ({} undecided)", e.undecided()),
            ChangeStatus::Conflicted { .. } => "conflict: file changed on disk".to_string(),
            ChangeStatus::Withdrawn { reason } => format!("withdrawn: {reason}"),
            ChangeStatus::Reviewed { written } => {
                let parts: Vec<String> = e
                    .hunks
                    .iter()
                    .map(|h| {
                        let verdict = e.verdicts.get(&h.id).map_or("undecided", Verdict::label);
                        match e.comments.get(&h.id) {
                            Some(c) => format!("{} {verdict} (\"{c}\")", h.id),
                            None => format!("{} {verdict}", h.id),
                        }
                    })
                    .collect();
                let head = if *written {
                    "written"
                } else {
                    "nothing written"
                };
                format!("{head}: {}", parts.join("; "))
            }
        };
        let _ = writeln!(
            out,
            "{:<20} {:<9} {:<14} {:<6} {:<file_width$}  {decision} [+{added} −{removed}]",
            time(when.get(&e.id).copied().unwrap_or(0)),
            short,
            &e.id[..e.id.len().min(14)],
            step_of.get(&e.id).map_or("-", String::as_str),
            e.change.path,
        );
    }
    out
}

/// Every stop at a checkpoint (a `[[checkpoints]]` rule or a path only a human writes) and how
/// it was decided: one line each, for `gearshift sessions show ID --checkpoints`.
#[must_use]
pub fn checkpoint_audit(export: &SessionExport) -> String {
    // (when, what, why, the call or change it stopped)
    let mut hits: Vec<(i64, String, String, String)> = Vec::new();
    let mut changes = ChangeLog::default();
    let mut decided: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for e in &export.events {
        match &e.event {
            Event::ChangeProposed {
                id,
                change,
                checkpoint: Some(why),
                ..
            } => hits.push((
                e.ts,
                format!("write {}", change.path),
                why.clone(),
                id.clone(),
            )),
            Event::CommandApprovalRequested {
                id,
                command,
                checkpoint: Some(why),
            } => hits.push((
                e.ts,
                format!("run `{}`", crate::safe_text::command(command).0),
                why.clone(),
                id.clone(),
            )),
            Event::CommandDecided { id, decision, .. } => {
                let text = match decision {
                    CommandDecision::Denied { reason } => format!(
                        "denied{}",
                        reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    _ => "approved".to_string(),
                };
                decided.insert(id.clone(), text);
            }
            _ => {}
        }
        changes.apply(&e.event);
    }
    let short = &export.session.id[..export.session.id.len().min(8)];
    if hits.is_empty() {
        return format!("session {short} stopped at no checkpoint\n");
    }
    let mut out = String::new();
    for (ts, what, why, id) in hits {
        let decision = match changes.get(&id) {
            Some(entry) => match &entry.status {
                ChangeStatus::Reviewed { written: true } => "accepted and written".to_string(),
                ChangeStatus::Reviewed { written: false } => "rejected".to_string(),
                ChangeStatus::Pending => "awaiting review".to_string(),
                ChangeStatus::Withdrawn { reason } => format!("withdrawn: {reason}"),
                other => format!("{other:?}").to_lowercase(),
            },
            None => decided
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "awaiting a decision".into()),
        };
        let _ = writeln!(out, "{}  {what}\n    {why}\n    → {decision}", time(ts));
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
