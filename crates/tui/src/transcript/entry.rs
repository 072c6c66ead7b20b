//! One transcript entry: its text, and its lines wrapped for a width, re-wrapped only where
//! stale (streamed text wraps only what arrived). An entry far from the view holds only how
//! many lines it has; its lines are wrapped again when it comes near.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::EntryKind;
use crate::contextview::thousands;
use crate::highlight::Highlighter;
use crate::markdown;
use crate::theme::Theme;
use crate::toolcell::ToolCell;

/// What wrapping needs besides the text: the width, the colours, the highlighter, and how a
/// collapsed thinking cell says it opens.
#[derive(Clone, Copy)]
pub(super) struct Wrap<'a> {
    pub(super) width: u16,
    pub(super) theme: &'a Theme,
    pub(super) hl: Option<&'a Highlighter>,
    pub(super) cell_keys: &'a str,
}

impl Wrap<'_> {
    /// Wrapping only to count lines: code is counted plain (highlighting changes colours,
    /// never lines), so nothing is queued for a block far from the view.
    pub(super) fn counting(&self) -> Self {
        Wrap { hl: None, ..*self }
    }
}

/// The empty line that ends every entry.
static BLANK: Line<'static> = Line {
    style: Style::new(),
    alignment: None,
    spans: Vec::new(),
};

/// What must be re-wrapped before the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stale {
    Nothing,
    /// Streamed text was appended: wrap the new complete lines and the unfinished tail.
    Tail,
    All,
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) kind: EntryKind,
    pub(super) text: String,
    pub(super) label: Option<Line<'static>>,
    /// Wrapped lines of `text[..body_bytes]`, which ends at a line break.
    pub(super) body: Vec<Line<'static>>,
    pub(super) body_bytes: usize,
    /// Wrapped lines of the unfinished last line.
    pub(super) tail: Vec<Line<'static>>,
    pub(super) stale: Stale,
    /// A model reply still arriving.
    pub(super) streaming: bool,
    /// A tool call's cell (boxed: most entries are not one).
    pub(super) tool: Option<Box<ToolCell>>,
    /// A code block is shown plain until its highlighting arrives.
    pub(super) awaiting_highlight: bool,
    /// The reply stopped before the model finished; shown after it, outside the Markdown.
    pub(super) interrupted: Option<Line<'static>>,
    pub(super) is_interrupted: bool,
    /// A thinking cell shows its text (Enter on the selected cell).
    pub(super) expanded: bool,
    /// Words of a thinking cell, counted as they arrive.
    pub(super) words: usize,
    /// The line count of an entry whose wrapped lines were dropped (far from the view).
    pub(super) held: Option<usize>,
}

impl Entry {
    pub(super) fn line_count(&self) -> usize {
        if let Some(n) = self.held {
            return n;
        }
        usize::from(self.label.is_some())
            + self.body.len()
            + self.tail.len()
            + usize::from(self.interrupted.is_some())
            + 1
    }

    pub(super) fn lines(&self) -> impl Iterator<Item = &Line<'static>> {
        debug_assert!(
            self.held.is_none(),
            "the lines of an entry far from the view"
        );
        self.label
            .iter()
            .chain(&self.body)
            .chain(&self.tail)
            .chain(&self.interrupted)
            .chain(std::iter::once(&BLANK))
    }

    pub(super) fn mark_interrupted(&mut self, theme: &Theme) {
        self.interrupted = Some(Line::from(vec![
            Span::raw("  "),
            Span::styled("[interrupted]", theme.styles.notice),
        ]));
    }

    /// Whether its wrapped lines were dropped.
    pub(super) fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Drops the wrapped lines, keeping how many there are. A reply still arriving keeps them:
    /// its new text wraps onto them.
    pub(super) fn hold(&mut self) {
        if self.held.is_some() || self.streaming {
            return;
        }
        self.held = Some(self.line_count());
        self.label = None;
        self.body = Vec::new();
        self.body_bytes = 0;
        self.tail = Vec::new();
        self.interrupted = None;
    }

    /// Wraps what is stale (everything, for a held entry). Streaming appends cost only the
    /// new text, never the whole reply.
    pub(super) fn rewrap(&mut self, w: &Wrap) {
        if self.held.take().is_some() {
            self.stale = Stale::All;
        }
        let (width, theme, hl) = (w.width, w.theme, w.hl);
        if self.kind == EntryKind::Thinking && !self.expanded {
            self.label = Some(self.thinking_line(theme, w.cell_keys));
            self.body.clear();
            self.body_bytes = 0;
            self.tail.clear();
            self.stale = Stale::Nothing;
            return;
        }
        if self.kind == EntryKind::Assistant {
            self.render_markdown(width, theme, hl);
            return;
        }
        if let Some(cell) = &self.tool {
            self.label = None;
            self.body = cell.render(width, theme);
            self.tail.clear();
            self.stale = Stale::Nothing;
            return;
        }
        let (label, body_style) = styles(self.kind, theme);
        let label = if self.kind == EntryKind::Thinking {
            Some(Line::from(Span::styled("▾ thinking", theme.styles.dim)))
        } else {
            label
        };
        if self.stale == Stale::All {
            self.label = label;
            self.body.clear();
            self.body_bytes = 0;
        }
        let complete = self.text.rfind('\n').map_or(0, |i| i + 1);
        if complete > self.body_bytes {
            let finished = &self.text[self.body_bytes..complete - 1];
            for raw in finished.split('\n') {
                wrap_line(raw, width, body_style, self.kind, &mut self.body);
            }
            self.body_bytes = complete;
        }
        self.tail.clear();
        let rest = &self.text[self.body_bytes..];
        if !rest.is_empty() {
            wrap_line(rest, width, body_style, self.kind, &mut self.tail);
        }
        self.stale = Stale::Nothing;
    }

    /// A collapsed thinking cell: what it is, how long, and how to open it.
    pub(super) fn thinking_line(&self, theme: &Theme, cell_keys: &str) -> Line<'static> {
        let s = &theme.styles;
        let what = if self.text.is_empty() {
            "▸ thinking (redacted by the provider)".to_string()
        } else if self.streaming {
            format!("▸ thinking… {} words", thousands(self.words as u64))
        } else {
            format!("▸ thought for {} words", thousands(self.words as u64))
        };
        Line::from(vec![
            Span::styled(what, s.dim),
            Span::styled(format!("  ({cell_keys})"), s.dim),
        ])
    }

    /// A reply as Markdown. Blocks up to the last stable paragraph break are rendered once;
    /// only the block still being written is rendered again.
    pub(super) fn render_markdown(&mut self, width: u16, theme: &Theme, hl: Option<&Highlighter>) {
        if self.is_interrupted {
            self.mark_interrupted(theme);
        }
        if self.stale == Stale::All {
            self.label = styles(self.kind, theme).0;
            self.body.clear();
            self.body_bytes = 0;
            self.awaiting_highlight = false;
        }
        let boundary = stable_boundary(&self.text, self.body_bytes);
        if boundary > self.body_bytes {
            let r = markdown::render(&self.text[self.body_bytes..boundary], width, theme, hl);
            if !self.body.is_empty() && !r.lines.is_empty() {
                self.body.push(Line::default());
            }
            self.body.extend(r.lines);
            self.awaiting_highlight |= r.awaiting_highlight;
            self.body_bytes = boundary;
        }
        self.tail.clear();
        let rest = &self.text[self.body_bytes..];
        if !rest.trim().is_empty() {
            let r = markdown::render(rest, width, theme, hl);
            if !self.body.is_empty() && !r.lines.is_empty() {
                self.tail.push(Line::default());
            }
            self.tail.extend(r.lines);
            self.awaiting_highlight |= r.awaiting_highlight;
        }
        self.stale = Stale::Nothing;
    }
}

/// The end of the last paragraph break (`\n\n`) after `from` at which the text before it can
/// be rendered on its own: outside a code fence, and not followed by indented or list text
/// that could continue an earlier block. `from` when there is none.
pub(super) fn stable_boundary(text: &str, from: usize) -> usize {
    let mut fences = text[..from]
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    let mut best = from;
    let mut pos = from;
    for line in text[from..].split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            fences += 1;
        }
        let end = pos + line.len();
        let next = &text[end..];
        if line.trim().is_empty()
            && end > from
            && fences % 2 == 0
            && next.lines().next().is_some_and(|l| {
                let first = l.chars().next();
                first.is_some_and(|c| {
                    !c.is_whitespace() && !"-*+>|".contains(c) && !c.is_ascii_digit()
                })
            })
        {
            best = end;
        }
        pos = end;
    }
    best
}

/// The label line and the body style of an entry kind.
pub(super) fn styles(kind: EntryKind, theme: &Theme) -> (Option<Line<'static>>, Style) {
    let s = &theme.styles;
    let (label, label_style, body_style) = match kind {
        EntryKind::User => ("you", s.user_label, s.user_text),
        EntryKind::Assistant => ("model", s.assistant_label, s.assistant_text),
        EntryKind::Notice => ("", s.notice, s.notice),
        EntryKind::Error => ("error", s.error, s.error),
        EntryKind::Tool | EntryKind::Usage => ("", s.dim, s.dim),
        EntryKind::Thinking => ("", s.dim, s.dim.add_modifier(Modifier::ITALIC)),
    };
    let label = (!label.is_empty()).then(|| Line::from(Span::styled(label, label_style)));
    (label, body_style)
}

/// Wraps one line of text (no line breaks) to `width`, indented by two columns; gearshift's
/// own notices run along a bar, so they never read as the model's words.
pub(super) fn wrap_line(
    raw: &str,
    width: u16,
    style: Style,
    kind: EntryKind,
    out: &mut Vec<Line<'static>>,
) {
    if raw.is_empty() {
        out.push(Line::default());
        return;
    }
    let gutter = if kind == EntryKind::Notice {
        "▏ "
    } else {
        "  "
    };
    let width = usize::from(width.max(4)) - 2;
    for piece in textwrap::wrap(raw, textwrap::Options::new(width).break_words(true)) {
        out.push(Line::from(vec![
            Span::styled(gutter, style),
            Span::styled(piece.into_owned(), style),
        ]));
    }
}
