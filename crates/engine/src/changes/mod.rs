//! File changes: what a write did (content before and after), its hunks and their review.
//!
//! Every write a tool makes is recorded as a [`FileChange`] event, so the diff pane can show it
//! and undo it later. Writes themselves go through the workspace handle
//! (`tools::Workspace::write`, and `tools::disk` for reviewed changes): atomic, confined, never
//! through a symlink.

pub mod hunks;
pub mod review;

pub(crate) use crate::protocol::change::hex;
pub use crate::protocol::change::{FileChange, Node, Special, hash};

/// The id of the `i`th change of a call's change set (a command's writes, a subagent's, a
/// worked step's: `CALL#1`, `CALL#2`, …).
#[must_use]
pub fn change_id(call: &str, i: usize) -> String {
    format!("{call}#{}", i + 1)
}

pub use gearshift_protocol::change::call_of;

/// Why a file changed elsewhere (a step's or a subagent's worktree) waits for a human when it
/// is brought back: the workspace changed the same lines meanwhile, and the change holds both
/// sides between git's markers. Never written without an explicit human decision.
pub const CONFLICT: &str = "a merge conflict: the workspace and this change both changed it \
     — where lines tell them apart, the change holds both sides between <<<<<<< and >>>>>>> \
     markers; else (a link, a deletion, a binary file) it is this change's version — for you \
     to decide";

/// Whether a change's checkpoint is a merge conflict's.
#[must_use]
pub fn is_conflict(checkpoint: &str) -> bool {
    checkpoint.starts_with(CONFLICT)
}

/// How one file differs from what the model last knew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The human undid the model's change; `created`: the undo deleted a file it had created.
    Undone { created: bool },
    /// The human undid the model's move: the file is back at `from`.
    MovedBack { from: String },
    /// The file is gone.
    Deleted,
    /// A file the model had deleted or moved away is there again.
    Recreated,
    /// Edited: what changed, as a unified diff, when the model's version is known and the
    /// diff is short.
    Edited { diff: Option<String> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_hash() {
        let c = FileChange::new("f".into(), Some("a\nb\n".into()), Some("a\nc\nd\n".into()));
        assert_eq!(c.line_counts(), (2, 1));
        assert_eq!(c.base_hash.as_deref().map(str::len), Some(64));
        assert_eq!(
            FileChange::new("f".into(), None, Some("x\n".into())).line_counts(),
            (1, 0)
        );
    }
}
