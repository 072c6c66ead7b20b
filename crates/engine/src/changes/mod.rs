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
