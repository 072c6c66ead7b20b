//! Panes as units. Each pane owns its state, folds the core events it cares about, lays
//! itself out in `prepare` (never on the draw path), renders by `&self`, and handles the
//! actions of its key context, returning an [`Outcome`] for the app to route. `App` only
//! routes: an action goes to the pane of its key context, an event to every pane.
//!
//! Adding a pane is one new file here with its `impl Pane` and one line in
//! [`crate::app::App::pane_mut`] (plus its place in `layout`).

mod chat;
mod context;
mod diff;
mod plan;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::highlight::Highlighter;
use super::keymap::{Action, Keymap};
use super::layout::PaneId;
use super::theme::Theme;
pub use crate::outcome::Outcome;
use crate::protocol::Event;

/// What a pane may read of the rest of the app while it prepares, draws or acts.
pub struct PaneCtx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub highlighter: Option<&'a Highlighter>,
    /// The session belongs to another workspace: it can be read, not changed.
    pub read_only: bool,
    /// A pipeline run is under way (the plan pane's gate keys pass stages).
    pub in_pipeline: bool,
    /// The pipeline run, for the plan pane's stage bar.
    pub pipeline: Option<&'a crate::pipeline::Run>,
    /// `[context] warn_at`.
    pub warn_at: f64,
    /// The session's gear.
    pub gear: crate::protocol::Gear,
    /// The model requests go to, `provider/model`.
    pub model: &'a str,
}

/// One pane of the workbench.
pub trait Pane {
    fn id(&self) -> PaneId;
    /// The title on its border, which may say what it shows.
    fn title(&self) -> String;
    /// Folds a core event; returns whether it was one of this pane's.
    fn on_event(&mut self, event: &Event, replay: bool) -> bool;
    /// Lays out what `render` draws for the area inside the border.
    fn prepare(&mut self, inner: Rect, ctx: &PaneCtx<'_>);
    /// Draws what `prepare` laid out. No work beyond copying lines.
    fn render(&self, frame: &mut Frame<'_>, inner: Rect, ctx: &PaneCtx<'_>);
    /// Handles an action of its key context.
    fn handle(&mut self, action: Action, ctx: &PaneCtx<'_>) -> Outcome;
}

/// How a read-only session refuses a change, with the keys to fork it.
#[must_use]
pub fn read_only_note(keymap: &Keymap, to: &str) -> String {
    format!(
        "read-only session: fork it ({}, then {}) {to}",
        super::hints::key(keymap, Action::Sessions),
        super::hints::key(keymap, Action::BrowserFork)
    )
}
