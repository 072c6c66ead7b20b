//! The chat transcript: messages with their wrapped lines cached per width, and the scroll
//! position. Wrapping happens in [`Transcript::prepare`], before a frame, never while drawing;
//! drawing only slices the cached lines that are visible.

use ratatui::text::Line;

use super::highlight::Highlighter;
use super::theme::Theme;
use super::toolcell::{Output, ToolCell, ToolResultView};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    User,
    Assistant,
    /// Something gearshift itself says (how to connect a model, a gear change…).
    Notice,
    Error,
    /// A tool call and its result.
    Tool,
    /// What the model thought: one dim line until expanded.
    Thinking,
    /// A turn's tokens, cost, time and models: one dim line under its reply.
    Usage,
}

/// Where the view is: following the end, or pinned at a line from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Follow,
    At(usize),
}

#[derive(Debug, Clone)]
pub struct Transcript {
    entries: Vec<Entry>,
    layout: Layout,
    /// Where the view is, and its height at the last prepare.
    view: Viewport,
    /// The entry selected for expanding or copying.
    selected: Option<usize>,
    /// Scroll the selection into view at the next prepare.
    reveal: bool,
    /// How a collapsed thinking cell says it opens, with the live keys.
    cell_keys: String,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            entries: Vec::new(),
            layout: Layout::default(),
            view: Viewport {
                scroll: Scroll::Follow,
                height: 0,
            },
            selected: None,
            reveal: false,
            cell_keys: "[ selects, Enter expands".into(),
        }
    }
}

impl Transcript {
    pub fn push(&mut self, kind: EntryKind, text: impl Into<String>) {
        self.entries.push(Entry {
            kind,
            text: text.into(),
            label: None,
            body: Vec::new(),
            body_bytes: 0,
            tail: Vec::new(),
            stale: Stale::All,
            streaming: false,
            tool: None,
            awaiting_highlight: false,
            interrupted: None,
            is_interrupted: false,
            expanded: false,
            words: 0,
            held: None,
        });
    }

    /// Appends streamed reasoning to the thinking cell in progress, starting one if needed.
    pub fn append_thinking(&mut self, text: &str) {
        let words = text.split_whitespace().count();
        if let Some(e) = self
            .entries
            .last_mut()
            .filter(|e| e.streaming && e.kind == EntryKind::Thinking)
        {
            e.text.push_str(text);
            e.words += words;
            e.stale = Stale::All;
            return;
        }
        self.push(EntryKind::Thinking, text);
        if let Some(e) = self.entries.last_mut() {
            e.streaming = true;
            e.words = words;
        }
    }

    /// Puts a reply's whole reasoning in its thinking cell: the one that streamed since the
    /// last prompt, or a new one (a replayed session). Empty text stands for redacted thinking.
    pub fn finish_thinking(&mut self, text: &str) {
        let since = self
            .entries
            .iter()
            .rposition(|e| e.kind == EntryKind::User)
            .map_or(0, |i| i + 1);
        let live = self.entries[since..]
            .iter()
            .rposition(|e| e.kind == EntryKind::Thinking && e.streaming)
            .map(|i| i + since);
        let i = match live {
            Some(i) => i,
            None => {
                // A reply still streaming keeps its place after the thought.
                let at = match self.entries.last() {
                    Some(e) if e.streaming => self.entries.len() - 1,
                    _ => self.entries.len(),
                };
                self.push(EntryKind::Thinking, String::new());
                if let Some(e) = self.entries.pop() {
                    self.entries.insert(at, e);
                }
                if let Some(s) = self.selected.as_mut().filter(|s| **s >= at) {
                    *s += 1;
                }
                at
            }
        };
        let e = &mut self.entries[i];
        e.text = text.to_string();
        e.words = text.split_whitespace().count();
        e.streaming = false;
        e.stale = Stale::All;
    }

    /// Adds a tool call's cell (its result arrives later).
    pub fn push_tool(&mut self, id: &str, name: &str, arguments: &str) {
        self.push(EntryKind::Tool, String::new());
        if let Some(e) = self.entries.last_mut() {
            e.tool = Some(Box::new(ToolCell {
                id: id.to_string(),
                name: name.to_string(),
                arguments: arguments.to_string(),
                result: None,
                expanded: false,
                awaiting_review: false,
                awaiting_approval: false,
                output: Output::Here,
                steps: Vec::new(),
            }));
        }
    }

    /// The cell of the tool call `id` (the latest, should an id repeat), if it is there.
    #[must_use]
    pub fn tool(&self, id: &str) -> Option<&ToolCell> {
        self.entries
            .iter()
            .rev()
            .find_map(|e| e.tool.as_deref().filter(|t| t.id == id))
    }

    /// The cell of tool call `id` (the latest, should an id repeat), to be laid out again.
    fn changed_cell(&mut self, id: &str) -> Option<&mut ToolCell> {
        let e = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.tool.as_ref().is_some_and(|t| t.id == id))?;
        e.stale = Stale::All;
        e.tool.as_deref_mut()
    }

    /// Marks a tool call that waits for the human's approval (or no longer does).
    pub fn tool_awaits_approval(&mut self, id: &str, waiting: bool) {
        if let Some(cell) = self.changed_cell(id) {
            cell.awaiting_approval = waiting;
        }
    }

    /// Changes the cell of tool call `id`, when it is there (it is laid out again).
    pub fn tool_cell(&mut self, id: &str, change: impl FnOnce(&mut ToolCell)) {
        if let Some(cell) = self.changed_cell(id) {
            change(cell);
        }
    }

    /// Marks a tool call whose change waits for review (or no longer does).
    pub fn tool_awaits_review(&mut self, id: &str, waiting: bool) {
        if let Some(cell) = self.changed_cell(id) {
            cell.awaiting_review = waiting;
        }
    }

    /// Fills in a tool call's result. A long one is left in the store unless its cell is
    /// open: a collapsed cell shows only its summary.
    pub fn tool_result(&mut self, id: &str, mut result: ToolResultView) {
        if let Some(cell) = self.changed_cell(id) {
            cell.output = Output::Here;
            // A `!` command's output is kept: before the first prompt it is not saved yet.
            if result.content.len() > KEPT_RESULT && !cell.expanded && cell.name != "!" {
                result.content = String::new();
                cell.output = Output::Stored;
            }
            cell.result = Some(result);
        }
    }

    /// The selected tool cell's call, when its result is only in the store and is wanted: to
    /// copy it, or because the cell is open. The cell then says it is being read.
    pub fn output_wanted(&mut self, copy: bool) -> Option<String> {
        let e = self.entries.get_mut(self.selected?)?;
        let cell = e.tool.as_mut()?;
        let wanted = match cell.output {
            Output::Stored => copy || cell.expanded,
            Output::Loading => copy,
            Output::Here => false,
        };
        if !wanted {
            return None;
        }
        cell.output = Output::Loading;
        e.stale = Stale::All;
        Some(cell.id.clone())
    }

    /// A result read from the store for call `id`; when it could not be read, the cell asks
    /// again the next time it is opened or copied.
    pub fn output_read(&mut self, id: &str, content: Result<String, String>) {
        if let Some(cell) = self.changed_cell(id)
            && let Some(result) = &mut cell.result
        {
            let Ok(content) = content else {
                cell.output = Output::Stored;
                return;
            };
            result.content = content;
            cell.output = Output::Here;
            // The opened cell grew: its start comes into view.
            self.reveal = true;
        }
    }

    /// Replaces the reply in progress with saved text (replaying a checkpoint).
    pub fn checkpoint(&mut self, text: &str) {
        if let Some(e) = self.streaming_entry() {
            e.text = text.to_string();
            e.stale = Stale::All;
        } else {
            self.append_streaming(text);
        }
    }

    /// Highlighting arrived: re-render the replies that were waiting for it.
    pub fn highlights_ready(&mut self) {
        for e in &mut self.entries {
            if e.awaiting_highlight {
                e.stale = Stale::All;
            }
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Moves the selection by `delta` entries (starting from the last one).
    pub fn select_by(&mut self, delta: isize) {
        if self.entries.is_empty() {
            return;
        }
        let last = self.entries.len() - 1;
        let next = match self.selected {
            None => last,
            Some(i) => i.saturating_add_signed(delta).min(last),
        };
        self.selected = Some(next);
        self.reveal = true;
    }

    /// Expands or collapses the selected tool or thinking cell.
    pub fn toggle_selected(&mut self) -> bool {
        let Some(e) = self.selected.and_then(|i| self.entries.get_mut(i)) else {
            return false;
        };
        if let Some(cell) = &mut e.tool {
            cell.expanded = !cell.expanded;
        } else if e.kind == EntryKind::Thinking {
            e.expanded = !e.expanded;
        } else {
            return false;
        }
        e.stale = Stale::All;
        self.reveal = true;
        true
    }

    /// The selected entry's text, for copying.
    #[must_use]
    pub fn selected_text(&self) -> Option<String> {
        let e = self.entries.get(self.selected?)?;
        match &e.tool {
            Some(cell) => cell.copy_text(),
            None => Some(e.text.clone()),
        }
    }

    fn streaming_entry(&mut self) -> Option<&mut Entry> {
        self.entries
            .last_mut()
            .filter(|e| e.streaming && e.kind == EntryKind::Assistant)
    }

    /// Appends streamed model text to the reply in progress (starting one if needed). Only
    /// that entry is re-wrapped before the next frame.
    pub fn append_streaming(&mut self, text: &str) {
        if let Some(e) = self.streaming_entry() {
            e.text.push_str(text);
            if e.stale == Stale::Nothing {
                e.stale = Stale::Tail;
            }
        } else {
            self.push(EntryKind::Assistant, text);
            if let Some(e) = self.entries.last_mut() {
                e.streaming = true;
            }
        }
    }

    /// Replaces the reply in progress with its final text, or adds the reply.
    pub fn finish_streaming(&mut self, text: String, interrupted: bool) {
        if self.streaming_entry().is_none() {
            // A reply of tool calls only: its calls are the cells that follow.
            if text.is_empty() && !interrupted {
                return;
            }
            self.push(EntryKind::Assistant, String::new());
        }
        if let Some(e) = self.entries.last_mut() {
            e.text = text;
            e.streaming = false;
            e.is_interrupted = interrupted;
            e.stale = Stale::All;
        }
    }

    /// Ends a reply in progress that will never be finished (replaying a session that
    /// stopped mid-reply), marking it interrupted.
    pub fn interrupt_streaming(&mut self) {
        if let Some(e) = self.streaming_entry() {
            e.streaming = false;
            e.is_interrupted = true;
            e.stale = Stale::All;
        }
    }

    /// Ends a reply in progress as it stands (the turn failed or was cancelled without text).
    pub fn abandon_streaming(&mut self) {
        if let Some(e) = self.streaming_entry() {
            e.streaming = false;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[must_use]
    pub fn total_lines(&self) -> usize {
        self.layout.total()
    }

    #[must_use]
    pub fn scroll(&self) -> Scroll {
        self.view.scroll
    }

    /// Sets how a collapsed thinking cell says it opens ("[ selects, Enter expands"), from
    /// the keymap; the cells that show it are laid out again.
    pub fn set_cell_keys(&mut self, keys: String) {
        if self.cell_keys == keys {
            return;
        }
        self.cell_keys = keys;
        for e in &mut self.entries {
            if e.kind == EntryKind::Thinking {
                e.stale = Stale::All;
            }
        }
    }

    /// Wraps what is stale for `width` and records the viewport height. Cheap when nothing
    /// changed: only new entries, or all entries after a resize, are wrapped. Only the entries
    /// within a few screens of the view keep their wrapped lines.
    pub fn prepare(&mut self, width: u16, height: u16, theme: &Theme, hl: Option<&Highlighter>) {
        self.view.height = height;
        let cell_keys = std::mem::take(&mut self.cell_keys);
        let w = Wrap {
            width,
            theme,
            hl,
            cell_keys: &cell_keys,
        };
        let margin = usize::from(height).max(MIN_MARGIN) * 2;
        let follow = (self.view.scroll == Scroll::Follow).then_some(usize::from(height) + margin);
        self.layout.wrap(&mut self.entries, &w, follow);
        self.place();
        for _ in 0..3 {
            let top = self.top();
            let window = top.saturating_sub(margin)..top + usize::from(height) + margin;
            if !self.layout.keep(&mut self.entries, window, &w) {
                break;
            }
            self.place();
        }
        self.cell_keys = cell_keys;
    }

    /// Keeps the view within the lines, and brings a selection to reveal into it.
    fn place(&mut self) {
        let total = self.total_lines();
        self.view.clamp(total);
        if std::mem::take(&mut self.reveal)
            && let Some(i) = self.selected
        {
            self.view.reveal(self.layout.lines_of(i), total);
        }
    }

    /// The first visible line.
    #[must_use]
    pub fn top(&self) -> usize {
        self.view.top(self.total_lines())
    }

    /// Scrolls by `delta` lines (negative is up). Reaching the end follows the stream again.
    pub fn scroll_by(&mut self, delta: isize) {
        self.view.scroll_by(delta, self.total_lines());
    }

    pub fn page(&mut self, down: bool) {
        self.view.page(down, self.total_lines());
    }

    pub fn to_top(&mut self) {
        self.view.go_to_top(self.total_lines());
    }

    pub fn to_bottom(&mut self) {
        self.view.scroll = Scroll::Follow;
    }

    /// The visible lines, `height` of them at most, from the cache, each with whether it
    /// belongs to the selected entry.
    pub fn visible(&self, height: u16) -> impl Iterator<Item = (&Line<'static>, bool)> {
        let top = self.top();
        let first = self.layout.entry_at(top);
        let skip = top - self.layout.lines_of(first).start;
        let selected = self.selected;
        self.entries[first.min(self.entries.len())..]
            .iter()
            .enumerate()
            .flat_map(move |(i, e)| {
                let is_selected = selected == Some(first + i);
                e.lines().map(move |l| (l, is_selected))
            })
            .skip(skip)
            .take(usize::from(height))
    }
}

mod entry;
mod layout;
mod viewport;

use entry::{Entry, Stale, Wrap};
use layout::Layout;
use viewport::Viewport;

/// A tool result longer than this (bytes) is read from the store when it is shown or copied.
const KEPT_RESULT: usize = 1024;

/// Lines kept wrapped above and below the view: twice the viewport, and at least twice this.
const MIN_MARGIN: usize = 40;

#[cfg(test)]
mod tests;
