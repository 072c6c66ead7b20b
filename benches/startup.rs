//! Process start to first complete frame, idle memory and idle CPU of the release binary,
//! driven in a real pseudo-terminal. Run: `cargo bench --bench startup`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Read;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const RUNS: usize = 30;
/// The end of a synchronized update: a frame is complete when this arrives.
const FRAME_END: &[u8] = b"\x1b[?2026l";

struct Running {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    _writer: Box<dyn std::io::Write + Send>,
}

fn spawn(home: &std::path::Path) -> (Running, Instant) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_gearshift"));
    cmd.arg("--home");
    cmd.arg(home);
    cmd.arg("--workspace");
    cmd.arg(home);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("OPENAI_API_KEY");
    cmd.env_remove("ANTHROPIC_API_KEY");
    let start = Instant::now();
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
    (
        Running {
            child,
            rx,
            _master: pair.master,
            _writer: writer,
        },
        start,
    )
}

fn wait_first_frame(r: &Running) -> Instant {
    let mut seen = Vec::new();
    loop {
        let bytes =
            r.rx.recv_timeout(Duration::from_secs(10))
                .expect("no frame within 10 s");
        seen.extend_from_slice(&bytes);
        if seen.windows(FRAME_END.len()).any(|w| w == FRAME_END) {
            return Instant::now();
        }
    }
}

fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    // One warm-up run creates and migrates the database, as on a user's second start.
    let (mut r, _) = spawn(home.path());
    wait_first_frame(&r);
    r.child.kill().unwrap();
    let _ = r.child.wait();

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let (mut r, start) = spawn(home.path());
        let frame = wait_first_frame(&r);
        times.push((frame - start).as_secs_f64() * 1000.0);
        r.child.kill().unwrap();
        let _ = r.child.wait();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "start to first complete frame (120x40, {RUNS} runs): median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        times[0],
        times[times.len() - 1]
    );

    let (mut r, _) = spawn(home.path());
    wait_first_frame(&r);
    let pid = r.child.process_id().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let rss = proc_field(pid, "status", "VmRSS:");
    let hwm = proc_field(pid, "status", "VmHWM:");
    let before = cpu_ticks(pid);
    let idle = Duration::from_secs(10);
    std::thread::sleep(idle);
    let ticks = cpu_ticks(pid) - before;
    // Linux reports CPU time in USER_HZ = 100 ticks per second.
    let cpu_pct = ticks as f64 / 100.0 / idle.as_secs_f64() * 100.0;
    println!(
        "idle RSS after first frame: {:.1} MB (peak {:.1} MB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!(
        "idle CPU over {} s: {ticks} ticks = {cpu_pct:.2}% of a core",
        idle.as_secs()
    );
    r.child.kill().unwrap();
    let _ = r.child.wait();
}
