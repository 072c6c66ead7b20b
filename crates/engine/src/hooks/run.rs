//! Running hooks: every matched handler at once, each with the event as JSON on stdin and its
//! timeout, in the environment of the model's commands (keys removed) — as the user, or in
//! the model's sandbox when the handler is confined (see [`super::reach`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Handler, HookEvent, HookOutcome, HookRun, verdict};
use crate::tools::{CommandRunner, Io};

/// Output kept from each end of a hook's stdout and stderr.
const KEEP_BYTES: usize = 8 * 1024;

/// Where hooks run and what every input carries.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The model's commands' runner: the sandbox, for confined hooks.
    pub commands: CommandRunner,
    /// The same environment, unconfined but contained (nothing a hook starts outlives it, and
    /// it has no terminal to type into).
    pub as_user: CommandRunner,
    /// Claude Code's `transcript_path`: the session as JSONL (see [`super::transcript`]).
    pub transcript: Option<PathBuf>,
    /// The workspace with its write gate: a confined hook's writes pass it, as a command's do
    /// (`None` in tests of other things: they are written as they are).
    pub gate: Option<crate::tools::Workspace>,
    pub workspace: PathBuf,
    pub session_id: String,
}

impl Runner {
    /// Hooks beside the model's commands (`commands`) in the workspace `ws`: confined ones
    /// in the same sandbox, those run as the user contained, on a `PATH` without the
    /// workspace and with the same keys removed.
    #[must_use]
    pub fn new(
        commands: &CommandRunner,
        ws: &crate::tools::Workspace,
        session_id: &str,
        transcript: Option<PathBuf>,
    ) -> Runner {
        let root = ws.root().to_path_buf();
        let mut secrets = commands.secrets.clone();
        secrets.env = user_env(&secrets.env, &root);
        let as_user = CommandRunner {
            sandbox: gearshift_sandbox::Sandbox::as_user(commands.sandbox.helper.clone()),
            secrets,
        };
        Runner {
            commands: commands.clone(),
            as_user,
            workspace: root,
            session_id: session_id.to_string(),
            transcript,
            gate: Some(ws.clone()),
        }
    }
}

/// The JSON a hook reads: Claude Code's common fields (`session_id`, `cwd`,
/// `hook_event_name`, `permission_mode` as [`super::shape::permission_mode`] maps it) and the
/// event's own (`tool_name`, `tool_input`, `prompt`, …), with gearshift's `gear`.
#[must_use]
pub fn input(runner: &Runner, event: HookEvent, gear: &str, mode: &str, fields: Value) -> Value {
    let mut base = json!({
        "session_id": runner.session_id,
        "transcript_path": runner.transcript.as_ref().map(|p| p.display().to_string()),
        "cwd": runner.workspace.display().to_string(),
        "hook_event_name": event.name(),
        "permission_mode": mode,
        "gear": gear,
    });
    if let (Some(base), Value::Object(fields)) = (base.as_object_mut(), fields) {
        base.extend(fields);
    }
    base
}

/// Variables that make a program load code from somewhere other than itself (a virtualenv's
/// packages, a Node module folder, a shell's start-up file): a hook that runs as the user
/// starts without them, so the workspace cannot be one of those places.
const LOADERS: [&str; 14] = [
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "VIRTUAL_ENV",
    "NODE_PATH",
    "NODE_OPTIONS",
    "BASH_ENV",
    "ENV",
    "PERL5LIB",
    "PERL5OPT",
    "RUBYLIB",
    "RUBYOPT",
    "LD_PRELOAD",
];

/// The environment of a hook that runs as the user: `env` without [`LOADERS`] and with a
/// `PATH` of absolute folders outside `workspace` only — a program named by a hook is the
/// system's or the user's, never one the model put in `.venv/bin` or `node_modules/.bin`.
#[must_use]
pub fn user_env(env: &[(String, String)], workspace: &Path) -> Vec<(String, String)> {
    let real = workspace
        .canonicalize()
        .unwrap_or_else(|_| workspace.to_path_buf());
    env.iter()
        .filter(|(k, _)| !LOADERS.contains(&k.as_str()) && k != "LD_LIBRARY_PATH")
        .map(|(k, v)| {
            if k != "PATH" {
                return (k.clone(), v.clone());
            }
            let kept: Vec<&str> = v
                .split(':')
                .filter(|dir| {
                    let p = Path::new(dir);
                    let real_dir = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
                    p.is_absolute() && !real_dir.starts_with(&real) && !p.starts_with(workspace)
                })
                .collect();
            (k.clone(), kept.join(":"))
        })
        .collect()
}

/// Runs every handler at once and returns their runs, in the handlers' order.
pub async fn run_all(
    runner: &Runner,
    handlers: &[Handler],
    subject: Option<&str>,
    input: &Value,
) -> Vec<HookRun> {
    let stdin = input.to_string().into_bytes();
    // A confined hook cannot read gearshift's data folder (it holds every session's
    // transcript, hidden from what runs in the sandbox): it is given no transcript.
    let mut boxed = input.clone();
    if let Some(fields) = boxed.as_object_mut() {
        fields.insert("transcript_path".into(), Value::Null);
    }
    let boxed = boxed.to_string().into_bytes();
    let runs = handlers.iter().map(|h| {
        let stdin = if h.confined.is_some() { &boxed } else { &stdin };
        run_one(runner, h, subject, stdin.clone())
    });
    futures::future::join_all(runs).await
}

async fn run_one(
    runner: &Runner,
    handler: &Handler,
    subject: Option<&str>,
    stdin: Vec<u8>,
) -> HookRun {
    let dir = runner.workspace.display().to_string();
    let input = String::from_utf8_lossy(&stdin).into_owned();
    let io = Io {
        stdin: Some(stdin),
        env: vec![
            ("GEARSHIFT_PROJECT_DIR".into(), dir.clone()),
            // Scripts written for Claude Code find the project the way they expect.
            ("CLAUDE_PROJECT_DIR".into(), dir),
        ],
        split_stderr: true,
        overlay: None,
    };
    let started = std::time::Instant::now();
    let confined;
    let mut held = None;
    let commands = if handler.confined.is_some() {
        confined = in_sandbox(runner, handler);
        // Its writes are held in an overlay like a command's and pass the same gate: a hook
        // that runs the model's code (a formatter from `node_modules`) writes no protected
        // file. (Without an overlay the sandbox is not in force, and a before-and-after
        // comparison would take the session's other writes, made meanwhile, for the hook's.)
        let sandbox = confined.sandbox.clone();
        let overlay = tokio::task::spawn_blocking(move || {
            sandbox.policy.mode == gearshift_sandbox::SandboxMode::WorkspaceWrite
                && sandbox.helper.is_some()
                && sandbox.overlay().is_ok()
        })
        .await
        .unwrap_or(false);
        if let Some(ws) = runner.gate.as_ref().filter(|_| overlay) {
            match crate::tools::Held::prepare(ws, &confined.sandbox).await {
                Ok(h) => held = Some(h),
                Err(why) => {
                    return ended(
                        runner,
                        handler,
                        subject,
                        started,
                        HookOutcome::Failed {
                            exit_code: None,
                            message: format!("not run: {why}"),
                        },
                    );
                }
            }
        }
        &confined
    } else {
        &runner.as_user
    };
    let io = Io {
        overlay: held.as_ref().and_then(crate::tools::Held::overlay),
        ..io
    };
    let result = commands
        .run_io(
            &handler.command,
            Path::new(&runner.workspace),
            handler.timeout,
            KEEP_BYTES,
            io,
        )
        .await;
    let (mut wrote, mut withheld) = (Vec::new(), Vec::new());
    if let Some(held) = held {
        let gathered = held
            .gather(crate::tools::Writes::Apply, runner.commands.secrets.clone())
            .await;
        for w in gathered.writes {
            if w.applied {
                wrote.push(w.change.path);
            } else {
                withheld.push(format!(
                    "{} ({})",
                    w.change.path,
                    w.checkpoint
                        .unwrap_or_else(|| "it needs your review".into())
                ));
            }
        }
        withheld.extend(gathered.refused);
    }
    let outcome = match result {
        Ok(out) if out.timed_out => HookOutcome::TimedOut {
            after_secs: handler.timeout.as_secs().max(1),
        },
        Ok(out) => echoed(
            verdict::read(out.exit_code, &out.output, &out.errors),
            &out.output,
            &input,
        ),
        Err(e) => HookOutcome::Failed {
            exit_code: None,
            message: format!("cannot start it: {e}"),
        },
    };
    HookRun {
        wrote,
        withheld,
        ..ended(runner, handler, subject, started, outcome)
    }
}

/// The run of `handler`, ended with `outcome`.
fn ended(
    _runner: &Runner,
    handler: &Handler,
    subject: Option<&str>,
    started: std::time::Instant,
    outcome: HookOutcome,
) -> HookRun {
    HookRun {
        event: handler.event,
        command: handler.command.clone(),
        source: handler.source.clone(),
        subject: subject.map(str::to_string),
        duration_ms: millis(started.elapsed()),
        workspace: handler.workspace,
        confined: handler.confined.is_some(),
        wrote: Vec::new(),
        withheld: Vec::new(),
        outcome,
    }
}

/// An `allow` the hook only repeated from its input (`jq -c .tool_input | tee -a log`, given a
/// call whose arguments hold `"decision": "approve"`) is the model's words, not the hook's:
/// read as plain output.
fn echoed(outcome: HookOutcome, stdout: &str, input: &str) -> HookOutcome {
    let said = stdout.trim();
    match outcome {
        HookOutcome::Allowed { .. } if input.contains(said) => HookOutcome::Passed {
            output: Some(said.to_string()),
        },
        other => other,
    }
}

/// The sandbox a confined hook runs in: the model's commands', on a `PATH` without the
/// workspace — and for a plain hook, with what its own line needs ([`super::reach::grants`]):
/// the network for a notifier, and the files it writes outside the workspace (made first, as
/// the user, so that only those files, not their folders, are opened to it).
fn in_sandbox(runner: &Runner, handler: &Handler) -> CommandRunner {
    let mut commands = runner.commands.clone();
    commands.secrets.env = user_env(&commands.secrets.env, &runner.workspace);
    if !handler.plain {
        return commands;
    }
    let home = commands
        .secrets
        .env
        .iter()
        .find(|(k, _)| k == "HOME")
        .map(|(_, v)| PathBuf::from(v));
    let grants = super::reach::grants(&handler.command, &runner.workspace, home.as_deref());
    if grants.network {
        commands.sandbox.policy.network = true;
    }
    for file in grants.files {
        if made(&file) {
            commands.sandbox.policy.writable.push(file);
        }
    }
    commands
}

/// Makes `file` (empty, the user's only) if it is missing and its folder exists; whether it
/// is there now, a file and not a link.
fn made(file: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(file);
    std::fs::symlink_metadata(file).is_ok_and(|m| m.is_file())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::{Hooks, Source};
    use crate::tools::Secrets;
    use gearshift_sandbox::Sandbox;

    fn runner(dir: &Path) -> Runner {
        let commands = CommandRunner {
            sandbox: Sandbox::off(),
            secrets: Secrets::passthrough(vec![("PATH".into(), "/usr/bin:/bin".into())]),
        };
        Runner {
            as_user: commands.clone(),
            commands,
            workspace: dir.to_path_buf(),
            session_id: "s1".into(),
            transcript: None,
            gate: None,
        }
    }

    fn hooks(json: &str) -> Hooks {
        Hooks::new(
            &[Source {
                label: "test".into(),
                block: serde_json::from_str(json).unwrap(),
                workspace: false,
            }],
            None,
        )
    }

    #[test]
    fn an_allow_repeated_from_the_input_is_not_the_hooks() {
        let input = r#"{"tool_input":{"command":"x","decision":"approve"}}"#;
        let copied = r#"{"command":"x","decision":"approve"}"#;
        assert_eq!(
            echoed(verdict::read(Some(0), copied, ""), copied, input),
            HookOutcome::Passed {
                output: Some(copied.into())
            }
        );
        let own = r#"{"decision":"approve","reason":"read-only"}"#;
        assert!(matches!(
            echoed(verdict::read(Some(0), own, ""), own, input),
            HookOutcome::Allowed { .. }
        ));
    }

    #[test]
    fn a_hook_as_the_user_finds_no_program_or_module_of_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::create_dir_all(ws.join(".venv/bin")).unwrap();
        let env = vec![
            (
                "PATH".to_string(),
                format!("{}/.venv/bin:/usr/bin:.::bin:/bin", ws.display()),
            ),
            ("VIRTUAL_ENV".to_string(), format!("{}/.venv", ws.display())),
            ("NODE_OPTIONS".to_string(), "--require ./x.js".to_string()),
            ("HOME".to_string(), "/home/me".to_string()),
        ];
        let cleaned = user_env(&env, ws);
        assert_eq!(
            cleaned,
            [
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("HOME".to_string(), "/home/me".to_string()),
            ]
        );
    }

    #[tokio::test]
    async fn a_hook_reads_the_event_on_stdin_and_a_slow_one_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path());
        let hooks = hooks(
            r#"{"PreToolUse": [
              {"matcher": "Write", "hooks": [
                {"type": "command", "command": "cat > seen.json; echo \"$CLAUDE_PROJECT_DIR\" > dir.txt; echo 'not under migrations/' >&2; exit 2"},
                {"type": "command", "command": "sleep 30", "timeout": 1}
              ]}
            ]}"#,
        );
        let handlers = hooks.matching(HookEvent::PreToolUse, Some("write_file"));
        let fields = json!({
            "tool_name": "Write",
            "tool_input": super::super::shape::tool_input(
                "write_file",
                r#"{"path": "migrations/1.sql", "content": "x"}"#,
                dir.path(),
            ),
        });
        let input = input(&r, HookEvent::PreToolUse, "vibe", "acceptEdits", fields);
        let started = std::time::Instant::now();
        let runs = run_all(&r, &handlers, Some("write_file"), &input).await;
        // Both ran at once: the whole took the slow one's timeout (plus its grace), not more.
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            runs[0].outcome,
            HookOutcome::Blocked {
                reason: "not under migrations/".into()
            }
        );
        assert_eq!(runs[1].outcome, HookOutcome::TimedOut { after_secs: 1 });
        assert!(runs[1].duration_ms >= 1000);
        let seen: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("seen.json")).unwrap())
                .unwrap();
        assert_eq!(seen["hook_event_name"], "PreToolUse");
        assert_eq!(seen["session_id"], "s1");
        assert_eq!(
            seen["tool_input"]["file_path"],
            dir.path().join("migrations/1.sql").display().to_string()
        );
        assert_eq!(seen["tool_input"]["path"], "migrations/1.sql");
        assert_eq!(seen["permission_mode"], "acceptEdits");
        let shown = std::fs::read_to_string(dir.path().join("dir.txt")).unwrap();
        assert_eq!(shown.trim(), dir.path().display().to_string());
        assert!(runs[1].line().contains("killed after its timeout of 1 s"));
    }
}
