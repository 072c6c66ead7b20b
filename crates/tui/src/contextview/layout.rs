//! The context pane laid out for the draw, in `prepare` (never on the draw path): the header
//! and legend, the grid of the window's cells, the list of items scrolled to the selection,
//! and the selected item's line with its keys.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{Cell, ContextView, areas, category_style, thousands};
use crate::context::{ContextItem, ContextReport, ItemId};
use crate::hints;
use crate::keymap::{Action, Keymap};
use crate::theme::{Styles, Theme};

impl ContextView {
    /// Lays out everything the draw shows for a pane of `inner` size.
    pub fn prepare(&mut self, inner: Rect, theme: &Theme, warn_at: f64, keymap: &Keymap) {
        let s = &theme.styles;
        let Some(report) = &self.report else {
            self.header = vec![Line::styled("Waiting for the first accounting…", s.dim)];
            self.grid.clear();
            self.legend.clear();
            self.list.clear();
            self.preview = Line::default();
            return;
        };
        let width = usize::from(inner.width.max(1));
        let mut legend = legend_lines(report, s, width);
        // A small pane keeps room for the grid and a line of the list.
        legend.truncate(usize::from(inner.height / 4).max(1));
        let mut head = crate::markdown::wrap(
            &header(report, s, warn_at)
                .spans
                .into_iter()
                .map(|sp| (sp.content.into_owned(), sp.style))
                .collect::<Vec<_>>(),
            width,
            Vec::new(),
            &[],
        );
        head.truncate(3);
        let [_, grid_area, _, list_area, _] = areas(inner, head.len(), legend.len());
        self.legend = legend;
        self.header = head;
        let rows = usize::from(grid_area.height);
        let cells = Self::cells(report, width * rows);
        let selected = self.sorted.get(self.selected).copied();
        let conversation: Vec<usize> = report
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.id, ItemId::Message(_)))
            .map(|(n, _)| n)
            .collect();
        // The older two thirds of the conversation are dimmer.
        let recent_from = conversation
            .get(conversation.len() * 2 / 3)
            .copied()
            .unwrap_or(usize::MAX);
        self.grid = grid_lines(report, &cells, width, selected, recent_from, s);
        // The list, scrolled to keep the selection in view.
        let height = usize::from(list_area.height);
        if self.selected < self.list_top {
            self.list_top = self.selected;
        } else if height > 0 && self.selected >= self.list_top + height {
            self.list_top = self.selected + 1 - height;
        }
        self.list = self.list_lines(report, height, width, s);
        self.preview = self
            .selected_item()
            .map_or_else(Line::default, |item| preview_line(item, width, s, keymap));
    }
}

/// The grid: one cell per share of the window, each item in its category's colour (older
/// messages dimmer, the selected one reversed), free and reserved room after them.
fn grid_lines(
    report: &ContextReport,
    cells: &[Cell],
    width: usize,
    selected: Option<usize>,
    recent_from: usize,
    s: &Styles,
) -> Vec<Line<'static>> {
    cells
        .chunks(width)
        .map(|row| {
            Line::from(
                row.iter()
                    .map(|c| match *c {
                        Cell::Item(n) => {
                            let item = &report.items[n];
                            let mut style = category_style(s, item.category);
                            if matches!(item.id, ItemId::Message(_)) && n < recent_from {
                                style = style.add_modifier(Modifier::DIM);
                            }
                            if Some(n) == selected {
                                style = style.add_modifier(Modifier::REVERSED);
                            }
                            let glyph = if item.dropped { "·" } else { "█" };
                            Span::styled(glyph, style)
                        }
                        Cell::Free => Span::styled("░", s.ctx_free),
                        Cell::Reserved => Span::styled("▒", s.ctx_reserved),
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

impl ContextView {
    /// The list of items from `list_top`, `height` rows, the selected one marked.
    fn list_lines(
        &self,
        report: &ContextReport,
        height: usize,
        width: usize,
        s: &Styles,
    ) -> Vec<Line<'static>> {
        let used = report.used().max(1);
        self.sorted
            .iter()
            .enumerate()
            .skip(self.list_top)
            .take(height)
            .map(|(pos, n)| {
                let item = &report.items[*n];
                let marker = if pos == self.selected { "▸" } else { " " };
                let flags = match (item.pinned, item.dropped) {
                    (true, _) => "◆ ",
                    (_, true) => "✗ ",
                    _ => "  ",
                };
                let mut line = Line::from(vec![
                    Span::styled(marker, s.key),
                    Span::styled("■ ", category_style(s, item.category)),
                    Span::styled(
                        format!(
                            "{:>7} {:>3}% ",
                            thousands(item.tokens),
                            item.tokens * 100 / used
                        ),
                        s.text,
                    ),
                    Span::styled(flags, s.key),
                    // Cut with a mark; the line below the list shows the selected one whole.
                    Span::styled(
                        crate::fit::text(&item.label, width.saturating_sub(17).max(4)),
                        if item.dropped { s.dim } else { s.text },
                    ),
                ]);
                if pos == self.selected {
                    line = line.patch_style(s.selection);
                }
                line
            })
            .collect()
    }
}

/// The selected item's whole name, and what its keys do (the keys give way first).
fn preview_line(item: &ContextItem, width: usize, s: &Styles, keymap: &Keymap) -> Line<'static> {
    let what = match item.id {
        ItemId::Message(_) if item.dropped => format!(
            "  (dropped: {} brings it back)",
            hints::key(keymap, Action::ContextDrop)
        ),
        ItemId::Message(_) if item.pinned => "  (pinned: kept through compaction)".to_string(),
        ItemId::Message(_) => {
            // The keys take what the item's name leaves.
            let name = format!("{}: {}", item.category.label(), item.label);
            let room =
                width.saturating_sub(unicode_width::UnicodeWidthStr::width(name.as_str()) + 2);
            let keys = hints::footer(
                keymap,
                &[
                    (Action::ContextDrop, "drop"),
                    (Action::ContextPin, "pin"),
                    (Action::ContextCompact, "compact"),
                ],
                room,
            );
            if keys.is_empty() {
                String::new()
            } else {
                format!("  {keys}")
            }
        }
        _ => "  (part of every request)".to_string(),
    };
    // The label is the selected item's whole name: the keys give way first.
    crate::fit::line(
        Line::from(vec![
            Span::styled(
                format!("{}: ", item.category.label()),
                category_style(s, item.category),
            ),
            Span::styled(item.label.clone(), s.text),
            Span::styled(what, s.dim),
        ]),
        width,
    )
}

pub(super) fn header(report: &ContextReport, s: &Styles, warn_at: f64) -> Line<'static> {
    let used = report.used();
    let fill = report.fill();
    let style = if report.over() {
        s.error
    } else if fill >= warn_at {
        s.key
    } else {
        s.text
    };
    let mut spans = vec![
        Span::styled(
            format!(
                "{} / {} tokens ({}%)",
                thousands(used),
                thousands(report.window),
                used * 100 / report.window.max(1)
            ),
            style,
        ),
        Span::styled(
            format!(" + {} for the reply", thousands(report.reserved)),
            s.dim,
        ),
    ];
    if !report.calibrated {
        spans.push(Span::styled(" · estimated", s.dim));
    }
    if report.delegated > 0 {
        spans.push(Span::styled(
            format!(" · subagents held {} more", thousands(report.delegated)),
            s.dim,
        ));
    }
    if let Some(last) = report.cache.last_percent() {
        let session = report.cache.session_percent().unwrap_or(last);
        spans.push(Span::styled(
            format!(" · cache {last}% of the last request ({session}% of the session)"),
            s.dim,
        ));
    }
    if report.over() {
        spans.push(Span::styled(
            " · OVER THE WINDOW: C compacts, d drops",
            s.error,
        ));
    } else if fill >= warn_at {
        spans.push(Span::styled(" · filling up: C compacts", s.key));
    }
    Line::from(spans)
}

fn legend_lines(report: &ContextReport, s: &Styles, width: usize) -> Vec<Line<'static>> {
    let window = report.window.max(1);
    let used = report.used();
    let mut entries: Vec<(String, Style)> = report
        .by_category()
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(c, t)| {
            (
                format!("{} {} {}%", c.label(), thousands(t), t * 100 / window),
                category_style(s, c),
            )
        })
        .collect();
    let free = window.saturating_sub(used + report.reserved);
    entries.push((
        format!("free {} {}%", thousands(free), free * 100 / window),
        s.ctx_free,
    ));
    entries.push((
        format!(
            "reply {} {}%",
            thousands(report.reserved),
            report.reserved * 100 / window
        ),
        s.ctx_reserved,
    ));
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut len = 0;
    for (text, style) in entries {
        let w = text.chars().count() + 4;
        if len + w > width && !line.is_empty() {
            lines.push(Line::from(std::mem::take(&mut line)));
            len = 0;
        }
        line.push(Span::styled("■ ", style));
        line.push(Span::styled(format!("{text}  "), s.text));
        len += w;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}
