//! The token estimator's speed on 1 MB of mixed text (prose, code, JSON, Chinese).
//! Run: `cargo bench --bench estimate`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use gearshift::context::estimate_tokens;

fn main() {
    let corpus = [
        include_str!("../tests/corpus/prose.md"),
        include_str!("../tests/corpus/rust.rs.txt"),
        include_str!("../tests/corpus/python.py.txt"),
        include_str!("../tests/corpus/typescript.ts.txt"),
        include_str!("../tests/corpus/data.json"),
        include_str!("../tests/corpus/chinese.txt"),
    ]
    .concat();
    let mut text = String::new();
    while text.len() < 1_000_000 {
        text.push_str(&corpus);
    }
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(estimate_tokens(std::hint::black_box(&text)));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "estimate {:.2} MB of mixed text: median {:?}, max {:?} ({} tokens)",
        text.len() as f64 / 1e6,
        times[15],
        times[29],
        estimate_tokens(&text)
    );
}
