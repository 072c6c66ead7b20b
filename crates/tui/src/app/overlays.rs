//! Input for the panes' text fields (a hunk's comment, the plan pane's edits), and what the
//! session browser's background queries bring back.

use crossterm::event::KeyEvent;

use super::App;
use crate::browser::Row;
use crate::field::Edited;
use crate::keymap::Action;
use crate::layout::Focus;
use crate::outcome::Effect;
use crate::transcript::EntryKind;

impl App {
    /// Typing a comment on a hunk in the diff pane.
    pub(super) fn type_comment(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        if self.focus != Focus::Diff || !self.overlays.is_empty() {
            return None;
        }
        let comment = self.diff.comment.as_mut()?;
        match comment.edit(key)? {
            Edited::Enter => {
                let request = self.diff.finish_comment();
                Some(self.outcome(request.into()))
            }
            Edited::Esc => {
                self.diff.comment = None;
                Some(Vec::new())
            }
            Edited::Changed => Some(Vec::new()),
        }
    }

    /// Typing a step's title or detail, a new step or a comment in the plan pane.
    pub(super) fn type_plan(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        if self.focus != Focus::Plan || !self.overlays.is_empty() || self.plan.input.is_none() {
            return None;
        }
        let request = self.plan.type_key(key)?;
        Some(self.outcome(request.into()))
    }

    /// Rows for the browser arrived.
    pub fn on_browser_rows(&mut self, ticket: u64, rows: Vec<Row>) -> Vec<Effect> {
        self.dirty = true;
        match self.browser_mut() {
            Some(b) => b
                .loaded(ticket, rows)
                .map(Effect::Browser)
                .into_iter()
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn on_browser_preview(&mut self, ticket: u64, lines: Vec<String>) {
        self.dirty = true;
        if let Some(b) = self.browser_mut() {
            b.previewed(ticket, lines);
        }
    }

    /// A line of feedback from a browser action (or its failure); after a delete, the
    /// preview of the row now selected is asked for.
    pub fn on_browser_message(&mut self, message: String) -> Vec<Effect> {
        self.dirty = true;
        match self.browser_mut() {
            Some(b) => {
                b.message = Some(message);
                b.refresh_preview()
                    .map(Effect::Browser)
                    .into_iter()
                    .collect()
            }
            None => {
                self.note = Some(message);
                Vec::new()
            }
        }
    }

    /// Opens the session read-only (it belongs to another workspace).
    pub fn set_read_only(&mut self) {
        self.session.read_only = true;
        self.transcript.push(
            EntryKind::Notice,
            format!(
                "Read-only: this session belongs to {}. Open the browser ({}) and fork it ({}) \
                 to continue it here.",
                self.session.workspace,
                crate::hints::key(&self.keymap, Action::Sessions),
                crate::hints::key(&self.keymap, Action::BrowserFork)
            ),
        );
    }
}
