//! The command approval modal: run once, always, or deny with a reason for the model. It is
//! answered only once the whole command has been on screen.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Layer, LayerCtx, LayerOutcome};
use crate::protocol::Op;
use crate::tui::app::App;
use crate::tui::approval::ApprovalPrompt;
use crate::tui::field::{Edited, TextField};
use crate::tui::keymap::{Action, KeyContext};
use crate::tui::pane::Outcome;

impl Layer for ApprovalPrompt {
    fn contexts(&self) -> Vec<KeyContext> {
        if self.reason.is_some() {
            // Typing a reason: only the global keys are keys.
            vec![KeyContext::Global]
        } else {
            vec![KeyContext::Approval, KeyContext::Global]
        }
    }

    /// Typing the reason for a denial: Enter sends it, Esc goes back to the answers.
    fn type_key(&mut self, key: &KeyEvent) -> Option<LayerOutcome> {
        let reason = self.reason.as_mut()?;
        match reason.edit(key)? {
            Edited::Enter => {
                let reason = reason.text().trim().to_string();
                let op = Op::DenyCommand {
                    call_id: self.id.clone(),
                    reason: (!reason.is_empty()).then_some(reason),
                };
                Some(LayerOutcome {
                    close: true,
                    outcome: Outcome::send(vec![op]),
                    run: None,
                })
            }
            Edited::Esc => {
                self.reason = None;
                Some(LayerOutcome::default())
            }
            Edited::Changed => Some(LayerOutcome::default()),
        }
    }

    fn handle(&mut self, action: Action, ctx: &LayerCtx<'_>) -> LayerOutcome {
        match action {
            Action::ApproveOnce | Action::ApproveAlways => {
                let keys = ctx.keymap.keys_label(Action::ApprovalDown);
                if let Some(why) = self.not_ready(&keys) {
                    return Outcome::note(why).into();
                }
                return LayerOutcome {
                    close: true,
                    outcome: Outcome::send(vec![Op::ApproveCommand {
                        call_id: self.id.clone(),
                        always: action == Action::ApproveAlways,
                    }]),
                    run: None,
                };
            }
            Action::Deny => self.reason = Some(TextField::default()),
            Action::ApprovalDown
            | Action::ApprovalUp
            | Action::ApprovalPageDown
            | Action::ApprovalPageUp => {
                let area = ctx.size;
                let page = isize::try_from(self.page(area)).unwrap_or(1);
                let delta = match action {
                    Action::ApprovalDown => 1,
                    Action::ApprovalUp => -1,
                    Action::ApprovalPageDown => page,
                    _ => -page,
                };
                self.scroll_by(area, delta);
            }
            _ => {}
        }
        LayerOutcome::default()
    }

    fn draw(&self, app: &App, frame: &mut Frame<'_>, area: Rect) {
        crate::tui::view::approval(app, frame, area, self);
    }
}
