//! The help overlay: every key of the focused pane and of the whole workbench, generated from
//! the keymap (see `view::help`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{DrawCtx, Layer, LayerCtx, LayerOutcome};
use crate::keymap::{Action, KeyContext};
use crate::layout::Focus;

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

    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect) {
        draw_help(ctx, frame, area, self.scroll);
    }
}

fn draw_help(ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect, scroll: u16) {
    let s = &ctx.theme.styles;
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
    let pane_contexts: &[KeyContext] = match ctx.focus {
        Focus::Composer => &[KeyContext::Composer, KeyContext::Completion],
        Focus::Transcript => &[KeyContext::Transcript, KeyContext::Panes],
        Focus::Diff => &[KeyContext::Diff, KeyContext::Panes],
        Focus::Context => &[KeyContext::Context, KeyContext::Panes],
        Focus::Plan => &[KeyContext::Plan, KeyContext::Panes],
    };
    let mut lines = Vec::new();
    let key_width = 22;
    let inner = usize::from(rect.width.saturating_sub(2));
    for context in pane_contexts.iter().chain(&[
        KeyContext::Global,
        KeyContext::Gate,
        KeyContext::StageGate,
        KeyContext::Help,
        KeyContext::Browser,
        KeyContext::Approval,
        KeyContext::Palette,
    ]) {
        lines.push(Line::styled(context.title(), s.help_heading));
        for (keys, desc) in ctx.keymap.section(*context) {
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
    for c in ctx.commands.all() {
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
        ctx.keymap
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
            .block(ctx.theme.pane_block(&title, true).style(s.overlay))
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
    s: &crate::theme::Styles,
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
