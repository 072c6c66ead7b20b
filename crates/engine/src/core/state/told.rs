//! What the model is told after an event, worked out on the state with the event applied:
//! a plan step's or a pipeline stage's instructions, a stage sent back, the tests that failed.
//! The actor records these as `Instructed` events; an older log that did not is given them
//! as it is folded.

use std::fmt::Write as _;

use super::SessionState;
use crate::context::Category;
use crate::core::prompts::step;
use crate::pipeline::{StageEvent, StageKind};
use crate::plan::StepStatus;
use crate::protocol::Event;

/// Whether recording `event` tells the model something (a step or stage starts, a stage comes
/// back, the tests failed).
#[must_use]
pub fn instructs(event: &Event) -> bool {
    match event {
        Event::StepStatusChanged { status, .. } => *status == StepStatus::Running,
        Event::Stage { event } => matches!(
            event,
            StageEvent::Started { .. }
                | StageEvent::SentBack { .. }
                | StageEvent::Answered { .. }
                | StageEvent::VerifyFailed { .. }
        ),
        _ => false,
    }
}

/// What the model is told after `event`, given the state with it applied: each text with
/// what the context accounting counts it as. The actor records these as `Instructed` events.
#[must_use]
pub fn instructions(state: &SessionState, event: &Event) -> Vec<(String, Option<Category>)> {
    match event {
        Event::StepStatusChanged {
            step: id,
            status: StepStatus::Running,
            ..
        } => state
            .plan
            .as_ref()
            .map(|plan| vec![(step(plan, id), None)])
            .unwrap_or_default(),
        Event::Stage { event } => stage(state, event),
        _ => Vec::new(),
    }
}

/// A pipeline stage that starts (or comes back, or failed its tests) is the model's next
/// instruction.
fn stage(state: &SessionState, event: &StageEvent) -> Vec<(String, Option<Category>)> {
    let Some(p) = &state.pipeline else {
        return Vec::new();
    };
    let stages = &p.run.pipeline.stages;
    match event {
        StageEvent::Started { stage } => {
            let Some(i) = stages.iter().position(|s| &s.name == stage) else {
                return Vec::new();
            };
            let def = &stages[i];
            let body = p.skills.get(&def.skill).cloned().unwrap_or_default();
            match def.kind {
                // The test command runs first; its skill comes with its first failure.
                StageKind::Verify => return Vec::new(),
                // The approved tasks run as steps: the skill is said once, before the first,
                // and stays in the conversation for every one of them.
                StageKind::RunPlan => {
                    return vec![(
                        format!(
                            "Pipeline stage {} of {}: {}. The approved tasks now run one at a \
                             time, each as a plan step; for every one of them, follow this \
                             skill:\n\n{body}",
                            i + 1,
                            stages.len(),
                            def.name
                        ),
                        Some(Category::Skills),
                    )];
                }
                _ => {}
            }
            let mut text = format!(
                "Pipeline stage {} of {}: {}.\n\nThe request: {}\n\n{body}",
                i + 1,
                stages.len(),
                def.name,
                p.request
            );
            if let Some(path) = &def.artifact {
                let _ = write!(
                    text,
                    "\n\nWrite the artifact to `{path}` with write_file (it is reviewed before it \
                     is written). Then reply in a line; the user passes the stage's gate or sends \
                     it back with comments."
                );
            }
            let mut out = vec![(text, Some(Category::Skills))];
            let earlier: Vec<String> = stages[..i]
                .iter()
                .filter_map(|s| s.artifact.as_deref())
                .filter_map(|a| state.written(a).map(|t| format!("### {a}\n\n{t}")))
                .collect();
            if !earlier.is_empty() {
                out.push((
                    format!(
                        "Artifacts of the earlier stages:\n\n{}",
                        earlier.join("\n\n")
                    ),
                    Some(Category::Artifacts),
                ));
            }
            out
        }
        StageEvent::SentBack { stage, comments } => vec![(
            format!(
                "The user sent stage `{stage}` back with these comments: {comments}\n\
                 Revise your work accordingly."
            ),
            Some(Category::User),
        )],
        StageEvent::Answered { stage } => {
            let artifact = stages
                .iter()
                .find(|s| &s.name == stage)
                .and_then(|s| s.artifact.as_deref())
                .map(|a| format!(" If it changes the work, update `{a}` with write_file."))
                .unwrap_or_default();
            vec![(
                format!(
                    "The user replied at the gate of stage `{stage}` (above). Continue the stage \
                     with its tools.{artifact} Then reply in a line; the gate waits again."
                ),
                None,
            )]
        }
        StageEvent::VerifyFailed { round, output } => {
            // The skill comes with the first failure; later rounds find it in the conversation.
            let skill = stages
                .iter()
                .find(|s| s.kind == StageKind::Verify)
                .and_then(|s| p.skills.get(&s.skill))
                .filter(|_| *round <= 1)
                .map(|s| format!("{s}\n\n"))
                .unwrap_or_default();
            vec![(
                format!("{skill}The test command failed (round {round}):\n\n```\n{output}\n```"),
                Some(if skill.is_empty() {
                    Category::ToolResults
                } else {
                    Category::Skills
                }),
            )]
        }
        _ => Vec::new(),
    }
}
