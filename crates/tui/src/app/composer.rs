//! The composer as a command line: the `/` popup and its keys, running a command line on
//! Enter (a built-in acts here; a skill or custom command goes to the core as the prompt; an
//! unknown one is refused, never sent), the palette's choices, and the composer's comforts
//! (Ctrl+U, a draft cleared by Ctrl+C brought back with ↑, the prompt in `$EDITOR`).

use std::time::Instant;

use crossterm::event::KeyEvent;

use super::{App, ModelChoice, events};
use crate::browser::BrowserRequest;
use crate::commands::{self, Builtin, Command};
use crate::keymap::Action;
use crate::layout::Focus;
use crate::outcome::Effect;
use crate::overlay::Overlay;
use crate::overlay::{Choice, Palette};
use crate::protocol::{Gear, Op};
use crate::transcript::EntryKind;

/// The popup lists at most this many commands.
pub const POPUP_ROWS: usize = 8;

impl App {
    /// The composer's single line, when it is all there is.
    fn single_line(&self) -> Option<&str> {
        match self.composer.lines() {
            [line] => Some(line.as_str()),
            _ => None,
        }
    }

    /// The commands the `/` popup offers now: while the composer (focused, nothing over it)
    /// holds `/` and a partial name, unless Esc dismissed it for this text.
    #[must_use]
    pub fn completion(&self) -> Option<Vec<&Command>> {
        if self.focus != Focus::Composer || !self.overlays.is_empty() {
            return None;
        }
        let line = self.single_line()?;
        if self.completion_dismissed.as_deref() == Some(line) {
            return None;
        }
        let query = commands::typing_name(line)?;
        let found = self.commands.matching(query);
        (!found.is_empty()).then_some(found)
    }

    /// The popup's selected row (kept inside what it shows).
    #[must_use]
    pub fn completion_selected(&self, shown: usize) -> usize {
        self.completion_index.min(shown.saturating_sub(1))
    }

    /// An action of the popup's key context.
    pub(super) fn completion_action(&mut self, action: Action) -> Vec<Effect> {
        if let Some((_, shown)) = self.mention() {
            let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
            self.mention_action(action, &shown);
            return Vec::new();
        }
        let Some(found) = self.completion() else {
            return Vec::new();
        };
        let n = found.len();
        let selected = self.completion_selected(n);
        let name = found[selected].name.clone();
        match action {
            Action::CompletionNext => self.completion_index = (selected + 1) % n,
            Action::CompletionPrev => self.completion_index = (selected + n - 1) % n,
            Action::CompletionAccept => self.set_composer_text(&format!("/{name} ")),
            Action::CompletionRun => {
                // A name typed in full runs as typed; else the selected one.
                let typed = self.single_line().and_then(commands::typing_name);
                let name = match typed {
                    Some(t) if self.commands.get(t).is_some() => t.to_string(),
                    _ => name,
                };
                self.set_composer_text(&format!("/{name}"));
                return self.submit();
            }
            _ => {}
        }
        Vec::new()
    }

    /// Esc over the popup closes it for this text (typing brings it back).
    pub(super) fn dismiss_completion(&mut self) -> bool {
        if self.mention().is_some() {
            self.completion_dismissed = self.mention_span().map(|(line, ..)| line.to_string());
            return true;
        }
        if self.completion().is_none() {
            return false;
        }
        self.completion_dismissed = self.single_line().map(str::to_string);
        true
    }

    /// A command line on Enter: `Some` when it was one (run, or refused), `None` to send the
    /// text as a prompt — a skill's or custom command's name included: the core expands it.
    pub(super) fn command_line(&mut self, text: &str) -> Option<Vec<Effect>> {
        let (name, args) = commands::parse(text)?;
        let Some(command) = self.commands.get(name) else {
            self.note = Some(format!(
                "unknown command /{name}: type / for the list, or {} for every action",
                self.keymap.keys_label(Action::Palette)
            ));
            return Some(Vec::new());
        };
        let builtin = command.builtin?;
        let args = args.to_string();
        self.history.push(text.to_string());
        self.reset_composer(Vec::new());
        self.pastes.clear();
        Some(self.run_builtin(builtin, &args))
    }

    fn run_builtin(&mut self, builtin: Builtin, args: &str) -> Vec<Effect> {
        let key = KeyEvent::from(crossterm::event::KeyCode::Null);
        let now = Instant::now();
        match builtin {
            Builtin::New => return vec![Effect::NewSession],
            Builtin::Resume => return self.perform(Action::Sessions, key, now),
            Builtin::Help => return self.perform(Action::Help, key, now),
            Builtin::Quit => return self.quit(),
            // `/model PROVIDER/MODEL` switches at once; `/model` opens the picker.
            Builtin::Model => match args.split_once('/') {
                Some((provider, model)) if !provider.is_empty() && !model.is_empty() => {
                    return vec![Effect::Send(Op::SetModel {
                        provider: provider.to_string(),
                        model: model.to_string(),
                    })];
                }
                _ => self.open_model_picker(),
            },
            Builtin::Gear => {
                let gear = match args {
                    "vibe" => Some(Gear::Vibe),
                    "plan" => Some(Gear::Plan),
                    "pipeline" => Some(Gear::Pipeline),
                    _ => None,
                };
                match gear {
                    Some(gear) if !self.session.read_only => {
                        return vec![Effect::Send(Op::SetGear { gear })];
                    }
                    Some(_) => self.note = Some(self.read_only_note("to continue")),
                    None => {
                        self.note = Some(format!(
                            "/gear needs vibe, plan or pipeline (or {} cycles them)",
                            self.keymap.keys_label(Action::CycleGear)
                        ));
                    }
                }
            }
            Builtin::Compact if args.is_empty() => return vec![Effect::Send(Op::Compact)],
            Builtin::Compact => {
                return vec![Effect::Send(Op::CompactFocus {
                    focus: args.to_string(),
                })];
            }
            Builtin::Undo => return vec![Effect::Send(Op::Undo)],
            Builtin::Diff => {
                self.focus = Focus::Diff;
                self.zoomed = true;
            }
            Builtin::Context => {
                self.focus = Focus::Context;
                self.zoomed = true;
            }
            Builtin::Export => {
                return vec![Effect::Browser(BrowserRequest::Export {
                    id: self.session.id.clone(),
                })];
            }
            Builtin::Cost => {
                self.overlays.push(Overlay::Stats(Box::default()));
                return vec![Effect::LoadStats];
            }
            Builtin::Checkpoints => {
                let text = self.checkpoints_text();
                self.transcript.push(EntryKind::Notice, text);
            }
            Builtin::Hooks => {
                let text = self.hooks_text();
                self.transcript.push(EntryKind::Notice, text);
            }
            Builtin::Mcp => {
                if let Some(name) = args.strip_prefix("restart").map(str::trim)
                    && !name.is_empty()
                {
                    return vec![Effect::Send(Op::RestartMcp {
                        server: name.to_string(),
                    })];
                }
                let text = self.mcp_text();
                self.transcript.push(EntryKind::Notice, text);
            }
            Builtin::Skills => {
                let skills: Vec<String> = self
                    .commands
                    .all()
                    .iter()
                    .filter(|c| c.kind == Some(crate::protocol::CommandKind::Skill))
                    .map(|c| format!("/{} — {}", c.name, c.description))
                    .collect();
                let text = if skills.is_empty() {
                    "No skills found (`gearshift skills` lists where they are looked for).".into()
                } else {
                    format!("Skills ({}):\n{}", skills.len(), skills.join("\n"))
                };
                self.transcript.push(EntryKind::Notice, text);
            }
        }
        Vec::new()
    }

    /// `/hooks`: every hook in force with its matcher, timeout and file, what was left out,
    /// and this session's runs.
    fn hooks_text(&self) -> String {
        use std::fmt::Write as _;
        let all: Vec<_> = self.hooks.all().collect();
        let mut out = if all.is_empty() {
            "No hooks are set: see docs/hooks.md for commands that check or stop the \
             model at its tool calls, prompts and stops."
                .to_string()
        } else {
            format!("Hooks in force ({}):", all.len())
        };
        for h in all {
            let matcher = if h.matcher.trim().is_empty() {
                "*"
            } else {
                h.matcher.as_str()
            };
            let _ = write!(
                out,
                "\n• {} [{matcher}] `{}` · timeout {} s · from {}",
                h.event,
                h.command.trim(),
                h.timeout.as_secs(),
                h.source
            );
        }
        for p in &self.hooks.problems {
            let _ = write!(out, "\n  ⚠ {p}");
        }
        if !self.hook_runs.is_empty() {
            let _ = write!(out, "\nRuns in this session ({}):", self.hook_runs.len());
            for run in &self.hook_runs {
                let _ = write!(out, "\n  {}", run.line());
            }
        }
        out
    }

    /// `/mcp`: every server with its state, its tools and why one failed.
    fn mcp_text(&self) -> String {
        use crate::mcp::ServerState;
        use std::fmt::Write as _;
        if self.session.mcp.is_empty() {
            return "No MCP servers are configured: add one with `gearshift mcp add`, \
                    [mcp_servers.NAME] in your config, or a workspace's .mcp.json (see \
                    docs/mcp.md)."
                .to_string();
        }
        let mut out = format!("MCP servers ({}):", self.session.mcp.len());
        for m in &self.session.mcp {
            let state = match &m.state {
                ServerState::Starting => "starting…".to_string(),
                ServerState::Ready { tools, resources } if resources.is_empty() => {
                    format!("ready, {}", events::plural(*tools, "tool"))
                }
                ServerState::Ready { tools, resources } => format!(
                    "ready, {}, {} (@{}:URI)",
                    events::plural(*tools, "tool"),
                    events::plural(resources.len(), "resource"),
                    m.name
                ),
                ServerState::Failed { reason } => format!("⚠ failed: {reason}"),
                ServerState::Disabled => "disabled".to_string(),
            };
            let _ = write!(out, "\n• {} ({}) — {state}", m.name, m.how);
        }
        out.push_str("\n/mcp restart NAME starts one again.");
        out
    }

    /// `/checkpoints`: every rule in force and this session's stops.
    fn checkpoints_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = if self.checkpoints.is_empty() {
            "No [[checkpoints]] are set: see docs/checkpoints.md for rules that stop \
             migrations, CI files or pushes for you in every gear."
                .to_string()
        } else {
            format!("Checkpoints in force ({}):", self.checkpoints.len())
        };
        for r in &self.checkpoints {
            let mut matchers = Vec::new();
            for (what, list) in [
                ("paths", &r.paths),
                ("commands", &r.commands),
                ("content", &r.content),
                ("tools", &r.tools),
            ] {
                if !list.is_empty() {
                    matchers.push(format!("{what} {}", list.join(", ")));
                }
            }
            let hits = self
                .checkpoint_hits
                .iter()
                .filter(|(_, why)| why.starts_with(&format!("checkpoint `{}`", r.name)))
                .count();
            let _ = write!(out, "\n• {} — {}", r.name, matchers.join("; "));
            if !r.reason.is_empty() {
                let _ = write!(out, " ({})", r.reason);
            }
            let _ = write!(out, " · {hits} stop(s) in this session");
        }
        for (what, why) in &self.checkpoint_hits {
            let _ = write!(out, "\n  stopped: {what} — {why}");
        }
        out
    }

    /// The `/cost` overlay's figures arrived: shown if it is still open.
    pub fn on_stats(&mut self, overview: crate::library::Overview) {
        if let Some(Overlay::Stats(view)) = self.overlays.last_mut() {
            view.data = Some(overview);
            self.dirty = true;
        }
    }

    /// `!command`: the core runs it (no approval: you typed it) once the model has finished.
    pub(super) fn shell(&mut self, command: String, line: String) -> Vec<Effect> {
        if command.is_empty() {
            self.note = Some("type a command after ! to run it in the workspace".into());
            return Vec::new();
        }
        if self.session.read_only {
            self.note = Some(self.read_only_note("to run commands in it"));
            return Vec::new();
        }
        if self.busy {
            self.note =
                Some("run it when the model has finished (it stays in the composer)".into());
            return Vec::new();
        }
        self.history.push(line);
        self.reset_composer(Vec::new());
        self.pastes.clear();
        vec![Effect::Send(Op::Shell { command })]
    }

    /// Something waits for the human: while the terminal is not focused, a notification.
    pub(super) fn call_back(&mut self, what: &str) {
        if !self.terminal_focused && self.notify != crate::config::NotifyMethod::Off {
            self.notifications.push(format!("gearshift: {what}"));
        }
    }

    /// The notifications owed, for the event loop to write.
    pub fn take_notifications(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notifications)
    }

    /// The model picker: every configured provider with its model, its window and prices.
    pub(super) fn open_model_picker(&mut self) {
        if matches!(self.overlay(), Some(Overlay::Approval(_))) {
            return;
        }
        let session = &self.session;
        let in_use = |m: &ModelChoice| m.provider == session.provider && m.model == session.model;
        // The model in use is listed first, also when the config does not name it
        // (`--model` on the command line).
        let mut models: Vec<ModelChoice> = self.models.clone();
        if !session.is_demo && !models.iter().any(in_use) {
            models.push(ModelChoice {
                provider: session.provider.clone(),
                model: session.model.clone(),
                facts: vec!["not in the config's models".to_string()],
            });
        }
        models.sort_by_key(|m| !in_use(m));
        let entries = models
            .iter()
            .map(|m| crate::overlay::PaletteEntry {
                label: format!("{}/{}", m.provider, m.model),
                detail: m.facts.clone(),
                keys: if in_use(m) {
                    "in use".into()
                } else {
                    String::new()
                },
                choice: Choice::Model(m.provider.clone(), m.model.clone()),
            })
            .collect();
        self.overlays.push(Overlay::Palette(Box::new(Palette::of(
            "Models",
            "switch to it",
            entries,
        ))));
    }

    /// Opens the command palette (or closes it).
    pub(super) fn open_palette(&mut self) {
        if matches!(self.overlay(), Some(Overlay::Palette(_))) {
            self.overlays.pop();
        } else if !matches!(self.overlay(), Some(Overlay::Approval(_))) {
            let palette = Palette::new(&self.keymap, &self.commands);
            self.overlays.push(Overlay::Palette(Box::new(palette)));
        }
    }

    /// The palette's choice, once it has closed.
    pub(super) fn run_choice(&mut self, choice: Choice) -> Vec<Effect> {
        match choice {
            Choice::Action(action) => {
                let key = KeyEvent::from(crossterm::event::KeyCode::Null);
                self.perform(action, key, Instant::now())
            }
            Choice::Model(provider, model) => vec![Effect::Send(Op::SetModel { provider, model })],
            Choice::Command(name) => {
                let command = self.commands.get(&name).cloned();
                match command {
                    // A command that takes arguments waits for them in the composer.
                    Some(c) if c.builtin.is_none() || !c.hint.is_empty() => {
                        self.focus = Focus::Composer;
                        self.set_composer_text(&format!("/{name} "));
                        Vec::new()
                    }
                    Some(_) => {
                        self.set_composer_text(&format!("/{name}"));
                        self.submit()
                    }
                    None => Vec::new(),
                }
            }
        }
    }

    /// The prompt came back from `$EDITOR` (or the editor failed: the composer is kept).
    pub fn on_prompt_edited(&mut self, saved: Result<String, String>) {
        self.dirty = true;
        match saved {
            Ok(text) => {
                self.focus = Focus::Composer;
                self.set_composer_text(text.trim_end_matches('\n'));
            }
            Err(e) => self.note = Some(e),
        }
    }

    /// Ctrl+U: deletes from the cursor to the start of its line.
    pub(super) fn delete_to_start(&mut self) {
        self.composer.delete_line_by_head();
    }

    /// Ctrl+C cleared a draft: ↑ on an empty composer brings it back first.
    pub(super) fn recall_draft(&mut self) -> bool {
        if !self.composer.is_empty() {
            return false;
        }
        let Some(draft) = self.cleared_draft.take() else {
            return false;
        };
        self.set_composer_text(&draft);
        true
    }
}
