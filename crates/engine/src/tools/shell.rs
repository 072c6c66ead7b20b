//! `run_command`: a shell command in the workspace, in the sandbox, in its own process group.
//!
//! stdout and stderr share one pipe, so the model reads them interleaved as a terminal would.
//! The command runs through the [sandbox](gearshift_sandbox) (where it and everything it starts
//! live in their own PID namespace, so they all end with the call) with the scrubbed
//! environment of [`Secrets`]. On timeout the whole group gets SIGTERM, then SIGKILL after a
//! grace period; when the call is dropped (cancel) the group is killed at once; when the
//! command exits, stragglers left in its group are killed too. Whatever still holds the output
//! pipe after that (only possible without the sandbox) is not waited for. Output keeps its head
//! and its tail and says how much was cut in between.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;

use super::writes::Hold;
use super::{Secrets, ToolContext, ToolOutcome, Writes, parse_args};
use crate::protocol::ToolCallRequest;
use gearshift_sandbox::Sandbox;

/// Between SIGTERM and SIGKILL on timeout.
const GRACE: Duration = Duration::from_secs(2);
/// How long the output is still read after the command's group is gone.
const DRAIN: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Head, the cut note, and tail (stdout alone when [`Io::split_stderr`] is set).
    pub output: String,
    /// stderr, when kept apart ([`Io::split_stderr`]); head and tail as `output`.
    pub errors: String,
    pub cut_bytes: usize,
    pub duration: Duration,
}

/// What a command reads and how its output is kept, beyond the defaults of `run` (no input,
/// stdout and stderr interleaved as a terminal shows them).
#[derive(Debug, Clone, Default)]
pub struct Io {
    /// Written to the command's stdin, which is then closed.
    pub stdin: Option<Vec<u8>>,
    /// Variables added to the scrubbed environment.
    pub env: Vec<(String, String)>,
    /// stderr goes to [`CommandOutput::errors`] instead of joining stdout.
    pub split_stderr: bool,
    /// The workspace under this overlay: the command's writes are held there.
    pub overlay: Option<gearshift_sandbox::Overlay>,
}

/// How commands run: in which sandbox, with which environment.
#[derive(Debug, Clone)]
pub struct CommandRunner {
    pub sandbox: Sandbox,
    pub secrets: Secrets,
}

/// Kills the process group when dropped, unless disarmed.
struct GroupGuard {
    pgid: Option<Pid>,
}

impl GroupGuard {
    fn signal(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            let _ = killpg(pgid, signal);
        }
    }
}

impl Drop for GroupGuard {
    /// The call ended (or was cancelled): the group gets SIGTERM now — the sandbox helper then
    /// ends everything the command started, however it detached — and SIGKILL shortly after,
    /// should anything still be there.
    fn drop(&mut self) {
        self.signal(Signal::SIGTERM);
        // Only while the group still has members: an empty group's ID may be reused.
        if let Some(pgid) = self.pgid
            && killpg(pgid, None).is_ok()
        {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1500));
                let _ = killpg(pgid, Signal::SIGKILL);
            });
        }
    }
}

#[derive(Default)]
struct Captured {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
    done: bool,
}

/// Reads everything into `into`, keeping `keep` bytes at each end. Runs until the pipe closes.
fn capture(mut reader: impl Read, keep: usize, into: &Mutex<Captured>) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let Ok(mut c) = into.lock() else { return };
        c.total += n;
        let mut chunk = &buf[..n];
        if c.head.len() < keep {
            let take = (keep - c.head.len()).min(chunk.len());
            c.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        c.tail.extend(chunk);
        let excess = c.tail.len().saturating_sub(keep);
        c.tail.drain(..excess);
    }
    if let Ok(mut c) = into.lock() {
        c.done = true;
    }
}

impl CommandRunner {
    /// Runs `command` with `sh -c` in `cwd`, in the sandbox.
    pub async fn run(
        &self,
        command: &str,
        cwd: &Path,
        timeout: Duration,
        keep_bytes: usize,
    ) -> std::io::Result<CommandOutput> {
        self.run_io(command, cwd, timeout, keep_bytes, Io::default())
            .await
    }

    /// [`CommandRunner::run`] with input, added variables, or stderr kept apart.
    pub async fn run_io(
        &self,
        command: &str,
        cwd: &Path,
        timeout: Duration,
        keep_bytes: usize,
        io: Io,
    ) -> std::io::Result<CommandOutput> {
        let started = Instant::now();
        let (reader, writer) = std::io::pipe()?;
        let (err_reader, writer_err) = if io.split_stderr {
            let (r, w) = std::io::pipe()?;
            (Some(r), w)
        } else {
            (None, writer.try_clone()?)
        };
        let (program, args) = match io.overlay {
            Some(overlay) => self.sandbox.argv_overlay(command, overlay),
            None => self.sandbox.argv(command),
        };
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(self.secrets.env.iter().map(|(k, v)| (k, v)))
            .envs(io.env.iter().map(|(k, v)| (k, v)))
            .stdin(if io.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(writer)
            .stderr(writer_err)
            // Not `kill_on_drop`: a SIGKILL to the sandbox helper would leave the command it
            // runs (in a process group of its own when there are no namespaces) orphaned and
            // running. Dropped, the guard below sends the group SIGTERM, which the helper
            // passes on (and makes SIGKILL a second later), then SIGKILL.
            .process_group(0);
        let mut child = cmd.spawn()?;
        // Our copies of the pipe's write end must close, or the reader never sees the end.
        drop(cmd);
        // The input is written beside the wait: a command that never reads it (or reads it
        // slowly) cannot block the run, and one that exits early only breaks the pipe.
        if let (Some(bytes), Some(mut stdin)) = (io.stdin, child.stdin.take()) {
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let _ = stdin.write_all(&bytes).await;
            });
        }
        let guard = GroupGuard {
            pgid: child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .map(Pid::from_raw),
        };
        let captured = Arc::new(Mutex::new(Captured::default()));
        let sink = Arc::clone(&captured);
        let reader = tokio::task::spawn_blocking(move || capture(reader, keep_bytes, &sink));
        let errors = Arc::new(Mutex::new(Captured::default()));
        let err_sink = Arc::clone(&errors);
        let err_task = err_reader
            .map(|r| tokio::task::spawn_blocking(move || capture(r, keep_bytes, &err_sink)));

        let (exit_code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
            Ok(status) => (status?.code(), false),
            Err(_) => {
                guard.signal(Signal::SIGTERM);
                let status = match tokio::time::timeout(GRACE, child.wait()).await {
                    Ok(s) => s?,
                    Err(_) => {
                        guard.signal(Signal::SIGKILL);
                        child.wait().await?
                    }
                };
                (status.code(), true)
            }
        };
        // Kill what the command left running in its group, so the pipe closes.
        drop(guard);
        // Something outside the group (a `setsid` child, without the sandbox) may still hold
        // the pipe: read on briefly, then return what arrived instead of waiting for it.
        let held = tokio::time::timeout(DRAIN, reader).await.is_err();
        if let Some(task) = err_task {
            let _ = tokio::time::timeout(DRAIN, task).await;
        }
        let (mut output, cut_bytes) = kept(&captured, keep_bytes)?;
        let (errors, _) = kept(&errors, keep_bytes)?;
        if held {
            output.push_str(
                "\n[a background process the command started still holds its output; it was \
                 not waited for]\n",
            );
        }
        Ok(CommandOutput {
            exit_code,
            timed_out,
            output: self.secrets.redact(&output),
            errors: self.secrets.redact(&errors),
            cut_bytes,
            duration: started.elapsed(),
        })
    }
}

/// The text captured: head, a note of how much was cut, and tail; and the bytes cut.
fn kept(captured: &Mutex<Captured>, keep_bytes: usize) -> std::io::Result<(String, usize)> {
    let c = captured
        .lock()
        .map_err(|_| std::io::Error::other("the output reader failed"))?;
    let cut_bytes = c.total - c.head.len() - c.tail.len();
    let mut text = String::from_utf8_lossy(&c.head).into_owned();
    if cut_bytes > 0 {
        text.push_str(&format!(
            "\n[… {cut_bytes} bytes of output cut here; the first and last {keep_bytes} bytes are kept …]\n"
        ));
    }
    let tail: Vec<u8> = c.tail.iter().copied().collect();
    text.push_str(&String::from_utf8_lossy(&tail));
    Ok((text, cut_bytes))
}

/// Runs `command` with `sh -c` in `cwd`, unsandboxed, with this process's environment (tests
/// and benchmarks; the session uses its [`CommandRunner`]).
pub async fn run_command(
    command: &str,
    cwd: &Path,
    timeout: Duration,
    keep_bytes: usize,
) -> std::io::Result<CommandOutput> {
    let runner = CommandRunner {
        sandbox: Sandbox::off(),
        secrets: Secrets::passthrough(std::env::vars().collect()),
    };
    runner.run(command, cwd, timeout, keep_bytes).await
}

#[derive(Deserialize)]
struct Args {
    command: String,
    #[serde(default)]
    timeout_secs: Option<u64>,
}

/// `run_command`: the command runs with its writes held (see [`super::writes`]); when it ends
/// they are sorted by the gate — written, proposed for review or refused — and the model is
/// told which files it changed and what became of them.
pub async fn execute(call: &ToolCallRequest, ctx: &ToolContext, writes: Writes) -> ToolOutcome {
    let args: Args = match parse_args(call) {
        Ok(a) => a,
        Err(e) => return e.into(),
    };
    // The model may ask for less time than the user allows, never more.
    let limit = ctx.limits.command_timeout;
    let timeout = args
        .timeout_secs
        .map_or(limit, |s| Duration::from_secs(s.max(1)).min(limit));
    // Until its writes are gathered (or put back), no other command of the session or its
    // subagents runs.
    let one = Arc::clone(&ctx.one_command).lock_owned().await;
    let hold = match Held::prepare(&ctx.workspace, &ctx.runner.sandbox).await {
        Ok(h) => h.holding(one),
        Err(why) => {
            return ToolOutcome::error(format!("`{}` was not run: {why}", args.command));
        }
    };
    let io = Io {
        overlay: hold.overlay(),
        ..Io::default()
    };
    let result = ctx
        .runner
        .run_io(
            &args.command,
            ctx.workspace.root(),
            timeout,
            ctx.limits.output_keep_bytes,
            io,
        )
        .await;
    let out = match result {
        Ok(o) => o,
        Err(e) => return ToolOutcome::error(format!("cannot run `{}`: {e}", args.command)),
    };
    let status = if out.timed_out {
        format!("killed: no exit within {} s", timeout.as_secs())
    } else {
        match out.exit_code {
            Some(126) if out.output.contains("gearshift sandbox:") => {
                "not run: the sandbox could not be set up".to_string()
            }
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_string(),
        }
    };
    let gathered = hold.gather(writes, ctx.runner.secrets.clone()).await;
    let mut content = out.output;
    if !content.is_empty() && !content.ends_with('\n') {
        content.push('\n');
    }
    content.push_str(&format!("[{status}]"));
    content.push_str(&gathered.report());
    let first_line = args.command.lines().next().unwrap_or_default();
    let files = match gathered.writes.len() {
        0 => String::new(),
        1 => " · 1 file".to_string(),
        n => format!(" · {n} files"),
    };
    ToolOutcome {
        ok: out.exit_code == Some(0) && !out.timed_out,
        content,
        // The call's duration is recorded with its result: not repeated here.
        summary: format!("$ {first_line} → {status}{files}"),
        writes: gathered.writes,
    }
}

/// A command's held writes until they are gathered; a command cancelled before that has its
/// held writes dropped (an overlay's layer is removed, a snapshot's differences put back).
/// Hooks that run in the sandbox are held the same way (`hooks::run`).
pub struct Held {
    hold: Option<Hold>,
    ws: super::Workspace,
    /// The session's one-command lock, when the command holds it: let go only once its
    /// writes are gathered or put back, so the next command's "before" is after them.
    one: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Held {
    /// Gets ready to hold the writes of a command in `ws` under `sandbox`; the error says
    /// why they cannot be held, and the command must not run.
    pub async fn prepare(ws: &super::Workspace, sandbox: &Sandbox) -> Result<Held, String> {
        let (w, s) = (ws.clone(), sandbox.clone());
        match tokio::task::spawn_blocking(move || Hold::prepare(&w, &s)).await {
            Ok(Ok(hold)) => Ok(Held {
                hold: Some(hold),
                ws: ws.clone(),
                one: None,
            }),
            Ok(Err(why)) => Err(why),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Keeps `one` (the session's one-command lock) until the writes are dealt with.
    #[must_use]
    pub fn holding(mut self, one: tokio::sync::OwnedMutexGuard<()>) -> Held {
        self.one = Some(one);
        self
    }

    #[must_use]
    pub fn overlay(&self) -> Option<gearshift_sandbox::Overlay> {
        self.hold.as_ref().and_then(|h| h.overlay(&self.ws))
    }

    /// Sorts the held writes through the gate (see [`super::writes::gather`]).
    pub async fn gather(mut self, writes: Writes, secrets: Secrets) -> super::writes::Gathered {
        let Some(hold) = self.hold.take() else {
            return super::writes::Gathered::default();
        };
        let ws = self.ws.clone();
        tokio::task::spawn_blocking(move || super::writes::gather(&ws, hold, writes, &secrets))
            .await
            .unwrap_or_default()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            let ws = self.ws.clone();
            let one = self.one.take();
            // Nothing is kept of a cancelled command's writes but its ignored build outputs;
            // the next command waits until they are put back.
            std::thread::spawn(move || {
                super::writes::discard(&ws, hold);
                drop(one);
            });
        }
    }
}
