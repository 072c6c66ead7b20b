//! The diff review pane: every change of the session, the one under review hunk by hunk.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, Pane, PaneCtx, read_only_note};
use crate::changes::review::ChangeStatus;
use crate::diffview::{self, DiffRequest, DiffView, NoteKeys};
use crate::hints;
use crate::keymap::{Action, Keymap};
use crate::layout::PaneId;
use crate::outcome::Effect;
use crate::protocol::{Event, Op, Verdict};
use crate::theme::Theme;

impl From<DiffRequest> for Outcome {
    fn from(r: DiffRequest) -> Outcome {
        match r {
            DiffRequest::Send(ops) => Outcome::send(ops),
            DiffRequest::Edit {
                change,
                hunk,
                text,
                extension,
            } => Outcome {
                effects: vec![Effect::EditHunk {
                    change,
                    hunk,
                    text,
                    extension,
                }],
                ..Outcome::default()
            },
            DiffRequest::Note(n) => Outcome::note(n),
            DiffRequest::None => Outcome::default(),
        }
    }
}

impl Pane for DiffView {
    fn id(&self) -> PaneId {
        PaneId::Diff
    }

    fn title(&self) -> String {
        match self.log.pending() {
            Some(e) => format!(
                "Diff — review {} ({} undecided)",
                e.change.path,
                e.undecided()
            ),
            None if self.split => "Diff — side by side".to_string(),
            None => "Diff".to_string(),
        }
    }

    fn on_event(&mut self, event: &Event, replay: bool) -> bool {
        DiffView::on_event(self, event, replay)
    }

    fn prepare(&mut self, inner: Rect, ctx: &PaneCtx<'_>) {
        let key = |action| hints::key(ctx.keymap, action);
        let keys = NoteKeys {
            accept: key(Action::DiffAccept),
            reject: key(Action::DiffReject),
            submit: key(Action::DiffSubmit),
            undo: key(Action::DiffUndo),
            repropose: key(Action::DiffRepropose),
            zoom: key(Action::Zoom),
        };
        if self.keys != keys {
            self.keys = keys;
        }
        DiffView::prepare(self, inner, ctx.theme, ctx.highlighter);
    }

    fn render(&self, frame: &mut Frame<'_>, inner: Rect, ctx: &PaneCtx<'_>) {
        let [list, body, footer] = diffview::areas(inner, self.log.entries.len());
        frame.render_widget(Paragraph::new(self.list.clone()), list);
        let body_text = Paragraph::new(self.body.clone());
        frame.render_widget(
            if self.log.entries.is_empty() {
                body_text.wrap(Wrap { trim: true })
            } else {
                body_text
            },
            body,
        );
        frame.render_widget(
            Paragraph::new(crate::fit::line(
                footer_line(self, ctx.theme, ctx.keymap, usize::from(footer.width)),
                usize::from(footer.width),
            )),
            footer,
        );
    }

    fn handle(&mut self, action: Action, ctx: &PaneCtx<'_>) -> Outcome {
        let request = match action {
            Action::DiffDown => {
                self.scroll_by(1);
                DiffRequest::None
            }
            Action::DiffUp => {
                self.scroll_by(-1);
                DiffRequest::None
            }
            Action::DiffPageDown | Action::DiffPageUp => {
                self.page(action == Action::DiffPageDown);
                DiffRequest::None
            }
            Action::DiffRight | Action::DiffLeft => {
                self.scroll_sideways(if action == Action::DiffRight { 8 } else { -8 });
                DiffRequest::None
            }
            Action::DiffNextHunk | Action::DiffPrevHunk => {
                self.step_hunk(action == Action::DiffNextHunk);
                DiffRequest::None
            }
            Action::DiffNextFile | Action::DiffPrevFile => {
                self.step_file(action == Action::DiffNextFile);
                DiffRequest::None
            }
            Action::DiffSplit => return self.toggle_split().map(Outcome::note).unwrap_or_default(),
            // Every decision changes the session: refused when it is another workspace's.
            _ if ctx.read_only => {
                return Outcome::note(read_only_note(ctx.keymap, "to review here"));
            }
            Action::DiffAccept => self.decide(Verdict::Accept),
            Action::DiffReject => self.decide(Verdict::Reject),
            Action::DiffAcceptFile => self.decide_file(&Verdict::Accept),
            Action::DiffRejectFile => self.decide_file(&Verdict::Reject),
            Action::DiffComment => self.start_comment(),
            Action::DiffForward => self.forward_findings(),
            Action::DiffEdit => self.edit(),
            Action::DiffSubmit => self.submit(),
            Action::DiffRepropose => self.repropose(),
            Action::DiffUndo => DiffRequest::Send(vec![Op::Undo]),
            _ => DiffRequest::None,
        };
        request.into()
    }
}

/// The footer: the comment being typed, or the keys that apply in `width` columns (the most
/// important kept, the rest dropped whole).
#[must_use]
pub fn footer_line(view: &DiffView, theme: &Theme, keymap: &Keymap, width: usize) -> Line<'static> {
    let s = &theme.styles;
    if let Some(c) = &view.comment {
        return c.line("comment", s);
    }
    let hint = match view.entry().map(|e| &e.status) {
        Some(ChangeStatus::Pending) => hints::footer(
            keymap,
            &[
                (Action::DiffAccept, "accept"),
                (Action::DiffReject, "reject"),
                (Action::DiffSubmit, "submit"),
                (Action::DiffAcceptFile, "accept the rest of the file"),
                (Action::DiffRejectFile, "reject it"),
                (Action::DiffEdit, "edit"),
                (Action::DiffComment, "comment"),
                (Action::DiffRepropose, "send back"),
            ],
            width,
        ),
        Some(ChangeStatus::Conflicted { .. }) => hints::footer(
            keymap,
            &[(Action::DiffRepropose, "ask the model for a fresh proposal")],
            width,
        ),
        Some(_) => hints::footer(
            keymap,
            &[
                (Action::DiffUndo, "undo the last applied change"),
                (Action::DiffNextFile, "file"),
                (Action::DiffNextHunk, "hunk"),
                (Action::DiffSplit, "split"),
            ],
            width,
        ),
        None => String::new(),
    };
    Line::styled(hint, s.dim)
}
