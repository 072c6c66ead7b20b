//! UI hot paths on ratatui's TestBackend, in release mode: a 10,000-line bracketed paste, and
//! keystroke-to-frame with a long transcript. Run: `cargo bench --bench ui`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use gearshift::config::{Config, DEFAULTS_TOML};
use gearshift::core::{OpenedSession, SessionState};
use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::tui::app::App;
use gearshift::tui::keymap::Keymap;
use gearshift::tui::theme::Theme;
use gearshift::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

fn app(messages: usize) -> App {
    let mut history = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: "0123456789abcdef".into(),
            workspace: "/w".into(),
            gear: Gear::Vibe,
            provider: "demo".into(),
            model: "demo".into(),
            created_at: 0,
            subagent: None,
        },
    }];
    history.extend(gearshift_bench_history(messages));
    let opened = OpenedSession {
        state: SessionState::fold(&history),
        resumed: false,
    };
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    let mut app = App::new(
        Keymap::new(&BTreeMap::new()).unwrap(),
        Theme::load("dark", Path::new("/nonexistent")).unwrap(),
        &opened,
        &config.active_provider().unwrap(),
        Vec::new(),
        Rect::new(0, 0, 120, 40),
    );
    app.replay_all(&history);
    app
}

/// A mix of prompts, Markdown replies with code, and tool calls with results.
fn gearshift_bench_history(messages: usize) -> Vec<Event> {
    let mut out = Vec::with_capacity(messages);
    for i in 0..messages {
        out.push(match i % 4 {
            0 => Event::UserMessage { text: format!("prompt {i}: please look at the parser"), attachments: vec![] },
            1 => Event::AssistantMessage {
                text: format!(
                    "## Step {i}\n\nThe **tokenizer** splits words on `whitespace` and punctuation. {}\n\n```rust\nfn tokenize(s: &str) -> Vec<&str> {{\n    s.split_whitespace().collect()\n}}\n```\n\n- first point\n- second point",
                    "It keeps offsets for error messages. ".repeat(3)
                ),
                interrupted: false,
            },
            2 => Event::ToolCall { id: format!("c{i}"), name: "read_file".into(), arguments: format!("{{\"path\":\"src/file{i}.rs\"}}") },
            _ => Event::ToolResult {
                id: format!("c{}", i - 1),
                ok: true,
                content: "     1\tfn main() {}\n".repeat(20),
                summary: format!("src/file{}.rs: lines 1-20 of 20", i - 1),
                duration_ms: 3,
            },
        });
    }
    out
}

/// 500 typed letters, each timed from the key to its drawn frame.
fn keystrokes(a: &mut App, terminal: &mut Terminal<TestBackend>) -> Vec<Duration> {
    let mut samples = Vec::new();
    for i in 0..500 {
        let c = char::from(b'a' + (i % 26) as u8);
        let t = Instant::now();
        a.on_terminal(
            TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            Instant::now(),
        );
        frame(a, terminal);
        samples.push(t.elapsed());
    }
    samples
}

fn frame(app: &mut App, terminal: &mut Terminal<TestBackend>) {
    app.prepare();
    terminal.draw(|f| view::draw(app, f)).unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

    let paste: String = (0..10_000)
        .map(|i| format!("let line_{i} = compute({i});\n"))
        .collect();
    let mut samples = Vec::new();
    for _ in 0..20 {
        let mut a = app(0);
        frame(&mut a, &mut terminal);
        let t = Instant::now();
        a.on_terminal(TermEvent::Paste(paste.clone()), Instant::now());
        frame(&mut a, &mut terminal);
        samples.push(t.elapsed());
    }
    println!("10,000-line paste to frame: median {:?}", median(samples));

    for messages in [100, 5_000] {
        let mut a = app(messages);
        let t = Instant::now();
        frame(&mut a, &mut terminal);
        println!(
            "{messages} messages: first frame (wraps everything) {:?}",
            t.elapsed()
        );
        let samples = keystrokes(&mut a, &mut terminal);
        let max = samples.iter().max().copied().unwrap_or_default();
        println!(
            "{messages} messages: keystroke to frame median {:?}, max {max:?}",
            median(samples)
        );

        // Page from the end of the transcript towards the top.
        a.on_terminal(
            TermEvent::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
            Instant::now(),
        );
        frame(&mut a, &mut terminal);
        let mut samples = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            a.on_terminal(
                TermEvent::Key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE)),
                Instant::now(),
            );
            frame(&mut a, &mut terminal);
            samples.push(t.elapsed());
        }
        let max = samples.iter().max().copied().unwrap_or_default();
        println!(
            "{messages} messages: page up to frame median {:?}, max {max:?}",
            median(samples)
        );
    }

    // After a soak: 5,000 messages, a burst of resizes, a megabyte paste, a key storm.
    let mut a = app(5_000);
    frame(&mut a, &mut terminal);
    for i in 0..60u16 {
        a.on_terminal(TermEvent::Resize(80 + i % 60, 24 + i % 20), Instant::now());
        frame(&mut a, &mut terminal);
    }
    a.on_terminal(TermEvent::Resize(120, 40), Instant::now());
    let megabyte: String = (0..1024)
        .map(|_| format!("{}\n", "x".repeat(1023)))
        .collect();
    a.on_terminal(TermEvent::Paste(megabyte), Instant::now());
    for i in 0..5_000 {
        let c = char::from(b'a' + (i % 26) as u8);
        a.on_terminal(
            TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            Instant::now(),
        );
    }
    frame(&mut a, &mut terminal);
    let samples = keystrokes(&mut a, &mut terminal);
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "5000 messages after the soak: keystroke to frame median {:?}, max {max:?}",
        median(samples)
    );
}
