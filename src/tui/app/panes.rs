//! What the side panes' keys do and what their events say in the chat: the diff pane's
//! decisions, the plan pane's edits and runs, a pipeline's gates.

use super::events::plural;
use super::*;
use crate::pipeline::StageKind;
use crate::tui::hints;

impl App {
    /// The editor closed: `saved` is the text to apply, or why there is none.
    pub fn on_edited(
        &mut self,
        change: String,
        hunk: String,
        original: &str,
        saved: Result<String, String>,
    ) -> Vec<Effect> {
        self.dirty = true;
        match saved {
            Ok(text) => {
                let verdict = if text == original {
                    Verdict::Accept
                } else {
                    Verdict::Edit { text }
                };
                vec![Effect::Send(Op::DecideHunk {
                    change,
                    hunk,
                    verdict,
                })]
            }
            Err(why) => {
                self.note = Some(why);
                Vec::new()
            }
        }
    }

    fn stage_kind(&self, stage: &str) -> Option<StageKind> {
        let run = self.pipeline.as_ref()?;
        run.pipeline
            .stages
            .iter()
            .find(|s| s.name == stage)
            .map(|s| s.kind)
    }

    /// A line in the chat for each stage's progress.
    pub(super) fn stage_notice(&mut self, event: &crate::pipeline::StageEvent) {
        use crate::pipeline::StageEvent;
        let keys = self.keymap.keys_label(Action::FocusPlan);
        let text = match event {
            StageEvent::Started { stage } if self.stage_kind(stage) == Some(StageKind::Verify) => {
                format!("▶ Stage {stage}: running the test command")
            }
            StageEvent::Started { stage } => format!("▶ Stage {stage}"),
            StageEvent::AtGate { stage } => format!(
                "⏸ Stage {stage} waits at its gate: {} (plan pane, {keys}).",
                hints::say(
                    &self.keymap,
                    &[
                        (Action::PlanGo, "passes it"),
                        (Action::StageBack, "sends it back with comments"),
                        (Action::StageSkip, "skips it"),
                    ]
                )
            ),
            StageEvent::GatePassed { stage } => format!("● Stage {stage} passed."),
            StageEvent::SentBack { stage, .. } => format!("↺ Stage {stage} sent back."),
            StageEvent::Skipped { stage } => format!("– Stage {stage} skipped."),
            StageEvent::VerifyFailed { round, .. } => format!(
                "! The test command failed (round {round}); the model is on it, and the command \
                 runs again after its fix."
            ),
        };
        self.transcript.push(EntryKind::Notice, text);
    }

    /// The plan pane folds plan events; the chat tells the story of proposals and steps.
    pub(super) fn plan_event(&mut self, event: &Event, replay: bool) {
        if replay {
            return;
        }
        let keys = self.keymap.keys_label(Action::FocusPlan);
        let text = match event {
            Event::PlanProposed { version, .. } => format!(
                "The model proposes a plan (version {version}) — review it in the plan pane \
                 ({keys}): {}.",
                hints::say(
                    &self.keymap,
                    &[
                        (Action::PlanApprove, "approve"),
                        (Action::PlanReject, "reject"),
                        (Action::PlanEdit, "edit"),
                        (Action::PlanComment, "comment"),
                        (Action::PlanGo, "run the next approved step"),
                    ]
                )
            ),
            Event::StepStatusChanged { step, status, note } => {
                let Some(plan) = &self.plan.plan else { return };
                let number = plan.number(step).unwrap_or_default();
                let title = plan.step(step).map(|s| s.title.clone()).unwrap_or_default();
                let note = note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                match status {
                    StepStatus::Running => format!("▶ Step {number} — {title}"),
                    StepStatus::AwaitingReview => format!(
                        "⏸ Step {number} waits at its gate{note}. {} ({keys}).",
                        hints::say(
                            &self.keymap,
                            &[(Action::PlanGo, "passes it and runs the next approved step")]
                        )
                    ),
                    StepStatus::Incomplete => format!(
                        "◐ Step {number} was left incomplete{note}. {} ({keys}).",
                        hints::say(
                            &self.keymap,
                            &[
                                (Action::PlanGo, "runs it again"),
                                (Action::PlanMarkDone, "marks it done"),
                            ]
                        )
                    ),
                    StepStatus::Done => format!("● Step {number} done."),
                    StepStatus::Failed => format!("! Step {number} failed{note}"),
                    _ => return,
                }
            }
            _ => return,
        };
        self.transcript.push(EntryKind::Notice, text);
    }

    /// A line in the chat for what happened to a change, so the story reads in one place.
    pub(super) fn change_notice(&mut self, event: &Event) {
        let path = |id: &str| {
            self.diff
                .log
                .get(id)
                .map(|e| e.change.path.clone())
                .unwrap_or_default()
        };
        let keys = self.keymap.keys_label(Action::FocusDiff);
        let (kind, text) = match event {
            Event::ChangeProposed { id, .. } => (
                EntryKind::Notice,
                format!(
                    "The model proposes a change to {} — review it in the diff pane ({keys}): {}.",
                    path(id),
                    hints::say(
                        &self.keymap,
                        &[
                            (Action::DiffAccept, "accept"),
                            (Action::DiffReject, "reject"),
                            (Action::DiffComment, "comment"),
                            (Action::DiffEdit, "edit"),
                            (Action::DiffSubmit, "submit"),
                        ]
                    )
                ),
            ),
            Event::ChangeApplied {
                id,
                accepted,
                rejected,
                written,
            } => (
                EntryKind::Notice,
                match written {
                    Some(_) => format!(
                        "Wrote {} to {}; {} rejected.",
                        plural(accepted.len(), "hunk"),
                        path(id),
                        rejected.len()
                    ),
                    None => format!("Nothing written to {}: every hunk rejected.", path(id)),
                },
            ),
            Event::ChangeConflicted { id, .. } => (
                EntryKind::Error,
                format!(
                    "{} changed on disk since the proposal; nothing was written. R in the diff pane asks the model for a fresh proposal.",
                    path(id)
                ),
            ),
            Event::ChangeUndone { id } => (
                EntryKind::Notice,
                format!("Undid the change to {}.", path(id)),
            ),
            Event::ChangeWithdrawn { id, reason } => (
                EntryKind::Notice,
                format!("The change to {} was withdrawn: {reason}.", path(id)),
            ),
            _ => return,
        };
        self.transcript.push(kind, text);
    }
}
