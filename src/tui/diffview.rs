//! The diff pane's state: the session's changes (folded from the core's events through the
//! same [`ChangeLog`] the core enforces), the selected file and hunk, and the lines to draw.
//!
//! A file's rows (hunk headers, comments, diff lines) are indexes computed once per file and
//! view mode; styled lines are built in [`DiffView::prepare`] only for the rows on screen, so a
//! 20,000-line change opens and scrolls at the cost of one screenful. Syntax highlighting comes
//! from the shared worker in blocks of [`BLOCK`] new-side lines, requested for visible blocks
//! only; until a block is ready it shows in the diff colours.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use paint::{Block, Painter, change_blocks, fit};

use super::highlight::Highlighter;
use super::theme::Theme;
use crate::changes::hunks::{self, FileKind, Hunk, LineTag, Verdict};
use crate::changes::review::{ChangeEntry, ChangeLog, ChangeStatus};
use crate::protocol::{Event, Op};

/// New-side lines highlighted together.
pub const BLOCK: usize = 200;
/// Side-by-side needs this many columns in the pane.
pub const SPLIT_MIN_WIDTH: u16 = 120;
/// Rows of the file list at most.
const LIST_MAX: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Note(usize),
    Header(usize),
    Comment(usize),
    /// A line of the text the human put in place of the hunk (`e`).
    Edited {
        hunk: usize,
        line: usize,
    },
    /// A line of the unified view.
    Line {
        hunk: usize,
        line: usize,
    },
    /// A row of the side-by-side view: an old-side and a new-side line.
    Pair {
        hunk: usize,
        left: Option<usize>,
        right: Option<usize>,
    },
}

/// A file's rows for one view mode, rebuilt when the file, the mode or its log entry changes.
#[derive(Debug)]
struct Rows {
    key: (usize, bool, u64),
    rows: Vec<Row>,
    notes: Vec<String>,
    /// Hunks shown: the entry's, or for a conflict the diff from what is on disk now.
    conflict_hunks: Option<Vec<Hunk>>,
    /// Per hunk and line: the line's index among the hunk's new-side lines.
    new_index: Vec<Vec<Option<usize>>>,
    /// Per hunk and line: the line it pairs with for word-level highlighting.
    pairs: Vec<Vec<Option<usize>>>,
    /// Width of the line-number columns.
    digits: usize,
}

/// The diff pane's inner areas: the file list, the hunks, and one footer line.
#[must_use]
pub fn areas(inner: ratatui::layout::Rect, files: usize) -> [ratatui::layout::Rect; 3] {
    use ratatui::layout::{Constraint, Layout};
    let list = u16::try_from(files.clamp(1, LIST_MAX)).unwrap_or(1);
    Layout::vertical([
        Constraint::Length(list.min(inner.height / 3).max(1)),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner)
}

#[derive(Debug, Default)]
pub struct DiffView {
    pub log: ChangeLog,
    /// Index into `log.entries`.
    pub selected: usize,
    /// Index of the selected hunk in the selected file.
    pub hunk: usize,
    scroll: usize,
    pub split: bool,
    /// A comment being typed for the selected hunk.
    pub comment: Option<String>,
    generation: u64,
    rows: Option<Rows>,
    /// Built by `prepare` for the draw.
    pub list: Vec<Line<'static>>,
    pub body: Vec<Line<'static>>,
    body_height: usize,
    width: u16,
}

/// What a diff key asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffRequest {
    Send(Vec<Op>),
    /// Open the hunk's proposed text in `$EDITOR`.
    Edit {
        change: String,
        hunk: String,
        text: String,
        extension: String,
    },
    Note(String),
    None,
}

impl DiffView {
    /// Folds an event. Returns the entry index when a live proposal arrived (the pane selects
    /// it).
    pub fn on_event(&mut self, event: &Event, replay: bool) -> bool {
        if !self.log.apply(event) {
            return false;
        }
        self.generation += 1;
        if let Event::ChangeProposed { .. } | Event::FileChanged { .. } = event
            && (!replay || self.log.entries.len() == 1 || self.log.pending().is_some())
        {
            self.select(self.log.entries.len() - 1);
        }
        true
    }

    #[must_use]
    pub fn entry(&self) -> Option<&ChangeEntry> {
        self.log.entries.get(self.selected)
    }

    fn select(&mut self, index: usize) {
        if index != self.selected {
            self.scroll = 0;
            self.hunk = 0;
        }
        self.selected = index;
    }

    fn shown_hunks(&self) -> &[Hunk] {
        let Some(entry) = self.entry() else {
            return &[];
        };
        match self.rows.as_ref().and_then(|r| r.conflict_hunks.as_ref()) {
            Some(h) => h,
            None => &entry.hunks,
        }
    }

    // --- keys ------------------------------------------------------------------------------

    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = self.scroll.saturating_add_signed(delta);
        self.clamp_scroll();
        // The selection follows the hunk at the top of the view.
        if let Some(rows) = &self.rows
            && let Some(h) = rows.rows[self.scroll.min(rows.rows.len().saturating_sub(1))..]
                .iter()
                .find_map(|r| match r {
                    Row::Header(h) | Row::Comment(h) | Row::Edited { hunk: h, .. } => Some(*h),
                    Row::Line { hunk, .. } | Row::Pair { hunk, .. } => Some(*hunk),
                    Row::Note(_) => None,
                })
        {
            self.hunk = h;
        }
    }

    pub fn page(&mut self, down: bool) {
        let page = isize::try_from(self.body_height.max(2) - 1).unwrap_or(1);
        self.scroll_by(if down { page } else { -page });
    }

    fn clamp_scroll(&mut self) {
        let total = self.rows.as_ref().map_or(0, |r| r.rows.len());
        self.scroll = self
            .scroll
            .min(total.saturating_sub(self.body_height.max(1)));
    }

    /// Selects the next (`forward`) or previous hunk and scrolls to it.
    pub fn step_hunk(&mut self, forward: bool) {
        let count = self.shown_hunks().len();
        if count == 0 {
            return;
        }
        self.hunk = if forward {
            (self.hunk + 1).min(count - 1)
        } else {
            self.hunk.saturating_sub(1)
        };
        self.show_hunk();
    }

    fn show_hunk(&mut self) {
        if let Some(rows) = &self.rows
            && let Some(at) = rows.rows.iter().position(|r| *r == Row::Header(self.hunk))
        {
            self.scroll = at;
            self.clamp_scroll();
        }
    }

    pub fn step_file(&mut self, forward: bool) {
        let count = self.log.entries.len();
        if count == 0 {
            return;
        }
        let next = if forward {
            (self.selected + 1).min(count - 1)
        } else {
            self.selected.saturating_sub(1)
        };
        self.select(next);
    }

    pub fn toggle_split(&mut self) -> Option<String> {
        if !self.split && self.width < SPLIT_MIN_WIDTH {
            return Some(format!(
                "side-by-side needs {SPLIT_MIN_WIDTH} columns in the pane (it has {}); zoom it \
                 with z or widen the terminal",
                self.width
            ));
        }
        self.split = !self.split;
        None
    }

    /// An open change's selected hunk, or why there is none.
    fn open_hunk(&self) -> Result<(&ChangeEntry, &Hunk), String> {
        let entry = self.entry().ok_or("no change to review")?;
        match &entry.status {
            ChangeStatus::Pending => {}
            ChangeStatus::Conflicted { .. } => {
                return Err(format!(
                    "{} changed on disk since the proposal: R asks the model for a fresh one",
                    entry.change.path
                ));
            }
            other => {
                return Err(format!(
                    "this change is {}: only a change waiting for review can be decided{}",
                    other.label(),
                    if entry.written.is_some() {
                        " (u undoes it)"
                    } else {
                        ""
                    }
                ));
            }
        }
        let hunk = entry.hunks.get(self.hunk).ok_or("no hunk selected")?;
        Ok((entry, hunk))
    }

    /// `a` / `x`: decides the selected hunk and moves to the next one.
    pub fn decide(&mut self, verdict: Verdict) -> DiffRequest {
        let op = match self.open_hunk() {
            Ok((entry, hunk)) => Op::DecideHunk {
                change: entry.id.clone(),
                hunk: hunk.id.clone(),
                verdict,
            },
            Err(why) => return DiffRequest::Note(why),
        };
        self.step_hunk(true);
        DiffRequest::Send(vec![op])
    }

    /// `A` / `X`: decides every undecided hunk of the file.
    pub fn decide_file(&mut self, verdict: &Verdict) -> DiffRequest {
        let entry = match self.open_hunk() {
            Ok((entry, _)) => entry,
            Err(why) => return DiffRequest::Note(why),
        };
        let ops: Vec<Op> = entry
            .hunks
            .iter()
            .filter(|h| !entry.verdicts.contains_key(&h.id))
            .map(|h| Op::DecideHunk {
                change: entry.id.clone(),
                hunk: h.id.clone(),
                verdict: verdict.clone(),
            })
            .collect();
        if ops.is_empty() {
            return DiffRequest::Note("every hunk of this file is decided; Enter submits".into());
        }
        DiffRequest::Send(ops)
    }

    /// `c`: starts typing a comment (the current one, to edit).
    pub fn start_comment(&mut self) -> DiffRequest {
        match self.open_hunk() {
            Ok((entry, hunk)) => {
                self.comment = Some(entry.comments.get(&hunk.id).cloned().unwrap_or_default());
                DiffRequest::None
            }
            Err(why) => DiffRequest::Note(why),
        }
    }

    /// Enter while typing a comment.
    pub fn finish_comment(&mut self) -> DiffRequest {
        let Some(comment) = self.comment.take() else {
            return DiffRequest::None;
        };
        match self.open_hunk() {
            Ok((entry, hunk)) => DiffRequest::Send(vec![Op::CommentHunk {
                change: entry.id.clone(),
                hunk: hunk.id.clone(),
                comment,
            }]),
            Err(why) => DiffRequest::Note(why),
        }
    }

    /// `e`: the selected hunk's proposed text, for the editor.
    pub fn edit(&self) -> DiffRequest {
        match self.open_hunk() {
            Ok((_, hunk)) if hunk.lines.is_empty() => DiffRequest::Note(
                "a binary or large file is decided whole (a or x); it cannot be edited here".into(),
            ),
            Ok((entry, hunk)) => DiffRequest::Edit {
                change: entry.id.clone(),
                hunk: hunk.id.clone(),
                text: hunk.new_text(),
                extension: extension(&entry.change.path).to_string(),
            },
            Err(why) => DiffRequest::Note(why),
        }
    }

    /// Enter: submits the review when every hunk is decided.
    pub fn submit(&self) -> DiffRequest {
        let entry = match self.open_hunk() {
            Ok((entry, _)) => entry,
            Err(why) => return DiffRequest::Note(why),
        };
        match entry.undecided() {
            0 => DiffRequest::Send(vec![Op::SubmitReview {
                change: entry.id.clone(),
            }]),
            n => DiffRequest::Note(format!(
                "{n} of {} hunks undecided: a accepts, x rejects (A/X the rest of the file)",
                entry.hunks.len()
            )),
        }
    }

    /// `R`: sends the change back for a fresh proposal.
    pub fn repropose(&self) -> DiffRequest {
        match self.entry() {
            Some(e) if e.status.is_open() => DiffRequest::Send(vec![Op::Repropose {
                change: e.id.clone(),
            }]),
            Some(_) => {
                DiffRequest::Note("only a change waiting for review can be sent back".into())
            }
            None => DiffRequest::Note("no change to send back".into()),
        }
    }

    // --- rendering -------------------------------------------------------------------------

    fn rows_key(&self) -> (usize, bool, u64) {
        (self.selected, self.split, self.generation)
    }

    fn build_rows(&self) -> Rows {
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        let Some(entry) = self.entry() else {
            return Rows {
                key: self.rows_key(),
                rows,
                notes,
                conflict_hunks: None,
                new_index: Vec::new(),
                pairs: Vec::new(),
                digits: 3,
            };
        };
        let after = entry.change.after.as_deref().unwrap_or("");
        let before = entry.change.before.as_deref().unwrap_or("");
        let mut conflict_hunks = None;
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
            ChangeStatus::Undone => notes.push("Undone: the file was restored.".into()),
            _ => {}
        }
        if let Some(why) = &entry.checkpoint {
            notes.push(format!(
                "⚑ PROTECTED PATH — {why}. Nothing is written unless you accept it here."
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
        self.list = self.list_lines(usize::from(list.height), theme);
        self.body = self.body_lines(usize::from(body.width), theme, highlighter);
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
                Line::from(spans)
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
                Row::Edited { hunk, line } => {
                    let text = match entry.verdicts.get(&hunks[hunk].id) {
                        Some(Verdict::Edit { text }) => text.lines().nth(line).unwrap_or(""),
                        _ => "",
                    };
                    Line::from(fit(
                        vec![
                            Span::styled("  ✎ ", s.key),
                            Span::styled(text.replace('\t', "    "), s.diff_added),
                        ],
                        width,
                    ))
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
                    spans.extend(painter.line(hunk, line));
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
                        spans.extend(painter.line(hunk, line));
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

    /// The footer: the comment being typed, or the keys that apply.
    #[must_use]
    pub fn footer(&self, theme: &Theme, keymap: &crate::tui::keymap::Keymap) -> Line<'static> {
        use crate::tui::hints;
        use crate::tui::keymap::Action;
        let s = &theme.styles;
        if let Some(c) = &self.comment {
            return Line::from(vec![
                Span::styled("comment: ", s.key),
                Span::styled(format!("{c}▏"), s.text),
                Span::styled("  Enter saves · Esc cancels", s.dim),
            ]);
        }
        let hint = match self.entry().map(|e| &e.status) {
            Some(ChangeStatus::Pending) => hints::footer(
                keymap,
                &[
                    (Action::DiffAccept, "accept"),
                    (Action::DiffReject, "reject"),
                    (Action::DiffAcceptFile, "accept the rest of the file"),
                    (Action::DiffRejectFile, "reject it"),
                    (Action::DiffComment, "comment"),
                    (Action::DiffEdit, "edit"),
                    (Action::DiffSubmit, "submit"),
                    (Action::DiffRepropose, "send back"),
                ],
            ),
            Some(ChangeStatus::Conflicted { .. }) => hints::footer(
                keymap,
                &[(Action::DiffRepropose, "ask the model for a fresh proposal")],
            ),
            Some(_) => hints::footer(
                keymap,
                &[
                    (Action::DiffUndo, "undo the last applied change"),
                    (Action::DiffNextFile, "file"),
                    (Action::DiffNextHunk, "hunk"),
                    (Action::DiffSplit, "split"),
                ],
            ),
            None => String::new(),
        };
        Line::styled(hint, s.dim)
    }
}

/// The file's extension, which names its syntax for highlighting.
#[must_use]
pub fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext,
        _ => "",
    }
}

mod paint;
#[cfg(test)]
mod tests;
