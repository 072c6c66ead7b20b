//! Lines of code: what a change holds when it is written at once or proposed, and how much
//! of it each decision took, left or undid — by writer (a file tool, a command, a subagent, a
//! plan step's worker).

use std::collections::HashMap;

use gearshift_protocol::{Event, FileChange, Verdict};

use super::cx::{Cx, checkpoint_records, checkpoint_rule};
use super::record::{Record, count, kv};
use crate::names::{event, metric};

/// Changes a session's translator remembers, proposed or written.
const MAX_KEPT: usize = 20_000;

/// Added and removed lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Lines {
    added: u64,
    removed: u64,
}

impl Lines {
    /// What turns `change.before` into `change.after`, by lines (nothing for what is not
    /// text: a link, a binary file, a mode).
    fn of(change: &FileChange) -> Lines {
        if change.special.is_some() {
            return Lines::default();
        }
        let before = change.before.as_deref().unwrap_or("");
        let after = change.after.as_deref().unwrap_or("");
        // A deadline: a huge rewrite costs the export thread a moment, not a core.
        let diff = similar::TextDiff::configure()
            .timeout(std::time::Duration::from_millis(100))
            .diff_lines(before, after);
        let mut lines = Lines::default();
        for op in diff.ops() {
            for c in diff.iter_changes(op) {
                match c.tag() {
                    similar::ChangeTag::Insert => lines.added += 1,
                    similar::ChangeTag::Delete => lines.removed += 1,
                    similar::ChangeTag::Equal => {}
                }
            }
        }
        lines
    }

    fn minus(self, other: Lines) -> Lines {
        Lines {
            added: self.added.saturating_sub(other.added),
            removed: self.removed.saturating_sub(other.removed),
        }
    }
}

/// The change ids a session has proposed or written, with their lines.
#[derive(Default)]
pub(super) struct Changes {
    /// Proposed and not yet decided: its lines and its file's kind.
    proposed: HashMap<String, (Lines, String)>,
    /// Written, which an undo takes back.
    written: HashMap<String, Lines>,
}

/// Who wrote a change, from the tool of its call (`tool`: its name, empty when none made it).
fn writer(tool: &str, change: &str) -> &'static str {
    match tool {
        "task" => "subagent",
        "write_file" | "edit_file" | "delete_file" | "move_file" => "file_tool",
        "" if change.starts_with("merge-") => "worker",
        "" | "unknown" => "other",
        _ if change.contains('#') => "command",
        _ => "file_tool",
    }
}

/// The kind of file, by its extension: counted by language without saying which file.
fn language(path: &str) -> String {
    std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 12 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map_or_else(|| "none".to_string(), str::to_ascii_lowercase)
}

impl Changes {
    /// The records of a change event; `None` for any other event.
    pub(super) fn on(
        &mut self,
        e: &Event,
        tool: &dyn Fn(&str) -> String,
        cx: &Cx<'_>,
    ) -> Option<Vec<Record>> {
        let mut out = Vec::new();
        // A very long session forgets its oldest changes rather than grow without bound.
        if self.written.len() >= MAX_KEPT {
            self.written.clear();
        }
        if self.proposed.len() >= MAX_KEPT {
            self.proposed.clear();
        }
        match e {
            Event::FileChanged { id, change } => {
                let lines = Lines::of(change);
                self.written.insert(id.clone(), lines);
                out.extend(lines_records(cx, lines, "applied", writer(&tool(id), id)));
            }
            Event::ChangeProposed {
                id,
                change,
                checkpoint,
                ..
            } => {
                self.proposed
                    .insert(id.clone(), (Lines::of(change), language(&change.path)));
                if let Some(why) = checkpoint {
                    out.extend(checkpoint_records(cx, checkpoint_rule(why), "change"));
                }
            }
            Event::HunkDecided { .. } if !cx.lines => {}
            Event::HunkDecided {
                change, verdict, ..
            } => {
                let decision = match verdict {
                    Verdict::Accept => "accept",
                    Verdict::Reject => "reject",
                    Verdict::Edit { .. } => "edit",
                };
                let mut attrs = cx.base.to_vec();
                attrs.extend([kv("decision", decision), kv("source", cx.who)]);
                out.push(count(metric::HUNKS, 1, attrs.clone()));
                let language = self.proposed.get(change).map_or("none", |p| p.1.as_str());
                attrs.extend([
                    kv("language", language),
                    kv("writer", writer(&tool(change), change)),
                ]);
                out.push(Record::Event {
                    name: event::HUNK_DECISION,
                    at: cx.at,
                    attrs,
                });
            }
            Event::ChangeApplied { id, written, .. } => {
                let (proposed, _) = self.proposed.remove(id).unwrap_or_default();
                let taken = written.as_ref().map(Lines::of).unwrap_or_default();
                let by = writer(&tool(id), id);
                if written.is_some() {
                    self.written.insert(id.clone(), taken);
                }
                out.extend(lines_records(cx, taken, "accepted", by));
                out.extend(lines_records(cx, proposed.minus(taken), "rejected", by));
            }
            Event::ChangeWithdrawn { id, .. } | Event::ChangeConflicted { id, .. } => {
                self.proposed.remove(id);
            }
            Event::ChangeUndone { id } => {
                let lines = self.written.remove(id).unwrap_or_default();
                out.extend(lines_records(cx, lines, "undone", writer(&tool(id), id)));
            }
            _ => return None,
        }
        Some(out)
    }
}

fn lines_records(cx: &Cx<'_>, lines: Lines, decision: &str, writer: &str) -> Vec<Record> {
    if !cx.lines {
        return Vec::new();
    }
    [("added", lines.added), ("removed", lines.removed)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| {
            let mut attrs = cx.base.to_vec();
            attrs.extend([
                kv("type", kind),
                kv("decision", decision),
                kv("writer", writer),
            ]);
            count(metric::LINES, n, attrs)
        })
        .collect()
}
