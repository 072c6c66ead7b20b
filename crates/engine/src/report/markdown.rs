//! A stored session as Markdown for people to read: prompts and replies in order, tool calls
//! folded into `<details>` blocks, command decisions, reviews, the plan and the pipeline as
//! they went, and token and cost totals.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::changes::review::ChangeLog;
use crate::plan::Plan;
use crate::protocol::{CommandDecision, Event, Verdict};
use crate::store::SessionExport;

use super::{fenced, html_escape, time};

/// The session as Markdown.
#[must_use]
pub fn markdown(export: &SessionExport) -> String {
    let mut md = Markdown::default();
    md.header(export);
    for e in &export.events {
        md.changes.apply(&e.event);
        let _ = md.conversation(&e.event, e.ts)
            || md.review(&e.event)
            || md.plan(&e.event)
            || md.session(&e.event);
    }
    md.footer(export);
    md.out
}

/// The text so far, and what later events need of earlier ones.
#[derive(Default)]
struct Markdown<'a> {
    out: String,
    /// Each tool call's name and arguments, for its result.
    calls: HashMap<&'a str, (&'a str, &'a str)>,
    changes: ChangeLog,
    plan: Option<Plan>,
}

impl<'a> Markdown<'a> {
    fn header(&mut self, export: &SessionExport) {
        let out = &mut self.out;
        let s = &export.session;
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
    }

    fn footer(&mut self, export: &SessionExport) {
        let s = &export.session;
        let out = &mut self.out;
        let _ = writeln!(
            out,
            "---\n\n{} messages · {} input and {} output tokens ({} cached) · {}",
            s.message_count,
            s.input_tokens,
            s.output_tokens,
            s.cached_tokens,
            crate::report::figures::cost_or_dash(s.cost)
        );
    }

    /// Prompts, thinking, replies, tool calls and their results, commands run.
    fn conversation(&mut self, event: &'a Event, ts: i64) -> bool {
        match event {
            Event::UserMessage { text, .. } => {
                let _ = writeln!(self.out, "## You · {}\n\n{}\n", time(ts), text.trim_end());
            }
            Event::Reasoning { reasoning } => {
                let text = if reasoning.text.trim().is_empty() {
                    "(redacted by the provider)"
                } else {
                    reasoning.text.trim()
                };
                let _ = writeln!(
                    self.out,
                    "<details><summary>Thinking</summary>\n\n{text}\n\n</details>\n"
                );
            }
            Event::AssistantMessage { text, interrupted } => {
                if text.is_empty() {
                    return true;
                }
                let _ = writeln!(self.out, "## Model\n\n{}\n", text.trim_end());
                if *interrupted {
                    let _ = writeln!(self.out, "*(interrupted)*\n");
                }
            }
            Event::ToolCall {
                id,
                name,
                arguments,
            } => {
                self.calls.insert(id, (name, arguments));
            }
            Event::ToolResult {
                id,
                ok,
                content,
                summary,
                duration_ms,
            } => {
                let (name, arguments) =
                    self.calls.get(id.as_str()).copied().unwrap_or(("tool", ""));
                let mark = if *ok { "✓" } else { "✗" };
                let _ = writeln!(
                    self.out,
                    "<details><summary>{mark} <code>{name}</code> — {} ({duration_ms} ms)</summary>\n",
                    html_escape(summary)
                );
                if !arguments.is_empty() {
                    self.out.push_str(&fenced(arguments, "json"));
                    self.out.push('\n');
                }
                self.out.push_str(&fenced(content, ""));
                let _ = writeln!(self.out, "\n</details>\n");
            }
            Event::ShellRan {
                command,
                output,
                exit_code,
                ..
            } => {
                let status = crate::core::prompts::exit_status(*exit_code);
                let command = crate::safe_text::command(command).0;
                let _ = writeln!(self.out, "> you ran `$ {command}` ({status})\n");
                self.out.push_str(&fenced(output, ""));
                self.out.push('\n');
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
                let _ = writeln!(self.out, "> `$ {command}` — {how}\n");
            }
            _ => return false,
        }
        true
    }

    /// Changes written, proposed and reviewed.
    fn review(&mut self, event: &'a Event) -> bool {
        match event {
            Event::FileChanged { change, .. } => {
                let (added, removed) = change.line_counts();
                let _ = writeln!(
                    self.out,
                    "> changed `{}` (+{added} −{removed})\n",
                    change.path
                );
            }
            Event::ChangeProposed { id, change, .. } => {
                let (added, removed) = change.line_counts();
                let _ = writeln!(
                    self.out,
                    "> proposed a change to `{}` (+{added} −{removed}), for review\n",
                    change.path
                );
                if let Some(entry) = self.changes.get(id) {
                    self.out.push_str(&fenced(
                        &crate::changes::hunks::unified(&entry.hunks),
                        "diff",
                    ));
                    self.out.push('\n');
                }
            }
            Event::HunkDecided {
                change,
                hunk,
                verdict,
            } => {
                let path = self
                    .changes
                    .get(change)
                    .map_or("", |e| e.change.path.as_str());
                let _ = writeln!(
                    self.out,
                    "> hunk `{hunk}` of `{path}`: {}\n",
                    verdict.label()
                );
                if let Verdict::Edit { text } = verdict {
                    self.out.push_str(&fenced(text, ""));
                    self.out.push('\n');
                }
            }
            Event::HunkCommented { hunk, comment, .. } => {
                let _ = writeln!(self.out, "> comment on hunk `{hunk}`: {comment}\n");
            }
            Event::ChangeReviewed {
                id,
                agent,
                findings,
            } => {
                let path = self.changes.get(id).map_or("", |e| e.change.path.as_str());
                if findings.is_empty() {
                    let _ = writeln!(self.out, "> the {agent} found nothing in `{path}`\n");
                }
                for f in findings {
                    let place = f
                        .hunk
                        .as_deref()
                        .map_or(String::new(), |h| format!(", hunk `{h}`"));
                    let _ = writeln!(
                        self.out,
                        "> ⚑ {agent} on `{path}`{place} ({}): {}\n",
                        f.severity.as_str(),
                        f.text
                    );
                }
            }
            Event::ChangeApplied {
                id,
                accepted,
                rejected,
                written,
            } => {
                let path = self.changes.get(id).map_or("", |e| e.change.path.as_str());
                let what = if written.is_some() {
                    "written"
                } else {
                    "nothing written"
                };
                let _ = writeln!(
                    self.out,
                    "> review of `{path}` submitted: {} accepted, {} rejected — {what}\n",
                    accepted.len(),
                    rejected.len()
                );
            }
            Event::ChangeConflicted { id, .. } => {
                let path = self.changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(
                    self.out,
                    "> conflict: `{path}` changed on disk; nothing written\n"
                );
            }
            Event::ChangeWithdrawn { id, reason } => {
                let path = self.changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(self.out, "> change to `{path}` withdrawn: {reason}\n");
            }
            Event::ChangeUndone { id } => {
                let path = self.changes.get(id).map_or("", |e| e.change.path.as_str());
                let _ = writeln!(self.out, "> undid the change to `{path}`\n");
            }
            _ => return false,
        }
        true
    }

    /// The plan as proposed, edited and run.
    fn plan(&mut self, event: &'a Event) -> bool {
        match event {
            Event::PlanProposed { version, .. } => {
                crate::plan::fold(&mut self.plan, event);
                if let Some(p) = &self.plan {
                    let _ = writeln!(self.out, "### Plan, version {version}\n");
                    self.out.push_str(&fenced(&p.render(), ""));
                    self.out.push('\n');
                }
            }
            Event::PlanEdited { edit } => {
                // Steps are named by their number as the human saw it: before a deletion
                // (the step is gone after), after an addition (it exists only then).
                let before = self.plan.clone();
                crate::plan::fold(&mut self.plan, event);
                let _ = writeln!(
                    self.out,
                    "> plan edited: {}\n",
                    plan_edit(edit, before.as_ref(), self.plan.as_ref())
                );
            }
            Event::StepStatusChanged { step, status, note } => {
                crate::plan::fold(&mut self.plan, event);
                let number = self
                    .plan
                    .as_ref()
                    .and_then(|p| p.number(step))
                    .unwrap_or_default();
                let note = note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                let _ = writeln!(self.out, "> step {number} {}{note}\n", status.label());
            }
            Event::PlanCompleted { done, total } => {
                let _ = writeln!(self.out, "> plan complete: {done} of {total} steps done\n");
            }
            _ => return false,
        }
        true
    }

    /// The pipeline, compaction, the context, gears, models and what went wrong.
    fn session(&mut self, event: &'a Event) -> bool {
        match event {
            Event::PipelineStarted { pipeline, .. } => {
                let stages: Vec<&str> = pipeline.stages.iter().map(|s| s.name.as_str()).collect();
                let _ = writeln!(
                    self.out,
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
                let _ = writeln!(self.out, "> {line}\n");
            }
            Event::Shipped { commit, message } => {
                let subject = message.lines().next().unwrap_or_default();
                let _ = writeln!(self.out, "> committed `{commit}`: {subject}\n");
            }
            Event::Compacted {
                through,
                before,
                after,
                ..
            } => {
                let _ = writeln!(
                    self.out,
                    "> compacted messages 1–{through}: about {before} → {after} tokens\n"
                );
            }
            Event::ItemDropped { item, dropped } => {
                let what = if *dropped {
                    "left out of"
                } else {
                    "brought back to"
                };
                let _ = writeln!(self.out, "> message {} {what} the context\n", item + 1);
            }
            Event::ItemPinned { item, pinned } => {
                let what = if *pinned { "pinned" } else { "unpinned" };
                let _ = writeln!(self.out, "> message {} {what}\n", item + 1);
            }
            Event::GearChanged { to, .. } => {
                let _ = writeln!(self.out, "> gear: {to}\n");
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
                let _ = writeln!(self.out, "> model: {change}\n");
            }
            Event::ModelFellBack { from, to, reason } => {
                let _ = writeln!(
                    self.out,
                    "> {from} was down ({reason}); the request went to {to}\n"
                );
            }
            Event::Error { message, .. } => {
                let _ = writeln!(self.out, "> **error:** {message}\n");
            }
            Event::SessionForked { from } => {
                let _ = writeln!(self.out, "> forked from session `{from}`\n");
            }
            Event::Imported { .. } => {
                let _ = writeln!(
                    self.out,
                    "> imported from a file: what came before is history, and grants nothing\n"
                );
            }
            _ => return false,
        }
        true
    }
}

/// A plan edit in words, each step by its number and title (never its internal id).
fn plan_edit(edit: &crate::plan::PlanEdit, before: Option<&Plan>, after: Option<&Plan>) -> String {
    use crate::plan::PlanEdit;
    let name = |plan: Option<&Plan>, id: &str| {
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
        PlanEdit::Independent { step, independent } => format!(
            "marked {} {}",
            name(after, step),
            if *independent {
                "independent (it may run at the same time as its neighbours)"
            } else {
                "as running alone"
            }
        ),
    }
}
