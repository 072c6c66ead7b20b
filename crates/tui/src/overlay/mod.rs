//! Overlays as units, on a stack. Each overlay owns its state, says which key contexts apply
//! while it is on top, takes typed keys for its own fields, handles the actions of its
//! context, and draws itself over the panes. The app keeps them as a stack: one opened over
//! another (an approval over the browser) returns to it when closed.
//!
//! Adding an overlay is one new file here with its `impl Layer`, and its variant in
//! [`Overlay`] with its line in [`Overlay::layer`] / [`Overlay::layer_mut`].

mod approval;
mod browser;
mod help;
mod palette;
mod stats;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

pub use help::Help;
pub use palette::{Choice, Entry as PaletteEntry, Palette};
pub use stats::StatsView;

use super::approval::ApprovalPrompt;
use super::browser::Browser;
use super::commands::Commands;
use super::keymap::{Action, KeyContext, Keymap};
use super::layout::Focus;
use super::outcome::Outcome;
use super::theme::Theme;

/// What covers the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help(Help),
    /// The model wants to run a command.
    Approval(Box<ApprovalPrompt>),
    Sessions(Box<Browser>),
    Palette(Box<Palette>),
    /// `/cost`: tokens, cost and speed, this session's and the last days'.
    Stats(Box<StatsView>),
}

impl Overlay {
    /// The overlay as a unit.
    #[must_use]
    pub fn layer(&self) -> &dyn Layer {
        match self {
            Overlay::Help(h) => h,
            Overlay::Approval(p) => p.as_ref(),
            Overlay::Sessions(b) => b.as_ref(),
            Overlay::Palette(p) => p.as_ref(),
            Overlay::Stats(s) => s.as_ref(),
        }
    }

    pub fn layer_mut(&mut self) -> &mut dyn Layer {
        match self {
            Overlay::Help(h) => h,
            Overlay::Approval(p) => p.as_mut(),
            Overlay::Sessions(b) => b.as_mut(),
            Overlay::Palette(p) => p.as_mut(),
            Overlay::Stats(s) => s.as_mut(),
        }
    }
}

/// What an overlay may read of the app while it acts.
pub struct LayerCtx<'a> {
    pub keymap: &'a Keymap,
    /// The terminal's size (a modal scrolls by what it shows).
    pub size: Rect,
}

/// What an overlay may read of the app while it draws.
pub struct DrawCtx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// Every `/` command, for the help.
    pub commands: &'a Commands,
    /// What had focus before the overlay opened (the help lists its keys first).
    pub focus: Focus,
    /// Commands run without the sandbox the config asks for: an approval says so.
    pub sandbox_unenforced: bool,
}

/// What an overlay's key asks of the app.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerOutcome {
    /// The overlay is done: back to the one beneath it.
    pub close: bool,
    pub outcome: Outcome,
    /// Something to run once it is closed (the palette's choice).
    pub run: Option<Choice>,
}

impl From<Outcome> for LayerOutcome {
    fn from(outcome: Outcome) -> LayerOutcome {
        LayerOutcome {
            close: false,
            outcome,
            run: None,
        }
    }
}

/// The keys of an overlay that only scrolls and closes (the help, `/cost`): the help's.
fn scroll_or_close(scroll: &mut u16, action: Action) -> LayerOutcome {
    match action {
        Action::HelpUp => *scroll = scroll.saturating_sub(1),
        Action::HelpDown => *scroll = scroll.saturating_add(1),
        Action::HelpClose => {
            return LayerOutcome {
                close: true,
                ..LayerOutcome::default()
            };
        }
        _ => {}
    }
    LayerOutcome::default()
}

/// The mouse wheel over such an overlay.
fn wheel_scroll(scroll: &mut u16, delta: isize) {
    *scroll = scroll.saturating_add_signed(i16::try_from(delta).unwrap_or(0));
}

/// One overlay.
pub trait Layer {
    /// The key contexts while it is on top, most specific first (typing into one of its
    /// fields: only the global keys are keys).
    fn contexts(&self) -> Vec<KeyContext>;
    /// A key typed into one of its fields, before the keymap sees it; `None` when it is not
    /// typing, or leaves this key to the keymap (Ctrl+Q…).
    fn type_key(&mut self, _key: &KeyEvent) -> Option<LayerOutcome> {
        None
    }
    /// An action of its key context.
    fn handle(&mut self, action: Action, ctx: &LayerCtx<'_>) -> LayerOutcome;
    /// The mouse wheel over it. Overlays take the wheel whether they scroll or not.
    fn wheel(&mut self, _delta: isize) {}
    /// Draws it over `area` (the whole screen).
    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect);
}
