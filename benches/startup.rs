//! Process start to first complete frame, idle memory and idle CPU of the release binary,
//! driven in a real pseudo-terminal. Run: `cargo bench --bench startup`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::time::Duration;

const RUNS: usize = 30;

fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_str().unwrap();
    let args = ["--home", h, "--workspace", h];
    // One warm-up run creates and migrates the database, as on a user's second start.
    let r = common::spawn(&args);
    r.first_frame();
    r.kill();

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let r = common::spawn(&args);
        let frame = r.first_frame();
        times.push((frame - r.started).as_secs_f64() * 1000.0);
        r.kill();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "start to first complete frame (120x40, {RUNS} runs): median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        times[0],
        times[times.len() - 1]
    );

    let r = common::spawn(&args);
    r.first_frame();
    let pid = r.child.process_id().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let rss = proc_field(pid, "status", "VmRSS:");
    let hwm = proc_field(pid, "status", "VmHWM:");
    let before = common::cpu_ticks(pid);
    let idle = Duration::from_secs(10);
    std::thread::sleep(idle);
    let ticks = common::cpu_ticks(pid) - before;
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
    r.kill();
}
