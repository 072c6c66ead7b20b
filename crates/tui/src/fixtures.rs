//! Test fixtures: an `App` over the demo provider with a fixed session, no IO.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::layout::Rect;

use super::app::App;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::config::{Config, DEFAULTS_TOML};
use crate::core::{OpenedSession, SessionState};
use crate::protocol::{Event, Gear, SessionMeta};

/// The session opened over `history`, with its events (the opening first).
pub fn opened(history: Vec<Event>) -> (OpenedSession, Vec<Event>) {
    let mut all = vec![Event::SessionOpened {
        meta: SessionMeta {
            id: "0123456789abcdef0123456789abcdef".into(),
            workspace: "/work/project".into(),
            gear: Gear::Vibe,
            provider: "demo".into(),
            model: "demo".into(),
            created_at: 0,
            subagent: None,
        },
    }];
    all.extend(history);
    let opened = OpenedSession {
        state: SessionState::fold(&all),
        resumed: false,
    };
    (opened, all)
}

pub fn app_with(history: Vec<Event>, width: u16, height: u16) -> App {
    let config: Config = toml::from_str(DEFAULTS_TOML).unwrap_or_default();
    let provider = config
        .active_provider()
        .unwrap_or_else(|e| panic!("demo provider: {e}"));
    let (opened, events) = opened(history);
    let mut app = App::new(
        Keymap::new(&BTreeMap::new()).unwrap_or_else(|e| panic!("{e}")),
        Theme::load("dark", Path::new("/nonexistent")).unwrap_or_else(|e| panic!("{e}")),
        &opened,
        &provider,
        vec!["an older prompt".into()],
        Rect::new(0, 0, width, height),
    );
    app.replay_all(&events);
    app
}

pub fn app(width: u16, height: u16) -> App {
    app_with(Vec::new(), width, height)
}

/// The built-in pipeline, as a run would record it.
pub fn engineering() -> crate::pipeline::Pipeline {
    let skills = crate::pipeline::skill::discover(crate::pipeline::skill::Roots {
        config_dir: None,
        home: None,
        workspace: Path::new("/nonexistent"),
    })
    .skills;
    crate::pipeline::parse(
        Path::new("engineering.toml"),
        crate::pipeline::ENGINEERING,
        &skills,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The built-in pipeline's stages, in order.
pub const STAGES: [&str; 7] = [
    "requirements",
    "design",
    "tasks",
    "implement",
    "verify",
    "review",
    "ship",
];

/// Lines as plain text (no-break spaces as spaces), for assertions on what is drawn.
pub fn texts<'a>(lines: impl IntoIterator<Item = &'a ratatui::text::Line<'a>>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
                .replace('\u{a0}', " ")
        })
        .collect()
}
