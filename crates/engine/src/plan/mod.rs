//! The plan tree and its operations, as pure functions over data the session's events carry.
//!
//! A plan is proposed by the model (`propose_plan`) as a tree of steps at most
//! [`MAX_DEPTH`] deep. The human reshapes it by keyboard; every change is a [`PlanEdit`]
//! recorded as an event and applied here, so the plan's history is a fold like the rest of the
//! session. Steps have ids that never change (`s1`, `s2`, … in proposal order, new ones
//! numbered on), and numbers (`1`, `1.2`) that follow their position.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::protocol::Event;

/// Folds a plan event (a proposal, an edit, a step's status) into the plan it concerns, as the
/// core, the plan pane, the exports and headless runs all do. Returns whether it was one.
pub fn fold(plan: &mut Option<Plan>, event: &Event) -> bool {
    match event {
        Event::PlanProposed { version, steps } => {
            // The core records only valid proposals; an invalid one would keep the plan.
            if let Ok(p) = Plan::propose(*version, steps) {
                *plan = Some(p);
            }
        }
        Event::PlanEdited { edit } => {
            if let Some(p) = plan {
                let _ = p.apply(edit);
            }
        }
        Event::StepStatusChanged { step, status, note } => {
            if let Some(p) = plan {
                p.set_status(step, *status, note.clone());
            }
        }
        // A pipeline run plans its own tasks: an earlier plan is not its plan.
        Event::PipelineStarted { .. } => *plan = None,
        _ => return false,
    }
    true
}

pub use crate::protocol::plan::{PlanEdit, StepSpec, StepStatus};
pub use memory::{MEMORY_STEP, memory_step, wants_memory_step};

/// Steps nest at most this deep.
pub const MAX_DEPTH: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub detail: String,
    pub files: Vec<String>,
    pub acceptance: Option<String>,
    pub status: StepStatus,
    pub comments: Vec<String>,
    /// What the model said when it completed or failed the step.
    pub note: Option<String>,
    pub children: Vec<Step>,
    /// May run at the same time as its independent neighbours (see [`parallel::next`]).
    #[serde(default)]
    pub independent: bool,
}

/// How the note of a step whose every change was rejected begins: its gate holds, even when
/// every step runs by itself.
pub const NOTHING_WRITTEN: &str = "nothing was written: every change of this step was rejected";

/// A plan version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub steps: Vec<Step>,
    /// The next id number for a new step.
    pub next_id: u32,
}

/// Why a plan edit or proposal was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no step `{0}`")]
    NoStep(String),
    #[error("steps nest at most {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("a plan needs at least one step, each with a title")]
    Empty,
    #[error("step {0} has already run; it cannot be changed")]
    Started(String),
    #[error("step {0} is already the {1} among its siblings")]
    AtEdge(String, &'static str),
}

fn from_spec(spec: &StepSpec, depth: usize, next: &mut u32) -> Result<Step, PlanError> {
    if depth > MAX_DEPTH {
        return Err(PlanError::TooDeep);
    }
    if spec.title.trim().is_empty() {
        return Err(PlanError::Empty);
    }
    *next += 1;
    let id = format!("s{next}");
    let children = spec
        .children
        .iter()
        .map(|c| from_spec(c, depth + 1, next))
        .collect::<Result<_, _>>()?;
    Ok(Step {
        id,
        title: spec.title.trim().to_string(),
        detail: spec.detail.trim().to_string(),
        files: spec.files.clone(),
        acceptance: spec.acceptance.clone().filter(|a| !a.trim().is_empty()),
        status: StepStatus::Proposed,
        comments: Vec::new(),
        note: None,
        children,
        independent: spec.independent,
    })
}

/// Ids, titles and statuses walked in order, with each step's number and depth.
pub struct Walk<'a> {
    stack: Vec<(&'a [Step], usize, String)>,
}

impl<'a> Iterator for Walk<'a> {
    /// (number, depth from 0, step)
    type Item = (String, usize, &'a Step);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (steps, i, prefix) = self.stack.last_mut()?;
            if *i >= steps.len() {
                self.stack.pop();
                continue;
            }
            let step = &steps[*i];
            *i += 1;
            let number = if prefix.is_empty() {
                format!("{i}")
            } else {
                format!("{prefix}.{i}")
            };
            let depth = self.stack.len() - 1;
            if !step.children.is_empty() {
                self.stack.push((&step.children, 0, number.clone()));
            }
            return Some((number, depth, step));
        }
    }
}

fn find_mut<'a>(steps: &'a mut [Step], id: &str) -> Option<&'a mut Step> {
    for s in steps {
        if s.id == id {
            return Some(s);
        }
        if let Some(found) = find_mut(&mut s.children, id) {
            return Some(found);
        }
    }
    None
}

/// The sibling list holding `id`, and its index there.
fn siblings_mut<'a>(steps: &'a mut Vec<Step>, id: &str) -> Option<(&'a mut Vec<Step>, usize)> {
    if let Some(i) = steps.iter().position(|s| s.id == id) {
        return Some((steps, i));
    }
    for s in steps.iter_mut() {
        if let Some(found) = siblings_mut(&mut s.children, id) {
            return Some(found);
        }
    }
    None
}

fn set_all(step: &mut Step, status: StepStatus) {
    if matches!(
        step.status,
        StepStatus::Proposed | StepStatus::Approved | StepStatus::Rejected
    ) {
        step.status = status;
    }
    for c in &mut step.children {
        set_all(c, status);
    }
}

/// A parent's status follows its children once they have run: done when all are done (or
/// rejected or skipped), failed when one failed.
fn settle(step: &mut Step) {
    if step.children.is_empty() {
        return;
    }
    for c in &mut step.children {
        settle(c);
    }
    let children = &step.children;
    if children.iter().any(|c| c.status == StepStatus::Failed) {
        step.status = StepStatus::Failed;
    } else if children.iter().any(|c| c.status == StepStatus::Done)
        && children.iter().all(|c| {
            matches!(
                c.status,
                StepStatus::Done | StepStatus::Rejected | StepStatus::Skipped
            )
        })
    {
        step.status = StepStatus::Done;
    }
}

fn mark_independent(step: &mut Step, independent: bool) {
    step.independent = independent;
    for c in &mut step.children {
        mark_independent(c, independent);
    }
}

fn started(step: &Step) -> bool {
    !matches!(
        step.status,
        StepStatus::Proposed | StepStatus::Approved | StepStatus::Rejected
    )
}

impl Plan {
    /// A new plan from the model's proposal.
    pub fn propose(version: u32, specs: &[StepSpec]) -> Result<Plan, PlanError> {
        if specs.is_empty() {
            return Err(PlanError::Empty);
        }
        let mut next = 0;
        let steps = specs
            .iter()
            .map(|s| from_spec(s, 1, &mut next))
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            version,
            steps,
            next_id: next + 1,
        })
    }

    /// Every step in order: (number, depth, step).
    #[must_use]
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![(&self.steps, 0, String::new())],
        }
    }

    #[must_use]
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.walk().find(|(_, _, s)| s.id == id).map(|(_, _, s)| s)
    }

    #[must_use]
    pub fn number(&self, id: &str) -> Option<String> {
        self.walk().find(|(_, _, s)| s.id == id).map(|(n, _, _)| n)
    }

    /// The id a new step gets.
    #[must_use]
    pub fn new_id(&self) -> String {
        format!("s{}", self.next_id)
    }

    /// Applies a human's edit.
    pub fn apply(&mut self, edit: &PlanEdit) -> Result<(), PlanError> {
        match edit {
            PlanEdit::Approve { step } => {
                let s = find_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                set_all(s, StepStatus::Approved);
            }
            PlanEdit::ApproveAll => {
                // Every proposed step: a step the human rejected stays rejected.
                fn approve(step: &mut Step) {
                    if step.status == StepStatus::Proposed {
                        step.status = StepStatus::Approved;
                    }
                    step.children.iter_mut().for_each(approve);
                }
                self.steps.iter_mut().for_each(approve);
            }
            PlanEdit::Reject { step } => {
                let s = find_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                set_all(s, StepStatus::Rejected);
            }
            PlanEdit::Edit {
                step,
                title,
                detail,
            } => {
                let s = find_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                if started(s) {
                    return Err(PlanError::Started(step.clone()));
                }
                if title.trim().is_empty() {
                    return Err(PlanError::Empty);
                }
                s.title = title.trim().to_string();
                s.detail = detail.trim().to_string();
            }
            PlanEdit::Add {
                after,
                id,
                title,
                detail,
            } => {
                if title.trim().is_empty() {
                    return Err(PlanError::Empty);
                }
                let step = Step {
                    id: id.clone(),
                    title: title.trim().to_string(),
                    detail: detail.trim().to_string(),
                    files: Vec::new(),
                    acceptance: None,
                    status: StepStatus::Proposed,
                    comments: Vec::new(),
                    note: None,
                    children: Vec::new(),
                    independent: false,
                };
                match after {
                    Some(after) => {
                        let (siblings, i) = siblings_mut(&mut self.steps, after)
                            .ok_or_else(|| PlanError::NoStep(after.clone()))?;
                        siblings.insert(i + 1, step);
                    }
                    None => self.steps.push(step),
                }
                let n: u32 = id.trim_start_matches('s').parse().unwrap_or(0);
                self.next_id = self.next_id.max(n + 1);
            }
            PlanEdit::Delete { step } => {
                let (siblings, i) = siblings_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                if started(&siblings[i]) {
                    return Err(PlanError::Started(step.clone()));
                }
                siblings.remove(i);
            }
            PlanEdit::Move { step, up } => {
                let (siblings, i) = siblings_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                // A move that moves nothing is refused, so it is never recorded.
                if *up && i > 0 {
                    siblings.swap(i, i - 1);
                } else if !*up && i + 1 < siblings.len() {
                    siblings.swap(i, i + 1);
                } else {
                    let edge = if *up { "first" } else { "last" };
                    return Err(PlanError::AtEdge(step.clone(), edge));
                }
            }
            PlanEdit::Independent { step, independent } => {
                let s = find_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                if started(s) {
                    return Err(PlanError::Started(step.clone()));
                }
                mark_independent(s, *independent);
            }
            PlanEdit::Comment { step, text } => {
                let s = find_mut(&mut self.steps, step)
                    .ok_or_else(|| PlanError::NoStep(step.clone()))?;
                if !text.trim().is_empty() {
                    s.comments.push(text.trim().to_string());
                }
            }
        }
        Ok(())
    }

    /// Sets a step's status (the core's doing: running, done, failed…).
    pub fn set_status(&mut self, id: &str, status: StepStatus, note: Option<String>) {
        if let Some(s) = find_mut(&mut self.steps, id) {
            s.status = status;
            if note.is_some() {
                s.note = note;
            }
        }
        for s in &mut self.steps {
            settle(s);
        }
    }

    /// The step being run, if any.
    #[must_use]
    pub fn running(&self) -> Option<&Step> {
        self.active().filter(|s| s.status == StepStatus::Running)
    }

    /// The step running or waiting at its gate, if any.
    #[must_use]
    pub fn active(&self) -> Option<&Step> {
        self.walk().map(|(_, _, s)| s).find(|s| {
            matches!(
                s.status,
                StepStatus::Running | StepStatus::AwaitingReview | StepStatus::Incomplete
            )
        })
    }

    /// (approved or further along, done, total) over leaf steps.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        let leaves: Vec<&Step> = self
            .walk()
            .map(|(_, _, s)| s)
            .filter(|s| s.children.is_empty())
            .collect();
        let approved = leaves
            .iter()
            .filter(|s| !matches!(s.status, StepStatus::Proposed | StepStatus::Rejected))
            .count();
        let done = leaves
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count();
        (approved, done, leaves.len())
    }

    /// The plan as the model reads it: numbers, statuses, titles, details and comments.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (number, depth, s) in self.walk() {
            let indent = "  ".repeat(depth);
            let _ = writeln!(out, "{indent}{number}. [{}] {}", s.status.label(), s.title);
            if !s.detail.is_empty() {
                for line in s.detail.lines() {
                    let _ = writeln!(out, "{indent}   {line}");
                }
            }
            if !s.files.is_empty() {
                let _ = writeln!(out, "{indent}   files: {}", s.files.join(", "));
            }
            if let Some(a) = &s.acceptance {
                let _ = writeln!(out, "{indent}   acceptance: {a}");
            }
            for c in &s.comments {
                let _ = writeln!(out, "{indent}   user's comment: {c}");
            }
        }
        out
    }
}

mod memory;
pub mod parallel;

#[cfg(test)]
mod tests;
