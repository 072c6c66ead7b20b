//! Resuming a long session: a database with one session of 5,000 messages (prompts, Markdown
//! replies with code, tool calls and results) is resumed by the release binary in a 120×40
//! pseudo-terminal; the time from process start to the end of the first frame is measured.
//! Run: `cargo bench --bench resume`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Read;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::store::Store;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const RUNS: usize = 10;
const FRAME_END: &[u8] = b"\x1b[?2026l";

fn history(workspace: &str, messages: usize) -> Vec<Event> {
    let mut out = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: "0123456789abcdef0123456789abcdef".into(),
            workspace: workspace.into(),
            gear: Gear::Vibe,
            provider: "demo".into(),
            model: "demo".into(),
            created_at: 0,
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
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_gearshift"));
        for a in [
            "--home",
            home.path().to_str().unwrap(),
            "--workspace",
            ws.to_str().unwrap(),
            "--resume",
            "0123456789",
        ] {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        let start = Instant::now();
        let mut child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let (tx, rx) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            let bytes = rx.recv_timeout(Duration::from_secs(20)).expect("no frame");
            seen.extend_from_slice(&bytes);
            if seen.windows(FRAME_END.len()).any(|w| w == FRAME_END) {
                break;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        child.kill().unwrap();
        let _ = child.wait();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "resume to first frame ({RUNS} runs): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
}
