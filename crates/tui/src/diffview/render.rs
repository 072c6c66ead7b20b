//! Laying out the diff pane for a frame: the file list, the rows of the selected file (built
//! once per file and view mode), and styled lines for the rows on screen only.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::paint::{Block, Painter, change_blocks, fit, skip};
use super::{DiffView, Row, Rows, SPLIT_MIN_WIDTH, areas, extension};
use crate::changes::hunks;
use crate::changes::hunks::{FileKind, Hunk, LineTag, Verdict};
use crate::changes::review::{ChangeEntry, ChangeStatus};
use crate::highlight::Highlighter;
use crate::protocol::{Finding, Severity};
use crate::theme::Theme;

impl DiffView {
    fn rows_key(&self) -> (usize, bool, u64, u16) {
        (self.selected, self.split, self.generation, self.width)
    }

    fn build_rows(&self) -> Rows {
        let mut rows = Vec::new();
        let Some(entry) = self.entry() else {
            return Rows {
                key: self.rows_key(),
                rows,
                notes: Vec::new(),
                conflict_hunks: None,
                new_index: Vec::new(),
                pairs: Vec::new(),
                digits: 3,
            };
        };
        let (mut notes, conflict_hunks) = notes(entry, self.width);
        // What a reviewing agent found in the change as a whole.
        notes.extend(
            entry
                .findings
                .iter()
                .filter(|f| f.hunk.is_none())
                .map(|f| format!("⚑ {} ({}): {}", f.agent, f.severity.as_str(), f.text)),
        );
        for i in 0..notes.len() {
            rows.push(Row::Note(i));
        }
        let shown = conflict_hunks.as_ref().unwrap_or(&entry.hunks);
        let mut new_index = Vec::with_capacity(shown.len());
        let mut pairs = Vec::with_capacity(shown.len());
        let mut max_no = 1;
        for (h, hunk) in shown.iter().enumerate() {
            rows.push(Row::Header(h));
            if entry.comments.contains_key(&hunk.id) {
                rows.push(Row::Comment(h));
            }
            for (finding, f) in entry.findings.iter().enumerate() {
                if f.hunk.as_deref() == Some(hunk.id.as_str()) {
                    rows.push(Row::Finding { hunk: h, finding });
                }
            }
            if conflict_hunks.is_none()
                && let Some(Verdict::Edit { text }) = entry.verdicts.get(&hunk.id)
            {
                rows.extend((0..text.lines().count()).map(|line| Row::Edited { hunk: h, line }));
            }
            let mut idx = Vec::with_capacity(hunk.lines.len());
            let mut n = 0;
            for l in &hunk.lines {
                if l.tag == LineTag::Removed {
                    idx.push(None);
                } else {
                    idx.push(Some(n));
                    n += 1;
                }
                max_no = max_no.max(l.old_no.unwrap_or(0)).max(l.new_no.unwrap_or(0));
            }
            new_index.push(idx);
            let (paired, blocks) = change_blocks(hunk);
            pairs.push(paired);
            if self.split {
                for block in blocks {
                    match block {
                        Block::Context(l) => rows.push(Row::Pair {
                            hunk: h,
                            left: Some(l),
                            right: Some(l),
                        }),
                        Block::Change { removed, added } => {
                            for k in 0..removed.len().max(added.len()) {
                                rows.push(Row::Pair {
                                    hunk: h,
                                    left: removed.clone().nth(k),
                                    right: added.clone().nth(k),
                                });
                            }
                        }
                    }
                }
            } else {
                rows.extend((0..hunk.lines.len()).map(|line| Row::Line { hunk: h, line }));
            }
        }
        Rows {
            key: self.rows_key(),
            rows,
            notes,
            conflict_hunks,
            new_index,
            pairs,
            digits: max_no.to_string().len().max(3),
        }
    }

    /// Builds what the draw shows for a pane of `inner` size: the file list and the visible
    /// rows. Runs before a frame, never in it.
    pub fn prepare(
        &mut self,
        inner: ratatui::layout::Rect,
        theme: &Theme,
        highlighter: Option<&Highlighter>,
    ) {
        self.width = inner.width;
        if self.split && inner.width < SPLIT_MIN_WIDTH {
            self.split = false;
        }
        let [list, body, _] = areas(inner, self.log.entries.len());
        self.body_height = usize::from(body.height);
        if self.rows.as_ref().is_none_or(|r| r.key != self.rows_key()) {
            self.rows = Some(self.build_rows());
        }
        self.clamp_scroll();
        self.clamp_hscroll();
        self.list = self.list_lines(usize::from(list.height), theme);
        self.body = self.body_lines(usize::from(body.width), theme, highlighter);
    }

    /// A sideways scroll keeps the end of the longest visible line in view.
    fn clamp_hscroll(&mut self) {
        use unicode_width::UnicodeWidthStr;
        let (Some(rows), Some(entry)) = (&self.rows, self.entry()) else {
            return;
        };
        let hunks = rows.conflict_hunks.as_ref().unwrap_or(&entry.hunks);
        let end = rows.rows.len().min(self.scroll + self.body_height);
        let longest = rows.rows[self.scroll.min(end)..end]
            .iter()
            .filter_map(|row| match *row {
                Row::Line { hunk, line } => Some(hunks[hunk].lines[line].content().width()),
                Row::Pair { hunk, left, right } => left
                    .into_iter()
                    .chain(right)
                    .map(|l| hunks[hunk].lines[l].content().width())
                    .max(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        self.hscroll = self.hscroll.min(longest.saturating_sub(16));
    }

    fn list_lines(&self, height: usize, theme: &Theme) -> Vec<Line<'static>> {
        let s = &theme.styles;
        if self.log.entries.is_empty() {
            return vec![Line::styled("No changes yet.", s.text)];
        }
        let count = self.log.entries.len();
        let first = self
            .selected
            .saturating_sub(height.saturating_sub(1))
            .min(count.saturating_sub(height));
        self.log.entries[first..count.min(first + height)]
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let selected = first + i == self.selected;
                let (added, removed) = e.counts();
                let status_style = match e.status {
                    ChangeStatus::Pending => s.key,
                    ChangeStatus::Conflicted { .. } => s.error,
                    ChangeStatus::Applied | ChangeStatus::Reviewed { written: true } => {
                        s.diff_added
                    }
                    _ => s.dim,
                };
                let mut spans = vec![
                    Span::styled(if selected { "▸ " } else { "  " }, s.key),
                    Span::styled(format!("{:<9} ", e.status.label()), status_style),
                    Span::styled(
                        e.change.path.clone(),
                        if selected {
                            s.text.add_modifier(Modifier::BOLD)
                        } else {
                            s.text
                        },
                    ),
                    Span::styled(format!(" +{added}"), s.diff_added),
                    Span::styled(format!(" −{removed}"), s.diff_removed),
                ];
                if e.status.is_open() {
                    let decided = e.hunks.len() - e.undecided();
                    spans.push(Span::styled(
                        format!("  {decided}/{} decided", e.hunks.len()),
                        s.dim,
                    ));
                }
                crate::fit::line(Line::from(spans), usize::from(self.width))
            })
            .collect()
    }

    fn body_lines(
        &self,
        width: usize,
        theme: &Theme,
        highlighter: Option<&Highlighter>,
    ) -> Vec<Line<'static>> {
        let (Some(rows), Some(entry)) = (&self.rows, self.entry()) else {
            let s = &theme.styles;
            return vec![
                Line::styled(
                    "Edits the model proposes appear here, to review hunk by hunk.",
                    s.dim,
                ),
                Line::styled(
                    "In the vibe gear they are written at once and u undoes them; with \
                     [review] vibe = \"review\", and in the plan and pipeline gears, nothing is \
                     written before you decide.",
                    s.dim,
                ),
            ];
        };
        let hunks = rows.conflict_hunks.as_ref().unwrap_or(&entry.hunks);
        let lang = extension(&entry.change.path);
        let s = &theme.styles;
        let end = rows.rows.len().min(self.scroll + self.body_height);
        let visible = &rows.rows[self.scroll.min(end)..end];
        let mut out = Vec::with_capacity(visible.len());
        for row in visible {
            let line = match *row {
                Row::Note(i) => Line::styled(rows.notes[i].clone(), s.notice),
                Row::Header(h) => self.header_line(entry, &hunks[h], h, theme),
                Row::Comment(h) => Line::from(vec![
                    Span::styled("  ┆ comment: ", s.dim),
                    Span::styled(
                        entry
                            .comments
                            .get(&hunks[h].id)
                            .cloned()
                            .unwrap_or_default(),
                        s.text.add_modifier(Modifier::ITALIC),
                    ),
                ]),
                Row::Finding { finding, .. } => {
                    finding_line(&entry.findings[finding], width, theme)
                }
                Row::Edited { hunk, line } => {
                    let text = match entry.verdicts.get(&hunks[hunk].id) {
                        Some(Verdict::Edit { text }) => text.lines().nth(line).unwrap_or(""),
                        _ => "",
                    };
                    let mut spans = vec![Span::styled("  ✎ ", s.key)];
                    spans.extend(skip(
                        vec![Span::styled(text.replace('\t', "    "), s.diff_added)],
                        self.hscroll,
                    ));
                    Line::from(fit(spans, width))
                }
                Row::Line { hunk, line } => {
                    let painter = Painter {
                        rows,
                        hunks,
                        lang,
                        theme,
                        highlighter,
                    };
                    let l = &hunks[hunk].lines[line];
                    let mut spans = vec![Span::styled(
                        format!(
                            "{:>w$} {:>w$} ",
                            l.old_no.map(|n| n.to_string()).unwrap_or_default(),
                            l.new_no.map(|n| n.to_string()).unwrap_or_default(),
                            w = rows.digits
                        ),
                        s.dim,
                    )];
                    spans.extend(painter.scrolled(hunk, line, self.hscroll));
                    Line::from(fit(spans, width))
                }
                Row::Pair { hunk, left, right } => {
                    let painter = Painter {
                        rows,
                        hunks,
                        lang,
                        theme,
                        highlighter,
                    };
                    let half = width.saturating_sub(1) / 2;
                    let side = |line: Option<usize>, old: bool| {
                        let Some(line) = line else {
                            return fit(vec![Span::styled("", s.dim)], half);
                        };
                        let l = &hunks[hunk].lines[line];
                        let no = if old { l.old_no } else { l.new_no };
                        let mut spans = vec![Span::styled(
                            format!(
                                "{:>w$} ",
                                no.map(|n| n.to_string()).unwrap_or_default(),
                                w = rows.digits
                            ),
                            s.dim,
                        )];
                        spans.extend(painter.scrolled(hunk, line, self.hscroll));
                        fit(spans, half)
                    };
                    let mut spans = side(left, true);
                    spans.push(Span::styled("│", s.border));
                    spans.extend(side(right, false));
                    Line::from(spans)
                }
            };
            out.push(line);
        }
        out
    }

    fn header_line(
        &self,
        entry: &ChangeEntry,
        hunk: &Hunk,
        index: usize,
        theme: &Theme,
    ) -> Line<'static> {
        let s = &theme.styles;
        let selected = index == self.hunk;
        let header = if hunk.lines.is_empty() {
            "whole file".to_string()
        } else {
            hunk.header()
        };
        let mut spans = vec![Span::styled(
            format!("{} {header}", if selected { "▸" } else { " " }),
            if selected { s.selection } else { s.key },
        )];
        let decided = matches!(
            entry.status,
            ChangeStatus::Pending | ChangeStatus::Reviewed { .. }
        );
        if decided {
            let (mark, style) = match entry.verdicts.get(&hunk.id) {
                Some(Verdict::Accept) => ("✓ accepted", s.diff_added),
                Some(Verdict::Reject) => ("✗ rejected", s.error),
                Some(Verdict::Edit { .. }) => ("✎ accepted as edited", s.diff_added),
                None => ("· undecided", s.key),
            };
            spans.push(Span::styled(format!("  {mark}"), style));
        }
        Line::from(spans)
    }
}

/// What an undo did to the file, in the words of what it was.
fn undone_note(entry: &ChangeEntry) -> String {
    let written = entry.written.as_ref().unwrap_or(&entry.change);
    match (&written.renamed_from, &written.before) {
        (Some(from), _) => format!("Undone: the file was moved back to {from}."),
        (None, None) => "Undone: the file the model created was deleted.".into(),
        (None, Some(_)) if written.after.is_none() => {
            "Undone: the file the model deleted was restored.".into()
        }
        (None, Some(_)) => "Undone: the file is back as it was before the change.".into(),
    }
}

/// A reviewing agent's finding under its hunk, coloured by its severity.
fn finding_line(f: &Finding, width: usize, theme: &Theme) -> Line<'static> {
    let s = &theme.styles;
    let style = match f.severity {
        Severity::High => s.error,
        Severity::Medium => s.notice,
        Severity::Low => s.dim,
    };
    let label = format!("  ⚑ {} ({}): ", f.agent, f.severity.as_str());
    Line::from(fit(
        vec![
            Span::styled(label, style),
            Span::styled(f.text.clone(), s.text),
        ],
        width,
    ))
}

/// What is said above a file's hunks (a conflict, a withdrawal, a checkpoint, a file not shown
/// line by line, …), wrapped to the pane; and for a conflict, the hunks from what is on disk
/// now to the proposal.
fn notes(entry: &ChangeEntry, width: u16) -> (Vec<String>, Option<Vec<Hunk>>) {
    let after = entry.change.after.as_deref().unwrap_or("");
    let before = entry.change.before.as_deref().unwrap_or("");
    let mut conflict_hunks = None;
    let mut notes = Vec::new();
    match &entry.status {
        ChangeStatus::Conflicted { on_disk } => {
            notes.push(format!(
                "CONFLICT: {} changed on disk since the proposal, so nothing will be written. \
                 Shown: what is on disk now → the proposal. R asks the model for a fresh \
                 proposal.",
                entry.change.path
            ));
            conflict_hunks = Some(hunks::hunks(on_disk.as_deref().unwrap_or(""), after, 3));
        }
        ChangeStatus::Withdrawn { reason } => notes.push(format!("Withdrawn: {reason}.")),
        ChangeStatus::Undone => notes.push(undone_note(entry)),
        _ => {}
    }
    if entry.imported && entry.status.is_open() {
        notes.push(
            "⚑ IMPORTED — this proposal came with an imported session: it was made \
             elsewhere, and its flags are the file's word. Read it whole before accepting."
                .into(),
        );
    }
    if let Some(why) = &entry.checkpoint {
        let what = if crate::tools::checkpoints::is_rule(why) {
            "CHECKPOINT"
        } else if crate::changes::is_conflict(why) {
            "MERGE CONFLICT"
        } else {
            "PROTECTED PATH"
        };
        notes.push(format!(
            "⚑ {what} — {why}. Nothing is written unless you accept it here."
        ));
    }
    match entry.kind {
        FileKind::Binary => notes.push(format!(
            "Binary file: {} → {} bytes, not shown. Decide it whole with a or x.",
            before.len(),
            after.len()
        )),
        FileKind::Large => notes.push(format!(
            "Large file: {} → {} bytes (over {} KB), not shown line by line. Decide it whole \
             with a or x.",
            before.len(),
            after.len(),
            hunks::MAX_DIFF_BYTES / 1024
        )),
        FileKind::Rename => notes.push(format!(
            "Move {} → {} (content unchanged). Decide it whole with a or x.",
            entry.change.renamed_from.as_deref().unwrap_or("?"),
            entry.change.path
        )),
        FileKind::Special => notes.push(format!(
            "Written by a command, not a text diff: {} → {}. Decide it whole with a or x.",
            before.trim_end(),
            if after.is_empty() {
                "deleted"
            } else {
                after.trim_end()
            }
        )),
        FileKind::Text => {}
    }
    if entry.change.renamed_from.is_some() {
    } else if entry.change.before.is_none() {
        notes.push("New file.".into());
    } else if entry.change.after.is_none() {
        notes.push("Deleted file.".into());
    }
    if entry.traits.crlf {
        notes.push("CRLF line endings (kept as they are).".into());
    }
    // Notes wrap to the pane: a conflict's explanation is read whole.
    let notes: Vec<String> = notes
        .iter()
        .flat_map(|n| textwrap::wrap(n, usize::from(width.max(20))))
        .map(std::borrow::Cow::into_owned)
        .collect();
    (notes, conflict_hunks)
}
