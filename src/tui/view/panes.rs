//! The plan, diff and context panes. Their full behaviour arrives with the plan-gear,
//! diff-review and context-heatmap work; until then each says what it is for and how to use it,
//! and the context pane already shows the window's fill from reported usage.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::protocol::Gear;
use crate::tui::app::App;
use crate::tui::{contextview, diffview};

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
    let c = &app.context;
    let block = pane_block(app, "Context", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, grid, legend, list, preview] =
        contextview::areas(inner, u16::try_from(c.legend.len()).unwrap_or(u16::MAX));
    frame.render_widget(Paragraph::new(c.header.clone()), header);
    frame.render_widget(Paragraph::new(c.grid.clone()), grid);
    frame.render_widget(Paragraph::new(c.legend.clone()), legend);
    frame.render_widget(Paragraph::new(c.list.clone()), list);
    frame.render_widget(Paragraph::new(c.preview.clone()), preview);
}
