//! The plan, diff and context panes: each draws what its view state laid out in `prepare`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::tui::app::App;
use crate::tui::{contextview, diffview, planview};

pub fn plan(app: &App, frame: &mut Frame<'_>, area: Rect, focused: bool) {
    let p = &app.plan;
    let title = if p.stages.is_some() {
        "Pipeline"
    } else {
        "Plan"
    };
    let block = pane_block(app, title, focused);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(stages) = &p.stages {
        frame.render_widget(
            Paragraph::new(stages.clone()).wrap(Wrap { trim: true }),
            Rect { height: 1, ..inner },
        );
        inner.y += 1;
        inner.height = inner.height.saturating_sub(1);
    }
    let [header, tree, preview, footer] = planview::areas(inner);
    frame.render_widget(Paragraph::new(p.header.clone()), header);
    let tree_text = Paragraph::new(p.tree.clone());
    frame.render_widget(
        if p.plan.is_none() {
            tree_text.wrap(Wrap { trim: true })
        } else {
            tree_text
        },
        tree,
    );
    frame.render_widget(
        Paragraph::new(p.preview.clone()).wrap(Wrap { trim: false }),
        preview,
    );
    frame.render_widget(Paragraph::new(p.footer.clone()), footer);
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
    frame.render_widget(Paragraph::new(d.footer(&app.theme, &app.keymap)), footer);
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
