//! Memory over a long session, in the release binary in a 120×40 pseudo-terminal:
//! 1. a database holding one session of 2,000 turns (a prompt, a Markdown reply with code, a
//!    `read_file` call with its 40-line result, the turn's usage) is resumed, and the resident
//!    memory read once the first frame is drawn and the process is idle;
//! 2. a soak: one process runs `SOAK_TURNS` turns against the scripted model (each a tool call,
//!    its result and a Markdown reply), scrolling to the top and back now and then as a user
//!    reads; its memory is read at the end, and compared with a fresh resume of the same session.
//!
//! Run: `cargo bench --bench soak`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use gearshift::protocol::{Event, FinishReason, Gear, SessionMeta};
use gearshift::store::Store;

const RESUME_TURNS: usize = 2_000;
const SOAK_TURNS: usize = 250;
const ID: &str = "0123456789abcdef0123456789abcdef";

fn reply(i: usize) -> String {
    format!(
        "## Step {i}\n\nThe **tokenizer** keeps `offsets` for every token, so the parser can \
         point at the exact column when it reports an error. I changed `parse_expr` to carry \
         them through, and added a test for the column of an unclosed bracket.\n\n\
         ```rust\nfn column(offsets: &[usize], at: usize) -> usize {{\n    \
         offsets.partition_point(|&o| o <= at) + {i}\n}}\n```\n\n\
         - the lexer is unchanged\n- `cargo test` passes: 214 tests\n\nEND{i}"
    )
}

fn file_text() -> String {
    (1..=40)
        .map(|n| format!("fn line_{n}(input: &str) -> Option<usize> {{ input.find('{n}') }}\n"))
        .collect()
}

fn history(workspace: &str) -> Vec<Event> {
    let mut out = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: ID.into(),
            workspace: workspace.into(),
            gear: Gear::Vibe,
            provider: "scripted".into(),
            model: "s".into(),
            created_at: 0,
            subagent: None,
        },
    }];
    let content: String = file_text()
        .lines()
        .enumerate()
        .map(|(n, l)| format!("{:>6}\t{l}\n", n + 1))
        .collect();
    for i in 0..RESUME_TURNS {
        let id = format!("call_{i}");
        out.extend([
            Event::UserMessage {
                text: format!("prompt {i}: look at the parser and fix the column"),
                attachments: vec![],
            },
            Event::ToolCall {
                id: id.clone(),
                name: "read_file".into(),
                arguments: "{\"path\":\"src/lib.rs\"}".into(),
            },
            Event::ToolResult {
                id,
                ok: true,
                content: content.clone(),
                summary: "src/lib.rs: lines 1-40 of 40".into(),
                duration_ms: 2,
            },
            Event::AssistantMessage {
                text: reply(i),
                interrupted: false,
            },
            Event::Usage {
                input: 12_000,
                output: 300,
                cached: 11_000,
                cache_write: 0,
                reasoning: 0,
                cost: None,
                request: None,
            },
            Event::TurnFinished {
                reason: FinishReason::Stop,
            },
        ]);
    }
    out
}

/// A home with the scripted model playing `turns` turns, and a workspace with `src/lib.rs`.
fn home(turns: usize) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("src")).unwrap();
    std::fs::write(home.path().join("src/lib.rs"), file_text()).unwrap();
    let mut script = String::new();
    for i in 0..turns {
        script.push_str(
            "[[turns]]\n[[turns.tool_calls]]\nname = \"read_file\"\narguments = { path = \"src/lib.rs\" }\n\n",
        );
        script.push_str(&format!("[[turns]]\ntext = {:?}\n\n", reply(i)));
    }
    std::fs::write(home.path().join("script.toml"), script).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "provider = \"scripted\"\n[providers.scripted]\nkind = \"script\"\nmodel = \"s\"\ncontext_window = 1000000\nscript = \"{}\"\n",
            home.path().join("script.toml").display()
        ),
    )
    .unwrap();
    home
}

/// Resident memory of `pid` in MB.
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb / 1024.0
}

struct Screen {
    run: common::Running,
    parser: vt100::Parser,
}

impl Screen {
    fn new(run: common::Running) -> Screen {
        Screen {
            run,
            parser: vt100::Parser::new(40, 120, 0),
        }
    }

    fn wait(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.parser.screen().contents().contains(needle) {
            let chunk = self
                .run
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!(
                        "{needle:?} never appeared:\n{}",
                        self.parser.screen().contents()
                    )
                });
            self.parser.process(&chunk);
        }
    }

    /// Reads output until nothing arrives for half a second.
    fn settle(&mut self) {
        while let Ok(chunk) = self.run.rx.recv_timeout(Duration::from_millis(500)) {
            self.parser.process(&chunk);
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.run.writer.write_all(bytes).unwrap();
        self.run.writer.flush().unwrap();
    }

    fn rss(&mut self) -> f64 {
        self.settle();
        rss_mb(self.run.child.process_id().unwrap())
    }
}

fn resume(home: &Path) -> f64 {
    let h = home.to_str().unwrap();
    let mut s = Screen::new(common::spawn(&[
        "--home",
        h,
        "--workspace",
        h,
        "--resume",
        &ID[..10],
    ]));
    s.wait("END");
    let mb = s.rss();
    s.run.kill();
    mb
}

fn main() {
    let h = home(0);
    let ws = h.path().canonicalize().unwrap();
    let store = Store::open(&h.path().join("gearshift.db")).unwrap();
    store
        .append_blocking(ID, history(ws.to_str().unwrap()))
        .unwrap();
    store.close();
    let runs: Vec<f64> = (0..3).map(|_| resume(h.path())).collect();
    println!(
        "resume a {RESUME_TURNS}-turn session: {:.1} MB resident (runs: {runs:.1?})",
        runs.iter().copied().fold(f64::MAX, f64::min)
    );
    drop(h);

    let h = home(SOAK_TURNS);
    let p = h.path().to_str().unwrap();
    let mut s = Screen::new(common::spawn(&["--home", p, "--workspace", p]));
    s.wait("Ask the model");
    let started = Instant::now();
    let fresh = s.rss();
    for i in 0..SOAK_TURNS {
        s.send(format!("prompt {i}: look at the parser\r").as_bytes());
        s.wait(&format!("END{i}"));
        if i % 25 == 24 {
            // Read back to the start, and follow again.
            s.send(b"\tg");
            s.wait("prompt 0:");
            s.send(b"G\x1b1");
            s.wait(&format!("END{i}"));
        }
    }
    let live = s.rss();
    println!(
        "soak: {SOAK_TURNS} turns in {:.0?}; {fresh:.1} MB at start, {live:.1} MB at the end",
        started.elapsed()
    );
    s.run.kill();
    let h2 = h.path().to_str().unwrap();
    let mut r = Screen::new(common::spawn(&[
        "--home",
        h2,
        "--workspace",
        h2,
        "--continue",
    ]));
    r.wait(&format!("END{}", SOAK_TURNS - 1));
    let resumed = r.rss();
    r.run.kill();
    println!(
        "fresh resume of the soaked session: {resumed:.1} MB; the long-lived process holds {:+.1} MB more",
        live - resumed
    );
}
