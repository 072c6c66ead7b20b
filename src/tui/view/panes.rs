//! The plan, diff and context panes. Their full behaviour arrives with the plan-gear,
//! diff-review and context-heatmap work; until then each says what it is for and how to use it,
//! and the context pane already shows the window's fill from reported usage.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::protocol::Gear;
use crate::tui::app::App;
use crate::tui::diffview;

fn explain(
    app: &App,
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    focused: bool,
    lines: Vec<Line<'_>>,
) {
    frame.render_widget(
        Paragraph::new(lines)
            .block(pane_block(app, title, focused))
            .wrap(Wrap { trim: true }),
        area,
    );
}

pub fn plan(app: &App, frame: &mut Frame<'_>, area: Rect, focused: bool) {
    let s = &app.theme.styles;
    let lines = if app.session.gear == Gear::Vibe {
        vec![
            Line::styled("No plan in the vibe gear.", s.text),
            Line::styled(
                "Shift+Tab to the plan gear: the model explores read-only and proposes a plan \
                 tree here, which you edit and approve step by step.",
                s.dim,
            ),
        ]
    } else {
        vec![
            Line::styled("No plan yet.", s.text),
            Line::styled(
                "Describe what you want in the composer; the proposed plan appears here.",
                s.dim,
            ),
        ]
    };
    explain(app, frame, area, "Plan", focused, lines);
}

pub fn diff(app: &App, frame: &mut Frame<'_>, area: Rect, focused: bool) {
    let d = &app.diff;
    let title = match d.log.pending() {
        Some(e) => format!(
            "Diff — review {} ({} undecided)",
            e.change.path,
            e.undecided()
        ),
        None if d.split => "Diff — side by side".to_string(),
        None => "Diff".to_string(),
    };
    let block = pane_block(app, &title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list, body, footer] = diffview::areas(inner, d.log.entries.len());
    frame.render_widget(Paragraph::new(d.list.clone()), list);
    let body_text = Paragraph::new(d.body.clone());
    frame.render_widget(
        if d.log.entries.is_empty() {
            body_text.wrap(Wrap { trim: true })
        } else {
            body_text
        },
        body,
    );
    frame.render_widget(Paragraph::new(d.footer(&app.theme)), footer);
}

pub fn context(app: &App, frame: &mut Frame<'_>, area: Rect, focused: bool) {
    let s = &app.theme.styles;
    let used = app.session.context_tokens;
    let limit = app.session.context_window.max(1);
    let width = usize::from(area.width.saturating_sub(4)).max(1);
    let filled = usize::try_from(used.saturating_mul(width as u64) / limit)
        .unwrap_or(width)
        .min(width);
    let bar = Line::from(vec![
        Span::styled(
            "█".repeat(filled),
            s.gear_plan
                .remove_modifier(ratatui::style::Modifier::BOLD)
                .fg(s.gear_plan.bg.unwrap_or_default()),
        ),
        Span::styled("░".repeat(width - filled), s.dim),
    ]);
    let lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} / {} tokens", thousands(used), thousands(limit)),
                s.text,
            ),
            Span::styled(format!("  ({}%)", used * 100 / limit), s.dim),
        ]),
        bar,
        Line::styled(
            "What fills the window, by category, appears here once the model has replied.",
            s.dim,
        ),
        Line::from(Span::styled(String::new(), Style::default())),
    ];
    explain(app, frame, area, "Context", focused, lines);
}

/// 12345 → "12,345".
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
