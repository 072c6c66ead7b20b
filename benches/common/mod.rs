//! Shared by the benchmark harnesses: the release binary in a 120×40 pseudo-terminal.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub mod seed;
pub mod stream;

/// The end of a synchronized update: a frame is complete when this arrives.
pub const FRAME_END: &[u8] = b"\x1b[?2026l";

pub struct Running {
    pub child: Box<dyn Child + Send + Sync>,
    /// Output as it arrives.
    pub rx: Receiver<Vec<u8>>,
    pub writer: Box<dyn Write + Send>,
    /// Taken just before the process was started.
    pub started: Instant,
    _master: Box<dyn MasterPty + Send>,
}

/// The binary measured: the one this `cargo bench` built, or `GEARSHIFT_BENCH_BIN` — so the
/// same harness can compare binaries built with other profiles (BENCHMARKS.md, "Build").
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("GEARSHIFT_BENCH_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_gearshift").into(), Into::into)
}

/// Starts `gearshift ARGS` with no API keys in its environment.
pub fn spawn(args: &[&str]) -> Running {
    spawn_env(args, &[])
}

/// [`spawn`] with these variables set.
pub fn spawn_env(args: &[&str], env: &[(&str, &str)]) -> Running {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(binary());
    for a in args {
        cmd.arg(a);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("OPENAI_API_KEY");
    cmd.env_remove("ANTHROPIC_API_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let writer = pair.master.take_writer().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        rx,
        writer,
        started,
        _master: pair.master,
    }
}

/// Starts `gearshift` with its home and workspace in `home`, talking to the OpenAI-compatible
/// server at `url` as the model `bench`.
pub fn against(url: &str, home: &std::path::Path) -> Running {
    against_env(url, home, &[])
}

/// [`against`] with these variables set.
pub fn against_env(url: &str, home: &std::path::Path, env: &[(&str, &str)]) -> Running {
    let h = home.to_str().unwrap();
    spawn_env(
        &[
            "--home",
            h,
            "--workspace",
            h,
            "--base-url",
            url,
            "--model",
            "bench",
        ],
        env,
    )
}

impl Running {
    /// Waits for the end of the first frame; returns when it arrived.
    pub fn first_frame(&self) -> Instant {
        let mut seen = Vec::new();
        loop {
            let bytes = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("no frame within 20 s");
            seen.extend_from_slice(&bytes);
            if seen.windows(FRAME_END.len()).any(|w| w == FRAME_END) {
                return Instant::now();
            }
        }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process's CPU time so far (utime + stime) in clock ticks (100 a second on Linux).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// The process's CPU time so far in nanoseconds: every live thread's `schedstat` summed (a
/// finer clock than [`cpu_ticks`]' hundredths, for differences of a few percent).
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
