//! The context heatmap pane: what fills the next request, item by item.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::{Outcome, Pane, PaneCtx, read_only_note};
use crate::contextview::{self, ContextRequest, ContextView};
use crate::keymap::Action;
use crate::layout::PaneId;
use crate::protocol::{Event, Op};

impl From<ContextRequest> for Outcome {
    fn from(r: ContextRequest) -> Outcome {
        match r {
            ContextRequest::Send(op) => Outcome::send(vec![op]),
            ContextRequest::Note(n) => Outcome::note(n),
            ContextRequest::None => Outcome::default(),
        }
    }
}

impl Pane for ContextView {
    fn id(&self) -> PaneId {
        PaneId::Context
    }

    fn title(&self) -> String {
        "Context".into()
    }

    fn on_event(&mut self, event: &Event, _replay: bool) -> bool {
        if let Event::ContextAccounted { report } = event {
            self.set_report(report.clone());
            return true;
        }
        false
    }

    fn prepare(&mut self, inner: Rect, ctx: &PaneCtx<'_>) {
        ContextView::prepare(self, inner, ctx.theme, ctx.warn_at, ctx.keymap);
    }

    fn render(&self, frame: &mut Frame<'_>, inner: Rect, _ctx: &PaneCtx<'_>) {
        let [header, grid, legend, list, preview] =
            contextview::areas(inner, self.header.len(), self.legend.len());
        frame.render_widget(Paragraph::new(self.header.clone()), header);
        frame.render_widget(Paragraph::new(self.grid.clone()), grid);
        frame.render_widget(Paragraph::new(self.legend.clone()), legend);
        frame.render_widget(Paragraph::new(self.list.clone()), list);
        frame.render_widget(Paragraph::new(self.preview.clone()), preview);
    }

    fn handle(&mut self, action: Action, ctx: &PaneCtx<'_>) -> Outcome {
        match action {
            Action::ContextDown => self.step(1),
            Action::ContextUp => self.step(-1),
            Action::ContextDrop | Action::ContextPin | Action::ContextCompact if ctx.read_only => {
                return Outcome::note(read_only_note(ctx.keymap, "to change it"));
            }
            Action::ContextDrop => {
                return match self.toggle_drop() {
                    ContextRequest::Note(n) if n == contextview::PINNED => Outcome::note(format!(
                        "the item is pinned: unpin it ({}) to leave it out",
                        crate::hints::key(ctx.keymap, Action::ContextPin)
                    )),
                    other => other.into(),
                };
            }
            Action::ContextPin => return self.toggle_pin().into(),
            Action::ContextCompact => {
                return Outcome {
                    ops: vec![Op::Compact],
                    note: Some("compacting…".into()),
                    ..Outcome::default()
                };
            }
            _ => {}
        }
        Outcome::default()
    }
}
