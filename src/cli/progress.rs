//! What a headless run says on stderr as it goes: the plan when it is proposed, each step and
//! stage, each command refused and each file written or rejected — one readable line each
//! (the reply itself goes to stdout). Pure: it folds the events it needs to name things.

use std::collections::HashMap;

use crate::pipeline::{Run, StageEvent};
use crate::plan::Plan;
use crate::protocol::{CommandDecision, Event, StepStatus};

/// Folds the run's events and describes the ones worth a line.
#[derive(Debug, Default)]
pub struct Progress {
    pub plan: Option<Plan>,
    pub run: Option<Run>,
    /// Proposed or written changes by their call ID: the path, to name it when decided.
    paths: HashMap<String, String>,
}

impl Progress {
    /// The line (or lines) for `event`, if it is one a reader of the run wants to see.
    pub fn line(&mut self, event: &Event) -> Option<String> {
        match event {
            Event::ModelFellBack { from, to, reason } => Some(format!(
                "⚠ {from} is down ({reason}); the request went to {to}"
            )),
            Event::PlanProposed { version, .. } => {
                crate::plan::fold(&mut self.plan, event);
                let plan = self.plan.as_ref()?;
                Some(format!(
                    "plan (version {version}):\n{}",
                    plan.render().trim_end()
                ))
            }
            Event::PlanEdited { .. } => {
                crate::plan::fold(&mut self.plan, event);
                None
            }
            Event::StepStatusChanged { step, status, note } => {
                crate::plan::fold(&mut self.plan, event);
                let plan = self.plan.as_ref()?;
                let number = plan.number(step).unwrap_or_default();
                let title = plan.step(step).map(|s| s.title.clone()).unwrap_or_default();
                let note = note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                Some(match status {
                    StepStatus::Running => format!("▶ step {number}: {title}"),
                    StepStatus::Working => {
                        format!("⇉ step {number}: {title} — in its worktree{note}")
                    }
                    StepStatus::Worked => format!("⇥ step {number} worked{note}"),
                    StepStatus::AwaitingReview => format!("⏸ step {number} finished{note}"),
                    StepStatus::Done => format!("● step {number} done"),
                    StepStatus::Incomplete => format!("◐ step {number} left incomplete{note}"),
                    StepStatus::Failed => format!("! step {number} failed{note}"),
                    _ => return None,
                })
            }
            Event::PipelineStarted { .. } => {
                crate::pipeline::fold(&mut self.run, event);
                None
            }
            Event::Stage { event: stage } => {
                crate::pipeline::fold(&mut self.run, event);
                Some(match stage {
                    StageEvent::Started { stage } => format!("▶ stage {stage}"),
                    StageEvent::AtGate { stage } => format!("⏸ stage {stage} at its gate"),
                    StageEvent::GatePassed { stage } => format!("● stage {stage} passed"),
                    StageEvent::Skipped { stage } => format!("– stage {stage} skipped"),
                    StageEvent::Answered { stage } => format!("▶ stage {stage} continues"),
                    StageEvent::SentBack { stage, .. } => format!("↺ stage {stage} sent back"),
                    StageEvent::VerifyFailed { round, .. } => {
                        format!("! the test command failed (round {round}); back to the model")
                    }
                })
            }
            Event::FileChanged { id, change } => {
                self.paths.insert(id.clone(), change.path.clone());
                let (added, removed) = change.line_counts();
                Some(match (&change.renamed_from, &change.after) {
                    (Some(from), _) => format!("moved {from} → {}", change.path),
                    (None, None) => format!("deleted {}", change.path),
                    (None, Some(_)) => format!("wrote {} (+{added} −{removed})", change.path),
                })
            }
            Event::ChangeProposed { id, change, .. } => {
                self.paths.insert(id.clone(), change.path.clone());
                None
            }
            Event::ChangeApplied {
                id,
                written,
                rejected,
                ..
            } => {
                let path = self.paths.get(id).cloned().unwrap_or_default();
                Some(match written {
                    Some(w) => {
                        let (added, removed) = w.line_counts();
                        let rejected = if rejected.is_empty() {
                            String::new()
                        } else {
                            format!(", {} hunks rejected", rejected.len())
                        };
                        format!("wrote {path} (+{added} −{removed}{rejected})")
                    }
                    None => format!("rejected the change to {path}: nothing written"),
                })
            }
            Event::ChangeConflicted { id, .. } => Some(format!(
                "not written: {} changed on disk since the proposal",
                self.paths.get(id).cloned().unwrap_or_default()
            )),
            Event::CommandDecided {
                command,
                decision: CommandDecision::Denied { reason },
                ..
            } => Some(format!(
                "refused: `{}`{}",
                crate::safe_text::command(command).0,
                reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )),
            Event::HookRan { run } => Some(run.line()),
            Event::Shipped { commit, message } => Some(format!(
                "committed {}: {}",
                &commit[..commit.len().min(10)],
                message.lines().next().unwrap_or_default()
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::FileChange;
    use crate::plan::StepSpec;

    #[test]
    fn a_plan_its_steps_files_and_refusals_each_get_a_line() {
        let mut p = Progress::default();
        let spec = |t: &str| StepSpec {
            title: t.into(),
            detail: String::new(),
            files: vec![],
            acceptance: None,
            children: vec![],
            independent: false,
        };
        let plan = p
            .line(&Event::PlanProposed {
                version: 1,
                steps: vec![spec("parse the flag"), spec("print json")],
            })
            .unwrap();
        assert!(plan.contains("1. [proposed] parse the flag"), "{plan}");
        let id = p.plan.as_ref().unwrap().walk().next().unwrap().2.id.clone();
        assert_eq!(
            p.line(&Event::StepStatusChanged {
                step: id.clone(),
                status: StepStatus::Running,
                note: None,
            })
            .as_deref(),
            Some("▶ step 1: parse the flag")
        );
        assert_eq!(
            p.line(&Event::FileChanged {
                id: "c1".into(),
                change: FileChange::new(
                    "src/a.rs".into(),
                    Some("a\n".into()),
                    Some("b\nc\n".into())
                ),
            })
            .as_deref(),
            Some("wrote src/a.rs (+2 −1)")
        );
        assert_eq!(
            p.line(&Event::CommandDecided {
                id: "c2".into(),
                command: "rm -rf build".into(),
                decision: CommandDecision::Denied {
                    reason: Some("no human to approve it".into()),
                },
            })
            .as_deref(),
            Some("refused: `rm -rf build` (no human to approve it)")
        );
        assert_eq!(
            p.line(&Event::StepStatusChanged {
                step: id,
                status: StepStatus::Done,
                note: None,
            })
            .as_deref(),
            Some("● step 1 done")
        );
        assert_eq!(p.line(&Event::TurnStarted { turn: 1 }), None);
    }
}
