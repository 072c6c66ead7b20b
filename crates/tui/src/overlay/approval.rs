//! The command approval modal: run once, always, or deny with a reason for the model. It is
//! answered only once the whole command has been on screen.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{DrawCtx, Layer, LayerCtx, LayerOutcome};
use crate::approval::{self, ApprovalPrompt, Styles};
use crate::field::{Edited, TextField};
use crate::keymap::{Action, KeyContext};
use crate::outcome::Outcome;
use crate::protocol::Op;

impl Layer for ApprovalPrompt {
    fn contexts(&self) -> Vec<KeyContext> {
        if self.reason.is_some() {
            // Typing a reason: only the global keys are keys.
            vec![KeyContext::Global]
        } else {
            vec![KeyContext::Approval, KeyContext::Global]
        }
    }

    /// Typing the reason for a denial: Enter sends it, Esc goes back to the answers.
    fn type_key(&mut self, key: &KeyEvent) -> Option<LayerOutcome> {
        let reason = self.reason.as_mut()?;
        match reason.edit(key)? {
            Edited::Enter => {
                let reason = reason.text().trim().to_string();
                let op = Op::DenyCommand {
                    call_id: self.id.clone(),
                    reason: (!reason.is_empty()).then_some(reason),
                };
                Some(LayerOutcome {
                    close: true,
                    outcome: Outcome::send(vec![op]),
                    run: None,
                })
            }
            Edited::Esc => {
                self.reason = None;
                Some(LayerOutcome::default())
            }
            Edited::Changed => Some(LayerOutcome::default()),
        }
    }

    fn handle(&mut self, action: Action, ctx: &LayerCtx<'_>) -> LayerOutcome {
        match action {
            Action::ApproveOnce | Action::ApproveAlways => {
                let keys = ctx.keymap.keys_label(Action::ApprovalDown);
                if let Some(why) = self.not_ready(&keys) {
                    return Outcome::note(why).into();
                }
                return LayerOutcome {
                    close: true,
                    outcome: Outcome::send(vec![Op::ApproveCommand {
                        call_id: self.id.clone(),
                        always: action == Action::ApproveAlways,
                    }]),
                    run: None,
                };
            }
            Action::Deny => self.reason = Some(TextField::default()),
            Action::ApprovalDown
            | Action::ApprovalUp
            | Action::ApprovalPageDown
            | Action::ApprovalPageUp => {
                let area = ctx.size;
                let page = isize::try_from(self.page(area)).unwrap_or(1);
                let delta = match action {
                    Action::ApprovalDown => 1,
                    Action::ApprovalUp => -1,
                    Action::ApprovalPageDown => page,
                    _ => -page,
                };
                self.scroll_by(area, delta);
            }
            _ => {}
        }
        LayerOutcome::default()
    }

    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect) {
        draw_prompt(ctx, frame, area, self);
    }
}

fn draw_prompt(ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect, prompt: &ApprovalPrompt) {
    let s = &ctx.theme.styles;
    let styles = Styles {
        text: s.overlay,
        command: s.key,
        danger: s.error,
        dim: s.dim,
    };
    let layout = approval::layout(area, prompt, &styles);
    let key = |a: Action| ctx.keymap.keys_label(a);
    let first_key = |a: Action| {
        ctx.keymap
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
    let warn = ctx.sandbox_unenforced;
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
            .block(ctx.theme.pane_block(title, true).style(s.overlay)),
        layout.rect,
    );
}
