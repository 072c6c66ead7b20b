//! The diff pane with a change to a 20,000-line file, in release mode on ratatui's TestBackend:
//! from the proposal arriving to its first frame, then scrolling. Run: `cargo bench --bench diff`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use gearshift::changes::FileChange;
use gearshift::changes::hunks;
use gearshift::config::{Config, DEFAULTS_TOML};
use gearshift::core::{OpenedSession, SessionState};
use gearshift::protocol::{Event, Gear, SessionMeta};
use gearshift::tui::app::App;
use gearshift::tui::highlight::Highlighter;
use gearshift::tui::keymap::Keymap;
use gearshift::tui::theme::Theme;
use gearshift::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

const LINES: usize = 20_000;

fn app(width: u16, height: u16) -> App {
    let history = vec![Event::SessionOpened {
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
    let opened = OpenedSession {
        state: SessionState::fold(&history),
        resumed: false,
    };
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    let mut a = App::new(
        Keymap::new(&BTreeMap::new()).unwrap(),
        Theme::load("dark", Path::new("/nonexistent")).unwrap(),
        &opened,
        &config.active_provider().unwrap(),
        Vec::new(),
        Rect::new(0, 0, width, height),
    );
    a.replay_all(&history);
    let highlighter = Highlighter::spawn("base16-ocean.dark", || {}).unwrap();
    a.set_highlighter(Arc::new(highlighter));
    a
}

/// A Rust-like file of 20,000 lines (about 650 KB, under the 1 MB whole-file limit) and a
/// change touching every 500th line (40 hunks), or every line.
fn change(whole: bool) -> FileChange {
    let before: String = (0..LINES)
        .map(|i| format!("    let v{i} = compute(x{i}, {i}); // {i}\n"))
        .collect();
    assert!(before.len() < hunks::MAX_DIFF_BYTES);
    let after = if whole {
        before.replace("compute(", "evaluate(")
    } else {
        before
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i % 500 == 250 {
                    format!("{}\n    check(v{i});\n", l.replace("compute", "evaluate"))
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    FileChange::new("src/big.rs".into(), Some(before), Some(after))
}

fn key(a: &mut App, code: KeyCode, mods: KeyModifiers) {
    a.on_terminal(TermEvent::Key(KeyEvent::new(code, mods)), Instant::now());
}

fn frame(a: &mut App, terminal: &mut Terminal<TestBackend>) {
    a.prepare();
    terminal.draw(|f| view::draw(a, f)).unwrap();
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let p95 = v[v.len() * 95 / 100];
    format!(
        "median {:?}, p95 {p95:?}, max {:?}",
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

fn main() {
    for whole in [false, true] {
        let label = if whole {
            "every line changed (one 40,000-line hunk)"
        } else {
            "40 scattered hunks"
        };
        let c = change(whole);
        let t = Instant::now();
        let hs = hunks::hunks(c.before.as_deref().unwrap(), c.after.as_deref().unwrap(), 3);
        println!(
            "{label}: diff of 20,000 lines into {} hunks: {:?}",
            hs.len(),
            t.elapsed()
        );

        for (width, height, split) in [(120u16, 40u16, false), (200, 50, true)] {
            let mut opens = Vec::new();
            let mut scrolls = Vec::new();
            let mut pages = Vec::new();
            for round in 0..5 {
                let mut a = app(width, height);
                let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
                frame(&mut a, &mut terminal);
                key(&mut a, KeyCode::Char('3'), KeyModifiers::ALT);
                key(&mut a, KeyCode::Char('z'), KeyModifiers::NONE);
                if split {
                    key(&mut a, KeyCode::Char('s'), KeyModifiers::NONE);
                }
                frame(&mut a, &mut terminal);
                // The proposal arrives (both the core and the pane fold it: the pane's fold is
                // timed here, the core's is the same `hunks` call timed above) and is drawn.
                let t = Instant::now();
                a.on_core(&Event::ChangeProposed {
                    id: format!("call_{round}"),
                    change: c.clone(),
                    context: 3,
                    checkpoint: None,
                });
                frame(&mut a, &mut terminal);
                opens.push(t.elapsed());
                for _ in 0..300 {
                    let t = Instant::now();
                    key(&mut a, KeyCode::Char('j'), KeyModifiers::NONE);
                    frame(&mut a, &mut terminal);
                    scrolls.push(t.elapsed());
                }
                for _ in 0..100 {
                    let t = Instant::now();
                    key(&mut a, KeyCode::PageDown, KeyModifiers::NONE);
                    frame(&mut a, &mut terminal);
                    pages.push(t.elapsed());
                }
            }
            let view = if split { "side by side" } else { "unified" };
            println!(
                "{label}, {view} {width}x{height}: proposal to first frame {}",
                stats(opens)
            );
            println!(
                "{label}, {view} {width}x{height}: j to frame {}",
                stats(scrolls)
            );
            println!(
                "{label}, {view} {width}x{height}: PgDn to frame {}",
                stats(pages)
            );
        }
    }
}
