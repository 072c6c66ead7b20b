//! The help overlay: every key of the focused pane and of the whole workbench, generated from
//! the keymap (see `view::help`).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Layer, LayerCtx, LayerOutcome};
use crate::tui::app::App;
use crate::tui::keymap::{Action, KeyContext};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Help {
    /// Lines scrolled from the top.
    pub scroll: u16,
}

impl Layer for Help {
    fn contexts(&self) -> Vec<KeyContext> {
        vec![KeyContext::Help, KeyContext::Global]
    }

    fn handle(&mut self, action: Action, _ctx: &LayerCtx<'_>) -> LayerOutcome {
        super::scroll_or_close(&mut self.scroll, action)
    }

    fn wheel(&mut self, delta: isize) {
        super::wheel_scroll(&mut self.scroll, delta);
    }

    fn draw(&self, app: &App, frame: &mut Frame<'_>, area: Rect) {
        crate::tui::view::help(app, frame, area, self.scroll);
    }
}
