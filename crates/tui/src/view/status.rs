//! The status bar: gear, provider/model, session title, tokens, the sandbox and MCP servers,
//! and the focused pane's keys. When space is short hints are dropped whole from the end first
//! (never cut), then the title is shortened.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::{App, SessionView};
use crate::context::ContextReport;
use crate::keymap::Action;
use crate::theme::Styles;

/// The title keeps at least this many columns before hints give way.
const MIN_TITLE: usize = 20;
/// ... and before a note (which matters more than the title) is shortened.
const MIN_TITLE_BESIDE_NOTE: usize = 6;

fn width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let s = &app.theme.styles;
    let session = &app.session;
    let total_width = usize::from(area.width);
    let mut head = vec![
        Span::styled(
            format!(" {} ", session.gear.as_str().to_uppercase()),
            app.theme.gear(session.gear),
        ),
        Span::raw(" "),
    ];
    // The demo's provider and model are both "demo": the badge says it all.
    if session.is_demo {
        head.push(Span::styled(" DEMO ", s.demo));
    } else {
        head.push(Span::raw(format!("{}/{}", session.provider, session.model)));
    }
    head.push(Span::styled(" │ ", s.dim));
    let pct = session.context_tokens * 100 / session.context_window.max(1);
    let fill = app.context.report.as_ref().map(ContextReport::fill);
    let tokens_style = match fill {
        Some(f) if f > 1.0 => s.error,
        Some(f) if f >= app.warn_at => s.key,
        _ => ratatui::style::Style::default(),
    };
    let mut tail = vec![
        Span::styled(" │ ", s.dim),
        Span::styled(
            format!(
                "{}/{} tok {pct}%",
                crate::fit::count(session.context_tokens),
                crate::fit::count(session.context_window)
            ),
            tokens_style,
        ),
    ];
    if let Some(cost) = session.cost {
        tail.push(Span::raw(format!(" ${cost:.4}")));
    }
    let mut optional = Vec::new();
    sandbox_and_mcp(session, s, &mut tail, &mut optional);
    if let Some(review) = pending_review(app, total_width) {
        tail.push(review);
    } else if app.busy {
        tail.push(Span::styled(" │ working…", s.notice));
    }

    let total = usize::from(area.width);
    let mut right = Vec::new();
    // In a narrow bar a note is read before the figures: they give way (a warning stays).
    if let Some(note) = &app.note {
        let wanted = note.width().min(30) + 2;
        if total < width(&head) + width(&tail) + MIN_TITLE_BESIDE_NOTE + wanted {
            let warnings: Vec<Span<'static>> =
                tail.drain(..).filter(|sp| sp.style == s.error).collect();
            for w in warnings {
                tail.push(Span::styled(" │ ", s.dim));
                tail.push(w);
            }
        }
    }
    if let Some(note) = &app.note {
        // A note is never dropped: it is shortened to the room left beside a short title.
        let room = total.saturating_sub(width(&head) + width(&tail) + MIN_TITLE_BESIDE_NOTE + 2);
        right.push(Span::styled(
            format!(" {} ", crate::fit::text(note, room.max(12))),
            s.notice,
        ));
    } else {
        for (key, label) in app.keymap.hints_where(&app.contexts(), |a| app.applies(a)) {
            right.push(Span::styled(format!(" {key}"), s.key));
            right.push(Span::raw(format!(" {label} ")));
        }
    }
    // The sandbox's mode and the MCP servers' state come after the first hint but before the
    // others: those give way first.
    let first_hint = width(&right[..right.len().min(2)]);
    if width(&head) + width(&tail) + width(&optional) + MIN_TITLE + first_hint <= total {
        tail.extend(optional);
    }
    let fixed = width(&head) + width(&tail);
    while right.len() > 1 && fixed + MIN_TITLE + width(&right) > total {
        // Hints give way to the title; a note (one span) never does.
        right.truncate(right.len().saturating_sub(2));
    }
    let title = if session.title.is_empty() {
        "new session"
    } else {
        &session.title
    };
    let room = total.saturating_sub(fixed + width(&right));
    let title = crate::fit::text(title, room.max(1));
    let gap = room.saturating_sub(title.width());

    let mut spans = head;
    spans.push(Span::raw(title));
    spans.extend(tail);
    spans.push(Span::raw(" ".repeat(gap)));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(s.status_bar), area);
}

/// The sandbox's mode and the MCP servers' state: in `tail` when they warn (always shown),
/// else in `optional` (shown while there is room).
fn sandbox_and_mcp(
    session: &SessionView,
    s: &Styles,
    tail: &mut Vec<Span<'static>>,
    optional: &mut Vec<Span<'static>>,
) {
    // The sandbox's mode is shown while there is room; a sandbox not in force always is.
    match &session.sandbox {
        Some(sb) if sb.enforced => {
            optional.push(Span::styled(" │ ", s.dim));
            optional.push(Span::styled(format!("sandbox {}", sb.mode), s.dim));
        }
        Some(sb) => {
            tail.push(Span::styled(" │ ", s.dim));
            let what = if sb.mode == "off" {
                "sandbox off"
            } else {
                "no sandbox"
            };
            tail.push(Span::styled(format!("⚠ {what}"), s.error));
        }
        None => {}
    }
    // MCP servers: how many are ready, a failure always shown.
    if !session.mcp.is_empty() {
        use crate::mcp::ServerState;
        let ready = session
            .mcp
            .iter()
            .filter(|m| matches!(m.state, ServerState::Ready { .. }))
            .count();
        let starting = session.mcp.iter().any(|m| m.state == ServerState::Starting);
        let failed = session
            .mcp
            .iter()
            .filter(|m| matches!(m.state, ServerState::Failed { .. }))
            .count();
        let shown = session
            .mcp
            .iter()
            .filter(|m| m.state != ServerState::Disabled)
            .count();
        let text = format!("MCP {ready}/{shown}{}", if starting { " …" } else { "" });
        if failed > 0 {
            tail.push(Span::styled(" │ ", s.dim));
            tail.push(Span::styled(format!("⚠ {text}"), s.error));
        } else {
            optional.push(Span::styled(" │ ", s.dim));
            optional.push(Span::styled(text, s.dim));
        }
    }
}

/// The change waiting for review, with the key that reaches it; `None` when none waits.
fn pending_review(app: &App, total_width: usize) -> Option<Span<'static>> {
    let s = &app.theme.styles;
    let pending = app.diff.log.pending()?;
    Some({
        let keys = app.keymap.keys_label(Action::FocusDiff);
        // Beside a note the path gives way (the diff pane names it): the note is read first.
        let what = if app.note.is_some() {
            format!(" │ review ({keys})")
        } else {
            // A long path keeps its end, the file's name.
            let path = &pending.change.path;
            let room = (total_width / 4).max(16);
            let path = if path.width() > room {
                let tail: String = path
                    .chars()
                    .rev()
                    .take(room - 1)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                format!("…{tail}")
            } else {
                path.clone()
            };
            format!(" │ review {path} ({keys})")
        };
        Span::styled(what, s.key)
    })
}
