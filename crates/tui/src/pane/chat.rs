//! The chat pane's transcript: the conversation as cells, scrolled and selected by its keys.
//! (The composer below it is the app's own: it takes the keys nothing else claims.)

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{Outcome, Pane, PaneCtx};
use crate::keymap::Action;
use crate::layout::PaneId;
use crate::outcome::Effect;
use crate::protocol::Event;
use crate::transcript::{Scroll, Transcript};

impl Pane for Transcript {
    fn id(&self) -> PaneId {
        PaneId::Chat
    }

    fn title(&self) -> String {
        match self.scroll() {
            Scroll::Follow => "Chat".to_string(),
            Scroll::At(_) => format!("Chat — line {} of {}", self.top() + 1, self.total_lines()),
        }
    }

    /// The chat's story is told by the app, which hears every pane's events.
    fn on_event(&mut self, _event: &Event, _replay: bool) -> bool {
        false
    }

    fn prepare(&mut self, inner: Rect, ctx: &PaneCtx<'_>) {
        self.set_cell_keys(format!(
            "{} selects, {} expands",
            crate::hints::key(ctx.keymap, Action::SelectPrev),
            crate::hints::key(ctx.keymap, Action::ToggleCell)
        ));
        Transcript::prepare(self, inner.width, inner.height, ctx.theme, ctx.highlighter);
    }

    fn render(&self, frame: &mut Frame<'_>, inner: Rect, ctx: &PaneCtx<'_>) {
        let selection = ctx.theme.styles.selection;
        let lines: Vec<Line<'_>> = self
            .visible(inner.height)
            .map(|(line, selected)| {
                if selected {
                    line.clone().patch_style(selection)
                } else {
                    line.clone()
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn handle(&mut self, action: Action, ctx: &PaneCtx<'_>) -> Outcome {
        match action {
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.page(false),
            Action::PageDown => self.page(true),
            Action::ScrollTop => self.to_top(),
            Action::ScrollBottom => self.to_bottom(),
            Action::SelectPrev => self.select_by(-1),
            Action::SelectNext => self.select_by(1),
            Action::ToggleCell => {
                self.toggle_selected();
                // Opened with its result only in the store: read it.
                if let Some(call) = self.output_wanted(false) {
                    return Outcome {
                        effects: vec![Effect::ReadOutput { call, copy: false }],
                        ..Outcome::default()
                    };
                }
            }
            Action::Copy => {
                if let Some(call) = self.output_wanted(true) {
                    return Outcome {
                        note: Some("reading the result to copy…".into()),
                        effects: vec![Effect::ReadOutput { call, copy: true }],
                        ..Outcome::default()
                    };
                }
                return match self.selected_text() {
                    Some(text) => Outcome {
                        note: Some("copied to the clipboard".into()),
                        effects: vec![Effect::Copy(text)],
                        ..Outcome::default()
                    },
                    None => Outcome::note(format!(
                        "select a message first ({} or {})",
                        crate::hints::key(ctx.keymap, Action::SelectPrev),
                        crate::hints::key(ctx.keymap, Action::SelectNext)
                    )),
                };
            }
            _ => {}
        }
        Outcome::default()
    }
}
