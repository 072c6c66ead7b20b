//! The chat pane: the transcript (drawn by its pane), the composer below it, and the `/`
//! command popup over the transcript's last rows while a command name is being typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::keymap::Action;
use crate::tui::layout::{PaneId, chat_areas};
use crate::tui::pane::PaneCtx;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, ctx: &PaneCtx<'_>) {
    let (transcript, composer) = chat_areas(area, app.composer.lines().len());
    app.pane(PaneId::Chat).render(frame, transcript, ctx);
    frame.render_widget(&app.composer, composer);
    popup(app, frame, transcript);
}

/// The `/` popup: the matching commands, the selected one marked, over the bottom of
/// `above` (the transcript's area).
fn popup(app: &App, frame: &mut Frame<'_>, above: Rect) {
    let Some(found) = app.completion() else {
        return;
    };
    let s = &app.theme.styles;
    let rows = found.len().min(crate::tui::app::POPUP_ROWS);
    let height = u16::try_from(rows + 2)
        .unwrap_or(u16::MAX)
        .min(above.height);
    if height < 3 || above.width < 12 {
        return;
    }
    let rect = Rect {
        x: above.x + 1,
        y: above.bottom() - height,
        width: above.width - 2,
        height,
    };
    let selected = app.completion_selected(found.len());
    // The rows shown keep the selected one in view.
    let first = selected.saturating_sub(rows - 1);
    let inner = usize::from(rect.width.saturating_sub(2));
    let name_width = found
        .iter()
        .skip(first)
        .take(rows)
        .map(|c| c.name.chars().count() + c.hint.chars().count() + 3)
        .max()
        .unwrap_or(0)
        .min(inner / 2);
    let lines: Vec<Line<'_>> = found
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, c)| {
            let style = if i == selected {
                s.selection
            } else {
                s.overlay
            };
            let head = if c.hint.is_empty() {
                format!("/{}", c.name)
            } else {
                format!("/{} {}", c.name, c.hint)
            };
            let head = crate::tui::fit::text(&head, name_width);
            let pad =
                name_width.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
            let room = inner.saturating_sub(name_width + 2);
            Line::from(vec![
                Span::styled(format!("{head}{}  ", " ".repeat(pad)), style),
                Span::styled(crate::tui::fit::text(&c.description, room), style),
            ])
        })
        .collect();
    let title = format!(
        " {}/{} · {} complete · {} run · {} close ",
        selected + 1,
        found.len(),
        app.keymap.keys_label(Action::CompletionAccept),
        app.keymap.keys_label(Action::CompletionRun),
        app.keymap.keys_label(Action::Back)
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).style(s.overlay).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(s.border_focused)
                .title(Span::styled(title, s.dim)),
        ),
        rect,
    );
}
