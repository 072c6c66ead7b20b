//! The context pane's state: the core's latest [`ContextReport`], the item selected in the
//! list, and the heatmap's cells, laid out in `prepare` (never in the draw).
//!
//! The grid stands for the whole window: each cell is `window / cells` tokens, coloured by the
//! category of the item at that point of the request (in request order: system prompt, memory,
//! tools, summary, then the conversation oldest first), then free space, then the reserve
//! kept for the reply at the end. Older conversation items are dimmer; the selected item's
//! cells are reversed.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::{Styles, Theme};
use crate::context::{Category, ContextItem, ContextReport, ItemId};
use crate::protocol::Op;

/// What a context key asks the app to do.
/// Why a pinned item cannot be left out (the pane adds the key that unpins it).
pub const PINNED: &str = "the item is pinned";

#[derive(Debug, Clone, PartialEq)]
pub enum ContextRequest {
    Send(Op),
    Note(String),
    None,
}

/// What a heatmap cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// An item, by its index in the report.
    Item(usize),
    Free,
    Reserved,
}

/// The pane's inner areas: header, grid, legend, item list, preview.
#[must_use]
pub fn areas(
    inner: ratatui::layout::Rect,
    header_lines: usize,
    legend_lines: usize,
) -> [ratatui::layout::Rect; 5] {
    use ratatui::layout::{Constraint, Layout};
    let grid = ((inner.height.saturating_sub(2)) / 3).clamp(1, 8);
    let lines = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    Layout::vertical([
        Constraint::Length(lines(header_lines)),
        Constraint::Length(grid),
        Constraint::Length(lines(legend_lines)),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner)
}

#[derive(Debug, Default)]
pub struct ContextView {
    pub report: Option<ContextReport>,
    /// Report item indexes, largest first: the list's order.
    pub sorted: Vec<usize>,
    /// Position in `sorted`.
    pub selected: usize,
    list_top: usize,
    /// Built by `prepare` for the draw.
    /// The figures, wrapped to the pane (at most three rows).
    pub header: Vec<Line<'static>>,
    pub grid: Vec<Line<'static>>,
    pub legend: Vec<Line<'static>>,
    pub list: Vec<Line<'static>>,
    pub preview: Line<'static>,
}

impl ContextView {
    /// A new report from the core; the selection stays on the same item when it can.
    pub fn set_report(&mut self, report: ContextReport) {
        let keep = self.selected_item().map(|i| i.id);
        let mut sorted: Vec<usize> = (0..report.items.len()).collect();
        sorted.sort_by(|a, b| {
            report.items[*b]
                .tokens
                .cmp(&report.items[*a].tokens)
                .then(a.cmp(b))
        });
        self.sorted = sorted;
        self.report = Some(report);
        if let Some(id) = keep
            && let Some(pos) = self
                .sorted
                .iter()
                .position(|i| self.report.as_ref().is_some_and(|r| r.items[*i].id == id))
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.sorted.len().saturating_sub(1));
    }

    #[must_use]
    pub fn selected_item(&self) -> Option<&ContextItem> {
        let r = self.report.as_ref()?;
        r.items.get(*self.sorted.get(self.selected)?)
    }

    pub fn step(&mut self, delta: isize) {
        let n = self.sorted.len();
        if n == 0 {
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(n - 1);
    }

    fn message(&self, verb: &str) -> Result<(usize, &ContextItem), String> {
        let item = self.selected_item().ok_or("nothing in the context yet")?;
        match item.id {
            ItemId::Message(i) => Ok((i, item)),
            _ => Err(format!(
                "only conversation messages can be {verb}; this is the {}",
                item.label
            )),
        }
    }

    /// `d`: leaves the selected message out of future requests, or brings it back.
    #[must_use]
    pub fn toggle_drop(&self) -> ContextRequest {
        match self.message("dropped") {
            Ok((_, item)) if item.pinned && !item.dropped => ContextRequest::Note(PINNED.into()),
            Ok((i, item)) => ContextRequest::Send(Op::DropItem {
                item: i,
                dropped: !item.dropped,
            }),
            Err(why) => ContextRequest::Note(why),
        }
    }

    /// `p`: keeps the selected message verbatim through compaction, or stops keeping it.
    #[must_use]
    pub fn toggle_pin(&self) -> ContextRequest {
        match self.message("pinned") {
            Ok((i, item)) => ContextRequest::Send(Op::PinItem {
                item: i,
                pinned: !item.pinned,
            }),
            Err(why) => ContextRequest::Note(why),
        }
    }

    /// The heatmap's cells for `count` cells.
    #[must_use]
    pub fn cells(report: &ContextReport, count: usize) -> Vec<Cell> {
        let mut cells = vec![Cell::Free; count];
        if count == 0 {
            return cells;
        }
        let window = report.window.max(1);
        let used = report.used();
        // A request over the window fills the grid: scale to what is there.
        let scale = window.max(used + report.reserved);
        let mut bounds = Vec::with_capacity(report.items.len());
        let mut end = 0u64;
        for item in &report.items {
            end += item.tokens;
            bounds.push(end);
        }
        let reserved_from = scale.saturating_sub(report.reserved);
        let count64 = count as u64;
        let mut item = 0;
        for (i, cell) in cells.iter_mut().enumerate() {
            // The token at the middle of the cell decides its colour.
            let mid = (2 * i as u64 + 1) * scale / (2 * count64);
            while item < bounds.len() && bounds[item] <= mid {
                item += 1;
            }
            *cell = if mid < used && item < bounds.len() {
                Cell::Item(item)
            } else if mid >= reserved_from {
                Cell::Reserved
            } else {
                Cell::Free
            };
        }
        cells
    }

    /// Lays out everything the draw shows for a pane of `inner` size.
    pub fn prepare(
        &mut self,
        inner: ratatui::layout::Rect,
        theme: &Theme,
        warn_at: f64,
        keymap: &crate::keymap::Keymap,
    ) {
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
        self.grid = cells
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
            .collect();
        // The list, scrolled to keep the selection in view.
        let height = usize::from(list_area.height);
        if self.selected < self.list_top {
            self.list_top = self.selected;
        } else if height > 0 && self.selected >= self.list_top + height {
            self.list_top = self.selected + 1 - height;
        }
        let used = report.used().max(1);
        self.list = self
            .sorted
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
            .collect();
        self.preview = match self.selected_item() {
            Some(item) => {
                use crate::hints;
                use crate::keymap::Action;
                let what = match item.id {
                    ItemId::Message(_) if item.dropped => format!(
                        "  (dropped: {} brings it back)",
                        hints::key(keymap, Action::ContextDrop)
                    ),
                    ItemId::Message(_) if item.pinned => {
                        "  (pinned: kept through compaction)".to_string()
                    }
                    ItemId::Message(_) => {
                        // The keys take what the item's name leaves.
                        let name = format!("{}: {}", item.category.label(), item.label);
                        let room = width.saturating_sub(
                            unicode_width::UnicodeWidthStr::width(name.as_str()) + 2,
                        );
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
            None => Line::default(),
        };
    }
}

#[must_use]
pub fn category_style(s: &Styles, c: Category) -> Style {
    match c {
        Category::System => s.ctx_system,
        Category::Memory => s.ctx_memory,
        Category::Skills => s.ctx_skills,
        Category::Tools => s.ctx_tools,
        Category::Mcp => s.ctx_tools.add_modifier(Modifier::ITALIC),
        Category::Summary => s.ctx_summary,
        Category::Artifacts => s.ctx_skills.add_modifier(Modifier::ITALIC),
        Category::User => s.ctx_user,
        Category::Assistant => s.ctx_assistant,
        Category::Reasoning => s.ctx_assistant.add_modifier(Modifier::DIM),
        Category::ToolResults => s.ctx_tool_results,
    }
}

fn header(report: &ContextReport, s: &Styles, warn_at: f64) -> Line<'static> {
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

#[cfg(test)]
pub(crate) mod tests;
