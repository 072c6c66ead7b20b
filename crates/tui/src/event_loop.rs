//! The event loop of one session: terminal input, core events, background answers and
//! signals are applied to the [`App`] as they come; a frame is drawn only when something
//! changed, at most every [`FRAME_INTERVAL`], inside synchronized output; the effects the app
//! returns are run here, the only place that does IO for it.

use std::io::Write;
use std::task::Poll;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::EventStream;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{App, Effect, Overlay};
use crate::browser::BrowserRequest;
use crate::config::NotifyMethod;
use crate::protocol::{self, Op};
use crate::services::{Background, Services};
use crate::terminal::TerminalGuard;
use crate::{editor, view};

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

/// Why the event loop returned.
pub(crate) enum LoopExit {
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

pub(crate) struct Channels<'a> {
    pub ops: mpsc::UnboundedSender<Op>,
    pub core_events: mpsc::UnboundedReceiver<protocol::Event>,
    /// Shared by every session of the run, like the highlighter that feeds it.
    pub highlighted: &'a mut mpsc::UnboundedReceiver<()>,
    pub background: mpsc::UnboundedReceiver<Background>,
}

/// The signals that end a session cleanly. Ctrl+C reaches gearshift as a key in raw mode; as
/// a signal (another process's kill -INT) it, like TERM, HUP and QUIT, ends the session
/// instead of leaving the terminal raw.
struct Signals([(i32, Signal); 4]);

impl Signals {
    fn watch() -> anyhow::Result<Signals> {
        let one = |kind: SignalKind, number: i32, name: &str| {
            signal(kind)
                .map(|s| (number, s))
                .with_context(|| format!("cannot watch {name}"))
        };
        Ok(Signals([
            one(SignalKind::terminate(), libc::SIGTERM, "SIGTERM")?,
            one(SignalKind::hangup(), libc::SIGHUP, "SIGHUP")?,
            one(SignalKind::interrupt(), libc::SIGINT, "SIGINT")?,
            one(SignalKind::quit(), libc::SIGQUIT, "SIGQUIT")?,
        ]))
    }

    /// The number of the next signal that arrives.
    async fn next(&mut self) -> i32 {
        let [(a, sa), (b, sb), (c, sc), (d, sd)] = &mut self.0;
        // In a fixed order, should several arrive at once: TERM, HUP, INT, QUIT.
        tokio::select! {
            biased;
            _ = sa.recv() => *a,
            _ = sb.recv() => *b,
            _ = sc.recv() => *c,
            _ = sd.recv() => *d,
        }
    }
}

/// What one turn of the loop found.
enum Step {
    Effects(Vec<Effect>),
    Exit(LoopExit),
}

/// One session's loop: what it reads from and writes to.
struct Loop<'a, 'g> {
    guard: &'g mut TerminalGuard,
    app: App,
    ch: Channels<'a>,
    services: &'g Services,
    /// `None` while `$EDITOR` owns the terminal.
    input: Option<EventStream>,
    /// Whether the user did something since the last frame (a key, a paste, an answer from
    /// the background): then the next frame comes at the full rate.
    asked: bool,
}

pub(crate) async fn event_loop(
    guard: &mut TerminalGuard,
    app: App,
    ch: Channels<'_>,
    services: &Services,
) -> anyhow::Result<LoopExit> {
    let mut signals = Signals::watch()?;
    let mut l = Loop {
        guard,
        app,
        ch,
        services,
        input: Some(EventStream::new()),
        asked: true,
    };
    let mut last_frame: Option<Instant> = None;
    loop {
        let interval = if l.asked || !l.app.busy {
            FRAME_INTERVAL
        } else {
            STREAM_FRAME_INTERVAL
        };
        if l.app.is_dirty() && last_frame.is_none_or(|t| t.elapsed() >= interval) {
            draw(l.guard, &mut l.app)?;
            last_frame = Some(Instant::now());
            l.asked = false;
        }
        if l.app.is_quitting() {
            return Ok(LoopExit::Quit);
        }
        let next_frame = last_frame.map_or_else(Instant::now, |t| t + interval);
        let step = tokio::select! {
            biased;
            term = next_input(&mut l.input) => l.on_input(term).await?,
            Some(event) = l.ch.core_events.recv() => l.on_core(&event)?,
            Some(answer) = l.ch.background.recv() => l.on_background(answer),
            Some(()) = l.ch.highlighted.recv() => {
                while l.ch.highlighted.try_recv().is_ok() {}
                l.app.on_highlighted();
                Step::Effects(Vec::new())
            }
            number = signals.next() => Step::Exit(LoopExit::Signalled(number)),
            // Wakes only when a frame is owed; an idle gearshift sleeps here without a timer.
            () = tokio::time::sleep_until(next_frame.into()), if l.app.is_dirty() => {
                Step::Effects(Vec::new())
            }
        };
        match step {
            Step::Exit(exit) => return Ok(exit),
            Step::Effects(effects) => {
                for effect in effects {
                    if let Some(exit) = l.run(effect).await? {
                        return Ok(exit);
                    }
                }
            }
        }
    }
}

/// The next terminal event; pending while there is no stream.
async fn next_input(
    input: &mut Option<EventStream>,
) -> Option<std::io::Result<crossterm::event::Event>> {
    match input {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

impl Loop<'_, '_> {
    /// A terminal event, then every one already waiting, before drawing again. Polled with
    /// this task's own waker: crossterm's stream keeps the waker of the first poll that found
    /// nothing, so a no-op waker here would lose the next wake-up.
    async fn on_input(
        &mut self,
        term: Option<std::io::Result<crossterm::event::Event>>,
    ) -> anyhow::Result<Step> {
        let event = match term {
            Some(Ok(event)) => event,
            Some(Err(e)) => return Err(e).context("cannot read from the terminal"),
            None => return Ok(Step::Exit(LoopExit::Quit)),
        };
        // Mouse motion is not a request to see something sooner.
        self.asked |= !matches!(event, crossterm::event::Event::Mouse(_));
        let mut effects = self.app.on_terminal(event, Instant::now());
        for _ in 0..MAX_INPUT_PER_FRAME {
            if !effects.is_empty() {
                break;
            }
            let Some(stream) = self.input.as_mut() else {
                break;
            };
            match futures::poll!(stream.next()) {
                Poll::Ready(Some(Ok(event))) => {
                    effects = self.app.on_terminal(event, Instant::now());
                }
                Poll::Ready(Some(Err(e))) => {
                    return Err(e).context("cannot read from the terminal");
                }
                Poll::Ready(None) => return Ok(Step::Exit(LoopExit::Quit)),
                Poll::Pending => break,
            }
        }
        Ok(Step::Effects(effects))
    }

    /// A core event, then everything already queued, before the next frame.
    fn on_core(&mut self, event: &protocol::Event) -> anyhow::Result<Step> {
        self.app.on_core(event);
        for _ in 0..MAX_EVENTS_PER_FRAME {
            match self.ch.core_events.try_recv() {
                Ok(event) => self.app.on_core(&event),
                Err(_) => break,
            }
        }
        self.asked |= self.app.take_urgent();
        for text in self.app.take_notifications() {
            notify(self.guard, self.app.notify, &text)?;
        }
        Ok(Step::Effects(Vec::new()))
    }

    /// An answer from the background services.
    fn on_background(&mut self, answer: Background) -> Step {
        // The walk's news for `@` comes often and is not asked for by itself.
        self.asked |= !matches!(answer, Background::FilesMoved);
        let app = &mut self.app;
        Step::Effects(match answer {
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
            Background::Open { id, read_only } => {
                return Step::Exit(LoopExit::Open { id, read_only });
            }
            Background::Output { call, text, copy } => app.on_output(&call, text, copy),
            Background::Stats(overview) => {
                app.on_stats(*overview);
                Vec::new()
            }
        })
    }

    /// Runs one effect; `Some` when it ends the session.
    async fn run(&mut self, effect: Effect) -> anyhow::Result<Option<LoopExit>> {
        let app = &mut self.app;
        match effect {
            Effect::Send(op) => {
                if let Err(mpsc::error::SendError(op)) = self.ch.ops.send(op) {
                    app.core_gone(op);
                }
            }
            Effect::Copy(text) => copy_to_clipboard(self.guard, &text)?,
            Effect::Browser(BrowserRequest::Open { id, read_only }) => {
                if id == app.session.id && !read_only {
                    app.overlays.retain(|o| !matches!(o, Overlay::Sessions(_)));
                } else {
                    return Ok(Some(LoopExit::Open { id, read_only }));
                }
            }
            // The open session's title goes through its actor, so its state agrees.
            Effect::Browser(BrowserRequest::Rename { id, title })
                if id == app.session.id && !app.session.read_only =>
            {
                let _ = self.ch.ops.send(Op::SetTitle { title });
            }
            Effect::Browser(request) => self.services.run(request),
            Effect::EditHunk {
                change,
                hunk,
                text,
                extension,
            } => {
                let saved = self.edit(&text, &extension).await;
                for effect in self.app.on_edited(change, hunk, &text, saved) {
                    if let Effect::Send(op) = effect {
                        let _ = self.ch.ops.send(op);
                    }
                }
            }
            Effect::EditPrompt(text) => {
                let saved = self.edit(&text, "md").await;
                self.app.on_prompt_edited(saved);
            }
            Effect::NewSession => return Ok(Some(LoopExit::New)),
            Effect::ListFiles => self.services.list_files(app.files.is_none()),
            Effect::LoadStats => self.services.load_stats(app.session.id.clone()),
            Effect::ReadOutput { call, copy } => {
                self.services
                    .read_output(app.session.id.clone(), call, copy);
            }
            Effect::Quit => {}
        }
        Ok(None)
    }

    /// `$EDITOR` on `text`; what was saved. The editor owns the terminal: input is not read
    /// until it returns. Dropping the stream wakes and ends its reader thread, which holds
    /// crossterm's reader lock while it waits: a new stream can only be made after that, so
    /// the old one goes first.
    async fn edit(&mut self, text: &str, extension: &str) -> Result<String, String> {
        self.input = None;
        let saved = editor::edit(self.guard, text, extension).await;
        self.input = Some(EventStream::new());
        saved
    }
}

/// Calls the human back: the bell, and a desktop notification by OSC 9 or OSC 777 (terminals
/// that do not know them ignore them). The text is stripped of control characters so it
/// cannot end the sequence early.
fn notify(guard: &mut TerminalGuard, method: NotifyMethod, text: &str) -> anyhow::Result<()> {
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
