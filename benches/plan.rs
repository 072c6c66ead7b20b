//! The plan pane with a 500-step plan, in release mode on ratatui's TestBackend: keystroke to
//! frame while moving through it. Run: `cargo bench --bench plan`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use gearshift::config::{Config, DEFAULTS_TOML};
use gearshift::core::{OpenedSession, SessionState};
use gearshift::protocol::{Event, Gear, PlanEdit, SessionMeta, StepSpec};
use gearshift::tui::app::App;
use gearshift::tui::keymap::Keymap;
use gearshift::tui::theme::Theme;
use gearshift::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

/// 100 top-level steps with 4 children each: 500 steps.
fn plan() -> Event {
    let step = |t: String, children| StepSpec {
        title: t.clone(),
        detail: format!("{t}: change the parser so that it reports positions"),
        files: vec!["src/parser.rs".into()],
        acceptance: Some("cargo test passes".into()),
        children,
        independent: false,
    };
    Event::PlanProposed {
        version: 1,
        steps: (0..100)
            .map(|i| {
                step(
                    format!("part {i}"),
                    (0..4)
                        .map(|j| step(format!("task {i}.{j}"), vec![]))
                        .collect(),
                )
            })
            .collect(),
    }
}

fn key(a: &mut App, code: KeyCode) {
    a.on_terminal(
        TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        Instant::now(),
    );
}

fn main() {
    let history = vec![
        Event::SessionOpened {
            meta: SessionMeta {
                id: "0123456789abcdef".into(),
                workspace: "/w".into(),
                gear: Gear::Plan,
                provider: "demo".into(),
                model: "demo".into(),
                created_at: 0,
                subagent: None,
            },
        },
        plan(),
        Event::PlanEdited {
            edit: PlanEdit::ApproveAll,
        },
    ];
    let opened = OpenedSession {
        state: SessionState::fold(&history),
        resumed: false,
    };
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    for (w, h, zoom) in [(120u16, 40u16, false), (200, 60, true)] {
        let mut a = App::new(
            Keymap::new(&BTreeMap::new()).unwrap(),
            Theme::load("dark", Path::new("/nonexistent")).unwrap(),
            &opened,
            &config.active_provider().unwrap(),
            Vec::new(),
            Rect::new(0, 0, w, h),
        );
        a.replay_all(&history);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        a.on_terminal(
            TermEvent::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT)),
            Instant::now(),
        );
        if zoom {
            key(&mut a, KeyCode::Char('z'));
        }
        let mut samples: Vec<Duration> = Vec::new();
        for i in 0..1_000 {
            let code = if i < 499 || (600..900).contains(&i) {
                KeyCode::Char('j')
            } else {
                KeyCode::Char('k')
            };
            let t = Instant::now();
            key(&mut a, code);
            a.prepare();
            terminal.draw(|f| view::draw(&a, f)).unwrap();
            samples.push(t.elapsed());
        }
        samples.sort();
        println!(
            "500-step plan, {w}x{h}{}: j/k to frame median {:?}, p95 {:?}, max {:?}",
            if zoom { " zoomed" } else { "" },
            samples[samples.len() / 2],
            samples[samples.len() * 95 / 100],
            samples[samples.len() - 1]
        );
    }
}
