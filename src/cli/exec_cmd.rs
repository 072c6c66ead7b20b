//! `gearshift exec PROMPT`: one turn without the TUI, for scripts and CI. The session is
//! persisted like any other. Plain output is the reply as it streams; `--json` prints every
//! event as one JSON object per line.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::{Context, StartedSession};
use crate::core::{self, ApprovalMode, OpenRequest};
use crate::protocol::{Event, FinishReason, Op};

/// Exit code when the turn was cancelled (Ctrl+C), as shells report SIGINT.
const EXIT_CANCELLED: u8 = 130;

/// What the headless run approves by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Approvals {
    /// Run the commands the model asks for.
    pub commands: bool,
    /// Accept every hunk of changes that would wait for review.
    pub changes: bool,
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

    let started = ctx.start_session(&OpenRequest::New, mode(approvals.commands))?;
    let StartedSession {
        store,
        opened,
        mut deps,
        log: _log,
        ..
    } = started;
    deps.review_mode = mode(approvals.changes);

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
        let mut out = std::io::stdout().lock();
        if json {
            for e in &opened.history {
                writeln!(out, "{}", serde_json::to_string(e)?)?;
            }
        }
        let _ = op_tx.send(Op::Submit {
            text: prompt,
            attachments: Vec::new(),
        });
        let mut error: Option<String> = None;
        let mut finish: Option<FinishReason> = None;
        let mut started = false;
        let mut wrote_text = false;
        loop {
            let event = tokio::select! {
                e = events.recv() => e,
                _ = tokio::signal::ctrl_c() => {
                    let _ = op_tx.send(Op::Cancel);
                    continue;
                }
            };
            let Some(event) = event else { break };
            if json {
                writeln!(out, "{}", serde_json::to_string(&event)?)?;
            }
            match &event {
                Event::AssistantDelta { text } if !json => {
                    write!(out, "{text}")?;
                    out.flush()?;
                    wrote_text = true;
                }
                Event::TurnStarted { .. } => started = true,
                Event::Error { message, .. } => {
                    error = Some(message.clone());
                    // Nothing more will come if the prompt itself could not be saved.
                    if !started {
                        let _ = op_tx.send(Op::Quit);
                    }
                }
                Event::TurnFinished { reason } => {
                    finish = Some(*reason);
                    let _ = op_tx.send(Op::Quit);
                }
                _ => {}
            }
        }
        if wrote_text {
            writeln!(out)?;
        }
        let _ = core.await;
        Ok::<_, anyhow::Error>((error, finish))
    });
    store.close();
    let (error, finish) = outcome?;
    if let Some(message) = error {
        eprintln!("gearshift: {}", message.lines().next().unwrap_or_default());
        return Ok(ExitCode::FAILURE);
    }
    match finish {
        Some(FinishReason::Cancelled) => {
            eprintln!("gearshift: cancelled");
            Ok(ExitCode::from(EXIT_CANCELLED))
        }
        Some(_) => Ok(ExitCode::SUCCESS),
        None => {
            eprintln!("gearshift: the turn did not finish");
            Ok(ExitCode::FAILURE)
        }
    }
}
