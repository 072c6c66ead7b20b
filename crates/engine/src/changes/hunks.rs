//! A change split into hunks, and a file rebuilt from a choice per hunk.
//!
//! Lines keep their terminators (`\n`, `\r\n`, or none on a last line without one), so the
//! diff and every partial application are byte-exact: CRLF files stay CRLF and a missing final
//! newline stays missing. A hunk's id is a hash of its lines (with their tags), not of its
//! position, so a decision still names the same hunk after the hunks before it were applied.

use std::ops::Range;

use similar::{Algorithm, DiffTag};

pub use crate::protocol::change::Verdict;

/// Files bigger than this (either side) are reviewed whole, without a line diff.
pub const MAX_DIFF_BYTES: usize = 1024 * 1024;
/// Middles (after the common prefix and suffix) up to this many line pairs get Myers' minimal
/// diff; bigger ones Patience, or one replacement when they share few lines.
const MYERS_MAX_PAIRS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: LineTag,
    /// 1-based line numbers in the old and new file.
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    /// With its line terminator, if it had one.
    pub text: String,
}

impl DiffLine {
    /// The text without its terminator.
    #[must_use]
    pub fn content(&self) -> &str {
        self.text
            .strip_suffix('\n')
            .map_or(self.text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t))
    }

    /// Whether the line is the file's last and has no newline.
    #[must_use]
    pub fn no_newline(&self) -> bool {
        !self.text.ends_with('\n')
    }
}

/// One group of changed lines with its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub id: String,
    /// Line indexes (0-based) the hunk covers in the old and the new file, context included.
    pub old: Range<usize>,
    pub new: Range<usize>,
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// `@@ -12,7 +12,8 @@`, as in a unified diff.
    #[must_use]
    pub fn header(&self) -> String {
        fn range(r: &Range<usize>) -> String {
            let start = if r.is_empty() { r.start } else { r.start + 1 };
            format!("{start},{}", r.len())
        }
        format!("@@ -{} +{} @@", range(&self.old), range(&self.new))
    }

    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        self.lines.iter().fold((0, 0), |(a, r), l| match l.tag {
            LineTag::Added => (a + 1, r),
            LineTag::Removed => (a, r + 1),
            LineTag::Context => (a, r),
        })
    }

    /// The hunk's text as it would be applied: its context and added lines.
    #[must_use]
    pub fn new_text(&self) -> String {
        self.lines
            .iter()
            .filter(|l| l.tag != LineTag::Removed)
            .map(|l| l.text.as_str())
            .collect()
    }

    /// The hunk's text as it is: its context and removed lines.
    #[must_use]
    pub fn old_text(&self) -> String {
        self.lines
            .iter()
            .filter(|l| l.tag != LineTag::Added)
            .map(|l| l.text.as_str())
            .collect()
    }
}

/// How a change can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Text,
    /// Holds a NUL byte: shown by size, decided whole.
    Binary,
    /// Over [`MAX_DIFF_BYTES`]: shown by size, decided whole.
    Large,
    /// A move to another path: decided whole.
    Rename,
    /// A binary file, a symbolic link or a mode a command wrote: decided whole.
    Special,
}

/// What is special about a text's bytes, for the file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextTraits {
    pub crlf: bool,
    pub no_final_newline: bool,
}

impl TextTraits {
    #[must_use]
    pub fn of(text: &str) -> TextTraits {
        TextTraits {
            crlf: text.contains("\r\n"),
            no_final_newline: !text.is_empty() && !text.ends_with('\n'),
        }
    }
}

#[must_use]
pub fn kind_of(before: &str, after: &str) -> FileKind {
    if before.contains('\0') || after.contains('\0') {
        FileKind::Binary
    } else if before.len() > MAX_DIFF_BYTES || after.len() > MAX_DIFF_BYTES {
        FileKind::Large
    } else {
        FileKind::Text
    }
}

/// The lines of a text, each with its terminator.
#[must_use]
pub fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn short_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    super::hex(&h.finalize()[..6])
}

/// The line diff. Deterministic, with no time limit, because the core and the TUI each compute
/// it and must agree on the hunks (their ids are what decisions name); and bounded in cost
/// instead: the common prefix and suffix are cut off first, a small middle gets Myers, a big
/// one Patience, and a big middle whose lines are mostly different is one replacement (which
/// is what Myers would find, at quadratic cost).
fn line_ops(old: &[&str], new: &[&str]) -> Vec<similar::DiffOp> {
    use similar::DiffOp;
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    let (n, m) = (old_end - prefix, new_end - prefix);
    let mut middle = if n == 0 && m == 0 {
        Vec::new()
    } else if n.saturating_mul(m) <= MYERS_MAX_PAIRS {
        similar::capture_diff(Algorithm::Myers, old, prefix..old_end, new, prefix..new_end)
    } else {
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for l in &old[prefix..old_end] {
            *counts.entry(l).or_default() += 1;
        }
        let shared = new[prefix..new_end]
            .iter()
            .filter(|l| match counts.get_mut(*l) {
                Some(c) if *c > 0 => {
                    *c -= 1;
                    true
                }
                _ => false,
            })
            .count();
        if shared * 10 < n.min(m) * 3 {
            vec![DiffOp::Replace {
                old_index: prefix,
                old_len: n,
                new_index: prefix,
                new_len: m,
            }]
        } else {
            similar::capture_diff(
                Algorithm::Patience,
                old,
                prefix..old_end,
                new,
                prefix..new_end,
            )
        }
    };
    let mut ops = Vec::with_capacity(middle.len() + 2);
    if prefix > 0 {
        ops.push(DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: prefix,
        });
    }
    ops.append(&mut middle);
    if suffix > 0 {
        ops.push(DiffOp::Equal {
            old_index: old_end,
            new_index: new_end,
            len: suffix,
        });
    }
    // Neighbouring equal runs become one, as grouping expects.
    let mut merged: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        if let (Some(DiffOp::Equal { len, .. }), DiffOp::Equal { len: more, .. }) =
            (merged.last_mut(), &op)
        {
            *len += more;
            continue;
        }
        merged.push(op);
    }
    merged
}

/// The one whole-file hunk of a change decided whole (binary, large, or a rename).
#[must_use]
pub fn whole(before: &str, after: &str, label: &str) -> Hunk {
    Hunk {
        id: short_hash(&["whole", label, before, after]),
        old: 0..split_lines(before).len(),
        new: 0..split_lines(after).len(),
        lines: Vec::new(),
    }
}

/// Splits a change into hunks with `context` lines around each group of changes. A binary or
/// large change is one hunk covering the whole file, with no lines.
#[must_use]
pub fn hunks(before: &str, after: &str, context: usize) -> Vec<Hunk> {
    let old = split_lines(before);
    let new = split_lines(after);
    if before == after {
        return Vec::new();
    }
    if kind_of(before, after) != FileKind::Text {
        return vec![whole(before, after, "")];
    }
    let ops = line_ops(&old, &new);
    let mut out: Vec<Hunk> = Vec::new();
    for group in similar::group_diff_ops(ops, context) {
        if group.iter().all(|op| op.tag() == DiffTag::Equal) {
            continue;
        }
        // The ops' own ranges, not the first's start and the last's end: similar may give an
        // empty range of a leading delete or insert an index past the next op's start.
        let span = |r: fn(&similar::DiffOp) -> Range<usize>| {
            let filled = group.iter().map(r).filter(|x| !x.is_empty());
            match (
                filled.clone().map(|x| x.start).min(),
                filled.map(|x| x.end).max(),
            ) {
                (Some(start), Some(end)) => start..end,
                _ => {
                    let at = group.iter().map(|op| r(op).start).min().unwrap_or(0);
                    at..at
                }
            }
        };
        let old_range = span(similar::DiffOp::old_range);
        let new_range = span(similar::DiffOp::new_range);
        let mut lines = Vec::new();
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            match tag {
                DiffTag::Equal => {
                    for (i, j) in o.zip(n) {
                        lines.push(DiffLine {
                            tag: LineTag::Context,
                            old_no: Some(i + 1),
                            new_no: Some(j + 1),
                            text: old[i].to_string(),
                        });
                    }
                }
                DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                    for i in o {
                        lines.push(DiffLine {
                            tag: LineTag::Removed,
                            old_no: Some(i + 1),
                            new_no: None,
                            text: old[i].to_string(),
                        });
                    }
                    for j in n {
                        lines.push(DiffLine {
                            tag: LineTag::Added,
                            old_no: None,
                            new_no: Some(j + 1),
                            text: new[j].to_string(),
                        });
                    }
                }
            }
        }
        let tagged: Vec<&str> = lines
            .iter()
            .flat_map(|l| {
                [
                    match l.tag {
                        LineTag::Context => " ",
                        LineTag::Removed => "-",
                        LineTag::Added => "+",
                    },
                    l.text.as_str(),
                ]
            })
            .collect();
        let mut id = short_hash(&tagged);
        // Two identical hunks in one file: the later ones get a suffix.
        let twins = out
            .iter()
            .filter(|h| h.id.split('-').next() == Some(id.as_str()))
            .count();
        if twins > 0 {
            id = format!("{id}-{}", twins + 1);
        }
        out.push(Hunk {
            id,
            old: old_range,
            new: new_range,
            lines,
        });
    }
    out
}

/// Rebuilds the file from `before` with each hunk's verdict: accepted hunks take the new lines,
/// edited ones the edited text, and rejected or undecided ones keep the old lines.
#[must_use]
pub fn apply<'v>(
    before: &str,
    after: &str,
    hunks: &[Hunk],
    verdict: impl Fn(&Hunk) -> Option<&'v Verdict>,
) -> String {
    let old = split_lines(before);
    let new = split_lines(after);
    let mut out = String::with_capacity(before.len().max(after.len()));
    let mut pos = 0;
    for h in hunks {
        out.extend(old[pos..h.old.start].iter().copied());
        match verdict(h) {
            Some(Verdict::Accept) => out.extend(new[h.new.clone()].iter().copied()),
            Some(Verdict::Edit { text }) => {
                out.push_str(text);
                // An editor's text that lost its last newline would join the next line.
                let joined = h.old.end < old.len() || h.new.end < new.len();
                if joined && !text.is_empty() && !text.ends_with('\n') {
                    out.push_str(if text.contains("\r\n") { "\r\n" } else { "\n" });
                }
            }
            Some(Verdict::Reject) | None => out.extend(old[h.old.clone()].iter().copied()),
        }
        pos = h.old.end;
    }
    out.extend(old[pos.min(old.len())..].iter().copied());
    out
}

/// The hunks as unified-diff text (for exports and logs).
#[must_use]
pub fn unified(hunks: &[Hunk]) -> String {
    let mut out = String::new();
    for h in hunks {
        if h.lines.is_empty() {
            out.push_str("(binary or large file: changed as a whole)\n");
            continue;
        }
        out.push_str(&h.header());
        out.push('\n');
        for l in &h.lines {
            out.push(match l.tag {
                LineTag::Context => ' ',
                LineTag::Removed => '-',
                LineTag::Added => '+',
            });
            out.push_str(l.content());
            out.push('\n');
            if l.no_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// Byte ranges of the words that differ between a removed and an added line, on each side,
/// for highlighting the changed part of a line.
#[must_use]
pub fn word_changes(old: &str, new: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let diff = similar::TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(std::time::Duration::from_millis(20))
        .diff_words(old, new);
    let mut old_ranges = Vec::new();
    let mut new_ranges = Vec::new();
    let (mut o, mut n) = (0usize, 0usize);
    for change in diff.iter_all_changes() {
        let len = change.value().len();
        match change.tag() {
            similar::ChangeTag::Equal => {
                o += len;
                n += len;
            }
            similar::ChangeTag::Delete => {
                push_range(&mut old_ranges, o..o + len);
                o += len;
            }
            similar::ChangeTag::Insert => {
                push_range(&mut new_ranges, n..n + len);
                n += len;
            }
        }
    }
    (old_ranges, new_ranges)
}

fn push_range(ranges: &mut Vec<Range<usize>>, r: Range<usize>) {
    match ranges.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => ranges.push(r),
    }
}

#[cfg(test)]
mod tests;
