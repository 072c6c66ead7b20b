//! The help overlay, generated from the keymap so it always matches what the keys do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane_block;
use crate::tui::app::{App, Focus};
use crate::tui::keymap::{Action, KeyContext};

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, scroll: u16) {
    let s = &app.theme.styles;
    let [_, mid, _] = Layout::horizontal([
        Constraint::Percentage(10),
        Constraint::Percentage(80),
        Constraint::Percentage(10),
    ])
    .areas(area);
    let [_, rect, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(2),
    ])
    .areas(mid);

    // The focused pane's keys first, then the ones that work everywhere, then the overlay's own.
    let pane_contexts: &[KeyContext] = match app.focus {
        Focus::Composer => &[KeyContext::Composer, KeyContext::Completion],
        Focus::Transcript => &[KeyContext::Transcript, KeyContext::Panes],
        Focus::Diff => &[KeyContext::Diff, KeyContext::Panes],
        Focus::Context => &[KeyContext::Context, KeyContext::Panes],
        Focus::Plan => &[KeyContext::Plan, KeyContext::Panes],
    };
    let mut lines = Vec::new();
    let key_width = 22;
    let inner = usize::from(rect.width.saturating_sub(2));
    for ctx in pane_contexts.iter().chain(&[
        KeyContext::Global,
        KeyContext::Gate,
        KeyContext::StageGate,
        KeyContext::Help,
        KeyContext::Browser,
        KeyContext::Approval,
        KeyContext::Palette,
    ]) {
        lines.push(Line::styled(ctx.title(), s.help_heading));
        for (keys, desc) in app.keymap.section(*ctx) {
            lines.extend(entry(&keys, desc, key_width, inner, s));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled("Gears", s.help_heading));
    for (gear, what) in [
        ("vibe", "chat, and the model edits directly"),
        (
            "plan",
            "read-only exploration, an editable plan, a review gate after each step",
        ),
        (
            "pipeline",
            "requirements → design → tasks → implement → verify → review → ship",
        ),
    ] {
        lines.extend(entry(gear, what, key_width, inner, s));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Commands (type / in the composer; a skill or your commands/NAME.md runs as /name args)",
        s.help_heading,
    ));
    for c in app.commands.all() {
        let head = if c.hint.is_empty() {
            format!("/{}", c.name)
        } else {
            format!("/{} {}", c.name, c.hint)
        };
        lines.extend(entry(&head, &c.description, key_width, inner, s));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Every key can be rebound in [keys] of config.toml (see docs/keys-and-commands.md).",
        s.dim,
    ));

    let max_scroll = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(rect.height.saturating_sub(2));
    let first = |a: Action| {
        app.keymap
            .keys(a)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let title = format!(
        "Help — {} or {} to close, {}/{} to scroll",
        first(Action::Back),
        first(Action::Help),
        first(Action::HelpDown),
        first(Action::HelpUp),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .style(s.overlay)
            .block(pane_block(app, &title, true).style(s.overlay))
            .scroll((scroll.min(max_scroll), 0)),
        rect,
    );
}

/// One key's lines: its keys in a column, its description beside them, wrapped under itself
/// (not under the keys) to the overlay's `width`.
fn entry(
    keys: &str,
    desc: &str,
    key_width: usize,
    width: usize,
    s: &crate::tui::theme::Styles,
) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthStr;
    let indent = 2 + key_width.max(keys.width() + 1);
    let room = width.saturating_sub(indent).max(20);
    textwrap::wrap(desc, room)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let head = if i == 0 {
                format!("  {keys:<key_width$}")
            } else {
                String::new()
            };
            let pad = " ".repeat(indent.saturating_sub(head.width()));
            Line::from(vec![
                Span::styled(head, s.key),
                Span::raw(pad),
                Span::styled(piece.into_owned(), s.overlay),
            ])
        })
        .collect()
}
