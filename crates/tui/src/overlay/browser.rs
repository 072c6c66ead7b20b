//! The session browser: past sessions of this workspace (or all), searched, opened, forked,
//! renamed, deleted or exported. Its queries run off the UI thread (`Effect::Browser`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{DrawCtx, Layer, LayerCtx, LayerOutcome};
use crate::browser::{Browser, BrowserRequest, Input};
use crate::field::Edited;
use crate::keymap::{Action, KeyContext};
use crate::library::{MATCH_END, MATCH_START};
use crate::outcome::Effect;
use crate::outcome::Outcome;

fn request(request: Option<BrowserRequest>) -> LayerOutcome {
    Outcome {
        effects: request.map(Effect::Browser).into_iter().collect(),
        ..Outcome::default()
    }
    .into()
}

impl Layer for Browser {
    fn contexts(&self) -> Vec<KeyContext> {
        if self.input.is_none() {
            vec![KeyContext::Browser, KeyContext::Global]
        } else {
            // Typing a search or a title: only the global keys are keys.
            vec![KeyContext::Global]
        }
    }

    /// Typing a search or a new title, or answering the delete question.
    fn type_key(&mut self, key: &KeyEvent) -> Option<LayerOutcome> {
        let input = self.input.clone()?;
        let sent = match (input, key.code) {
            (Input::ConfirmDelete, KeyCode::Char('y') | KeyCode::Enter) => self.submit_input(),
            (Input::ConfirmDelete, KeyCode::Char('n') | KeyCode::Esc) => {
                self.input = None;
                None
            }
            (Input::ConfirmDelete, _) => None,
            // The field's keys (the composer's); Ctrl+Q and the like are the keymap's.
            _ => match self.edit_field(key)? {
                Edited::Enter => self.submit_input(),
                Edited::Esc => {
                    self.input = None;
                    None
                }
                Edited::Changed => None,
            },
        };
        Some(request(sent))
    }

    fn handle(&mut self, action: Action, _ctx: &LayerCtx<'_>) -> LayerOutcome {
        self.message = None;
        let sent = match action {
            Action::BrowserUp => self.move_by(-1),
            Action::BrowserDown => self.move_by(1),
            Action::BrowserOpen => self.open_selected(),
            Action::BrowserScope => Some(self.toggle_scope()),
            Action::BrowserSearch => {
                self.start_search();
                None
            }
            Action::BrowserFork => self.selected_row().map(|r| BrowserRequest::Fork {
                id: r.id.clone(),
                workspace: self.workspace.clone(),
            }),
            Action::BrowserRename => {
                self.start_rename();
                None
            }
            Action::BrowserDelete => {
                self.start_delete();
                None
            }
            Action::BrowserExport => self
                .selected_row()
                .map(|r| BrowserRequest::Export { id: r.id.clone() }),
            _ => None,
        };
        request(sent)
    }

    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect) {
        draw_browser(ctx, frame, area, self);
    }
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A snippet with its matched words in the match style.
fn snippet_line(ctx: &DrawCtx<'_>, snippet: &str) -> Line<'static> {
    let s = &ctx.theme.styles;
    let mut spans = vec![Span::styled("    ", s.dim)];
    let mut matched = false;
    for part in snippet
        .replace('\n', " ")
        .split_inclusive([MATCH_START, MATCH_END])
    {
        let (text, marker) = match part.chars().last() {
            Some(c @ (MATCH_START | MATCH_END)) => (&part[..part.len() - c.len_utf8()], Some(c)),
            _ => (part, None),
        };
        let style = if matched {
            s.key.add_modifier(Modifier::UNDERLINED)
        } else {
            s.dim
        };
        spans.push(Span::styled(text.to_string(), style));
        match marker {
            Some(MATCH_START) => matched = true,
            Some(_) => matched = false,
            None => {}
        }
    }
    Line::from(spans)
}

fn draw_browser(ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect, b: &Browser) {
    let s = &ctx.theme.styles;
    let [_, mid, _] = Layout::horizontal([
        Constraint::Percentage(4),
        Constraint::Percentage(92),
        Constraint::Percentage(4),
    ])
    .areas(area);
    let [_, rect, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(mid);
    frame.render_widget(Clear, rect);
    let scope = if b.all_workspaces {
        "all workspaces"
    } else {
        "this workspace"
    };
    let title = format!("Sessions — {scope}");
    let block = ctx.theme.pane_block(&title, true).style(s.overlay);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);

    let head_line = match &b.input {
        Some(Input::Search(q)) => {
            let mut line = q.line("search", s);
            line.spans.pop();
            line
        }
        _ if !b.query.is_empty() => Line::from(vec![
            Span::styled("matching ", s.dim),
            Span::styled(b.query.clone(), s.key),
            Span::styled(format!("  ({})", sessions(b.rows.len())), s.dim),
        ]),
        _ if b.loading => Line::styled("loading…", s.dim),
        _ => Line::styled(format!("{}, newest first", sessions(b.rows.len())), s.dim),
    };
    frame.render_widget(Paragraph::new(head_line).style(s.overlay), head);

    // Two columns apart, so a row's details never run into the preview's words.
    let [list, preview] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .spacing(2)
            .areas(body);
    let lines = list_lines(ctx, b, list);
    frame.render_widget(Paragraph::new(lines).style(s.overlay), list);
    let preview_lines: Vec<Line<'_>> = b
        .preview
        .iter()
        .map(|l| Line::styled(l.clone(), s.text))
        .collect();
    frame.render_widget(
        Paragraph::new(preview_lines)
            .style(s.overlay)
            .wrap(Wrap { trim: false }),
        preview,
    );

    let foot_line = foot_line(ctx, b, foot.width);
    frame.render_widget(Paragraph::new(foot_line).style(s.overlay), foot);
}

/// "1 session", "3 sessions".
fn sessions(n: usize) -> String {
    if n == 1 {
        "1 session".into()
    } else {
        format!("{n} sessions")
    }
}

/// The sessions, three rows each (title, details, a search's snippet), scrolled to the
/// selection.
fn list_lines(ctx: &DrawCtx<'_>, b: &Browser, list: Rect) -> Vec<Line<'static>> {
    let s = &ctx.theme.styles;
    let cut = |text: &str, used: usize| {
        crate::fit::text(text, usize::from(list.width).saturating_sub(used).max(4))
    };
    let per_row = 3usize;
    let visible = usize::from(list.height) / per_row;
    let first = b.selected.saturating_sub(visible.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, row) in b.rows.iter().enumerate().skip(first).take(visible.max(1)) {
        let selected = i == b.selected;
        let marker = if selected { "▶ " } else { "  " };
        let title = if row.title.is_empty() {
            "(untitled)"
        } else {
            &row.title
        };
        let mut first_line = vec![
            Span::styled(marker, s.key),
            Span::styled(
                cut(title, 9),
                if selected { s.title_focused } else { s.text },
            ),
        ];
        if row.id == b.current {
            first_line.push(Span::styled("  (open)", s.dim));
        }
        lines.push(Line::from(first_line));
        // When, then the details most important first, then the workspace: what does not
        // fit is dropped whole.
        let mut parts: Vec<String> = std::iter::once(when(row.updated_at))
            .chain(row.detail.iter().cloned())
            .filter(|p| !p.is_empty())
            .collect();
        if b.all_workspaces || row.workspace != b.workspace {
            parts.push(row.workspace.clone());
        }
        let room = usize::from(list.width).saturating_sub(4);
        let second = format!("    {}", crate::fit::parts(&parts, " · ", room, None));
        lines.push(Line::styled(second, s.dim));
        lines.push(match &row.snippet {
            Some(snippet) => snippet_line(ctx, snippet),
            None => Line::default(),
        });
    }
    if b.rows.is_empty() && !b.loading {
        lines.push(Line::styled(
            if b.query.is_empty() {
                "No sessions here yet. Press w to see every workspace's."
            } else {
                "No message matches. Try other words, or w for every workspace."
            },
            s.dim,
        ));
    }
    lines
}

/// The footer: the field being typed, a message, or the browser's keys that fit.
fn foot_line(ctx: &DrawCtx<'_>, b: &Browser, width: u16) -> Line<'static> {
    let s = &ctx.theme.styles;
    match (&b.input, &b.message) {
        (Some(Input::ConfirmDelete), _) => Line::styled(
            "Delete this session and everything of it? y delete · n keep",
            s.error,
        ),
        (Some(Input::Rename(t)), _) => t.line("title", s),
        (Some(Input::Search(_)), _) => Line::styled("Enter search · Esc cancel", s.dim),
        (None, Some(m)) => Line::styled(m.clone(), s.notice),
        (None, None) => {
            // The keys in the keymap's order, then how to close; the closing key and the
            // first ones are kept when the row is short, the rest dropped whole.
            let mut hints = ctx.keymap.hints(&[KeyContext::Browser]);
            hints.push((crate::hints::key(ctx.keymap, Action::Back), "close"));
            let widths: Vec<usize> = hints
                .iter()
                .map(|(k, l)| unicode_width::UnicodeWidthStr::width(format!("{k} {l}").as_str()))
                .collect();
            let last = hints.len() - 1;
            let priority: Vec<usize> = std::iter::once(last).chain(0..last).collect();
            let kept = crate::fit::choose(&widths, &priority, 2, usize::from(width));
            let mut spans = Vec::new();
            for ((key, label), _) in hints.iter().zip(&kept).filter(|(_, k)| **k) {
                if !spans.is_empty() {
                    spans.push(Span::raw("  "));
                }
                spans.push(Span::styled(key.clone(), s.key));
                spans.push(Span::styled(format!(" {label}"), s.dim));
            }
            Line::from(spans)
        }
    }
}
