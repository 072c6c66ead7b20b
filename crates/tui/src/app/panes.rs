//! What the side panes' keys do and what their events say in the chat: the diff pane's
//! decisions, the plan pane's edits and runs, a pipeline's gates.

use super::App;
use super::events::plural;
use crate::hints;
use crate::keymap::Action;
use crate::layout::{Focus, PaneId};
use crate::outcome::Effect;
use crate::pipeline::StageKind;
use crate::protocol::{Event, Op, StepStatus, Verdict};
use crate::transcript::EntryKind;

/// What waits at a gate for the human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitingGate {
    /// A pipeline stage's work is done; its gate waits.
    Stage(String),
    /// A plan step ended; `incomplete` when the model ended it without completing it.
    Step { number: String, incomplete: bool },
}

impl App {
    /// The gate that waits for the human, if any: a pipeline stage's, or (outside a run of
    /// every step) a plan step's.
    #[must_use]
    pub fn gate(&self) -> Option<WaitingGate> {
        use crate::pipeline::StageStatus;
        if let Some(run) = &self.pipeline {
            let i = run.current()?;
            if run.statuses[i] == StageStatus::AwaitingGate {
                return Some(WaitingGate::Stage(run.pipeline.stages[i].name.clone()));
            }
            // In the implement stage, a step's own gate (left incomplete, or held) waits.
            if !(run.statuses[i] == StageStatus::Running
                && run.pipeline.stages[i].kind == StageKind::RunPlan)
            {
                return None;
            }
        }
        if self.running_all {
            return None;
        }
        let plan = self.plan.plan.as_ref()?;
        let step = plan.active()?;
        let incomplete = match step.status {
            StepStatus::AwaitingReview => false,
            StepStatus::Incomplete => true,
            _ => return None,
        };
        Some(WaitingGate::Step {
            number: plan.number(&step.id).unwrap_or_default(),
            incomplete,
        })
    }

    /// The waiting gate in one line of at most `width` columns, with the keys that decide it
    /// from anywhere (those that do not fit dropped whole, the most important kept).
    #[must_use]
    pub fn gate_line(&self, width: usize) -> Option<String> {
        let (head, parts): (String, Vec<(Action, &str)>) = match self.gate()? {
            WaitingGate::Stage(stage) => (
                format!("⏸ Stage {stage} waits: "),
                vec![
                    (Action::GatePass, "pass"),
                    (Action::GateBack, "send back"),
                    (Action::GateSkip, "skip"),
                ],
            ),
            WaitingGate::Step {
                number,
                incomplete: false,
            } => (
                format!("⏸ Step {number} waits at its gate: "),
                vec![(Action::GatePass, "pass and run the next step")],
            ),
            WaitingGate::Step {
                number,
                incomplete: true,
            } => (
                format!("◐ Step {number} was left incomplete: "),
                vec![
                    (Action::GatePass, "run it again"),
                    (Action::PlanMarkDone, "in the plan pane marks it done"),
                ],
            ),
        };
        let room = width.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
        let keys = super::super::fit::parts(&hints::each(&self.keymap, &parts), " · ", room, None);
        Some(if keys.is_empty() {
            super::super::fit::text(head.trim_end_matches([' ', ':']), width)
        } else {
            format!("{head}{keys}")
        })
    }

    /// A gate key, from wherever focus is: the plan pane's own action does the work (sending
    /// back opens its comment box there, so focus moves to it).
    pub(super) fn gate_action(&mut self, action: Action) -> Vec<Effect> {
        let pane_action = match action {
            Action::GatePass => Action::PlanGo,
            Action::GateBack => {
                self.focus = Focus::Plan;
                Action::StageBack
            }
            _ => Action::StageSkip,
        };
        self.route(PaneId::Plan, pane_action)
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
        let text = match event {
            StageEvent::Started { stage } if self.stage_kind(stage) == Some(StageKind::Verify) => {
                format!("▶ Stage {stage}: running the test command")
            }
            StageEvent::Started { stage } => format!("▶ Stage {stage}"),
            StageEvent::AtGate { stage } => format!(
                "⏸ Stage {stage} waits at its gate: {} (from anywhere; in the plan pane also \
                 {}, {}, {}). A prompt answers the model and continues the stage.",
                hints::say(
                    &self.keymap,
                    &[
                        (Action::GatePass, "passes it"),
                        (Action::GateBack, "sends it back with comments"),
                        (Action::GateSkip, "skips it"),
                    ]
                ),
                hints::key(&self.keymap, Action::PlanGo),
                hints::key(&self.keymap, Action::StageBack),
                hints::key(&self.keymap, Action::StageSkip),
            ),
            StageEvent::GatePassed { stage } => format!("● Stage {stage} passed."),
            StageEvent::SentBack { stage, .. } => format!("↺ Stage {stage} sent back."),
            StageEvent::Skipped { stage } => format!("– Stage {stage} skipped."),
            StageEvent::Answered { stage } => format!(
                "▶ Stage {stage} continues with your reply; its gate waits again when the model \
                 is done."
            ),
            StageEvent::VerifyFailed { round, .. } => format!(
                "! The test command failed (round {round}); the model is on it, and the command \
                 runs again after its fix."
            ),
        };
        self.transcript.push(EntryKind::Notice, text);
    }

    /// The plan pane folds plan events; the chat tells the story of proposals and steps (on
    /// resume too, so a resumed chat keeps its step and gate lines).
    pub(super) fn plan_event(&mut self, event: &Event) {
        let keys = self.keymap.keys_label(Action::FocusPlan);
        let text = match event {
            Event::PlanProposed { version, .. } => format!(
                "The model proposes a plan (version {version}) — review it in the plan pane \
                 ({keys}): {}.",
                hints::say(
                    &self.keymap,
                    if self.pipeline.is_some() {
                        // In a run, the tasks stage's gate runs the approved tasks.
                        &[
                            (Action::PlanApprove, "approve"),
                            (Action::PlanReject, "reject"),
                            (Action::PlanEdit, "edit"),
                            (Action::PlanComment, "comment"),
                        ]
                    } else {
                        &[
                            (Action::PlanApprove, "approve"),
                            (Action::PlanReject, "reject"),
                            (Action::PlanEdit, "edit"),
                            (Action::PlanComment, "comment"),
                            (Action::PlanGo, "run the next approved step"),
                        ]
                    }
                )
            ),
            Event::StepStatusChanged { step, status, note } => {
                let Some(plan) = &self.plan.plan else { return };
                let number = plan.number(step).unwrap_or_default();
                let title = plan.step(step).map(|s| s.title.clone()).unwrap_or_default();
                // Every change rejected: the gate holds even when steps run by themselves.
                let held = note
                    .as_deref()
                    .is_some_and(|n| n.contains(crate::plan::NOTHING_WRITTEN));
                let note = note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                match status {
                    StepStatus::Running => format!("▶ Step {number} — {title}"),
                    // Running every step, or inside a pipeline's implement stage: the gate
                    // passes by itself once the step's changes are decided.
                    StepStatus::AwaitingReview
                        if (self.running_all || self.pipeline.is_some()) && !held =>
                    {
                        if self.diff.log.pending().is_some() {
                            format!(
                                "● Step {number} finished{note}; the next runs once its changes are reviewed."
                            )
                        } else {
                            format!("● Step {number} finished{note}.")
                        }
                    }
                    StepStatus::AwaitingReview => format!(
                        "⏸ Step {number} waits at its gate{note}. {}.",
                        hints::say(
                            &self.keymap,
                            &[(
                                Action::GatePass,
                                "passes it and runs the next approved step"
                            )]
                        )
                    ),
                    StepStatus::Incomplete => format!(
                        "◐ Step {number} was left incomplete{note}. {} ({keys}).",
                        hints::say(
                            &self.keymap,
                            &[
                                (Action::GatePass, "runs it again"),
                                (Action::PlanMarkDone, "in the plan pane marks it done"),
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

    /// Who proposes the change `id`: the model, a subagent whose `task` call it answers, or
    /// the worker of a step run in its worktree.
    fn proposer(&self, id: &str) -> String {
        let step = crate::plan::parallel::merged_step(id, &self.session.id);
        if let Some(n) = step.and_then(|s| self.plan.plan.as_ref()?.number(s)) {
            return format!("Step {n} comes back from its worktree with");
        }
        let call = crate::changes::call_of(id);
        let agent = self
            .transcript
            .tool(call)
            .filter(|cell| cell.name == "task")
            .and_then(|cell| serde_json::from_str::<serde_json::Value>(&cell.arguments).ok())
            .and_then(|args| args.get("agent")?.as_str().map(str::to_string));
        match agent {
            Some(agent) => format!("The subagent `{agent}` brings back"),
            None => "The model proposes".into(),
        }
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
                    "{} a change to {} — review it in the diff pane ({keys}): {}.",
                    self.proposer(id),
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
            Event::ChangeReviewed {
                id,
                agent,
                findings,
            } => (
                EntryKind::Notice,
                match findings.len() {
                    0 => format!("The {agent} found nothing in {}.", path(id)),
                    n => {
                        let high = findings
                            .iter()
                            .filter(|f| f.severity == crate::protocol::Severity::High)
                            .count();
                        let high = if high > 0 {
                            format!(" ({high} high)")
                        } else {
                            String::new()
                        };
                        format!(
                            "The {agent} has {} on {}{high} — in the diff pane ({keys}), for \
                             you alone ({} makes them your comment on a hunk).",
                            plural(n, "finding"),
                            path(id),
                            hints::key(&self.keymap, Action::DiffForward)
                        )
                    }
                },
            ),
            Event::ChangeWithdrawn { id, reason } => (
                EntryKind::Notice,
                format!("The change to {} was withdrawn: {reason}.", path(id)),
            ),
            _ => return,
        };
        self.transcript.push(kind, text);
    }

    /// A tool call's result read from the store: shown in its cell, and copied if asked.
    pub fn on_output(
        &mut self,
        call: &str,
        text: Result<String, String>,
        copy: bool,
    ) -> Vec<Effect> {
        self.dirty = true;
        let effects = match &text {
            Ok(text) if copy => {
                self.note = Some("copied to the clipboard".into());
                vec![Effect::Copy(text.clone())]
            }
            Ok(_) => Vec::new(),
            Err(why) => {
                self.note = Some(why.clone());
                Vec::new()
            }
        };
        self.transcript.output_read(call, text);
        effects
    }
}
