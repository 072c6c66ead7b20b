//! The plan pane laid out for the draw, in `prepare` (never on the draw path): the header,
//! the tree of steps scrolled to the selection, the selected step in full, and the footer
//! with the field being typed or the keys that apply.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{PlanInput, PlanView, areas, stages};
use crate::hints;
use crate::keymap::{Action, Keymap};
use crate::plan::{Plan, Step, StepStatus};
use crate::protocol::Gear;
use crate::theme::{Styles, Theme};

impl PlanView {
    /// Lays out what the draw shows for a pane of `inner` size.
    pub fn prepare(&mut self, inner: Rect, theme: &Theme, keymap: &Keymap) {
        let s = &theme.styles;
        let [_, tree_area, preview_area, _] = areas(inner);
        let Some(plan) = self.plan.as_ref() else {
            self.prepare_empty(s, keymap);
            return;
        };
        self.header = header(plan, s);
        self.tree = self.tree_lines(tree_area.height, inner.width, s);
        self.preview = self
            .selected_step()
            .map(|step| {
                preview(
                    step,
                    s,
                    (
                        usize::from(preview_area.width),
                        usize::from(preview_area.height),
                    ),
                    &hints::key(keymap, Action::Zoom),
                )
            })
            .unwrap_or_default();
        // The keys are fitted whole (the help lists them all); a field being typed is left
        // whole (its end is where the cursor is).
        self.footer = self.footer_line(usize::from(inner.width), s, keymap);
    }

    /// No plan yet: what will come here, or the pipeline a prompt starts.
    fn prepare_empty(&mut self, s: &Styles, keymap: &Keymap) {
        self.header = Line::styled("No plan yet.", s.text);
        self.preview.clear();
        // The pipeline gear before its first prompt: the pipeline that will run.
        if let (None, Gear::Pipeline, Some(p)) = (&self.stages, self.gear, &self.preview_pipeline) {
            self.header = Line::styled(
                format!("Pipeline {}: your next prompt starts it", p.name),
                s.text.add_modifier(Modifier::BOLD),
            );
            self.tree = stages::preview(p, s, keymap);
            self.footer = Line::default();
            return;
        }
        let text = if self.stages.is_some() {
            format!(
                "The tasks stage proposes its plan here. At each stage's gate: {}.",
                hints::say(
                    keymap,
                    &[
                        (Action::PlanGo, "passes it"),
                        (Action::StageBack, "sends it back with comments"),
                        (Action::StageSkip, "skips it"),
                    ]
                )
            )
        } else {
            format!(
                "In the plan gear ({}) the model explores read-only and proposes a plan here: \
                 edit and approve it step by step, then run it with {}.",
                hints::key(keymap, Action::CycleGear),
                hints::key(keymap, Action::PlanGo)
            )
        };
        self.tree = vec![Line::styled(text, s.dim)];
        // Sending a stage back before the tasks stage: the comment is typed here too.
        self.footer = match &self.input {
            Some(PlanInput::SendBack { text }) => text.line("send back with", s),
            _ => Line::default(),
        };
    }

    /// The rows of the tree that fit `height`, scrolled so the selection shows.
    fn tree_lines(&mut self, height: u16, width: u16, s: &Styles) -> Vec<Line<'static>> {
        let at = self.position().unwrap_or(0);
        let height = usize::from(height).max(1);
        if at < self.top {
            self.top = at;
        } else if at >= self.top + height {
            self.top = at + 1 - height;
        }
        let width = usize::from(width);
        let rows = self.rows();
        let mut tree = Vec::with_capacity(height);
        for (i, (number, depth, step)) in rows.iter().enumerate().skip(self.top).take(height) {
            let branch = if step.children.is_empty() {
                " "
            } else if self.collapsed.contains(&step.id) {
                "▸"
            } else {
                "▾"
            };
            let mut line = step_line(branch, number, *depth, step, s);
            // A title too long for the pane ends in …; the preview below shows it whole.
            line = crate::fit::line(line, width);
            if i == at {
                let used: usize = line.spans.iter().map(|sp| sp.content.chars().count()).sum();
                line.push_span(Span::raw(" ".repeat(width.saturating_sub(used))));
                line = line.patch_style(s.selection);
            }
            tree.push(line);
        }
        tree
    }

    /// The field being typed, or the keys of the pane (a stage's gate's first).
    fn footer_line(&self, width: usize, s: &Styles, keymap: &Keymap) -> Line<'static> {
        match &self.input {
            Some(PlanInput::Edit {
                title,
                detail,
                on_detail,
                ..
            }) => {
                if *on_detail {
                    detail.line("detail", s)
                } else {
                    title.line("title", s)
                }
            }
            Some(PlanInput::Add {
                title,
                detail,
                on_detail,
                ..
            }) => {
                if *on_detail {
                    detail.line("new step's detail", s)
                } else {
                    title.line("new step", s)
                }
            }
            Some(PlanInput::Comment { text, .. }) => text.line("comment", s),
            Some(PlanInput::SendBack { text }) => text.line("send back with", s),
            None if self.at_gate => Line::styled(
                hints::footer(
                    keymap,
                    &[
                        (Action::PlanGo, "pass gate"),
                        (Action::StageBack, "send back"),
                        (Action::StageSkip, "skip"),
                        (Action::PlanApprove, "approve"),
                        (Action::PlanReject, "reject"),
                        (Action::PlanEdit, "edit"),
                        (Action::PlanComment, "comment"),
                    ],
                    width,
                ),
                s.key,
            ),
            None => Line::styled(
                hints::footer(
                    keymap,
                    &[
                        (Action::PlanApprove, "approve"),
                        (Action::PlanReject, "reject"),
                        (Action::PlanGo, "run"),
                        (Action::PlanEdit, "edit"),
                        (Action::PlanAdd, "add"),
                        (Action::PlanDelete, "delete"),
                        (Action::PlanComment, "comment"),
                        (Action::PlanRevise, "revise"),
                        (Action::PlanMoveUp, "up"),
                        (Action::PlanMoveDown, "down"),
                    ],
                    width,
                ),
                s.dim,
            ),
        }
    }
}

/// The plan's version and how much of it is approved and done.
fn header(plan: &Plan, s: &Styles) -> Line<'static> {
    let (approved, done, total) = plan.counts();
    Line::from(vec![
        Span::styled(
            format!("Plan v{}", plan.version),
            s.text.add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" · {approved}/{total} approved · {done}/{total} done"),
            s.dim,
        ),
    ])
}

/// One step's row: indented by depth, its branch mark, status, number, title and comments.
fn step_line(branch: &str, number: &str, depth: usize, step: &Step, s: &Styles) -> Line<'static> {
    let mut line = Line::from(vec![
        Span::raw("  ".repeat(depth)),
        Span::styled(
            format!("{branch}{} ", step.status.icon()),
            status_style(s, step.status),
        ),
        Span::styled(format!("{number} "), s.dim),
        Span::styled(
            step.title.clone(),
            if step.status == StepStatus::Rejected {
                s.dim.add_modifier(Modifier::CROSSED_OUT)
            } else {
                s.text
            },
        ),
    ]);
    if step.independent {
        // May run at the same time as its independent neighbours.
        line.push_span(Span::styled("  ∥", s.dim));
    }
    if !step.comments.is_empty() {
        line.push_span(Span::styled(format!("  ┆{}", step.comments.len()), s.dim));
    }
    line
}

fn status_style(s: &Styles, status: StepStatus) -> Style {
    match status {
        StepStatus::Proposed => s.dim,
        StepStatus::Approved | StepStatus::Done => s.diff_added,
        StepStatus::Rejected | StepStatus::Skipped => s.dim.add_modifier(Modifier::CROSSED_OUT),
        StepStatus::Running
        | StepStatus::AwaitingReview
        | StepStatus::Working
        | StepStatus::Worked => s.key,
        StepStatus::Incomplete => s.error,
        StepStatus::Failed => s.error,
    }
}

/// The selected step in full, wrapped to the `(width, height)` of its area; what does not fit
/// is counted on the last row.
fn preview(step: &Step, s: &Styles, area: (usize, usize), zoom: &str) -> Vec<Line<'static>> {
    let (width, height) = area;
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("{} ", step.status.label()),
            status_style(s, step.status),
        ),
        Span::styled(step.title.clone(), s.text.add_modifier(Modifier::BOLD)),
    ])];
    if let Some(note) = &step.note {
        out.push(Line::styled(format!("model: {note}"), s.key));
    }
    // The human's own comments come first: a short pane still shows them.
    out.extend(
        step.comments
            .iter()
            .map(|c| Line::styled(format!("┆ {c}"), s.text.add_modifier(Modifier::ITALIC))),
    );
    out.extend(
        step.detail
            .lines()
            .map(|l| Line::styled(l.to_string(), s.text)),
    );
    if !step.files.is_empty() {
        out.push(Line::styled(
            format!("files: {}", step.files.join(", ")),
            s.dim,
        ));
    }
    if let Some(a) = &step.acceptance {
        out.push(Line::styled(format!("done when: {a}"), s.dim));
    }
    let mut out: Vec<Line<'static>> = out
        .into_iter()
        .flat_map(|l| {
            let fragments: Vec<(String, Style)> = l
                .spans
                .into_iter()
                .map(|sp| (sp.content.into_owned(), sp.style))
                .collect();
            crate::markdown::wrap(&fragments, width.max(8), Vec::new(), &[])
        })
        .collect();
    if out.len() > height && height > 0 {
        let hidden = out.len() - (height - 1);
        out.truncate(height - 1);
        out.push(Line::styled(
            format!("… {hidden} more lines ({zoom} zooms the pane)"),
            s.dim,
        ));
    }
    out
}
