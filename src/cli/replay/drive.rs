//! Runs the replay's session and does what the original's human did, each act once the replay
//! has come as far as the original had when it was done ([`human::Mark`]): a prompt after the
//! turn before it ended, a plan edit or a gate passed where the original waited. Hunks and
//! commands are answered as the original's human answered them ([`super::decisions`]).

use std::io::Write as _;
use std::time::Duration;

use tokio::sync::mpsc;

use super::human::{Act, Mark, Progress, Timed};
use super::{Plan, answer};
use crate::core::{self, SessionDeps};
use crate::pipeline::GateOp;
use crate::protocol::{Event, Op};
use crate::tools::Workspace;

/// Quiet long enough to tell that the core waits: a step it would start by itself has.
const SETTLED: Duration = Duration::from_millis(300);
/// Quiet this long while the original went on: the replay is stuck.
const STUCK: Duration = Duration::from_secs(20);

/// Runs the session until the original's acts are done and its end is reached. A message
/// when the replay could not go where the original went.
pub(super) async fn drive(
    deps: SessionDeps,
    state: core::SessionState,
    mut plan: Plan,
) -> anyhow::Result<Option<String>> {
    let workspace = deps.tools.workspace.clone();
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (event_tx, mut events) = mpsc::unbounded_channel();
    let core = tokio::spawn(core::run_session(deps, state, op_rx, event_tx));
    let mut out = crate::cli::term::stdout(plan.json);
    let mut lines = crate::cli::progress::Progress::default();
    let mut acts: std::collections::VecDeque<Timed> = std::mem::take(&mut plan.acts).into();
    let mut now = Progress::default();
    let mut settled = false;
    let mut failure = None;
    let mut played = 0;
    // The human's edits that could not be done again: the tree will differ.
    let mut missed: Vec<String> = Vec::new();
    loop {
        while let Some(next) = acts.front() {
            let due = next.at.reached(now.mark);
            if !due || (waits(&next.act) && !settled) {
                break;
            }
            let Some(Timed { act, .. }) = acts.pop_front() else {
                break;
            };
            for op in ops(act, &now, &workspace, &mut missed) {
                let _ = op_tx.send(op);
                settled = false;
            }
        }
        let waiting = acts
            .front()
            .is_some_and(|t| waits(&t.act) && t.at.reached(now.mark));
        let finished = acts.is_empty() && plan.end.reached(now.mark);
        if finished && settled {
            break;
        }
        let wait = if waiting || finished { SETTLED } else { STUCK };
        let event = match tokio::time::timeout(wait, events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(_) if waiting || finished => {
                settled = true;
                continue;
            }
            Err(_) => {
                failure = Some(stuck(acts.front(), plan.end, now.mark));
                break;
            }
        };
        settled = false;
        for op in answer(&mut plan, &event) {
            let _ = op_tx.send(op);
        }
        if plan.json {
            writeln!(out, "{}", serde_json::to_string(&event)?)?;
        } else if let Some(line) = lines.line(&event) {
            errln!("{line}");
        }
        match &event {
            Event::AssistantMessage { text, .. } => {
                played += 1;
                if !plan.json && !text.is_empty() {
                    writeln!(out, "{text}\n")?;
                }
            }
            Event::ToolCall {
                name, arguments, ..
            } if !plan.json => errln!("→ {name} {arguments}"),
            // Past the last recorded reply, the script has nothing more: where the recording
            // itself ended (a prompt it never answered), that is the end.
            Event::Error { .. } if played >= plan.replies => {
                errln!("gearshift: every recorded reply was played ({played})");
                break;
            }
            Event::Error { message, .. } | Event::Refused { message, .. } => {
                failure = Some(message.clone());
                break;
            }
            _ => {}
        }
        now.see(&event);
    }
    let _ = op_tx.send(Op::Quit);
    while events.recv().await.is_some() {}
    let _ = core.await;
    // Whatever stopped it, a replay that did less than the original says so.
    if failure.is_none() && (!acts.is_empty() || !plan.end.reached(now.mark)) {
        failure = Some(stuck(acts.front(), plan.end, now.mark));
    }
    if failure.is_none() && !missed.is_empty() {
        failure = Some(format!(
            "the human's edits of {} were not repeated: the tree differs from the original's",
            missed.join(", ")
        ));
    }
    Ok(failure)
}

/// Whether `act` waits for the core to be quiet: a step it may start by itself, and a file
/// edit, made while the core did nothing (an undo sent before it must have been done).
fn waits(act: &Act) -> bool {
    matches!(act, Act::Go { .. } | Act::Edited(_))
}

/// The ops that do `act` now (none for a step the core already started by itself, or a file
/// edit, done here on the replay's copy).
fn ops(act: Act, now: &Progress, workspace: &Workspace, missed: &mut Vec<String>) -> Vec<Op> {
    match act {
        Act::Gear(gear) => vec![Op::SetGear { gear }],
        Act::Prompt(text) => vec![Op::Submit {
            text,
            attachments: Vec::new(),
        }],
        Act::EditPlan(edit) => vec![Op::EditPlan { edit }],
        Act::Go { moved } if now.moved < moved => vec![Op::Go { all: false }],
        Act::Go { .. } => Vec::new(),
        Act::MarkDone => vec![Op::MarkStepDone],
        Act::Gate(GateOp::Pass) => vec![Op::PassGate],
        Act::Gate(GateOp::SendBack(comments)) => vec![Op::SendBack { comments }],
        Act::Gate(GateOp::Skip) => vec![Op::SkipStage],
        Act::Undo => vec![Op::Undo],
        Act::Edited(files) => {
            for (path, (hash, diff)) in files {
                if let Err(why) = super::edits::repeat(workspace, &path, hash.as_deref(), diff) {
                    errln!("gearshift: the human's edit of {path} is not repeated: {why}");
                    missed.push(path);
                }
            }
            Vec::new()
        }
    }
}

/// Why the replay stopped short of the original.
fn stuck(next: Option<&Timed>, end: Mark, now: Mark) -> String {
    match next {
        Some(t) => format!(
            "it waited where the original went on ({} turns ended, {} gates reached; the \
             original's human then did {:?})",
            now.turns, now.gates, t.act
        ),
        None => format!(
            "the original went on to {} turns and {} gates; the replay stopped at {} and {}",
            end.turns, end.gates, now.turns, now.gates
        ),
    }
}
