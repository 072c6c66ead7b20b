//! The plan pane's state: the plan folded from the core's events (through the same
//! [`Plan`] the core runs), the selected step, collapsed branches, the text being typed for an
//! edit, a new step or a comment, and the lines to draw, laid out in `prepare`.

use std::collections::HashSet;

use ratatui::text::Line;

use super::field::{Edited, TextField};
use crate::plan::{Plan, PlanEdit, Step, StepStatus};
use crate::protocol::{Event, Op};

/// What is being typed in the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanInput {
    /// `e`: the title first, then (Enter) the detail.
    Edit {
        step: String,
        title: TextField,
        detail: TextField,
        on_detail: bool,
    },
    /// `o`: a new step, asked as `e` asks: its title, then (Enter) its detail.
    Add {
        after: Option<String>,
        title: TextField,
        detail: TextField,
        on_detail: bool,
    },
    /// `c`: a comment on the step.
    Comment { step: String, text: TextField },
    /// `b`: comments sending the pipeline stage back.
    SendBack { text: TextField },
}

impl PlanInput {
    /// The field being typed into.
    fn field(&mut self) -> &mut TextField {
        match self {
            PlanInput::Edit {
                title,
                detail,
                on_detail,
                ..
            }
            | PlanInput::Add {
                title,
                detail,
                on_detail,
                ..
            } => {
                if *on_detail {
                    detail
                } else {
                    title
                }
            }
            PlanInput::Comment { text, .. } | PlanInput::SendBack { text } => text,
        }
    }
}

/// What a plan key asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanRequest {
    Send(Op),
    Note(String),
    None,
}

/// The pane's inner areas: header, tree, preview, footer.
#[must_use]
pub fn areas(inner: ratatui::layout::Rect) -> [ratatui::layout::Rect; 4] {
    use ratatui::layout::{Constraint, Layout};
    let preview = (inner.height / 3).clamp(1, 8);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(preview),
        Constraint::Length(1),
    ])
    .areas(inner)
}

#[derive(Debug, Default)]
pub struct PlanView {
    pub plan: Option<Plan>,
    /// The selected step's id.
    pub selected: Option<String>,
    collapsed: HashSet<String>,
    pub input: Option<PlanInput>,
    top: usize,
    /// Built by `prepare` for the draw.
    pub header: Line<'static>,
    /// The pipeline's stages and their states, in the pipeline gear, one or more rows.
    pub stages: Option<Vec<Line<'static>>>,
    /// A pipeline stage waits at its gate: the footer leads with the gate's keys.
    pub at_gate: bool,
    /// The session's gear (set before each prepare).
    pub gear: crate::protocol::Gear,
    /// The pipeline a prompt would start, shown in the pipeline gear before a run.
    pub preview_pipeline: Option<crate::pipeline::Pipeline>,
    pub tree: Vec<Line<'static>>,
    pub preview: Vec<Line<'static>>,
    pub footer: Line<'static>,
}

impl PlanView {
    /// Folds a plan event.
    pub fn on_event(&mut self, event: &Event) {
        let before = self.position();
        if !crate::plan::fold(&mut self.plan, event) {
            return;
        }
        // The selection follows what happened: a new plan's first step, an added step, the
        // step that starts.
        match event {
            Event::PlanProposed { .. } => {
                self.selected = None;
                self.collapsed.clear();
                self.top = 0;
            }
            Event::PlanEdited {
                edit: PlanEdit::Add { id, .. },
            } => self.selected = Some(id.clone()),
            Event::StepStatusChanged {
                step,
                status: StepStatus::Running,
                ..
            } => self.selected = Some(step.clone()),
            _ => {}
        }
        // A deleted step's selection stays where it was: on the step that took its row, or
        // on the new last row.
        if let Some(plan) = &self.plan
            && self
                .selected
                .as_ref()
                .is_none_or(|id| plan.step(id).is_none())
        {
            let rows = self.rows();
            let at = before.unwrap_or(0).min(rows.len().saturating_sub(1));
            self.selected = rows.get(at).map(|(_, _, s)| s.id.clone());
        }
    }

    /// The rows on show: (number, depth, step), collapsed branches hidden.
    fn rows(&self) -> Vec<(String, usize, &Step)> {
        let Some(plan) = self.plan.as_ref() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut hidden_below: Option<usize> = None;
        for (number, depth, step) in plan.walk() {
            if let Some(d) = hidden_below {
                if depth > d {
                    continue;
                }
                hidden_below = None;
            }
            if self.collapsed.contains(&step.id) {
                hidden_below = Some(depth);
            }
            out.push((number, depth, step));
        }
        out
    }

    fn position(&self) -> Option<usize> {
        let id = self.selected.as_ref()?;
        self.rows().iter().position(|(_, _, s)| &s.id == id)
    }

    #[must_use]
    pub fn selected_step(&self) -> Option<&Step> {
        self.plan.as_ref()?.step(self.selected.as_ref()?)
    }

    pub fn step(&mut self, delta: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let at = self.position().unwrap_or(0);
        let next = at.saturating_add_signed(delta).min(rows.len() - 1);
        self.selected = Some(rows[next].2.id.clone());
    }

    /// `h` / `l`: collapse or expand the selected step (`h` on a child goes to its parent).
    pub fn fold(&mut self, collapse: bool) {
        let Some(id) = self.selected.clone() else {
            return;
        };
        let has_children = self.selected_step().is_some_and(|s| !s.children.is_empty());
        if collapse {
            if has_children && !self.collapsed.contains(&id) {
                self.collapsed.insert(id);
            } else if let Some(at) = self.position() {
                // To the parent: the nearest row above with less depth.
                let rows = self.rows();
                let depth = rows[at].1;
                if let Some((_, _, parent)) = rows[..at].iter().rev().find(|(_, d, _)| *d < depth) {
                    self.selected = Some(parent.id.clone());
                }
            }
        } else {
            self.collapsed.remove(&id);
        }
    }

    fn selected_id(&self) -> Result<String, String> {
        self.selected
            .clone()
            .filter(|_| self.plan.is_some())
            .ok_or_else(|| "no plan yet: in the plan gear, ask the model for one".into())
    }

    fn edit(&self, make: impl FnOnce(String) -> PlanEdit) -> PlanRequest {
        match self.selected_id() {
            Ok(id) => PlanRequest::Send(Op::EditPlan { edit: make(id) }),
            Err(why) => PlanRequest::Note(why),
        }
    }

    #[must_use]
    pub fn approve(&self) -> PlanRequest {
        self.edit(|step| PlanEdit::Approve { step })
    }

    #[must_use]
    pub fn approve_all(&self) -> PlanRequest {
        match self.plan {
            Some(_) => PlanRequest::Send(Op::EditPlan {
                edit: PlanEdit::ApproveAll,
            }),
            None => PlanRequest::Note("no plan yet".into()),
        }
    }

    #[must_use]
    pub fn reject(&self) -> PlanRequest {
        self.edit(|step| PlanEdit::Reject { step })
    }

    /// `p`: the step runs at the same time as its independent neighbours (∥), or alone.
    #[must_use]
    pub fn toggle_independent(&self) -> PlanRequest {
        if let Some(refused) = self.unchanged() {
            return refused;
        }
        let independent = self.selected_step().is_some_and(|s| !s.independent);
        self.edit(|step| PlanEdit::Independent { step, independent })
    }

    /// A step that has started running cannot be edited or deleted.
    fn unchanged(&self) -> Option<PlanRequest> {
        let step = self.selected_step()?;
        (!matches!(
            step.status,
            StepStatus::Proposed | StepStatus::Approved | StepStatus::Rejected
        ))
        .then(|| {
            PlanRequest::Note(format!(
                "this step is {}: a step that has run cannot be changed",
                step.status.label()
            ))
        })
    }

    #[must_use]
    pub fn delete(&self) -> PlanRequest {
        if let Some(refused) = self.unchanged() {
            return refused;
        }
        self.edit(|step| PlanEdit::Delete { step })
    }

    #[must_use]
    pub fn move_step(&self, up: bool) -> PlanRequest {
        let request = self.edit(|step| PlanEdit::Move { step, up });
        // At the edge nothing would move: say so rather than send an edit the core refuses.
        if let (PlanRequest::Send(Op::EditPlan { edit }), Some(plan)) = (&request, &self.plan)
            && let Err(crate::plan::PlanError::AtEdge(id, edge)) = plan.clone().apply(edit)
        {
            let number = plan.number(&id).unwrap_or(id);
            return PlanRequest::Note(format!(
                "step {number} is already the {edge} among its siblings"
            ));
        }
        request
    }

    /// Esc while typing: the input is dropped, except that leaving the detail of an edit keeps
    /// the title just typed (the detail stays as it was).
    pub fn escape(&mut self) -> PlanRequest {
        match self.input.take() {
            Some(PlanInput::Edit {
                step,
                title,
                on_detail: true,
                ..
            }) => {
                let Some(original) = self.plan.as_ref().and_then(|p| p.step(&step)) else {
                    return PlanRequest::None;
                };
                if title.text() == original.title {
                    return PlanRequest::None;
                }
                PlanRequest::Send(Op::EditPlan {
                    edit: PlanEdit::Edit {
                        step,
                        title: title.into_text(),
                        detail: original.detail.clone(),
                    },
                })
            }
            // Leaving a new step's detail adds it with its title.
            Some(PlanInput::Add {
                after,
                title,
                on_detail: true,
                ..
            }) => {
                let id = self.plan.as_ref().map(Plan::new_id).unwrap_or_default();
                PlanRequest::Send(Op::EditPlan {
                    edit: PlanEdit::Add {
                        after,
                        id,
                        title: title.into_text(),
                        detail: String::new(),
                    },
                })
            }
            _ => PlanRequest::None,
        }
    }

    /// `e`, `o`, `c`: start typing.
    pub fn start(&mut self, what: char) -> PlanRequest {
        let Some(step) = self.selected_step().cloned() else {
            return PlanRequest::Note(
                "no plan yet: in the plan gear, ask the model for one".into(),
            );
        };
        if what == 'e'
            && let Some(refused) = self.unchanged()
        {
            return refused;
        }
        self.input = Some(match what {
            'e' => PlanInput::Edit {
                step: step.id,
                title: TextField::new(&step.title),
                detail: TextField::new(&step.detail),
                on_detail: false,
            },
            'o' => PlanInput::Add {
                after: Some(step.id),
                title: TextField::default(),
                detail: TextField::default(),
                on_detail: false,
            },
            _ => PlanInput::Comment {
                step: step.id,
                text: TextField::default(),
            },
        });
        PlanRequest::None
    }

    /// A key typed into the input: `None` when it is not the field's (the keymap's keys).
    pub fn type_key(&mut self, key: &crossterm::event::KeyEvent) -> Option<PlanRequest> {
        let input = self.input.as_mut()?;
        Some(match input.field().edit(key)? {
            Edited::Enter => self.enter(),
            Edited::Esc => self.escape(),
            Edited::Changed => PlanRequest::None,
        })
    }

    /// Enter: a title moves on to its detail; otherwise the input is sent.
    pub fn enter(&mut self) -> PlanRequest {
        if let Some(PlanInput::Edit { on_detail, .. } | PlanInput::Add { on_detail, .. }) =
            &mut self.input
            && !*on_detail
        {
            *on_detail = true;
            return PlanRequest::None;
        }
        let edit = match self.input.take() {
            Some(PlanInput::Edit {
                step,
                title,
                detail,
                ..
            }) => PlanEdit::Edit {
                step,
                title: title.into_text(),
                detail: detail.into_text(),
            },
            Some(PlanInput::Add {
                after,
                title,
                detail,
                ..
            }) => {
                let id = self.plan.as_ref().map(Plan::new_id).unwrap_or_default();
                PlanEdit::Add {
                    after,
                    id,
                    title: title.into_text(),
                    detail: detail.into_text(),
                }
            }
            Some(PlanInput::Comment { step, text }) => PlanEdit::Comment {
                step,
                text: text.into_text(),
            },
            Some(PlanInput::SendBack { text }) => {
                return PlanRequest::Send(Op::SendBack {
                    comments: text.into_text(),
                });
            }
            None => return PlanRequest::None,
        };
        PlanRequest::Send(Op::EditPlan { edit })
    }
}

mod layout;
mod stages;
#[cfg(test)]
pub(crate) mod tests;
