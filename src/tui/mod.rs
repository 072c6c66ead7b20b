//! The full-screen terminal front end.
//!
//! `run` does everything that can fail with a message *before* touching the terminal (config,
//! keymap, theme, database, session), then runs one event loop: terminal input, core events and
//! signals are applied to the [`app::App`] as they come; a frame is drawn only when something
//! changed, at most every [`FRAME_INTERVAL`], inside synchronized output.

pub mod app;
#[cfg(test)]
mod fixtures;
mod highlight;
mod history;
pub mod keymap;
pub mod layout;
mod markdown;
mod terminal;
pub mod theme;
pub mod toolcell;
pub mod transcript;
pub mod view;

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::EventStream;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::cli::{Context, SessionArgs, StartedSession};
use crate::core::{self, OpenRequest};
use crate::protocol::Op;
use app::{App, Effect};
use keymap::Keymap;
use terminal::TerminalGuard;
use theme::Theme;

/// At most ~60 frames a second; bursts of input or output between frames are coalesced.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// Core events applied between two frames at most, so input stays responsive under a flood.
const MAX_EVENTS_PER_FRAME: usize = 4096;
/// How many earlier prompts the composer's history offers.
const HISTORY_PROMPTS: usize = 500;

/// Runs the workbench until the user quits.
pub fn run(ctx: &Context, session: &SessionArgs) -> anyhow::Result<ExitCode> {
    let config = &ctx.loaded.config;
    let keymap = Keymap::new(&config.keys)?;
    let theme = Theme::load(&config.theme, &ctx.paths.config_dir)?;
    let request = match (&session.resume, session.continue_latest) {
        (Some(id), _) => OpenRequest::Resume(id.clone()),
        (None, true) => OpenRequest::ContinueLatest,
        (None, false) => OpenRequest::New,
    };
    let StartedSession {
        provider,
        store,
        opened,
        deps,
        log: _log,
    } = ctx.start_session(&request, core::ApprovalMode::Ask)?;
    let prompts = store
        .reader()?
        .recent_prompts(&ctx.workspace_str(), HISTORY_PROMPTS)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        let (op_tx, op_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let core = tokio::spawn(core::run_session(
            deps,
            opened.state.clone(),
            op_rx,
            event_tx,
        ));
        let mut guard = TerminalGuard::enter().context("cannot set up the terminal")?;
        let size = guard
            .terminal
            .size()
            .context("cannot read the terminal size")?;
        let mut app = App::new(
            keymap,
            theme,
            &opened,
            &provider,
            prompts,
            Rect::new(0, 0, size.width, size.height),
        );
        let (hl_tx, hl_rx) = mpsc::unbounded_channel();
        match highlight::Highlighter::spawn(&app.theme.syntax_theme.clone(), move || {
            let _ = hl_tx.send(());
        }) {
            Ok(h) => app.set_highlighter(h),
            Err(e) => tracing::warn!(error = %e, "code highlighting is off"),
        }
        let outcome = event_loop(&mut guard, app, &op_tx, event_rx, hl_rx).await;
        // Let the core commit what it has before the terminal is restored and we exit.
        let _ = op_tx.send(Op::Quit);
        let _ = core.await;
        drop(guard);
        outcome
    });
    store.close();
    result.map(|()| ExitCode::SUCCESS)
}

async fn event_loop(
    guard: &mut TerminalGuard,
    mut app: App,
    ops: &mpsc::UnboundedSender<Op>,
    mut core_events: mpsc::UnboundedReceiver<crate::protocol::Event>,
    mut highlighted: mpsc::UnboundedReceiver<()>,
) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let mut last_frame: Option<Instant> = None;
    loop {
        if app.is_dirty() {
            let due = last_frame.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL);
            if due {
                draw(guard, &mut app)?;
                last_frame = Some(Instant::now());
            }
        }
        if app.is_quitting() {
            return Ok(());
        }
        let next_frame = last_frame.map_or_else(Instant::now, |t| t + FRAME_INTERVAL);
        let effects = tokio::select! {
            biased;
            term = input.next() => match term {
                Some(Ok(event)) => app.on_terminal(event, Instant::now()),
                Some(Err(e)) => return Err(e).context("cannot read from the terminal"),
                None => return Ok(()),
            },
            Some(event) = core_events.recv() => {
                app.on_core(&event);
                // Apply everything already queued before the next frame.
                for _ in 0..MAX_EVENTS_PER_FRAME {
                    match core_events.try_recv() {
                        Ok(event) => app.on_core(&event),
                        Err(_) => break,
                    }
                }
                Vec::new()
            }
            Some(()) = highlighted.recv() => {
                while highlighted.try_recv().is_ok() {}
                app.on_highlighted();
                Vec::new()
            }
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            // Wakes only when a frame is owed; an idle gearshift sleeps here without a timer.
            () = tokio::time::sleep_until(next_frame.into()), if app.is_dirty() => Vec::new(),
        };
        for effect in effects {
            match effect {
                Effect::Send(op) => {
                    let _ = ops.send(op);
                }
                Effect::Copy(text) => copy_to_clipboard(guard, &text)?,
                Effect::Quit => {}
            }
        }
    }
}

/// Puts text on the clipboard with OSC 52, which terminals (and tmux with `set-clipboard on`)
/// pass to the system clipboard, also over SSH.
fn copy_to_clipboard(guard: &mut TerminalGuard, text: &str) -> anyhow::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let backend = guard.terminal.backend_mut();
    write!(backend, "\x1b]52;c;{encoded}\x07")?;
    backend.flush()?;
    Ok(())
}

fn draw(guard: &mut TerminalGuard, app: &mut App) -> anyhow::Result<()> {
    app.prepare();
    let terminal = &mut guard.terminal;
    crossterm::queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::draw(app, frame))?;
    crossterm::queue!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    app.mark_drawn();
    Ok(())
}
