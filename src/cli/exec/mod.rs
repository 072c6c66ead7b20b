//! `gearshift exec PROMPT`: one turn without the TUI, for scripts and CI. The session is
//! persisted like any other. Plain output is the reply as it streams; `--json` prints every
//! event as one JSON object per line.

mod watch;

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::{Context, StartedSession};
use crate::core::{self, ApprovalMode, OpenRequest, SessionDeps, SessionState};
use crate::protocol::{Event, FinishReason, Gear, Op};
use watch::{Outcome, Watch};

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
    let prompt = read_prompt(prompt)?;
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
        library
            .events(&opened.state.id)
            .map_err(anyhow::Error::msg)?
    } else {
        opened.state.unsaved.clone()
    };
    let gear = opened.state.gear;
    let watch = Watch::new(json, approvals, gear == Gear::Plan, gear == Gear::Pipeline);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(drive(deps, opened.state, &history, prompt, watch));
    // A blocking task that never returns must not keep the process from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    library.close();
    Ok(exit_code(outcome?, gear == Gear::Pipeline))
}

/// The prompt as given, or standard input's for `-`.
fn read_prompt(prompt: &str) -> anyhow::Result<String> {
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
    Ok(prompt)
}

/// Runs the session's core on `prompt` and watches its events until the run ends: printed,
/// and stopped where only a human could go on.
async fn drive(
    deps: SessionDeps,
    state: SessionState,
    history: &[Event],
    prompt: String,
    mut watch: Watch,
) -> anyhow::Result<Outcome> {
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (event_tx, mut events) = mpsc::unbounded_channel();
    let core = tokio::spawn(core::run_session(deps, state, op_rx, event_tx));
    let mut out = super::term::stdout(watch.json);
    if watch.json {
        for e in history {
            writeln!(out, "{}", serde_json::to_string(e)?)?;
        }
    }
    // A continued session's plan and pipeline run are known from its history (nothing of it
    // is printed again): a waiting plan the flags approve runs to its end.
    for e in history {
        let _ = watch.progress.line(e);
    }
    let _ = op_tx.send(Op::Submit {
        text: prompt,
        attachments: Vec::new(),
    });
    let mut signals = watch_signals()?;
    loop {
        let caught = futures::future::select_all(
            signals
                .iter_mut()
                .map(|(s, n)| Box::pin(async move { s.recv().await.map(|()| *n) })),
        );
        let event = tokio::select! {
            e = events.recv() => e,
            (number, _, _) = caught => {
                watch.outcome.signalled = watch.outcome.signalled.or(number);
                let _ = op_tx.send(Op::Cancel);
                let _ = op_tx.send(Op::Quit);
                continue;
            }
        };
        let Some(event) = event else { break };
        if watch.on_event(&mut out, &event)? {
            let _ = op_tx.send(Op::Quit);
        }
    }
    watch.finish(&mut out)?;
    // The plan waiting for approval is the run's result: on stdout, after the reply.
    if watch.outcome.plan_waits
        && !watch.json
        && let Some(p) = &watch.progress.plan
    {
        writeln!(
            out,
            "\nProposed plan (version {}):\n\n{}",
            p.version,
            p.render()
        )?;
    }
    let _ = core.await;
    Ok(watch.outcome)
}

/// INT (Ctrl+C), TERM, HUP and QUIT cancel the turn — the reply so far is kept, marked
/// interrupted — and end the run with 128 + the signal's number.
fn watch_signals() -> anyhow::Result<Vec<(tokio::signal::unix::Signal, i32)>> {
    use tokio::signal::unix::{SignalKind, signal};
    [
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::quit(), libc::SIGQUIT),
    ]
    .into_iter()
    .map(|(kind, number)| Ok((signal(kind).context("cannot watch signals")?, number)))
    .collect()
}

/// The exit code of a run, said on stderr when it is not a plain success.
fn exit_code(outcome: Outcome, pipeline_gear: bool) -> ExitCode {
    let Outcome {
        error,
        finish,
        plan_waits,
        signalled,
        at_checkpoint,
        subagent_checkpoint,
    } = outcome;
    if let Some(what) = &at_checkpoint
        && subagent_checkpoint
    {
        errln!(
            "gearshift: stopped at a checkpoint: {what}; a subagent's question ends with the \
             run, so run again with --approve-checkpoints, or in the TUI, where it asks you"
        );
        return ExitCode::from(EXIT_PLAN_AWAITING);
    }
    if let Some(what) = at_checkpoint {
        errln!(
            "gearshift: stopped at a checkpoint: {what}; decide it in the TUI (gearshift \
             --continue), or run again with --approve-checkpoints"
        );
        return ExitCode::from(EXIT_PLAN_AWAITING);
    }
    if let Some(number) = signalled {
        errln!("gearshift: stopped by a signal; the reply so far is saved, marked interrupted");
        return ExitCode::from(u8::try_from(128 + number).unwrap_or(1));
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
        return ExitCode::from(EXIT_PLAN_AWAITING);
    }
    if let Some(message) = error {
        errln!("gearshift: {}", message.lines().next().unwrap_or_default());
        return ExitCode::FAILURE;
    }
    match finish {
        Some(FinishReason::Cancelled) => {
            errln!("gearshift: cancelled");
            ExitCode::from(EXIT_CANCELLED)
        }
        Some(_) => ExitCode::SUCCESS,
        None => {
            errln!("gearshift: the turn did not finish");
            ExitCode::FAILURE
        }
    }
}
