//! The session's changes and their review, folded from events. The core and the TUI fold the
//! same events through this one model, so what the pane shows is what the core enforces.

use std::collections::HashMap;

use super::FileChange;
use super::hunks::{self, FileKind, Hunk, TextTraits, Verdict};
use crate::protocol::{Event, Finding};

/// Where a change stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStatus {
    /// Written by a tool at once (the vibe gear).
    Applied,
    /// Waiting for the human's decisions.
    Pending,
    /// The file changed on disk since the proposal; `on_disk` is what is there now.
    Conflicted { on_disk: Option<String> },
    /// Reviewed: the accepted hunks were written (`written` is false when all were rejected).
    Reviewed { written: bool },
    /// Withdrawn without being applied.
    Withdrawn { reason: String },
    /// Applied, then reverted.
    Undone,
}

impl ChangeStatus {
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            ChangeStatus::Applied => "applied",
            ChangeStatus::Pending => "review",
            ChangeStatus::Conflicted { .. } => "conflict",
            ChangeStatus::Reviewed { written: true } => "written",
            ChangeStatus::Reviewed { written: false } => "rejected",
            ChangeStatus::Withdrawn { .. } => "withdrawn",
            ChangeStatus::Undone => "undone",
        }
    }

    /// Still open for decisions.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            ChangeStatus::Pending | ChangeStatus::Conflicted { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    /// The tool call that made it.
    pub id: String,
    pub change: FileChange,
    pub kind: FileKind,
    pub traits: TextTraits,
    pub hunks: Vec<Hunk>,
    pub verdicts: HashMap<String, Verdict>,
    pub comments: HashMap<String, String>,
    /// What reviewing agents found in it, for the human (see [`Finding`]).
    pub findings: Vec<Finding>,
    pub status: ChangeStatus,
    /// What reached the disk, for undo.
    pub written: Option<FileChange>,
    /// The change touches a protected path: why only an explicit human decision writes it.
    pub checkpoint: Option<String>,
    /// It came with an imported session: a record made elsewhere, which grants nothing here —
    /// it is never undone (its "before" is the record's word, not this disk's), and never
    /// accepted without a human.
    pub imported: bool,
}

impl ChangeEntry {
    fn new(id: &str, change: &FileChange, context: usize, status: ChangeStatus) -> ChangeEntry {
        let before = change.before.as_deref().unwrap_or("");
        let after = change.after.as_deref().unwrap_or("");
        let (kind, hunks) = match (&change.renamed_from, &change.special) {
            // A move is decided whole; a content change, if any, comes as its own proposal.
            (Some(from), _) => (
                FileKind::Rename,
                vec![hunks::whole(
                    before,
                    after,
                    &format!("{from}\0{}", change.path),
                )],
            ),
            (None, Some(_)) => (
                FileKind::Special,
                vec![hunks::whole(before, after, &change.path)],
            ),
            (None, None) => (
                hunks::kind_of(before, after),
                hunks::hunks(before, after, context),
            ),
        };
        ChangeEntry {
            id: id.to_string(),
            kind,
            traits: TextTraits::of(if after.is_empty() { before } else { after }),
            hunks,
            verdicts: HashMap::new(),
            comments: HashMap::new(),
            findings: Vec::new(),
            written: (status == ChangeStatus::Applied).then(|| change.clone()),
            change: change.clone(),
            status,
            checkpoint: None,
            imported: false,
        }
    }

    #[must_use]
    pub fn hunk(&self, id: &str) -> Option<&Hunk> {
        self.hunks.iter().find(|h| h.id == id)
    }

    #[must_use]
    pub fn undecided(&self) -> usize {
        self.hunks
            .iter()
            .filter(|h| !self.verdicts.contains_key(&h.id))
            .count()
    }

    /// Lines added and removed over all hunks.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        self.hunks.iter().fold((0, 0), |(a, r), h| {
            let (ha, hr) = h.counts();
            (a + ha, r + hr)
        })
    }

    /// The file as the decisions so far would leave it.
    #[must_use]
    pub fn result(&self) -> String {
        hunks::apply(
            self.change.before.as_deref().unwrap_or(""),
            self.change.after.as_deref().unwrap_or(""),
            &self.hunks,
            |h| self.verdicts.get(&h.id),
        )
    }

    /// The tool result the model reads after the review: every hunk's decision, its comment
    /// and, for an edited hunk, the text that was applied instead.
    #[must_use]
    pub fn report(&self) -> String {
        use std::fmt::Write as _;
        let path = &self.change.path;
        let accepted = self
            .hunks
            .iter()
            .filter(|h| self.verdicts.get(&h.id).is_some_and(Verdict::writes))
            .count();
        let mut out = format!(
            "The user reviewed your change to {path}: {accepted} of {} hunks accepted",
            self.hunks.len()
        );
        out.push_str(if accepted > 0 {
            " and written; rejected hunks were not applied.\n"
        } else {
            "; nothing was written.\n"
        });
        for (i, h) in self.hunks.iter().enumerate() {
            let verdict = self.verdicts.get(&h.id).unwrap_or(&Verdict::Reject);
            let _ = write!(out, "- hunk {} {}: {}", i + 1, h.header(), verdict.label());
            if let Some(c) = self.comments.get(&h.id) {
                let _ = write!(out, ". Comment: {c}");
            }
            out.push('\n');
            if let Verdict::Edit { text } = verdict {
                let _ = writeln!(out, "  applied instead:\n```\n{}\n```", text.trim_end());
            }
        }
        if accepted > 0 {
            out.push_str("Read the file again before editing it further.");
        }
        out
    }
}

/// Every change of the session, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeLog {
    pub entries: Vec<ChangeEntry>,
    /// Context lines for changes applied at once (a proposal carries its own).
    pub context: usize,
}

impl Default for ChangeLog {
    fn default() -> Self {
        ChangeLog::new(3)
    }
}

impl ChangeLog {
    #[must_use]
    pub fn new(context: usize) -> ChangeLog {
        ChangeLog {
            entries: Vec::new(),
            context,
        }
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut ChangeEntry> {
        self.entries.iter_mut().rev().find(|e| e.id == id)
    }

    #[must_use]
    pub fn get(&self, id: &str) -> Option<&ChangeEntry> {
        self.entries.iter().rev().find(|e| e.id == id)
    }

    /// The change waiting for review, if any (at most one: the model waits for it).
    #[must_use]
    pub fn pending(&self) -> Option<&ChangeEntry> {
        self.entries.iter().rev().find(|e| e.status.is_open())
    }

    /// The newest change whose write can still be undone.
    #[must_use]
    pub fn undoable(&self) -> Option<&ChangeEntry> {
        self.entries.iter().rev().find(|e| {
            e.written.is_some()
                && !e.imported
                && matches!(
                    e.status,
                    ChangeStatus::Applied | ChangeStatus::Reviewed { written: true }
                )
        })
    }

    /// Folds one event; returns whether it concerned changes.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Imported { .. } => {
                for e in &mut self.entries {
                    e.imported = true;
                }
                // The session's own state folds it too.
                return false;
            }
            Event::FileChanged { id, change } => {
                let entry = ChangeEntry::new(id, change, self.context, ChangeStatus::Applied);
                self.entries.push(entry);
            }
            Event::ChangeProposed {
                id,
                change,
                context,
                checkpoint,
            } => {
                let context = usize::try_from(*context).unwrap_or(3);
                let mut entry = ChangeEntry::new(id, change, context, ChangeStatus::Pending);
                entry.checkpoint.clone_from(checkpoint);
                self.entries.push(entry);
            }
            Event::HunkDecided {
                change,
                hunk,
                verdict,
            } => {
                if let Some(e) = self.find_mut(change) {
                    e.verdicts.insert(hunk.clone(), verdict.clone());
                }
            }
            Event::HunkCommented {
                change,
                hunk,
                comment,
            } => {
                if let Some(e) = self.find_mut(change) {
                    if comment.trim().is_empty() {
                        e.comments.remove(hunk);
                    } else {
                        e.comments.insert(hunk.clone(), comment.clone());
                    }
                }
            }
            Event::ChangeReviewed { id, findings, .. } => {
                if let Some(e) = self.find_mut(id) {
                    e.findings.extend(findings.iter().cloned());
                }
            }
            Event::ChangeApplied { id, written, .. } => {
                if let Some(e) = self.find_mut(id) {
                    e.status = ChangeStatus::Reviewed {
                        written: written.is_some(),
                    };
                    e.written.clone_from(written);
                }
            }
            Event::ChangeConflicted { id, on_disk } => {
                if let Some(e) = self.find_mut(id) {
                    e.status = ChangeStatus::Conflicted {
                        on_disk: on_disk.clone(),
                    };
                }
            }
            Event::ChangeWithdrawn { id, reason } => {
                if let Some(e) = self.find_mut(id) {
                    e.status = ChangeStatus::Withdrawn {
                        reason: reason.clone(),
                    };
                }
            }
            Event::ChangeUndone { id } => {
                if let Some(e) = self.find_mut(id) {
                    e.status = ChangeStatus::Undone;
                }
            }
            _ => return false,
        }
        true
    }

    /// Whether an op's hunk can be decided now: the change is open and has that hunk.
    #[must_use]
    pub fn decidable(&self, change: &str, hunk: &str) -> bool {
        self.get(change)
            .is_some_and(|e| e.status.is_open() && e.hunk(hunk).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_that_came_with_an_import_is_never_undone() {
        let mut log = ChangeLog::default();
        let change = FileChange::new(".claude/settings.json".into(), Some("x".into()), None);
        log.apply(&Event::FileChanged {
            id: "c1".into(),
            change,
        });
        assert!(log.undoable().is_some());
        log.apply(&Event::Imported { at: 0 });
        assert!(
            log.undoable().is_none(),
            "its `before` is the record's word"
        );
        // One made here after the import is.
        log.apply(&Event::FileChanged {
            id: "c2".into(),
            change: FileChange::new("a.txt".into(), None, Some("a".into())),
        });
        assert_eq!(log.undoable().map(|e| e.id.as_str()), Some("c2"));
    }

    fn proposed(log: &mut ChangeLog) -> Vec<String> {
        let before: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let after = before
            .replace("l2\n", "two\n")
            .replace("l18\n", "eighteen\n");
        log.apply(&Event::ChangeProposed {
            id: "c1".into(),
            change: FileChange::new("f.txt".into(), Some(before), Some(after)),
            context: 3,
            checkpoint: None,
        });
        log.get("c1")
            .unwrap()
            .hunks
            .iter()
            .map(|h| h.id.clone())
            .collect()
    }

    #[test]
    fn decisions_fold_into_the_result_and_the_report() {
        let mut log = ChangeLog::new(3);
        let ids = proposed(&mut log);
        assert_eq!(ids.len(), 2);
        assert_eq!(log.pending().unwrap().undecided(), 2);
        assert!(log.decidable("c1", &ids[0]));
        assert!(!log.decidable("c1", "nope"));
        log.apply(&Event::HunkDecided {
            change: "c1".into(),
            hunk: ids[0].clone(),
            verdict: Verdict::Reject,
        });
        log.apply(&Event::HunkDecided {
            change: "c1".into(),
            hunk: ids[1].clone(),
            verdict: Verdict::Accept,
        });
        log.apply(&Event::HunkCommented {
            change: "c1".into(),
            hunk: ids[1].clone(),
            comment: "spell it out".into(),
        });
        let entry = log.pending().unwrap();
        assert_eq!(entry.undecided(), 0);
        let result = entry.result();
        assert!(result.contains("l2\n") && result.contains("eighteen\n"));
        let report = entry.report();
        assert!(report.contains("1 of 2 hunks accepted"), "{report}");
        assert!(report.contains("rejected") && report.contains("Comment: spell it out"));
        log.apply(&Event::ChangeApplied {
            id: "c1".into(),
            accepted: vec![ids[1].clone()],
            rejected: vec![ids[0].clone()],
            written: Some(FileChange::new("f.txt".into(), None, Some(result))),
        });
        assert!(log.pending().is_none());
        assert_eq!(log.undoable().unwrap().id, "c1");
        assert!(!log.decidable("c1", &ids[0]));
        log.apply(&Event::ChangeUndone { id: "c1".into() });
        assert!(log.undoable().is_none());
    }

    #[test]
    fn conflicts_stay_open_and_withdrawal_closes() {
        let mut log = ChangeLog::new(3);
        let ids = proposed(&mut log);
        log.apply(&Event::ChangeConflicted {
            id: "c1".into(),
            on_disk: Some("other\n".into()),
        });
        assert!(log.decidable("c1", &ids[0]));
        assert_eq!(log.pending().unwrap().status.label(), "conflict");
        log.apply(&Event::ChangeWithdrawn {
            id: "c1".into(),
            reason: "conflict".into(),
        });
        assert!(log.pending().is_none());
        assert!(log.undoable().is_none());
    }

    #[test]
    fn applied_changes_are_undoable_newest_first() {
        let mut log = ChangeLog::new(3);
        for (id, text) in [("a", "1\n"), ("b", "2\n")] {
            log.apply(&Event::FileChanged {
                id: id.into(),
                change: FileChange::new("f".into(), None, Some(text.into())),
            });
        }
        assert_eq!(log.undoable().unwrap().id, "b");
        log.apply(&Event::ChangeUndone { id: "b".into() });
        assert_eq!(log.undoable().unwrap().id, "a");
    }
}
