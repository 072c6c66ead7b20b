use proptest::prelude::*;

use super::*;

fn accept_all(before: &str, after: &str, hunks: &[Hunk]) -> String {
    apply(before, after, hunks, |_| Some(&Verdict::Accept))
}

#[test]
fn two_separate_edits_make_two_hunks_with_line_numbers() {
    let before: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    let after = before
        .replace("line 3\n", "line three\n")
        .replace("line 17\n", "line 17\nline 17b\n");
    let hs = hunks(&before, &after, 3);
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[0].header(), "@@ -1,6 +1,6 @@");
    assert_eq!(hs[0].counts(), (1, 1));
    assert_eq!(hs[1].counts(), (1, 0));
    let removed = hs[0]
        .lines
        .iter()
        .find(|l| l.tag == LineTag::Removed)
        .unwrap();
    assert_eq!((removed.old_no, removed.content()), (Some(3), "line 3"));
    let added = hs[1]
        .lines
        .iter()
        .find(|l| l.tag == LineTag::Added)
        .unwrap();
    assert_eq!(added.new_no, Some(18));
    // Only the second accepted: the first edit is not in the result.
    let second = hs[1].id.clone();
    let only = apply(&before, &after, &hs, |h| {
        (h.id == second).then_some(&Verdict::Accept)
    });
    assert!(only.contains("line 3\n") && only.contains("line 17b\n"));
}

#[test]
fn ids_do_not_depend_on_position() {
    let a = "x\n1\n2\n3\n4\n5\n6\n7\n8\n9\nfoo\n";
    let b = "x\n1\n2\n3\n4\n5\n6\n7\n8\n9\nbar\n";
    let shifted_a = format!("new first line\n{a}");
    let shifted_b = format!("new first line\n{b}");
    let h1 = hunks(a, b, 2);
    let h2 = hunks(&shifted_a, &shifted_b, 2);
    assert_eq!(h1.len(), 1);
    assert_eq!(h1[0].id, h2[0].id);
    assert_ne!(h1[0].header(), h2[0].header());
}

#[test]
fn identical_hunks_get_distinct_ids() {
    let before = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\na\nb\nc\n";
    let after = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\na\nB\nc\n";
    let hs = hunks(before, after, 1);
    assert_eq!(hs.len(), 2);
    assert_ne!(hs[0].id, hs[1].id);
    assert!(hs[1].id.starts_with(&hs[0].id));
}

#[test]
fn crlf_and_missing_final_newline_are_kept_byte_exact() {
    let before = "one\r\ntwo\r\nthree";
    let after = "one\r\n2\r\nthree\r\nfour";
    let hs = hunks(before, after, 3);
    assert_eq!(accept_all(before, after, &hs), after);
    assert_eq!(apply(before, after, &hs, |_| None), before);
    assert!(TextTraits::of(before).crlf);
    assert!(TextTraits::of(before).no_final_newline);
    let last = hs[0]
        .lines
        .iter()
        .rfind(|l| l.tag == LineTag::Removed)
        .unwrap();
    assert!(last.no_newline());
    assert_eq!(last.content(), "three");
}

#[test]
fn an_edited_hunk_replaces_the_hunk_and_keeps_line_breaks() {
    let before = "a\nb\nc\n";
    let after = "a\nB\nc\n";
    let hs = hunks(before, after, 0);
    let edited = Verdict::Edit { text: "bee".into() };
    assert_eq!(apply(before, after, &hs, |_| Some(&edited)), "a\nbee\nc\n");
}

#[test]
fn binary_and_large_files_are_one_whole_hunk() {
    let before = "a\0b";
    let after = "a\0c";
    assert_eq!(kind_of(before, after), FileKind::Binary);
    let hs = hunks(before, after, 3);
    assert_eq!(hs.len(), 1);
    assert!(hs[0].lines.is_empty());
    assert_eq!(accept_all(before, after, &hs), after);
    assert_eq!(apply(before, after, &hs, |_| None), before);
    let big = "x\n".repeat(MAX_DIFF_BYTES);
    assert_eq!(kind_of(&big, "y\n"), FileKind::Large);
    assert_eq!(accept_all(&big, "y\n", &hunks(&big, "y\n", 3)), "y\n");
}

#[test]
fn creation_and_deletion() {
    let hs = hunks("", "a\nb\n", 3);
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0].counts(), (2, 0));
    assert_eq!(hs[0].header(), "@@ -0,0 +1,2 @@");
    assert_eq!(accept_all("", "a\nb\n", &hs), "a\nb\n");
    let hs = hunks("a\n", "", 3);
    assert_eq!(accept_all("a\n", "", &hs), "");
    assert!(hunks("same\n", "same\n", 3).is_empty());
}

#[test]
fn word_changes_mark_only_the_changed_words() {
    let (old, new) = word_changes("let total = a + b;", "let sum = a + b;");
    assert_eq!(old, vec![4..9]);
    assert_eq!(new, vec![4..7]);
}

/// A file of unique lines with a line ending and maybe no final newline.
fn file(lines: &[String], crlf: bool, final_newline: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut s = lines.join(eol);
    if final_newline && !lines.is_empty() {
        s.push_str(eol);
    }
    s
}

#[derive(Debug, Clone)]
enum LineEdit {
    Keep,
    Delete,
    Replace,
    InsertAfter,
}

fn edit_strategy() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        6 => Just(LineEdit::Keep),
        1 => Just(LineEdit::Delete),
        1 => Just(LineEdit::Replace),
        1 => Just(LineEdit::InsertAfter),
    ]
}

/// Old and new files of unique lines (so the diff's alignment is unambiguous), with CRLF and
/// missing-final-newline variants on either side.
fn change_strategy() -> impl Strategy<Value = (String, String)> {
    (
        prop::collection::vec(edit_strategy(), 0..60),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(edits, crlf, old_nl, new_nl)| {
            let old: Vec<String> = (0..edits.len()).map(|i| format!("line {i}")).collect();
            let mut new = Vec::new();
            for (i, e) in edits.iter().enumerate() {
                match e {
                    LineEdit::Keep => new.push(old[i].clone()),
                    LineEdit::Delete => {}
                    LineEdit::Replace => new.push(format!("changed {i}")),
                    LineEdit::InsertAfter => {
                        new.push(old[i].clone());
                        new.push(format!("inserted {i}"));
                    }
                }
            }
            (file(&old, crlf, old_nl), file(&new, crlf, new_nl))
        })
}

proptest! {
    #[test]
    fn all_accepted_gives_the_new_file_and_none_the_old(
        (before, after) in change_strategy(),
        context in 0usize..4,
    ) {
        let hs = hunks(&before, &after, context);
        prop_assert_eq!(&accept_all(&before, &after, &hs), &after);
        prop_assert_eq!(apply(&before, &after, &hs, |_| Some(&Verdict::Reject)), before);
    }

    #[test]
    fn repeated_lines_still_round_trip(
        before in prop::collection::vec(prop_oneof![Just("{\n"), Just("}\n"), Just("\n"), Just("x\r\n"), Just("y")], 0..40),
        after in prop::collection::vec(prop_oneof![Just("{\n"), Just("}\n"), Just("\n"), Just("x\r\n"), Just("z\n")], 0..40),
    ) {
        let before: String = before.concat();
        let after: String = after.concat();
        let hs = hunks(&before, &after, 3);
        prop_assert_eq!(&accept_all(&before, &after, &hs), &after);
        prop_assert_eq!(apply(&before, &after, &hs, |_| None), before);
    }

    #[test]
    fn a_subset_of_hunks_gives_a_file_whose_diff_holds_exactly_those_hunks(
        (before, after) in change_strategy(),
        picks in prop::collection::vec(any::<bool>(), 60),
    ) {
        let hs = hunks(&before, &after, 3);
        let chosen: Vec<&Hunk> = hs.iter().zip(&picks).filter(|(_, p)| **p).map(|(h, _)| h).collect();
        let result = apply(&before, &after, &hs, |h| {
            chosen.iter().any(|c| c.id == h.id).then_some(&Verdict::Accept)
        });
        let again: Vec<String> = hunks(&before, &result, 3).into_iter().map(|h| h.id).collect();
        let expected: Vec<String> = chosen.iter().map(|h| h.id.clone()).collect();
        prop_assert_eq!(again, expected);
    }
}

#[test]
fn a_big_rewrite_is_one_replacement_and_a_big_file_with_shared_lines_is_still_diffed() {
    let before: String = (0..5_000).map(|i| format!("old {i}\n")).collect();
    let rewritten: String = (0..5_000).map(|i| format!("new {i}\n")).collect();
    let hs = hunks(&before, &rewritten, 3);
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0].counts(), (5_000, 5_000));
    assert_eq!(accept_all(&before, &rewritten, &hs), rewritten);
    // Many changes over a big file that mostly stays: each change its own hunk.
    let edited: String = (0..5_000)
        .map(|i| {
            if i % 100 == 0 {
                format!("changed {i}\n")
            } else {
                format!("old {i}\n")
            }
        })
        .collect();
    let hs = hunks(&before, &edited, 3);
    assert_eq!(hs.len(), 50);
    assert_eq!(accept_all(&before, &edited, &hs), edited);
}
