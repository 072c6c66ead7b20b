//! The full-screen terminal front end.
//!
//! `run` does everything that can fail with a message *before* touching the terminal (config,
//! keymap, theme, database, session), then runs one event loop: terminal input, core events and
//! signals are applied to the [`app::App`] as they come; a frame is drawn only when something
//! changed, at most every [`FRAME_INTERVAL`], inside synchronized output.

// The engine's modules and the protocol under the names the code uses; the stored sessions
// only through `library`, never the store, and no provider (tests/layers.rs).
use gearshift_engine::{
    changes, config, context, core, fsutil, hooks, launch, library, mcp, pipeline, plan, report,
    safe_text, tools,
};
use gearshift_protocol as protocol;

pub mod app;
pub mod approval;
pub mod browser;
pub mod commands;
pub mod contextview;
pub mod diffview;
mod editor;
mod field;
pub mod file_index;
pub mod fit;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod highlight;
pub mod hints;
mod history;
pub mod keymap;
pub mod layout;
mod markdown;
pub mod mentions;
pub mod outcome;
pub mod overlay;
pub mod pane;
mod paste;
pub mod planview;
mod services;
mod terminal;
pub mod theme;
pub mod toolcell;
pub mod transcript;
pub mod view;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::EventStream;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use std::task::Poll;

use futures::StreamExt;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::core::OpenRequest;
use crate::launch::Context;
use crate::protocol::Op;
use app::{App, Effect, Overlay};
use browser::BrowserRequest;
use keymap::Keymap;
use services::{Background, Services};
use terminal::TerminalGuard;
use theme::Theme;

/// At most ~60 frames a second; bursts of input or output between frames are coalesced.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// While a turn runs and nothing but the core has changed the screen (a reply streaming in),
/// at most ten frames a second: each frame of a scrolling reply rewrites most of the chat
/// pane, and over SSH on a slow link those bytes are the bottleneck. A key or anything the
/// user asked for is drawn at [`FRAME_INTERVAL`], as always.
pub const STREAM_FRAME_INTERVAL: Duration = Duration::from_millis(100);
/// Core events applied between two frames at most, so input stays responsive under a flood.
const MAX_EVENTS_PER_FRAME: usize = 4096;
/// Terminal events already waiting that are applied before the next frame: typing ahead of a
/// slow frame is caught up in one frame, never one frame per key.
const MAX_INPUT_PER_FRAME: usize = 1024;
/// How many earlier prompts the composer's history offers.
const HISTORY_PROMPTS: usize = 500;

/// Why the event loop returned.
enum LoopExit {
    Quit,
    /// A signal asked gearshift to stop (exit code 128 + the signal's number).
    Signalled(i32),
    /// `/new`: a new session in the workspace.
    New,
    /// The browser asked to open another session.
    Open {
        id: String,
        read_only: bool,
    },
}

/// Runs the workbench until the user quits.
pub fn run(ctx: &Context, mut request: OpenRequest) -> anyhow::Result<ExitCode> {
    let config = &ctx.loaded.config;
    // A bad binding is reported at its file and line, as every other config error is.
    let keymap = Keymap::new(&config.keys).map_err(|e| {
        let message = e.to_string();
        let message = message.strip_prefix("[keys] ").unwrap_or(&message);
        let located = e
            .actions()
            .into_iter()
            .find_map(|action| ctx.loaded.at_key(&["keys", action], message));
        match located {
            Some(located) => anyhow::Error::new(located),
            None => anyhow::Error::new(e),
        }
    })?;
    let theme = Theme::load(&config.theme, &ctx.paths.config_dir)?;
    let mut read_only = false;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut guard: Option<TerminalGuard> = None;
    let mut log = None;
    // One highlighting worker for the whole run: switching sessions keeps its syntaxes and cache.
    let (hl_tx, mut hl_rx) = mpsc::unbounded_channel();
    let highlighter = match highlight::Highlighter::spawn(&theme.syntax_theme, move || {
        let _ = hl_tx.send(());
    }) {
        Ok(h) => Some(Arc::new(h)),
        Err(e) => {
            tracing::warn!(error = %e, "code highlighting is off");
            None
        }
    };
    loop {
        // Open the session (blocking, before the runtime takes over).
        let (provider, library, opened, deps) = if read_only {
            let OpenRequest::Resume(id) = &request else {
                anyhow::bail!("internal: a read-only session needs an ID");
            };
            let read = ctx.read_session(id)?;
            (read.provider, read.library, read.opened, None)
        } else {
            let started = ctx.start_session(&request, core::ApprovalMode::Ask)?;
            if log.is_none() {
                log = started.log;
            }
            (
                started.provider,
                started.library,
                started.opened,
                Some(core::SessionDeps {
                    interactive: true,
                    ..started.deps
                }),
            )
        };
        let prompts = library
            .recent_prompts(&ctx.workspace_str(), HISTORY_PROMPTS)
            .map_err(anyhow::Error::msg)?;
        if guard.is_none() {
            guard = Some(TerminalGuard::enter().context("cannot set up the terminal")?);
        }
        let Some(terminal) = guard.as_mut() else {
            anyhow::bail!("internal: no terminal");
        };
        let exit = runtime.block_on(async {
            let (op_tx, op_rx) = mpsc::unbounded_channel();
            let (event_tx, event_rx) = mpsc::unbounded_channel();
            // The session's hooks, for `/hooks` (compiled once; a read-only session runs
            // none, but its config's are still listed).
            let hooks = deps.as_ref().map_or_else(
                || Arc::new(ctx.loaded.config.compiled_hooks()),
                |d| Arc::clone(&d.hooks),
            );
            let size = terminal
                .terminal
                .size()
                .context("cannot read the terminal size")?;
            let mut app = App::new(
                keymap.clone(),
                theme.clone(),
                &opened,
                &provider,
                prompts,
                Rect::new(0, 0, size.width, size.height),
            );
            // A stored session is shown a page of events at a time, so it is never all in
            // memory at once; its state goes to the core, not kept twice.
            if opened.resumed {
                library
                    .replay(&opened.state.id, |e| app.replay(e))
                    .map_err(anyhow::Error::msg)?;
            }
            app.replayed();
            let core::OpenedSession { state, .. } = opened;
            let core =
                deps.map(|deps| tokio::spawn(core::run_session(deps, state, op_rx, event_tx)));
            app.here = ctx.workspace_str();
            if read_only {
                app.set_read_only();
            }
            app.warn_at = ctx.loaded.config.context.warn_at;
            app.notify = ctx.loaded.config.notify.method;
            app.models = model_choices(&ctx.loaded.config);
            app.checkpoints.clone_from(&ctx.loaded.config.checkpoints);
            app.hooks = hooks;
            if let Some(h) = &highlighter {
                app.set_highlighter(Arc::clone(h));
            }
            let (bg_tx, bg_rx) = mpsc::unbounded_channel();
            let services = Services {
                library: library.clone(),
                export_dir: ctx.paths.export_dir.clone(),
                workspace: ctx.workspace.clone(),
                tx: bg_tx,
            };
            let channels = Channels {
                ops: op_tx.clone(),
                core_events: event_rx,
                highlighted: &mut hl_rx,
                background: bg_rx,
            };
            let outcome = event_loop(terminal, app, channels, &services).await;
            // Let the core commit what it has before the terminal is restored or reused.
            let _ = op_tx.send(Op::Quit);
            if let Some(core) = core {
                let _ = core.await;
            }
            outcome
        });
        library.close();
        match exit {
            Ok(LoopExit::Quit) => break,
            Ok(LoopExit::Signalled(signal)) => {
                // The core has marked a running reply interrupted; the guard restores the
                // terminal as it drops.
                drop(guard);
                drop(log);
                runtime.shutdown_timeout(Duration::from_millis(500));
                return Ok(ExitCode::from(u8::try_from(128 + signal).unwrap_or(1)));
            }
            Ok(LoopExit::New) => {
                tracing::info!("new session");
                request = OpenRequest::New;
                read_only = false;
            }
            Ok(LoopExit::Open { id, read_only: ro }) => {
                tracing::info!(session = %id, read_only = ro, "switching session");
                request = OpenRequest::Resume(id);
                read_only = ro;
            }
            Err(e) => {
                drop(guard);
                return Err(e);
            }
        }
    }
    drop(guard);
    drop(log);
    // A blocking task that never returns must not keep the process from exiting.
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(ExitCode::SUCCESS)
}

struct Channels<'a> {
    ops: mpsc::UnboundedSender<Op>,
    core_events: mpsc::UnboundedReceiver<protocol::Event>,
    /// Shared by every session of the run, like the highlighter that feeds it.
    highlighted: &'a mut mpsc::UnboundedReceiver<()>,
    background: mpsc::UnboundedReceiver<Background>,
}

async fn event_loop(
    guard: &mut TerminalGuard,
    mut app: App,
    mut ch: Channels<'_>,
    services: &Services,
) -> anyhow::Result<LoopExit> {
    let mut input = EventStream::new();
    // Ctrl+C reaches gearshift as a key in raw mode; as a signal (another process's kill -INT)
    // it, like TERM, HUP and QUIT, ends the session cleanly instead of leaving the terminal raw.
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut sigquit = signal(SignalKind::quit()).context("cannot watch SIGQUIT")?;
    let mut last_frame: Option<Instant> = None;
    // Whether the user did something since the last frame (a key, a paste, an answer from
    // the background): then the next frame comes at the full rate.
    let mut asked = true;
    loop {
        let interval = if asked || !app.busy {
            FRAME_INTERVAL
        } else {
            STREAM_FRAME_INTERVAL
        };
        if app.is_dirty() {
            let due = last_frame.is_none_or(|t| t.elapsed() >= interval);
            if due {
                draw(guard, &mut app)?;
                last_frame = Some(Instant::now());
                asked = false;
            }
        }
        if app.is_quitting() {
            return Ok(LoopExit::Quit);
        }
        let next_frame = last_frame.map_or_else(Instant::now, |t| t + interval);
        let effects = tokio::select! {
            biased;
            term = input.next() => match term {
                Some(Ok(event)) => {
                    // Mouse motion is not a request to see something sooner.
                    asked |= !matches!(event, crossterm::event::Event::Mouse(_));
                    let mut effects = app.on_terminal(event, Instant::now());
                    // Apply every key already waiting before drawing again. Polled with this
                    // task's own waker: crossterm's stream keeps the waker of the first poll
                    // that found nothing, so a no-op waker here would lose the next wake-up.
                    for _ in 0..MAX_INPUT_PER_FRAME {
                        if !effects.is_empty() {
                            break;
                        }
                        match futures::poll!(input.next()) {
                            Poll::Ready(Some(Ok(event))) => {
                                effects = app.on_terminal(event, Instant::now());
                            }
                            Poll::Ready(Some(Err(e))) => {
                                return Err(e).context("cannot read from the terminal");
                            }
                            Poll::Ready(None) => return Ok(LoopExit::Quit),
                            Poll::Pending => break,
                        }
                    }
                    effects
                }
                Some(Err(e)) => return Err(e).context("cannot read from the terminal"),
                None => return Ok(LoopExit::Quit),
            },
            Some(event) = ch.core_events.recv() => {
                app.on_core(&event);
                // Apply everything already queued before the next frame.
                for _ in 0..MAX_EVENTS_PER_FRAME {
                    match ch.core_events.try_recv() {
                        Ok(event) => app.on_core(&event),
                        Err(_) => break,
                    }
                }
                asked |= app.take_urgent();
                for text in app.take_notifications() {
                    notify(guard, app.notify, &text)?;
                }
                Vec::new()
            }
            Some(answer) = ch.background.recv() => {
                // The walk's news for `@` comes often and is not asked for by itself.
                asked |= !matches!(answer, Background::FilesMoved);
                match answer {
                    Background::Rows { ticket, rows } => app.on_browser_rows(ticket, rows),
                    Background::Preview { ticket, lines } => {
                        app.on_browser_preview(ticket, lines);
                        Vec::new()
                    }
                    Background::Message(m) => app.on_browser_message(m),
                    Background::Files(files) => {
                        app.on_files(files);
                        Vec::new()
                    }
                    Background::FilesMoved => {
                        app.on_files_moved();
                        Vec::new()
                    }
                    Background::Open { id, read_only } => return Ok(LoopExit::Open { id, read_only }),
                    Background::Output { call, text, copy } => app.on_output(&call, text, copy),
                    Background::Stats(overview) => {
                        app.on_stats(*overview);
                        Vec::new()
                    }
                }
            }
            Some(()) = ch.highlighted.recv() => {
                while ch.highlighted.try_recv().is_ok() {}
                app.on_highlighted();
                Vec::new()
            }
            _ = sigterm.recv() => return Ok(LoopExit::Signalled(libc::SIGTERM)),
            _ = sighup.recv() => return Ok(LoopExit::Signalled(libc::SIGHUP)),
            _ = sigint.recv() => return Ok(LoopExit::Signalled(libc::SIGINT)),
            _ = sigquit.recv() => return Ok(LoopExit::Signalled(libc::SIGQUIT)),
            // Wakes only when a frame is owed; an idle gearshift sleeps here without a timer.
            () = tokio::time::sleep_until(next_frame.into()), if app.is_dirty() => Vec::new(),
        };
        for effect in effects {
            match effect {
                Effect::Send(op) => {
                    if let Err(mpsc::error::SendError(op)) = ch.ops.send(op) {
                        app.core_gone(op);
                    }
                }
                Effect::Copy(text) => copy_to_clipboard(guard, &text)?,
                Effect::Browser(BrowserRequest::Open { id, read_only }) => {
                    if id == app.session.id && !read_only {
                        app.overlays.retain(|o| !matches!(o, Overlay::Sessions(_)));
                    } else {
                        return Ok(LoopExit::Open { id, read_only });
                    }
                }
                // The open session's title goes through its actor, so its state agrees.
                Effect::Browser(BrowserRequest::Rename { id, title })
                    if id == app.session.id && !app.session.read_only =>
                {
                    let _ = ch.ops.send(Op::SetTitle { title });
                }
                Effect::Browser(request) => services.run(request),
                Effect::EditHunk {
                    change,
                    hunk,
                    text,
                    extension,
                } => {
                    // The editor owns the terminal: stop reading input until it returns.
                    // Dropping the stream wakes and ends its reader thread, which holds
                    // crossterm's reader lock while it waits: a new stream can only be made
                    // after that, so the old one goes first.
                    drop(input);
                    let saved = editor::edit(guard, &text, &extension).await;
                    input = EventStream::new();
                    for effect in app.on_edited(change, hunk, &text, saved) {
                        if let Effect::Send(op) = effect {
                            let _ = ch.ops.send(op);
                        }
                    }
                }
                Effect::EditPrompt(text) => {
                    // As for a hunk: the editor owns the terminal until it returns.
                    drop(input);
                    let saved = editor::edit(guard, &text, "md").await;
                    input = EventStream::new();
                    app.on_prompt_edited(saved);
                }
                Effect::NewSession => return Ok(LoopExit::New),
                Effect::ListFiles => services.list_files(app.files.is_none()),
                Effect::LoadStats => services.load_stats(app.session.id.clone()),
                Effect::ReadOutput { call, copy } => {
                    services.read_output(app.session.id.clone(), call, copy);
                }
                Effect::Quit => {}
            }
        }
    }
}

/// The model picker's entries: every configured provider's models (its `model` and `models`),
/// the demo's left out.
#[must_use]
pub fn model_choices(config: &config::Config) -> Vec<app::ModelChoice> {
    let mut choices = Vec::new();
    for (name, settings) in &config.providers {
        let models = settings.model.iter().chain(&settings.models);
        for p in models.filter_map(|m| config.provider_named(name, Some(m)).ok()) {
            if p.is_demo {
                continue;
            }
            choices.push(app::ModelChoice {
                facts: model_facts(&p),
                provider: p.name,
                model: p.model,
            });
        }
    }
    choices
}

/// A model's window, prices, reasoning and key, in a few words for the picker.
fn model_facts(p: &config::ActiveProvider) -> Vec<String> {
    let mut facts = Vec::new();
    // A missing key leads in two words (a narrow row keeps it); which variable to set comes
    // last, where there is room.
    let missing = p
        .api_key_env
        .as_ref()
        .filter(|env| std::env::var_os(env).is_none_or(|v| v.is_empty()));
    if missing.is_some() {
        facts.push("no key".to_string());
    }
    facts.push(format!("{}k window", p.context_window / 1000));
    if let (Some(i), Some(o)) = (p.prices.input, p.prices.output) {
        facts.push(format!("${i}/${o} per M tokens"));
    }
    if p.reasoning.style != protocol::reasoning::ReasoningStyle::None {
        facts.push("reasons".to_string());
    }
    if let Some(env) = missing {
        facts.push(format!("set {env}"));
    }
    facts
}

/// Calls the human back: the bell, and a desktop notification by OSC 9 or OSC 777 (terminals
/// that do not know them ignore them). The text is stripped of control characters so it
/// cannot end the sequence early.
fn notify(
    guard: &mut TerminalGuard,
    method: config::NotifyMethod,
    text: &str,
) -> anyhow::Result<()> {
    use crate::config::NotifyMethod;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let sequence = match method {
        NotifyMethod::Off => return Ok(()),
        NotifyMethod::Bell => "\x07".to_string(),
        NotifyMethod::Osc9 => format!("\x07\x1b]9;{clean}\x07"),
        NotifyMethod::Osc777 => format!("\x07\x1b]777;notify;gearshift;{clean}\x07"),
    };
    let backend = guard.terminal.backend_mut();
    write!(backend, "{sequence}")?;
    backend.flush()?;
    Ok(())
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

#[cfg(test)]
mod model_tests {
    use super::*;

    #[test]
    fn the_picker_lists_every_providers_models_with_their_facts_and_a_missing_key() {
        let text = format!(
            "{}\n[providers.mine]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\
             api_key_env = \"GEARSHIFT_TEST_NEVER_SET_7F3\"\nmodel = \"deepseek-v4-flash\"\n\
             models = [\"deepseek-v4-pro\", \"my-finetune\"]\n",
            config::DEFAULTS_TOML
        );
        let config: config::Config = toml::from_str(&text).unwrap();
        let choices = model_choices(&config);
        let find = |p: &str, m: &str| {
            choices
                .iter()
                .find(|c| c.provider == p && c.model == m)
                .unwrap_or_else(|| panic!("{p}/{m} in {choices:?}"))
        };
        // A preset's catalog models, with the catalog's window, prices and reasoning.
        let has = |c: &app::ModelChoice, fact: &str| c.facts.iter().any(|f| f == fact);
        assert!(has(find("openai", "gpt-5.4"), "reasons"));
        assert!(has(find("anthropic", "claude-opus-4-5"), "200k window"));
        assert!(!has(find("openai", "gpt-4.1"), "reasons"));
        // A provider's own list, a model the catalog does not know included; a missing key
        // leads (it is what a row keeps first).
        let mine = find("mine", "deepseek-v4-pro");
        assert!(
            mine.facts.iter().any(|f| f.contains('$')),
            "{:?}",
            mine.facts
        );
        assert_eq!(mine.facts[0], "no key");
        assert_eq!(
            mine.facts.last().map(String::as_str),
            Some("set GEARSHIFT_TEST_NEVER_SET_7F3")
        );
        find("mine", "my-finetune");
        assert!(!choices.iter().any(|c| c.provider == "demo"));
    }
}
