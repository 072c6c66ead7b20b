//! The diff pane's state: the session's changes (folded from the core's events through the
//! same [`ChangeLog`] the core enforces), the selected file and hunk, and the lines to draw.
//!
//! A file's rows (hunk headers, comments, diff lines) are indexes computed once per file and
//! view mode; styled lines are built in [`DiffView::prepare`] only for the rows on screen, so a
//! 20,000-line change opens and scrolls at the cost of one screenful. Syntax highlighting comes
//! from the shared worker in blocks of [`BLOCK`] new-side lines, requested for visible blocks
//! only; until a block is ready it shows in the diff colours.

use ratatui::text::Line;

use crate::changes::hunks::{Hunk, Verdict};
use crate::changes::review::{ChangeEntry, ChangeLog, ChangeStatus};
use crate::protocol::{Event, Op};

/// New-side lines highlighted together.
pub const BLOCK: usize = 200;
/// Side-by-side needs this many columns in the pane.
/// Side-by-side needs this many columns inside the pane: two halves of about fifty, each
/// with its line numbers. A zoomed pane in a 120-column terminal has 118.
pub const SPLIT_MIN_WIDTH: u16 = 100;
/// Rows of the file list at most.
const LIST_MAX: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Note(usize),
    Header(usize),
    Comment(usize),
    /// A reviewing agent's finding on the hunk: its place in the entry's findings.
    Finding {
        hunk: usize,
        finding: usize,
    },
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
    key: (usize, bool, u64, u16),
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
    pub comment: Option<crate::field::TextField>,
    generation: u64,
    rows: Option<Rows>,
    /// Built by `prepare` for the draw.
    pub list: Vec<Line<'static>>,
    pub body: Vec<Line<'static>>,
    body_height: usize,
    width: u16,
    /// Columns of code scrolled out on the left, for lines wider than the pane.
    pub hscroll: usize,
    /// The keys its notes name, as bound (set by the pane from the keymap).
    pub keys: NoteKeys,
}

/// Keys the diff pane's notes name ("u undoes it"), from the live keymap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteKeys {
    pub accept: String,
    pub reject: String,
    pub submit: String,
    pub undo: String,
    pub repropose: String,
    pub zoom: String,
}

impl Default for NoteKeys {
    fn default() -> Self {
        NoteKeys {
            accept: "a".into(),
            reject: "x".into(),
            submit: "Enter".into(),
            undo: "u".into(),
            repropose: "R".into(),
            zoom: "z".into(),
        }
    }
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
                    Row::Header(h)
                    | Row::Comment(h)
                    | Row::Finding { hunk: h, .. }
                    | Row::Edited { hunk: h, .. } => Some(*h),
                    Row::Line { hunk, .. } | Row::Pair { hunk, .. } => Some(*hunk),
                    Row::Note(_) => None,
                })
        {
            self.hunk = h;
        }
    }

    /// Scrolls the code sideways by `delta` columns (never before its start).
    pub fn scroll_sideways(&mut self, delta: isize) {
        self.hscroll = self.hscroll.saturating_add_signed(delta);
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
                 with {} or widen the terminal",
                self.width, self.keys.zoom
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
                    "{} changed on disk since the proposal: {} asks the model for a fresh one",
                    entry.change.path, self.keys.repropose
                ));
            }
            other => {
                return Err(format!(
                    "this change is {}: only a change waiting for review can be decided{}",
                    other.label(),
                    if entry.written.is_some() {
                        format!(" ({} undoes it)", self.keys.undo)
                    } else {
                        String::new()
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
            return DiffRequest::Note(format!(
                "every hunk of this file is decided; {} submits",
                self.keys.submit
            ));
        }
        DiffRequest::Send(ops)
    }

    /// `c`: starts typing a comment (the current one, to edit).
    pub fn start_comment(&mut self) -> DiffRequest {
        match self.open_hunk() {
            Ok((entry, hunk)) => {
                self.comment = Some(crate::field::TextField::new(
                    entry.comments.get(&hunk.id).map_or("", String::as_str),
                ));
                DiffRequest::None
            }
            Err(why) => DiffRequest::Note(why),
        }
    }

    /// `f`: the reviewing agents' findings on the selected hunk become the human's comment on
    /// it (added to what it says), which the model reads when the change is decided — a
    /// finding reaches the model only this way.
    pub fn forward_findings(&self) -> DiffRequest {
        match self.open_hunk() {
            Ok((entry, hunk)) => {
                let said: Vec<String> = entry
                    .findings
                    .iter()
                    .filter(|f| f.hunk.as_deref() == Some(hunk.id.as_str()))
                    .map(|f| format!("{} ({}): {}", f.agent, f.severity.as_str(), f.text))
                    .collect();
                if said.is_empty() {
                    return DiffRequest::Note("no finding on this hunk".into());
                }
                let mut comment = entry.comments.get(&hunk.id).cloned().unwrap_or_default();
                for line in said {
                    if !comment.contains(&line) {
                        if !comment.is_empty() {
                            comment.push_str("; ");
                        }
                        comment.push_str(&line);
                    }
                }
                DiffRequest::Send(vec![Op::CommentHunk {
                    change: entry.id.clone(),
                    hunk: hunk.id.clone(),
                    comment,
                }])
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
                comment: comment.into_text(),
            }]),
            Err(why) => DiffRequest::Note(why),
        }
    }

    /// `e`: the selected hunk's proposed text, for the editor.
    pub fn edit(&self) -> DiffRequest {
        match self.open_hunk() {
            Ok((_, hunk)) if hunk.lines.is_empty() => DiffRequest::Note(format!(
                "a binary or large file is decided whole ({} or {}); it cannot be edited here",
                self.keys.accept, self.keys.reject
            )),
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
                "{n} of {} hunks undecided: decide each (the pane's footer has the keys), then submit",
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
mod render;
#[cfg(test)]
mod tests;
