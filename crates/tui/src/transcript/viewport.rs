//! Where the transcript's view is — following the end, or pinned at a line — and how tall it
//! is, over a transcript of `total` lines.

use std::ops::Range;

use super::Scroll;

#[derive(Debug, Clone, Copy)]
pub(super) struct Viewport {
    pub(super) scroll: Scroll,
    pub(super) height: u16,
}

impl Viewport {
    fn max_top(self, total: usize) -> usize {
        total.saturating_sub(usize::from(self.height))
    }

    /// The first visible line.
    pub(super) fn top(self, total: usize) -> usize {
        match self.scroll {
            Scroll::Follow => self.max_top(total),
            Scroll::At(top) => top.min(self.max_top(total)),
        }
    }

    /// Pins the view at `top`, or follows the end from there.
    fn pin(&mut self, top: usize, total: usize) {
        self.scroll = if top >= self.max_top(total) {
            Scroll::Follow
        } else {
            Scroll::At(top)
        };
    }

    /// Scrolls by `delta` lines (negative is up). Reaching the end follows the stream again.
    pub(super) fn scroll_by(&mut self, delta: isize, total: usize) {
        let top = self.top(total).saturating_add_signed(delta);
        self.pin(top.min(self.max_top(total)), total);
    }

    pub(super) fn page(&mut self, down: bool, total: usize) {
        let page = isize::try_from(self.height.saturating_sub(1).max(1)).unwrap_or(1);
        self.scroll_by(if down { page } else { -page }, total);
    }

    pub(super) fn go_to_top(&mut self, total: usize) {
        self.scroll = if self.max_top(total) == 0 {
            Scroll::Follow
        } else {
            Scroll::At(0)
        };
    }

    /// Keeps a pinned view within the lines.
    pub(super) fn clamp(&mut self, total: usize) {
        if let Scroll::At(top) = self.scroll {
            self.scroll = Scroll::At(top.min(self.max_top(total)));
        }
    }

    /// Brings `lines` into view, its start first when it is taller than the view.
    pub(super) fn reveal(&mut self, lines: Range<usize>, total: usize) {
        let height = usize::from(self.height);
        let top = self.top(total);
        if lines.start < top {
            self.scroll = Scroll::At(lines.start);
        } else if lines.end > top + height {
            let want = lines.end.saturating_sub(height).min(lines.start);
            self.pin(want, total);
        }
    }
}
