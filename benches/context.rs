//! Context accounting of a 200-message session: the first accounting, re-accounting after one
//! new message (what the actor does after every event), and the memory it all adds.
//! Run: `cargo bench --bench context`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use gearshift::config::{Config, DEFAULTS_TOML};
use gearshift::context::Ledger;
use gearshift::core::{SessionState, accounting};
use gearshift::protocol::Event;

/// Resident memory of this process in KB.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// 200 messages: prompts, replies, tool calls and results of 1–8 KB, like a working session.
fn events(messages: usize) -> Vec<Event> {
    let code = include_str!("../tests/corpus/rust.rs.txt");
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < messages {
        out.push(Event::UserMessage {
            text: format!("step {i}: now look at the parser and fix the error handling"),
            attachments: vec![],
        });
        out.push(Event::ToolCall {
            id: format!("c{i}"),
            name: "read_file".into(),
            arguments: format!("{{\"path\":\"src/parser_{i}.rs\"}}"),
        });
        out.push(Event::ToolResult {
            id: format!("c{i}"),
            ok: true,
            content: code[..(1_000 + (i * 977) % 7_000).min(code.len())].to_string(),
            summary: String::new(),
            duration_ms: 2,
        });
        out.push(Event::AssistantMessage {
            text: "The parser drops the error's position; here is the fix.\n\n```rust\nfn parse() {}\n```\n"
                .repeat(3),
            interrupted: false,
        });
        i += 1;
    }
    out
}

fn main() {
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    let provider = config.active_provider().unwrap();
    let memory = "\n\n# Project instructions from AGENTS.md\n\nRun cargo test before finishing.";

    let registry = gearshift::tools::Registry::builtin();
    let base = rss_kb();
    let history = events(200);
    let mut state = SessionState::fold(&history);
    let with_state = rss_kb();
    let mut ledger = Ledger::default();
    let t = Instant::now();
    let report = accounting::account(&mut ledger, &state, &provider, memory, "", &registry);
    let first = t.elapsed();
    let with_ledger = rss_kb();
    println!(
        "200 messages ({} items, {} tokens): first accounting {first:?}",
        report.items.len(),
        report.used()
    );

    let mut times: Vec<Duration> = Vec::new();
    for n in 0..200 {
        let e = Event::UserMessage {
            text: format!("one more prompt {n}"),
            attachments: vec![],
        };
        state.apply(&e);
        let t = Instant::now();
        std::hint::black_box(accounting::account(
            &mut ledger,
            &state,
            &provider,
            memory,
            "",
            &registry,
        ));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "re-accounting after one new message (200 → 400 messages): median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    println!(
        "memory: the 200-message session state {} KB; the ledger and a report on top {} KB",
        with_state.saturating_sub(base),
        with_ledger.saturating_sub(with_state)
    );
}
