//! The chat pane: the transcript (drawn by its pane) and the composer below it.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::tui::app::App;
use crate::tui::layout::{PaneId, chat_areas};
use crate::tui::pane::PaneCtx;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, ctx: &PaneCtx<'_>) {
    let (transcript, composer) = chat_areas(area, app.composer.lines().len());
    app.pane(PaneId::Chat).render(frame, transcript, ctx);
    frame.render_widget(&app.composer, composer);
}
