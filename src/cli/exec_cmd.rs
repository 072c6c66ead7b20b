//! `gearshift exec PROMPT`: one turn without the TUI, for scripts and CI. The session is
//! persisted like any other. Plain output is the reply as it streams; `--json` prints every
//! event as one JSON object per line.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::{Context, StartedSession};
use crate::core::{self, ApprovalMode, OpenRequest};
use crate::pipeline::{Gate, Run, StageEvent};
use crate::protocol::{Event, FinishReason, Op, StepStatus};

/// Exit code when the turn was cancelled (Ctrl+C), as shells report SIGINT.
const EXIT_CANCELLED: u8 = 130;
/// Exit code of `exec --gear plan` without `--approve-plan` (a plan was proposed and waits for
/// a human's approval) and of `exec --gear pipeline` without `--approve-gates` (a stage waits
/// at its gate).
pub const EXIT_PLAN_AWAITING: u8 = 3;

/// What the headless run approves by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Approvals {
    /// Run the commands the model asks for.
    pub commands: bool,
    /// Accept every hunk of changes that would wait for review.
    pub changes: bool,
    /// Approve a proposed plan whole and run it, accepting each step's changes.
    pub plan: bool,
    /// In the pipeline gear: pass every human gate (approving the tasks' plan and every
    /// change); command gates must still pass.
    pub gates: bool,
    /// Pass `[[checkpoints]]` as the other flags say (without it, a checkpoint stops the run).
    pub checkpoints: bool,
}

fn mode(approve: bool) -> ApprovalMode {
    if approve {
        ApprovalMode::Approve
    } else {
        ApprovalMode::Deny
    }
}

pub fn run(
    ctx: &Context,
    prompt: &str,
    request: &OpenRequest,
    json: bool,
    approvals: Approvals,
) -> anyhow::Result<ExitCode> {
    let prompt = if prompt == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the prompt from standard input")?;
        text
    } else {
        prompt.to_string()
    };
    anyhow::ensure!(!prompt.trim().is_empty(), "the prompt is empty");

    let started = ctx.start_session(request, mode(approvals.commands))?;
    let StartedSession {
        library,
        opened,
        mut deps,
        log: _log,
        ..
    } = started;
    // What a human would decide is an input to the core, which passes the gates itself.
    deps.policy.changes = mode(approvals.changes || approvals.plan || approvals.gates);
    deps.policy.plan = approvals.plan;
    deps.policy.gates = approvals.gates;
    deps.policy.checkpoints = approvals.checkpoints;
    // A continued session's events, for `--json` to print and the progress to know its plan
    // and pipeline run: read before the core appends anything.
    let history: Vec<Event> = if opened.resumed {
        let mut history = Vec::new();
        library
            .replay(&opened.state.id, |e| history.push(e.clone()))
            .map_err(anyhow::Error::msg)?;
        history
    } else {
        opened.state.unsaved.clone()
    };
    let plan_gear = opened.state.gear == crate::protocol::Gear::Plan;
    let pipeline_gear = opened.state.gear == crate::protocol::Gear::Pipeline;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let (op_tx, op_rx) = mpsc::unbounded_channel();
        let (event_tx, mut events) = mpsc::unbounded_channel();
        let core = tokio::spawn(core::run_session(
            deps,
            opened.state.clone(),
            op_rx,
            event_tx,
        ));
        let mut out = super::term::stdout(json);
        if json {
            for e in &history {
                writeln!(out, "{}", serde_json::to_string(e)?)?;
            }
        }
        let _ = op_tx.send(Op::Submit {
            text: prompt,
            attachments: Vec::new(),
        });
        let mut error: Option<String> = None;
        let mut signalled: Option<i32> = None;
        let mut finish: Option<FinishReason> = None;
        let mut started = false;
        let mut wrote_text = false;
        let mut plan_waits = false;
        // A change or command stopped at a [[checkpoints]] rule, waiting for a human.
        let mut at_checkpoint: Option<String> = None;
        // Replies go to stdout, a blank line between two; the rest of the story to stderr.
        let mut progress = super::progress::Progress::default();
        // A continued session's plan and pipeline run are known from its history (nothing of
        // it is printed again): a waiting plan the flags approve runs to its end.
        for e in &history {
            let _ = progress.line(e);
        }
        let mut reply_ended = false;
        // INT (Ctrl+C), TERM, HUP and QUIT cancel the turn — the reply so far is kept, marked
        // interrupted — and end the run with 128 + the signal's number.
        use tokio::signal::unix::{SignalKind, signal};
        let mut watched = Vec::new();
        for (kind, number) in [
            (SignalKind::interrupt(), libc::SIGINT),
            (SignalKind::terminate(), libc::SIGTERM),
            (SignalKind::hangup(), libc::SIGHUP),
            (SignalKind::quit(), libc::SIGQUIT),
        ] {
            watched.push((signal(kind).context("cannot watch signals")?, number));
        }
        loop {
            let caught = futures::future::select_all(
                watched
                    .iter_mut()
                    .map(|(s, n)| Box::pin(async move { s.recv().await.map(|()| *n) })),
            );
            let event = tokio::select! {
                e = events.recv() => e,
                (number, _, _) = caught => {
                    signalled = signalled.or(number);
                    let _ = op_tx.send(Op::Cancel);
                    let _ = op_tx.send(Op::Quit);
                    continue;
                }
            };
            let Some(event) = event else { break };
            // Folded either way: the plan and the run decide when the run ends.
            let line = progress.line(&event);
            if json {
                writeln!(out, "{}", serde_json::to_string(&event)?)?;
            } else if let Some(line) = line {
                if wrote_text && !reply_ended {
                    writeln!(out)?;
                    out.flush()?;
                    reply_ended = true;
                }
                errln!("{line}");
            }
            let (plan, run) = (&progress.plan, &progress.run);
            match &event {
                Event::AssistantDelta { text } if !json => {
                    if reply_ended {
                        // A new reply after an earlier one: a blank line between them.
                        writeln!(out)?;
                        reply_ended = false;
                    }
                    write!(out, "{text}")?;
                    out.flush()?;
                    wrote_text = true;
                }
                Event::AssistantMessage { .. } if wrote_text && !reply_ended => {
                    writeln!(out)?;
                    reply_ended = true;
                }
                // The prompt is under way: its own turn started, or it joined the turn a
                // continued session left open, at its next round (as a prompt typed while the
                // model works does).
                Event::TurnStarted { .. } | Event::UserMessage { .. } => started = true,
                Event::CommandApprovalRequested {
                    command,
                    checkpoint: Some(why),
                    ..
                } => {
                    at_checkpoint = Some(format!("`{command}` ({why})"));
                    let _ = op_tx.send(Op::Quit);
                }
                Event::ChangeProposed {
                    change,
                    checkpoint: Some(why),
                    ..
                } if crate::tools::checkpoints::is_rule(why) && !approvals.checkpoints => {
                    at_checkpoint = Some(format!("a write to {} ({why})", change.path));
                    let _ = op_tx.send(Op::Quit);
                }
                Event::Notice { level, text } if !json => {
                    let label = match level {
                        crate::protocol::NoticeLevel::Warning => "warning: ",
                        crate::protocol::NoticeLevel::Info => "",
                    };
                    errln!("gearshift: {label}{text}");
                }
                // Refused: nothing follows a refusal in a run without a human.
                Event::Refused { message, .. } => {
                    error = Some(message.clone());
                    let _ = op_tx.send(Op::Quit);
                }
                Event::Error { message, .. } => {
                    error = Some(message.clone());
                    // Nothing more will come if the prompt itself could not be saved.
                    if !started {
                        let _ = op_tx.send(Op::Quit);
                    }
                }
                Event::StepStatusChanged { status, note, .. } => {
                    if *status == StepStatus::Failed {
                        error = Some(format!(
                            "plan step failed: {}",
                            note.as_deref().unwrap_or("no reason given")
                        ));
                        let _ = op_tx.send(Op::Quit);
                    }
                    // Nobody is there to run it again or mark it done.
                    if *status == StepStatus::Incomplete {
                        error = Some(
                            "a plan step was left incomplete: the model ended its turn without \
                             calling complete_step"
                                .into(),
                        );
                        let _ = op_tx.send(Op::Quit);
                    }
                }
                Event::PlanCompleted { .. } if !pipeline_gear => {
                    let _ = op_tx.send(Op::Quit);
                }
                Event::Stage { event: stage } => {
                    if run.as_ref().is_some_and(Run::finished) {
                        let _ = op_tx.send(Op::Quit);
                    }
                    if let (StageEvent::AtGate { stage: name }, Some(r)) = (stage, &run) {
                        let def = r.pipeline.stages.iter().find(|s| &s.name == name);
                        match def.map(|d| d.gate) {
                            Some(Gate::Command) => {
                                error = Some(format!(
                                    "stage `{name}`: the test command still fails after \
                                     [pipeline] max_verify_rounds rounds"
                                ));
                                let _ = op_tx.send(Op::Quit);
                            }
                            // The core passes it (its approval policy).
                            Some(Gate::Human) if approvals.gates => {}
                            _ => {
                                plan_waits = true;
                                let _ = op_tx.send(Op::Quit);
                            }
                        }
                    }
                }
                // A turn a continued session left open (a command's approval, a change's
                // review, answered above as the flags say) ends before this prompt's starts.
                Event::TurnFinished { .. } if !started => {}
                Event::TurnFinished { reason } if pipeline_gear => {
                    finish = Some(*reason);
                    // The pipeline goes on after each stage's turn; it ends at its gates.
                    if run.is_none()
                        || matches!(reason, FinishReason::Cancelled | FinishReason::Error)
                    {
                        let _ = op_tx.send(Op::Quit);
                    }
                }
                Event::TurnFinished { reason } => {
                    finish = Some(*reason);
                    match (plan, plan_gear, approvals.plan) {
                        // The core approves the plan and runs it step by step (its approval
                        // policy); the run ends when the plan completes or a turn fails.
                        (Some(_), true, true) => {
                            if *reason == FinishReason::Cancelled || *reason == FinishReason::Error
                            {
                                let _ = op_tx.send(Op::Quit);
                            }
                        }
                        (Some(_), true, false) => {
                            plan_waits = true;
                            let _ = op_tx.send(Op::Quit);
                        }
                        _ => {
                            let _ = op_tx.send(Op::Quit);
                        }
                    }
                }
                _ => {}
            }
        }
        if wrote_text && !reply_ended {
            writeln!(out)?;
        }
        // The plan waiting for approval is the run's result: on stdout, after the reply.
        if plan_waits
            && !json
            && let Some(p) = &progress.plan
        {
            writeln!(
                out,
                "\nProposed plan (version {}):\n\n{}",
                p.version,
                p.render()
            )?;
        }
        let _ = core.await;
        Ok::<_, anyhow::Error>((error, finish, plan_waits, signalled, at_checkpoint))
    });
    // A blocking task that never returns must not keep the process from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    library.close();
    let (error, finish, plan_waits, signalled, at_checkpoint) = outcome?;
    if let Some(what) = at_checkpoint {
        errln!(
            "gearshift: stopped at a checkpoint: {what}; decide it in the TUI (gearshift \
             --continue), or run again with --approve-checkpoints"
        );
        return Ok(ExitCode::from(EXIT_PLAN_AWAITING));
    }
    if let Some(number) = signalled {
        errln!("gearshift: stopped by a signal; the reply so far is saved, marked interrupted");
        return Ok(ExitCode::from(u8::try_from(128 + number).unwrap_or(1)));
    }
    if plan_waits && error.is_none() {
        if pipeline_gear {
            errln!(
                "gearshift: the pipeline waits at a stage's gate: pass it in the TUI \
                 (gearshift --continue), or run again with --approve-gates"
            );
        } else {
            errln!(
                "gearshift: the plan waits for approval: review it in the TUI \
                 (gearshift --continue), or run again with --approve-plan"
            );
        }
        return Ok(ExitCode::from(EXIT_PLAN_AWAITING));
    }
    if let Some(message) = error {
        errln!("gearshift: {}", message.lines().next().unwrap_or_default());
        return Ok(ExitCode::FAILURE);
    }
    match finish {
        Some(FinishReason::Cancelled) => {
            errln!("gearshift: cancelled");
            Ok(ExitCode::from(EXIT_CANCELLED))
        }
        Some(_) => Ok(ExitCode::SUCCESS),
        None => {
            errln!("gearshift: the turn did not finish");
            Ok(ExitCode::FAILURE)
        }
    }
}
