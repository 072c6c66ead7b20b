//! Every text gearshift writes for the model, in one place: the gears' system prompts
//! (`assets/prompts/`), the instructions that start a plan step or a pipeline stage, and the
//! tool results the session writes itself. What a stored session says was recorded when it
//! ran; changing a wording here changes only what new sessions are told.

use crate::protocol::Gear;

/// The system prompt of each gear (`assets/prompts/`).
#[must_use]
pub fn gear_prompt(gear: Gear) -> &'static str {
    match gear {
        Gear::Vibe => include_str!("../../assets/prompts/vibe.md"),
        Gear::Plan => include_str!("../../assets/prompts/plan.md"),
        Gear::Pipeline => include_str!("../../assets/prompts/pipeline.md"),
    }
}

/// The result of `propose_plan`.
#[must_use]
pub fn plan_proposed(version: u32, steps: usize) -> String {
    format!(
        "Plan version {version} with {steps} steps is now with the user, who edits and approves \
         it. Stop here; approved steps will be given to you one at a time."
    )
}

/// The result of `complete_step` or `fail_step`.
#[must_use]
pub fn step_ended(number: &str, failed: bool) -> String {
    if failed {
        format!("Step {number} is marked failed; execution stops for the user.")
    } else {
        format!("Step {number} is complete; the user reviews it before the next step. Stop here.")
    }
}

/// A write to a protected path in a run without a human.
#[must_use]
pub fn protected_headless(path: &str, why: &str) -> String {
    format!(
        "not written: {path} is protected — {why}. A run without a human never writes it; tell \
         the user what it should contain."
    )
}

/// The user denied a command, with their reason if they gave one.
#[must_use]
pub fn command_denied(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("The user denied running this command: {r}"),
        None => "The user denied running this command.".to_string(),
    }
}

/// The prompt `r` (revise) sends with the plan as the human left it.
#[must_use]
pub fn revise_plan(rendered: &str) -> String {
    format!(
        "Please revise the plan with my edits and comments, and propose it again with \
         propose_plan.\n\nThe plan as I left it:\n\n{rendered}"
    )
}

/// The result of a change sent back unapplied, with the human's hunk comments.
#[must_use]
pub fn sent_back(path: &str, conflicted: bool, comments: &[(usize, String, String)]) -> String {
    let mut text = format!("The user sent your change to {path} back without applying any of it");
    if conflicted {
        text.push_str(": the file changed on disk after you read it");
    }
    text.push_str(". Read the file again and propose the change afresh.");
    for (n, header, comment) in comments {
        text.push_str(&format!("\n- on hunk {n} {header}: {comment}"));
    }
    text
}
