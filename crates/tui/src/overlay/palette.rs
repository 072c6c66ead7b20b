//! The command palette (Ctrl+P): every action of the keymap and every `/` command, with its
//! key, filtered as you type (nucleo's fuzzy matcher) — generated from the same tables as the
//! help, so it always lists what the keys do.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{DrawCtx, Layer, LayerCtx, LayerOutcome};
use crate::commands::{Commands, fuzzy};
use crate::keymap::{Action, KeyContext, Keymap};

/// What an entry runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Action(Action),
    /// A `/` command by name.
    Command(String),
    /// A model to switch to: provider and model.
    Model(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What the filter matches, shown first.
    pub label: String,
    /// Facts shown after the label, most important first, each dropped whole when the row is
    /// short; the filter does not match them.
    pub detail: Vec<String>,
    pub keys: String,
    pub choice: Choice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    /// What it lists ("Commands", "Models").
    pub title: String,
    /// What Enter does to the selected entry ("run", "switch to it").
    pub verb: &'static str,
    pub query: crate::field::TextField,
    pub selected: usize,
    entries: Vec<Entry>,
    /// The entries matching the query, best first (indices into `entries`).
    shown: Vec<usize>,
}

/// Contexts whose actions only make sense inside their own overlay or popup.
const NOT_LISTED: [KeyContext; 5] = [
    KeyContext::Help,
    KeyContext::Approval,
    KeyContext::Browser,
    KeyContext::Palette,
    KeyContext::Completion,
];

impl Palette {
    /// Every action (with its keys and where it works) and every command.
    #[must_use]
    pub fn new(keymap: &Keymap, commands: &Commands) -> Palette {
        let mut entries: Vec<Entry> = Action::ALL
            .iter()
            .filter(|a| !NOT_LISTED.contains(&a.context()) && **a != Action::Palette)
            .map(|a| Entry {
                label: format!("{} ({})", a.description(), a.context().title()),
                detail: Vec::new(),
                keys: keymap.keys_label(*a),
                choice: Choice::Action(*a),
            })
            .collect();
        entries.extend(commands.all().iter().map(|c| Entry {
            label: format!("/{} — {}", c.name, c.description),
            detail: Vec::new(),
            keys: String::new(),
            choice: Choice::Command(c.name.clone()),
        }));
        Palette::of("Commands", "run", entries)
    }

    /// A palette of `entries` under `title` whose Enter does `verb` (the model picker).
    #[must_use]
    pub fn of(title: &str, verb: &'static str, entries: Vec<Entry>) -> Palette {
        let shown = (0..entries.len()).collect();
        Palette {
            title: title.to_string(),
            verb,
            query: crate::field::TextField::default(),
            selected: 0,
            entries,
            shown,
        }
    }

    /// The entries shown, best first.
    pub fn shown(&self) -> impl Iterator<Item = &Entry> {
        self.shown.iter().map(|i| &self.entries[*i])
    }

    fn refilter(&mut self) {
        self.shown = if self.query.text().is_empty() {
            (0..self.entries.len()).collect()
        } else {
            let labels: Vec<&str> = self.entries.iter().map(|e| e.label.as_str()).collect();
            fuzzy(self.query.text(), &labels)
        };
        self.selected = 0;
    }
}

impl Layer for Palette {
    fn contexts(&self) -> Vec<KeyContext> {
        vec![KeyContext::Palette, KeyContext::Global]
    }

    /// The filter's keys (the composer's) edit it; Enter, Esc and the rest are the keymap's.
    fn type_key(&mut self, key: &KeyEvent) -> Option<LayerOutcome> {
        if matches!(key.code, KeyCode::Enter | KeyCode::Esc) {
            return None;
        }
        let before = self.query.text().to_string();
        self.query.edit(key)?;
        if self.query.text() != before {
            self.refilter();
        }
        Some(LayerOutcome::default())
    }

    fn handle(&mut self, action: Action, _ctx: &LayerCtx<'_>) -> LayerOutcome {
        let n = self.shown.len();
        match action {
            Action::PaletteDown if n > 0 => self.selected = (self.selected + 1) % n,
            Action::PaletteUp if n > 0 => self.selected = (self.selected + n - 1) % n,
            Action::PaletteRun => {
                if let Some(i) = self.shown.get(self.selected) {
                    return LayerOutcome {
                        close: true,
                        run: Some(self.entries[*i].choice.clone()),
                        ..LayerOutcome::default()
                    };
                }
            }
            _ => {}
        }
        LayerOutcome::default()
    }

    fn wheel(&mut self, delta: isize) {
        let n = self.shown.len();
        if n > 0 {
            self.selected = self.selected.saturating_add_signed(delta).min(n - 1);
        }
    }

    fn draw(&self, ctx: &DrawCtx<'_>, frame: &mut Frame<'_>, area: Rect) {
        let s = &ctx.theme.styles;
        let [_, mid, _] = Layout::horizontal([
            Constraint::Percentage(15),
            Constraint::Percentage(70),
            Constraint::Percentage(15),
        ])
        .areas(area);
        let height = mid.height.saturating_sub(4).clamp(5, 22).min(area.height);
        let rect = Rect {
            y: area.y + 2.min(area.height.saturating_sub(height)),
            height,
            ..mid
        };
        let inner_width = usize::from(rect.width.saturating_sub(2));
        let rows = usize::from(rect.height.saturating_sub(3));
        // The selected entry stays in view.
        let first = self.selected.saturating_sub(rows.saturating_sub(1));
        let mut lines = vec![
            {
                let mut line = self.query.line(">", s);
                // The palette says its own keys below: the field's are left out.
                line.spans.pop();
                line
            },
            Line::default(),
        ];
        if self.shown.is_empty() {
            lines.push(Line::styled("nothing matches", s.dim));
        }
        for (i, e) in self.shown().enumerate().skip(first).take(rows) {
            // An action's keys are shown whole, the first ones first; what does not fit goes.
            let each: Vec<String> = e.keys.split(" / ").map(str::to_string).collect();
            let keys = crate::fit::parts(&each, " / ", 24.min(inner_width / 2), None);
            let room = inner_width.saturating_sub(keys.chars().count() + 2);
            let mut label = crate::fit::text(&e.label, room);
            let left = room.saturating_sub(unicode_width::UnicodeWidthStr::width(label.as_str()));
            let detail = crate::fit::parts(&e.detail, " · ", left.saturating_sub(3), None);
            if !detail.is_empty() {
                label = format!("{label} — {detail}");
            }
            let pad = room.saturating_sub(unicode_width::UnicodeWidthStr::width(label.as_str()));
            let style = if i == self.selected {
                s.selection
            } else {
                s.overlay
            };
            lines.push(Line::from(vec![
                Span::styled(label, style),
                Span::styled(" ".repeat(pad + 2), style),
                Span::styled(keys, s.key),
            ]));
        }
        // The title's hints go whole when the box is narrow, closing kept longest.
        let hints = [
            format!("{} — type to filter", self.title),
            format!("{} to close", ctx.keymap.keys_label(Action::Back)),
            format!(
                "{} to {}",
                ctx.keymap.keys_label(Action::PaletteRun),
                self.verb
            ),
        ];
        let widths: Vec<usize> = hints
            .iter()
            .map(|h| unicode_width::UnicodeWidthStr::width(h.as_str()))
            .collect();
        let kept = crate::fit::choose(&widths, &[0, 1, 2], 2, inner_width.saturating_sub(1));
        let shown: Vec<&str> = [0, 2, 1]
            .iter()
            .filter(|i| kept[**i])
            .map(|i| hints[*i].as_str())
            .collect();
        let title = shown.join(", ");
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .style(s.overlay)
                .block(ctx.theme.pane_block(&title, true).style(s.overlay)),
            rect,
        );
    }
}
