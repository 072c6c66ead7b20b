//! What the side panes' keys do and what their events say in the chat: the diff pane's
//! decisions, the plan pane's edits and runs, a pipeline's gates.

use super::*;
use crate::pipeline::StageKind;
use crate::tui::hints;

impl App {
    /// The diff pane's decisions: refused in a read-only session, else turned into ops.
    pub(super) fn diff_action(&mut self, action: Action) -> Vec<Effect> {
        if self.session.read_only {
            self.note = Some(self.read_only_note("to review here"));
            return Vec::new();
        }
        let request = match action {
            Action::DiffAccept => self.diff.decide(Verdict::Accept),
            Action::DiffReject => self.diff.decide(Verdict::Reject),
            Action::DiffAcceptFile => self.diff.decide_file(&Verdict::Accept),
            Action::DiffRejectFile => self.diff.decide_file(&Verdict::Reject),
            Action::DiffComment => self.diff.start_comment(),
            Action::DiffEdit => self.diff.edit(),
            Action::DiffSubmit => self.diff.submit(),
            Action::DiffRepropose => self.diff.repropose(),
            Action::DiffUndo => DiffRequest::Send(vec![Op::Undo]),
            _ => DiffRequest::None,
        };
        self.diff_effects(request)
    }

    pub(super) fn diff_effects(&mut self, request: DiffRequest) -> Vec<Effect> {
        match request {
            DiffRequest::Send(ops) => ops.into_iter().map(Effect::Send).collect(),
            DiffRequest::Edit {
                change,
                hunk,
                text,
                extension,
            } => vec![Effect::EditHunk {
                change,
                hunk,
                text,
                extension,
            }],
            DiffRequest::Note(note) => {
                self.note = Some(note);
                Vec::new()
            }
            DiffRequest::None => Vec::new(),
        }
    }

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

    pub(super) fn plan_action(&mut self, action: Action) -> Vec<Effect> {
        if self.session.read_only {
            self.note = Some(self.read_only_note("to change it"));
            return Vec::new();
        }
        let request = match action {
            Action::PlanApprove => self.plan.approve(),
            Action::PlanApproveAll => self.plan.approve_all(),
            Action::PlanReject => self.plan.reject(),
            Action::PlanEdit => self.plan.start('e'),
            Action::PlanAdd => self.plan.start('o'),
            Action::PlanComment => self.plan.start('c'),
            Action::PlanDelete => self.plan.delete(),
            Action::PlanMoveUp => self.plan.move_step(true),
            Action::PlanMoveDown => self.plan.move_step(false),
            Action::PlanRevise => PlanRequest::Send(Op::RevisePlan),
            // In a pipeline run, g passes the stage's gate (its tasks run by themselves).
            Action::PlanGo if self.pipeline.is_some() => PlanRequest::Send(Op::PassGate),
            Action::PlanGo => PlanRequest::Send(Op::Go { all: false }),
            Action::StageBack if self.pipeline.is_some() => {
                self.plan.input = Some(crate::tui::planview::PlanInput::SendBack {
                    text: String::new(),
                });
                PlanRequest::None
            }
            Action::StageSkip if self.pipeline.is_some() => PlanRequest::Send(Op::SkipStage),
            Action::StageBack | Action::StageSkip => PlanRequest::Note(
                "no pipeline is running: these keys work in the pipeline gear".into(),
            ),
            Action::PlanGoAll => PlanRequest::Send(Op::Go { all: true }),
            _ => PlanRequest::None,
        };
        self.plan_effects(request)
    }

    pub(super) fn plan_effects(&mut self, request: PlanRequest) -> Vec<Effect> {
        match request {
            PlanRequest::Send(op) => vec![Effect::Send(op)],
            PlanRequest::Note(n) => {
                self.note = Some(n);
                Vec::new()
            }
            PlanRequest::None => Vec::new(),
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
        self.plan.on_event(event);
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
