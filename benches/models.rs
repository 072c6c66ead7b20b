//! The model picker and `gearshift stats`, in release mode: F2 (the picker over every preset's
//! models) to its drawn frame with a 5,000-message transcript behind it; and `gearshift stats`
//! — the whole process — over a store of 1,000,000 events (about 210,000 model requests in
//! 500 sessions spread over 60 days). Run: `cargo bench --bench models`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use gearshift::config::{Config, DEFAULTS_TOML};
use gearshift::core::{OpenedSession, SessionState};
use gearshift::protocol::{Event, Gear, RequestFacts, SessionMeta};
use gearshift::store::Store;
use gearshift::tui::app::App;
use gearshift::tui::keymap::Keymap;
use gearshift::tui::theme::Theme;
use gearshift::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

fn opened(id: &str, gear: Gear) -> Event {
    Event::SessionOpened {
        meta: SessionMeta {
            id: id.into(),
            workspace: "/w".into(),
            gear,
            provider: "openai".into(),
            model: "gpt-4.1".into(),
            created_at: 0,
            subagent: None,
        },
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn picker() {
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap();
    let mut history = vec![opened("0123456789abcdef", Gear::Vibe)];
    for i in 0..5_000 {
        history.push(if i % 2 == 0 {
            Event::UserMessage {
                text: format!("prompt {i}"),
                attachments: vec![],
            }
        } else {
            Event::AssistantMessage {
                text: format!("## Reply {i}\n\nSome **text** and `code`.\n"),
                interrupted: false,
            }
        });
    }
    let state = SessionState::fold(&history);
    let mut a = App::new(
        Keymap::new(&BTreeMap::new()).unwrap(),
        Theme::load("dark", Path::new("/nonexistent")).unwrap(),
        &OpenedSession {
            state,
            resumed: false,
        },
        &config.active_provider().unwrap(),
        Vec::new(),
        Rect::new(0, 0, 120, 40),
    );
    a.replay_all(&history);
    let t = Instant::now();
    a.models = gearshift::tui::models::model_choices(&config);
    let listed = t.elapsed();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut frame = |a: &mut App| {
        a.prepare();
        terminal.draw(|f| view::draw(a, f)).unwrap();
    };
    frame(&mut a);
    let key = |code| TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE));
    let mut samples = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        a.on_terminal(key(KeyCode::F(2)), Instant::now());
        frame(&mut a);
        samples.push(t.elapsed());
        a.on_terminal(key(KeyCode::Esc), Instant::now());
        frame(&mut a);
    }
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "model picker ({} models): listed in {listed:?}; F2 to frame median {:?}, max {max:?}",
        a.models.len(),
        median(samples)
    );
}

/// One turn of four requests: 19 events.
fn turn(i: usize, models: &[(&str, &str)], gear: Gear) -> Vec<Event> {
    let mut out = vec![
        Event::UserMessage {
            text: format!("prompt {i}: look at the parser"),
            attachments: vec![],
        },
        Event::TurnStarted {
            turn: u32::try_from(i).unwrap(),
        },
    ];
    for round in 0..4 {
        let (provider, model) = models[(i + round) % models.len()];
        let id = format!("call_{i}_{round}");
        out.push(Event::AssistantMessage {
            text: "Reading the file.".into(),
            interrupted: false,
        });
        out.push(Event::ToolCall {
            id: id.clone(),
            name: "read_file".into(),
            arguments: r#"{"path":"src/parse.rs"}"#.into(),
        });
        out.push(Event::ToolResult {
            id,
            ok: true,
            content: "fn parse() {}\n".repeat(20),
            summary: "read src/parse.rs".into(),
            duration_ms: 2,
        });
        out.push(Event::Usage {
            input: 20_000 + (i as u64 % 5_000),
            output: 300 + (i as u64 % 700),
            cached: 15_000,
            cache_write: 0,
            reasoning: 0,
            cost: Some(0.01 + (i % 7) as f64 / 1000.0),
            request: Some(Box::new(RequestFacts {
                provider: provider.into(),
                model: model.into(),
                gear,
                stage: (gear == Gear::Pipeline).then(|| "implement".into()),
                purpose: "turn".into(),
                latency_ms: 800 + (i as u64 * 37 % 9_000),
                ttft_ms: Some(200 + (i as u64 * 13 % 1_500)),
                error: (i.is_multiple_of(50) && round == 0)
                    .then_some(gearshift::protocol::ErrorKind::Provider),
                retries: 0,
                estimated: false,
            })),
        });
    }
    out.push(Event::TurnFinished {
        reason: gearshift::protocol::FinishReason::Stop,
    });
    out
}

fn stats() {
    // BENCH_STATS_HOME keeps the seeded store there (seeded once) for profiling.
    let kept = std::env::var_os("BENCH_STATS_HOME").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let home = kept.as_deref().unwrap_or(temp.path());
    let db = home.join("gearshift.db");
    if !db.exists() {
        seed(&db);
    }
    for args in [
        &["--since", "7d"][..],
        &["--since", "365d"],
        &["--since", "365d", "--by", "day"],
        &["--since", "365d", "--json"],
    ] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_gearshift"))
                .arg("--home")
                .arg(home)
                .arg("stats")
                .args(args)
                .output()
                .unwrap();
            samples.push(t.elapsed());
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let max = samples.iter().max().copied().unwrap_or_default();
        println!(
            "gearshift stats {}: median {:?}, max {max:?}",
            args.join(" "),
            median(samples)
        );
    }
}

fn seed(db: &Path) {
    let models = [
        ("anthropic", "claude-opus-4-5"),
        ("deepseek", "deepseek-chat"),
        ("openai", "gpt-5"),
        ("zhipu", "glm-4.6"),
    ];
    let t = Instant::now();
    let store = Store::open(db).unwrap();
    let mut events = 0;
    let sessions = 500;
    for s in 0..sessions {
        let gear = [Gear::Vibe, Gear::Plan, Gear::Pipeline][s % 3];
        let id = format!("session-{s:05}");
        let mut batch = vec![opened(&id, gear)];
        for i in 0..105 {
            batch.extend(turn(s * 1000 + i, &models, gear));
        }
        events += batch.len();
        store.append_blocking(&id, batch).unwrap();
    }
    store.close();
    // Spread over 60 days.
    let conn = rusqlite::Connection::open(db).unwrap();
    for table in ["events", "requests"] {
        conn.execute(
            &format!(
                "UPDATE {table} SET ts = ts - (CAST(substr(session_id, 9) AS INTEGER) % 60) * 86400000"
            ),
            [],
        )
        .unwrap();
    }
    let requests: i64 = conn
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    println!(
        "seeded {events} events ({requests} requests, {sessions} sessions) in {:?}",
        t.elapsed()
    );
}

fn main() {
    picker();
    stats();
}
