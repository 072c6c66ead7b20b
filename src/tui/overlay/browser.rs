//! The session browser: past sessions of this workspace (or all), searched, opened, forked,
//! renamed, deleted or exported. Its queries run off the UI thread (`Effect::Browser`).

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::field::Edited;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Layer, LayerCtx, LayerOutcome};
use crate::tui::app::{App, Effect};
use crate::tui::browser::{Browser, BrowserRequest, Input};
use crate::tui::keymap::{Action, KeyContext};
use crate::tui::pane::Outcome;

fn request(request: Option<BrowserRequest>) -> LayerOutcome {
    Outcome {
        effects: request.map(Effect::Browser).into_iter().collect(),
        ..Outcome::default()
    }
    .into()
}

impl Layer for Browser {
    fn contexts(&self) -> Vec<KeyContext> {
        if self.input.is_none() {
            vec![KeyContext::Browser, KeyContext::Global]
        } else {
            // Typing a search or a title: only the global keys are keys.
            vec![KeyContext::Global]
        }
    }

    /// Typing a search or a new title, or answering the delete question.
    fn type_key(&mut self, key: &KeyEvent) -> Option<LayerOutcome> {
        let input = self.input.clone()?;
        let sent = match (input, key.code) {
            (Input::ConfirmDelete, KeyCode::Char('y') | KeyCode::Enter) => self.submit_input(),
            (Input::ConfirmDelete, KeyCode::Char('n') | KeyCode::Esc) => {
                self.input = None;
                None
            }
            (Input::ConfirmDelete, _) => None,
            // The field's keys (the composer's); Ctrl+Q and the like are the keymap's.
            _ => match self.edit_field(key)? {
                Edited::Enter => self.submit_input(),
                Edited::Esc => {
                    self.input = None;
                    None
                }
                Edited::Changed => None,
            },
        };
        Some(request(sent))
    }

    fn handle(&mut self, action: Action, _ctx: &LayerCtx<'_>) -> LayerOutcome {
        self.message = None;
        let sent = match action {
            Action::BrowserUp => self.move_by(-1),
            Action::BrowserDown => self.move_by(1),
            Action::BrowserOpen => self.open_selected(),
            Action::BrowserScope => Some(self.toggle_scope()),
            Action::BrowserSearch => {
                self.start_search();
                None
            }
            Action::BrowserFork => self.selected_row().map(|r| BrowserRequest::Fork {
                id: r.id.clone(),
                workspace: self.workspace.clone(),
            }),
            Action::BrowserRename => {
                self.start_rename();
                None
            }
            Action::BrowserDelete => {
                self.start_delete();
                None
            }
            Action::BrowserExport => self
                .selected_row()
                .map(|r| BrowserRequest::Export { id: r.id.clone() }),
            _ => None,
        };
        request(sent)
    }

    fn draw(&self, app: &App, frame: &mut Frame<'_>, area: Rect) {
        crate::tui::view::browser(app, frame, area, self);
    }
}
