//! One session in the workbench: its [`App`] built from what was opened (the stored history
//! replayed into it a page at a time), its core spawned, the event loop run, and the core
//! given the time to commit what it has before the terminal is restored or reused.

use std::sync::Arc;

use anyhow::Context as _;
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use crate::app::App;
use crate::core::{self, OpenedSession, SessionDeps};
use crate::event_loop::{Channels, LoopExit, event_loop};
use crate::highlight::Highlighter;
use crate::keymap::Keymap;
use crate::launch::Context;
use crate::library::Library;
use crate::protocol::Op;
use crate::services::Services;
use crate::terminal::TerminalGuard;
use crate::theme::Theme;

/// A session opened, not yet shown.
pub(crate) struct Opened {
    pub provider: crate::config::ActiveProvider,
    pub library: Library,
    pub session: OpenedSession,
    /// What its core runs with; `None` for a session opened read-only (no core runs).
    pub deps: Option<SessionDeps>,
    /// The earlier prompts the composer's history offers.
    pub prompts: Vec<String>,
}

/// What every session of the run shares.
pub(crate) struct Shared<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    /// One highlighting worker for the whole run: switching sessions keeps its cache.
    pub highlighter: Option<&'a Arc<Highlighter>>,
    pub highlighted: &'a mut mpsc::UnboundedReceiver<()>,
}

/// Shows session `opened` until the loop exits, and lets its core finish.
pub(crate) async fn run(
    ctx: &Context,
    terminal: &mut TerminalGuard,
    mut opened: Opened,
    shared: Shared<'_>,
    read_only: bool,
) -> anyhow::Result<LoopExit> {
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let size = terminal
        .terminal
        .size()
        .context("cannot read the terminal size")?;
    let mut app = app(
        ctx,
        &mut opened,
        &shared,
        Rect::new(0, 0, size.width, size.height),
    )?;
    if read_only {
        app.set_read_only();
    }
    let Opened {
        library,
        session,
        deps,
        ..
    } = opened;
    let core =
        deps.map(|deps| tokio::spawn(core::run_session(deps, session.state, op_rx, event_tx)));
    let (bg_tx, bg_rx) = mpsc::unbounded_channel();
    let services = Services {
        library,
        export_dir: ctx.paths.export_dir.clone(),
        workspace: ctx.workspace.clone(),
        tx: bg_tx,
    };
    let channels = Channels {
        ops: op_tx.clone(),
        core_events: event_rx,
        highlighted: shared.highlighted,
        background: bg_rx,
    };
    let outcome = event_loop(terminal, app, channels, &services).await;
    // Let the core commit what it has before the terminal is restored or reused.
    let _ = op_tx.send(Op::Quit);
    if let Some(core) = core {
        let _ = core.await;
    }
    outcome
}

/// The app for session `opened`, its history replayed and the config's settings in it.
fn app(ctx: &Context, opened: &mut Opened, shared: &Shared<'_>, size: Rect) -> anyhow::Result<App> {
    let config = &ctx.loaded.config;
    let mut app = App::new(
        shared.keymap.clone(),
        shared.theme.clone(),
        &opened.session,
        &opened.provider,
        std::mem::take(&mut opened.prompts),
        size,
    );
    // A stored session is shown a page of events at a time, so it is never all in memory at
    // once; its state goes to the core, not kept twice.
    if opened.session.resumed {
        opened
            .library
            .replay(&opened.session.state.id, |e| app.replay(&e))
            .map_err(anyhow::Error::msg)?;
    }
    app.replayed();
    app.here = ctx.workspace_str();
    app.warn_at = config.context.warn_at;
    app.notify = config.notify.method;
    app.models = crate::models::model_choices(config);
    app.checkpoints.clone_from(&config.checkpoints);
    // The session's hooks, for `/hooks` (compiled once; a read-only session runs none, but
    // its config's are still listed).
    app.hooks = opened.deps.as_ref().map_or_else(
        || Arc::new(config.compiled_hooks()),
        |d| Arc::clone(&d.hooks),
    );
    if let Some(h) = shared.highlighter {
        app.set_highlighter(Arc::clone(h));
    }
    Ok(app)
}
