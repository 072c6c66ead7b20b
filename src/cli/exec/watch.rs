//! What each event means for a run with no human: printed (the reply on stdout, the story on
//! stderr, or every event as JSON), and whether the run ends here — a refusal, a failed step,
//! a gate or a checkpoint only a human may pass, the turn's end.

use std::io::Write;

use super::Approvals;
use crate::cli::progress::Progress;
use crate::pipeline::{Gate, Run, StageEvent};
use crate::protocol::{Event, FinishReason, NoticeLevel, StepStatus};

/// How the run went, once it is over.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub error: Option<String>,
    pub finish: Option<FinishReason>,
    /// A plan or a stage's gate waits for a human.
    pub plan_waits: bool,
    pub signalled: Option<i32>,
    /// A change or command stopped at a `[[checkpoints]]` rule, waiting for a human.
    pub at_checkpoint: Option<String>,
    /// That stop was a subagent's, whose question ends with the run.
    pub subagent_checkpoint: bool,
}

/// The run as it goes.
pub(super) struct Watch {
    pub outcome: Outcome,
    /// The plan and the pipeline run, folded from every event.
    pub progress: Progress,
    pub json: bool,
    approvals: Approvals,
    plan_gear: bool,
    pipeline_gear: bool,
    /// The prompt is under way (its turn started, or it joined an open one).
    started: bool,
    wrote_text: bool,
    reply_ended: bool,
    /// The path of each change proposed, to say where a reviewing agent's findings are.
    paths: std::collections::HashMap<String, String>,
}

impl Watch {
    pub fn new(json: bool, approvals: Approvals, plan_gear: bool, pipeline_gear: bool) -> Watch {
        Watch {
            outcome: Outcome::default(),
            progress: Progress::default(),
            json,
            approvals,
            plan_gear,
            pipeline_gear,
            started: false,
            wrote_text: false,
            reply_ended: false,
            paths: std::collections::HashMap::new(),
        }
    }

    /// Prints `event` — replies go to stdout, a blank line between two; the rest of the
    /// story to stderr; with `--json`, every event — and says whether the run ends here.
    pub fn on_event(&mut self, out: &mut dyn Write, event: &Event) -> std::io::Result<bool> {
        // Folded either way: the plan and the run decide when the run ends.
        let line = self.progress.line(event);
        if self.json {
            writeln!(out, "{}", serde_json::to_string(event)?)?;
        } else if let Some(line) = line {
            if self.wrote_text && !self.reply_ended {
                writeln!(out)?;
                out.flush()?;
                self.reply_ended = true;
            }
            errln!("{line}");
        }
        if !self.json {
            self.print_reply(out, event)?;
        }
        Ok(self.ends_at(event))
    }

    /// The reply as it streams, and the notices.
    fn print_reply(&mut self, out: &mut dyn Write, event: &Event) -> std::io::Result<()> {
        match event {
            Event::AssistantDelta { text } => {
                if self.reply_ended {
                    // A new reply after an earlier one: a blank line between them.
                    writeln!(out)?;
                    self.reply_ended = false;
                }
                write!(out, "{text}")?;
                out.flush()?;
                self.wrote_text = true;
            }
            Event::AssistantMessage { .. } if self.wrote_text && !self.reply_ended => {
                writeln!(out)?;
                self.reply_ended = true;
            }
            Event::ChangeProposed { id, change, .. } => {
                self.paths.insert(id.clone(), change.path.clone());
            }
            // For the human reading the run: never sent to the model.
            Event::ChangeReviewed {
                id,
                agent,
                findings,
            } => {
                let path = self.paths.get(id).map_or("a change", String::as_str);
                if findings.is_empty() {
                    errln!("gearshift: the {agent} found nothing in {path}");
                }
                for f in findings {
                    let hunk = f.hunk.as_deref().unwrap_or("general");
                    errln!(
                        "gearshift: {agent} on {path} ({hunk}), {}: {}",
                        f.severity.as_str(),
                        f.text
                    );
                }
            }
            Event::Notice { level, text } => {
                let label = match level {
                    NoticeLevel::Warning => "warning: ",
                    NoticeLevel::Info => "",
                };
                errln!("gearshift: {label}{text}");
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the reply's line once the run is over.
    pub fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.wrote_text && !self.reply_ended {
            writeln!(out)?;
        }
        Ok(())
    }

    /// Whether the run ends at `event`: nothing more can happen without a human, or
    /// everything asked is done.
    fn ends_at(&mut self, event: &Event) -> bool {
        let o = &mut self.outcome;
        match event {
            // The prompt is under way: its own turn started, or it joined the turn a
            // continued session left open, at its next round (as a prompt typed while the
            // model works does).
            Event::TurnStarted { .. } | Event::UserMessage { .. } => {
                self.started = true;
                false
            }
            Event::CommandApprovalRequested {
                command,
                checkpoint: Some(why),
                ..
            } => {
                o.at_checkpoint = Some(format!("`{command}` ({why})"));
                true
            }
            // A subagent's question stops the run as the session's own would.
            Event::FromAgent { agent, event, .. } => match &**event {
                Event::CommandApprovalRequested {
                    command,
                    checkpoint: Some(why),
                    ..
                } => {
                    o.at_checkpoint = Some(format!("`{command}` of the subagent {agent} ({why})"));
                    o.subagent_checkpoint = true;
                    true
                }
                _ => false,
            },
            Event::ChangeProposed {
                change,
                checkpoint: Some(why),
                ..
            } if crate::tools::checkpoints::is_rule(why) && !self.approvals.checkpoints => {
                o.at_checkpoint = Some(format!("a write to {} ({why})", change.path));
                true
            }
            // Refused: nothing follows a refusal in a run without a human.
            Event::Refused { message, .. } => {
                o.error = Some(message.clone());
                true
            }
            Event::Error { message, .. } => {
                o.error = Some(message.clone());
                // Nothing more will come if the prompt itself could not be saved.
                !self.started
            }
            Event::StepStatusChanged { status, note, .. } => step_ends(o, *status, note.as_deref()),
            Event::PlanCompleted { .. } => !self.pipeline_gear,
            Event::Stage { event: stage } => self.stage_ends(stage),
            Event::TurnFinished { reason } => self.turn_ends(*reason),
            _ => false,
        }
    }

    /// A pipeline run ends when it is finished, or at a gate the flags do not pass.
    fn stage_ends(&mut self, stage: &StageEvent) -> bool {
        let run = &self.progress.run;
        let mut ends = run.as_ref().is_some_and(Run::finished);
        if let (StageEvent::AtGate { stage: name }, Some(r)) = (stage, run) {
            let def = r.pipeline.stages.iter().find(|s| &s.name == name);
            match def.map(|d| d.gate) {
                Some(Gate::Command) => {
                    self.outcome.error = Some(format!(
                        "stage `{name}`: the test command still fails after [pipeline] \
                         max_verify_rounds rounds"
                    ));
                    ends = true;
                }
                // The core passes it (its approval policy).
                Some(Gate::Human) if self.approvals.gates => {}
                _ => {
                    self.outcome.plan_waits = true;
                    ends = true;
                }
            }
        }
        ends
    }

    /// The end of a turn: the run's end, unless the plan or the pipeline goes on.
    fn turn_ends(&mut self, reason: FinishReason) -> bool {
        // A turn a continued session left open (a command's approval, a change's review,
        // answered as the flags say) ends before this prompt's starts.
        if !self.started {
            return false;
        }
        self.outcome.finish = Some(reason);
        let failed = matches!(reason, FinishReason::Cancelled | FinishReason::Error);
        if self.pipeline_gear {
            // The pipeline goes on after each stage's turn; it ends at its gates.
            return self.progress.run.is_none() || failed;
        }
        match (&self.progress.plan, self.plan_gear, self.approvals.plan) {
            // The core approves the plan and runs it step by step (its approval policy); the
            // run ends when the plan completes or a turn fails.
            (Some(_), true, true) => failed,
            (Some(_), true, false) => {
                self.outcome.plan_waits = true;
                true
            }
            _ => true,
        }
    }
}

/// A plan step that failed or was left incomplete ends the run: nobody is there to run it
/// again or mark it done.
fn step_ends(o: &mut Outcome, status: StepStatus, note: Option<&str>) -> bool {
    match status {
        StepStatus::Failed => {
            o.error = Some(format!(
                "plan step failed: {}",
                note.unwrap_or("no reason given")
            ));
            true
        }
        StepStatus::Incomplete => {
            o.error = Some(
                "a plan step was left incomplete: the model ended its turn without calling \
                 complete_step"
                    .into(),
            );
            true
        }
        _ => false,
    }
}
