//! The chat transcript: messages with their wrapped lines cached per width, and the scroll
//! position. Wrapping happens in [`Transcript::prepare`], before a frame, never while drawing;
//! drawing only slices the cached lines that are visible.

use ratatui::text::Line;

use super::highlight::Highlighter;
use super::theme::Theme;
use super::toolcell::{ToolCell, ToolResultView};

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
    /// `starts[i]` is the first line of entry `i`; `starts[len]` the total.
    starts: Vec<usize>,
    width: u16,
    scroll: Scroll,
    /// Height of the viewport at the last prepare, for paging.
    viewport: u16,
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
            starts: vec![0],
            width: 0,
            scroll: Scroll::Follow,
            viewport: 0,
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
            blank: Line::default(),
            stale: Stale::All,
            streaming: false,
            tool: None,
            awaiting_highlight: false,
            interrupted: None,
            is_interrupted: false,
            expanded: false,
            words: 0,
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
            e.tool = Some(ToolCell {
                id: id.to_string(),
                name: name.to_string(),
                arguments: arguments.to_string(),
                result: None,
                expanded: false,
                awaiting_review: false,
                awaiting_approval: false,
            });
        }
    }

    /// Whether a cell for the tool call `id` is there.
    #[must_use]
    pub fn has_tool(&self, id: &str) -> bool {
        self.entries
            .iter()
            .rev()
            .any(|e| e.tool.as_ref().is_some_and(|t| t.id == id))
    }

    /// Marks a tool call that waits for the human's approval (or no longer does).
    pub fn tool_awaits_approval(&mut self, id: &str, waiting: bool) {
        if let Some(cell) = self
            .entries
            .iter_mut()
            .rev()
            .find_map(|e| e.tool.as_mut().filter(|t| t.id == id))
        {
            cell.awaiting_approval = waiting;
        }
    }

    /// Marks a tool call whose change waits for review (or no longer does).
    pub fn tool_awaits_review(&mut self, id: &str, waiting: bool) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.tool.as_ref().is_some_and(|t| t.id == id))
            && let Some(cell) = &mut e.tool
        {
            cell.awaiting_review = waiting;
            e.stale = Stale::All;
        }
    }

    /// Fills in a tool call's result.
    pub fn tool_result(&mut self, id: &str, result: ToolResultView) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.tool.as_ref().is_some_and(|t| t.id == id))
            && let Some(cell) = &mut e.tool
        {
            cell.result = Some(result);
            e.stale = Stale::All;
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
        Some(
            e.tool
                .as_ref()
                .map_or_else(|| e.text.clone(), ToolCell::copy_text),
        )
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

    #[must_use]
    /// How many entries contain `needle` (for tests of what the chat says).
    #[cfg(test)]
    pub fn count_containing(&self, needle: &str) -> usize {
        self.entries
            .iter()
            .filter(|e| e.text.contains(needle))
            .count()
    }

    /// Every entry's text, one per line (for tests of what the chat says).
    #[cfg(test)]
    #[must_use]
    pub fn plain_text(&self) -> String {
        self.entries
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
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
        self.starts.last().copied().unwrap_or(0)
    }

    #[must_use]
    pub fn scroll(&self) -> Scroll {
        self.scroll
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
    /// changed: only new entries, or all entries after a resize, are wrapped.
    pub fn prepare(&mut self, width: u16, height: u16, theme: &Theme, hl: Option<&Highlighter>) {
        self.viewport = height;
        let resized = width != self.width;
        self.width = width;
        let mut first_stale = None;
        for (i, e) in self.entries.iter_mut().enumerate() {
            if resized {
                e.stale = Stale::All;
            }
            if e.stale != Stale::Nothing {
                e.rewrap(width, theme, hl, &self.cell_keys);
                first_stale.get_or_insert(i);
            }
        }
        if let Some(from) = first_stale {
            self.starts.truncate(from + 1);
            for e in &self.entries[from..] {
                let last = self.starts.last().copied().unwrap_or(0);
                self.starts.push(last + e.line_count());
            }
        }
        if let Scroll::At(top) = self.scroll {
            self.scroll = Scroll::At(top.min(self.max_top()));
        }
        if std::mem::take(&mut self.reveal)
            && let Some(i) = self.selected
        {
            let start = self.starts.get(i).copied().unwrap_or(0);
            let end = self.starts.get(i + 1).copied().unwrap_or(start);
            let height = usize::from(self.viewport);
            let top = self.top();
            if start < top {
                self.scroll = Scroll::At(start);
            } else if end > top + height {
                let want = end.saturating_sub(height).min(start);
                self.scroll = if want >= self.max_top() {
                    Scroll::Follow
                } else {
                    Scroll::At(want)
                };
            }
        }
    }

    fn max_top(&self) -> usize {
        self.total_lines()
            .saturating_sub(usize::from(self.viewport))
    }

    /// The first visible line.
    #[must_use]
    pub fn top(&self) -> usize {
        match self.scroll {
            Scroll::Follow => self.max_top(),
            Scroll::At(top) => top.min(self.max_top()),
        }
    }

    /// Scrolls by `delta` lines (negative is up). Reaching the end follows the stream again.
    pub fn scroll_by(&mut self, delta: isize) {
        let top = self.top().saturating_add_signed(delta).min(self.max_top());
        self.scroll = if top >= self.max_top() {
            Scroll::Follow
        } else {
            Scroll::At(top)
        };
    }

    pub fn page(&mut self, down: bool) {
        let page = isize::try_from(self.viewport.saturating_sub(1).max(1)).unwrap_or(1);
        self.scroll_by(if down { page } else { -page });
    }

    pub fn to_top(&mut self) {
        self.scroll = if self.max_top() == 0 {
            Scroll::Follow
        } else {
            Scroll::At(0)
        };
    }

    pub fn to_bottom(&mut self) {
        self.scroll = Scroll::Follow;
    }

    /// The visible lines, `height` of them at most, from the cache, each with whether it
    /// belongs to the selected entry.
    pub fn visible(&self, height: u16) -> impl Iterator<Item = (&Line<'static>, bool)> {
        let top = self.top();
        // The entry holding line `top`: the last start at or before it.
        let first = self.starts.partition_point(|&s| s <= top).saturating_sub(1);
        let skip = top - self.starts.get(first).copied().unwrap_or(0);
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

use entry::{Entry, Stale};

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Theme {
        Theme::load("dark", std::path::Path::new("/nonexistent")).unwrap()
    }

    fn text(t: &Transcript, h: u16) -> Vec<String> {
        t.visible(h)
            .map(|(l, _)| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    .replace('\u{a0}', " ")
            })
            .collect()
    }

    #[test]
    fn a_notice_runs_along_a_bar_and_never_reads_as_the_model() {
        let th = theme();
        let mut t = Transcript::default();
        t.push(EntryKind::Assistant, "I changed the parser.");
        t.push(EntryKind::Notice, "Undid the change to src/parse.rs.");
        t.prepare(60, 20, &th, None);
        let shown = text(&t, 20);
        assert!(shown.contains(&"model".to_string()), "{shown:?}");
        assert!(
            shown.contains(&"  I changed the parser.".to_string()),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"▏ Undid the change to src/parse.rs.".to_string()),
            "{shown:?}"
        );
        assert_eq!(shown.iter().filter(|l| *l == "model").count(), 1);
    }

    #[test]
    fn tool_cells_expand_and_the_selection_is_revealed_and_copied() {
        let th = theme();
        let mut t = Transcript::default();
        t.push_tool("c1", "read_file", r#"{"path":"src/main.rs"}"#);
        for i in 0..30 {
            t.push(EntryKind::Notice, format!("n{i}"));
        }
        t.prepare(60, 10, &th, None);
        assert_eq!(t.total_lines(), 2 + 30 * 2);
        t.tool_result(
            "c1",
            ToolResultView {
                ok: true,
                summary: "src/main.rs: lines 1-3 of 3".into(),
                content: "fn main() {}".into(),
                duration_ms: 4,
            },
        );
        t.select_by(-1);
        assert_eq!(t.selected(), Some(30));
        t.select_by(-100);
        assert_eq!(t.selected(), Some(0));
        assert!(t.toggle_selected());
        t.prepare(60, 10, &th, None);
        assert_eq!(t.top(), 0, "the selected cell was scrolled into view");
        let shown = text(&t, 10);
        assert!(
            shown[0].starts_with("▾ read_file src/main.rs") && shown[0].contains(" ✓ "),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|l| l.contains("fn main() {}")),
            "{shown:?}"
        );
        assert!(t.visible(10).next().unwrap().1, "marked selected");
        assert_eq!(t.selected_text().as_deref(), Some("fn main() {}"));
    }

    #[test]
    fn thinking_is_one_dim_line_until_expanded_and_keeps_its_place() {
        let th = theme();
        let mut t = Transcript::default();
        t.push(EntryKind::User, "why?");
        t.append_thinking("first I ");
        t.append_thinking("weigh both options");
        t.append_streaming("Because.");
        t.prepare(60, 20, &th, None);
        let shown = text(&t, 20);
        assert!(
            shown.iter().any(|l| l.starts_with("▸ thinking… 5 words")),
            "{shown:?}"
        );
        assert!(!shown.iter().any(|l| l.contains("weigh")), "{shown:?}");
        // The final reasoning lands in the same cell, before the answer.
        t.finish_thinking("first I weigh both options, then answer");
        t.finish_streaming("Because.".into(), false);
        t.prepare(60, 20, &th, None);
        let shown = text(&t, 20);
        let cell = shown
            .iter()
            .position(|l| l.starts_with("▸ thought for 7 words"));
        let answer = shown.iter().position(|l| l.contains("Because."));
        assert!(cell.is_some() && cell < answer, "{shown:?}");
        // Selected and toggled, it shows its text.
        t.select_by(-1);
        t.select_by(-1);
        assert!(t.toggle_selected());
        t.prepare(60, 20, &th, None);
        let shown = text(&t, 20);
        assert!(
            shown.iter().any(|l| l.contains("weigh both options")),
            "{shown:?}"
        );
        // A replayed session without deltas gets its cell before the reply; redacted thinking
        // says so.
        t.push(EntryKind::User, "again");
        t.finish_thinking("");
        t.finish_streaming("Sure.".into(), false);
        t.prepare(60, 40, &th, None);
        let shown = text(&t, 40);
        let redacted = shown
            .iter()
            .position(|l| l.starts_with("▸ thinking (redacted by the provider)"));
        let sure = shown.iter().position(|l| l.contains("Sure."));
        assert!(redacted.is_some() && redacted < sure, "{shown:?}");
    }

    #[test]
    fn wraps_once_per_width_and_follows_the_end() {
        let th = theme();
        let mut t = Transcript::default();
        for i in 0..50 {
            t.push(EntryKind::User, format!("message {i}"));
        }
        t.prepare(40, 10, &th, None);
        // Each entry: label, one text line, a blank line.
        assert_eq!(t.total_lines(), 150);
        let v = text(&t, 10);
        assert_eq!(v.len(), 10);
        assert_eq!(v[8], "  message 49");
        t.scroll_by(-3);
        assert_eq!(t.scroll(), Scroll::At(137));
        t.push(EntryKind::Assistant, "new");
        t.prepare(40, 10, &th, None);
        assert_eq!(t.scroll(), Scroll::At(137), "a pinned view stays put");
        t.to_bottom();
        assert!(text(&t, 10).iter().any(|l| l == "  new"));
    }

    #[test]
    fn long_lines_rewrap_on_resize() {
        let th = theme();
        let mut t = Transcript::default();
        t.push(EntryKind::Assistant, "word ".repeat(40));
        t.prepare(80, 50, &th, None);
        let wide = t.total_lines();
        t.prepare(30, 50, &th, None);
        assert!(t.total_lines() > wide);
        assert!(text(&t, 50).iter().all(|l| l.chars().count() <= 30));
    }

    #[test]
    fn streamed_text_wraps_exactly_as_the_whole_text_would() {
        let th = theme();
        let full = "A first paragraph that is long enough to wrap across several lines.\n\n\
                    - a list item\n- another one that also goes on for a while and wraps\n\
                    last line without a break";
        let mut streamed = Transcript::default();
        // Deliver it in awkward pieces, with frames in between.
        let bytes: Vec<char> = full.chars().collect();
        for chunk in bytes.chunks(7) {
            streamed.append_streaming(&chunk.iter().collect::<String>());
            streamed.prepare(30, 100, &th, None);
        }
        let mut whole = Transcript::default();
        whole.push(EntryKind::Assistant, full);
        whole.prepare(30, 100, &th, None);
        assert_eq!(text(&streamed, 100), text(&whole, 100));
        assert_eq!(streamed.total_lines(), whole.total_lines());

        streamed.finish_streaming(full.to_string(), true);
        streamed.prepare(30, 100, &th, None);
        assert_eq!(
            text(&streamed, 100).iter().rev().nth(1).unwrap(),
            "  [interrupted]"
        );
        // A new reply starts a new entry once the previous one is finished.
        streamed.append_streaming("next");
        streamed.prepare(30, 100, &th, None);
        assert_eq!(streamed.len(), 2);
    }

    #[test]
    fn paging_and_top() {
        let th = theme();
        let mut t = Transcript::default();
        for i in 0..100 {
            t.push(EntryKind::Notice, format!("n{i}"));
        }
        t.prepare(40, 20, &th, None);
        t.to_top();
        assert_eq!(t.top(), 0);
        t.page(true);
        assert_eq!(t.top(), 19);
        t.scroll_by(10_000);
        assert_eq!(t.scroll(), Scroll::Follow);
    }
}
