//! What events say of a plan: steps as the model proposes them ([`StepSpec`]), a step's
//! status, and the edits a human makes. The plan tree itself, and what the edits do to it, are
//! `crate::plan`'s.

use serde::{Deserialize, Serialize};

/// A step as the model proposes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSpec {
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<StepSpec>,
    /// Touches nothing its neighbours marked so touch: approved together, they may run at
    /// the same time, each in a git worktree of its own (`[agents] parallel_steps`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub independent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Proposed,
    Approved,
    Rejected,
    Running,
    /// Done by the model; waits at its gate for the human.
    AwaitingReview,
    /// The model ended its turn without completing the step: the human runs it again or
    /// marks it done, deliberately.
    Incomplete,
    /// Run at the same time as its independent neighbours, by a worker in a git worktree of
    /// its own.
    Working,
    /// Its worker is done: the change waits to be merged, in plan order, for its review.
    Worked,
    Done,
    Failed,
    Skipped,
}

impl StepStatus {
    #[must_use]
    pub fn icon(self) -> &'static str {
        match self {
            StepStatus::Proposed => "○",
            StepStatus::Approved => "✓",
            StepStatus::Rejected => "✗",
            StepStatus::Running => "▶",
            StepStatus::AwaitingReview => "⏸",
            StepStatus::Incomplete => "◐",
            StepStatus::Working => "⇉",
            StepStatus::Worked => "⇥",
            StepStatus::Done => "●",
            StepStatus::Failed => "!",
            StepStatus::Skipped => "–",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Proposed => "proposed",
            StepStatus::Approved => "approved",
            StepStatus::Rejected => "rejected",
            StepStatus::Running => "running",
            StepStatus::AwaitingReview => "awaiting review",
            StepStatus::Incomplete => "incomplete",
            StepStatus::Working => "working in its worktree",
            StepStatus::Worked => "waits to merge",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// One change a human makes to the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum PlanEdit {
    /// Approves the step and every step under it.
    Approve {
        step: String,
    },
    ApproveAll,
    /// Rejects the step and every step under it.
    Reject {
        step: String,
    },
    Edit {
        step: String,
        title: String,
        detail: String,
    },
    /// A new step after `after` among its siblings (`None`: at the end of the top level).
    Add {
        after: Option<String>,
        id: String,
        title: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        detail: String,
    },
    Delete {
        step: String,
    },
    /// Moves the step up (or down) among its siblings.
    Move {
        step: String,
        up: bool,
    },
    Comment {
        step: String,
        text: String,
    },
    /// Marks the step (and every step under it) independent of its neighbours, or not: only
    /// steps so marked run at the same time.
    Independent {
        step: String,
        independent: bool,
    },
}
