//! `run_command`: a shell command in the workspace, in its own process group.
//!
//! stdout and stderr share one pipe, so the model reads them interleaved as a terminal would.
//! On timeout the whole group gets SIGTERM, then SIGKILL after a grace period; when the call is
//! dropped (cancel) the group is killed at once; when the command exits, stragglers it left in
//! the background are killed too, so nothing outlives the call or holds the pipe open. Output
//! keeps its head and its tail and says how much was cut in between.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;

use super::{ToolContext, ToolOutcome, parse_args};
use crate::provider::ToolCallRequest;

/// Between SIGTERM and SIGKILL on timeout.
const GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Head, the cut note, and tail.
    pub output: String,
    pub cut_bytes: usize,
    pub duration: Duration,
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
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

struct Captured {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
}

fn capture(mut reader: impl Read, keep: usize) -> Captured {
    let mut c = Captured {
        head: Vec::new(),
        tail: VecDeque::new(),
        total: 0,
    };
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        c.total += n;
        let mut chunk = &buf[..n];
        if c.head.len() < keep {
            let take = (keep - c.head.len()).min(chunk.len());
            c.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        c.tail.extend(chunk);
        while c.tail.len() > keep {
            c.tail.pop_front();
        }
    }
    c
}

/// Runs `command` with `sh -c` in `cwd`.
pub async fn run_command(
    command: &str,
    cwd: &Path,
    timeout: Duration,
    keep_bytes: usize,
) -> std::io::Result<CommandOutput> {
    let started = Instant::now();
    let (reader, writer) = std::io::pipe()?;
    let writer_err = writer.try_clone()?;
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_err)
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    // Our copies of the pipe's write end must close, or the reader never sees the end.
    drop(cmd);
    let guard = GroupGuard {
        pgid: child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw),
    };
    let reader = tokio::task::spawn_blocking(move || capture(reader, keep_bytes));

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
    let captured = reader.await.map_err(std::io::Error::other)?;
    let cut_bytes = captured.total - captured.head.len() - captured.tail.len();
    let mut output = String::from_utf8_lossy(&captured.head).into_owned();
    if cut_bytes > 0 {
        output.push_str(&format!(
            "\n[… {cut_bytes} bytes of output cut here; the first and last {keep_bytes} bytes are kept …]\n"
        ));
    }
    let tail: Vec<u8> = captured.tail.into_iter().collect();
    output.push_str(&String::from_utf8_lossy(&tail));
    Ok(CommandOutput {
        exit_code,
        timed_out,
        output,
        cut_bytes,
        duration: started.elapsed(),
    })
}

#[derive(Deserialize)]
struct Args {
    command: String,
    #[serde(default)]
    timeout_secs: Option<u64>,
}

pub async fn execute(call: &ToolCallRequest, ctx: &ToolContext) -> ToolOutcome {
    let args: Args = match parse_args(call) {
        Ok(a) => a,
        Err(e) => return e.into(),
    };
    let timeout = args
        .timeout_secs
        .map_or(ctx.limits.command_timeout, Duration::from_secs);
    let result = run_command(
        &args.command,
        ctx.workspace.root(),
        timeout,
        ctx.limits.output_keep_bytes,
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
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_string(),
        }
    };
    let mut content = out.output;
    if !content.is_empty() && !content.ends_with('\n') {
        content.push('\n');
    }
    content.push_str(&format!("[{status}]"));
    let first_line = args.command.lines().next().unwrap_or_default();
    ToolOutcome {
        ok: out.exit_code == Some(0) && !out.timed_out,
        content,
        summary: format!(
            "$ {first_line} → {status} ({:.1} s)",
            out.duration.as_secs_f64()
        ),
        change: None,
    }
}
