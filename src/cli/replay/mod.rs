//! `gearshift replay ID`: plays a recorded session's model replies back through the scripted
//! provider — the same tool calls, in the same order — against a scratch copy of its
//! workspace, to reproduce a bug or show a session without a key or a network.
//!
//! What the human did is done again at the same points ([`human`], [`drive`]): prompts and
//! gear changes, plan edits (a reordered plan runs in its new order), steps run or marked done,
//! pipeline gates passed, sent back or skipped, undos, and files edited between turns (from the
//! diffs the model was told, [`edits`]). Hunks and commands are decided as the original's human
//! decided them ([`decisions`]): a hunk rejected stays rejected, a change sent back is sent
//! back. A replay never runs a command the original did not run, and runs none at all unless
//! the user asks (`--run-commands`): it says first which ones the original ran, and runs them —
//! and nothing pre-approved by an allowlist or a skill — in the full sandbox, without network.
//! MCP servers and hooks are not started. The replay is stored in its own database in the
//! scratch folder, never in the user's.

mod decisions;
mod drive;
mod edits;
mod human;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::Context;
use crate::config::{ActiveProvider, Config, ProviderConfig, ProviderKind};
use crate::core::{self, ApprovalMode, OpenRequest, SessionDeps};
use crate::protocol::{Event, Op, Verdict};
use crate::provider::script::{Script, ScriptClient};
use crate::store::Store;
use anyhow::Context as _;

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

pub fn run(ctx: &Context, id: &str, json: bool, run_commands: bool) -> anyhow::Result<ExitCode> {
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

    let (scratch, workspace, files, script_file) = scratch_copy(&from, &script)?;
    errln!(
        "gearshift: replaying session {} ({replies} replies, {calls} tool calls) in a copy of {} \
         ({files} files): {}",
        &id[..id.len().min(8)],
        from.display(),
        workspace.display()
    );

    let originals = decisions::recorded(&events);
    let ran: Vec<String> = originals
        .iter()
        .filter(|o| o.ran())
        .map(|o| o.name.clone())
        .collect();
    let said = decisions::Matcher::new(originals.clone());
    let ran_commands = said.commands_that_ran();
    // An imported session's record of what its human approved is evidence, not consent
    // given on this machine: it runs nothing.
    let imported = events.iter().any(|e| matches!(e, Event::Imported { .. }));
    let run_commands = run_commands && !imported;
    say_commands(&ran_commands, ran.len(), imported, run_commands);
    let config = replay_config(&ctx.loaded.config, script_file);
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
        ApprovalMode::Ask,
    )?;
    // Plans and gates wait for the human's acts, as they did in the original.
    deps.policy.plan = false;
    deps.policy.gates = false;
    // Every command asks — the replay answers as the original did — and nothing is
    // pre-approved.
    deps.allowlist = crate::tools::command::Allowlist::default();
    deps.skill_grants = false;
    // The verify stage's test command is the repository's code: run only when asked.
    deps.run_tests = run_commands;
    let acts = human::acts(&events);
    let mut end = human::Progress::default();
    for e in &events {
        end.see(e);
    }
    let replay_id = opened.state.id.clone();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let plan = Plan {
        acts,
        end: end.mark,
        replies,
        json,
        run_commands,
        originals: decisions::Matcher::new(originals),
    };
    let failure = runtime.block_on(drive::drive(deps, opened.state, plan))?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    store.close();
    errln!(
        "gearshift: replayed in {} — the replay's session {} is in {}",
        workspace.display(),
        &replay_id[..replay_id.len().min(8)],
        scratch.join("replay.db").display()
    );
    if let Some(message) = failure {
        errln!("gearshift: the replay stopped: {message}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// A private scratch folder holding a copy of the session's workspace (`from`) and the
/// script of its replies.
fn scratch_copy(
    from: &Path,
    script: &Script,
) -> anyhow::Result<(PathBuf, PathBuf, usize, PathBuf)> {
    let scratch = std::env::temp_dir().join(format!(
        "gearshift-replay-{}",
        &crate::store::new_session_id()[..8]
    ));
    crate::fsutil::private_dir(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let workspace = scratch.join("workspace");
    std::fs::create_dir(&workspace)?;
    let files = copy_workspace(from, &workspace)?;
    let script_file = scratch.join("script.toml");
    std::fs::write(&script_file, script.to_toml().map_err(anyhow::Error::msg)?)?;
    Ok((scratch, workspace, files, script_file))
}

/// Says which of the original's commands the replay runs again.
fn say_commands(
    ran_commands: &[&decisions::Original],
    ran: usize,
    imported: bool,
    run_commands: bool,
) {
    if imported && !ran_commands.is_empty() {
        errln!(
            "gearshift: this session was imported; what it records as approved was not approved \
             here, so the replay runs none of its {} command(s)",
            ran
        );
    } else if ran_commands.is_empty() {
        errln!("gearshift: the original ran no command; the replay runs none");
    } else if run_commands {
        errln!(
            "gearshift: the original ran {} command(s); the replay runs them again in the \
             sandbox, without network, and no other:",
            ran
        );
        for o in ran_commands {
            errln!("  {} {}", o.name, o.command.as_deref().unwrap_or_default());
        }
    } else {
        errln!(
            "gearshift: the original ran {} command(s); the replay runs none of them (their \
             results differ) — `--run-commands` runs those, in the sandbox, without network",
            ran
        );
    }
}

/// The user's config, made safe to replay in: only the script answers, nothing compacts on
/// its own, nothing of the user's (MCP servers, hooks) runs beside it, and its commands run
/// in the full sandbox without network.
fn replay_config(config: &Config, script_file: PathBuf) -> Config {
    let mut config = config.clone();
    // Only the script answers, and nothing compacts on its own: the replies come in order.
    config.routing = crate::config::Routing::default();
    config.context.compact_at = 0.0;
    // Nothing of the user's runs beside it, and its commands run in the full sandbox.
    config.mcp_servers.clear();
    config.imported_mcp.clear();
    config.foreign_mcp.clear();
    config.hooks = crate::hooks::HooksConfig::default();
    config.claude_hooks = false;
    config.imported_hooks.clear();
    config.sandbox.mode = crate::config::SandboxMode::WorkspaceWrite;
    config.sandbox.network = false;
    config.sandbox.allow_unix_sockets.clear();
    let settings = ProviderConfig {
        kind: ProviderKind::Script,
        script: Some(script_file),
        model: Some("replay".into()),
        ..ProviderConfig::default()
    };
    config.providers.insert("replay".into(), settings);
    config
}

/// What a replay sends and decides.
struct Plan {
    acts: Vec<human::Timed>,
    /// How far the original came.
    end: human::Mark,
    replies: usize,
    json: bool,
    run_commands: bool,
    originals: decisions::Matcher,
}

/// The answer to what the replay asks of a human, as the original's human answered — `None`
/// when the event asks nothing.
fn answer(plan: &mut Plan, event: &Event) -> Vec<Op> {
    match event {
        Event::ToolCall { id, .. } => {
            plan.originals.called(id);
            Vec::new()
        }
        Event::CommandApprovalRequested { id, command, .. } => {
            let original = plan.originals.original(id);
            let ran = original.is_some_and(decisions::Original::ran);
            // The replayed call must ask for exactly what the original call carried: a
            // recording whose decisions and calls disagree approves nothing.
            let same = original.is_some_and(|o| o.command.as_deref() == Some(command.as_str()));
            if ran && !same {
                vec![Op::DenyCommand {
                    call_id: id.clone(),
                    reason: Some("it is not the command the original call ran".into()),
                }]
            } else if ran && plan.run_commands {
                vec![Op::ApproveCommand {
                    call_id: id.clone(),
                    always: false,
                }]
            } else {
                let reason = if ran {
                    "the replay runs no command without --run-commands"
                } else {
                    "the original did not run it"
                };
                vec![Op::DenyCommand {
                    call_id: id.clone(),
                    reason: Some(reason.into()),
                }]
            }
        }
        Event::ChangeProposed { id, .. } => {
            let mut log = crate::changes::review::ChangeLog::default();
            log.apply(event);
            let Some(entry) = log.entries.first() else {
                return Vec::new();
            };
            let fate = plan.originals.fate(id);
            if fate.is_some_and(|f| f.sent_back) {
                return vec![Op::Repropose { change: id.clone() }];
            }
            let mut ops: Vec<Op> = entry
                .hunks
                .iter()
                .map(|h| Op::DecideHunk {
                    change: id.clone(),
                    hunk: h.id.clone(),
                    // A hunk the original human never saw decided is not written.
                    verdict: match fate {
                        Some(f) => f.verdicts.get(&h.id).cloned().unwrap_or(Verdict::Reject),
                        None => Verdict::Accept,
                    },
                })
                .collect();
            ops.push(Op::SubmitReview { change: id.clone() });
            ops
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_call_is_approved_only_for_the_command_its_original_call_carried() {
        let events = vec![
            Event::ToolCall {
                id: "a".into(),
                name: "run_command".into(),
                arguments: r#"{"command":"touch PWN"}"#.into(),
            },
            // A record whose decision names another command than its call.
            Event::CommandDecided {
                id: "a".into(),
                command: "ls".into(),
                decision: crate::protocol::CommandDecision::Once,
            },
        ];
        let originals = decisions::recorded(&events);
        assert_eq!(originals[0].command.as_deref(), Some("touch PWN"));
        let mut plan = Plan {
            acts: Vec::new(),
            end: human::Mark::default(),
            replies: 0,
            json: false,
            run_commands: true,
            originals: decisions::Matcher::new(originals),
        };
        answer(&mut plan, &events[0]);
        let asked = |command: &str| Event::CommandApprovalRequested {
            id: "a".into(),
            command: command.into(),
            checkpoint: None,
        };
        assert!(matches!(
            answer(&mut plan, &asked("ls"))[..],
            [Op::DenyCommand { .. }]
        ));
        assert!(matches!(
            answer(&mut plan, &asked("touch PWN"))[..],
            [Op::ApproveCommand { .. }]
        ));
    }
}
