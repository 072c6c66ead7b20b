//! Which keys apply now: the key contexts, most specific first (an overlay's, a completion's,
//! a waiting gate's, then the focused pane's), and whether an action would do something (what
//! the status bar hints).

use super::App;
use super::panes::WaitingGate;
use crate::keymap::{Action, KeyContext};
use crate::layout::Focus;

impl App {
    /// The key contexts that apply now, most specific first.
    #[must_use]
    pub fn contexts(&self) -> Vec<KeyContext> {
        if let Some(top) = self.overlay() {
            return top.layer().contexts();
        }
        let mut contexts = Vec::with_capacity(4);
        if self.completion().is_some() || self.mention().is_some() {
            contexts.push(KeyContext::Completion);
        }
        // A waiting gate's keys work wherever focus is, and are hinted first.
        match self.gate() {
            Some(WaitingGate::Stage(_)) => {
                contexts.extend([KeyContext::Gate, KeyContext::StageGate]);
            }
            Some(WaitingGate::Step { .. }) => contexts.push(KeyContext::Gate),
            None => {}
        }
        contexts.extend(match self.focus {
            Focus::Composer => vec![KeyContext::Composer, KeyContext::Global],
            Focus::Transcript => vec![
                KeyContext::Transcript,
                KeyContext::Panes,
                KeyContext::Global,
            ],
            // Typing a comment: only the global keys are keys.
            Focus::Diff if self.diff.comment.is_some() => vec![KeyContext::Global],
            Focus::Diff => vec![KeyContext::Diff, KeyContext::Panes, KeyContext::Global],
            Focus::Context => vec![KeyContext::Context, KeyContext::Panes, KeyContext::Global],
            // Typing in the plan pane: only the global keys are keys.
            Focus::Plan if self.plan.input.is_some() => vec![KeyContext::Global],
            Focus::Plan => vec![KeyContext::Plan, KeyContext::Panes, KeyContext::Global],
        });
        contexts
    }

    /// Whether `action` would do something now — what the status bar hints (a decided hunk
    /// offers no accept, an empty undo list no undo).
    #[must_use]
    pub fn applies(&self, action: Action) -> bool {
        let open = self.diff.entry().is_some_and(|e| e.status.is_open());
        match action {
            Action::DiffAccept
            | Action::DiffReject
            | Action::DiffAcceptFile
            | Action::DiffRejectFile
            | Action::DiffComment
            | Action::DiffForward
            | Action::DiffEdit
            | Action::DiffSubmit
            | Action::DiffRepropose => open,
            Action::DiffUndo => self.diff.log.undoable().is_some(),
            _ => true,
        }
    }
}
