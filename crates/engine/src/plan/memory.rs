//! The memory upkeep step a plan in the plan gear ends with (`[review] memory_step`).

use super::{Plan, StepSpec, StepStatus};

/// The title of the step a plan in the plan gear ends with (`[review] memory_step`).
pub const MEMORY_STEP: &str = "Update AGENTS.md";

/// The memory upkeep step: after the plan's changes are accepted, the model proposes AGENTS.md
/// updates for what they introduced — a reviewed diff like every other step's.
#[must_use]
pub fn memory_step() -> StepSpec {
    StepSpec {
        title: MEMORY_STEP.into(),
        detail: "Follow the `memory` skill: propose updates to AGENTS.md for the commands, \
                 conventions and decisions this plan introduced. If nothing is worth adding, \
                 leave the file alone and complete the step saying so."
            .into(),
        files: vec!["AGENTS.md".into()],
        acceptance: Some(
            "AGENTS.md tells a later session what it must know of this change, and nothing \
             else"
                .into(),
        ),
        children: Vec::new(),
        independent: false,
    }
}

/// Whether a new plan version should end with the memory step: a first plan does, and a
/// revision does unless the human rejected the step (or removed it) in the version before.
#[must_use]
pub fn wants_memory_step(previous: Option<&Plan>, proposed: &[StepSpec]) -> bool {
    if proposed.iter().any(|s| s.title == MEMORY_STEP) {
        return false;
    }
    previous.is_none_or(|p| {
        p.walk()
            .any(|(_, _, s)| s.title == MEMORY_STEP && s.status != StepStatus::Rejected)
    })
}
