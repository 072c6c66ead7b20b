//! Drawing: renders an `&App` into a frame. Nothing here changes state or does IO; anything
//! costly (wrapping, highlighting) was done in `App::prepare` or off the UI thread.

mod chat;
mod status;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::App;

use super::layout::{MIN_HEIGHT, MIN_WIDTH, PaneId, ScreenLayout};

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame<'_>) {
    let area = frame.area();
    match app.layout() {
        ScreenLayout::TooSmall => too_small(app, frame, area),
        ScreenLayout::Normal {
            tabs,
            panes,
            status,
        } => {
            if let Some(tabs) = tabs {
                tab_bar(app, frame, tabs);
            }
            let ctx = app.pane_ctx();
            for (id, rect) in panes {
                let pane = app.pane(id);
                let title =
                    super::fit::text(&pane.title(), usize::from(rect.width).saturating_sub(4));
                let block = app.theme.pane_block(&title, app.focus.pane() == id);
                let inner = block.inner(rect);
                frame.render_widget(block, rect);
                if id == PaneId::Chat {
                    chat::draw(app, frame, rect, &ctx);
                } else {
                    pane.render(frame, inner, &ctx);
                }
            }
            status::draw(app, frame, status);
            // Bottom to top, so an approval is drawn over the browser it interrupted.
            let ctx = app.draw_ctx();
            for overlay in &app.overlays {
                overlay.layer().draw(&ctx, frame, area);
            }
        }
    }
}

/// A pane's frame: a rounded border, brighter when focused, with the title in it.
fn tab_bar(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let s = &app.theme.styles;
    let mut spans = Vec::new();
    for (i, pane) in PaneId::ALL.iter().enumerate() {
        let style = if app.focus.pane() == *pane {
            s.tab_active
        } else {
            s.tab_inactive
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, pane.title()), style));
        spans.push(Span::raw(" "));
    }
    let first = super::hints::key(&app.keymap, super::keymap::Action::FocusChat);
    let last = super::hints::key(&app.keymap, super::keymap::Action::FocusContext);
    let next = super::hints::key(&app.keymap, super::keymap::Action::FocusNext);
    spans.push(Span::styled(
        format!("{first}…{last} / {next} to switch"),
        s.dim,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn too_small(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let msg = format!(
        "Terminal too small: {}×{}. gearshift needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge the \
         window, or press Ctrl+Q to quit.",
        area.width, area.height
    );
    let height = area.height.min(4);
    let rect = Rect {
        y: area.y + area.height.saturating_sub(height) / 2,
        height,
        ..area
    };
    frame.render_widget(
        Paragraph::new(msg)
            .style(app.theme.styles.error)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

#[cfg(test)]
mod tests;
