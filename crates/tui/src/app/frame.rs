//! Work done before a frame, outside the draw path: each pane lays out its lines for its
//! area, and the composer is styled for the focus.

use ratatui::widgets::{Block, BorderType, Borders};

use super::App;
use crate::keymap::Action;
use crate::layout::Focus;
use crate::layout::{self, PaneId};

impl App {
    /// Work done before a frame, outside the draw path: wrapping new transcript lines for the
    /// current width and styling the composer for the focus.
    pub fn prepare(&mut self) {
        let layout = self.layout();
        let composer_lines = self.composer.lines().len();
        let (ctx, panes) = self.split();
        for pane in panes {
            let Some(rect) = layout.pane(pane.id()) else {
                continue;
            };
            // Each pane lays out its lines for the area inside its border (the chat's
            // transcript, for the area above the composer).
            let inner = if pane.id() == PaneId::Chat {
                layout::chat_areas(rect, composer_lines).0
            } else {
                rect.inner(ratatui::layout::Margin::new(1, 1))
            };
            pane.prepare(inner, &ctx);
        }
        self.style_composer(&layout);
    }

    /// The composer styled for the focus: its placeholder, colours, cursor, and a waiting
    /// gate said on its edge.
    fn style_composer(&mut self, layout: &layout::ScreenLayout) {
        let focused = self.focus == Focus::Composer && self.overlays.is_empty();
        let s = &self.theme.styles;
        let hint = if focused {
            format!(
                "Ask the model… ({} send, {} new line)",
                self.keymap
                    .keys(Action::Submit)
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                self.keymap
                    .keys(Action::Newline)
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        } else {
            // Visibly inactive: keys go to the focused pane (a letter it does not use comes
            // here and is typed).
            format!(
                "Inactive: keys go to the focused pane ({} or {} to type here)",
                self.keymap.keys_label(Action::Back),
                self.keymap.keys_label(Action::FocusChat)
            )
        };
        self.composer.set_placeholder_text(hint);
        self.composer.set_placeholder_style(s.dim);
        self.composer
            .set_style(if focused { s.text } else { s.dim });
        let mut block = Block::default()
            .borders(Borders::TOP)
            .border_type(BorderType::Plain)
            .border_style(self.theme.border(focused));
        // A waiting gate is said on the composer's edge, whatever has focus.
        let room = layout
            .pane(PaneId::Chat)
            .map_or(0, |r| usize::from(r.width).saturating_sub(4));
        if let Some(line) = self.gate_line(room) {
            block = block.title(ratatui::text::Span::styled(format!(" {line} "), s.key));
        }
        self.composer.set_block(block);
        self.composer.set_cursor_style(if focused {
            s.text.add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            s.text
        });
    }
}
