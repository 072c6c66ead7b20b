//! What the keyboard, the mouse and pastes do: a key resolves to an action in the contexts
//! that apply (a pane's actions go to that pane), else it is typed into the composer.

use std::time::Instant;

use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui_textarea::{TextArea, WrapMode};

use super::{App, CONFIRM_WITHIN, DOUBLE_INTERRUPT, WHEEL_LINES};
use crate::browser::Browser;
use crate::keymap::{Action, KeyCombo, KeyContext};
use crate::layout;
use crate::layout::{Focus, PaneId};
use crate::outcome::Effect;
use crate::overlay::{Help, Overlay};
use crate::protocol::Op;

/// What a prompt typed after the session stopped is told.
const STOPPED_NOTE: &str = "not sent: the session stopped, since nothing more could be saved; \
    the prompt stays here. Fix the problem (free disk space), quit, and `gearshift --continue`";

impl App {
    /// Handles one terminal event at time `now`.
    pub fn on_terminal(&mut self, event: TermEvent, now: Instant) -> Vec<Effect> {
        let effects = self.on_event(event, now);
        self.follow_mention();
        effects
    }

    fn on_event(&mut self, event: TermEvent, now: Instant) -> Vec<Effect> {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key, now),
            TermEvent::Paste(text) => {
                self.on_paste(&text);
                Vec::new()
            }
            TermEvent::Mouse(m) => {
                self.on_mouse(m);
                Vec::new()
            }
            TermEvent::FocusGained => {
                self.terminal_focused = true;
                Vec::new()
            }
            TermEvent::FocusLost => {
                self.terminal_focused = false;
                Vec::new()
            }
            TermEvent::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.dirty = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        self.dirty = true;
        if let Some(top) = self.overlays.last_mut()
            && let Some(outcome) = top.layer_mut().type_key(&key)
        {
            return self.layer(outcome);
        }
        if let Some(effects) = self.type_comment(&key) {
            return effects;
        }
        if let Some(effects) = self.type_plan(&key) {
            return effects;
        }
        let combo = KeyCombo::from_event(&key);
        if let Some(action) = self.keymap.resolve(&self.contexts(), combo) {
            return self.perform(action, key, now);
        }
        if self.overlays.is_empty() && self.focus != Focus::Composer && is_printable(&key) {
            // A letter the focused pane does not use is the start of a prompt, not a command:
            // it moves focus to the composer and is typed there.
            self.focus = Focus::Composer;
            self.zoomed = false;
        }
        if self.focus == Focus::Composer && self.overlays.is_empty() {
            self.note = None;
            self.completion_index = 0;
            self.composer.input(key);
            return self.ask_for_files(now);
        }
        Vec::new()
    }

    /// Destructive single keys in a pane ask once more: the same key again within
    /// [`CONFIRM_WITHIN`] does it. `None` when the action goes ahead now.
    fn unconfirmed(&mut self, action: Action, now: Instant) -> Option<String> {
        let what = match action {
            Action::DiffUndo => "undo the last applied change",
            Action::DiffRepropose => "send the change back unapplied",
            Action::PlanDelete => "delete the step",
            _ => return None,
        };
        if self
            .confirming
            .is_some_and(|(a, t)| a == action && now.duration_since(t) <= CONFIRM_WITHIN)
        {
            self.confirming = None;
            return None;
        }
        self.confirming = Some((action, now));
        Some(format!(
            "press {} again to {what}",
            self.keymap.keys_label(action)
        ))
    }

    pub(super) fn perform(&mut self, action: Action, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if action != Action::Interrupt {
            self.last_interrupt = None;
            self.note = None;
        }
        let pane = match action.context() {
            KeyContext::Transcript => Some(PaneId::Chat),
            KeyContext::Plan => Some(PaneId::Plan),
            KeyContext::Diff => Some(PaneId::Diff),
            KeyContext::Context => Some(PaneId::Context),
            _ => None,
        };
        if let Some(id) = pane {
            if let Some(ask) = self.unconfirmed(action, now) {
                self.note = Some(ask);
                return Vec::new();
            }
            self.confirming = None;
            return self.route(id, action);
        }
        if matches!(action.context(), KeyContext::Gate | KeyContext::StageGate) {
            return self.gate_action(action);
        }
        if matches!(
            action.context(),
            KeyContext::Help | KeyContext::Approval | KeyContext::Browser | KeyContext::Palette
        ) {
            return self.route_overlay(action);
        }
        if action.context() == KeyContext::Completion {
            return self.completion_action(action);
        }
        match action {
            Action::Palette => self.open_palette(),
            Action::Models => self.open_model_picker(),
            Action::DeleteToStart => self.delete_to_start(),
            Action::EditPrompt => {
                let text = self.pastes.expand(&self.composer.lines().join("\n"));
                return vec![Effect::EditPrompt(text)];
            }
            Action::Quit => return self.quit(),
            Action::Interrupt => return self.interrupt(now),
            Action::FocusNext => self.focus = self.focus.next(),
            Action::Sessions => return self.toggle_sessions(),
            Action::FocusChat => self.focus = Focus::Composer,
            Action::FocusPlan => self.focus = Focus::Plan,
            Action::FocusDiff => self.focus = Focus::Diff,
            Action::FocusContext => self.focus = Focus::Context,
            Action::CycleGear if self.session.read_only => {
                self.note = Some(self.read_only_note("to continue"));
            }
            Action::CycleGear => {
                return vec![Effect::Send(Op::SetGear {
                    gear: self.session.gear.next(),
                })];
            }
            Action::Help | Action::PaneHelp => match self.overlay() {
                Some(Overlay::Help { .. }) => {
                    self.overlays.pop();
                }
                // The approval must be answered first.
                Some(Overlay::Approval(_)) => {}
                _ => self.overlays.push(Overlay::Help(Help::default())),
            },
            Action::Back => return self.back(),
            Action::Submit => return self.submit(),
            // With nothing typed, the queued prompt goes now: the turn stops and the core sends
            // what waits.
            Action::SendNow if self.busy && self.composer.is_empty() => {
                return vec![Effect::Send(Op::Cancel)];
            }
            Action::SendNow if self.busy => {
                let mut effects = vec![Effect::Send(Op::Cancel)];
                effects.extend(self.submit());
                return effects;
            }
            Action::SendNow => return self.submit(),
            Action::Newline => self.composer.insert_newline(),
            Action::HistoryPrev | Action::HistoryNext => self.history_key(action, key),
            Action::Zoom => self.zoomed = !self.zoomed,
            // A pane's or an overlay's own actions were routed to it above.
            _ => {}
        }
        Vec::new()
    }

    /// Opens or closes the session browser (an approval on top is answered first).
    fn toggle_sessions(&mut self) -> Vec<Effect> {
        match self.overlay() {
            Some(Overlay::Sessions(_)) => {
                self.overlays.pop();
            }
            // The approval must be answered first.
            Some(Overlay::Approval(_)) => {}
            // The browser is open beneath: back to it.
            _ if self
                .overlays
                .iter()
                .any(|o| matches!(o, Overlay::Sessions(_))) =>
            {
                while !matches!(self.overlay(), Some(Overlay::Sessions(_))) {
                    self.overlays.pop();
                }
            }
            _ => {
                let (browser, request) = Browser::open(&self.session.id, &self.here);
                self.overlays.push(Overlay::Sessions(Box::new(browser)));
                return vec![Effect::Browser(request)];
            }
        }
        Vec::new()
    }

    /// Esc: closes what is open, brings a queued prompt back, or cancels the turn — in that
    /// order — else returns to the composer.
    fn back(&mut self) -> Vec<Effect> {
        // Esc after a search clears it first; the next Esc closes the browser.
        if let Some(Overlay::Sessions(b)) = self.overlays.last_mut()
            && let Some(request) = b.clear_search()
        {
            return vec![Effect::Browser(request)];
        }
        if matches!(
            self.overlay(),
            Some(
                Overlay::Help { .. }
                    | Overlay::Sessions(_)
                    | Overlay::Palette(_)
                    | Overlay::Stats(_)
            )
        ) {
            self.overlays.pop();
        } else if self.dismiss_completion() {
            // The popup closes; the text stays.
        } else if !self.queued.is_empty() {
            // The last queued prompt comes back to edit, before anything is cancelled.
            return vec![Effect::Send(Op::Unqueue)];
        } else if matches!(self.overlay(), Some(Overlay::Approval(_))) {
            // Esc does not answer an approval; y, a or n does (Ctrl+C cancels the turn).
        } else if self.busy && self.diff.log.pending().is_none() {
            self.note = Some("cancelling…".into());
            return vec![Effect::Send(Op::Cancel)];
        } else {
            // With a change waiting for review, Esc only moves focus: cancelling would
            // withdraw the change (Ctrl+C still does, on purpose).
            self.focus = Focus::Composer;
            self.zoomed = false;
        }
        Vec::new()
    }

    /// ↑ and ↓ on the composer's first or last line: the prompts typed before.
    fn history_key(&mut self, action: Action, key: KeyEvent) {
        match action {
            Action::HistoryPrev => {
                if self.recall_draft() {
                    // The draft Ctrl+C cleared comes back first.
                } else if self.composer.cursor().0 == 0 {
                    let current = self.composer.lines().join("\n");
                    if let Some(text) = self.history.prev(&current) {
                        self.set_composer_text(&text);
                    }
                } else {
                    self.composer.input(key);
                }
            }
            Action::HistoryNext => {
                if self.composer.cursor().0 + 1 >= self.composer.lines().len() {
                    if let Some(text) = self.history.next() {
                        self.set_composer_text(&text);
                    }
                } else {
                    self.composer.input(key);
                }
            }
            _ => {}
        }
    }

    pub(super) fn quit(&mut self) -> Vec<Effect> {
        self.quitting = true;
        vec![Effect::Quit]
    }

    pub(super) fn interrupt(&mut self, now: Instant) -> Vec<Effect> {
        if self.busy {
            self.note = Some("cancelling…".into());
            return vec![Effect::Send(Op::Cancel)];
        }
        if self
            .last_interrupt
            .is_some_and(|t| now.duration_since(t) <= DOUBLE_INTERRUPT)
        {
            return self.quit();
        }
        self.last_interrupt = Some(now);
        if !self.composer.is_empty() {
            self.cleared_draft = Some(self.pastes.expand(&self.composer.lines().join("\n")));
            self.history.reset();
            self.reset_composer(Vec::new());
            self.pastes.clear();
        }
        let keys = self.keymap.keys_label(Action::Interrupt);
        self.note = Some(format!("press {keys} again to quit"));
        Vec::new()
    }

    pub(super) fn submit(&mut self) -> Vec<Effect> {
        let text = self.pastes.expand(&self.composer.lines().join("\n"));
        if text.trim().is_empty() {
            return Vec::new();
        }
        if let Some(effects) = self.command_line(&text) {
            return effects;
        }
        if self.session.stopped {
            // Nothing can be saved: the prompt is kept where it was typed, and in the history.
            self.history.push(text);
            self.note = Some(STOPPED_NOTE.into());
            return Vec::new();
        }
        if let Some(command) = text.strip_prefix('!').map(str::trim) {
            return self.shell(command.to_string(), text.clone());
        }
        if self.session.read_only {
            self.note = Some(self.read_only_note("to continue it here"));
            return Vec::new();
        }
        if self.busy {
            self.queued.push(text.clone());
        }
        self.history.push(text.clone());
        self.reset_composer(Vec::new());
        self.pastes.clear();
        let attachments = self
            .files
            .as_deref()
            .map(|files| crate::mentions::mentioned(&text, |p| files.contains(p)))
            .unwrap_or_default();
        vec![Effect::Send(Op::Submit { text, attachments })]
    }

    pub(super) fn on_paste(&mut self, text: &str) {
        if !self.overlays.is_empty() {
            return;
        }
        self.dirty = true;
        self.focus = Focus::Composer;
        // Terminals send CR for newlines in pastes; the composer wants LF.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let inserted = self.pastes.admit(text);
        self.composer.insert_str(inserted);
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) {
        let delta = match m.kind {
            MouseEventKind::ScrollUp => -WHEEL_LINES,
            MouseEventKind::ScrollDown => WHEEL_LINES,
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                self.click(Position::new(m.column, m.row));
                return;
            }
            _ => return,
        };
        self.dirty = true;
        if let Some(top) = self.overlays.last_mut() {
            top.layer_mut().wheel(delta);
            return;
        }
        if let Some(chat) = self.layout().pane(PaneId::Chat) {
            let (transcript, _) = layout::chat_areas(chat, self.composer.lines().len());
            if transcript.contains(Position::new(m.column, m.row)) {
                self.transcript.scroll_by(delta);
            }
        }
    }

    /// A click on a pane focuses it (the chat's composer or its transcript, by where). An
    /// overlay keeps the focus where it was.
    fn click(&mut self, at: Position) {
        if !self.overlays.is_empty() {
            return;
        }
        let layout = self.layout();
        let Some(id) = PaneId::ALL
            .into_iter()
            .find(|id| layout.pane(*id).is_some_and(|r| r.contains(at)))
        else {
            return;
        };
        self.dirty = true;
        self.focus = match id {
            PaneId::Chat => {
                let chat = layout.pane(id).unwrap_or_default();
                let (_, composer) = layout::chat_areas(chat, self.composer.lines().len());
                if composer.contains(at) {
                    Focus::Composer
                } else {
                    Focus::Transcript
                }
            }
            PaneId::Plan => Focus::Plan,
            PaneId::Diff => Focus::Diff,
            PaneId::Context => Focus::Context,
        };
    }

    pub(super) fn set_composer_text(&mut self, text: &str) {
        self.pastes.clear();
        let text = self.pastes.admit(text.to_string());
        self.reset_composer(text.split('\n').map(str::to_string).collect());
        self.composer
            .move_cursor(ratatui_textarea::CursorMove::Bottom);
        self.composer.move_cursor(ratatui_textarea::CursorMove::End);
    }

    /// The core is gone (it stopped, or ended): an op it was sent did not arrive. A prompt in
    /// it goes back to the composer, so nothing typed is lost.
    pub fn core_gone(&mut self, op: Op) {
        self.session.stopped = true;
        self.dirty = true;
        if let Op::Submit { text, .. } = op {
            self.queued.retain(|q| *q != text);
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.extend(
                self.composer
                    .lines()
                    .iter()
                    .filter(|l| !l.is_empty())
                    .cloned(),
            );
            self.reset_composer(lines);
            self.note = Some(STOPPED_NOTE.into());
        }
    }

    pub(super) fn reset_composer(&mut self, lines: Vec<String>) {
        let mut composer = if lines.is_empty() {
            TextArea::default()
        } else {
            TextArea::new(lines)
        };
        composer.set_wrap_mode(WrapMode::WordOrGlyph);
        composer.set_cursor_line_style(ratatui::style::Style::default());
        self.composer = composer;
    }
}

/// A key that types a character: no Ctrl or Alt.
fn is_printable(key: &KeyEvent) -> bool {
    matches!(key.code, crossterm::event::KeyCode::Char(_))
        && !key.modifiers.intersects(
            crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT,
        )
}
