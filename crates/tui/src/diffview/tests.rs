use ratatui::layout::Rect;

use super::paint::emphasise;
use super::*;
use crate::changes::FileChange;
use crate::theme::Theme;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use std::ops::Range;

fn before() -> String {
    (1..=30).map(|i| format!("fn line_{i}() {{}}\n")).collect()
}

fn after() -> String {
    before()
        .replace("fn line_3() {}\n", "fn line_three() {}\n")
        .replace("fn line_25() {}\n", "fn line_25() {}\nfn added() {}\n")
}

fn proposal(view: &mut DiffView, id: &str) {
    view.on_event(
        &Event::ChangeProposed {
            id: id.into(),
            change: FileChange::new("src/lib.rs".into(), Some(before()), Some(after())),
            context: 2,
            checkpoint: None,
        },
        false,
    );
}

fn theme() -> Theme {
    Theme::load("dark", std::path::Path::new("/nonexistent")).unwrap()
}

use crate::fixtures::texts as text;

fn hunk_ids(view: &DiffView) -> Vec<String> {
    view.entry()
        .unwrap()
        .hunks
        .iter()
        .map(|h| h.id.clone())
        .collect()
}

#[test]
fn accept_reject_and_submit_become_ops() {
    let mut v = DiffView::default();
    proposal(&mut v, "c1");
    v.prepare(Rect::new(0, 0, 80, 30), &theme(), None);
    let ids = hunk_ids(&v);
    assert_eq!(ids.len(), 2);
    // Submitting with undecided hunks is refused here, before the core is asked.
    assert!(matches!(v.submit(), DiffRequest::Note(n) if n.contains("2 of 2 hunks undecided")));
    assert_eq!(
        v.decide(Verdict::Reject),
        DiffRequest::Send(vec![Op::DecideHunk {
            change: "c1".into(),
            hunk: ids[0].clone(),
            verdict: Verdict::Reject
        }])
    );
    assert_eq!(v.hunk, 1, "moves on to the next hunk");
    v.on_event(
        &Event::HunkDecided {
            change: "c1".into(),
            hunk: ids[0].clone(),
            verdict: Verdict::Reject,
        },
        false,
    );
    // A/X only touch undecided hunks.
    assert_eq!(
        v.decide_file(&Verdict::Accept),
        DiffRequest::Send(vec![Op::DecideHunk {
            change: "c1".into(),
            hunk: ids[1].clone(),
            verdict: Verdict::Accept
        }])
    );
    v.on_event(
        &Event::HunkDecided {
            change: "c1".into(),
            hunk: ids[1].clone(),
            verdict: Verdict::Accept,
        },
        false,
    );
    assert_eq!(
        v.submit(),
        DiffRequest::Send(vec![Op::SubmitReview {
            change: "c1".into()
        }])
    );
    v.on_event(
        &Event::ChangeApplied {
            id: "c1".into(),
            accepted: vec![ids[1].clone()],
            rejected: vec![ids[0].clone()],
            written: Some(FileChange::new("src/lib.rs".into(), None, None)),
        },
        false,
    );
    assert!(matches!(v.decide(Verdict::Accept), DiffRequest::Note(n) if n.contains("u undoes it")));
}

#[test]
fn comments_and_edits() {
    let mut v = DiffView::default();
    proposal(&mut v, "c1");
    v.prepare(Rect::new(0, 0, 80, 30), &theme(), None);
    let ids = hunk_ids(&v);
    assert_eq!(v.start_comment(), DiffRequest::None);
    *v.comment.as_mut().unwrap() = crate::field::TextField::new("name it line_3");
    assert_eq!(
        v.finish_comment(),
        DiffRequest::Send(vec![Op::CommentHunk {
            change: "c1".into(),
            hunk: ids[0].clone(),
            comment: "name it line_3".into()
        }])
    );
    assert!(v.comment.is_none());
    let DiffRequest::Edit {
        text: proposed,
        extension,
        ..
    } = v.edit()
    else {
        panic!("expected an edit request")
    };
    assert_eq!(extension, "rs");
    assert!(proposed.contains("fn line_three() {}\n") && !proposed.contains("fn line_3() {}"));
    // What the human wrote shows under the hunk's header.
    v.on_event(
        &Event::HunkDecided {
            change: "c1".into(),
            hunk: ids[0].clone(),
            verdict: Verdict::Edit {
                text: "fn line_3_renamed() {}\n".into(),
            },
        },
        false,
    );
    v.prepare(Rect::new(0, 0, 80, 30), &theme(), None);
    let shown = text(&v.body);
    assert!(
        shown.iter().any(|l| l.contains("accepted as edited")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|l| l.starts_with("  ✎ fn line_3_renamed() {}")),
        "{shown:?}"
    );
}

#[test]
fn navigation_between_hunks_and_files_and_split_width() {
    let mut v = DiffView::default();
    proposal(&mut v, "c1");
    v.on_event(
        &Event::FileChanged {
            id: "c0".into(),
            change: FileChange::new("README.md".into(), None, Some("# hi\n".into())),
        },
        false,
    );
    assert_eq!(v.selected, 1, "the newest change is shown");
    v.step_file(false);
    assert_eq!(v.entry().unwrap().change.path, "src/lib.rs");
    v.prepare(Rect::new(0, 0, 80, 12), &theme(), None);
    let first = text(&v.body);
    assert!(first[0].contains("@@"), "{first:?}");
    v.step_hunk(true);
    v.prepare(Rect::new(0, 0, 80, 12), &theme(), None);
    let second = text(&v.body);
    // The last hunk cannot scroll to the top; it is in view and selected.
    assert!(
        second.iter().any(|l| l.starts_with("▸ @@ -24,4 +24,5 @@")),
        "{second:?}"
    );
    assert!(v.toggle_split().unwrap().contains("100 columns"));
    // A zoomed pane in a 120-column terminal: 118 inside.
    v.prepare(Rect::new(0, 0, 118, 12), &theme(), None);
    assert!(v.toggle_split().is_none());
    v.prepare(Rect::new(0, 0, 140, 12), &theme(), None);
    assert!(text(&v.body).iter().any(|l| l.contains('│')));
}

#[test]
fn a_huge_change_builds_only_what_is_visible() {
    let big: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let changed = big.replace("line 10000\n", "line ten thousand\n");
    let mut v = DiffView::default();
    v.on_event(
        &Event::ChangeProposed {
            id: "big".into(),
            change: FileChange::new("big.txt".into(), None, Some(changed)),
            context: 3,
            checkpoint: None,
        },
        false,
    );
    v.prepare(Rect::new(0, 0, 100, 40), &theme(), None);
    assert!(v.body.len() <= 40);
    v.page(true);
    v.prepare(Rect::new(0, 0, 100, 40), &theme(), None);
    assert!(
        text(&v.body).iter().any(|l| l.contains("line 4")),
        "scrolled a page"
    );
}

#[test]
fn emphasis_splits_spans_at_the_changed_words() {
    let spans = vec![Span::raw("let total"), Span::raw(" = 1;")];
    let changed = vec![Range { start: 4, end: 9 }];
    let out = emphasise(
        spans,
        &changed,
        Style::default().add_modifier(Modifier::REVERSED),
    );
    let parts: Vec<&str> = out.iter().map(|s| s.content.as_ref()).collect();
    assert_eq!(parts, ["let ", "total", " = 1;"]);
    assert!(out[1].style.add_modifier.contains(Modifier::REVERSED));
    assert_eq!(extension("a/b.tar.gz"), "gz");
    assert_eq!(extension(".bashrc"), "");
}

#[test]
fn an_undo_says_what_it_did_to_the_file() {
    let cases = [
        (
            FileChange::new("new.rs".into(), None, Some("x\n".into())),
            "created was deleted",
        ),
        (
            FileChange::new("old.rs".into(), Some("x\n".into()), None),
            "deleted was restored",
        ),
        (
            FileChange::new("lib.rs".into(), Some("x\n".into()), Some("y\n".into())),
            "back as it was",
        ),
        (
            FileChange::renamed("a.rs".into(), "b.rs".into(), "x\n".into()),
            "moved back to a.rs",
        ),
    ];
    for (change, said) in cases {
        let mut v = DiffView::default();
        v.on_event(
            &Event::FileChanged {
                id: "c".into(),
                change,
            },
            false,
        );
        v.on_event(&Event::ChangeUndone { id: "c".into() }, false);
        v.prepare(Rect::new(0, 0, 100, 30), &theme(), None);
        let all = v.rows.as_ref().unwrap().notes.join("\n");
        assert!(all.contains(said), "{said}: {all}");
        assert!(!all.contains("file was restored") || said.contains("restored"));
    }
}

#[test]
fn a_cut_line_is_marked_and_scrolls_sideways_and_notes_wrap() {
    let long = format!("let s = \"{}END\";\n", "x".repeat(80));
    let mut v = DiffView::default();
    v.on_event(
        &Event::ChangeProposed {
            id: "c".into(),
            change: FileChange::new("src/a.rs".into(), Some("a\n".into()), Some(long)),
            context: 1,
            checkpoint: None,
        },
        false,
    );
    v.on_event(
        &Event::ChangeConflicted {
            id: "c".into(),
            on_disk: Some("b\n".into()),
        },
        false,
    );
    v.prepare(Rect::new(0, 0, 50, 30), &theme(), None);
    let body = text(&v.body);
    let cut: Vec<&String> = body.iter().filter(|l| l.contains("xxxx")).collect();
    assert!(!cut.is_empty(), "{body:?}");
    assert!(
        cut.iter().all(|l| l.ends_with('›')),
        "cut lines are marked: {body:?}"
    );
    assert!(!body.iter().any(|l| l.contains("END")), "{body:?}");
    // The conflict's explanation is read whole, over several rows.
    let notes = body
        .iter()
        .take_while(|l| !l.starts_with("@@") && !l.contains("@@"))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(notes.contains("fresh proposal"), "{body:?}");
    for _ in 0..12 {
        v.scroll_sideways(8);
    }
    v.prepare(Rect::new(0, 0, 50, 30), &theme(), None);
    let body = text(&v.body);
    assert!(
        body.iter().any(|l| l.contains("END")),
        "scrolled to the end: {body:?}"
    );
    for l in &body {
        assert!(
            unicode_width::UnicodeWidthStr::width(l.as_str()) <= 50,
            "{l:?}"
        );
    }
}

#[test]
fn a_reviewers_findings_show_on_their_hunks_and_f_makes_them_the_humans_comment() {
    use crate::protocol::{Finding, Severity};
    let mut v = DiffView::default();
    proposal(&mut v, "c1");
    let ids = hunk_ids(&v);
    let finding = |hunk: Option<&str>, severity, text: &str| Finding {
        agent: "reviewer".into(),
        severity,
        hunk: hunk.map(str::to_string),
        text: text.into(),
    };
    v.on_event(
        &Event::ChangeReviewed {
            id: "c1".into(),
            agent: "reviewer".into(),
            findings: vec![
                finding(Some(&ids[1]), Severity::High, "added() is never called"),
                finding(None, Severity::Low, "no tests"),
            ],
        },
        false,
    );
    v.prepare(Rect::new(0, 0, 100, 40), &theme(), None);
    let shown = text(&v.body);
    let at = |needle: &str| shown.iter().position(|l| l.contains(needle)).unwrap();
    assert!(
        shown[0].contains("⚑ reviewer (low): no tests"),
        "{shown:#?}"
    );
    // Under the second hunk's header, not the first's.
    let on_hunk = at("⚑ reviewer (high): added() is never called");
    let headers: Vec<usize> = shown
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("@@"))
        .map(|(i, _)| i)
        .collect();
    assert!(headers[1] < on_hunk, "{shown:#?}");
    // f on the first hunk: nothing found there.
    assert!(matches!(v.forward_findings(), DiffRequest::Note(n) if n.contains("no finding")));
    v.step_hunk(true);
    assert_eq!(
        v.forward_findings(),
        DiffRequest::Send(vec![Op::CommentHunk {
            change: "c1".into(),
            hunk: ids[1].clone(),
            comment: "reviewer (high): added() is never called".into(),
        }])
    );
}
