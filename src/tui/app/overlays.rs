//! Input for the fields that take text or answer questions: the approval modal's reason, a
//! hunk's comment, the plan pane's edits, and the session browser (its search and rename
//! fields, its delete question, its actions).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Focus, Overlay};
use crate::protocol::Op;
use crate::tui::browser::{BrowserRequest, Input as BrowserInput, Row};
use crate::tui::keymap::Action;
use crate::tui::transcript::EntryKind;

/// A key typed into a one-line text field.
enum FieldKey {
    Enter,
    Esc,
    Backspace,
    Char(char),
}

/// What a key does in a text field; `None` for keys the field leaves to the keymap (Ctrl+Q…).
fn field_key(key: &KeyEvent) -> Option<FieldKey> {
    let plain = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Enter if plain => Some(FieldKey::Enter),
        KeyCode::Esc => Some(FieldKey::Esc),
        KeyCode::Backspace => Some(FieldKey::Backspace),
        KeyCode::Char(c) if plain => Some(FieldKey::Char(c)),
        _ => None,
    }
}

impl App {
    /// Typing the reason for a denial: Enter sends it, Esc goes back to y/a/n.
    pub(super) fn type_reason(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        let Some(Overlay::Approval(prompt)) = self.overlays.last_mut() else {
            return None;
        };
        let id = prompt.id.clone();
        let reason = prompt.reason.as_mut()?;
        match field_key(key)? {
            FieldKey::Enter => {
                let reason = reason.trim().to_string();
                let op = Op::DenyCommand {
                    call_id: id,
                    reason: (!reason.is_empty()).then_some(reason),
                };
                self.overlays.pop();
                Some(vec![Effect::Send(op)])
            }
            FieldKey::Esc => {
                if let Some(Overlay::Approval(p)) = self.overlays.last_mut() {
                    p.reason = None;
                }
                Some(Vec::new())
            }
            FieldKey::Backspace => {
                reason.pop();
                Some(Vec::new())
            }
            FieldKey::Char(c) => {
                reason.push(c);
                Some(Vec::new())
            }
        }
    }

    /// Typing a comment on a hunk in the diff pane.
    pub(super) fn type_comment(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        if self.focus != Focus::Diff || !self.overlays.is_empty() {
            return None;
        }
        let comment = self.diff.comment.as_mut()?;
        match field_key(key)? {
            FieldKey::Enter => {
                let request = self.diff.finish_comment();
                Some(self.outcome(request.into()))
            }
            FieldKey::Esc => {
                self.diff.comment = None;
                Some(Vec::new())
            }
            FieldKey::Backspace => {
                comment.pop();
                Some(Vec::new())
            }
            FieldKey::Char(c) => {
                comment.push(c);
                Some(Vec::new())
            }
        }
    }

    /// Typing a step's title or detail, a new step or a comment in the plan pane.
    pub(super) fn type_plan(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        if self.focus != Focus::Plan || !self.overlays.is_empty() || self.plan.input.is_none() {
            return None;
        }
        match field_key(key)? {
            FieldKey::Enter => {
                let request = self.plan.enter();
                Some(self.outcome(request.into()))
            }
            FieldKey::Esc => {
                self.plan.input = None;
                Some(Vec::new())
            }
            FieldKey::Backspace => {
                self.plan.backspace();
                Some(Vec::new())
            }
            FieldKey::Char(c) => {
                self.plan.type_char(c);
                Some(Vec::new())
            }
        }
    }

    /// Typing a search or a new title in the browser, or answering its delete question.
    pub(super) fn type_in_browser(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        let Some(Overlay::Sessions(b)) = self.overlays.last_mut() else {
            return None;
        };
        let input = b.input.clone()?;
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let request = match (input, key.code) {
            (BrowserInput::ConfirmDelete, KeyCode::Char('y')) | (_, KeyCode::Enter) => {
                b.submit_input()
            }
            (BrowserInput::ConfirmDelete, KeyCode::Char('n')) | (_, KeyCode::Esc) => {
                b.input = None;
                None
            }
            (BrowserInput::ConfirmDelete, _) => None,
            (_, KeyCode::Backspace) => {
                b.backspace();
                None
            }
            (_, KeyCode::Char(c)) if plain => {
                b.type_char(c);
                None
            }
            // Ctrl+Q and the like still work.
            _ => return None,
        };
        Some(request.map(Effect::Browser).into_iter().collect())
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

    /// A line of feedback from a browser action (or its failure).
    pub fn on_browser_message(&mut self, message: String) {
        self.dirty = true;
        match self.browser_mut() {
            Some(b) => b.message = Some(message),
            None => self.note = Some(message),
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
                crate::tui::hints::key(&self.keymap, Action::Sessions),
                crate::tui::hints::key(&self.keymap, Action::BrowserFork)
            ),
        );
    }

    pub(super) fn browser_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(Overlay::Sessions(b)) = self.overlays.last_mut() else {
            return Vec::new();
        };
        b.message = None;
        let request = match action {
            Action::BrowserUp => b.move_by(-1),
            Action::BrowserDown => b.move_by(1),
            Action::BrowserOpen => b.open_selected(),
            Action::BrowserScope => Some(b.toggle_scope()),
            Action::BrowserSearch => {
                b.start_search();
                None
            }
            Action::BrowserFork => b
                .selected_row()
                .map(|r| BrowserRequest::Fork { id: r.id.clone() }),
            Action::BrowserRename => {
                b.start_rename();
                None
            }
            Action::BrowserDelete => {
                b.start_delete();
                None
            }
            Action::BrowserExport => b
                .selected_row()
                .map(|r| BrowserRequest::Export { id: r.id.clone() }),
            _ => None,
        };
        request.map(Effect::Browser).into_iter().collect()
    }
}
