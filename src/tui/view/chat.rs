//! The chat pane: the transcript's visible lines and the composer below them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::pane_block;
use crate::tui::app::{App, Focus};
use crate::tui::layout::chat_areas;
use crate::tui::transcript::Scroll;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let focused = matches!(app.focus, Focus::Composer | Focus::Transcript);
    let title = match app.transcript.scroll() {
        Scroll::Follow => "Chat".to_string(),
        Scroll::At(_) => format!(
            "Chat — line {} of {}",
            app.transcript.top() + 1,
            app.transcript.total_lines()
        ),
    };
    frame.render_widget(pane_block(app, &title, focused), area);
    let (transcript, composer) = chat_areas(area, app.composer.lines().len());
    let selection = app.theme.styles.selection;
    let lines: Vec<Line<'_>> = app
        .transcript
        .visible(transcript.height)
        .map(|(line, selected)| {
            if selected {
                line.clone().patch_style(selection)
            } else {
                line.clone()
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), transcript);
    frame.render_widget(&app.composer, composer);
}
