//! The front end's state and how input changes it.
//!
//! Everything here is synchronous and free of IO: terminal input and core events go in,
//! [`Effect`]s (ops for the core, quitting) come out. The event loop in `tui::run` does the IO
//! and the drawing; `tui::view` renders an `&App` without changing it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::browser::Browser;
use super::contextview::ContextView;
use super::diffview::DiffView;
use super::highlight::Highlighter;
use super::history::PromptHistory;
use super::keymap::{Action, Keymap};
pub use super::layout::Focus;
use super::layout::{self, PaneId};
pub use super::outcome::Effect;
use super::overlay::{DrawCtx, LayerCtx, LayerOutcome};
pub use super::overlay::{Help, Overlay};
use super::pane::{Outcome, Pane, PaneCtx};
use super::paste::Pastes;
use super::planview::PlanView;
use super::theme::Theme;
use super::transcript::{EntryKind, Transcript};
use crate::config::ActiveProvider;
use crate::core::OpenedSession;
use crate::protocol::Event;

/// A second Ctrl+C within this long quits.
const DOUBLE_INTERRUPT: Duration = Duration::from_secs(1);
/// A destructive pane key pressed again within this long does it.
const CONFIRM_WITHIN: Duration = Duration::from_secs(3);
/// Lines scrolled per mouse-wheel notch.
const WHEEL_LINES: isize = 3;

/// A model the picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    pub provider: String,
    pub model: String,
    /// Its window, prices and key, most important first ("no key: set VAR" leads).
    pub facts: Vec<String>,
}

/// The panes, in [`PaneId::ALL`] order: registering a pane is its field in [`App`] and one
/// entry here.
macro_rules! panes {
    ($app:ident, $($borrow:tt)+) => {
        [
            $($borrow)+ $app.transcript,
            $($borrow)+ $app.plan,
            $($borrow)+ $app.diff,
            $($borrow)+ $app.context,
        ]
    };
}
const PANES: usize = PaneId::ALL.len();

/// What the panes read of the app, borrowed field by field (so it can sit beside `panes!`).
macro_rules! pane_ctx {
    ($app:ident) => {
        PaneCtx {
            theme: &$app.theme,
            keymap: &$app.keymap,
            highlighter: $app.highlighter.as_deref(),
            read_only: $app.session.read_only,
            in_pipeline: $app.pipeline.is_some(),
            pipeline: $app.pipeline.as_ref(),
            warn_at: $app.warn_at,
            gear: $app.session.gear,
            model: &$app.session.model_label,
        }
    };
}

pub struct App {
    /// A stored session being opened: how the chat will say so once its events are shown.
    reopened: Option<Reopened>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub focus: Focus,
    /// Open overlays, the top one last.
    pub overlays: Vec<Overlay>,
    pub zoomed: bool,
    pub session: SessionView,
    pub composer: TextArea<'static>,
    pub transcript: Transcript,
    pub diff: DiffView,
    pub context: ContextView,
    pub plan: PlanView,
    /// The pipeline run, in the pipeline gear (its stage bar).
    pub pipeline: Option<crate::pipeline::Run>,
    /// Fill of the context window at which the UI warns (`[context] warn_at`).
    pub warn_at: f64,
    /// A model turn is running (Ctrl+C cancels it).
    pub busy: bool,
    /// The plan runs every approved step by itself: a step's gate is not a stop.
    pub running_all: bool,
    /// The workspace gearshift runs in: the browser's "this workspace", whichever session
    /// (another workspace's, read-only) is open.
    pub here: String,
    /// A transient line for the status bar ("press Ctrl+C again to quit").
    pub note: Option<String>,
    pub size: Rect,
    /// The `/` commands: built-in, and the skills and custom commands the core found.
    pub commands: super::commands::Commands,
    /// The `/` popup's selected row, and the text Esc dismissed it for.
    completion_index: usize,
    completion_dismissed: Option<String>,
    /// A draft Ctrl+C cleared, which ↑ brings back.
    cleared_draft: Option<String>,
    /// Whether the terminal has focus (focus events; assumed until told otherwise).
    pub terminal_focused: bool,
    /// `[notify] method`.
    pub notify: crate::config::NotifyMethod,
    /// Notifications to send: something waits for you and the terminal is not focused.
    notifications: Vec<String>,
    /// The models `/model` offers (every configured provider's).
    pub models: Vec<ModelChoice>,
    /// Prompts sent while the model works, not delivered yet: shown above the composer, Esc
    /// takes the last one back to edit.
    pub queued: Vec<String>,
    /// The requests of the turn running, for the usage line under it.
    turn_requests: Vec<crate::library::RequestRow>,
    /// What the turn's subagents spent, for the same line.
    turn_agents: Vec<crate::report::figures::AgentSpend>,
    /// `[[checkpoints]]` in force, for `/checkpoints`.
    pub checkpoints: Vec<crate::config::CheckpointRule>,
    /// This session's stops at a checkpoint: what stopped, and why.
    pub checkpoint_hits: Vec<(String, String)>,
    /// The hooks in force and what of them could not be loaded, for `/hooks`.
    pub hooks: Arc<crate::hooks::Hooks>,
    /// This session's hook runs (shown live as they come, listed by `/hooks`).
    pub hook_runs: Vec<crate::hooks::HookRun>,
    /// The workspace's files and folders for `@` completion, once asked for (at the first
    /// `@`), ranked for the mention being typed.
    pub files: Option<Box<crate::file_index::FileIndex>>,
    /// A fresher index, ranking for the query in use before it replaces `files`.
    fresher: Option<Box<crate::file_index::FileIndex>>,
    /// A walk for a fresher index is under way.
    files_walking: bool,
    /// Something the user must answer arrived: the next frame is due at the full rate.
    urgent: bool,
    files_asked: Option<Instant>,
    /// A destructive pane key pressed once, waiting for its second press.
    confirming: Option<(Action, Instant)>,
    history: PromptHistory,
    /// Large pastes, held as tokens in the composer until the prompt is sent.
    pastes: Pastes,
    /// Code highlighting; `None` shows code plain (tests, or when the worker cannot start).
    highlighter: Option<Arc<Highlighter>>,
    last_interrupt: Option<Instant>,
    /// The fill warning was given and the fill is still above it.
    context_warned: bool,
    dirty: bool,
    quitting: bool,
}

impl App {
    #[must_use]
    pub fn new(
        keymap: Keymap,
        theme: Theme,
        opened: &OpenedSession,
        provider: &ActiveProvider,
        prompts: Vec<String>,
        size: Rect,
    ) -> App {
        let state = &opened.state;
        let mut app = App {
            reopened: None,
            composer: TextArea::default(),
            keymap,
            theme,
            focus: Focus::Composer,
            overlays: Vec::new(),
            zoomed: false,
            session: SessionView {
                id: state.id.clone(),
                title: state.title.clone(),
                gear: state.gear,
                provider: provider.name.clone(),
                model: provider.model.clone(),
                model_label: if provider.is_demo {
                    String::new()
                } else {
                    provider.source()
                },
                is_demo: provider.is_demo,
                workspace: state.workspace.clone(),
                read_only: false,
                stopped: false,
                context_window: u64::from(provider.context_window),
                context_tokens: state.context_tokens,
                cost: (provider.prices.input.is_some() || provider.prices.output.is_some())
                    .then_some(state.cost),
                sandbox: None,
                mcp: Vec::new(),
            },
            transcript: Transcript::default(),
            diff: DiffView::default(),
            context: ContextView::default(),
            plan: PlanView::default(),
            pipeline: None,
            warn_at: 0.8,
            busy: false,
            running_all: false,
            here: state.workspace.clone(),
            note: None,
            size,
            commands: super::commands::Commands::default(),
            completion_index: 0,
            completion_dismissed: None,
            cleared_draft: None,
            confirming: None,
            terminal_focused: true,
            notify: crate::config::NotifyMethod::default(),
            notifications: Vec::new(),
            models: Vec::new(),
            queued: Vec::new(),
            turn_requests: Vec::new(),
            turn_agents: Vec::new(),
            checkpoints: Vec::new(),
            checkpoint_hits: Vec::new(),
            hooks: Arc::default(),
            hook_runs: Vec::new(),
            files: None,
            fresher: None,
            files_walking: false,
            urgent: false,
            files_asked: None,
            history: PromptHistory::new(prompts),
            pastes: Pastes::default(),
            highlighter: None,
            last_interrupt: None,
            context_warned: false,
            dirty: true,
            quitting: false,
        };
        app.reset_composer(Vec::new());
        if provider.is_tour() {
            app.transcript.push(
                EntryKind::Notice,
                format!(
                    "DEMO — a guided tour: a scripted model in a scratch project ({}), nothing \
                     of yours is touched. Type `look around` to start; the project's README.md \
                     lists every step, and F1 every key.",
                    state.workspace
                ),
            );
        } else if provider.is_demo {
            app.transcript.push(
                EntryKind::Notice,
                "DEMO — no model is configured, so replies come from gearshift's offline demo \
                 script. Send any prompt to learn how to connect a real model; `gearshift demo` \
                 is a guided tour; F1 lists every key.",
            );
        }
        app.reopened = opened.resumed.then(Reopened::default);
        app
    }

    /// Shows a stored event of the session being opened (see [`App::replayed`]).
    pub fn replay(&mut self, event: &Event) {
        if let Some(r) = &mut self.reopened {
            r.see(event);
        }
        self.apply(event, true);
    }

    /// Shows every event of `history` (see [`App::replay`]), then [`App::replayed`].
    pub fn replay_all(&mut self, history: &[Event]) {
        for e in history {
            self.replay(e);
        }
        self.replayed();
    }

    /// Every stored event is shown: a reply cut short by a crash is marked, and a stored
    /// session says how it was opened.
    pub fn replayed(&mut self) {
        self.transcript.interrupt_streaming();
        if let Some(r) = self.reopened.take() {
            let id = &self.session.id;
            let notice = r.notice(&id[..id.len().min(8)]);
            self.transcript.push(EntryKind::Notice, notice);
        }
    }

    pub fn set_highlighter(&mut self, highlighter: Arc<Highlighter>) {
        self.highlighter = Some(highlighter);
        self.transcript.highlights_ready();
        self.dirty = true;
    }

    /// Highlighted code arrived from the worker.
    pub fn on_highlighted(&mut self) {
        self.transcript.highlights_ready();
        self.dirty = true;
    }

    /// What the overlays may read of the app while they draw.
    #[must_use]
    pub fn draw_ctx(&self) -> DrawCtx<'_> {
        DrawCtx {
            theme: &self.theme,
            keymap: &self.keymap,
            commands: &self.commands,
            focus: self.focus,
            sandbox_unenforced: self.session.sandbox.as_ref().is_some_and(|sb| !sb.enforced),
        }
    }

    /// What the panes may read of the app while they prepare, draw or act.
    #[must_use]
    pub fn pane_ctx(&self) -> PaneCtx<'_> {
        pane_ctx!(self)
    }

    /// The pane with this id.
    #[must_use]
    pub fn pane(&self, id: PaneId) -> &dyn Pane {
        let panes: [&dyn Pane; PANES] = panes!(self, &);
        panes
            .into_iter()
            .find(|p| p.id() == id)
            .unwrap_or(&self.transcript)
    }

    /// Every pane (in [`PaneId::ALL`] order) with the context they read, borrowed apart.
    fn split(&mut self) -> (PaneCtx<'_>, [&mut dyn Pane; PANES]) {
        let ctx = pane_ctx!(self);
        let panes: [&mut dyn Pane; PANES] = panes!(self, &mut);
        (ctx, panes)
    }

    /// An action of a pane's key context goes to that pane; what it asks for is routed.
    fn route(&mut self, id: PaneId, action: Action) -> Vec<Effect> {
        let (ctx, panes) = self.split();
        let Some(pane) = panes.into_iter().find(|p| p.id() == id) else {
            return Vec::new();
        };
        let outcome = pane.handle(action, &ctx);
        self.outcome(outcome)
    }

    /// An overlay's action or typed key: what it asks for is routed, and a finished overlay
    /// returns to the one beneath it.
    fn layer(&mut self, outcome: LayerOutcome) -> Vec<Effect> {
        if outcome.close {
            self.overlays.pop();
        }
        let mut effects = self.outcome(outcome.outcome);
        if let Some(choice) = outcome.run {
            effects.extend(self.run_choice(choice));
        }
        effects
    }

    /// An action of the top overlay's key context goes to it.
    fn route_overlay(&mut self, action: Action) -> Vec<Effect> {
        let ctx = LayerCtx {
            keymap: &self.keymap,
            size: self.size,
        };
        let Some(top) = self.overlays.last_mut() else {
            return Vec::new();
        };
        let outcome = top.layer_mut().handle(action, &ctx);
        self.layer(outcome)
    }

    /// What a pane asked for: a note for the status bar, ops and effects for the loop.
    fn outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        if outcome.note.is_some() {
            self.note = outcome.note;
        }
        let mut effects: Vec<Effect> = outcome.ops.into_iter().map(Effect::Send).collect();
        effects.extend(outcome.effects);
        effects
    }

    /// The overlay on top, the one keys go to.
    #[must_use]
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlays.last()
    }

    /// The session browser, wherever it is in the stack (its results arrive while an
    /// approval or the help may cover it).
    pub fn browser_mut(&mut self) -> Option<&mut Browser> {
        self.overlays.iter_mut().rev().find_map(|o| match o {
            Overlay::Sessions(b) => Some(b.as_mut()),
            _ => None,
        })
    }

    /// Why a read-only session refuses, and how to fork it, with the live keys.
    fn read_only_note(&self, to: &str) -> String {
        format!(
            "read-only session: fork it ({}, then {}) {to}",
            super::hints::key(&self.keymap, Action::Sessions),
            super::hints::key(&self.keymap, Action::BrowserFork)
        )
    }

    /// Whether something changed since the last frame.
    #[must_use]
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// A frame was drawn: what it showed counts as seen (an approval prompt's command).
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
        let area = self.size;
        if let Some(Overlay::Approval(p)) = self.overlays.last_mut()
            && p.drawn_in(area)
        {
            // Its keys line changes now that it has been seen.
            self.dirty = true;
        }
    }

    #[must_use]
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    #[must_use]
    pub fn layout(&self) -> layout::ScreenLayout {
        layout::compute(self.size, self.focus.pane(), self.zoomed)
    }

    /// Whether something the user must answer arrived since the last ask (the event loop
    /// then draws it at the full frame rate).
    pub fn take_urgent(&mut self) -> bool {
        std::mem::take(&mut self.urgent)
    }

    /// Applies an event from the core.
    pub fn on_core(&mut self, event: &Event) {
        self.apply(event, false);
        self.dirty = true;
    }
}

mod calls;
mod composer;
mod events;
mod frame;
mod input;
mod keys;
mod mention;
mod overlays;
mod panes;
mod session;
mod session_events;
mod workers;

pub use composer::POPUP_ROWS;
pub use panes::WaitingGate;
use session::Reopened;
pub use session::{SandboxView, SessionView};
#[cfg(test)]
mod tests;
