//! Resuming a long session: a database with one session of 5,000 messages (prompts, Markdown
//! replies with code, tool calls and results) is resumed by the release binary in a 120×40
//! pseudo-terminal; the time from process start to the end of the first frame is measured.
//! Run: `cargo bench --bench resume`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::store::Store;

const RUNS: usize = 10;

fn history(workspace: &str, messages: usize) -> Vec<Event> {
    let mut out = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: "0123456789abcdef0123456789abcdef".into(),
            workspace: workspace.into(),
            gear: Gear::Vibe,
            provider: "demo".into(),
            model: "demo".into(),
            created_at: 0,
            subagent: None,
        },
    }];
    for i in 0..messages {
        out.push(match i % 4 {
            0 => Event::UserMessage { text: format!("prompt {i}: look at the parser"), attachments: vec![] },
            1 => Event::AssistantMessage {
                text: format!("## Step {i}\n\nThe **tokenizer** keeps `offsets`.\n\n```rust\nfn f() -> u32 {{ {i} }}\n```"),
                interrupted: false,
            },
            2 => Event::ToolCall { id: format!("c{i}"), name: "read_file".into(), arguments: format!("{{\"path\":\"f{i}.rs\"}}") },
            _ => Event::ToolResult {
                id: format!("c{}", i - 1),
                ok: true,
                content: "     1\tfn main() {}\n".repeat(20),
                summary: "f.rs: lines 1-20 of 20".into(),
                duration_ms: 3,
            },
        });
    }
    out
}

fn main() {
    for messages in [5_000, 10_000] {
        measure(messages);
    }
}

fn measure(messages: usize) {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().canonicalize().unwrap();
    let store = Store::open(&home.path().join("gearshift.db")).unwrap();
    store
        .append_blocking(
            "0123456789abcdef0123456789abcdef",
            history(ws.to_str().unwrap(), messages),
        )
        .unwrap();
    store.close();
    let size: u64 = ["gearshift.db", "gearshift.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(home.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "session of {messages} messages; database {:.1} MB",
        size as f64 / 1e6
    );

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let r = common::spawn(&[
            "--home",
            home.path().to_str().unwrap(),
            "--workspace",
            ws.to_str().unwrap(),
            "--resume",
            "0123456789",
        ]);
        let frame = r.first_frame();
        times.push((frame - r.started).as_secs_f64() * 1000.0);
        r.kill();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "resume to first frame ({RUNS} runs): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
}
