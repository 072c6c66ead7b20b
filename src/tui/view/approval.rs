//! The command-approval modal: the command in full, and the keys that decide it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::pane_block;
use crate::tui::app::App;
use crate::tui::keymap::Action;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, command: &str, reason: Option<&str>) {
    let s = &app.theme.styles;
    let key = |a: Action| {
        app.keymap
            .keys(a)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let mut lines = vec![
        Line::styled(
            "The model wants to run this command in the workspace:",
            s.overlay,
        ),
        Line::default(),
    ];
    for l in command.lines() {
        lines.push(Line::from(vec![
            Span::styled("  $ ", s.dim),
            Span::styled(l.to_string(), s.key),
        ]));
    }
    lines.push(Line::default());
    match reason {
        None => lines.push(Line::from(vec![
            Span::styled(key(Action::ApproveOnce), s.key),
            Span::styled(" run once   ", s.overlay),
            Span::styled(key(Action::ApproveAlways), s.key),
            Span::styled(" always allow this command   ", s.overlay),
            Span::styled(key(Action::Deny), s.key),
            Span::styled(" deny", s.overlay),
        ])),
        Some(reason) => {
            lines.push(Line::styled(
                "Why not? (optional; the model reads it) — Enter deny, Esc back",
                s.overlay,
            ));
            lines.push(Line::from(vec![
                Span::styled("> ", s.dim),
                Span::styled(format!("{reason}█"), s.text),
            ]));
        }
    }
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let [_, row, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, rect, _] = Layout::horizontal([
        Constraint::Percentage(10),
        Constraint::Percentage(80),
        Constraint::Percentage(10),
    ])
    .areas(row);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .style(s.overlay)
            .block(pane_block(app, "Run command?", true).style(s.overlay))
            .wrap(Wrap { trim: false }),
        rect,
    );
}
