//! A 20,000-word reply streamed as fast as a local server can send it, into the real release
//! binary in a pseudo-terminal: the delay from the server's last byte to the last word on
//! screen, and the CPU time gearshift spent on the turn. Run: `cargo bench --bench stream`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use common::stream;

const RUNS: usize = 5;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = stream::body();
    println!(
        "reply: {} words, {} bytes of SSE",
        stream::WORDS,
        body.len()
    );
    for run in 0..RUNS {
        let (lag, cpu) = stream::turn(&rt, &body, &[]);
        println!(
            "run {run}: last word on screen {:.0} ms after the last byte; gearshift CPU for the turn {cpu:.2} s",
            lag.as_secs_f64() * 1000.0,
        );
    }
}
