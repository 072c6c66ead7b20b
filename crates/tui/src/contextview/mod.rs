//! The context pane's state: the core's latest [`ContextReport`], the item selected in the
//! list, and the heatmap's cells, laid out in `prepare` (never in the draw).
//!
//! The grid stands for the whole window: each cell is `window / cells` tokens, coloured by the
//! category of the item at that point of the request (in request order: system prompt, memory,
//! tools, summary, then the conversation oldest first), then free space, then the reserve
//! kept for the reply at the end. Older conversation items are dimmer; the selected item's
//! cells are reversed.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use super::theme::Styles;
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

mod layout;

#[cfg(test)]
pub(crate) mod tests;
