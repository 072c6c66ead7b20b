//! The plan pane: the plan tree with its statuses, or in the pipeline gear the stage bar
//! over the tasks' plan; its keys edit and run the plan, or pass a stage's gate.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, Pane, PaneCtx, read_only_note};
use crate::keymap::Action;
use crate::layout::PaneId;
use crate::planview::{self, PlanInput, PlanRequest, PlanView};
use crate::protocol::{Event, Op};

impl From<PlanRequest> for Outcome {
    fn from(r: PlanRequest) -> Outcome {
        match r {
            PlanRequest::Send(op) => Outcome::send(vec![op]),
            PlanRequest::Note(n) => Outcome::note(n),
            PlanRequest::None => Outcome::default(),
        }
    }
}

/// The pane's area under the stage bar (all of it outside the pipeline gear).
fn below_stages(inner: Rect, stages: Option<&[ratatui::text::Line<'static>]>) -> Rect {
    let rows = stages.map_or(0, |s| u16::try_from(s.len()).unwrap_or(u16::MAX));
    let rows = rows.min(inner.height);
    Rect {
        y: inner.y + rows,
        height: inner.height - rows,
        ..inner
    }
}

impl Pane for PlanView {
    fn id(&self) -> PaneId {
        PaneId::Plan
    }

    fn title(&self) -> String {
        if self.stages.is_some() {
            "Pipeline".into()
        } else {
            "Plan".into()
        }
    }

    fn on_event(&mut self, event: &Event, _replay: bool) -> bool {
        if let Event::PipelinePreview { pipeline } = event {
            self.preview_pipeline = Some(pipeline.clone());
        }
        let plan_event = matches!(
            event,
            Event::PlanProposed { .. }
                | Event::PlanEdited { .. }
                | Event::StepStatusChanged { .. }
                | Event::PipelineStarted { .. }
        );
        if plan_event {
            PlanView::on_event(self, event);
        }
        plan_event
    }

    fn prepare(&mut self, inner: Rect, ctx: &PaneCtx<'_>) {
        self.gear = ctx.gear;
        self.prepare_stages(ctx.pipeline, ctx.theme, inner.width, ctx.model);
        let area = below_stages(inner, self.stages.as_deref());
        PlanView::prepare(self, area, ctx.theme, ctx.keymap);
    }

    fn render(&self, frame: &mut Frame<'_>, inner: Rect, _ctx: &PaneCtx<'_>) {
        if let Some(stages) = &self.stages {
            frame.render_widget(Paragraph::new(stages.clone()), inner);
        }
        let inner = below_stages(inner, self.stages.as_deref());
        let [header, tree, preview, footer] = planview::areas(inner);
        frame.render_widget(Paragraph::new(self.header.clone()), header);
        let tree_text = Paragraph::new(self.tree.clone());
        if self.plan.is_none() {
            // No plan: the explanation (or the pipeline to come) has the preview's rows too.
            frame.render_widget(tree_text.wrap(Wrap { trim: true }), tree.union(preview));
            frame.render_widget(Paragraph::new(self.footer.clone()), footer);
            return;
        }
        frame.render_widget(tree_text, tree);
        frame.render_widget(
            Paragraph::new(self.preview.clone()).wrap(Wrap { trim: false }),
            preview,
        );
        frame.render_widget(Paragraph::new(self.footer.clone()), footer);
    }

    fn handle(&mut self, action: Action, ctx: &PaneCtx<'_>) -> Outcome {
        let request = match action {
            Action::PlanDown => {
                self.step(1);
                PlanRequest::None
            }
            Action::PlanUp => {
                self.step(-1);
                PlanRequest::None
            }
            Action::PlanCollapse | Action::PlanExpand => {
                self.fold(action == Action::PlanCollapse);
                PlanRequest::None
            }
            // Everything else changes the session: refused when it is another workspace's.
            _ if ctx.read_only => return Outcome::note(read_only_note(ctx.keymap, "to change it")),
            Action::PlanApprove => self.approve(),
            Action::PlanApproveAll => self.approve_all(),
            Action::PlanReject => self.reject(),
            Action::PlanEdit => self.start('e'),
            Action::PlanAdd => self.start('o'),
            Action::PlanComment => self.start('c'),
            Action::PlanDelete => self.delete(),
            Action::PlanParallel => self.toggle_independent(),
            Action::PlanMoveUp => self.move_step(true),
            Action::PlanMoveDown => self.move_step(false),
            Action::PlanRevise => PlanRequest::Send(Op::RevisePlan),
            // In a pipeline run, the run key passes the stage's gate (its tasks run by
            // themselves).
            Action::PlanGo if ctx.in_pipeline => PlanRequest::Send(Op::PassGate),
            Action::PlanGo => PlanRequest::Send(Op::Go { all: false }),
            Action::StageBack if ctx.in_pipeline => {
                self.input = Some(PlanInput::SendBack {
                    text: crate::field::TextField::default(),
                });
                PlanRequest::None
            }
            Action::StageSkip if ctx.in_pipeline => PlanRequest::Send(Op::SkipStage),
            Action::StageBack | Action::StageSkip => PlanRequest::Note(
                "no pipeline is running: these keys work in the pipeline gear".into(),
            ),
            Action::PlanGoAll => PlanRequest::Send(Op::Go { all: true }),
            Action::PlanMarkDone => PlanRequest::Send(Op::MarkStepDone),
            _ => PlanRequest::None,
        };
        request.into()
    }
}
