//! Model replies as Markdown: headings, emphasis, inline code, lists, quotes, rules, links,
//! and fenced code blocks highlighted by [`Highlighter`]. Parsing is pulldown-cmark's.
//!
//! Wrapping is done here rather than with `textwrap` because the text is a sequence of styled
//! fragments (bold inside a sentence, code inside a list item) and `textwrap` only wraps plain
//! strings; the greedy word fill below keeps each fragment's style across line breaks.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::highlight::Highlighter;
use super::theme::Theme;

/// Every line starts with this, like the rest of the transcript.
const INDENT: &str = "  ";

/// The rendered lines, and whether a code block is still waiting for its highlighting.
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    pub awaiting_highlight: bool,
}

struct Renderer<'a> {
    theme: &'a Theme,
    highlighter: Option<&'a Highlighter>,
    width: usize,
    out: Vec<Line<'static>>,
    /// Inline text of the block being built.
    fragments: Vec<(String, Style)>,
    styles: Vec<Style>,
    /// Open lists: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The marker for the first line of the current list item.
    item_marker: Option<String>,
    quote_depth: usize,
    code: Option<(String, String)>,
    link: Option<String>,
    awaiting: bool,
}

/// Renders `text` to lines at most `width` columns wide.
#[must_use]
pub fn render(
    text: &str,
    width: u16,
    theme: &Theme,
    highlighter: Option<&Highlighter>,
) -> Rendered {
    let mut r = Renderer {
        theme,
        highlighter,
        width: usize::from(width.max(10)),
        out: Vec::new(),
        fragments: Vec::new(),
        styles: vec![theme.styles.assistant_text],
        lists: Vec::new(),
        item_marker: None,
        quote_depth: 0,
        code: None,
        link: None,
        awaiting: false,
    };
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(text, options) {
        r.event(event);
    }
    r.flush();
    while r.out.last().is_some_and(|l| l.width() == 0) {
        r.out.pop();
    }
    Rendered {
        lines: r.out,
        awaiting_highlight: r.awaiting,
    }
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    fn event(&mut self, event: Event<'_>) {
        let s = &self.theme.styles;
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some((_, code)) = &mut self.code {
                    code.push_str(&t);
                } else {
                    let st = self.style();
                    self.fragments.push((t.to_string(), st));
                }
            }
            Event::Code(t) => self.fragments.push((t.to_string(), s.code)),
            Event::SoftBreak => {
                let st = self.style();
                self.fragments.push((" ".into(), st));
            }
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                let rule = "─".repeat(self.width.saturating_sub(INDENT.len()).min(40));
                self.out.push(Line::from(vec![
                    Span::raw(INDENT),
                    Span::styled(rule, s.dim),
                ]));
                self.blank();
            }
            Event::TaskListMarker(done) => {
                let st = self.style();
                self.fragments
                    .push((if done { "[x] " } else { "[ ] " }.into(), st));
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let st = self.style();
                self.fragments.push((t.to_string(), st));
            }
            _ => {}
        }
    }

    /// A tag opens: a style pushed, a block begun (its line flushed first).
    fn start(&mut self, tag: Tag<'_>) {
        let s = &self.theme.styles;
        match tag {
            Tag::Heading { .. } => {
                self.flush();
                self.push_style(|_| s.heading);
            }
            Tag::Paragraph => self.flush(),
            Tag::Emphasis => self.push_style(|st| st.add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(|st| st.add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(|st| st.add_modifier(Modifier::CROSSED_OUT)),
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote_depth += 1;
                self.push_style(|_| s.quote);
            }
            Tag::List(start) => {
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_string(),
                };
                self.item_marker = Some(marker);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.push_style(|_| s.link);
            }
            _ => {}
        }
    }

    /// A tag closes: its style popped, its block ended (and a blank line after it).
    fn end(&mut self, tag: TagEnd) {
        let s = &self.theme.styles;
        match tag {
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
                self.blank();
            }
            TagEnd::Paragraph => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.styles.pop();
                self.blank();
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::CodeBlock => {
                if let Some((lang, code)) = self.code.take() {
                    self.code_block(&lang, &code);
                }
                self.blank();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    let shown: String = self.fragments.iter().map(|(t, _)| t.as_str()).collect();
                    if !shown.ends_with(url.as_str()) {
                        self.fragments.push((format!(" ({url})"), s.dim));
                    }
                }
            }
            _ => {}
        }
    }

    fn blank(&mut self) {
        if self.out.last().is_some_and(|l| l.width() > 0) {
            self.out.push(Line::default());
        }
    }

    /// The prefix of a line: indent, quote bars, list indentation or marker.
    fn prefix(&self, first: bool) -> Vec<Span<'static>> {
        let s = &self.theme.styles;
        let mut spans = vec![Span::raw(INDENT)];
        for _ in 0..self.quote_depth {
            spans.push(Span::styled("│ ", s.quote));
        }
        let depth = self.lists.len();
        if depth > 0 {
            spans.push(Span::raw("  ".repeat(depth - 1)));
            match (&self.item_marker, first) {
                (Some(m), true) => spans.push(Span::styled(m.clone(), s.dim)),
                (Some(m), false) => spans.push(Span::raw(" ".repeat(m.width()))),
                (None, _) => {}
            }
        }
        spans
    }

    /// Wraps the pending fragments into lines.
    fn flush(&mut self) {
        if self.fragments.is_empty() {
            return;
        }
        let fragments = std::mem::take(&mut self.fragments);
        let first_prefix = self.prefix(true);
        // The marker belongs to an item's first line only.
        self.item_marker = self.item_marker.take().map(|m| " ".repeat(m.width()));
        let rest_prefix = self.prefix(false);
        let lines = wrap(&fragments, self.width, first_prefix, &rest_prefix);
        self.out.extend(lines);
    }

    fn code_block(&mut self, lang: &str, code: &str) {
        let s = &self.theme.styles;
        let bar = Span::styled("▎ ", s.dim);
        let highlighted = self.highlighter.and_then(|h| h.get(lang, code));
        if self.highlighter.is_some() && highlighted.is_none() {
            self.awaiting = true;
        }
        let prefix = self.prefix(false);
        // A line wider than the pane continues on the next row after a ↪, never cut.
        let room = self
            .width
            .saturating_sub(prefix.iter().map(Span::width).sum::<usize>() + 2)
            .max(4);
        let out = &mut self.out;
        let mut push = |spans: Vec<Span<'static>>| {
            let mut line = prefix.clone();
            line.push(bar.clone());
            line.extend(spans);
            out.push(Line::from(line));
        };
        let mut push_wrapped = |spans: Vec<Span<'static>>| {
            for (i, row) in hard_wrap(spans, room, 2).into_iter().enumerate() {
                if i == 0 {
                    push(row);
                } else {
                    let mut row = row;
                    row.insert(0, Span::styled("↪ ", s.dim));
                    push(row);
                }
            }
        };
        match highlighted {
            Some(lines) => {
                for l in lines.iter() {
                    push_wrapped(l.spans.clone());
                }
            }
            None => {
                for l in code.lines() {
                    push_wrapped(vec![Span::styled(l.to_string(), s.code)]);
                }
            }
        }
    }
}

/// Cuts styled text into rows of at most `width` columns, character by character (code keeps
/// its spaces); rows after the first have `indent` fewer columns, for a continuation mark.
pub(crate) fn hard_wrap(
    spans: Vec<Span<'static>>,
    width: usize,
    indent: usize,
) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let mut rows: Vec<Vec<Span<'static>>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let mut room = width;
    for span in spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > room && used > 0 {
                if !piece.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(std::mem::take(&mut row));
                used = 0;
                room = width.saturating_sub(indent).max(1);
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            row.push(Span::styled(piece, span.style));
        }
    }
    rows.push(row);
    rows
}

/// A word of styled pieces (`**bold**.` is one word of two pieces), and the style of the space
/// after it, if one follows.
struct Word {
    pieces: Vec<(String, Style)>,
    space: Option<Style>,
}

/// The words of `fragments`: split at spaces, never at a change of style, so punctuation after
/// bold or code stays with the word it ends.
fn words(fragments: &[(String, Style)]) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut open = false;
    for (text, style) in fragments {
        for token in text.split_inclusive(' ') {
            let (word, space) = match token.strip_suffix(' ') {
                Some(w) => (w, true),
                None => (token, false),
            };
            if !word.is_empty() {
                match out.last_mut() {
                    Some(last) if open => last.pieces.push((word.to_string(), *style)),
                    _ => out.push(Word {
                        pieces: vec![(word.to_string(), *style)],
                        space: None,
                    }),
                }
                open = true;
            }
            if space {
                match out.last_mut() {
                    Some(last) if open => last.space = Some(*style),
                    // A space with no word before it: kept as a word of its own.
                    _ => out.push(Word {
                        pieces: Vec::new(),
                        space: Some(*style),
                    }),
                }
                open = false;
            }
        }
    }
    out
}

/// Greedy word wrap of styled fragments.
pub(crate) fn wrap(
    fragments: &[(String, Style)],
    width: usize,
    first_prefix: Vec<Span<'static>>,
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    let prefix_width = |p: &[Span<'_>]| p.iter().map(Span::width).sum::<usize>();
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = first_prefix;
    let mut avail = width.saturating_sub(prefix_width(&line)).max(1);
    let mut used = 0usize;
    let mut pending_space: Option<Style> = None;
    for word in words(fragments) {
        let w: usize = word.pieces.iter().map(|(t, _)| t.width()).sum();
        let sep = usize::from(pending_space.is_some() && used > 0);
        if used > 0 && w > 0 && used + sep + w > avail {
            lines.push(Line::from(std::mem::take(&mut line)));
            line = rest_prefix.to_vec();
            avail = width.saturating_sub(prefix_width(rest_prefix)).max(1);
            used = 0;
            pending_space = None;
        }
        if let Some(st) = pending_space.take()
            && used > 0
            && w > 0
        {
            line.push(Span::styled(" ", st));
            used += 1;
        }
        for (text, style) in word.pieces {
            let mut piece = text;
            while !piece.is_empty() {
                let pw = piece.width();
                if pw <= avail.saturating_sub(used) {
                    used += pw;
                    line.push(Span::styled(std::mem::take(&mut piece), style));
                    continue;
                }
                if used > 0 && pw <= avail {
                    // The rest of a word that began on this line, too long for it.
                    lines.push(Line::from(std::mem::take(&mut line)));
                    line = rest_prefix.to_vec();
                    avail = width.saturating_sub(prefix_width(rest_prefix)).max(1);
                    used = 0;
                    continue;
                }
                // A word longer than the line: cut it.
                let mut cut = String::new();
                for c in piece.chars() {
                    if cut.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
                        > avail.saturating_sub(used)
                    {
                        break;
                    }
                    cut.push(c);
                }
                if cut.is_empty() {
                    if used > 0 {
                        lines.push(Line::from(std::mem::take(&mut line)));
                        line = rest_prefix.to_vec();
                        avail = width.saturating_sub(prefix_width(rest_prefix)).max(1);
                        used = 0;
                        continue;
                    }
                    cut = piece.chars().next().map(String::from).unwrap_or_default();
                }
                piece = piece[cut.len()..].to_string();
                used += cut.width();
                line.push(Span::styled(cut, style));
            }
        }
        if word.space.is_some() {
            pending_space = word.space;
        }
    }
    lines.push(Line::from(line));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::texts as text;

    fn theme() -> Theme {
        Theme::load("dark", std::path::Path::new("/none")).unwrap()
    }

    #[test]
    fn a_long_code_line_continues_after_a_mark_with_its_spaces() {
        let t = theme();
        let md = "```\n    let value = compute(alpha, beta, gamma, delta, epsilon);\n```";
        let r = render(md, 30, &t, None);
        let lines = text(&r.lines);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(
            lines[0].contains("▎     let value"),
            "indent kept: {lines:?}"
        );
        assert!(lines[1].contains("▎ ↪ "), "continuation marked: {lines:?}");
        let joined: String = lines
            .iter()
            .map(|l| {
                l.split_once('▎')
                    .unwrap()
                    .1
                    .trim_start_matches(" ↪")
                    .to_string()
            })
            .collect();
        assert!(joined.contains("epsilon);"), "nothing lost: {lines:?}");
        for l in &lines {
            assert!(l.width() <= 30, "{l:?}");
        }
    }

    #[test]
    fn blocks_render_with_their_marks_and_styles() {
        let t = theme();
        let md = "# Title\n\nSome **bold** and `code` here.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted\n\n```rust\nlet x = 1;\n```\n\n[docs](https://x.dev)";
        let r = render(md, 40, &t, None);
        let lines = text(&r.lines);
        assert_eq!(
            lines,
            [
                "  Title",
                "",
                "  Some bold and code here.",
                "",
                "  • one",
                "  • two",
                "    • nested",
                "",
                "  1. first",
                "  2. second",
                "",
                "  │ quoted",
                "",
                "  ▎ let x = 1;",
                "",
                "  docs (https://x.dev)",
            ]
        );
        let bold = r.lines[2]
            .spans
            .iter()
            .find(|s| s.content == "bold")
            .unwrap();
        assert!(bold.style.add_modifier.contains(Modifier::BOLD));
        let code = r.lines[2]
            .spans
            .iter()
            .find(|s| s.content == "code")
            .unwrap();
        assert_eq!(code.style, t.styles.code);
        assert_eq!(r.lines[0].spans[1].style, t.styles.heading);
        assert!(!r.awaiting_highlight, "no highlighter, nothing awaited");
    }

    #[test]
    fn punctuation_after_bold_stays_with_its_word() {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let frags = vec![
            ("one two ".to_string(), Style::default()),
            ("three".to_string(), bold),
            (". four".to_string(), Style::default()),
        ];
        // "one two three." is 14 columns: at 13 the whole word wraps, the stop with it.
        let lines = wrap(&frags, 13, Vec::new(), &[]);
        let texts: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(texts, ["one two", "three. four"]);
        let lines = wrap(&frags, 14, Vec::new(), &[]);
        let first: String = lines[0].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(first, "one two three.");
    }

    #[test]
    fn wrapping_keeps_styles_and_indents_list_continuations() {
        let t = theme();
        let r = render(
            "- a list item with **several bold words** that must wrap",
            24,
            &t,
            None,
        );
        let lines = text(&r.lines);
        assert!(lines.iter().all(|l| l.width() <= 24), "{lines:?}");
        assert_eq!(lines[0], "  • a list item with");
        assert!(lines[1].starts_with("    "), "{lines:?}");
        let bold: Vec<&Span<'_>> = r
            .lines
            .iter()
            .flat_map(|l| &l.spans)
            .filter(|s| s.style.add_modifier.contains(Modifier::BOLD))
            .collect();
        assert!(bold.len() >= 2, "bold survives the break");
        let long = render(&"x".repeat(50), 20, &t, None);
        assert!(text(&long.lines).iter().all(|l| l.width() <= 20));
    }
}
