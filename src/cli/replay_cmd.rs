//! `gearshift replay ID`: plays a recorded session's model replies back through the scripted
//! provider — the same tool calls, in the same order — against a scratch copy of its
//! workspace, to reproduce a bug or show a session without a key or a network.
//!
//! The human's prompts and gear changes are sent again in their order; what a human decided
//! (commands, hunks, plans, gates) is approved, as `exec --approve-*` does, since the copy is
//! scratch. Commands still run in the sandbox. The replay is stored in its own database in
//! the scratch folder, never in the user's.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::Context;
use crate::config::{ActiveProvider, ProviderConfig, ProviderKind};
use crate::core::{self, ApprovalMode, OpenRequest, SessionDeps};
use crate::protocol::{Event, Gear, Op};
use crate::provider::script::{Script, ScriptClient};
use crate::store::Store;

/// What the human did, in order, that a replay does again.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Gear(Gear),
    Prompt(String),
}

/// The prompts and gear changes of a recorded session. A prompt sent while the model worked
/// (steering) is sent again after that turn.
fn steps(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::GearChanged { to, .. } => Some(Step::Gear(*to)),
            Event::UserMessage { text, .. } => Some(Step::Prompt(text.clone())),
            _ => None,
        })
        .collect()
}

/// Copies `from` into `to`: every file git would see (ignored ones, such as `target/`, and
/// `.git` itself are left out), symlinks as symlinks.
fn copy_workspace(from: &Path, to: &Path) -> anyhow::Result<usize> {
    let mut copied = 0;
    let walk = ignore::WalkBuilder::new(from)
        .hidden(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walk {
        let entry = entry?;
        let rel = entry.path().strip_prefix(from)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = to.join(rel);
        let kind = entry.file_type();
        if kind.is_some_and(|k| k.is_dir()) {
            std::fs::create_dir_all(&target)?;
        } else if kind.is_some_and(|k| k.is_symlink()) {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else if kind.is_some_and(|k| k.is_file()) {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

pub fn run(ctx: &Context, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        ctx.paths.db_file.exists(),
        "no sessions yet: there is nothing to replay"
    );
    let (id, events) = {
        let store = Store::open(&ctx.paths.db_file)?;
        let reader = store.reader()?;
        let id = reader.resolve_id(id)?;
        let events: Vec<Event> = reader.events(&id)?.into_iter().map(|s| s.event).collect();
        store.close();
        (id, events)
    };
    let Some(Event::SessionOpened { meta }) = events.first() else {
        anyhow::bail!("session {id} has no opening event");
    };
    let script = Script::of_session(&events);
    let (replies, calls) = script.size();
    anyhow::ensure!(replies > 0, "session {id} has no model replies to replay");
    let from = PathBuf::from(&meta.workspace);
    anyhow::ensure!(
        from.is_dir(),
        "the session's workspace {} is gone: there is nothing to copy",
        from.display()
    );

    let scratch = std::env::temp_dir().join(format!(
        "gearshift-replay-{}",
        &crate::store::new_session_id()[..8]
    ));
    crate::fsutil::private_dir(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let workspace = scratch.join("workspace");
    std::fs::create_dir(&workspace)?;
    let files = copy_workspace(&from, &workspace)?;
    let script_file = scratch.join("script.toml");
    std::fs::write(&script_file, script.to_toml().map_err(anyhow::Error::msg)?)?;
    eprintln!(
        "gearshift: replaying session {} ({replies} replies, {calls} tool calls) in a copy of {} \
         ({files} files): {}",
        &id[..id.len().min(8)],
        from.display(),
        workspace.display()
    );

    let mut config = ctx.loaded.config.clone();
    // Only the script answers, and nothing compacts on its own: the replies come in order.
    config.routing.clear();
    config.context.compact_at = 0.0;
    let settings = ProviderConfig {
        kind: ProviderKind::Script,
        script: Some(script_file),
        model: Some("replay".into()),
        ..ProviderConfig::default()
    };
    config.providers.insert("replay".into(), settings);
    let provider: ActiveProvider = config.provider_named("replay", None)?;
    let client = Arc::new(ScriptClient::new("replay", script));
    let store = Store::open(&scratch.join("replay.db"))?;
    let opened = core::open_session(
        &store,
        &store.reader()?,
        &workspace.to_string_lossy(),
        &provider,
        meta.gear,
        &OpenRequest::New,
    )?;
    let mut deps = SessionDeps::new(
        store.clone(),
        client,
        provider,
        &config,
        &workspace,
        ApprovalMode::Approve,
    )?;
    deps.policy.plan = true;
    deps.policy.gates = true;
    let steps = steps(&events);
    let replay_id = opened.state.id.clone();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let failure = runtime.block_on(drive(deps, opened.state, steps, meta.gear, replies, json))?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    store.close();
    eprintln!(
        "gearshift: replayed in {} — the replay's session {} is in {}",
        workspace.display(),
        &replay_id[..replay_id.len().min(8)],
        scratch.join("replay.db").display()
    );
    if let Some(message) = failure {
        eprintln!("gearshift: the replay stopped: {message}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the session and sends each step once the one before has finished: a prompt's turn,
/// and the plan or the pipeline it set going.
async fn drive(
    deps: SessionDeps,
    state: core::SessionState,
    steps: Vec<Step>,
    gear: Gear,
    replies: usize,
    json: bool,
) -> anyhow::Result<Option<String>> {
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (event_tx, mut events) = mpsc::unbounded_channel();
    let core = tokio::spawn(core::run_session(deps, state, op_rx, event_tx));
    let mut out = std::io::stdout().lock();
    let mut progress = super::progress::Progress::default();
    let mut failure = None;
    let mut steps = steps.into_iter();
    let mut gear = gear;
    // The plan proposed last has run to its end.
    let mut plan_done = false;
    let mut played = 0;
    'steps: loop {
        // Gear changes go at once; a prompt waits for what it starts to end.
        let prompt = loop {
            match steps.next() {
                Some(Step::Gear(g)) => {
                    gear = g;
                    let _ = op_tx.send(Op::SetGear { gear: g });
                }
                Some(Step::Prompt(text)) => break text,
                None => break 'steps,
            }
        };
        let _ = op_tx.send(Op::Submit {
            text: prompt,
            attachments: Vec::new(),
        });
        while let Some(event) = events.recv().await {
            let line = progress.line(&event);
            if json {
                writeln!(out, "{}", serde_json::to_string(&event)?)?;
            } else if let Some(line) = line {
                eprintln!("{line}");
            }
            match &event {
                Event::AssistantMessage { text, .. } if !json && !text.is_empty() => {
                    played += 1;
                    writeln!(out, "{text}\n")?;
                }
                Event::ToolCall {
                    name, arguments, ..
                } if !json => eprintln!("→ {name} {arguments}"),
                Event::AssistantMessage { .. } => played += 1,
                // Past the last recorded reply, the script has nothing more: where the
                // recording itself ended (a prompt it never answered), that is the end.
                Event::Error { .. } if played >= replies => {
                    eprintln!("gearshift: every recorded reply was played ({played})");
                    break 'steps;
                }
                Event::Error { message, .. } | Event::Refused { message, .. } => {
                    failure = Some(message.clone());
                    break 'steps;
                }
                Event::PlanProposed { .. } => plan_done = false,
                Event::TurnFinished { .. } => {
                    let plan_runs = gear == Gear::Plan && progress.plan.is_some() && !plan_done;
                    let stages_run = gear == Gear::Pipeline
                        && progress.run.as_ref().is_some_and(|r| !r.finished());
                    if !plan_runs && !stages_run {
                        break;
                    }
                }
                Event::PlanCompleted { .. } => {
                    plan_done = true;
                    break;
                }
                _ => {}
            }
        }
    }
    let _ = op_tx.send(Op::Quit);
    while events.recv().await.is_some() {}
    let _ = core.await;
    Ok(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_and_gear_changes_are_replayed_in_order() {
        let events = vec![
            Event::GearChanged {
                from: Gear::Vibe,
                to: Gear::Plan,
            },
            Event::UserMessage {
                text: "plan it".into(),
                attachments: vec![],
            },
            Event::TurnStarted { turn: 1 },
            Event::UserMessage {
                text: "and this".into(),
                attachments: vec![],
            },
        ];
        assert_eq!(
            steps(&events),
            [
                Step::Gear(Gear::Plan),
                Step::Prompt("plan it".into()),
                Step::Prompt("and this".into())
            ]
        );
    }
}
