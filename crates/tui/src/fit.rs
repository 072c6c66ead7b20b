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

/// Whole parts joined by `separator` in at most `max` columns: taken most important first
/// (the order given), each that does not fit dropped whole, never cut; shown in the order
/// given. When any is dropped, `more` (what says where the rest are) ends the line if it fits.
#[must_use]
pub fn parts(parts: &[String], separator: &str, max: usize, more: Option<&str>) -> String {
    let widths: Vec<usize> = parts.iter().map(|p| p.width()).collect();
    let order: Vec<usize> = (0..parts.len()).collect();
    let join = |kept: &[bool]| {
        let kept: Vec<&str> = parts
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(p, _)| p.as_str())
            .collect();
        kept.join(separator)
    };
    let all = choose(&widths, &order, separator.width(), max);
    if all.iter().all(|k| *k) {
        return join(&all);
    }
    let room_for_more = more.map_or(0, |m| m.width() + separator.width());
    let kept = choose(
        &widths,
        &order,
        separator.width(),
        max.saturating_sub(room_for_more),
    );
    match more {
        Some(m) if kept.iter().any(|k| *k) => format!("{}{separator}{m}", join(&kept)),
        Some(m) if m.width() <= max => m.to_string(),
        _ => join(&all),
    }
}

/// Which of the parts of `widths` fit in `max` columns with `separator` columns between
/// each two: taken in `priority`'s order (indices, most important first), each that does not
/// fit skipped whole.
#[must_use]
pub fn choose(widths: &[usize], priority: &[usize], separator: usize, max: usize) -> Vec<bool> {
    let mut kept = vec![false; widths.len()];
    let mut used: Option<usize> = None;
    for &i in priority {
        let total = used.map_or(widths[i], |u| u + separator + widths[i]);
        if total <= max {
            used = Some(total);
            kept[i] = true;
        }
    }
    kept
}

/// 32768 → "32.8k", 1047576 → "1.0M": a count of tokens in a few columns.
#[must_use]
pub fn count(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // display only
    let f = n as f64;
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", f / 1_000.0),
        _ => format!("{:.1}M", f / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_dropped_whole_by_priority_never_cut() {
        let p: Vec<String> = [
            "a accept",
            "x reject",
            "A accept the rest of the file",
            "e edit",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            parts(&p, " · ", 80, Some("? more")),
            "a accept · x reject · A accept the rest of the file · e edit"
        );
        // The long third gives way; the shorter fourth still fits.
        assert_eq!(
            parts(&p, " · ", 40, Some("? more")),
            "a accept · x reject · e edit · ? more"
        );
        assert_eq!(parts(&p, " · ", 20, None), "a accept · x reject");
        assert_eq!(parts(&p, " · ", 6, Some("? more")), "? more");
        assert_eq!(parts(&p, " · ", 3, Some("? more")), "");
        for max in 0..70 {
            let got = parts(&p, " · ", max, Some("? more"));
            assert!(got.width() <= max, "{max}: {got}");
            assert!(!got.contains('…'), "{got}");
        }
    }

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
