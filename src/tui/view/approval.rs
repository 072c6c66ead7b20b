//! The command-approval modal: the whole command (scrolling when long, what runs after a
//! control operator highlighted), what the sandbox lets it do, and the keys, pinned below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane_block;
use crate::tui::app::App;
use crate::tui::approval::{self, ApprovalPrompt, Styles};
use crate::tui::keymap::Action;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, prompt: &ApprovalPrompt) {
    let s = &app.theme.styles;
    let styles = Styles {
        text: s.overlay,
        command: s.key,
        danger: s.error,
        dim: s.dim,
    };
    let layout = approval::layout(area, prompt, &styles);
    let key = |a: Action| app.keymap.keys_label(a);
    let first_key = |a: Action| {
        app.keymap
            .keys(a)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let total = layout.lines.len();
    let first = prompt.scroll.min(total.saturating_sub(layout.visible));
    let last = (first + layout.visible).min(total);

    let (asks, title, always, gutter_first) = match &prompt.server {
        Some(server) => (
            format!("The model wants to call a tool of the MCP server `{server}`:"),
            "Call tool?",
            " always (this tool, any arguments) · ",
            "  ▸ ",
        ),
        None => (
            "The model wants to run this command in the workspace:".to_string(),
            "Run command?",
            " always (this exact command) · ",
            "  $ ",
        ),
    };
    let mut lines = vec![Line::styled(asks, s.overlay), Line::default()];
    for (i, line) in layout.lines[first..last].iter().enumerate() {
        let gutter = if first + i == 0 { gutter_first } else { "    " };
        let mut spans = vec![Span::styled(gutter, s.dim)];
        spans.extend(line.spans.iter().cloned());
        lines.push(Line::from(spans));
    }
    // The footer: pinned below the command, whatever its length.
    let position = if total > layout.visible {
        format!(
            "lines {}–{last} of {total} · {} {} scroll",
            first + 1,
            first_key(Action::ApprovalDown),
            first_key(Action::ApprovalUp)
        )
    } else {
        String::new()
    };
    lines.push(Line::styled(position, s.dim));
    let warn = app.session.sandbox.as_ref().is_some_and(|sb| !sb.enforced);
    for note in &layout.notes {
        let style = if note.starts_with('⚠') || (warn && note.starts_with("It runs unconfined")) {
            s.error
        } else {
            s.dim
        };
        lines.push(Line::styled(note.clone(), style));
    }
    match &prompt.reason {
        None => {
            let mut keys = vec![
                Span::styled(key(Action::ApproveOnce), s.key),
                Span::styled(" run once · ", s.overlay),
                Span::styled(key(Action::ApproveAlways), s.key),
                Span::styled(always, s.overlay),
                Span::styled(key(Action::Deny), s.key),
                Span::styled(" deny", s.overlay),
            ];
            if !prompt.seen_end && total > layout.visible {
                keys = vec![Span::styled(
                    format!(
                        "Scroll to the end ({}) to answer — or {} to deny",
                        first_key(Action::ApprovalDown),
                        first_key(Action::Deny)
                    ),
                    s.key,
                )];
            }
            lines.push(Line::from(keys));
        }
        Some(reason) => {
            let mut line = reason.line("Why not? Enter denies, Esc goes back >", s);
            // The keys are said before the text here; the field's own key line is left out.
            line.spans.pop();
            lines.push(line);
        }
    }
    frame.render_widget(Clear, layout.rect);
    frame.render_widget(
        Paragraph::new(lines)
            .style(s.overlay)
            .block(pane_block(app, title, true).style(s.overlay)),
        layout.rect,
    );
}
