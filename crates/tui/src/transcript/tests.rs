use super::*;

/// What the chat says, for tests here and of the app.
impl Transcript {
    #[must_use]
    /// How many entries contain `needle` (for tests of what the chat says).
    pub fn count_containing(&self, needle: &str) -> usize {
        self.entries
            .iter()
            .filter(|e| e.text.contains(needle))
            .count()
    }

    /// Every entry's text, one per line (for tests of what the chat says).
    #[must_use]
    pub fn plain_text(&self) -> String {
        self.entries
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// How many entries keep their wrapped lines (for tests of what memory holds).
    #[must_use]
    pub fn kept(&self) -> usize {
        self.entries.iter().filter(|e| !e.is_held()).count()
    }
}

fn theme() -> Theme {
    Theme::load("dark", std::path::Path::new("/nonexistent")).unwrap()
}

fn text(t: &Transcript, h: u16) -> Vec<String> {
    crate::fixtures::texts(t.visible(h).map(|(l, _)| l))
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

/// A long session: prompts, Markdown replies with code, tool cells with results, usage lines.
fn long_session(turns: usize) -> Transcript {
    let mut t = Transcript::default();
    for i in 0..turns {
        t.push(EntryKind::User, format!("prompt {i}: look at the parser"));
        let id = format!("c{i}");
        t.push_tool(&id, "read_file", "{\"path\":\"src/lib.rs\"}");
        t.tool_result(
            &id,
            ToolResultView {
                ok: true,
                summary: format!("src/lib.rs: lines 1-{i}"),
                content: "fn main() {}\n".repeat(i % 7 + 1),
                duration_ms: 1,
            },
        );
        let words = "word ".repeat(i % 40);
        t.finish_streaming(
            format!("## Step {i}\n\nThe **tokenizer** {words}keeps `offsets`.\n\n```rust\nfn f() -> u32 {{ {i} }}\n```\n\n- one\n- two"),
            false,
        );
        t.push(EntryKind::Usage, format!("1 request · {i} in"));
    }
    t
}

/// Every line of `t`, from a layout tall enough to keep all of them.
fn every_line(t: &Transcript, width: u16, th: &Theme) -> Vec<String> {
    let mut all = t.clone();
    all.prepare(width, 60_000, th, None);
    let total = u16::try_from(all.total_lines()).unwrap();
    all.to_top();
    all.prepare(width, total, th, None);
    text(&all, total)
}

#[test]
fn only_entries_near_the_view_keep_their_lines_and_every_line_reads_the_same() {
    let th = theme();
    let mut t = long_session(600);
    let reference = every_line(&t, 70, &th);
    assert!(reference.len() > 10_000, "{}", reference.len());

    t.prepare(70, 20, &th, None);
    assert_eq!(t.total_lines(), reference.len());
    assert!(
        t.kept() < 60,
        "{} of {} entries keep lines",
        t.kept(),
        t.len()
    );
    assert_eq!(text(&t, 20), reference[reference.len() - 20..]);

    // Page by page from the top: every line as the whole layout has it.
    t.to_top();
    let mut seen = Vec::new();
    loop {
        t.prepare(70, 20, &th, None);
        assert!(t.kept() < 60, "{} entries keep lines", t.kept());
        let top = t.top();
        let shown = text(&t, 20);
        assert_eq!(shown, reference[top..top + 20], "at line {top}");
        seen.truncate(top);
        seen.extend(shown);
        if t.scroll() == Scroll::Follow {
            break;
        }
        t.scroll_by(20);
    }
    assert_eq!(seen, reference);
}

#[test]
fn a_resize_far_up_lays_out_far_entries_again_at_the_new_width() {
    let th = theme();
    let mut t = long_session(300);
    t.prepare(90, 30, &th, None);
    t.to_top();
    t.prepare(90, 30, &th, None);
    t.scroll_by(1_000);
    t.prepare(90, 30, &th, None);
    assert!(t.kept() < 60);

    t.prepare(50, 30, &th, None);
    let reference = every_line(&t, 50, &th);
    assert_eq!(t.total_lines(), reference.len());
    let top = t.top();
    assert_eq!(text(&t, 30), reference[top..top + 30]);
    assert!(t.kept() < 80, "{} entries keep lines", t.kept());
    // Back to the end, where the reply of the last turn is.
    t.to_bottom();
    t.prepare(50, 30, &th, None);
    assert_eq!(text(&t, 30), reference[reference.len() - 30..]);
}

#[test]
fn a_cell_expanded_far_up_moves_the_lines_below_and_is_held_again_when_left() {
    let th = theme();
    let mut t = long_session(200);
    t.prepare(70, 20, &th, None);
    let before = t.total_lines();
    // The first tool cell, far above the view: selecting it brings it into view.
    t.select_by(0);
    t.select_by(-(isize::try_from(t.len()).unwrap()));
    t.select_by(1);
    assert_eq!(t.selected(), Some(1));
    assert!(t.toggle_selected());
    t.prepare(70, 20, &th, None);
    assert!(t.top() < 20, "the cell is revealed: top {}", t.top());
    assert!(t.total_lines() > before);
    // Back at the end, the expanded cell is held with its new count.
    t.to_bottom();
    t.prepare(70, 20, &th, None);
    assert!(t.kept() < 60);
    let reference = every_line(&t, 70, &th);
    assert_eq!(t.total_lines(), reference.len());
    assert_eq!(text(&t, 20), reference[reference.len() - 20..]);
    t.to_top();
    t.prepare(70, 20, &th, None);
    assert_eq!(text(&t, 20), reference[..20]);
    assert!(reference[..20].iter().any(|l| l.contains("fn main() {}")));
}

#[test]
fn a_reply_streaming_keeps_its_lines_while_the_view_is_far_up() {
    let th = theme();
    let mut t = long_session(200);
    t.prepare(70, 20, &th, None);
    t.to_top();
    t.prepare(70, 20, &th, None);
    t.append_streaming("first line\n");
    t.prepare(70, 20, &th, None);
    for i in 0..50 {
        t.append_streaming(&format!("streamed {i} words\n"));
        t.prepare(70, 20, &th, None);
    }
    t.finish_streaming(
        (0..50).fold("first line\n".to_string(), |mut s, i| {
            s.push_str(&format!("streamed {i} words\n"));
            s
        }),
        false,
    );
    t.prepare(70, 20, &th, None);
    let reference = every_line(&t, 70, &th);
    assert_eq!(t.total_lines(), reference.len());
    t.to_bottom();
    t.prepare(70, 20, &th, None);
    assert_eq!(text(&t, 20), reference[reference.len() - 20..]);
    assert!(text(&t, 20).iter().any(|l| l.contains("streamed 49 words")));
}

#[test]
fn code_far_from_the_view_is_never_sent_to_the_highlighter() {
    let th = theme();
    let (tx, rx) = std::sync::mpsc::channel();
    let hl = Highlighter::spawn("base16-ocean.dark", move || {
        let _ = tx.send(());
    })
    .unwrap();
    let mut t = long_session(400);
    t.prepare(70, 20, &th, Some(&hl));
    // The blocks near the end are queued; wait for them, then count what the worker did.
    rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    let mut done = 1;
    while rx.recv_timeout(std::time::Duration::from_secs(1)).is_ok() {
        done += 1;
    }
    assert!((1..40).contains(&done), "{done} blocks highlighted of 400");
    t.prepare(70, 20, &th, Some(&hl));
    let shown = text(&t, 20);
    assert!(
        shown.iter().any(|l| l.contains("fn f() -> u32 { 399 }")),
        "{shown:#?}"
    );
}

#[test]
fn a_long_result_stays_in_the_store_until_its_cell_is_opened_or_copied() {
    let th = theme();
    let mut t = Transcript::default();
    t.push_tool("c1", "read_file", "{\"path\":\"big.rs\"}");
    let long: String = (0..200).map(|i| format!("line {i} of big.rs\n")).collect();
    t.tool_result(
        "c1",
        ToolResultView {
            ok: true,
            summary: "big.rs: lines 1-200".into(),
            content: long.clone(),
            duration_ms: 1,
        },
    );
    t.push_tool("c2", "read_file", "{\"path\":\"small.rs\"}");
    t.tool_result(
        "c2",
        ToolResultView {
            ok: true,
            summary: "small.rs".into(),
            content: "fn main() {}\n".into(),
            duration_ms: 1,
        },
    );
    // The short one is here: copied at once, nothing to read.
    t.select_by(0);
    assert_eq!(t.output_wanted(true), None);
    assert_eq!(t.selected_text().as_deref(), Some("fn main() {}\n"));
    // The long one is not: copying asks for it once.
    t.select_by(-1);
    assert_eq!(t.selected_text(), None);
    assert_eq!(t.output_wanted(false), None, "a closed cell needs nothing");
    assert!(t.toggle_selected());
    assert_eq!(t.output_wanted(false).as_deref(), Some("c1"));
    assert_eq!(t.output_wanted(false), None, "asked once");
    t.prepare(60, 30, &th, None);
    assert!(
        text(&t, 30)
            .iter()
            .any(|l| l.contains("reading the result…"))
    );
    // Not there yet: asked again the next time.
    t.output_read("c1", Err("not yet".into()));
    assert_eq!(t.output_wanted(false).as_deref(), Some("c1"));
    t.output_read("c1", Ok(long.clone()));
    t.prepare(60, 30, &th, None);
    let shown = text(&t, 30);
    assert!(
        shown.iter().any(|l| l.contains("line 7 of big.rs")),
        "{shown:#?}"
    );
    assert_eq!(t.selected_text(), Some(long));
}
