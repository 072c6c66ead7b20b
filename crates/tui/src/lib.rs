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
mod event_loop;
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
pub mod models;
pub mod outcome;
pub mod overlay;
pub mod pane;
mod paste;
pub mod planview;
mod services;
mod session;
mod terminal;
pub mod theme;
pub mod toolcell;
pub mod transcript;
pub mod view;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use tokio::sync::mpsc;

use crate::core::OpenRequest;
use crate::launch::{Context, LogGuard};
use event_loop::LoopExit;
pub use event_loop::{FRAME_INTERVAL, STREAM_FRAME_INTERVAL};
use keymap::Keymap;
use session::{Opened, Shared};
use terminal::TerminalGuard;
use theme::Theme;

/// Runs the workbench until the user quits.
pub fn run(ctx: &Context, mut request: OpenRequest) -> anyhow::Result<ExitCode> {
    let config = &ctx.loaded.config;
    let keymap = keymap_of(ctx)?;
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
        let opened = open(ctx, &request, read_only, &mut log)?;
        if guard.is_none() {
            guard = Some(TerminalGuard::enter().context("cannot set up the terminal")?);
        }
        let Some(terminal) = guard.as_mut() else {
            anyhow::bail!("internal: no terminal");
        };
        let library = opened.library.clone();
        let shared = Shared {
            keymap: &keymap,
            theme: &theme,
            highlighter: highlighter.as_ref(),
            highlighted: &mut hl_rx,
        };
        let exit = runtime.block_on(session::run(ctx, terminal, opened, shared, read_only));
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

/// The keymap of the config, a bad binding reported at its file and line as every other
/// config error is.
fn keymap_of(ctx: &Context) -> anyhow::Result<Keymap> {
    Keymap::new(&ctx.loaded.config.keys).map_err(|e| {
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
    })
}

/// How many earlier prompts the composer's history offers.
const HISTORY_PROMPTS: usize = 500;

/// Opens the session `request` names — to run it, or only to read it (another workspace's) —
/// and reads the composer's history, all before the terminal is touched. The first session's
/// log writer is kept in `log` for the whole run.
fn open(
    ctx: &Context,
    request: &OpenRequest,
    read_only: bool,
    log: &mut Option<LogGuard>,
) -> anyhow::Result<Opened> {
    let mut opened = open_session(ctx, request, read_only, log)?;
    opened.prompts = opened
        .library
        .recent_prompts(&ctx.workspace_str(), HISTORY_PROMPTS)
        .map_err(anyhow::Error::msg)?;
    Ok(opened)
}

fn open_session(
    ctx: &Context,
    request: &OpenRequest,
    read_only: bool,
    log: &mut Option<LogGuard>,
) -> anyhow::Result<Opened> {
    if read_only {
        let OpenRequest::Resume(id) = request else {
            anyhow::bail!("internal: a read-only session needs an ID");
        };
        let read = ctx.read_session(id)?;
        return Ok(Opened {
            provider: read.provider,
            library: read.library,
            session: read.opened,
            deps: None,
            prompts: Vec::new(),
        });
    }
    let started = ctx.start_session(request, core::ApprovalMode::Ask)?;
    if log.is_none() {
        *log = started.log;
    }
    Ok(Opened {
        provider: started.provider,
        library: started.library,
        session: started.opened,
        deps: Some(core::SessionDeps {
            interactive: true,
            ..started.deps
        }),
        prompts: Vec::new(),
    })
}
