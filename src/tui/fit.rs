//! Cutting text to a width with a mark: whatever is cut at a pane's edge ends in `…`, so what
//! is hidden is never mistaken for the end of it. Done before a frame, never in the draw.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` in at most `max` columns, ending in `…` when cut.
#[must_use]
pub fn text(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `line` with each tab replaced by the spaces up to the next tab stop (every `stop` columns):
/// a terminal draws no tab inside a frame, so `1\tfrom x` must not become `1from x`.
#[must_use]
pub fn expand_tabs(line: &str, stop: usize) -> std::borrow::Cow<'_, str> {
    if !line.contains('\t') {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = stop - col % stop;
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            col += c.width().unwrap_or(0);
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A styled line in at most `max` columns, its last kept span ending in `…` when cut.
#[must_use]
pub fn line(line: Line<'static>, max: usize) -> Line<'static> {
    if line.width() <= max {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut out: Vec<Span<'static>> = Vec::with_capacity(spans.len());
    let mut used = 0;
    for span in spans {
        let w = span.content.width();
        if used + w < max {
            used += w;
            out.push(span);
            continue;
        }
        let kept = text(&span.content, max - used);
        out.push(Span::styled(kept, span.style));
        break;
    }
    if out.last().is_none_or(|s| !s.content.ends_with('…')) {
        out.push(Span::raw("…"));
    }
    Line {
        spans: out,
        style,
        alignment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_ends_in_a_mark_and_fits() {
        assert_eq!(text("short", 10), "short");
        assert_eq!(text("a longer text", 8), "a longe…");
        assert_eq!(text("漢字漢字", 5), "漢字…");
        let l = Line::from(vec![Span::raw("key "), Span::raw("a long description")]);
        let cut = line(l, 10);
        assert_eq!(cut.width(), 10);
        assert!(cut.to_string().ends_with('…'), "{cut}");
        let whole = Line::from("fits");
        assert_eq!(line(whole.clone(), 4), whole);
    }
}
