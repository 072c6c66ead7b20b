//! Painting diff lines: syntax colours where the worker has them, diff colours otherwise, the
//! changed words of a changed line emphasised, and lines cut to their column.

use std::ops::Range;

use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use super::{BLOCK, Rows};
use crate::changes::hunks::{self, Hunk, LineTag};
use crate::highlight::Highlighter;
use crate::theme::Theme;

/// Paints diff lines: syntax colours where ready, diff colours, changed words emphasised.
pub(super) struct Painter<'a> {
    pub(super) rows: &'a Rows,
    pub(super) hunks: &'a [Hunk],
    pub(super) lang: &'a str,
    pub(super) theme: &'a Theme,
    pub(super) highlighter: Option<&'a Highlighter>,
}

impl Painter<'_> {
    pub(super) fn line(&self, hunk: usize, line: usize) -> Vec<Span<'static>> {
        let s = &self.theme.styles;
        let h = &self.hunks[hunk];
        let l = &h.lines[line];
        let (sign, base) = match l.tag {
            LineTag::Added => ("+", s.diff_added),
            LineTag::Removed => ("-", s.diff_removed),
            LineTag::Context => (" ", s.text),
        };
        let content = l.content();
        let mut spans = match l.tag {
            LineTag::Removed => vec![Span::styled(content.to_string(), base)],
            _ => self
                .highlighted(hunk, line)
                .unwrap_or_else(|| vec![Span::styled(content.to_string(), base)]),
        };
        if let Some(other) = self.rows.pairs[hunk][line] {
            let (old, new) = if l.tag == LineTag::Removed {
                (content, h.lines[other].content())
            } else {
                (h.lines[other].content(), content)
            };
            let (old_ranges, new_ranges) = hunks::word_changes(old, new);
            let ranges = if l.tag == LineTag::Removed {
                old_ranges
            } else {
                new_ranges
            };
            spans = emphasise(spans, &ranges, base.add_modifier(Modifier::REVERSED));
        }
        let mut out = vec![Span::styled(sign, base)];
        out.extend(spans.into_iter().map(|sp| {
            if sp.content.contains('\t') {
                Span::styled(sp.content.replace('\t', "    "), sp.style)
            } else {
                sp
            }
        }));
        if l.no_newline() {
            out.push(Span::styled(" ⏎̸ no newline at end of file", s.dim));
        }
        out
    }

    /// The line with its code scrolled `cols` columns sideways (its +/− sign stays).
    pub(super) fn scrolled(&self, hunk: usize, line: usize, cols: usize) -> Vec<Span<'static>> {
        let mut spans = self.line(hunk, line);
        let code = spans.split_off(1.min(spans.len()));
        spans.extend(skip(code, cols));
        spans
    }

    /// The line's syntax-coloured spans, when its block is highlighted (else queued).
    fn highlighted(&self, hunk: usize, line: usize) -> Option<Vec<Span<'static>>> {
        let highlighter = self.highlighter?;
        if self.lang.is_empty() {
            return None;
        }
        let index = self.rows.new_index[hunk][line]?;
        let block = index / BLOCK;
        let h = &self.hunks[hunk];
        let code: String = h
            .lines
            .iter()
            .filter(|l| l.tag != LineTag::Removed)
            .skip(block * BLOCK)
            .take(BLOCK)
            .map(|l| l.text.as_str())
            .collect();
        let lines = highlighter.get(self.lang, &code)?;
        lines.get(index % BLOCK).map(|l| l.spans.clone())
    }
}

pub(super) enum Block {
    Context(usize),
    Change {
        removed: Range<usize>,
        added: Range<usize>,
    },
}

/// Groups a hunk's lines into context lines and change blocks (removed lines then added
/// lines), and pairs the k-th removed line of a block with its k-th added line.
pub(super) fn change_blocks(hunk: &Hunk) -> (Vec<Option<usize>>, Vec<Block>) {
    let lines = &hunk.lines;
    let mut pairs = vec![None; lines.len()];
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].tag == LineTag::Context {
            blocks.push(Block::Context(i));
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].tag == LineTag::Removed {
            i += 1;
        }
        let mid = i;
        while i < lines.len() && lines[i].tag == LineTag::Added {
            i += 1;
        }
        for k in 0..(mid - start).min(i - mid) {
            pairs[start + k] = Some(mid + k);
            pairs[mid + k] = Some(start + k);
        }
        blocks.push(Block::Change {
            removed: start..mid,
            added: mid..i,
        });
    }
    (pairs, blocks)
}

/// Restyles the byte ranges of a line (given as spans) with `style`.
pub(super) fn emphasise(
    spans: Vec<Span<'static>>,
    ranges: &[Range<usize>],
    style: Style,
) -> Vec<Span<'static>> {
    if ranges.is_empty() {
        return spans;
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for span in spans {
        let text = span.content.as_ref();
        let len = text.len();
        let mut cut = 0;
        for r in ranges {
            let start = r.start.clamp(offset, offset + len) - offset;
            let end = r.end.clamp(offset, offset + len) - offset;
            if start >= end {
                continue;
            }
            if start > cut {
                out.push(Span::styled(text[cut..start].to_string(), span.style));
            }
            out.push(Span::styled(text[start..end].to_string(), style));
            cut = end;
        }
        if cut < len {
            out.push(Span::styled(text[cut..].to_string(), span.style));
        }
        offset += len;
    }
    out
}

/// Drops the first `cols` columns of `spans` (a sideways scroll of the code).
pub(super) fn skip(spans: Vec<Span<'static>>, cols: usize) -> Vec<Span<'static>> {
    if cols == 0 {
        return spans;
    }
    let mut left = cols;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        if left == 0 {
            out.push(span);
            continue;
        }
        let mut rest = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if left > 0 {
                left = left.saturating_sub(w.max(1));
            } else {
                rest.push(c);
            }
        }
        if !rest.is_empty() {
            out.push(Span::styled(rest, span.style));
        }
    }
    out
}

/// Cuts spans to `width` columns and pads them to it; a cut line ends in `›`, so what is
/// hidden is never mistaken for the end of the line.
pub(super) fn fit(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans
        .iter()
        .flat_map(|s| s.content.chars())
        .map(|c| c.width().unwrap_or(0))
        .sum();
    let cut = total > width;
    let room = if cut { width.saturating_sub(1) } else { width };
    let mut out = Vec::with_capacity(spans.len() + 1);
    let mut used = 0;
    for span in spans {
        let mut kept = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > room {
                break;
            }
            used += w;
            kept.push(c);
        }
        let full = kept.len() == span.content.len();
        out.push(Span::styled(kept, span.style));
        if !full {
            break;
        }
    }
    if cut {
        out.push(Span::raw(" ".repeat(room - used)));
        out.push(Span::styled(
            "›",
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        return out;
    }
    if used < width {
        out.push(Span::raw(" ".repeat(width - used)));
    }
    out
}
