//! The chat pane: the transcript (drawn by its pane), the composer below it, and the `/`
//! command popup over the transcript's last rows while a command name is being typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::keymap::Action;
use crate::layout::{PaneId, chat_areas};
use crate::pane::PaneCtx;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect, ctx: &PaneCtx<'_>) {
    let (transcript, composer) = chat_areas(area, app.composer.lines().len());
    app.pane(PaneId::Chat).render(frame, transcript, ctx);
    frame.render_widget(&app.composer, composer);
    queued(app, frame, transcript);
    popup(app, frame, transcript);
}

/// Prompts sent while the model works, on the transcript's last rows until they are
/// delivered: at the model's next step (or when it finishes), or taken back with Esc.
fn queued(app: &App, frame: &mut Frame<'_>, above: Rect) {
    if app.queued.is_empty() || above.height < 4 {
        return;
    }
    let s = &app.theme.styles;
    let shown = app.queued.len().min(3);
    let height = u16::try_from(shown + 1).unwrap_or(3);
    let rect = Rect {
        y: above.bottom() - height,
        height,
        ..above
    };
    let width = usize::from(rect.width);
    let mut lines = vec![Line::styled(
        crate::fit::text(
            &format!(
                "queued — sent at the model's next step · {} takes the last back to edit · {} sends now",
                app.keymap.keys_label(Action::Back),
                app.keymap.keys_label(Action::SendNow)
            ),
            width,
        ),
        s.dim,
    )];
    for text in app.queued.iter().rev().take(shown).rev() {
        let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
        lines.push(Line::styled(
            crate::fit::text(&format!("⏳ {one}"), width),
            s.key,
        ));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines), rect);
}

/// The popup over the bottom of `above` (the transcript's area): the `/` commands, or the
/// files and folders an `@` mention may name; the selected one marked.
fn popup(app: &App, frame: &mut Frame<'_>, above: Rect) {
    let items: Vec<(String, String)> = if let Some((_, shown)) = app.mention() {
        shown
            .iter()
            .map(|p| {
                let what = if p.ends_with('/') { "folder" } else { "" };
                (format!("@{p}"), what.to_string())
            })
            .collect()
    } else if let Some(found) = app.completion() {
        found
            .iter()
            .map(|c| {
                let head = if c.hint.is_empty() {
                    format!("/{}", c.name)
                } else {
                    format!("/{} {}", c.name, c.hint)
                };
                (head, c.description.clone())
            })
            .collect()
    } else {
        if let Some(notice) = app.mention_notice() {
            mention_notice(app, frame, above, &notice);
        }
        return;
    };
    let s = &app.theme.styles;
    let rows = items.len().min(crate::app::POPUP_ROWS);
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
    let selected = app.completion_selected(items.len());
    // The rows shown keep the selected one in view.
    let first = selected.saturating_sub(rows - 1);
    let inner = usize::from(rect.width.saturating_sub(2));
    let head_width = items
        .iter()
        .skip(first)
        .take(rows)
        .map(|(h, _)| unicode_width::UnicodeWidthStr::width(h.as_str()) + 1)
        .max()
        .unwrap_or(0)
        .min(inner * 2 / 3);
    let lines: Vec<Line<'_>> = items
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, (head, desc))| {
            let style = if i == selected {
                s.selection
            } else {
                s.overlay
            };
            let head = crate::fit::text(head, head_width);
            let pad =
                head_width.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
            let room = inner.saturating_sub(head_width + 2);
            Line::from(vec![
                Span::styled(format!("{head}{}  ", " ".repeat(pad)), style),
                Span::styled(crate::fit::text(desc, room), style),
            ])
        })
        .collect();
    let listing = app
        .files
        .as_deref()
        .filter(|f| app.mention().is_some() && !f.walked())
        .map(|f| format!("listing… {}", f.count()));
    let parts: Vec<String> = [
        Some(format!("{}/{}", selected + 1, items.len())),
        Some(format!(
            "{} {}",
            app.keymap.keys_label(Action::CompletionRun),
            if app.mention().is_some() {
                "pick"
            } else {
                "run"
            },
        )),
        Some(format!("{} close", app.keymap.keys_label(Action::Back))),
        Some(format!(
            "{} complete",
            app.keymap.keys_label(Action::CompletionAccept)
        )),
        listing,
    ]
    .into_iter()
    .flatten()
    .collect();
    // Whole hints in the border, the least needed dropped first.
    let title = format!(
        " {} ",
        crate::fit::parts(&parts, " · ", inner.saturating_sub(4), None)
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

/// One line over the composer when an `@` mention matches nothing (yet): why.
fn mention_notice(app: &App, frame: &mut Frame<'_>, above: Rect, notice: &str) {
    if above.height < 3 || above.width < 12 {
        return;
    }
    let s = &app.theme.styles;
    let rect = Rect {
        x: above.x + 1,
        y: above.bottom() - 3,
        width: above.width - 2,
        height: 3,
    };
    let inner = usize::from(rect.width.saturating_sub(2));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(crate::fit::text(notice, inner))
            .style(s.overlay)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(s.border),
            ),
        rect,
    );
}
