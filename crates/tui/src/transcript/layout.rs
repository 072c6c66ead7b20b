//! Where each entry's lines start, and which entries keep their wrapped lines: only those near
//! the view, so a session of thousands of turns holds a few screens of styled lines, not all
//! of them. The others keep their line count, and are wrapped again when the view comes near.

use std::ops::Range;

use super::entry::{Entry, Stale, Wrap};

#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// `starts[i]` is the first line of entry `i`; `starts[len]` the total.
    starts: Vec<usize>,
    /// The width the entries are wrapped for.
    width: u16,
    /// The entries whose lines were kept at the last layout.
    near: Range<usize>,
    /// Entries were wrapped since: some outside `near` may hold lines.
    wrapped: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            starts: vec![0],
            width: 0,
            near: 0..0,
            wrapped: false,
        }
    }
}

impl Layout {
    /// The number of lines of all entries.
    pub(super) fn total(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The lines of entry `i`.
    pub(super) fn lines_of(&self, i: usize) -> Range<usize> {
        let start = self.starts.get(i).copied().unwrap_or(0);
        start..self.starts.get(i + 1).copied().unwrap_or(start)
    }

    /// The entry holding line `line` (the last entry starting at or before it).
    pub(super) fn entry_at(&self, line: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= line)
            .saturating_sub(1)
    }

    /// Wraps what is stale (everything after a change of width). A stale entry is held again
    /// at once unless it is near the view: when following the end, within `follow` lines of
    /// it; otherwise, among the entries kept last time.
    pub(super) fn wrap(&mut self, entries: &mut [Entry], w: &Wrap, follow: Option<usize>) {
        let resized = w.width != self.width;
        self.width = w.width;
        let mut first_stale = None;
        let mut from_end = 0;
        for (i, e) in entries.iter_mut().enumerate().rev() {
            if resized {
                e.stale = Stale::All;
            }
            if e.stale != Stale::Nothing {
                first_stale = Some(i);
                let near = follow.map_or(self.near.contains(&i), |lines| from_end < lines);
                if near || e.streaming {
                    e.rewrap(w);
                } else {
                    e.rewrap(&w.counting());
                    e.hold();
                }
            }
            from_end += e.line_count();
        }
        if let Some(from) = first_stale {
            self.recount(entries, from);
            self.wrapped = true;
        }
    }

    /// Keeps the lines of the entries that overlap `window` (line numbers), wrapping the held
    /// ones, and holds every other entry's. Whether a line count changed (then the caller
    /// places the view again and calls this once more).
    pub(super) fn keep(&mut self, entries: &mut [Entry], window: Range<usize>, w: &Wrap) -> bool {
        let first = self.entry_at(window.start);
        let end = self
            .starts
            .partition_point(|&s| s < window.end)
            .min(entries.len());
        let mut changed = None;
        for (i, e) in entries.iter_mut().enumerate().take(end).skip(first) {
            if e.is_held() {
                let before = e.line_count();
                e.rewrap(w);
                if e.line_count() != before {
                    changed.get_or_insert(i);
                }
            }
        }
        let near = first..end.max(first);
        if near != self.near || std::mem::take(&mut self.wrapped) {
            for (i, e) in entries.iter_mut().enumerate() {
                if !near.contains(&i) {
                    e.hold();
                }
            }
            self.near = near;
        }
        if let Some(from) = changed {
            self.recount(entries, from);
        }
        changed.is_some()
    }

    /// Counts the lines again from entry `from` on.
    fn recount(&mut self, entries: &[Entry], from: usize) {
        self.starts.truncate(from + 1);
        for e in &entries[from..] {
            let last = self.total();
            self.starts.push(last + e.line_count());
        }
    }
}
