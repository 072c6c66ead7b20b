//! The chat transcript: messages with their wrapped lines cached per width, and the scroll
//! position. Wrapping happens in [`Transcript::prepare`], before a frame, never while drawing;
//! drawing only slices the cached lines that are visible.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    User,
    Assistant,
    /// Something gearshift itself says (how to connect a model, a gear change…).
    Notice,
    Error,
}

#[derive(Debug, Clone)]
struct Entry {
    kind: EntryKind,
    text: String,
    /// Wrapped lines for `wrapped_width`; empty when stale.
    lines: Vec<Line<'static>>,
    wrapped_width: u16,
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
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            entries: Vec::new(),
            starts: vec![0],
            width: 0,
            scroll: Scroll::Follow,
            viewport: 0,
        }
    }
}

impl Transcript {
    pub fn push(&mut self, kind: EntryKind, text: impl Into<String>) {
        self.entries.push(Entry {
            kind,
            text: text.into(),
            lines: Vec::new(),
            wrapped_width: 0,
        });
    }

    #[must_use]
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

    /// Wraps what is stale for `width` and records the viewport height. Cheap when nothing
    /// changed: only new entries, or all entries after a resize, are wrapped.
    pub fn prepare(&mut self, width: u16, height: u16, theme: &Theme) {
        self.viewport = height;
        let resized = width != self.width;
        self.width = width;
        let mut first_stale = None;
        for (i, e) in self.entries.iter_mut().enumerate() {
            if resized || e.wrapped_width != width {
                e.lines = wrap_entry(e.kind, &e.text, width, theme);
                e.wrapped_width = width;
                first_stale.get_or_insert(i);
            }
        }
        if let Some(from) = first_stale {
            self.starts.truncate(from + 1);
            for e in &self.entries[from..] {
                let last = self.starts.last().copied().unwrap_or(0);
                self.starts.push(last + e.lines.len());
            }
        }
        if let Scroll::At(top) = self.scroll {
            self.scroll = Scroll::At(top.min(self.max_top()));
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

    /// The visible lines, `height` of them at most, from the cache.
    pub fn visible(&self, height: u16) -> impl Iterator<Item = &Line<'static>> {
        let top = self.top();
        // The entry holding line `top`: the last start at or before it.
        let first = self.starts.partition_point(|&s| s <= top).saturating_sub(1);
        let skip = top - self.starts.get(first).copied().unwrap_or(0);
        self.entries[first.min(self.entries.len())..]
            .iter()
            .flat_map(|e| e.lines.iter())
            .skip(skip)
            .take(usize::from(height))
    }
}

fn wrap_entry(kind: EntryKind, text: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let s = &theme.styles;
    let (label, label_style, body_style) = match kind {
        EntryKind::User => ("you", s.user_label, s.user_text),
        EntryKind::Assistant => ("model", s.assistant_label, s.assistant_text),
        EntryKind::Notice => ("", s.notice, s.notice),
        EntryKind::Error => ("error", s.error, s.error),
    };
    let mut lines = Vec::new();
    if !label.is_empty() {
        lines.push(Line::from(Span::styled(label.to_string(), label_style)));
    }
    let width = usize::from(width.max(4)) - 2;
    for raw in text.split('\n') {
        if raw.is_empty() {
            lines.push(Line::default());
            continue;
        }
        for piece in textwrap::wrap(raw, textwrap::Options::new(width).break_words(true)) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(piece.into_owned(), body_style),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(String::new(), Style::default())));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Theme {
        Theme::load("dark", std::path::Path::new("/nonexistent")).unwrap()
    }

    fn text(t: &Transcript, h: u16) -> Vec<String> {
        t.visible(h)
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_once_per_width_and_follows_the_end() {
        let th = theme();
        let mut t = Transcript::default();
        for i in 0..50 {
            t.push(EntryKind::User, format!("message {i}"));
        }
        t.prepare(40, 10, &th);
        // Each entry: label, one text line, a blank line.
        assert_eq!(t.total_lines(), 150);
        let v = text(&t, 10);
        assert_eq!(v.len(), 10);
        assert_eq!(v[8], "  message 49");
        t.scroll_by(-3);
        assert_eq!(t.scroll(), Scroll::At(137));
        t.push(EntryKind::Assistant, "new");
        t.prepare(40, 10, &th);
        assert_eq!(t.scroll(), Scroll::At(137), "a pinned view stays put");
        t.to_bottom();
        assert!(text(&t, 10).iter().any(|l| l == "  new"));
    }

    #[test]
    fn long_lines_rewrap_on_resize() {
        let th = theme();
        let mut t = Transcript::default();
        t.push(EntryKind::Assistant, "word ".repeat(40));
        t.prepare(80, 50, &th);
        let wide = t.total_lines();
        t.prepare(30, 50, &th);
        assert!(t.total_lines() > wide);
        assert!(text(&t, 50).iter().all(|l| l.chars().count() <= 30));
    }

    #[test]
    fn paging_and_top() {
        let th = theme();
        let mut t = Transcript::default();
        for i in 0..100 {
            t.push(EntryKind::Notice, format!("n{i}"));
        }
        t.prepare(40, 20, &th);
        t.to_top();
        assert_eq!(t.top(), 0);
        t.page(true);
        assert_eq!(t.top(), 19);
        t.scroll_by(10_000);
        assert_eq!(t.scroll(), Scroll::Follow);
    }
}
